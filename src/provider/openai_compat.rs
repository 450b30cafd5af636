//! OpenAI-compatible upstreams (`openai-compatibility` entries: OpenRouter, local servers, ...):
//! `POST {base-url}/chat/completions` with `Authorization: Bearer <entry key>`, and what their
//! error answers mean for routing.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};
use http::{HeaderMap, Method, StatusCode, Uri};

use crate::config::OpenAiCompatibility;
use crate::error::Error;
use crate::route::{self, Outcome};
use crate::upstream::{h1, Outgoing};

/// The `User-Agent` CLIProxyAPI sends to OpenAI-compatible upstreams; some providers key
/// their allow-lists on it, so we keep it.
pub const USER_AGENT_VALUE: &str = "cli-proxy-openai-compat";

/// What an entry's requests need that depends only on the config, parsed and validated once
/// per snapshot: the chat-completions URL, the entry's `headers`, and the `Authorization`
/// value of each key. A part the config gets wrong keeps the error its requests fail with,
/// so a bad entry (or key) fails only its own requests. `Debug` shows no key and no header
/// value.
pub struct Prebuilt {
    /// `{base-url}/chat/completions`.
    uri: Result<Uri, Error>,
    /// The entry's `headers`, in config order.
    headers: Result<Vec<(HeaderName, HeaderValue)>, Error>,
    /// `Bearer <key>` (sensitive) per `api-key-entries` entry; `None` for an empty key.
    keys: Vec<Result<Option<HeaderValue>, Error>>,
    /// The serialised header lines of [`build_request`] per key (the last for no key), for a
    /// single answer and for a stream.
    lines: Vec<Result<[Bytes; 2], Error>>,
}

impl Prebuilt {
    /// Parses and validates what requests to `entry` need.
    pub fn new(entry: &OpenAiCompatibility) -> Prebuilt {
        let who = Named(&entry.name);
        let url = format!("{}/chat/completions", entry.base_url.trim_end_matches('/'));
        let keys = entry.api_key_entries.iter().map(|e| {
            let key = e.api_key.expose();
            if key.is_empty() {
                return Ok(None);
            }
            super::secret_header(&format!("Bearer {key}"), &who).map(Some)
        });
        let mut built = Prebuilt {
            uri: Uri::try_from(url).map_err(|_| super::bad_entry(&who, super::BAD_URL)),
            headers: entry
                .headers
                .iter()
                .map(|(name, value)| super::header(name, value, &who))
                .collect(),
            keys: keys.collect(),
            lines: Vec::new(),
        };
        let keys = (0..built.keys.len()).map(Some).chain([None]);
        built.lines = keys
            .map(|key| {
                let lines = |stream| -> Result<Bytes, Error> {
                    let req = build_request(&built, key, Bytes::new(), stream)?;
                    let mut out = Vec::new();
                    h1::encode_header_lines(&mut out, req.headers());
                    Ok(Bytes::from(out))
                };
                Ok([lines(false)?, lines(true)?])
            })
            .collect();
        built
    }

    /// The request [`build_request`] gives, with its header lines serialised ahead of time.
    pub fn post(&self, key: Option<usize>, body: Bytes, stream: bool) -> Result<Outgoing, Error> {
        let at = key
            .filter(|&k| k < self.keys.len())
            .unwrap_or(self.keys.len());
        let uri = self.uri.as_ref().map_err(Error::clone)?;
        match self.lines.get(at) {
            Some(Ok([single, streamed])) => Ok(Outgoing::Post {
                uri: uri.clone(),
                lines: if stream { streamed } else { single }.clone(),
                body,
            }),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Error::new(
                crate::error::Kind::Internal,
                "routing table out of date",
            )),
        }
    }
}

