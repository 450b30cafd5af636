//! The outbound HTTP client: per-worker keep-alive pools, rustls TLS, off-thread DNS, tunnels
//! through `proxy-url` proxies, and the connect and response-head timeouts. No timeout applies once a response body is streaming:
//! LLM streams legitimately pause for a long time. Generic over [`Runtime`], so the monoio
//! and tokio shells share it.

pub mod h1;
pub mod pool;
pub mod proxy;
pub mod resolve;
pub mod stream;
pub mod tls;

use std::borrow::Cow;
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use hyper::rt::Timer as _;

use bytes::Bytes;
use futures_util::future::{select, Either};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config;
use h1::{BodyReader, Conn};
use pool::{Home, Pool};
use proxy::handshake::{self, HandshakeError, TargetAddr};
use proxy::{Proxy, Scheme};
use resolve::Resolver;
use stream::Transport;

/// What the shared code needs from an async runtime. Implemented by the monoio and tokio
/// shells in `server/`. Futures need not be `Send`: everything runs on one core.
pub trait Runtime: Clone + 'static {
    /// A connected TCP stream with tokio's I/O traits (monoio provides them via poll-io).
    type Tcp: AsyncRead + AsyncWrite + Unpin + 'static;
    /// The timer hyper uses on this runtime.
    type Timer: hyper::rt::Timer + Clone + Send + Sync + Unpin + 'static;
    /// The runtime's native TCP stream, with owned-buffer I/O (io_uring or epoll operations
    /// on monoio).
    type Stream: stream::Io;

    /// Connects to `addr` with `TCP_NODELAY` set.
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>>;
    /// Connects to `addr` with `TCP_NODELAY` set, as a native stream.
    fn connect_stream(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Turns a native stream into a poll-based one (for hyper, TLS or tunnels). Only call it
    /// while no operation is in flight on `s`.
    fn into_poll(s: Self::Stream) -> io::Result<Self::Tcp>;
    /// Runs `fut` on the current core.
    fn spawn<F: Future<Output = ()> + 'static>(&self, fut: F);
    /// Completes after `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()>;
    /// The runtime's hyper timer.
    fn timer(&self) -> Self::Timer;
}

/// Runs `fut` for at most `d` (forever when `d` is `None`); `None` when the time ran out first.
pub async fn timeout<R: Runtime, F: Future>(
    rt: &R,
    d: Option<Duration>,
    fut: F,
) -> Option<F::Output> {
    let Some(d) = d else {
        return Some(fut.await);
    };
    let fut = pin!(fut);
    let sleep = pin!(rt.sleep(d));
    match select(fut, sleep).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(_) => None,
    }
}

/// A timer kept across a connection's waits (a client connection's idle time between
/// requests). Arming a timer per wait cost about 1.5 % of a passthrough request; this one is
/// re-armed only when it comes due while the current wait still has time left, when the
/// current wait needs an earlier deadline, or when another task waits (monoio's timer keeps
/// waking the task that first polled it).
#[derive(Default)]
pub struct Deadline(Option<Armed>);

struct Armed {
    timer: Pin<Box<dyn hyper::rt::Sleep>>,
    due: Instant,
    task: Waker,
}

impl Deadline {
    /// Runs `fut` for at most `d` from now; `None` when the time ran out first.
    pub async fn within<R: Runtime, F: Future>(
        &mut self,
        rt: &R,
        d: Duration,
        fut: F,
    ) -> Option<F::Output> {
        let due = Instant::now() + d;
        let task = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        let mut fut = pin!(fut);
        loop {
            let armed = match &mut self.0 {
                Some(a) if a.due <= due && a.task.will_wake(&task) => a,
                slot => slot.insert(Armed {
                    timer: rt
                        .timer()
                        .sleep(due.saturating_duration_since(Instant::now())),
                    due,
                    task: task.clone(),
                }),
            };
            match select(fut.as_mut(), armed.timer.as_mut()).await {
                Either::Left((v, _)) => return Some(v),
                Either::Right(((), _)) => {
                    // Spent either way; if it was armed for an earlier wait, the next turn
                    // arms one for this wait's deadline.
                    self.0 = None;
                    if Instant::now() >= due {
                        return None;
                    }
                }
            }
        }
    }
}

