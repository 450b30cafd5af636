//! Loopback forward proxies for `proxy-url` tests: an HTTP `CONNECT` proxy (optionally behind TLS,
//! i.e. an `https://` proxy), a SOCKS5 proxy (RFC 1928, with optional RFC 1929 username/password
//! auth), and a silent one that accepts and never answers. Each binds `127.0.0.1:0`, runs its own
//! tokio runtime on a background thread like `MockUpstream`, records every tunnel request (target
//! and credentials) and counts the tunnels it opened.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

/// One tunnel request as the proxy received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// What the client asked to reach: `host:port` as sent (`[v6]:port` for IPv6). For SOCKS5,
    /// an IP address when the client resolved the name itself, the name when it did not.
    pub target: String,
    /// `user:password` the client presented (decoded from `Proxy-Authorization: Basic` or the
    /// RFC 1929 sub-negotiation), if any.
    pub credentials: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Connect,
    Socks5,
    Silent,
}

struct Shared {
    kind: Kind,
    /// Required `user:password`; `None` accepts everyone.
    require: Option<String>,
    attempts: Mutex<Vec<Attempt>>,
    tunnels: AtomicUsize,
    connections: AtomicUsize,
    shutdown: Notify,
}

impl Shared {
    fn record(&self, attempt: Attempt) {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(attempt);
    }
}

/// A loopback forward proxy. Dropping it stops it and closes every tunnel.
pub struct TestProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
}

impl TestProxy {
    /// An HTTP `CONNECT` proxy that lets everyone in.
    pub fn connect() -> TestProxy {
        Self::launch(Kind::Connect, None, None)
    }

    /// An HTTP `CONNECT` proxy that answers 407 unless `Proxy-Authorization: Basic` carries
    /// `user:password`.
    pub fn connect_with_auth(user: &str, password: &str) -> TestProxy {
        Self::launch(Kind::Connect, Some(format!("{user}:{password}")), None)
    }

    /// An `https://` proxy: TLS (certificate for `localhost` and `127.0.0.1`, signed by a fresh
    /// CA returned as PEM), then `CONNECT`.
    pub fn connect_tls() -> (TestProxy, String) {
        let (acceptor, ca_pem) = super::tls::acceptor_and_ca_pem();
        (Self::launch(Kind::Connect, None, Some(acceptor)), ca_pem)
    }

    /// A SOCKS5 proxy offering "no authentication".
    pub fn socks5() -> TestProxy {
        Self::launch(Kind::Socks5, None, None)
    }

    /// A SOCKS5 proxy requiring username/password `user:password`.
    pub fn socks5_with_auth(user: &str, password: &str) -> TestProxy {
        Self::launch(Kind::Socks5, Some(format!("{user}:{password}")), None)
    }

    /// Accepts connections and never says a word (for connect-timeout tests).
    pub fn silent() -> TestProxy {
        Self::launch(Kind::Silent, None, None)
    }

    fn launch(kind: Kind, require: Option<String>, tls: Option<TlsAcceptor>) -> TestProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind test proxy");
        listener
            .set_nonblocking(true)
            .expect("make test proxy listener non-blocking");
        let addr = listener.local_addr().expect("test proxy address");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-proxy-worker")
            .enable_all()
            .build()
            .expect("build test proxy runtime");
        let shared = Arc::new(Shared {
            kind,
            require,
            attempts: Mutex::new(Vec::new()),
            tunnels: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            shutdown: Notify::new(),
        });
        let server_shared = Arc::clone(&shared);
        let server = std::thread::Builder::new()
            .name(format!("test-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(accept_loop(listener, tls, server_shared));
                drop(runtime);
            })
            .expect("spawn test proxy thread");
        TestProxy {
            addr,
            shared,
            server: Some(server),
        }
    }

    /// The bound address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Tunnels opened so far (the proxy connected to the target and said so).
    pub fn tunnels(&self) -> usize {
        self.shared.tunnels.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every tunnel request so far, in arrival order, including refused ones.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.shared
            .attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.shared.shutdown.notify_one();
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let listener = TcpListener::from_std(listener).expect("register test proxy listener");
    loop {
        let accepted = tokio::select! {
            () = shared.shutdown.notified() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match (shared.kind, tls) {
                (Kind::Silent, _) => {
                    let mut stream = stream;
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                }
                (Kind::Connect, None) => serve_connect(stream, &shared).await,
                (Kind::Connect, Some(acceptor)) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_connect(stream, &shared).await;
                    }
                }
                (Kind::Socks5, _) => serve_socks5(stream, &shared).await,
            }
        });
    }
}

/// Reads a `CONNECT` head, checks credentials, connects and relays.
async fn serve_connect<S: AsyncRead + AsyncWrite + Unpin>(mut client: S, shared: &Shared) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || !matches!(client.read(&mut byte).await, Ok(1)) {
            return;
        }
        head.extend_from_slice(&byte);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some("CONNECT"), Some(target), Some("HTTP/1.1")) =
        (parts.next(), parts.next(), parts.next())
    else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    let credentials = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .and_then(|(_, value)| value.trim().strip_prefix("Basic ").map(str::to_owned))
        .map(|b64| String::from_utf8_lossy(&base64_decode(&b64)).into_owned());
    shared.record(Attempt {
        target: target.to_owned(),
        credentials: credentials.clone(),
    });
    if shared.require.is_some() && credentials != shared.require {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    shared.tunnels.fetch_add(1, Ordering::SeqCst);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// Runs the server side of SOCKS5 (RFC 1928 `CONNECT`, RFC 1929 auth), then relays.
async fn serve_socks5(mut client: TcpStream, shared: &Shared) {
    let _ = socks5_session(&mut client, shared).await;
}

async fn socks5_session(client: &mut TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    let [5, count] = greeting else { return Ok(()) };
    let mut methods = vec![0u8; usize::from(count)];
    client.read_exact(&mut methods).await?;
    let mut credentials = None;
    if let Some(required) = &shared.require {
        if !methods.contains(&2) {
            client.write_all(&[5, 0xff]).await?;
            return Ok(());
        }
        client.write_all(&[5, 2]).await?;
        let mut version_len = [0u8; 2];
        client.read_exact(&mut version_len).await?;
        let mut user = vec![0u8; usize::from(version_len[1])];
        client.read_exact(&mut user).await?;
        let mut plen = [0u8; 1];
        client.read_exact(&mut plen).await?;
        let mut pass = vec![0u8; usize::from(plen[0])];
        client.read_exact(&mut pass).await?;
        let given = format!(
            "{}:{}",
            String::from_utf8_lossy(&user),
            String::from_utf8_lossy(&pass)
        );
        if &given != required {
            shared.record(Attempt {
                target: String::new(),
                credentials: Some(given),
            });
            client.write_all(&[1, 1]).await?;
            return Ok(());
        }
        client.write_all(&[1, 0]).await?;
        credentials = Some(given);
    } else {
        if !methods.contains(&0) {
            client.write_all(&[5, 0xff]).await?;
            return Ok(());
        }
        client.write_all(&[5, 0]).await?;
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let [5, 1, 0, address_type] = request else {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    let host = match address_type {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(());
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    shared.record(Attempt {
        target: target.clone(),
        credentials,
    });
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    let mut reply = vec![5, 0, 0, 1, 127, 0, 0, 1];
    reply.extend_from_slice(&port);
    client.write_all(&reply).await?;
    shared.tunnels.fetch_add(1, Ordering::SeqCst);
    tokio::io::copy_bidirectional(client, &mut upstream).await?;
    Ok(())
}

/// Standard base64 decoding, skipping padding and anything outside the alphabet.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
