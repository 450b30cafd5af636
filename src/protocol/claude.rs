//! Anthropic Messages wire shapes: requests, responses and stream events (read borrowed, written
//! from borrowed IR data), and the error bodies the gateway itself produces.
//! No routing, no translation, no I/O.

mod request;
mod response;

pub use request::{
    BlockOut, CacheControl, ContentBlock, EmptyObject, ImageSource, ImageSourceOut, InputOut,
    MessageParam, MessageParamOut, Metadata, MetadataOut, OutputConfig, OutputConfigOut,
    OutputFormat, OutputFormatOut, Request, RequestOut, TextOut, Thinking, ThinkingOut, Tool,
    ToolChoice, ToolChoiceOut, ToolOut, Typed,
};
pub use response::{
    CountTokens, DeltaOut, ErrorInfo, ErrorOut, Message, MessageDeltaOut, MessageOut, StreamDelta,
    StreamEvent, StreamEventOut, Usage, UsageOut,
};

use bytes::Bytes;
use serde::Serialize;

use crate::error::{Error, Kind};

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

/// `{"type":"error","error":{"type","message"}}` with Anthropic's documented error types.
pub fn error_body(err: &Error) -> Bytes {
    let kind = match err.kind {
        Kind::Unauthorized => "authentication_error",
        Kind::RouteNotFound | Kind::ModelNotFound => "not_found_error",
        Kind::MethodNotAllowed | Kind::InvalidRequest | Kind::RequestTimeout => {
            "invalid_request_error"
        }
        Kind::PayloadTooLarge => "request_too_large",
        Kind::UpstreamTimeout => "timeout_error",
        Kind::Cooldown | Kind::RateLimited => "rate_limit_error",
        Kind::UpstreamUnavailable | Kind::UpstreamProtocol | Kind::Internal => "api_error",
    };
    let env = ErrorEnvelope {
        kind: "error",
        error: ErrorBody {
            kind,
            message: &err.message,
        },
    };
    serde_json::to_vec(&env)
        .map(Bytes::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_anthropic_shape() {
        let body = error_body(&Error::new(Kind::Unauthorized, "bad key"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "authentication_error");
        assert_eq!(v["error"]["message"], "bad key");
        let e = Error::cooldown(
            "m",
            std::time::Duration::from_secs(5),
            std::time::SystemTime::now(),
        );
        let v: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
    }
}
