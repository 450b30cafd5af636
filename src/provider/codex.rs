//! Codex / OpenAI Responses upstreams (`codex-api-key` entries): `POST {base}/responses`
//! with `Authorization: Bearer`. Codex only streams, so every request is sent as a stream
//! and aggregated for non-streaming clients. Pure: builds the request, does no I/O.

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::config::CodexKey;
use crate::error::Error;

/// The ChatGPT backend's Codex API; `base-url` overrides it (for example
/// `https://api.openai.com/v1` for a platform key).
pub const DEFAULT_BASE: &str = "https://chatgpt.com/backend-api/codex";

/// The `User-Agent` sent when the client's is not forwarded.
pub const DEFAULT_USER_AGENT: &str = "codex_cli_rs/0.0.0 (cliproxy)";

/// Builds the upstream `POST {base}/responses` request (always streaming).
pub fn build_request(
    entry: &CodexKey,
    body: Bytes,
    client_user_agent: Option<&str>,
) -> Result<http::Request<Bytes>, Error> {
    let who: &dyn std::fmt::Display = &"codex-api-key entry";
    let base = super::base(&entry.base_url, DEFAULT_BASE);
    let mut req = super::json_post(&format!("{base}/responses"), body, true, who)?;
    let h = req.headers_mut();
    h.insert(
        AUTHORIZATION,
        super::secret_header(&format!("Bearer {}", entry.api_key.expose()), who)?,
    );
    let ua = client_user_agent
        .and_then(|ua| HeaderValue::try_from(ua).ok())
        .unwrap_or(HeaderValue::from_static(DEFAULT_USER_AGENT));
    h.insert(USER_AGENT, ua);
    super::apply_headers(h, &entry.headers, who)?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn responses_url_bearer_and_stream_accept() {
        let entry = CodexKey {
            api_key: Secret::new("sk-codex"),
            base_url: "http://127.0.0.1:1/v1/".into(),
            ..Default::default()
        };
        let req = build_request(&entry, Bytes::new(), Some("codex_exec/0.169.0")).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:1/v1/responses");
        assert_eq!(req.headers()["authorization"], "Bearer sk-codex");
        assert_eq!(req.headers()["accept"], "text/event-stream");
        assert_eq!(req.headers()["user-agent"], "codex_exec/0.169.0");
        let req = build_request(&CodexKey::default(), Bytes::new(), None).unwrap();
        assert_eq!(req.uri(), "https://chatgpt.com/backend-api/codex/responses");
    }
}
