//! Tunnel handshakes over an already connected proxy stream: HTTP `CONNECT` (RFC 9110 §9.3.6)
//! and SOCKS5 `CONNECT` (RFC 1928) with username/password authentication (RFC 1929).
//! Generic over tokio's I/O traits; no runtime, no timers (the caller's connect timeout covers
//! the whole handshake), no pooling. Input from the proxy is bounded and never trusted.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::Credentials;

/// Longest `CONNECT` response head accepted (status line plus headers).
pub const MAX_CONNECT_HEAD: usize = 8 * 1024;

/// Why a proxy did not open the tunnel. Messages name no credentials.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Reading from or writing to the proxy failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The proxy hung up before the handshake finished.
    #[error("the proxy closed the connection during the handshake")]
    Closed,
    /// The proxy answered `CONNECT` with a non-2xx status.
    #[error("the proxy answered CONNECT with status {status}{}", reason_suffix(.reason))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The reason phrase, as sent (at most 64 characters).
        reason: String,
    },
    /// The `CONNECT` response head is larger than [`MAX_CONNECT_HEAD`].
    #[error("the proxy's CONNECT response head exceeds {MAX_CONNECT_HEAD} bytes")]
    HeadTooLarge,
    /// The proxy's reply does not follow the protocol.
    #[error("the proxy sent a malformed reply: {0}")]
    Malformed(&'static str),
    /// The target cannot be written into a request (control characters, or a SOCKS5 domain
    /// name that is empty or longer than 255 bytes).
    #[error("the target host cannot be sent to a proxy: {0}")]
    BadTarget(&'static str),
    /// SOCKS5: the proxy wants authentication but the URL carries no credentials.
    #[error("the SOCKS5 proxy requires a user name and password")]
    AuthRequired,
    /// SOCKS5: the proxy accepts none of the offered authentication methods.
    #[error("the SOCKS5 proxy accepts none of the offered authentication methods")]
    NoAcceptableMethod,
    /// SOCKS5: a user name or password is empty or longer than 255 bytes (RFC 1929 limits).
    #[error("SOCKS5 user name and password must each be 1-255 bytes")]
    CredentialLength,
    /// SOCKS5: the proxy rejected the user name and password.
    #[error("the SOCKS5 proxy rejected the credentials")]
    AuthRejected,
    /// SOCKS5: the proxy could not connect to the target.
    #[error("the SOCKS5 proxy could not connect: {} (reply {code})", socks_reply_meaning(*.code))]
    Socks {
        /// The `REP` field of the reply.
        code: u8,
    },
}

impl HandshakeError {
    /// Whether the failure concerns this target address only (so another address of the same
    /// host may work): SOCKS5 network or host unreachable, connection refused, TTL expired.
    pub fn is_target_unreachable(&self) -> bool {
        matches!(self, HandshakeError::Socks { code: 3..=6 })
    }
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

/// RFC 1928 §6 reply codes.
fn socks_reply_meaning(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown error",
    }
}

/// The address a SOCKS5 proxy is asked to connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetAddr<'a> {
    /// An IP address (`socks5`, which resolves locally, or an IP literal host).
    Ip(SocketAddr),
    /// A host name the proxy resolves (`socks5h`).
    Domain(&'a str, u16),
}

impl<'a> TargetAddr<'a> {
    /// `Ip` when `host` is an IP literal, else `Domain`.
    pub fn for_host(host: &'a str, port: u16) -> TargetAddr<'a> {
        match host.parse::<IpAddr>() {
            Ok(ip) => TargetAddr::Ip(SocketAddr::new(ip, port)),
            Err(_) => TargetAddr::Domain(host, port),
        }
    }
}

/// A stream that first yields bytes read past a handshake's end, then reads from the stream.
/// Writes go straight through.
#[derive(Debug)]
pub struct Prefixed<S> {
    early: Bytes,
    inner: S,
}

impl<S> Prefixed<S> {
    /// `inner`, whose reads start with `early` (bytes already read from it).
    pub fn new(early: Bytes, inner: S) -> Self {
        Prefixed { early, inner }
    }

    /// The bytes still to be replayed before reading from the stream.
    pub fn early(&self) -> &[u8] {
        &self.early
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.early.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = this.early.len().min(buf.remaining());
        buf.put_slice(&this.early.split_to(n));
        if this.early.is_empty() {
            // Let go of the buffer they came in: the connection may live long.
            this.early = Bytes::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
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

/// The `CONNECT` request for `host:port` (IPv6 hosts bracketed), with `Proxy-Authorization:
/// Basic` when credentials are given.
pub fn connect_request(
    host: &str,
    port: u16,
    credentials: Option<&Credentials>,
) -> Result<String, HandshakeError> {
    if host.is_empty()
        || host
            .bytes()
            .any(|b| b.is_ascii_control() || b.is_ascii_whitespace())
    {
        return Err(HandshakeError::BadTarget(
            "empty, or contains spaces or control characters",
        ));
    }
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(c) = credentials {
        let pair = format!("{}:{}", c.user.expose(), c.password.expose());
        req.push_str("Proxy-Authorization: Basic ");
        req.push_str(&base64(pair.as_bytes()));
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    Ok(req)
}

/// Asks an HTTP proxy to open a tunnel to `host:port` and waits for a 2xx head. Any bytes the
/// proxy sent after the head are kept and replayed by the returned stream.
pub async fn http_connect<S>(
    mut stream: S,
    host: &str,
    port: u16,
    credentials: Option<&Credentials>,
) -> Result<Prefixed<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let req = connect_request(host, port, credentials)?;
    stream.write_all(req.as_bytes()).await?;
    stream.flush().await?;

    let mut buf = BytesMut::with_capacity(512);
    let end = loop {
        if buf.len() >= MAX_CONNECT_HEAD {
            return Err(HandshakeError::HeadTooLarge);
        }
        // Never read further than the limit, so a hostile proxy cannot make us buffer more.
        let room = MAX_CONNECT_HEAD - buf.len();
        let n = (&mut stream).take(room as u64).read_buf(&mut buf).await?;
        if n == 0 {
            return Err(HandshakeError::Closed);
        }
        // The terminator may straddle two reads: search from a little before the new bytes.
        let from = buf.len().saturating_sub(n + 3);
        let Some(tail) = buf.get(from..) else {
            continue;
        };
        if let Some(at) = memchr::memmem::find(tail, b"\r\n\r\n") {
            break from + at + 4;
        }
    };
    let head = buf.split_to(end);
    check_connect_status(&head)?;
    Ok(Prefixed::new(buf.freeze(), stream))
}

/// Checks the status line of a `CONNECT` response head: `HTTP/1.x 2xx` passes.
fn check_connect_status(head: &[u8]) -> Result<(), HandshakeError> {
    let line_end = memchr::memmem::find(head, b"\r\n").unwrap_or(head.len());
    let line = head.get(..line_end).unwrap_or_default();
    let rest = line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| line.strip_prefix(b"HTTP/1.0 "))
        .ok_or(HandshakeError::Malformed(
            "the CONNECT reply is not HTTP/1.x",
        ))?;
    let code = rest.get(..3).unwrap_or_default();
    let after = rest.get(3..).unwrap_or_default();
    if code.len() != 3
        || !code.iter().all(u8::is_ascii_digit)
        || !(after.is_empty() || after.starts_with(b" "))
    {
        return Err(HandshakeError::Malformed(
            "the CONNECT reply has no status code",
        ));
    }
    let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if (200..300).contains(&status) {
        return Ok(());
    }
    let reason: String = String::from_utf8_lossy(after)
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    Err(HandshakeError::Status { status, reason })
}

/// SOCKS protocol version 5.
const SOCKS5: u8 = 5;
/// RFC 1928 method "no authentication required".
const NO_AUTH: u8 = 0x00;
/// RFC 1928 method "username/password" (RFC 1929).
const USER_PASS: u8 = 0x02;
/// RFC 1928 "no acceptable methods".
const NO_ACCEPTABLE: u8 = 0xFF;

/// The SOCKS5 greeting: offers "no authentication", plus username/password when we have them.
pub fn socks5_greeting(credentials: Option<&Credentials>) -> &'static [u8] {
    match credentials {
        Some(_) => &[SOCKS5, 2, NO_AUTH, USER_PASS],
        None => &[SOCKS5, 1, NO_AUTH],
    }
}

/// The RFC 1929 username/password request.
pub fn socks5_auth_request(c: &Credentials) -> Result<Vec<u8>, HandshakeError> {
    let (user, pass) = (c.user.expose().as_bytes(), c.password.expose().as_bytes());
    let (Ok(ulen), Ok(plen)) = (u8::try_from(user.len()), u8::try_from(pass.len())) else {
        return Err(HandshakeError::CredentialLength);
    };
    if ulen == 0 || plen == 0 {
        return Err(HandshakeError::CredentialLength);
    }
    let mut req = Vec::with_capacity(3 + user.len() + pass.len());
    req.extend_from_slice(&[1, ulen]);
    req.extend_from_slice(user);
    req.push(plen);
    req.extend_from_slice(pass);
    Ok(req)
}

/// The RFC 1928 `CONNECT` request for `target`.
pub fn socks5_connect_request(target: TargetAddr<'_>) -> Result<Vec<u8>, HandshakeError> {
    let mut req = vec![SOCKS5, 1, 0];
    let port = match target {
        TargetAddr::Ip(SocketAddr::V4(a)) => {
            req.push(1);
            req.extend_from_slice(&a.ip().octets());
            a.port()
        }
        TargetAddr::Ip(SocketAddr::V6(a)) => {
            req.push(4);
            req.extend_from_slice(&a.ip().octets());
            a.port()
        }
        TargetAddr::Domain(name, port) => {
            let len = u8::try_from(name.len()).ok().filter(|n| *n > 0).ok_or(
                HandshakeError::BadTarget("a SOCKS5 host name must be 1-255 bytes"),
            )?;
            req.push(3);
            req.push(len);
            req.extend_from_slice(name.as_bytes());
            port
        }
    };
    req.extend_from_slice(&port.to_be_bytes());
    Ok(req)
}

/// Runs the SOCKS5 handshake on `stream` so that it then carries a tunnel to `target`.
pub async fn socks5_connect<S>(
    stream: &mut S,
    target: TargetAddr<'_>,
    credentials: Option<&Credentials>,
) -> Result<(), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Build everything first, so a bad target or credential fails before any byte is sent.
    let connect = socks5_connect_request(target)?;
    let auth = credentials.map(socks5_auth_request).transpose()?;

    stream.write_all(socks5_greeting(credentials)).await?;
    stream.flush().await?;
    let [version, method] = read_array::<_, 2>(stream).await?;
    if version != SOCKS5 {
        return Err(HandshakeError::Malformed("not a SOCKS5 reply"));
    }
    match (method, auth) {
        (NO_AUTH, _) => {}
        (USER_PASS, Some(auth)) => {
            stream.write_all(&auth).await?;
            stream.flush().await?;
            // RFC 1929 says version 1; some servers echo 5. Only the status matters.
            let [_, status] = read_array::<_, 2>(stream).await?;
            if status != 0 {
                return Err(HandshakeError::AuthRejected);
            }
        }
        (NO_ACCEPTABLE, None) => return Err(HandshakeError::AuthRequired),
        (NO_ACCEPTABLE, Some(_)) => return Err(HandshakeError::NoAcceptableMethod),
        _ => {
            return Err(HandshakeError::Malformed(
                "the proxy chose an authentication method that was not offered",
            ))
        }
    }

    stream.write_all(&connect).await?;
    stream.flush().await?;
    let [version, reply, _reserved, address_type] = read_array::<_, 4>(stream).await?;
    if version != SOCKS5 {
        return Err(HandshakeError::Malformed("not a SOCKS5 reply"));
    }
    if reply != 0 {
        return Err(HandshakeError::Socks { code: reply });
    }
    // The bound address is of no use to us, but it must be consumed before the tunnel starts.
    let bound = match address_type {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let [len] = read_array::<_, 1>(stream).await?;
            usize::from(len) + 2
        }
        _ => return Err(HandshakeError::Malformed("unknown SOCKS5 address type")),
    };
    let mut skip = [0u8; 255 + 2];
    let skip = skip
        .get_mut(..bound)
        .ok_or(HandshakeError::Malformed("SOCKS5 bound address too long"))?;
    read_exact(stream, skip).await
}

async fn read_array<S: AsyncRead + Unpin, const N: usize>(
    stream: &mut S,
) -> Result<[u8; N], HandshakeError> {
    let mut buf = [0u8; N];
    read_exact(stream, &mut buf).await?;
    Ok(buf)
}

async fn read_exact<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
) -> Result<(), HandshakeError> {
    match stream.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(HandshakeError::Closed),
        Err(e) => Err(HandshakeError::Io(e)),
    }
}

/// Standard base64 with padding (RFC 4648 §4), for `Proxy-Authorization: Basic`.
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let mut bytes = [0u8; 3];
        for (slot, b) in bytes.iter_mut().zip(chunk) {
            *slot = *b;
        }
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (n >> (18 - 6 * i)) & 63;
                let c = ALPHABET.get(index as usize).copied().unwrap_or(b'=');
                out.push(char::from(c));
            } else {
                out.push('=');
            }
        }
    }
    out
}
