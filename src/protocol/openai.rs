//! OpenAI wire shapes: error bodies and the model list here; Chat Completions in `chat`
//! (what the gateway reads) and `chat_out` (what it writes); legacy Completions in
//! `completion`. No routing, no translation, no I/O.

pub mod chat;
pub mod chat_out;
pub mod completion;

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
}

/// `{"error":{"message","type","code"}}`, with OpenAI's type and code names for each kind.
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
        Kind::Internal => ("server_error", Some("internal_server_error")),
    };
    let env = ErrorEnvelope {
        error: ErrorBody {
            message: &err.message,
            kind,
            code,
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

    #[test]
    fn error_body_has_openai_shape() {
        let body = error_body(&Error::new(Kind::ModelNotFound, "no model `x`"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["message"], "no model `x`");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "model_not_found");
    }
}