/// Why an upstream call failed. The messages name the host, never a credential.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The URL is not a usable absolute http(s) URL.
    #[error("invalid upstream URL: {0}")]
    BadUrl(String),
    /// DNS resolution failed.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// Host name.
        host: String,
        /// Resolver error.
        #[source]
        source: io::Error,
    },
    /// TCP connect failed on every address.
    #[error("cannot connect to {host}: {source}")]
    Connect {
        /// Host name.
        host: String,
        /// Last connect error.
        #[source]
        source: io::Error,
    },
    /// Connect (including TLS) did not finish in time.
    #[error("connecting to {host} timed out after {secs}s")]
    ConnectTimeout {
        /// Host name.
        host: String,
        /// The limit.
        secs: u64,
    },
    /// TLS handshake failed.
    #[error("TLS handshake with {host} failed: {source}")]
    Tls {
        /// Host name.
        host: String,
        /// Handshake error.
        #[source]
        source: io::Error,
    },
    /// HTTP-level failure (connection reset, malformed response, ...).
    #[error("upstream {host} failed: {source}")]
    Http {
        /// Host name.
        host: String,
        /// What went wrong on the connection.
        #[source]
        source: h1::Error,
    },
    /// No response head arrived in time.
    #[error("upstream {host} sent no response within {secs}s")]
    HeadTimeout {
        /// Host name.
        host: String,
        /// The limit.
        secs: u64,
    },
    /// The proxy's host name could not be resolved.
    #[error("cannot resolve proxy {proxy}: {source}")]
    ProxyResolve {
        /// The proxy, `scheme://host:port` (never its credentials).
        proxy: String,
        /// Resolver error.
        #[source]
        source: io::Error,
    },
    /// TCP connect to the proxy failed on every address.
    #[error("cannot connect to proxy {proxy}: {source}")]
    ProxyConnect {
        /// The proxy, `scheme://host:port`.
        proxy: String,
        /// Last connect error.
        #[source]
        source: io::Error,
    },
    /// TLS handshake with an `https://` proxy failed.
    #[error("TLS handshake with proxy {proxy} failed: {source}")]
    ProxyTls {
        /// The proxy, `scheme://host:port`.
        proxy: String,
        /// Handshake error.
        #[source]
        source: io::Error,
    },
    /// The proxy refused or failed to open the tunnel (auth refused, CONNECT non-2xx, SOCKS5 error).
    #[error("proxy {proxy} did not open a tunnel to {target}: {source}")]
    ProxyTunnel {
        /// The proxy, `scheme://host:port`.
        proxy: String,
        /// The upstream `host:port` asked for.
        target: String,
        /// What went wrong.
        #[source]
        source: HandshakeError,
    },
    /// The response body exceeded the collection limit.
    #[error("upstream response body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
}

impl UpstreamError {
    /// Whether the failure is a timeout (answered 504) rather than unavailability (502).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            UpstreamError::ConnectTimeout { .. } | UpstreamError::HeadTimeout { .. }
        )
    }
}

/// Where a request goes, taken from its absolute URI, and the pool key: scheme, host, port and
/// the proxy, so a connection tunnelled through one proxy never serves another or a direct call.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    https: bool,
    host: Rc<str>,
    port: u16,
    key: Rc<str>,
    /// The `host` header: the host alone on the scheme's default port, else `host:port`.
    host_header: Rc<str>,
}

/// Direct targets already seen by one worker, by scheme and authority: most requests go to a
/// handful of upstreams, and their host and pool key need not be rebuilt per request. The
/// authorities come from the config, never from a client, so a fast non-keyed hash will do.
#[derive(Default)]
struct Targets {
    http: FxHashMap<Box<str>, Target>,
    https: FxHashMap<Box<str>, Target>,
}

