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
}

/// `{"error":{"code","message","status"}}` with google.rpc status names.
pub fn error_body(err: &Error) -> Bytes {
    let status = match err.kind {
        Kind::Unauthorized => "UNAUTHENTICATED",
        Kind::RouteNotFound | Kind::ModelNotFound => "NOT_FOUND",
        Kind::MethodNotAllowed | Kind::InvalidRequest | Kind::PayloadTooLarge => "INVALID_ARGUMENT",
        Kind::RequestTimeout | Kind::UpstreamTimeout => "DEADLINE_EXCEEDED",
        Kind::UpstreamUnavailable | Kind::UpstreamProtocol => "UNAVAILABLE",
        Kind::Internal => "INTERNAL",
    };
    let env = ErrorEnvelope {
        error: ErrorBody {
            code: err.status().as_u16(),
            message: &err.message,
            status,
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
    }
}
