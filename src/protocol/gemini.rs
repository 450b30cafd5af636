//! Google Gemini wire shapes the gateway itself produces: error bodies.
//! No routing, no I/O.

use bytes::Bytes;
use serde::Serialize;

use crate::error::{Error, Kind};

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
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
    let status = match err.kind {
        Kind::Unauthorized => "UNAUTHENTICATED",
        Kind::RouteNotFound | Kind::ModelNotFound => "NOT_FOUND",
        Kind::MethodNotAllowed | Kind::InvalidRequest | Kind::PayloadTooLarge => "INVALID_ARGUMENT",
        Kind::RequestTimeout | Kind::UpstreamTimeout => "DEADLINE_EXCEEDED",
        Kind::UpstreamUnavailable | Kind::UpstreamProtocol => "UNAVAILABLE",
        Kind::Cooldown => "RESOURCE_EXHAUSTED",
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
        error: ErrorBody {
            code: err.status().as_u16(),
            message: &err.message,
            status,
            details,
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
