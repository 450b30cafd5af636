//! The gateway's top-level error: what happened, whose fault it is, what to do next, and the
//! HTTP status it maps to. Rendering into a client's wire shape lives in
//! `protocol::<format>::error_body`; this module knows no wire format and does no I/O.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// Every credential that serves the model is cooling down (quota, rate limit, failures):
    /// the gateway's own 429.
    Cooldown,
    /// The upstream refused the request with a rate or quota limit (its HTTP 429), relayed to
    /// the client in the client's shape.
    RateLimited,
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

/// What the routing layer may do after an error (pingora's "what next").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Nothing: the error goes to the client as it is.
    No,
    /// Try the next credential now; this one needs no cooldown.
    NextCredential,
    /// Try the next credential; this one may be used again after the duration.
    AfterCooldown(Duration),
    /// Refresh this credential's OAuth token, then retry it once.
    AfterRefresh,
}

/// Details of a [`Kind::Cooldown`] error, rendered into the client's error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CooldownDetail {
    /// The model the client asked for.
    pub model: String,
    /// When the first credential becomes available again.
    pub reset_at: SystemTime,
}

impl CooldownDetail {
    /// Whole seconds from `now` until the reset, rounded up (at least 1 while cooling).
    pub fn reset_seconds(&self, now: SystemTime) -> u64 {
        let left = self.reset_at.duration_since(now).unwrap_or_default();
        ceil_secs(left)
    }

    /// The reset instant as RFC 3339 UTC, e.g. `2026-05-01T12:00:00Z`.
    pub fn reset_time(&self) -> String {
        rfc3339(self.reset_at)
    }
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
    /// What may be done next.
    pub retry: Retry,
    /// Set on [`Kind::Cooldown`] errors.
    pub cooldown: Option<Box<CooldownDetail>>,
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
            Kind::UpstreamUnavailable
            | Kind::UpstreamTimeout
            | Kind::UpstreamProtocol
            | Kind::Cooldown
            | Kind::RateLimited => Side::Upstream,
            Kind::Internal => Side::Internal,
        };
        let retry = match kind {
            Kind::UpstreamUnavailable | Kind::UpstreamTimeout | Kind::UpstreamProtocol => {
                Retry::NextCredential
            }
            _ => Retry::No,
        };
        Error {
            kind,
            side,
            message: message.into(),
            retry,
            cooldown: None,
        }
    }

    /// "All credentials for model X are cooling down": HTTP 429 with `Retry-After`, naming the
    /// model and when the first credential is back (`reset` from `now`).
    pub fn cooldown(model: &str, reset: Duration, now: SystemTime) -> Self {
        let mut e = Error::new(
            Kind::Cooldown,
            format!("All credentials for model {model} are cooling down"),
        );
        e.retry = Retry::AfterCooldown(reset);
        e.cooldown = Some(Box::new(CooldownDetail {
            model: model.to_owned(),
            reset_at: now.checked_add(reset).unwrap_or(now),
        }));
        e
    }

    /// The `Retry-After` value, in whole seconds, when the client should wait before retrying.
    pub fn retry_after(&self) -> Option<u64> {
        match self.retry {
            Retry::AfterCooldown(d) if self.kind == Kind::Cooldown => Some(ceil_secs(d).max(1)),
            _ => None,
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
            Kind::Cooldown | Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
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
            Kind::Cooldown => "model_cooldown",
            Kind::RateLimited => "rate_limited",
            Kind::Internal => "internal",
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

/// Formats a wall-clock time as RFC 3339 UTC with whole seconds (`2026-06-09T00:00:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut out = String::with_capacity(20);
    // Writing to a String cannot fail.
    let _ = write_utc_second(&mut out, secs);
    out.push('Z');
    out
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC, no zone suffix) for seconds since the Unix epoch.
pub(crate) fn write_utc_second(out: &mut impl std::fmt::Write, secs: u64) -> std::fmt::Result {
    let (y, m, d) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); H. Hinnant's algorithm.
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
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
        assert_eq!(e.retry, Retry::No);
        assert_eq!(
            Error::new(Kind::UpstreamUnavailable, "x").retry,
            Retry::NextCredential
        );
    }

    #[test]
    fn cooldown_error_is_429_with_retry_after_and_reset_time() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        let e = Error::cooldown("gpt-4o", Duration::from_millis(59_200), now);
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.label(), "model_cooldown");
        assert_eq!(e.retry_after(), Some(60));
        assert_eq!(
            e.message,
            "All credentials for model gpt-4o are cooling down"
        );
        let d = e.cooldown.as_deref().unwrap();
        assert_eq!(d.model, "gpt-4o");
        assert_eq!(d.reset_seconds(now), 60);
        assert_eq!(d.reset_time(), "2026-01-01T00:00:59Z");
        assert_eq!(d.reset_seconds(now + Duration::from_secs(100)), 0);
        assert_eq!(Error::new(Kind::Internal, "x").retry_after(), None);
    }

    #[test]
    fn an_upstream_rate_limit_is_429_without_the_cooldown_details() {
        let e = Error::new(Kind::RateLimited, "slow down");
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.side, Side::Upstream);
        assert_eq!(e.label(), "rate_limited");
        assert_eq!(e.retry_after(), None);
        assert!(e.cooldown.is_none());
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_661); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T01:01:01Z");
        let end = UNIX_EPOCH + Duration::from_secs(1_735_689_599);
        assert_eq!(rfc3339(end), "2024-12-31T23:59:59Z");
    }
}
