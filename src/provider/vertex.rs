//! Vertex AI upstreams, which speak the Gemini wire format (so the Gemini codecs and the Gemini
//! passthrough lane serve them):
//! - `vertex-api-key` entries (Vertex-compatible services such as zenmux):
//!   `{base-url or https://aiplatform.googleapis.com}/v1/publishers/google/models/{model}:{action}`
//!   with `x-goog-api-key`;
//! - service accounts from `auth-dir`:
//!   `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{action}`
//!   (`global` → `aiplatform.googleapis.com`) with `Authorization: Bearer <access token>`.
//!
//! Pure: builds requests and classifies answers, does no I/O.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::gemini::{Action, X_GOOG_API_KEY};
use crate::config::{ProviderKey, Secret};
use crate::error::{Error, Kind};
use crate::route::{self, Outcome};

/// The global endpoint: `vertex-api-key`'s default base, and the host of location `global`.
pub const GLOBAL_BASE: &str = "https://aiplatform.googleapis.com";
/// The API version in every path.
pub const VERSION: &str = "v1";

/// Where a service account's requests go.
#[derive(Clone, Copy, Debug)]
pub struct Account<'a> {
    /// The Google Cloud project.
    pub project: &'a str,
    /// The region, or `global`.
    pub location: &'a str,
    /// The credential's `base_url` override (tests, private endpoints); empty = Google's.
    pub base_url: &'a str,
    /// The credential's extra headers.
    pub headers: &'a BTreeMap<String, String>,
}

/// The regional endpoint of `location`: `https://{location}-aiplatform.googleapis.com`, or the
/// global one for `global`.
pub fn regional_base(location: &str) -> String {
    if location.is_empty() || location == "global" {
        GLOBAL_BASE.to_owned()
    } else {
        format!("https://{location}-aiplatform.googleapis.com")
    }
}

/// The URL of `action` on `model` for a service account.
pub fn account_url(account: &Account<'_>, model: &str, action: Action) -> String {
    let base = match account.base_url.trim() {
        "" => regional_base(account.location),
        b => b.trim_end_matches('/').to_owned(),
    };
    format!(
        "{base}/{VERSION}/projects/{}/locations/{}/publishers/google/models/{model}:{}",
        account.project,
        account.location,
        action.method()
    )
}

/// The URL of `action` on `model` for a `vertex-api-key` entry.
pub fn api_key_url(entry: &ProviderKey, model: &str, action: Action) -> String {
    let base = super::base(&entry.base_url, GLOBAL_BASE);
    format!(
        "{base}/{VERSION}/publishers/google/models/{model}:{}",
        action.method()
    )
}

fn check_model(model: &str) -> Result<(), Error> {
    if model.is_empty() || model.contains(['/', '?', '#', ' ', ':']) {
        return Err(Error::new(
            Kind::InvalidRequest,
            format!("model name `{model}` cannot be used in a Vertex URL"),
        ));
    }
    Ok(())
}

/// Builds the request for a `vertex-api-key` entry.
pub fn build_api_key_request(
    entry: &ProviderKey,
    model: &str,
    body: Bytes,
    action: Action,
) -> Result<http::Request<Bytes>, Error> {
    check_model(model)?;
    let url = api_key_url(entry, model, action);
    let key = (X_GOOG_API_KEY, entry.api_key.expose());
    let stream = action == Action::Stream;
    super::authed_post(
        &url,
        body,
        stream,
        key,
        &entry.headers,
        &"vertex-api-key entry",
    )
}

/// Builds the request for a service account holding the access token `token`.
pub fn build_account_request(
    account: &Account<'_>,
    token: &Secret,
    model: &str,
    body: Bytes,
    action: Action,
) -> Result<http::Request<Bytes>, Error> {
    check_model(model)?;
    let url = account_url(account, model, action);
    let bearer = format!("Bearer {}", token.expose());
    let stream = action == Action::Stream;
    let auth = (AUTHORIZATION, bearer.as_str());
    super::authed_post(
        &url,
        body,
        stream,
        auth,
        account.headers,
        &"vertex credential",
    )
}

/// A Gemini `countTokens` body as Vertex takes it: AI Studio's `generateContentRequest` wrapper
/// is unwrapped, and only `contents` and `systemInstruction` are kept (Vertex rejects the
/// generation settings AI Studio tolerates there; CLIProxyAPI drops them too).
pub fn count_tokens_body(body: &[u8]) -> Result<Bytes, Error> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Error::new(Kind::InvalidRequest, format!("countTokens request: {e}")))?;
    let obj = v
        .get("generateContentRequest")
        .filter(|inner| inner.is_object())
        .unwrap_or(&v);
    let mut out = Map::new();
    for key in ["contents", "systemInstruction"] {
        if let Some(value) = obj.get(key) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    Ok(Bytes::from(Value::Object(out).to_string()))
}

