//! Loopback mock upstream: an HTTP/1.1 (optionally HTTPS) server on `127.0.0.1:0` that records
//! every request, lets the test's handler choose each reply, and counts connections and streams
//! the client abandoned. It runs its own tokio runtime on background threads, so sync, tokio and
//! monoio tests can all use it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

/// One request as the mock received it: recorded once its whole body has arrived, before the
/// handler runs, so even a request answered with [`Reply::Hang`] is counted.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Request method, e.g. `POST`.
    pub method: String,
    /// Path plus query string, e.g. `/v1/models?alt=sse`.
    pub path: String,
    /// Headers in arrival order (grouped by name), names lowercase.
    pub headers: Vec<(String, String)>,
    /// The whole request body.
    pub body: Bytes,
}

impl Recorded {
    /// First value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        super::find_header(&self.headers, name)
    }

    /// The body parsed as JSON. Panics with the body text when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "recorded {} {} body is not JSON ({err}): {}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// What the mock does with one request. The handler returns one per request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON response; `content-type: application/json` unless `headers` sets a content type.
    Json {
        /// HTTP status code.
        status: u16,
        /// Response body, sent as-is.
        body: String,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Any response body with exactly the given headers (no default content type).
    Raw {
        /// HTTP status code.
        status: u16,
        /// Response body, sent as-is.
        body: Bytes,
        /// Response headers.
        headers: Vec<(String, String)>,
    },
    /// A `200 text/event-stream` response, chunked. Each frame is written verbatim as its own
    /// chunk and flushed, so a frame may be a complete event (`"data: {..}\n\n"`) or deliberately
    /// a fragment of one. `gap` is slept before each frame after the first.
    Sse {
        /// Chunks to write, verbatim.
        frames: Vec<String>,
        /// Pause before each frame after the first.
        gap: Duration,
    },
    /// Like [`Reply::Sse`], but after the last frame is flushed the connection is dropped without
    /// the terminating chunk: "the upstream hung up mid-stream".
    SseThenDrop {
        /// Chunks to write, verbatim.
        frames: Vec<String>,
        /// Pause before each frame after the first.
        gap: Duration,
    },
    /// Read the request, then never answer. The connection closes when the client goes away.
    Hang,
    /// Close the connection without writing any response.
    Close,
    /// Wait, then reply with the inner reply.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// A JSON reply with the given status and no extra headers.
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::Json {
            status,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    /// An SSE reply whose frames are written verbatim, back to back (no gap).
    pub fn sse(frames: impl IntoIterator<Item = impl Into<String>>) -> Reply {
        Reply::Sse {
            frames: frames.into_iter().map(Into::into).collect(),
            gap: Duration::ZERO,
        }
    }

    /// An SSE reply with one `data: <payload>\n\n` event per payload, back to back (no gap).
    /// The inverse of [`super::sse_data_frames`] for single-line payloads.
    pub fn sse_data(payloads: impl IntoIterator<Item = impl AsRef<str>>) -> Reply {
        Reply::sse(
            payloads
                .into_iter()
                .map(|payload| format!("data: {}\n\n", payload.as_ref())),
        )
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// State shared between the test thread and the mock's runtime.
struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<Recorded>>,
    connections_accepted: AtomicUsize,
    open_connections: AtomicUsize,
    aborted_streams: AtomicUsize,
    shutdown: Notify,
}

impl Shared {
    fn requests(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        // A handler that panicked must not hide the requests from the test.
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A loopback HTTP/1.1 upstream for integration tests. Dropping it stops the server and closes
/// every connection it holds.
pub struct MockUpstream {
    addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
}

impl MockUpstream {
    /// A mock answering every request with OpenAI's documented `chat.completion` example
    /// (`tests/fixtures/openai/chat_completion.json`).
    pub fn chat_completion() -> MockUpstream {
        Self::start(|_| Reply::Json {
            status: 200,
            body: super::CHAT_COMPLETION.to_string(),
            headers: vec![],
        })
    }

    /// Starts a plain-HTTP mock on `127.0.0.1:0`. `handler` picks the reply for each request; it
    /// runs on the mock's runtime, so it must not block for long.
    pub fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> MockUpstream {
        Self::launch(Box::new(handler), None)
    }

    /// Starts an HTTPS mock. Its certificate covers `localhost` and `127.0.0.1` and is signed by a
    /// fresh throwaway CA; the returned string is that CA certificate in PEM, for the client to trust.
    pub fn start_tls(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (MockUpstream, String) {
        let (acceptor, ca_pem) = super::tls::acceptor_and_ca_pem();
        (Self::launch(Box::new(handler), Some(acceptor)), ca_pem)
    }

    fn launch(handler: Box<Handler>, tls: Option<TlsAcceptor>) -> MockUpstream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind mock upstream");
        listener
            .set_nonblocking(true)
            .expect("make mock listener non-blocking");
        let addr = listener.local_addr().expect("mock listener address");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mock-upstream-worker")
            .enable_all()
            .build()
            .expect("build mock upstream runtime");
        let shared = Arc::new(Shared {
            handler,
            requests: Mutex::new(Vec::new()),
            connections_accepted: AtomicUsize::new(0),
            open_connections: AtomicUsize::new(0),
            aborted_streams: AtomicUsize::new(0),
            shutdown: Notify::new(),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server_shared = Arc::clone(&shared);
        let server = std::thread::Builder::new()
            .name(format!("mock-upstream-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(accept_loop(listener, tls, server_shared));
                // Dropping the runtime cancels every connection task, closing their sockets.
                drop(runtime);
            })
            .expect("spawn mock upstream thread");
        MockUpstream {
            addr,
            scheme,
            shared,
            server: Some(server),
        }
    }

    /// The bound address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, or `https://…` for a TLS mock; no trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests().clone()
    }

    /// Number of requests received so far.
    pub fn calls(&self) -> usize {
        self.shared.requests().len()
    }

    /// Number of TCP connections accepted so far (TLS or not).
    pub fn connections_accepted(&self) -> usize {
        self.shared.connections_accepted.load(Ordering::SeqCst)
    }

    /// Number of SSE replies whose connection ended before the last frame went out: the client
    /// went away mid-stream (disconnect propagation). A [`Reply::SseThenDrop`] hang-up by the
    /// mock itself is not counted.
    pub fn aborted_streams(&self) -> usize {
        self.shared.aborted_streams.load(Ordering::SeqCst)
    }

    /// Number of TCP connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.open_connections.load(Ordering::SeqCst)
    }

    /// Blocks the calling thread, polling every few milliseconds, until `cond(self)` holds or
    /// `timeout` passes; returns whether it held. For waiting on asynchronous effects, not for
    /// measuring time. From a tokio test, make sure whatever must make progress meanwhile does not
    /// need the blocked thread (use the multi-thread flavor if it is the test's own tasks).
    pub fn wait_for(&self, timeout: Duration, cond: impl Fn(&MockUpstream) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.shared.shutdown.notify_one();
        if let Some(server) = self.server.take() {
            // A panic on the server thread has already been reported on stderr.
            let _ = server.join();
        }
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let listener = TcpListener::from_std(listener).expect("register mock listener with tokio");
    loop {
        let accepted = tokio::select! {
            () = shared.shutdown.notified() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        shared.connections_accepted.fetch_add(1, Ordering::SeqCst);
        let connection = OpenConnection::new(Arc::clone(&shared));
        tokio::spawn(serve_connection(stream, tls.clone(), connection));
    }
}

/// Counts a connection as open for as long as it lives, including when the runtime cancels it.
struct OpenConnection {
    shared: Arc<Shared>,
}

impl OpenConnection {
    fn new(shared: Arc<Shared>) -> Self {
        shared.open_connections.fetch_add(1, Ordering::SeqCst);
        OpenConnection { shared }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.shared.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve_connection(stream: TcpStream, tls: Option<TlsAcceptor>, connection: OpenConnection) {
    // SSE frames must leave as soon as they are written.
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_http(stream, connection).await,
        Some(acceptor) => {
            // A client that fails the handshake simply gets its connection closed.
            if let Ok(stream) = acceptor.accept(stream).await {
                serve_http(stream, connection).await;
            }
        }
    }
}

async fn serve_http<S>(stream: S, connection: OpenConnection)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let hang_up = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(HangUpIo {
        inner: stream,
        hang_up: Arc::clone(&hang_up),
    });
    let shared = Arc::clone(&connection.shared);
    let service =
        service_fn(move |request| respond(request, Arc::clone(&shared), Arc::clone(&hang_up)));
    // Keep-alive is on by default. Half-close stays off, so hyper reads EOF while a reply is in
    // progress and ends the connection: that is how a client leaving mid-stream is noticed.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

type MockBody = Either<Full<Bytes>, SseBody>;

async fn respond(
    request: hyper::Request<Incoming>,
    shared: Arc<Shared>,
    hang_up: Arc<AtomicBool>,
) -> io::Result<hyper::Response<MockBody>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
    let recorded = Recorded {
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: super::header_pairs(&parts.headers),
        body,
    };
    shared.requests().push(recorded.clone());
    let reply = (shared.handler)(&recorded);
    reply_with(reply, shared, hang_up).await
}

async fn reply_with(
    reply: Reply,
    shared: Arc<Shared>,
    hang_up: Arc<AtomicBool>,
) -> io::Result<hyper::Response<MockBody>> {
    match reply {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let default_type = super::find_header(&headers, "content-type")
                .is_none()
                .then_some("application/json");
            Ok(full_response(
                status,
                &headers,
                default_type,
                Bytes::from(body),
            ))
        }
        Reply::Raw {
            status,
            body,
            headers,
        } => Ok(full_response(status, &headers, None, body)),
        Reply::Sse { frames, gap } => Ok(sse_response(SseBody::new(
            frames,
            gap,
            StreamEnd::Finish,
            shared,
        ))),
        Reply::SseThenDrop { frames, gap } => Ok(sse_response(SseBody::new(
            frames,
            gap,
            StreamEnd::HangUp(hang_up),
            shared,
        ))),
        // hyper drops this future, and with it the connection, when the client leaves.
        Reply::Hang => std::future::pending().await,
        // A service error makes hyper close the connection without writing a response.
        Reply::Close => Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "mock upstream: closing without a response",
        )),
        Reply::Delay(pause, next) => {
            tokio::time::sleep(pause).await;
            Box::pin(reply_with(*next, shared, hang_up)).await
        }
    }
}

fn full_response(
    status: u16,
    headers: &[(String, String)],
    default_content_type: Option<&str>,
    body: Bytes,
) -> hyper::Response<MockBody> {
    let mut builder = hyper::Response::builder().status(status);
    if let Some(content_type) = default_content_type {
        builder = builder.header(CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Either::Left(Full::new(body)))
        .unwrap_or_else(|err| panic!("mock reply has an invalid status or header: {err}"))
}

fn sse_response(body: SseBody) -> hyper::Response<MockBody> {
    hyper::Response::builder()
        .status(200)
        .header(CONTENT_TYPE, "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Either::Right(body))
        .expect("static SSE response head is valid")
}

/// How an SSE body ends after its last frame.
enum StreamEnd {
    /// Send the terminating chunk.
    Finish,
    /// Flush, then drop the connection (via [`HangUpIo`]) with no terminating chunk.
    HangUp(Arc<AtomicBool>),
}

/// Streams SSE frames one chunk at a time and, when dropped before its last frame went out
/// (hyper dropped it because the connection ended), counts an aborted stream.
struct SseBody {
    frames: VecDeque<Bytes>,
    gap: Duration,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    sent_any: bool,
    end: StreamEnd,
    finished: bool,
    shared: Arc<Shared>,
}

impl SseBody {
    fn new(frames: Vec<String>, gap: Duration, end: StreamEnd, shared: Arc<Shared>) -> Self {
        SseBody {
            frames: frames.into_iter().map(Bytes::from).collect(),
            gap,
            pause: None,
            sent_any: false,
            end,
            finished: false,
            shared,
        }
    }
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.frames.is_empty() {
            this.finished = true;
            return match &this.end {
                StreamEnd::Finish => Poll::Ready(None),
                StreamEnd::HangUp(hang_up) => {
                    // hyper flushes what it has buffered before polling the connection again, and
                    // `HangUpIo` fails that flush: the written frames reach the client, the
                    // terminating chunk never does. No wake-up is needed.
                    hang_up.store(true, Ordering::SeqCst);
                    Poll::Pending
                }
            };
        }
        if this.sent_any && !this.gap.is_zero() {
            let gap = this.gap;
            let pause = this
                .pause
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(gap)));
            ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        this.sent_any = true;
        Poll::Ready(this.frames.pop_front().map(|frame| Ok(Frame::data(frame))))
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.aborted_streams.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Transport wrapper that fails every flush once `hang_up` is set, so hyper abandons the
/// connection right after flushing the bytes already written.
struct HangUpIo<S> {
    inner: S,
    hang_up: Arc<AtomicBool>,
}

impl<S: AsyncRead + Unpin> AsyncRead for HangUpIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HangUpIo<S> {
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
        let this = self.get_mut();
        ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        if this.hang_up.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "mock upstream: hanging up mid-stream",
            )));
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
