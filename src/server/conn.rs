//! Per-connection guard between the socket and hyper: a slow request head gets a real
//! `408 Request Timeout` (hyper would only drop the connection), an idle keep-alive
//! connection is closed after `limits.idle-timeout-seconds`, and the count of requests in
//! flight tells the two phases apart. The bytes the HTTP/1.1 fast lane had already read when it
//! handed the connection over come first, through
//! [`Prefixed`](crate::upstream::proxy::handshake::Prefixed). Runtime-free: it uses hyper's
//! `Timer`.

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Sleep, Timer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Shared between a connection's I/O guard and its request handlers.
#[derive(Debug, Default)]
pub struct ConnState {
    in_flight: Cell<usize>,
}

/// Marks one request as in flight for as long as it lives (it travels inside the response
/// body, so a streaming response counts until its last byte).
#[derive(Debug)]
pub struct InFlight(Rc<ConnState>);

impl InFlight {
    /// Counts a new request on `state`.
    pub fn new(state: Rc<ConnState>) -> Self {
        state.in_flight.set(state.in_flight.get() + 1);
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let n = self.0.in_flight.get();
        self.0.in_flight.set(n.saturating_sub(1));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first byte of a request.
    Idle,
    /// Some bytes of a request head have arrived.
    Head,
    /// A request is being handled.
    Busy,
}

/// The response written when a request head does not arrive in time. The request line is
/// unknown at that point, so it carries an OpenAI-style body, the most common client shape.
pub(crate) const HEAD_TIMEOUT_RESPONSE: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 113\r\n\r\n{\"error\":{\"message\":\"request head not received in time\",\"type\":\"invalid_request_error\",\"code\":\"request_timeout\"}}";

/// Wraps a connection's socket; see the module docs.
pub struct GuardedIo<T, Tm> {
    inner: T,
    state: Rc<ConnState>,
    timer: Tm,
    head_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    deadline: Option<Pin<Box<dyn Sleep>>>,
    phase: Phase,
}

impl<T, Tm: Timer> GuardedIo<T, Tm> {
    /// Guards `inner`; to replay bytes already read, wrap it in
    /// [`Prefixed`](crate::upstream::proxy::handshake::Prefixed). `state` is shared with the
    /// connection's request handlers.
    pub fn new(
        inner: T,
        state: Rc<ConnState>,
        timer: Tm,
        head_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
    ) -> Self {
        GuardedIo {
            inner,
            state,
            timer,
            head_timeout,
            idle_timeout,
            deadline: None,
            // Starts as if a response just finished, so the first read arms the idle timer.
            phase: Phase::Busy,
        }
    }

    fn arm(&mut self, phase: Phase) {
        let d = if phase == Phase::Head {
            self.head_timeout
        } else {
            self.idle_timeout
        };
        self.phase = phase;
        self.deadline = d.map(|d| self.timer.sleep(d));
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin, Tm: Timer + Unpin> AsyncRead for GuardedIo<T, Tm> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.in_flight.get() > 0 {
            // Requests are being served: reads here are pipelined bytes or EOF detection.
            this.phase = Phase::Busy;
            this.deadline = None;
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        if this.phase == Phase::Busy {
            this.arm(Phase::Idle);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.phase == Phase::Idle {
                    this.arm(Phase::Head);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.deadline.as_mut() else {
                    return Poll::Pending;
                };
                if deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.deadline = None;
                if this.phase == Phase::Head {
                    // Best effort: the socket buffer is empty at this point, so one write
                    // normally takes the whole response.
                    let _ = Pin::new(&mut this.inner).poll_write(cx, HEAD_TIMEOUT_RESPONSE);
                    let _ = Pin::new(&mut this.inner).poll_flush(cx);
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request head timeout",
                    )))
                } else {
                    // Idle keep-alive connection: report EOF so hyper closes it quietly.
                    Poll::Ready(Ok(()))
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin, Tm: Unpin> AsyncWrite for GuardedIo<T, Tm> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::proxy::handshake::Prefixed;
    use bytes::Bytes;

    #[test]
    fn canned_timeout_response_is_well_formed() {
        let text = std::str::from_utf8(HEAD_TIMEOUT_RESPONSE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, body.len());
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "request_timeout");
    }

    #[test]
    fn replayed_bytes_come_first_and_start_the_head_phase() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut a, b) = tokio::io::duplex(64);
            let state = Rc::new(ConnState::default());
            let timer = hyper_util::rt::TokioTimer::new();
            let replayed = Prefixed::new(Bytes::from_static(b"GET / HT"), b);
            let mut io = GuardedIo::new(replayed, state, timer, None, None);
            let mut first = [0u8; 3];
            io.read_exact(&mut first).await.unwrap();
            assert_eq!(&first, b"GET");
            assert_eq!(io.phase, Phase::Head);
            a.write_all(b"TP/1.1\r\n\r\n").await.unwrap();
            drop(a);
            let mut rest = Vec::new();
            io.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b" / HTTP/1.1\r\n\r\n");
        });
    }

    #[test]
    fn in_flight_counts_up_and_down() {
        let s = Rc::new(ConnState::default());
        let a = InFlight::new(s.clone());
        let b = InFlight::new(s.clone());
        assert_eq!(s.in_flight.get(), 2);
        drop(a);
        drop(b);
        assert_eq!(s.in_flight.get(), 0);
    }
}
