//! Google Gemini wire shapes: the `generateContent` request and response bodies (shared by
//! AI Studio, Vertex and the Cloud Code Assist envelope), and the error bodies the gateway
//! itself produces. Plain serde types, borrowed from the body; no routing, no I/O.
//! Snake_case spellings (`system_instruction`, `inline_data`, …) are accepted on decode.

mod request;
mod response;

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Kind};

pub use request::{
    Blob, Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration,
    FunctionResponse, GenerationConfig, Part, Request, ThinkingConfig, Tool, ToolConfig,
};
pub use response::{
    Candidate, CountTokensRequest, CountTokensResponse, ErrorBody, PromptFeedback, Response,
    UsageMetadata,
};

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBodyOut<'a>,
}

#[derive(Serialize)]
struct ErrorBodyOut<'a> {
    code: u16,
    message: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<RetryInfo>,
}

/// `google.rpc.RetryInfo`, which Google's SDKs read to know how long to back off.
#[derive(Serialize)]
struct RetryInfo {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "retryDelay")]
    retry_delay: String,
}

/// `{"error":{"code","message","status"}}` with google.rpc status names; a cooldown error adds
/// a `RetryInfo` detail with the `retryDelay`.
pub fn error_body(err: &Error) -> Bytes {
    error_body_with_status(err, err.status())
}

/// [`error_body`] for an answer sent with HTTP `status` (an upstream's status passed through
/// to the client): the body's `code` is that status, as Google's own error bodies have it.
pub fn error_body_with_status(err: &Error, http_status: StatusCode) -> Bytes {
    let status = match err.kind {
        Kind::Unauthorized => "UNAUTHENTICATED",
        Kind::RouteNotFound | Kind::ModelNotFound => "NOT_FOUND",
        Kind::MethodNotAllowed | Kind::InvalidRequest | Kind::PayloadTooLarge => "INVALID_ARGUMENT",
        Kind::RequestTimeout | Kind::UpstreamTimeout => "DEADLINE_EXCEEDED",
        Kind::UpstreamUnavailable | Kind::UpstreamProtocol => "UNAVAILABLE",
        Kind::Cooldown | Kind::RateLimited => "RESOURCE_EXHAUSTED",
        Kind::Internal => "INTERNAL",
    };
    let details = err
        .retry_after()
        .map(|secs| RetryInfo {
            kind: "type.googleapis.com/google.rpc.RetryInfo",
            retry_delay: format!("{secs}s"),
        })
        .into_iter()
        .collect();
    let env = ErrorEnvelope {
        error: ErrorBodyOut {
            code: http_status.as_u16(),
            message: &err.message,
            status,
            details,
        },
    };
    serde_json::to_vec(&env)
        .map(Bytes::from)
        .unwrap_or_default()
}

/// Opaque JSON (tool arguments, schemas, function responses): borrowed from the body when
/// decoding, owned or borrowed from the IR when encoding, always byte-exact text.
pub type Raw<'a> = Cow<'a, RawValue>;

/// Deserializes an optional [`Raw`] without copying: serde's own `Cow` impl always allocates.
/// Works with the borrowing deserializers (`from_slice`, `from_str`) the codecs use.
pub(crate) fn borrow_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Raw<'de>>, D::Error> {
    Option::<&'de RawValue>::deserialize(d).map(|o| o.map(Cow::Borrowed))
}

/// Deserializes an optional count that clients may write as `64` or `64.0`.
pub(crate) fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(n) = Option::<f64>::deserialize(d)? else {
        return Ok(None);
    };
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "expected a non-negative integer, got {n}"
        )));
    }
    // In range and integral: the cast is exact.
    Ok(Some(n as u32))
}

/// Deserializes an optional signed integer that clients may write as `7` or `7.0`.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(v) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = v.as_i64() {
        return Ok(Some(i));
    }
    match v.as_f64() {
        // 2^63 as f64 is exact; anything below it and integral converts exactly.
        Some(f)
            if f.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) =>
        {
            Ok(Some(f as i64))
        }
        _ => Err(serde::de::Error::custom(format!(
            "expected an integer, got {v}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_google_shape() {
        let body = error_body(&Error::new(Kind::Unauthorized, "bad key"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], 401);
        assert_eq!(v["error"]["status"], "UNAUTHENTICATED");
        assert_eq!(v["error"]["message"], "bad key");
        assert!(v["error"].get("details").is_none());
    }

    #[test]
    fn cooldown_carries_retry_info() {
        let e = Error::cooldown(
            "gemini-2.5-pro",
            std::time::Duration::from_secs(13),
            std::time::SystemTime::now(),
        );
        let v: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["error"]["code"], 429);
        assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
        assert_eq!(v["error"]["details"][0]["retryDelay"], "13s");
    }
}
