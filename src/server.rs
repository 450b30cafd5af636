//! The I/O shell: one worker thread per core, each with its own `SO_REUSEPORT` listener and
//! its own single-threaded runtime (monoio with io_uring or epoll, or tokio), serving HTTP/1.1
//! with a hand-written loop over the runtime's native stream (`h1`), and with hyper for the
//! requests that loop leaves alone. Everything above the socket is shared between the
//! runtimes: the pipeline, the connection guard, the bodies. Graceful shutdown drains in-flight
//! requests and streams.

pub mod body;
pub mod conn;
pub(crate) mod h1;
pub mod models;
pub mod pipeline;

#[cfg(all(target_os = "linux", feature = "runtime-monoio"))]
pub mod monoio;
#[cfg(any(feature = "runtime-tokio", not(target_os = "linux")))]
pub mod tokio;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures_util::future::{select, Either};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use socket2::{Domain, Protocol, Socket, Type};

use crate::config::IoDriver;
use crate::snapshot::Shared;
use crate::upstream::proxy::handshake::Prefixed;
use crate::upstream::{self, Runtime};
use conn::{ConnState, GuardedIo};
use pipeline::Worker;

/// Which async runtime serves the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeKind {
    /// monoio, thread-per-core, io_uring or epoll (Linux).
    Monoio,
    /// tokio current-thread runtimes, one per core.
    Tokio,
}

impl RuntimeKind {
    /// The runtime this build uses unless told otherwise: monoio where it is compiled in.
    pub fn default_for_build() -> RuntimeKind {
        if cfg!(all(target_os = "linux", feature = "runtime-monoio")) {
            RuntimeKind::Monoio
        } else {
            RuntimeKind::Tokio
        }
    }

    /// Every runtime compiled into this build.
    pub fn available() -> &'static [RuntimeKind] {
        #[cfg(all(
            target_os = "linux",
            feature = "runtime-monoio",
            feature = "runtime-tokio"
        ))]
        return &[RuntimeKind::Monoio, RuntimeKind::Tokio];
        #[cfg(all(
            target_os = "linux",
            feature = "runtime-monoio",
            not(feature = "runtime-tokio")
        ))]
        return &[RuntimeKind::Monoio];
        #[cfg(not(all(target_os = "linux", feature = "runtime-monoio")))]
        return &[RuntimeKind::Tokio];
    }

    /// Lower-case name, as printed by `--version` and at startup.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeKind::Monoio => "monoio",
            RuntimeKind::Tokio => "tokio",
        }
    }

    /// Parses `monoio` or `tokio`.
    pub fn parse(s: &str) -> Option<RuntimeKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "monoio" => Some(RuntimeKind::Monoio),
            "tokio" => Some(RuntimeKind::Tokio),
            _ => None,
        }
    }
}

/// Process-wide shutdown signal, observed by every accept loop and connection.
#[derive(Debug, Default)]
pub struct Shutdown {
    flag: AtomicBool,
    event: event_listener::Event,
}

impl Shutdown {
    /// Starts a graceful shutdown: stop accepting, let in-flight requests finish.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    /// Whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Completes once shutdown has started.
    pub async fn wait(&self) {
        loop {
            if self.is_triggered() {
                return;
            }
            let listener = self.event.listen();
            if self.is_triggered() {
                return;
            }
            listener.await;
        }
    }
}

/// A running server.
pub struct Handle {
    addr: SocketAddr,
    shutdown: Arc<Shutdown>,
    threads: Vec<JoinHandle<()>>,
    runtime: RuntimeKind,
    driver: &'static str,
}

impl Handle {
    /// The bound address (with the real port when `port: 0` was configured).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `monoio` or `tokio`.
    pub fn runtime(&self) -> RuntimeKind {
        self.runtime
    }