impl Targets {
    /// More distinct upstreams than this and the cache starts over (config changes can retire
    /// upstreams; the cache must not grow without bound).
    const MAX: usize = 256;

    fn get(&mut self, uri: &http::Uri, proxy: Option<&Proxy>) -> Result<Target, UpstreamError> {
        let (Some(authority), None) = (uri.authority(), proxy) else {
            return Target::from_uri(uri, proxy);
        };
        let map = match uri.scheme_str() {
            Some("https") => &mut self.https,
            Some("http") => &mut self.http,
            _ => return Target::from_uri(uri, proxy),
        };
        if let Some(t) = map.get(authority.as_str()) {
            return Ok(t.clone());
        }
        let t = Target::from_uri(uri, proxy)?;
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(authority.as_str().into(), t.clone());
        Ok(t)
    }
}

impl Target {
    fn from_uri(uri: &http::Uri, proxy: Option<&Proxy>) -> Result<Target, UpstreamError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(UpstreamError::BadUrl("scheme must be http or https".into())),
        };
        let host = uri
            .host()
            .ok_or_else(|| UpstreamError::BadUrl("missing host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let scheme = if https { "https" } else { "http" };
        let key: Rc<str> = match proxy {
            None => format!("{scheme}://{host}:{port}"),
            Some(p) => format!("{scheme}://{host}:{port} via {}", p.pool_key()),
        }
        .into();
        let host: Rc<str> = host.into();
        let host_header = match (https, port) {
            (true, 443) | (false, 80) if !host.contains(':') => Rc::clone(&host),
            _ => authority(&host, port).into(),
        };
        Ok(Target {
            https,
            host,
            port,
            key,
            host_header,
        })
    }

    /// `host:port` as written in a `CONNECT` request or an error message.
    fn authority(&self) -> String {
        authority(&self.host, self.port)
    }
}

/// `host:port`, with an IPv6 host in brackets.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Settings the client takes from `config.upstream`.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Connect limit (TCP, any proxy handshake, TLS); `None` = none.
    pub connect_timeout: Option<Duration>,
    /// Time allowed from sending the request to receiving the response head; `None` = none.
    pub head_timeout: Option<Duration>,
    /// Idle pooled connections older than this are discarded.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host.
    pub pool_max_idle: usize,
}

impl Settings {
    /// Reads the `upstream` config section.
    pub fn from_config(u: &config::Upstream) -> Settings {
        Settings {
            connect_timeout: u.connect_timeout(),
            head_timeout: u.response_header_timeout(),
            pool_idle_timeout: Duration::from_secs(u.pool_idle_timeout_seconds),
            pool_max_idle: u.pool_max_idle_per_host,
        }
    }
}

/// A request for [`Client::send`]: an `http::Request`, or a POST whose header lines were
/// serialised ahead of time (once per config snapshot, for credentials whose headers never
/// change between requests).
pub enum Outgoing {
    /// Any request.
    Request(http::Request<Bytes>),
    /// `POST uri` with these header lines (`name: value\r\n` each; no `host`,
    /// `content-length` or `transfer-encoding`) and `body`.
    Post {
        /// The absolute URI.
        uri: http::Uri,
        /// The serialised header lines.
        lines: Bytes,
        /// The request body.
        body: Bytes,
    },
}

impl From<http::Request<Bytes>> for Outgoing {
    fn from(r: http::Request<Bytes>) -> Self {
        Outgoing::Request(r)
    }
}

/// A per-worker HTTP/1.1 client with keep-alive pooling.
pub struct Client<R: Runtime> {
    rt: R,
    pool: Rc<Pool<Conn<R::Stream>>>,
    tls: tokio_rustls::TlsConnector,
    resolver: Resolver,
    settings: Settings,
    targets: RefCell<Targets>,
}

impl<R: Runtime> Client<R> {
    /// A client for one worker.
    pub fn new(rt: R, tls: tls::Connector, settings: Settings) -> Self {
        Client {
            pool: Rc::new(Pool::new(
                settings.pool_max_idle,
                settings.pool_idle_timeout,
            )),
            tls: tls.0,
            resolver: Resolver::new(),
            rt,
            settings,
            targets: RefCell::default(),
        }
    }

