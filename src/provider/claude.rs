//! Anthropic Messages upstreams (`claude-api-key` entries): `POST {base}/v1/messages` and
//! `/v1/messages/count_tokens`, `anthropic-version`, the client's `anthropic-beta` merged in.
//! Pure: builds the request, does no I/O.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};

use crate::config::ClaudeKey;
use crate::error::Error;

/// The public API; `base-url` overrides it.
pub const DEFAULT_BASE: &str = "https://api.anthropic.com";
/// The API version every request names.
pub const VERSION: &str = "2023-06-01";

/// What the request asks of the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `POST /v1/messages`, streamed or not.
    Messages {
        /// Whether the body asks for a stream.
        stream: bool,
    },
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
}

/// Builds the upstream request. The official host gets the key as `x-api-key`; any other
/// base URL (a compatible third party or a relay) gets `Authorization: Bearer`, as
/// CLIProxyAPI does. `client_beta` is the client's `anthropic-beta` header: Claude Code's
/// betas (e.g. mid-conversation system messages) must reach the API or it rejects the body.
pub fn build_request(
    entry: &ClaudeKey,
    body: Bytes,
    action: Action,
    client_beta: Option<&str>,
) -> Result<http::Request<Bytes>, Error> {
    let who: &dyn std::fmt::Display = &"claude-api-key entry";
    let base = super::base(&entry.base_url, DEFAULT_BASE);
    let (path, stream) = match action {
        Action::Messages { stream } => ("/v1/messages?beta=true", stream),
        Action::CountTokens => ("/v1/messages/count_tokens?beta=true", false),
    };
    let mut req = super::json_post(&format!("{base}{path}"), body, stream, who)?;
    let h = req.headers_mut();
    h.insert(
        HeaderName::from_static("anthropic-version"),
        HeaderValue::from_static(VERSION),
    );
    if let Some(beta) = client_beta.map(str::trim).filter(|b| !b.is_empty()) {
        if let Ok(v) = HeaderValue::try_from(beta) {
            h.insert(HeaderName::from_static("anthropic-beta"), v);
        }
    }
    let key = entry.api_key.expose();
    if is_official(base) {
        h.insert(
            HeaderName::from_static("x-api-key"),
            super::secret_header(key, who)?,
        );
    } else {
        h.insert(
            AUTHORIZATION,
            super::secret_header(&format!("Bearer {key}"), who)?,
        );
    }
    super::apply_headers(h, &entry.headers, who)?;
    Ok(req)
}

fn is_official(base: &str) -> bool {
    base.trim_end_matches('/')
        .strip_prefix("https://")
        .is_some_and(|host| host == "api.anthropic.com")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn entry(base: &str) -> ClaudeKey {
        ClaudeKey {
            api_key: Secret::new("sk-ant-1"),
            base_url: base.into(),
            ..Default::default()
        }
    }

    #[test]
    fn official_host_uses_x_api_key() {
        let req = build_request(
            &entry(""),
            Bytes::new(),
            Action::Messages { stream: true },
            Some("claude-code-20250219,mid-conversation-system-2026-04-07"),
        )
        .unwrap();
        assert_eq!(req.uri(), "https://api.anthropic.com/v1/messages?beta=true");
        assert_eq!(req.headers()["x-api-key"], "sk-ant-1");
        assert!(req.headers()["x-api-key"].is_sensitive());
        assert!(req.headers().get("authorization").is_none());
        assert_eq!(req.headers()["anthropic-version"], "2023-06-01");
        assert!(req.headers()["anthropic-beta"]
            .to_str()
            .unwrap()
            .contains("mid-conversation-system"));
        assert_eq!(req.headers()["accept"], "text/event-stream");
    }

    #[test]
    fn other_bases_use_bearer_and_count_tokens_path() {
        let req = build_request(
            &entry("http://127.0.0.1:9/"),
            Bytes::new(),
            Action::CountTokens,
            None,
        )
        .unwrap();
        assert_eq!(
            req.uri(),
            "http://127.0.0.1:9/v1/messages/count_tokens?beta=true"
        );
        assert_eq!(req.headers()["authorization"], "Bearer sk-ant-1");
        assert!(req.headers().get("anthropic-beta").is_none());
    }
}