    /// The I/O driver in use: `io_uring`, `epoll` or `tokio`.
    pub fn driver(&self) -> &'static str {
        self.driver
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.threads.len()
    }

    /// The shutdown signal, e.g. for a signal handler.
    pub fn shutdown_signal(&self) -> Arc<Shutdown> {
        self.shutdown.clone()
    }

    /// Starts a graceful shutdown without waiting.
    pub fn shutdown(&self) {
        self.shutdown.trigger();
    }

    /// Waits until every worker has stopped (after a shutdown and its grace period).
    pub fn join(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.shutdown.trigger();
            for t in self.threads.drain(..) {
                let _ = t.join();
            }
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The upstream TLS configuration is unusable.
    #[error(transparent)]
    Tls(#[from] upstream::tls::TlsError),
    /// A worker thread or runtime failed to start.
    #[error("worker {index} failed to start: {source}")]
    Worker {
        /// Worker index.
        index: usize,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The requested runtime is not compiled into this build.
    #[error("runtime `{0}` is not compiled into this build")]
    RuntimeUnavailable(&'static str),
}

/// Binds the listeners and starts one worker per configured core on `runtime`. Returns
/// once every worker is accepting.
pub fn start(shared: Shared, runtime: RuntimeKind) -> Result<Handle, StartError> {
    let snap = shared.load_full();
    let cfg = &snap.config;
    let workers = cfg.worker_count().max(1);
    let listeners = bind_listeners(&cfg.host, cfg.port, workers)?;
    let addr = listeners
        .first()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|source| StartError::Bind {
            addr: format!("{}:{}", cfg.host, cfg.port),
            source,
        })?
        .unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), cfg.port));
    let tls = upstream::tls::connector(&cfg.upstream)?;
    let shutdown = Arc::new(Shutdown::default());
    let opts = WorkerOptions {
        driver: cfg.io_driver,
        grace: Duration::from_secs(cfg.shutdown_grace_seconds),
    };
    let (threads, driver) = match runtime {
        #[cfg(all(target_os = "linux", feature = "runtime-monoio"))]
        RuntimeKind::Monoio => {
            monoio::spawn_workers(listeners, shared.clone(), tls, shutdown.clone(), opts)?
        }
        #[cfg(any(feature = "runtime-tokio", not(target_os = "linux")))]
        RuntimeKind::Tokio => tokio::spawn_workers(
            listeners,
            workers,
            shared.clone(),
            tls,
            shutdown.clone(),
            opts,
        )?,
        #[allow(unreachable_patterns)]
        other => return Err(StartError::RuntimeUnavailable(other.name())),
    };
    Ok(Handle {
        addr,
        shutdown,
        threads,
        runtime,
        driver,
    })
}

/// Settings every worker needs at startup.
#[derive(Clone, Copy, Debug)]
pub struct WorkerOptions {
    /// Requested I/O driver (monoio only).
    pub driver: IoDriver,
    /// How long in-flight requests may run after shutdown starts.
    pub grace: Duration,
}

/// One listener per worker on the same address with `SO_REUSEPORT` (the kernel spreads
/// connections across them); a single listener where the OS lacks it. With `port: 0` the
/// first bind picks the port and the others join it.
fn bind_listeners(host: &str, port: u16, n: usize) -> Result<Vec<TcpListener>, StartError> {
    let ip: IpAddr = if host.trim().is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        let h = host.trim().trim_start_matches('[').trim_end_matches(']');
        if h.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            h.parse().map_err(|_| StartError::Bind {
                addr: host.to_owned(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "host must be an IP address"),
            })?
        }
    };
    let mut addr = SocketAddr::new(ip, port);
    let bind_err = |addr: SocketAddr, source| StartError::Bind {
        addr: addr.to_string(),
        source,
    };
    if port != 0 {
        // SO_REUSEPORT would silently share a port that another process already serves:
        // probe with a plain bind first so that "address in use" is reported as such.
        probe(addr).map_err(|e| bind_err(addr, e))?;
    }
    // Only Linux balances SO_REUSEPORT across sockets; elsewhere one listener hands off.
    let count = if cfg!(target_os = "linux") { n } else { 1 };
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let l = bind_one(addr).map_err(|e| bind_err(addr, e))?;
        if addr.port() == 0 {
            addr = l.local_addr().map_err(|e| bind_err(addr, e))?;
        }
        out.push(l);
    }
    Ok(out)
}

fn probe(addr: SocketAddr) -> io::Result<()> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    s.set_reuse_address(true)?;
    s.bind(&addr.into())
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    {
        s.set_reuse_address(true)?;
        s.set_reuse_port(true)?;
    }
    s.set_tcp_nodelay(true)?;
    s.bind(&addr.into())?;
    s.listen(4096)?;
    Ok(s.into())
}

