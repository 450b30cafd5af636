//! HTTP/1.1 test client for `#[tokio::test]`s: one fresh connection per call, buffered or
//! streamed responses, raw TCP exchanges for limit tests, and an SSE body splitter.
//! No timeouts are hidden in here: wrap a call in `tokio::time::timeout` where a test needs one.

use std::future::Future;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::future::{FusedFuture, FutureExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

/// A fully read response.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers in arrival order (grouped by name), names lowercase.
    pub headers: Vec<(String, String)>,
    /// The whole (de-chunked) body.
    pub body: Bytes,
}

impl Response {
    /// First value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        super::find_header(&self.headers, name)
    }

    /// The body parsed as JSON. Panics with the status and body text when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "response ({}) body is not JSON ({err}): {}",
                self.status,
                self.text()
            )
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a new connection and reads the whole response. The `host` header is set
/// to `addr` unless `headers` has one. Fails if the connection breaks before the body ends.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> io::Result<Response> {
    let request = build_request(addr, method, path, headers, body.into())?;
    let (mut sender, mut connection) = handshake(open(addr).await?).await?;
    let exchange = async move {
        let response = sender
            .send_request(request)
            .await
            .map_err(io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: super::header_pairs(&parts.headers),
            body,
        })
    };
    drive(&mut connection, exchange).await
}

/// A response whose body is still arriving.
///
/// Dropping it hangs up the connection at once (no need for the runtime to run again), so a test
/// can drop it and then wait for the far side to notice the disconnect.
pub struct StreamingResponse {
    /// HTTP status code.
    pub status: u16,
    /// Headers in arrival order (grouped by name), names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body chunks as they arrive, each stamped with its arrival time; `None` once the body ended,
    /// cleanly or not (see [`StreamingResponse::try_collect`]).
    pub chunks: mpsc::UnboundedReceiver<(Instant, Bytes)>,
    end: oneshot::Receiver<io::Result<()>>,
    socket: socket2::Socket,
}

impl StreamingResponse {
    /// First value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        super::find_header(&self.headers, name)
    }

    /// Waits for the body to end and returns the bytes not yet taken from `chunks`, however the
    /// body ended.
    pub async fn collect(mut self) -> Bytes {
        self.collect_chunks().await
    }

    /// Like [`StreamingResponse::collect`], but fails when the body did not end cleanly, e.g. the
    /// server dropped the connection before the terminating chunk.
    pub async fn try_collect(mut self) -> io::Result<Bytes> {
        let body = self.collect_chunks().await;
        match (&mut self.end).await {
            Ok(outcome) => outcome.map(|()| body),
            Err(_) => Err(io::Error::other(
                "the task reading the body stopped before the body ended",
            )),
        }
    }

    async fn collect_chunks(&mut self) -> Bytes {
        let mut body = BytesMut::new();
        while let Some((_, chunk)) = self.chunks.recv().await {
            body.extend_from_slice(&chunk);
        }
        body.freeze()
    }
}

