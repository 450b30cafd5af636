//! OpenAI wire shapes: error bodies and the model list here; Chat Completions in `chat`
//! (what the gateway reads) and `chat_out` (what it writes); legacy Completions in
//! `completion`. No routing, no translation, no I/O.

pub mod chat;
pub mod chat_out;
pub mod completion;

use std::time::SystemTime;

use bytes::Bytes;
use serde::Serialize;

use crate::error::{Error, Kind};

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_seconds: Option<u64>,
}

/// `{"error":{"message","type","code"}}`, with OpenAI's type and code names for each kind.
/// A cooldown error also names the `model`, `reset_time` (RFC 3339) and `reset_seconds`,
/// as CLIProxyAPI does.
pub fn error_body(err: &Error) -> Bytes {
    let (kind, code) = match err.kind {
        Kind::Unauthorized => ("authentication_error", Some("invalid_api_key")),
        Kind::RouteNotFound => ("invalid_request_error", Some("unknown_url")),
        Kind::MethodNotAllowed => ("invalid_request_error", Some("method_not_allowed")),
        Kind::InvalidRequest => ("invalid_request_error", Some("invalid_request")),
        Kind::ModelNotFound => ("invalid_request_error", Some("model_not_found")),
        Kind::PayloadTooLarge => ("invalid_request_error", Some("request_too_large")),
        Kind::RequestTimeout => ("invalid_request_error", Some("request_timeout")),
        Kind::UpstreamUnavailable | Kind::UpstreamProtocol => ("api_error", Some("bad_gateway")),
        Kind::UpstreamTimeout => ("api_error", Some("upstream_timeout")),
        Kind::Cooldown => ("rate_limit_error", Some("model_cooldown")),
        Kind::RateLimited => ("rate_limit_error", Some("rate_limit_exceeded")),
        Kind::Internal => ("server_error", Some("internal_server_error")),
    };
    let cooldown = err.cooldown.as_deref();
    let env = ErrorEnvelope {
        error: ErrorBody {
            message: &err.message,
            kind,
            code,
            model: cooldown.map(|c| c.model.as_str()),
            reset_time: cooldown.map(|c| c.reset_time()),
            reset_seconds: cooldown.map(|c| c.reset_seconds(SystemTime::now())),
        },
    };
    serde_json::to_vec(&env)
        .map(Bytes::from)
        .unwrap_or_default()
}

/// One entry of `GET /v1/models`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Model<'a> {
    /// The id clients send as `model`.
    pub id: &'a str,
    /// Always `"model"`.
    pub object: &'static str,
    /// Unix seconds; the gateway reports its start time for configured models.
    pub created: u64,
    /// Who serves it (the upstream entry's name).
    pub owned_by: &'a str,
}

/// The `GET /v1/models` list shape.
#[derive(Serialize, Debug)]
pub struct ModelList<'a> {
    /// Always `"list"`.
    pub object: &'static str,
    /// The models.
    pub data: Vec<Model<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn error_body_has_openai_shape() {
        let body = error_body(&Error::new(Kind::ModelNotFound, "no model `x`"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["message"], "no model `x`");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "model_not_found");
        assert!(v["error"].get("reset_seconds").is_none());
    }

    #[test]
    fn cooldown_body_names_model_and_reset() {
        let e = Error::cooldown("gpt-4o", Duration::from_secs(60), SystemTime::now());
        let v: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["error"]["code"], "model_cooldown");
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["model"], "gpt-4o");
        let secs = v["error"]["reset_seconds"].as_u64().unwrap();
        assert!((59..=60).contains(&secs), "{secs}");
        assert!(v["error"]["reset_time"].as_str().unwrap().ends_with('Z'));
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("model gpt-4o are cooling down"));
    }
}
