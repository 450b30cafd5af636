//! Owned-buffer stream I/O, the shape io_uring wants: the buffer moves into the operation and
//! comes back with its result. The hand-written HTTP/1.1 paths (client and server) are written
//! against [`Io`]; each runtime shell supplies its native TCP stream (monoio's io_uring or
//! epoll operations, tokio's `TcpStream`), and [`Transport::Poll`] carries anything that only
//! speaks tokio's poll traits (TLS, proxy tunnels, monoio's poll-io streams).

use std::future::Future;
use std::io;
use std::pin::Pin;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A byte stream with owned-buffer reads and writes.
pub trait Io: 'static {
    /// Appends what one read returns to `buf` (into its spare capacity, which the caller
    /// reserves first); `Ok(0)` is end of stream.
    fn read(&mut self, buf: BytesMut) -> impl Future<Output = (io::Result<usize>, BytesMut)>;

    /// Writes all of `buf`.
    fn write_all(&mut self, buf: Vec<u8>) -> impl Future<Output = (io::Result<()>, Vec<u8>)>;
}

/// Anything with tokio's poll-based I/O traits.
pub trait PollStream: AsyncRead + AsyncWrite + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + 'static> PollStream for T {}

/// A connection: the runtime's native stream, or a boxed poll-based one.
pub enum Transport<S> {
    /// The shell's native TCP stream.
    Native(S),
    /// TLS, a proxy tunnel, or another poll-based stream.
    Poll(Pin<Box<dyn PollStream>>),
}

impl<S> Transport<S> {
    /// Boxes a poll-based stream.
    pub fn poll(s: impl PollStream) -> Self {
        Transport::Poll(Box::pin(s))
    }
}

impl<S: Io> Io for Transport<S> {
    async fn read(&mut self, mut buf: BytesMut) -> (io::Result<usize>, BytesMut) {
        match self {
            Transport::Native(s) => s.read(buf).await,
            Transport::Poll(s) => {
                let r = s.read_buf(&mut buf).await;
                (r, buf)
            }
        }
    }

    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        match self {
            Transport::Native(s) => s.write_all(buf).await,
            Transport::Poll(s) => {
                let r = AsyncWriteExt::write_all(s, &buf).await;
                (r, buf)
            }
        }
    }
}

/// Reserves room for at least one more read of `min` bytes, growing by `grow` when short.
pub fn reserve_read(buf: &mut BytesMut, min: usize, grow: usize) {
    if buf.capacity() - buf.len() < min {
        buf.reserve(grow.max(min));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A poll-based in-memory pipe reads and writes through [`Transport::Poll`].
    #[test]
    fn poll_transport_round_trip() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (a, b) = tokio::io::duplex(64);
            let mut a: Transport<Never> = Transport::poll(a);
            let mut b: Transport<Never> = Transport::poll(b);
            let (r, _) = a.write_all(b"hello".to_vec()).await;
            r.unwrap();
            let mut buf = BytesMut::new();
            reserve_read(&mut buf, 16, 16);
            let (r, buf) = b.read(buf).await;
            assert_eq!(r.unwrap(), 5);
            assert_eq!(&buf[..], b"hello");
            drop(a);
            let (r, _) = b.read(buf).await;
            assert_eq!(r.unwrap(), 0);
        });
    }

    /// A native stream type for tests that only use the poll variant.
    struct Never;

    impl Io for Never {
        async fn read(&mut self, buf: BytesMut) -> (io::Result<usize>, BytesMut) {
            (Err(io::ErrorKind::Unsupported.into()), buf)
        }
        async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
            (Err(io::ErrorKind::Unsupported.into()), buf)
        }
    }
}
