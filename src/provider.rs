//! Upstream kinds: for each, how to build the upstream request (URL, headers, auth) from an
//! already-translated body. Pure: no I/O, no runtime. Credentials go only into sensitive
//! header values, which `http` never prints.

pub mod claude;
pub mod codex;
pub mod gemini;
pub mod openai_compat;
pub mod vertex;

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::HeaderMap;

use crate::error::{Error, Kind};

/// Why a request to an entry whose `base-url` does not parse fails.
const BAD_URL: &str = "base-url does not form a valid URL";

/// A POST with a JSON body and the `Accept` a stream or a single answer needs.
fn json_post(
    url: &str,
    body: Bytes,
    stream: bool,
    who: &dyn fmt::Display,
) -> Result<http::Request<Bytes>, Error> {
    let mut req = http::Request::post(url)
        .body(body)
        .map_err(|_| bad_entry(who, BAD_URL))?;
    json_headers(req.headers_mut(), stream);
    Ok(req)
}

/// The `Content-Type` of a JSON body and the `Accept` a stream or a single answer needs.
fn json_headers(h: &mut HeaderMap, stream: bool) {
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(
        ACCEPT,
        HeaderValue::from_static(if stream {
            "text/event-stream"
        } else {
            "application/json"
        }),
    );
}

/// A JSON POST carrying a credential in header `auth` (marked sensitive), with the credential's
/// extra `headers` applied last.
fn authed_post(
    url: &str,
    body: Bytes,
    stream: bool,
    auth: (HeaderName, &str),
    headers: &BTreeMap<String, String>,
    who: &dyn fmt::Display,
) -> Result<http::Request<Bytes>, Error> {
    let mut req = json_post(url, body, stream, who)?;
    let h = req.headers_mut();
    h.insert(auth.0, secret_header(auth.1, who)?);
    apply_headers(h, headers, who)?;
    Ok(req)
}

/// A header value carrying a credential: marked sensitive so it is never printed.
fn secret_header(value: &str, who: &dyn fmt::Display) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::try_from(value)
        .map_err(|_| bad_entry(who, "api-key contains characters not allowed in a header"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Applies an entry's `headers` last, so they may override anything the gateway set.
fn apply_headers(
    h: &mut HeaderMap,
    extra: &BTreeMap<String, String>,
    who: &dyn fmt::Display,
) -> Result<(), Error> {
    for (name, value) in extra {
        let (n, v) = header(name, value, who)?;
        h.insert(n, v);
    }
    Ok(())
}

/// One of an entry's `headers`, validated.
fn header(
    name: &str,
    value: &str,
    who: &dyn fmt::Display,
) -> Result<(HeaderName, HeaderValue), Error> {
    match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        (Ok(n), Ok(v)) => Ok((n, v)),
        _ => Err(bad_entry(who, "headers contain an invalid name or value")),
    }
}

/// The configured base URL, or the provider's default, without a trailing slash.
fn base<'a>(configured: &'a str, default: &'a str) -> &'a str {
    let b = configured.trim();
    if b.is_empty() {
        default
    } else {
        b.trim_end_matches('/')
    }
}

fn bad_entry(who: &dyn fmt::Display, what: &str) -> Error {
    Error::new(Kind::Internal, format!("{who}: {what}"))
}
