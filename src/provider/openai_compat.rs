//! OpenAI-compatible upstreams (`openai-compatibility` entries: OpenRouter, local servers, ...):
//! `POST {base-url}/chat/completions` with `Authorization: Bearer <entry key>`.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

use crate::config::{OpenAiCompatibility, Secret};
use crate::error::{Error, Kind};

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
    let url = format!("{}/chat/completions", entry.base_url.trim_end_matches('/'));
    let mut req = http::Request::post(url.as_str())
        .body(body)
        .map_err(|_| bad_entry(entry, "base-url is not a valid URL"))?;
    let h = req.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(
        ACCEPT,
        HeaderValue::from_static(if stream {
            "text/event-stream"
        } else {
            "application/json"
        }),
    );
    h.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if let Some(key) = key.filter(|k| !k.expose().is_empty()) {
        let mut v = HeaderValue::try_from(format!("Bearer {}", key.expose()))
            .map_err(|_| bad_entry(entry, "api-key contains characters not allowed in a header"))?;
        v.set_sensitive(true);
        h.insert(AUTHORIZATION, v);
    }
    for (name, value) in &entry.headers {
        let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) else {
            return Err(bad_entry(entry, "headers contain an invalid name or value"));
        };
        h.insert(n, v);
    }
    Ok(req)
}

fn bad_entry(entry: &OpenAiCompatibility, what: &str) -> Error {
    Error::new(
        Kind::Internal,
        format!("openai-compatibility entry `{}`: {what}", entry.name),
    )
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