impl fmt::Debug for Prebuilt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |h: &Vec<(HeaderName, HeaderValue)>| -> Vec<HeaderName> {
            h.iter().map(|(n, _)| n.clone()).collect()
        };
        f.debug_struct("Prebuilt")
            .field("uri", &self.uri)
            .field("headers", &self.headers.as_ref().map(names))
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// Builds the upstream chat-completions request with the entry's key number `key` (none, or
/// an empty key: no `Authorization`). The client's key is never forwarded: only the entry's
/// own. Entry `headers` are applied last and may override anything. Fails as the entry's
/// config does: a bad `base-url`, then a bad key, then bad `headers`.
pub fn build_request(
    entry: &Prebuilt,
    key: Option<usize>,
    body: Bytes,
    stream: bool,
) -> Result<http::Request<Bytes>, Error> {
    let uri = entry.uri.as_ref().map_err(Error::clone)?;
    let auth = match key.and_then(|k| entry.keys.get(k)) {
        Some(Err(e)) => return Err(e.clone()),
        Some(Ok(auth)) => auth.as_ref(),
        None => None,
    };
    let extra = entry.headers.as_ref().map_err(Error::clone)?;
    let mut h = HeaderMap::with_capacity(4 + extra.len());
    super::json_headers(&mut h, stream);
    h.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if let Some(auth) = auth {
        h.insert(AUTHORIZATION, auth.clone());
    }
    for (name, value) in extra {
        h.insert(name.clone(), value.clone());
    }
    let mut req = http::Request::new(body);
    *req.method_mut() = Method::POST;
    *req.uri_mut() = uri.clone();
    *req.headers_mut() = h;
    Ok(req)
}

/// Names the entry in an error message; formatted only when an error needs it.
struct Named<'a>(&'a str);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "openai-compatibility entry `{}`", self.0)
    }
}

