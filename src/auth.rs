//! Client authentication: which key a request presents, and whether it is one of `api-keys`.
//! Keys are compared as SHA-256 digests in constant time, so neither the content nor the
//! length of a configured key leaks through timing. Upstream credentials live in the
//! submodules: the auth-file format, Vertex service accounts, refresh timing and the shared
//! token state. Pure: no I/O (the control thread does the reading and the token requests).

pub mod accounts;
pub mod file;
pub mod refresh;
pub mod vertex;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Secret;

/// The configured client keys, kept only as digests.
#[derive(Clone, Default)]
pub struct ClientKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKeys({} keys)", self.digests.len())
    }
}

/// The outcome of checking a request's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `api-keys` is empty: everything is allowed.
    Open,
    /// The presented key matched.
    Allowed,
    /// No key was presented.
    Missing,
    /// A key was presented but is not configured.
    Invalid,
}

impl ClientKeys {
    /// Builds the digest list from `api-keys`; empty entries are ignored.
    pub fn new(keys: &[Secret]) -> Self {
        let digests = keys
            .iter()
            .map(Secret::expose)
            .filter(|k| !k.is_empty())
            .map(digest)
            .collect();
        ClientKeys { digests }
    }

    /// Whether access is open (no keys configured).
    pub fn is_open(&self) -> bool {
        self.digests.is_empty()
    }

    /// Checks a presented key. Every configured digest is compared, match or not.
    pub fn check(&self, presented: Option<&str>) -> Verdict {
        if self.digests.is_empty() {
            return Verdict::Open;
        }
        let Some(presented) = presented.filter(|k| !k.is_empty()) else {
            return Verdict::Missing;
        };
        let d = digest(presented);
        let mut hit = subtle::Choice::from(0);
        for known in &self.digests {
            hit |= known.ct_eq(&d);
        }
        if bool::from(hit) {
            Verdict::Allowed
        } else {
            Verdict::Invalid
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Finds the client key a request presents, in CLIProxyAPI's order: `Authorization: Bearer`,
/// `x-goog-api-key`, `x-api-key`, then the `key` or `auth_token` query parameter.
pub fn presented_key<'a>(headers: &'a http::HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        let token = v
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .and_then(|_| v.get(7..))
            .unwrap_or(v);
        if !token.trim().is_empty() {
            return Some(token.trim());
        }
    }
    for name in ["x-goog-api-key", "x-api-key"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            if !v.trim().is_empty() {
                return Some(v.trim());
            }
        }
    }
    let query = query?;
    for wanted in ["key", "auth_token"] {
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k == wanted && !v.is_empty() {
                return Some(v);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ClientKeys {
        ClientKeys::new(&[Secret::new("alpha"), Secret::new(""), Secret::new("beta")])
    }

    #[test]
    fn verdicts() {
        let k = keys();
        assert_eq!(k.check(Some("alpha")), Verdict::Allowed);
        assert_eq!(k.check(Some("beta")), Verdict::Allowed);
        assert_eq!(k.check(Some("alph")), Verdict::Invalid);
        assert_eq!(k.check(Some("")), Verdict::Missing);
        assert_eq!(k.check(None), Verdict::Missing);
        assert_eq!(ClientKeys::new(&[]).check(None), Verdict::Open);
        assert_eq!(format!("{k:?}"), "ClientKeys(2 keys)");
    }

    #[test]
    fn key_locations() {
        let mut h = http::HeaderMap::new();
        assert_eq!(presented_key(&h, Some("a=1&key=q1")), Some("q1"));
        assert_eq!(presented_key(&h, Some("auth_token=t1")), Some("t1"));
        assert_eq!(presented_key(&h, Some("key=")), None);
        h.insert("x-api-key", "xa".parse().unwrap());
        assert_eq!(presented_key(&h, Some("key=q1")), Some("xa"));
        h.insert("x-goog-api-key", "xg".parse().unwrap());
        assert_eq!(presented_key(&h, None), Some("xg"));
        h.insert("authorization", "Bearer  tok ".parse().unwrap());
        assert_eq!(presented_key(&h, None), Some("tok"));
        h.insert("authorization", "bearer low".parse().unwrap());
        assert_eq!(presented_key(&h, None), Some("low"));
        h.insert("authorization", "rawvalue".parse().unwrap());
        assert_eq!(presented_key(&h, None), Some("rawvalue"));
    }
}
