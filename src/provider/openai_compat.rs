//! OpenAI-compatible upstreams (`openai-compatibility` entries: OpenRouter, local servers, ...):
//! `POST {base-url}/chat/completions` with `Authorization: Bearer <entry key>`.

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::config::{OpenAiCompatibility, Secret};
use crate::error::Error;

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
    let who = format!("openai-compatibility entry `{}`", entry.name);
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
}