impl Drop for StreamingResponse {
    fn drop(&mut self) {
        // The socket may already be closed when the body ended; nothing to do then.
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

/// Sends one request on a new connection and returns once the response head arrives; the body
/// is read in a background task and delivered through [`StreamingResponse::chunks`] frame by
/// frame, so a test can see the first SSE event while the server is still pausing.
pub async fn send_streaming(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> io::Result<StreamingResponse> {
    let request = build_request(addr, method, path, headers, body.into())?;
    let stream = open(addr).await?;
    let socket = socket2::SockRef::from(&stream).try_clone()?;
    let (mut sender, mut connection) = handshake(stream).await?;
    let response = drive(&mut connection, async {
        sender.send_request(request).await.map_err(io::Error::other)
    })
    .await?;
    let (parts, body) = response.into_parts();
    let (chunk_tx, chunks) = mpsc::unbounded_channel();
    let (end_tx, end) = oneshot::channel();
    tokio::spawn(async move {
        // Holding the request handle keeps hyper from winding the connection down early.
        let _sender = sender;
        let outcome = drive(&mut connection, forward_body(body, &chunk_tx)).await;
        // The test may have dropped the response already.
        let _ = end_tx.send(outcome);
    });
    Ok(StreamingResponse {
        status: parts.status.as_u16(),
        headers: super::header_pairs(&parts.headers),
        chunks,
        end,
        socket,
    })
}

/// Copies body frames into `chunks` until the body ends or the receiver is dropped.
async fn forward_body(
    mut body: Incoming,
    chunks: &mpsc::UnboundedSender<(Instant, Bytes)>,
) -> io::Result<()> {
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            // The test dropped the response: stop reading, which closes the connection.
            () = chunks.closed() => return Ok(()),
        };
        match frame {
            None => return Ok(()),
            Some(Err(err)) => return Err(io::Error::other(err)),
            Some(Ok(frame)) => {
                // Trailers carry no body bytes.
                if let Ok(data) = frame.into_data() {
                    let _ = chunks.send((Instant::now(), data));
                }
            }
        }
    }
}

/// Writes `bytes` on a new connection, leaves the connection open (a partial request head
/// "stalls"), and returns everything read back until the server closes the connection or
/// `read_timeout` passes, whichever comes first. A server that answers and closes before reading
/// all of `bytes` (e.g. a 413) is not an error: its answer is still returned.
pub async fn raw_exchange(
    addr: SocketAddr,
    bytes: &[u8],
    read_timeout: Duration,
) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    match stream.write_all(bytes).await {
        Err(err) if !is_hang_up(&err) => return Err(err),
        _ => {}
    }
    let deadline = tokio::time::Instant::now() + read_timeout;
    let mut received = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut received)).await {
            Err(_) | Ok(Ok(0)) => return Ok(received),
            Ok(Ok(_)) => {}
            Ok(Err(err)) if is_hang_up(&err) => return Ok(received),
            Ok(Err(err)) => return Err(err),
        }
    }
}

/// Splits an SSE body into the `data` of each event, in order, following the SSE parsing rules:
/// CR, LF and CRLF line ends; `data:` with or without one leading space; several `data` lines of
/// one event joined with `\n`; comments, other fields and events without data skipped; and a
/// final event without its terminating blank line dropped (it was never complete).
pub fn sse_data_frames(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut frames = Vec::new();
    let mut data: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else {
            break; // an unterminated last line
        };
        if line.is_empty() {
            frames.extend(data.take());
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_owned()),
            }
        }
    }
    frames
}

/// Drives a hyper client connection until it is done; fused so it can be driven across phases.
type Connection = Pin<Box<dyn FusedFuture<Output = ()> + Send>>;

/// Opens a TCP connection with Nagle off, so small frames are not held back.
async fn open(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Starts HTTP/1.1 on `stream`; returns the request handle and the connection future, which
/// must be polled (see [`drive`]) for anything to happen.
async fn handshake(stream: TcpStream) -> io::Result<(SendRequest<Full<Bytes>>, Connection)> {
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    // Its error, if any, also reaches the request or the body being read.
    let connection = connection.map(|_| ()).fuse();
    Ok((sender, Box::pin(connection)))
}

/// Runs `work` while driving `connection`. Once the connection has ended, pending work fails or
/// completes on its own, so this never waits on a dead connection.
async fn drive<T>(
    connection: &mut Connection,
    work: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            result = &mut work => return result,
            () = &mut *connection, if !connection.is_terminated() => {}
        }
    }
}

fn build_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> io::Result<hyper::Request<Full<Bytes>>> {
    let mut builder = hyper::Request::builder().method(method).uri(path);
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        builder = builder.header(hyper::header::HOST, addr.to_string());
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(body))
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))
}

/// Whether an I/O error means the peer closed or reset the connection.
fn is_hang_up(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}