    /// Sends `req` (absolute URI) and waits for the response head, directly or through
    /// `proxy` (see [`proxy::choose`]). A pooled connection that turns out to be closed
    /// before answering anything is replaced by a fresh one once.
    pub async fn send(
        &self,
        req: impl Into<Outgoing>,
        proxy: Option<&Proxy>,
    ) -> Result<Response, UpstreamError> {
        let req = req.into();
        let (method, uri) = match &req {
            Outgoing::Request(r) => (r.method(), r.uri()),
            Outgoing::Post { uri, .. } => (&http::Method::POST, uri),
        };
        let target = self.targets.borrow_mut().get(uri, proxy)?;
        let path = match uri.path_and_query().map(|p| p.as_str()) {
            Some(p) if p.starts_with('/') => Cow::Borrowed(p),
            Some(p) => Cow::Owned(format!("/{p}")),
            None => Cow::Borrowed("/"),
        };
        let authority = &*target.host_header;
        let head_request = method == http::Method::HEAD;
        let encode = |out: &mut Vec<u8>| match &req {
            Outgoing::Request(r) => {
                h1::encode_request(out, method, &path, authority, r.headers(), r.body())
            }
            Outgoing::Post { lines, body, .. } => {
                h1::encode_with_lines(out, method, &path, authority, body, |out| {
                    out.extend_from_slice(lines)
                })
            }
        };

        let mut pooled = self.pool.checkout(&target.key);
        let mut request: Option<Vec<u8>> = None;
        loop {
            let fresh = pooled.is_none();
            let mut conn = match pooled.take() {
                Some(c) => c,
                // Boxed: dialling, proxy handshakes and TLS make a future of several KiB,
                // which every request would otherwise carry (and copy) inside this one.
                None => Box::pin(self.connect(&target, proxy)).await?,
            };
            let out = request.take().unwrap_or_else(|| {
                let mut out = conn.take_request_buf();
                encode(&mut out);
                out
            });
            let fut = h1::exchange(&mut conn, out, head_request);
            let Some((result, out)) = timeout(&self.rt, self.settings.head_timeout, fut).await
            else {
                return Err(UpstreamError::HeadTimeout {
                    host: target.host.to_string(),
                    secs: self.settings.head_timeout.map_or(0, |d| d.as_secs()),
                });
            };
            match result {
                Ok(head) => {
                    conn.keep_request_buf(out);
                    let home = Home::new(target.key.clone(), &self.pool);
                    return Ok(Response::new(head, conn, home, target.host));
                }
                Err(f) if f.retryable && !fresh => {
                    tracing::debug!(upstream = %target.host, error = %f.error,
                        "pooled upstream connection was closed; retrying on a new one");
                    request = Some(out);
                }
                Err(f) => {
                    return Err(UpstreamError::Http {
                        host: target.host.to_string(),
                        source: f.error,
                    })
                }
            }
        }
    }

    /// A new connection to `target`, directly or through `proxy`: TCP, the proxy handshake
    /// and TLS, all within the connect timeout.
    async fn connect(
        &self,
        target: &Target,
        proxy: Option<&Proxy>,
    ) -> Result<Conn<R::Stream>, UpstreamError> {
        let secs = self.settings.connect_timeout.map_or(0, |d| d.as_secs());
        let inner = async {
            match proxy {
                None => self.connect_direct(target).await,
                Some(proxy) => {
                    let conn = self.connect_via(proxy, target).await?;
                    // `Display` of a proxy never includes its credentials.
                    tracing::debug!(%proxy, upstream = %target.host, "upstream tunnel opened");
                    Ok(conn)
                }
            }
        };
        match timeout(&self.rt, self.settings.connect_timeout, inner).await {
            Some(r) => r,
            None => Err(UpstreamError::ConnectTimeout {
                host: target.host.to_string(),
                secs,
            }),
        }
    }