/// What a non-2xx answer from an OpenAI-compatible upstream means for routing. These are API
/// keys, so nothing is ever refreshed: the shared HTTP table ([`route::classify::by_status`])
/// applies as is. OpenAI's `insufficient_quota` 429 carries no reset time, so it backs off
/// exponentially like any other 429 without a hint.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Outcome {
    route::classify::by_status(status, headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::config::{ApiKeyEntry, Secret};
    use crate::error::Kind;

    fn entry(base_url: &str, headers: &[(&str, &str)], keys: &[&str]) -> OpenAiCompatibility {
        OpenAiCompatibility {
            name: "or".into(),
            base_url: base_url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            api_key_entries: keys
                .iter()
                .map(|k| ApiKeyEntry {
                    api_key: Secret::new(*k),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// The request for `entry` with its key number `key`, as the pipeline asks for it.
    fn request(
        entry: &OpenAiCompatibility,
        key: Option<usize>,
        stream: bool,
    ) -> Result<http::Request<Bytes>, Error> {
        build_request(
            &Prebuilt::new(entry),
            key,
            Bytes::from_static(b"{}"),
            stream,
        )
    }

    /// Every header in the order it goes on the wire: name, value, sensitive.
    fn wire(req: &http::Request<Bytes>) -> Vec<(String, String, bool)> {
        req.headers()
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value, v.is_sensitive())
            })
            .collect()
    }

    fn headers(rows: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
        rows.iter()
            .map(|(n, v, s)| (n.to_string(), v.to_string(), *s))
            .collect()
    }

    #[test]
    fn builds_url_auth_and_entry_headers() {
        let e = entry(
            "https://openrouter.ai/api/v1/",
            &[("X-Title", "cliproxy"), ("user-agent", "custom")],
            &["sk-up", ""],
        );
        let req = request(&e, Some(0), true).unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.version(), http::Version::HTTP_11);
        assert_eq!(req.uri(), "https://openrouter.ai/api/v1/chat/completions");
        assert_eq!(req.body(), &Bytes::from_static(b"{}"));
        assert_eq!(
            wire(&req),
            headers(&[
                ("content-type", "application/json", false),
                ("accept", "text/event-stream", false),
                ("user-agent", "custom", false),
                ("authorization", "Bearer sk-up", true),
                ("x-title", "cliproxy", false),
            ])
        );
        let no_auth = headers(&[
            ("content-type", "application/json", false),
            ("accept", "application/json", false),
            ("user-agent", "custom", false),
            ("x-title", "cliproxy", false),
        ]);
        // No key, an empty key, or a key number past the list: no Authorization at all.
        for key in [None, Some(1), Some(2)] {
            let req = request(&e, key, false).unwrap();
            assert_eq!(wire(&req), no_auth, "{key:?}");
        }
    }

    #[test]
    fn the_defaults_without_entry_headers() {
        let e = entry("http://127.0.0.1:8080/v1", &[], &["k"]);
        let req = request(&e, Some(0), false).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(
            wire(&req),
            headers(&[
                ("content-type", "application/json", false),
                ("accept", "application/json", false),
                ("user-agent", USER_AGENT_VALUE, false),
                ("authorization", "Bearer k", true),
            ])
        );
    }

    #[test]
    fn entry_headers_override_authorization_and_user_agent() {
        let e = entry(
            "https://up.example/v1",
            &[
                ("Authorization", "Token other"),
                ("Accept", "*/*"),
                ("User-Agent", "mine"),
            ],
            &["sk-up"],
        );
        for key in [Some(0), None] {
            let req = request(&e, key, true).unwrap();
            // The entry's values take the gateway's places; its Authorization is not marked
            // sensitive, and stands last even with no key of the gateway's before it.
            let want = headers(&[
                ("content-type", "application/json", false),
                ("accept", "*/*", false),
                ("user-agent", "mine", false),
                ("authorization", "Token other", false),
            ]);
            assert_eq!(wire(&req), want, "{key:?}");
        }
    }

    fn entry_error(e: Result<http::Request<Bytes>, Error>) -> (Kind, String) {
        let e = e.unwrap_err();
        (e.kind, e.message)
    }

    #[test]
    fn a_bad_base_url_fails_every_request_of_the_entry() {
        let want = (
            Kind::Internal,
            "openai-compatibility entry `or`: base-url does not form a valid URL".to_owned(),
        );
        for base in [
            "http://exa mple.com/v1",
            "http://[::1/v1",
            "https://up\u{7f}.example",
        ] {
            // Checked before the key and the headers, which are bad too here.
            let e = entry(base, &[("bad name", "v")], &["ok", "bad\nkey"]);
            for key in [None, Some(0), Some(1)] {
                assert_eq!(entry_error(request(&e, key, false)), want, "{base} {key:?}");
            }
        }
    }

    #[test]
    fn a_key_with_bad_characters_fails_only_its_own_requests() {
        let e = entry(
            "https://up.example",
            &[],
            &["ok", "sk-\r\nX-Evil: 1", "sk-\u{7f}"],
        );
        let want = (
            Kind::Internal,
            "openai-compatibility entry `or`: api-key contains characters not allowed in a header"
                .to_owned(),
        );
        for key in [1, 2] {
            let got = entry_error(request(&e, Some(key), false));
            assert_eq!(got, want, "{key}");
            assert!(!got.1.contains("sk-"));
        }
        assert_eq!(
            request(&e, Some(0), false).unwrap().headers()["authorization"],
            "Bearer ok"
        );
        assert!(request(&e, None, false).is_ok());
    }

    #[test]
    fn an_invalid_entry_header_fails_every_request_of_the_entry() {
        let want = (
            Kind::Internal,
            "openai-compatibility entry `or`: headers contain an invalid name or value".to_owned(),
        );
        for (name, value) in [
            ("bad name", "v"),
            ("", "v"),
            ("x-ok", "a\r\nb"),
            ("x-ok", "\u{7f}"),
        ] {
            // Checked after the key: a bad key is reported first.
            let e = entry(
                "https://up.example",
                &[("x-fine", "1"), (name, value)],
                &["ok", "bad\nkey"],
            );
            for key in [None, Some(0)] {
                assert_eq!(
                    entry_error(request(&e, key, false)),
                    want,
                    "{name:?} {key:?}"
                );
            }
            assert!(entry_error(request(&e, Some(1), false))
                .1
                .contains("api-key"));
        }
    }

    #[test]
    fn one_prebuilt_entry_serves_many_requests_alike() {
        let e = entry("https://up.example/v1", &[("x-team", "a")], &["k0", "k1"]);
        let built = Prebuilt::new(&e);
        for round in 0..3 {
            for key in [Some(0), Some(1), None] {
                let body = Bytes::from(format!("{{\"n\":{round}}}"));
                let req = build_request(&built, key, body.clone(), round == 1).unwrap();
                assert_eq!(req.uri(), "https://up.example/v1/chat/completions");
                assert_eq!(req.body(), &body);
                assert_eq!(
                    req.headers()
                        .get("authorization")
                        .map(|v| v.to_str().unwrap()),
                    key.map(|k| format!("Bearer k{k}")).as_deref(),
                );
                assert_eq!(req.headers()["x-team"], "a");
            }
        }
    }

    /// The wire bytes of a request as the upstream client writes it.
    fn wire_bytes(req: Outgoing) -> Vec<u8> {
        let mut out = Vec::new();
        match req {
            Outgoing::Request(r) => {
                h1::encode_request(&mut out, r.method(), "/p", "h", r.headers(), r.body())
            }
            Outgoing::Post { lines, body, .. } => {
                h1::encode_with_lines(&mut out, &Method::POST, "/p", "h", &body, |out| {
                    out.extend_from_slice(&lines)
                })
            }
        }
        out
    }

    #[test]
    fn serialised_posts_are_the_built_requests_byte_for_byte() {
        let entries = [
            entry("https://up.example/v1/", &[], &["k0", "", "k2"]),
            entry(
                "http://127.0.0.1:9/v1",
                &[("Authorization", "Bearer own"), ("X-Team", "a")],
                &["k0"],
            ),
            entry("https://up.example", &[("accept", "*/*")], &[]),
        ];
        for e in &entries {
            let built = Prebuilt::new(e);
            for key in [None, Some(0), Some(1), Some(2), Some(7)] {
                for stream in [false, true] {
                    let body = Bytes::from_static(b"{\"model\":\"m\"}");
                    let want = build_request(&built, key, body.clone(), stream).unwrap();
                    let got = built.post(key, body, stream).unwrap();
                    let Outgoing::Post { uri, .. } = &got else {
                        panic!("not serialised ahead of time");
                    };
                    assert_eq!(uri, want.uri());
                    assert_eq!(
                        String::from_utf8(wire_bytes(got)).unwrap(),
                        String::from_utf8(wire_bytes(Outgoing::Request(want))).unwrap(),
                        "{key:?} {stream}"
                    );
                }
            }
        }
    }

    #[test]
    fn serialised_posts_fail_as_the_built_requests_do() {
        let cases = [
            entry("http://bad url", &[], &["k0"]),
            entry("https://up.example", &[], &["sk-\nbad"]),
            entry("https://up.example", &[("bad name", "v")], &["k0"]),
        ];
        for e in &cases {
            let built = Prebuilt::new(e);
            for key in [None, Some(0)] {
                let want = build_request(&built, key, Bytes::new(), false).map(|_| ());
                let got = built.post(key, Bytes::new(), false).map(|_| ());
                assert_eq!(
                    got.map_err(|e| (e.kind, e.to_string())),
                    want.map_err(|e| (e.kind, e.to_string())),
                    "{key:?}"
                );
            }
        }
    }

    #[test]
    fn debug_shows_no_key_and_no_header_value() {
        for base in ["https://up.example", "http://bad url"] {
            let e = entry(
                base,
                &[("x-api-key", "hdr-secret-1")],
                &["sk-secret-2", "", "sk-\nsecret-3"],
            );
            let shown = format!("{:?}", Prebuilt::new(&e));
            assert!(shown.contains("x-api-key"), "{shown}");
            for secret in ["hdr-secret-1", "secret-2", "secret-3", "Bearer"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }

    mod classification {
        use super::super::classify;
        use crate::route::classify::{
            AUTH_COOLDOWN, MODEL_SUSPENSION, NOT_FOUND_COOLDOWN, TRANSIENT_COOLDOWN,
        };
        use crate::route::{Outcome, Penalty, Reason};
        use http::{HeaderMap, StatusCode};
        use std::time::{Duration, UNIX_EPOCH};

        fn outcome(status: u16, headers: &[(&'static str, &str)], body: &str) -> Outcome {
            let mut h = HeaderMap::new();
            for (k, v) in headers {
                h.insert(*k, v.parse().unwrap());
            }
            classify(StatusCode::from_u16(status).unwrap(), &h, body.as_bytes())
        }

        fn fail(reason: Reason, penalty: Penalty) -> Outcome {
            Outcome::FailOver { reason, penalty }
        }

        /// status, response headers, body, expected outcome.
        type Row = (
            u16,
            &'static [(&'static str, &'static str)],
            &'static str,
            Outcome,
        );

        const INVALID: &str = r#"{"error":{"message":"messages: field required","type":"invalid_request_error","code":null}}"#;

        #[test]
        fn every_row_of_the_failure_table() {
            let rows: &[Row] = &[
                (400, &[], INVALID, Outcome::Reject),
                (422, &[], r#"{"detail":"bad"}"#, Outcome::Reject),
                (
                    400,
                    &[],
                    r#"{"error":{"message":"The model `o3` is not available for your plan","type":"invalid_request_error"}}"#,
                    fail(Reason::ModelUnsupported, Penalty::For(MODEL_SUSPENSION)),
                ),
                (
                    422,
                    &[],
                    r#"{"error":{"message":"Requested model is not supported"}}"#,
                    fail(Reason::ModelUnsupported, Penalty::For(MODEL_SUSPENSION)),
                ),
                (401, &[], "{}", fail(Reason::Unauthorized, Penalty::For(AUTH_COOLDOWN))),
                (402, &[], "{}", fail(Reason::PaymentRequired, Penalty::For(AUTH_COOLDOWN))),
                (403, &[], "{}", fail(Reason::PaymentRequired, Penalty::For(AUTH_COOLDOWN))),
                (
                    404,
                    &[],
                    r#"{"error":{"message":"model not found"}}"#,
                    fail(Reason::NotFound, Penalty::For(NOT_FOUND_COOLDOWN)),
                ),
                (
                    404,
                    &[],
                    "Item with id 'rs_1' not found. Items are not persisted when `store` is set to false.",
                    Outcome::Reject,
                ),
                (
                    429,
                    &[("retry-after", "60")],
                    r#"{"error":{"resets_in_seconds":5}}"#,
                    fail(Reason::RateLimited, Penalty::For(Duration::from_secs(60))),
                ),
                (
                    429,
                    &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
                    "{}",
                    fail(
                        Reason::RateLimited,
                        Penalty::Until(UNIX_EPOCH + Duration::from_secs(1_445_412_480)),
                    ),
                ),
                (
                    429,
                    &[],
                    r#"{"error":{"type":"usage_limit_reached","resets_in_seconds":900}}"#,
                    fail(Reason::RateLimited, Penalty::For(Duration::from_secs(900))),
                ),
                (
                    429,
                    &[],
                    r#"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"13s"}]}}"#,
                    fail(Reason::RateLimited, Penalty::For(Duration::from_secs(13))),
                ),
                (
                    429,
                    &[],
                    r#"{"error":{"type":"insufficient_quota"}}"#,
                    fail(Reason::RateLimited, Penalty::Backoff),
                ),
                (408, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (500, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (502, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (503, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (504, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (529, &[], "", fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))),
                (400, &[], r#"{"error":"bad"}"#, fail(Reason::Other, Penalty::None)),
                (409, &[], "", fail(Reason::Other, Penalty::None)),
            ];
            for (status, headers, body, want) in rows {
                assert_eq!(outcome(*status, headers, body), *want, "{status} {body}");
            }
        }

        #[test]
        fn a_connect_error_is_transient() {
            assert_eq!(
                Outcome::transport(),
                fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN))
            );
        }

        #[test]
        fn binary_and_huge_bodies_do_not_break_classification() {
            let h = HeaderMap::new();
            let junk = vec![0xffu8; 200_000];
            assert_eq!(
                classify(StatusCode::TOO_MANY_REQUESTS, &h, &junk),
                fail(Reason::RateLimited, Penalty::Backoff)
            );
            assert_eq!(
                classify(StatusCode::BAD_REQUEST, &h, &junk),
                fail(Reason::Other, Penalty::None)
            );
        }
    }
}
