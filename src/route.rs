//! Routing: the endpoint table, the built-in model catalogue, which models each credential
//! offers (exclusions, OAuth aliases), the model table (client-visible model id → credential
//! slots, `auto`), credential selection, cooldowns, upstream-failure classification, failover
//! and session affinity. Pure: no I/O, never names a runtime; time is always passed in (`now: Instant`).

mod affinity;
pub mod catalogue;
pub mod classify;
mod cooldown;
mod failover;
pub mod pattern;
pub mod registry;
mod select;
mod table;

use http::Method;

use crate::protocol::Format;

pub use affinity::{chat_session, Affinity, SessionKey};
pub use classify::{Outcome, Penalty, Reason};
pub use cooldown::{CooldownView, Cooldowns};
pub use failover::{Exhausted, Failover, Policy, Step};
pub use select::{pick, Cursors, Tried};
pub use table::{FileCredential, Listed, Provider, Route, Slot, SlotId, Table};

/// Config fixtures (`openai-compatibility` entries, `models:` lists) for tests across the crate.
#[cfg(test)]
pub(crate) use table::tests as fixtures;

/// The model name that stands for "the newest model available now" ([`Table::auto`]), unless
/// a configured model is itself called `auto`. A thinking suffix carries over: `auto(high)`.
pub const AUTO: &str = "auto";

/// What a request asks the gateway to do, decided from method and path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /healthz`.
    Health,
    /// `GET /`: names the server and its endpoints.
    Root,
    /// `GET /v1/models` (OpenAI shape; Anthropic's for Claude clients; Gemini's for
    /// google-genai, which lists under `/v1/models` with `x-goog-api-key`).
    Models,
    /// `POST /v1/chat/completions`.
    ChatCompletions,
    /// `POST /v1/completions` (legacy `prompt`, served through chat).
    Completions,
    /// `POST /v1/responses`.
    Responses,
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `GET /v1beta/models`.
    GeminiModels,
    /// `GET /v1beta/models/{model}` (and `/v1/models/{model}`).
    GeminiModel,
    /// `POST …/models/{model}:generateContent`.
    GeminiGenerate,
    /// `POST …/models/{model}:streamGenerateContent`.
    GeminiStream,
    /// `POST …/models/{model}:countTokens`.
    GeminiCountTokens,
    /// `OPTIONS` on any path: CORS preflight.
    Preflight,
}

impl Endpoint {
    /// Whether the endpoint needs a client key.
    pub fn needs_auth(self) -> bool {
        !matches!(
            self,
            Endpoint::Health | Endpoint::Root | Endpoint::Preflight
        )
    }
}

/// Why a (method, path) pair has no endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEndpoint {
    /// The path is served, but not with this method.
    Method,
    /// The path is not served.
    Path,
}

/// The public paths, for `GET /`.
pub const PATHS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/responses"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/count_tokens"),
    ("GET", "/v1beta/models"),
    ("GET", "/v1beta/models/{model}"),
    ("POST", "/v1beta/models/{model}:generateContent"),
    ("POST", "/v1beta/models/{model}:streamGenerateContent"),
    ("POST", "/v1beta/models/{model}:countTokens"),
];

/// Splits a Gemini model path (`/v1beta/models/{model}[:{action}]`, also under `/v1`) into
/// the model name and the action, if any.
pub fn gemini_path(path: &str) -> Option<(&str, Option<&str>)> {
    let rest = path
        .strip_prefix("/v1beta/models/")
        .or_else(|| path.strip_prefix("/v1/models/"))?;
    let rest = rest.strip_prefix("models/").unwrap_or(rest);
    match rest.rsplit_once(':') {
        Some((model, action)) if !model.is_empty() => Some((model, Some(action))),
        Some(_) => None,
        None if !rest.is_empty() => Some((rest, None)),
        None => None,
    }
}