    /// Plain http goes over the runtime's native stream; https through TLS over a poll-based one.
    async fn connect_direct(&self, target: &Target) -> Result<Conn<R::Stream>, UpstreamError> {
        let addrs = self
            .resolver
            .resolve(&target.host, target.port)
            .await
            .map_err(|source| UpstreamError::Resolve {
                host: target.host.to_string(),
                source,
            })?;
        let connect_error = |source| UpstreamError::Connect {
            host: target.host.to_string(),
            source,
        };
        if target.https {
            let tcp = self.dial(&addrs).await.map_err(connect_error)?;
            self.finish(tcp, target).await
        } else {
            let tcp = self.dial_native(&addrs).await.map_err(connect_error)?;
            Ok(Conn::new(Transport::Native(tcp)))
        }
    }

    /// Opens a tunnel to `target` through `proxy`, then finishes as a direct connection would.
    async fn connect_via(
        &self,
        proxy: &Proxy,
        target: &Target,
    ) -> Result<Conn<R::Stream>, UpstreamError> {
        let addrs = self
            .resolver
            .resolve(proxy.host(), proxy.port())
            .await
            .map_err(|source| UpstreamError::ProxyResolve {
                proxy: proxy.to_string(),
                source,
            })?;
        let dial_proxy = || async {
            self.dial(&addrs)
                .await
                .map_err(|source| UpstreamError::ProxyConnect {
                    proxy: proxy.to_string(),
                    source,
                })
        };
        let tunnel_error = |source| UpstreamError::ProxyTunnel {
            proxy: proxy.to_string(),
            target: target.authority(),
            source,
        };
        let credentials = proxy.credentials();
        match proxy.scheme() {
            Scheme::Http => {
                let tcp = dial_proxy().await?;
                let tunnel = handshake::http_connect(tcp, &target.host, target.port, credentials)
                    .await
                    .map_err(tunnel_error)?;
                self.finish(tunnel, target).await
            }
            Scheme::Https => {
                let tcp = dial_proxy().await?;
                let tls_error = |source| UpstreamError::ProxyTls {
                    proxy: proxy.to_string(),
                    source,
                };
                let name = rustls_pki_types::ServerName::try_from(proxy.host().to_owned())
                    .map_err(|e| tls_error(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
                let tls = self.tls.connect(name, tcp).await.map_err(tls_error)?;
                let tunnel = handshake::http_connect(tls, &target.host, target.port, credentials)
                    .await
                    .map_err(tunnel_error)?;
                self.finish(tunnel, target).await
            }
            Scheme::Socks5h => {
                let mut tcp = dial_proxy().await?;
                let addr = TargetAddr::for_host(&target.host, target.port);
                handshake::socks5_connect(&mut tcp, addr, credentials)
                    .await
                    .map_err(tunnel_error)?;
                self.finish(tcp, target).await
            }
            Scheme::Socks5 => {
                // Resolved here, as with a direct connection; each address is tried through a
                // fresh proxy connection until one is reachable from the proxy.
                let targets = self
                    .resolver
                    .resolve(&target.host, target.port)
                    .await
                    .map_err(|source| UpstreamError::Resolve {
                        host: target.host.to_string(),
                        source,
                    })?;
                let mut last = HandshakeError::Closed;
                for addr in targets.iter() {
                    let mut tcp = dial_proxy().await?;
                    match handshake::socks5_connect(&mut tcp, TargetAddr::Ip(*addr), credentials)
                        .await
                    {
                        Ok(()) => return self.finish(tcp, target).await,
                        Err(e) if e.is_target_unreachable() => last = e,
                        Err(e) => return Err(tunnel_error(e)),
                    }
                }
                Err(tunnel_error(last))
            }
        }
    }

    /// TCP to the first of `addrs` that accepts, as a poll-based stream.
    async fn dial(&self, addrs: &[SocketAddr]) -> io::Result<R::Tcp> {
        first_accepting(addrs, |a| self.rt.connect(a)).await
    }

    /// TCP to the first of `addrs` that accepts, as the runtime's native stream.
    async fn dial_native(&self, addrs: &[SocketAddr]) -> io::Result<R::Stream> {
        first_accepting(addrs, |a| self.rt.connect_stream(a)).await
    }

    /// TLS to the target when it is https over `stream` (a TCP connection to the target, or
    /// a tunnel to it).
    async fn finish<S>(&self, stream: S, target: &Target) -> Result<Conn<R::Stream>, UpstreamError>
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        if !target.https {
            return Ok(Conn::new(Transport::poll(stream)));
        }
        let name = rustls_pki_types::ServerName::try_from(target.host.to_string())
            .map_err(|e| UpstreamError::BadUrl(e.to_string()))?;
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|source| UpstreamError::Tls {
                host: target.host.to_string(),
                source,
            })?;
        Ok(Conn::new(Transport::poll(tls)))
    }
}

