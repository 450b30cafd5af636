//! OpenAI-compatible upstreams (`openai-compatibility` entries: OpenRouter, local servers, ...):
//! `POST {base-url}/chat/completions` with `Authorization: Bearer <entry key>`, and what their
//! error answers mean for routing.

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, USER_AGENT};
use http::{HeaderMap, StatusCode};

use crate::config::{OpenAiCompatibility, Secret};
use crate::error::Error;
use crate::route::{self, Outcome};

/// The `User-Agent` CLIProxyAPI sends to OpenAI-compatible upstreams; some providers key
/// their allow-lists on it, so we keep it.
pub const USER_AGENT_VALUE: &str = "cli-proxy-openai-compat";

/// Builds the upstream chat-completions request. The client's key is never forwarded: only
/// the entry's own key. Entry `headers` are applied last and may override anything.
pub fn build_request(
    entry: &OpenAiCompatibility,
    key: Option<&Secret>,
    body: Bytes,
    stream: bool,
) -> Result<http::Request<Bytes>, Error> {
    let who = Named(&entry.name);
    let url = format!("{}/chat/completions", entry.base_url.trim_end_matches('/'));
    let mut req = super::json_post(&url, body, stream, &who)?;
    let h = req.headers_mut();
    h.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if let Some(key) = key.filter(|k| !k.expose().is_empty()) {
        h.insert(
            AUTHORIZATION,
            super::secret_header(&format!("Bearer {}", key.expose()), &who)?,
        );
    }
    super::apply_headers(h, &entry.headers, &who)?;
    Ok(req)
}

/// Names the entry in an error message; formatted only when an error needs it.
struct Named<'a>(&'a str);

impl std::fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

    #[test]
    fn builds_url_auth_and_entry_headers() {
        let entry = OpenAiCompatibility {
            name: "or".into(),
            base_url: "https://openrouter.ai/api/v1/".into(),
            headers: BTreeMap::from([
                ("X-Title".to_string(), "cliproxy".to_string()),
                ("user-agent".to_string(), "custom".to_string()),
            ]),
            ..Default::default()
        };
        let req = build_request(
            &entry,
            Some(&Secret::new("sk-up")),
            Bytes::from_static(b"{}"),
            true,
        )
        .unwrap();
        assert_eq!(req.uri(), "https://openrouter.ai/api/v1/chat/completions");
        assert_eq!(req.headers()["authorization"], "Bearer sk-up");
        assert!(req.headers()["authorization"].is_sensitive());
        assert_eq!(req.headers()["accept"], "text/event-stream");
        assert_eq!(req.headers()["x-title"], "cliproxy");
        assert_eq!(req.headers()["user-agent"], "custom");
        let req = build_request(&entry, None, Bytes::new(), false).unwrap();
        assert!(req.headers().get("authorization").is_none());
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
