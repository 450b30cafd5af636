//! The gateway's top-level error: what happened, whose fault it is, and the HTTP status it maps to.
//! Rendering into a client's wire shape lives in `protocol::<format>::error_body`; this module
//! knows no wire format and does no I/O.

use std::fmt;

use http::StatusCode;

/// What went wrong, in the gateway's own terms. Low-cardinality: safe as a log or metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No client key, or a key that is not in `api-keys`.
    Unauthorized,
    /// The path is not served.
    RouteNotFound,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The request body is not valid JSON or misses a required field.
    InvalidRequest,
    /// No configured upstream serves the requested model.
    ModelNotFound,
    /// The request body exceeds `limits.max-body-bytes`.
    PayloadTooLarge,
    /// The client was too slow sending the request.
    RequestTimeout,
    /// The upstream could not be reached (DNS, connect, TLS, reset before a response).
    UpstreamUnavailable,
    /// The upstream did not send a response head in time.
    UpstreamTimeout,
    /// The upstream answered with something the gateway cannot use.
    UpstreamProtocol,
    /// A bug or resource problem inside the gateway.
    Internal,
}

/// Whose fault an error is; decides logging severity and failover in the routing layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client sent something wrong.
    Client,
    /// The upstream failed or misbehaved.
    Upstream,
    /// The gateway itself failed.
    Internal,
}

/// A gateway error with a human-readable message that is safe to show the client
/// (it never contains credentials or raw upstream bodies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What happened.
    pub kind: Kind,
    /// Whose fault it is.
    pub side: Side,
    /// Message for the client.
    pub message: String,
}

impl Error {
    /// Builds an error; the side follows from the kind.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        let side = match kind {
            Kind::Unauthorized
            | Kind::RouteNotFound
            | Kind::MethodNotAllowed
            | Kind::InvalidRequest
            | Kind::ModelNotFound
            | Kind::PayloadTooLarge
            | Kind::RequestTimeout => Side::Client,
            Kind::UpstreamUnavailable | Kind::UpstreamTimeout | Kind::UpstreamProtocol => {
                Side::Upstream
            }
            Kind::Internal => Side::Internal,
        };
        Error {
            kind,
            side,
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::RouteNotFound | Kind::ModelNotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::InvalidRequest => StatusCode::BAD_REQUEST,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Kind::UpstreamUnavailable | Kind::UpstreamProtocol => StatusCode::BAD_GATEWAY,
            Kind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self.kind {
            Kind::Unauthorized => "unauthorized",
            Kind::RouteNotFound => "route_not_found",
            Kind::MethodNotAllowed => "method_not_allowed",
            Kind::InvalidRequest => "invalid_request",
            Kind::ModelNotFound => "model_not_found",
            Kind::PayloadTooLarge => "payload_too_large",
            Kind::RequestTimeout => "request_timeout",
            Kind::UpstreamUnavailable => "upstream_unavailable",
            Kind::UpstreamTimeout => "upstream_timeout",
            Kind::UpstreamProtocol => "upstream_protocol",
            Kind::Internal => "internal",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_and_status_follow_kind() {
        let e = Error::new(Kind::UpstreamTimeout, "slow");
        assert_eq!(e.side, Side::Upstream);
        assert_eq!(e.status(), StatusCode::GATEWAY_TIMEOUT);
        let e = Error::new(Kind::PayloadTooLarge, "big");
        assert_eq!(e.side, Side::Client);
        assert_eq!(e.status().as_u16(), 413);
        assert_eq!(e.to_string(), "payload_too_large: big");
    }
}