/// What a non-2xx answer means for routing. A 401 on a service account means its access token
/// was refused: refresh it and retry once ([`Outcome::Refresh`]). API keys have nothing to
/// refresh, so the shared table applies as is.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8], account: bool) -> Outcome {
    if account && status == StatusCode::UNAUTHORIZED {
        return Outcome::Refresh;
    }
    route::classify::by_status(status, headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account<'a>(
        location: &'a str,
        base: &'a str,
        h: &'a BTreeMap<String, String>,
    ) -> Account<'a> {
        Account {
            project: "proj-1",
            location,
            base_url: base,
            headers: h,
        }
    }

    #[test]
    fn service_account_urls_by_location() {
        let h = BTreeMap::new();
        let cases = [
            ("us-central1", "", Action::Generate,
             "https://us-central1-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-central1/publishers/google/models/m:generateContent"),
            ("global", "", Action::Stream,
             "https://aiplatform.googleapis.com/v1/projects/proj-1/locations/global/publishers/google/models/m:streamGenerateContent?alt=sse"),
            ("europe-west4", "http://127.0.0.1:9/", Action::CountTokens,
             "http://127.0.0.1:9/v1/projects/proj-1/locations/europe-west4/publishers/google/models/m:countTokens"),
        ];
        for (location, base, action, want) in cases {
            assert_eq!(account_url(&account(location, base, &h), "m", action), want);
        }
    }

    #[test]
    fn account_requests_carry_the_bearer_token_and_credential_headers() {
        let h = BTreeMap::from([("X-Team".to_string(), "a".to_string())]);
        let req = build_account_request(
            &account("global", "", &h),
            &Secret::new("ya29.tok"),
            "gemini-2.5-pro",
            Bytes::from_static(b"{}"),
            Action::Stream,
        )
        .unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer ya29.tok");
        assert!(req.headers()["authorization"].is_sensitive());
        assert_eq!(req.headers()["accept"], "text/event-stream");
        assert_eq!(req.headers()["x-team"], "a");
        assert!(req.headers().get("x-goog-api-key").is_none());
        for bad in ["a/b", "a:b", "", "a?b"] {
            let err = build_account_request(
                &account("global", "", &h),
                &Secret::new("t"),
                bad,
                Bytes::new(),
                Action::Generate,
            )
            .unwrap_err();
            assert_eq!(err.kind, Kind::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn api_key_requests_use_the_publisher_path_and_x_goog_api_key() {
        let mut entry = ProviderKey {
            api_key: Secret::new("vk-1"),
            ..Default::default()
        };
        let req = build_api_key_request(&entry, "gemini-2.5-flash", Bytes::new(), Action::Generate)
            .unwrap();
        assert_eq!(
            req.uri(),
            "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(req.headers()["x-goog-api-key"], "vk-1");
        assert!(req.headers()["x-goog-api-key"].is_sensitive());
        assert!(req.headers().get("authorization").is_none());
        entry.base_url = "https://zenmux.ai/api/vertex-ai/".into();
        let req = build_api_key_request(&entry, "m", Bytes::new(), Action::CountTokens).unwrap();
        assert_eq!(
            req.uri(),
            "https://zenmux.ai/api/vertex-ai/v1/publishers/google/models/m:countTokens"
        );
    }

    #[test]
    fn count_bodies_keep_only_what_vertex_counts() {
        let wrapped = br#"{"generateContentRequest":{"model":"models/x","contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":1},"systemInstruction":{"parts":[{"text":"s"}]}}}"#;
        let out: Value = serde_json::from_slice(&count_tokens_body(wrapped).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"contents":[{"role":"user","parts":[{"text":"hi"}]}],
                               "systemInstruction":{"parts":[{"text":"s"}]}})
        );
        let plain = br#"{"contents":[],"tools":[{"functionDeclarations":[]}],"safetySettings":[]}"#;
        let out: Value = serde_json::from_slice(&count_tokens_body(plain).unwrap()).unwrap();
        assert_eq!(out, serde_json::json!({"contents": []}));
        assert!(count_tokens_body(b"nope").is_err());
    }

    #[test]
    fn a_refused_token_asks_for_a_refresh_only_for_service_accounts() {
        let h = HeaderMap::new();
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, &h, b"{}", true),
            Outcome::Refresh
        );
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, &h, b"{}", false),
            Outcome::FailOver {
                reason: route::Reason::Unauthorized,
                ..
            }
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, b"{}", true),
            Outcome::FailOver {
                reason: route::Reason::RateLimited,
                ..
            }
        ));
    }
}
