//! `proxy-url`: parsing a proxy setting (`http`, `https`, `socks5`, `socks5h`, or `direct`/`none`),
//! choosing the one a request uses (credential → global → direct, REFERENCE §9.2), and the tunnel
//! handshakes in [`handshake`]. Parsing and choosing are pure. Credentials never appear in
//! `Debug`, `Display` or error messages: only the proxy's scheme, host and port do.

pub mod handshake;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use crate::config::Secret;

/// How the gateway talks to a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`: plain TCP to the proxy, then `CONNECT host:port`. Plain-http upstreams are
    /// tunnelled too (no absolute-form forwarding), which works with every CONNECT proxy.
    Http,
    /// `https://`: TLS to the proxy itself (SNI = the proxy's host), then `CONNECT`.
    Https,
    /// `socks5://`: the gateway resolves the target and sends its IP address.
    Socks5,
    /// `socks5h://`: the proxy resolves the target; the gateway sends the host name.
    Socks5h,
}

impl Scheme {
    /// The URL scheme, lower-case.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Socks5 => "socks5",
            Scheme::Socks5h => "socks5h",
        }
    }

    /// The port used when the URL names none: 80, 443, or SOCKS's 1080.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
            Scheme::Socks5 | Scheme::Socks5h => 1080,
        }
    }

    fn from_name(name: &str) -> Option<Scheme> {
        [Scheme::Http, Scheme::Https, Scheme::Socks5, Scheme::Socks5h]
            .into_iter()
            .find(|s| name.eq_ignore_ascii_case(s.as_str()))
    }
}

/// `user:password` from a proxy URL, percent-decoded. Both parts are secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User name (SOCKS5 `UNAME`, or the part before `:` in `Proxy-Authorization: Basic`).
    pub user: Secret,
    /// Password.
    pub password: Secret,
}

/// A proxy to tunnel upstream connections through. `Display` is `scheme://host:port` (never the
/// credentials), fit for logs and error messages; `Debug` shows `*****` for credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    scheme: Scheme,
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    key: String,
}

impl Proxy {
    /// How to talk to the proxy.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The proxy's host name or IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `user:password` when the URL has them.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Identity for connection pooling: scheme, host, port and (as an in-process hash, never
    /// the text) the credentials. Two proxies with equal keys may share tunnelled connections.
    pub fn pool_key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = if self.credentials.is_some() {
            "*****@"
        } else {
            ""
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "Proxy({}://{auth}{host}:{})",
            self.scheme.as_str(),
            self.port
        )
    }
}

/// A parsed, non-empty `proxy-url` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyUrl {
    /// `direct` or `none` (any case): connect directly, even when a global proxy is set.
    Bypass,
    /// Tunnel through this proxy.
    Via(Proxy),
}

/// What the config check promises a proxy URL is; kept word for word with `config::check`.
const EXPECTED: &str =
    "expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none";

/// Why a `proxy-url` value cannot be used. Messages never include the credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// No `scheme://` at all.
    #[error("{EXPECTED}: no scheme")]
    NoScheme,
    /// A scheme other than the four supported.
    #[error("{EXPECTED}, got scheme {scheme:?}")]
    Scheme {
        /// The scheme found.
        scheme: String,
    },
    /// Nothing between `scheme://` (or `@`) and the port.
    #[error("{EXPECTED}: the URL has no host")]
    MissingHost,
    /// The port is not a number from 1 to 65535.
    #[error("{EXPECTED}: port must be 1-65535, got {port:?}")]
    Port {
        /// The text after the host's `:`.
        port: String,
    },
    /// A `%` in the user info is not followed by two hex digits.
    #[error("{EXPECTED}: the user info has a bad %-escape")]
    Escape,
    /// The decoded user info is not UTF-8.
    #[error("{EXPECTED}: the decoded user info is not UTF-8")]
    NotUtf8,
}

impl ProxyUrl {
    /// Parses a `proxy-url` value. `Ok(None)` for an empty (or blank) value, which means "not
    /// set". A path, query or fragment after the authority is ignored, as Go's client does.
    pub fn parse(text: &str) -> Result<Option<ProxyUrl>, ProxyError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.eq_ignore_ascii_case("direct") || text.eq_ignore_ascii_case("none") {
            return Ok(Some(ProxyUrl::Bypass));
        }
        let (scheme, rest) = text.split_once("://").ok_or(ProxyError::NoScheme)?;
        let scheme = Scheme::from_name(scheme).ok_or_else(|| ProxyError::Scheme {
            scheme: scheme.to_owned(),
        })?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port)?;
        let port = match port {
            // `host:` with nothing after the colon means the default port, as in Go.
            None | Some("") => scheme.default_port(),
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|n| *n != 0 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ProxyError::Port { port: p.to_owned() })?,
        };
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(ProxyError::MissingHost);
        }
        let credentials = match userinfo {
            None => None,
            Some(info) => {
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                let (user, password) = (percent_decode(user)?, percent_decode(password)?);
                (!user.is_empty() || !password.is_empty()).then(|| Credentials {
                    user: Secret::new(user),
                    password: Secret::new(password),
                })
            }
        };
        let host = host.to_ascii_lowercase();
        let mut key = format!("{}://", scheme.as_str());
        if host.contains(':') {
            key.push_str(&format!("[{host}]:{port}"));
        } else {
            key.push_str(&format!("{host}:{port}"));
        }
        if let Some(c) = &credentials {
            key.push_str(&format!("#{:016x}", credentials_hash(c)));
        }
        Ok(Some(ProxyUrl::Via(Proxy {
            scheme,
            host,
            port,
            credentials,
            key,
        })))
    }
}

/// The proxy one request goes through (REFERENCE §9.2): the credential's own `proxy-url` wins,
/// and `direct`/`none` there bypasses the global one; otherwise the global `proxy-url`;
/// otherwise none. A global `direct`/`none` also means none. Allocates nothing when both are empty.
pub fn choose(credential: &str, global: &str) -> Result<Option<Proxy>, ProxyError> {
    match ProxyUrl::parse(credential)? {
        Some(ProxyUrl::Bypass) => Ok(None),
        Some(ProxyUrl::Via(p)) => Ok(Some(p)),
        None => match ProxyUrl::parse(global)? {
            Some(ProxyUrl::Via(p)) => Ok(Some(p)),
            Some(ProxyUrl::Bypass) | None => Ok(None),
        },
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` → (host without brackets, port text).
fn split_host_port(s: &str) -> Result<(&str, Option<&str>), ProxyError> {
    if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(ProxyError::MissingHost)?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(ProxyError::Port {
                    port: after.to_owned(),
                }),
            },
        };
    }
    Ok(match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    })
}

/// Decodes `%XX` escapes (RFC 3986 user info); the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, ProxyError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let (Some(hi), Some(lo)) = (
            bytes.next().and_then(hex_digit),
            bytes.next().and_then(hex_digit),
        ) else {
            return Err(ProxyError::Escape);
        };
        out.push(hi << 4 | lo);
    }
    String::from_utf8(out).map_err(|_| ProxyError::NotUtf8)
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// A per-process keyed hash of the credentials: stable while the process lives, so equal
/// proxies share a pool key, and meaningless outside it.
fn credentials_hash(c: &Credentials) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new)
        .hash_one((c.user.expose(), c.password.expose()))
}

#[cfg(test)]
mod tests;