/// Serves one accepted connection until it closes or shutdown drains it. Shared by both
/// shells; `stream` already has `TCP_NODELAY`. The hand-written HTTP/1.1 loop serves it
/// until a request needs hyper, which then takes the connection over.
pub(crate) async fn serve_conn<R: Runtime>(w: Rc<Worker<R>>, stream: R::Stream) {
    w.open_conns.set(w.open_conns.get() + 1);
    let _open = OpenConn(w.clone());
    let state = Rc::new(ConnState::default());
    let (stream, buffered) = match h1::serve(&w, &state, stream).await {
        h1::End::Closed => return,
        h1::End::Fallback(stream, buffered) => (stream, buffered),
    };
    match R::into_poll(stream) {
        Ok(tcp) => serve_hyper(w, state, tcp, buffered).await,
        Err(e) => tracing::debug!(error = %e, "cannot hand a connection to hyper"),
    }
}

/// Serves a connection with hyper, behind the [`GuardedIo`] timeouts, starting with the bytes
/// the fast lane had read (`replay`).
async fn serve_hyper<R: Runtime, T>(
    w: Rc<Worker<R>>,
    state: Rc<ConnState>,
    io: T,
    replay: bytes::BytesMut,
) where
    T: ::tokio::io::AsyncRead + ::tokio::io::AsyncWrite + Unpin + 'static,
{
    let limits = w.shared.load().config.limits;
    let io = GuardedIo::new(
        Prefixed::new(replay.freeze(), io),
        state.clone(),
        w.rt.timer(),
        limits.head_read_timeout(),
        limits.idle_timeout(),
    );
    let svc_worker = w.clone();
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let req = req.map(pipeline::ReqBody::Hyper);
        pipeline::handle(svc_worker.clone(), state.clone(), req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(w.rt.timer())
        .keep_alive(true)
        .half_close(false)
        .header_read_timeout(None)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    let mut conn = pin!(conn);
    let stop = pin!(w.shutdown.wait());
    match select(conn.as_mut(), stop).await {
        Either::Left((res, _)) => log_conn_end(res),
        Either::Right(((), _)) => {
            conn.as_mut().graceful_shutdown();
            log_conn_end(conn.await);
        }
    }
}

fn log_conn_end(res: Result<(), hyper::Error>) {
    if let Err(e) = res {
        tracing::debug!(error = %e, "client connection ended with an error");
    }
}

struct OpenConn<R: Runtime>(Rc<Worker<R>>);

impl<R: Runtime> Drop for OpenConn<R> {
    fn drop(&mut self) {
        let n = self.0.open_conns.get();
        self.0.open_conns.set(n.saturating_sub(1));
    }
}

/// How a worker reports that it is accepting (with a value such as its driver) or why it
/// could not start.
pub(crate) type Ready<T> = std::sync::mpsc::Sender<Result<T, (usize, io::Error)>>;

/// Waits until `n` workers have reported. On the first failure it starts a shutdown (so the
/// workers that did start stop again) and returns that failure.
pub(crate) fn await_workers<T>(
    rx: &std::sync::mpsc::Receiver<Result<T, (usize, io::Error)>>,
    n: usize,
    shutdown: &Shutdown,
) -> Result<Vec<T>, StartError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let failure = match rx.recv() {
            Ok(Ok(v)) => {
                out.push(v);
                continue;
            }
            Ok(Err((index, source))) => StartError::Worker { index, source },
            Err(_) => StartError::Worker {
                index: 0,
                source: io::Error::other("a worker exited during startup"),
            },
        };
        shutdown.trigger();
        return Err(failure);
    }
    Ok(out)
}

/// After the accept loop stops: wait until this core's connections are gone, at most `grace`.
pub(crate) async fn drain<R: Runtime>(w: &Worker<R>, grace: Duration) {
    let deadline = Instant::now() + grace;
    while w.open_conns.get() > 0 && Instant::now() < deadline {
        w.rt.sleep(Duration::from_millis(20)).await;
    }
    if w.open_conns.get() > 0 {
        tracing::warn!(
            open = w.open_conns.get(),
            "grace period over; closing remaining connections"
        );
    }
}

/// Accept errors such as EMFILE must not spin the loop: back off briefly.
pub(crate) async fn accept_backoff<R: Runtime>(rt: &R, e: &io::Error) {
    tracing::warn!(error = %e, "accept failed");
    rt.sleep(Duration::from_millis(50)).await;
}