/// The first of `addrs` that `connect` reaches; the last error when none is.
async fn first_accepting<T, F: Future<Output = io::Result<T>>>(
    addrs: &[SocketAddr],
    connect: impl Fn(SocketAddr) -> F,
) -> io::Result<T> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no addresses");
    for addr in addrs {
        match connect(*addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// An upstream response whose head has arrived. Its connection goes back to the pool only
/// when the body has been read to the end; dropping it early closes the connection, which
/// is how a client disconnect propagates upstream.
pub struct Response {
    /// Status and headers.
    pub head: h1::ResponseHead,
    body: Body,
    host: Rc<str>,
}

/// What is left of a response body.
enum Body {
    /// Already read whole with the head (the connection went back to the pool then), or
    /// handed out.
    Whole(Option<Bytes>),
    /// Still arriving on its connection.
    Reading(Box<dyn h1::Source>),
}

impl Response {
    /// The response of `head` on `conn`. A body that arrived with the head is split off at
    /// once and the connection released; otherwise the body reader holds it.
    fn new<S: stream::Io>(
        head: h1::Head,
        mut conn: Conn<S>,
        home: Home<Conn<S>>,
        host: Rc<str>,
    ) -> Response {
        let h1::Head {
            head,
            mut framing,
            keep_alive,
        } = head;
        let body = match conn.whole_body(&mut framing) {
            Some(bytes) => {
                if keep_alive && conn.is_drained() {
                    home.release(conn);
                }
                Body::Whole((!bytes.is_empty()).then_some(bytes))
            }
            None => Body::Reading(Box::new(BodyReader::new(conn, framing, keep_alive, home))),
        };
        Response { head, body, host }
    }

    /// The upstream host, for logs and error messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn error(&self, source: h1::Error) -> UpstreamError {
        match source {
            h1::Error::TooLarge(limit) => UpstreamError::BodyTooLarge { limit },
            source => UpstreamError::Http {
                host: self.host.to_string(),
                source,
            },
        }
    }

    /// Reads the whole body (up to `limit` bytes), then returns the connection to the pool.
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, UpstreamError> {
        match std::mem::replace(&mut self.body, Body::Whole(None)) {
            Body::Whole(None) => Ok(Bytes::new()),
            Body::Whole(Some(b)) if b.len() > limit => Err(UpstreamError::BodyTooLarge { limit }),
            Body::Whole(Some(b)) => Ok(b),
            Body::Reading(r) => r.collect(limit).await.map_err(|e| self.error(e)),
        }
    }

    /// Polls the next body chunk, as soon as one upstream read delivers it; `None` at the
    /// end (the connection is then released to the pool). Trailers are skipped.
    pub fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, UpstreamError>>> {
        let polled = match &mut self.body {
            Body::Whole(b) => return Poll::Ready(b.take().map(Ok)),
            Body::Reading(r) => r.poll_chunk(cx),
        };
        match polled {
            Poll::Ready(Some(Err(e))) => {
                self.body = Body::Whole(None);
                Poll::Ready(Some(Err(self.error(e))))
            }
            Poll::Ready(None) => {
                self.body = Body::Whole(None);
                Poll::Ready(None)
            }
            other => other.map(|c| c.map(|c| c.map_err(|e| self.error(e)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_uris() {
        let t = Target::from_uri(&"https://api.example.com/v1/x".parse().unwrap(), None).unwrap();
        assert_eq!((t.https, &*t.host, t.port), (true, "api.example.com", 443));
        assert_eq!(&*t.key, "https://api.example.com:443");
        let t = Target::from_uri(&"http://[::1]:8080/".parse().unwrap(), None).unwrap();
        assert_eq!((t.https, &*t.host, t.port), (false, "::1", 8080));
        assert_eq!(t.authority(), "[::1]:8080");
        assert!(Target::from_uri(&"ftp://x/".parse().unwrap(), None).is_err());
        assert!(Target::from_uri(&"/relative".parse().unwrap(), None).is_err());
        // The host header names the port unless it is the scheme's default.
        for (uri, want) in [
            ("https://api.example.com/v1/x", "api.example.com"),
            ("http://h:80/", "h"),
            ("http://127.0.0.1:9/v1", "127.0.0.1:9"),
            ("https://h:80/", "h:80"),
            ("http://[::1]:8080/", "[::1]:8080"),
            ("http://[::1]/", "[::1]:80"),
        ] {
            let t = Target::from_uri(&uri.parse().unwrap(), None).unwrap();
            assert_eq!(&*t.host_header, want, "{uri}");
        }
    }

    #[test]
    fn targets_are_cached_per_scheme_and_authority_for_direct_calls() {
        let mut cache = Targets::default();
        let a: http::Uri = "http://127.0.0.1:9/v1/chat".parse().unwrap();
        let b: http::Uri = "https://127.0.0.1:9/v1/chat".parse().unwrap();
        let first = cache.get(&a, None).unwrap();
        assert_eq!(cache.get(&a, None).unwrap(), first);
        assert!(Rc::ptr_eq(&cache.get(&a, None).unwrap().key, &first.key));
        let tls = cache.get(&b, None).unwrap();
        assert!(tls.https && !first.https);
        assert_eq!((cache.http.len(), cache.https.len()), (1, 1));
        // Proxied calls are keyed by their proxy too, so they bypass the cache.
        let p = via("http://proxy-a:3128");
        assert_ne!(cache.get(&a, Some(&p)).unwrap().key, first.key);
        assert_eq!(cache.http.len(), 1);
        for port in 0..Targets::MAX + 1 {
            let uri: http::Uri = format!("http://h:{}/", port + 1).parse().unwrap();
            cache.get(&uri, None).unwrap();
        }
        assert!(cache.http.len() <= Targets::MAX);
    }

    fn via(url: &str) -> Proxy {
        match proxy::ProxyUrl::parse(url).unwrap() {
            Some(proxy::ProxyUrl::Via(p)) => p,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn pool_keys_separate_direct_and_each_proxy() {
        let uri: http::Uri = "https://api.example.com/v1/x".parse().unwrap();
        let key = |p: Option<&Proxy>| Target::from_uri(&uri, p).unwrap().key;
        let a = via("http://proxy-a:3128");
        let b = via("http://proxy-b:3128");
        let a_socks = via("socks5://proxy-a:3128");
        let a_user1 = via("http://u1:pw@proxy-a:3128");
        let a_user2 = via("http://u2:pw@proxy-a:3128");
        let keys = [
            key(None),
            key(Some(&a)),
            key(Some(&b)),
            key(Some(&a_socks)),
            key(Some(&a_user1)),
            key(Some(&a_user2)),
        ];
        for (i, x) in keys.iter().enumerate() {
            for y in keys.iter().skip(i + 1) {
                assert_ne!(x, y);
            }
        }
        // The same proxy written twice shares connections; the key never holds the password.
        assert_eq!(
            key(Some(&a_user1)),
            key(Some(&via("http://u1:pw@PROXY-A:3128/")))
        );
        assert!(!key(Some(&a_user1)).contains("pw"));
        assert_eq!(
            &*key(Some(&a)),
            "https://api.example.com:443 via http://proxy-a:3128"
        );
    }
}
