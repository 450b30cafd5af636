//! Google AI Studio upstreams (`gemini-api-key` entries): `POST
//! {base}/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
//! `:countTokens`, keyed with `x-goog-api-key`. Pure: builds the request, does no I/O.

use bytes::Bytes;
use http::header::HeaderName;

use crate::config::ProviderKey;
use crate::error::{Error, Kind};

/// The header Google's APIs take an API key in.
pub const X_GOOG_API_KEY: HeaderName = HeaderName::from_static("x-goog-api-key");

/// The public API; `base-url` overrides it.
pub const DEFAULT_BASE: &str = "https://generativelanguage.googleapis.com";

/// What the request asks of the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `:generateContent`.
    Generate,
    /// `:streamGenerateContent?alt=sse` (always SSE upstream, whatever the client asked).
    Stream,
    /// `:countTokens`.
    CountTokens,
}

impl Action {
    /// The method suffix of the URL.
    pub fn method(self) -> &'static str {
        match self {
            Action::Generate => "generateContent",
            Action::Stream => "streamGenerateContent?alt=sse",
            Action::CountTokens => "countTokens",
        }
    }
}

/// Builds the upstream request for `model`. The model name goes into the path, so it must
/// not contain characters that would change the URL's meaning.
pub fn build_request(
    entry: &ProviderKey,
    model: &str,
    body: Bytes,
    action: Action,
) -> Result<http::Request<Bytes>, Error> {
    let who: &dyn std::fmt::Display = &"gemini-api-key entry";
    if model.is_empty()
        || model.contains(['/', '?', '#', ' ']) && !model.starts_with("tunedModels/")
    {
        return Err(Error::new(
            Kind::InvalidRequest,
            format!("model name `{model}` cannot be used in a Gemini URL"),
        ));
    }
    let base = super::base(&entry.base_url, DEFAULT_BASE);
    let url = format!("{base}/v1beta/models/{model}:{}", action.method());
    let key = (X_GOOG_API_KEY, entry.api_key.expose());
    super::authed_post(
        &url,
        body,
        action == Action::Stream,
        key,
        &entry.headers,
        who,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn urls_and_key() {
        let entry = ProviderKey {
            api_key: Secret::new("AIza-1"),
            ..Default::default()
        };
        let req = build_request(&entry, "gemini-2.5-pro", Bytes::new(), Action::Stream).unwrap();
        assert_eq!(
            req.uri(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
        );
        assert_eq!(req.headers()["x-goog-api-key"], "AIza-1");
        assert!(req.headers()["x-goog-api-key"].is_sensitive());
        let req = build_request(&entry, "m", Bytes::new(), Action::CountTokens).unwrap();
        assert!(req
            .uri()
            .to_string()
            .ends_with("/v1beta/models/m:countTokens"));
        assert!(build_request(&entry, "a/../b", Bytes::new(), Action::Generate).is_err());
    }
}