/// Maps a request line to an endpoint.
pub fn endpoint(method: &Method, path: &str) -> Result<Endpoint, NoEndpoint> {
    if method == Method::OPTIONS {
        return Ok(Endpoint::Preflight);
    }
    let found = match path {
        "/" => Some((Method::GET, Endpoint::Root)),
        "/healthz" => Some((Method::GET, Endpoint::Health)),
        "/v1/models" => Some((Method::GET, Endpoint::Models)),
        "/v1/chat/completions" => Some((Method::POST, Endpoint::ChatCompletions)),
        "/v1/completions" => Some((Method::POST, Endpoint::Completions)),
        "/v1/responses" => Some((Method::POST, Endpoint::Responses)),
        "/v1/messages" => Some((Method::POST, Endpoint::Messages)),
        "/v1/messages/count_tokens" => Some((Method::POST, Endpoint::CountTokens)),
        "/v1beta/models" => Some((Method::GET, Endpoint::GeminiModels)),
        p => match gemini_path(p) {
            Some((_, None)) => Some((Method::GET, Endpoint::GeminiModel)),
            Some((_, Some("generateContent"))) => Some((Method::POST, Endpoint::GeminiGenerate)),
            Some((_, Some("streamGenerateContent"))) => {
                Some((Method::POST, Endpoint::GeminiStream))
            }
            Some((_, Some("countTokens"))) => Some((Method::POST, Endpoint::GeminiCountTokens)),
            _ => None,
        },
    };
    match found {
        Some((m, e)) if m == method || (m == Method::GET && method == Method::HEAD) => Ok(e),
        Some(_) => Err(NoEndpoint::Method),
        None => Err(NoEndpoint::Path),
    }
}

/// The client format an endpoint speaks.
pub fn format_of(endpoint: Endpoint, path: &str) -> Format {
    match endpoint {
        Endpoint::ChatCompletions | Endpoint::Completions => Format::OpenAiChat,
        Endpoint::Responses => Format::OpenAiResponses,
        Endpoint::Messages | Endpoint::CountTokens => Format::Claude,
        Endpoint::GeminiModels
        | Endpoint::GeminiModel
        | Endpoint::GeminiGenerate
        | Endpoint::GeminiStream
        | Endpoint::GeminiCountTokens => Format::Gemini,
        _ => Format::for_path(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(endpoint(&Method::GET, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(endpoint(&Method::HEAD, "/"), Ok(Endpoint::Root));
        assert_eq!(
            endpoint(&Method::POST, "/v1/chat/completions"),
            Ok(Endpoint::ChatCompletions)
        );
        assert_eq!(
            endpoint(&Method::GET, "/v1/chat/completions"),
            Err(NoEndpoint::Method)
        );
        assert_eq!(endpoint(&Method::GET, "/nope"), Err(NoEndpoint::Path));
        assert_eq!(
            endpoint(&Method::OPTIONS, "/anything"),
            Ok(Endpoint::Preflight)
        );
        assert!(Endpoint::ChatCompletions.needs_auth());
        assert!(!Endpoint::Health.needs_auth());
        assert_eq!(
            endpoint(
                &Method::POST,
                "/v1beta/models/gemini-2.5-pro:streamGenerateContent"
            ),
            Ok(Endpoint::GeminiStream)
        );
        assert_eq!(
            endpoint(&Method::POST, "/v1/models/gemini-2.5-pro:generateContent"),
            Ok(Endpoint::GeminiGenerate)
        );
        assert_eq!(
            endpoint(&Method::GET, "/v1beta/models/gemini-2.5-pro"),
            Ok(Endpoint::GeminiModel)
        );
        assert_eq!(
            endpoint(&Method::POST, "/v1/messages"),
            Ok(Endpoint::Messages)
        );
        assert_eq!(
            gemini_path("/v1beta/models/models/m-1:countTokens"),
            Some(("m-1", Some("countTokens")))
        );
        assert_eq!(gemini_path("/v1beta/models/:x"), None);
    }
}
