//! What an upstream failure means for routing: the [`Outcome`] vocabulary, the cooldown lengths,
//! and the HTTP table shared by the providers' `classify` functions (CLIProxyAPI's `MarkResult`
//! rules), including `Retry-After` and provider reset hints in error bodies. Pure: no I/O; the
//! wall clock is passed in where an absolute reset time must be turned into a duration.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};

use crate::error::Retry;

/// A 400/422 saying this model is not available to this credential: suspend it this long.
pub const MODEL_SUSPENSION: Duration = Duration::from_secs(12 * 3600);
/// 401, 402, 403: the key is refused; try it again after this long.
pub const AUTH_COOLDOWN: Duration = Duration::from_secs(30 * 60);
/// 404: the model is not found with this credential.
pub const NOT_FOUND_COOLDOWN: Duration = Duration::from_secs(12 * 3600);
/// 408, 5xx, connect errors and timeouts.
pub const TRANSIENT_COOLDOWN: Duration = Duration::from_secs(60);
/// First step of the exponential 429 backoff (1 s · 2^n).
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Cap of the exponential 429 backoff.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30 * 60);
/// Shortest cooldown an upstream reset hint may ask for: a hint of 0 would let the next
/// request hit the same exhausted key at once.
pub const HINT_MIN: Duration = Duration::from_secs(1);
/// Longest cooldown an upstream reset hint may ask for (a weekly quota is the longest known).
pub const HINT_MAX: Duration = Duration::from_secs(8 * 24 * 3600);

/// Bodies longer than this are not searched for hints and patterns.
const SCAN_LIMIT: usize = 64 << 10;

/// Why a slot is cooling down; low-cardinality, safe as a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reason {
    /// 400/422 "model not supported / not available for your plan".
    ModelUnsupported = 1,
    /// 401.
    Unauthorized = 2,
    /// 402 or 403.
    PaymentRequired = 3,
    /// 404.
    NotFound = 4,
    /// 429.
    RateLimited = 5,
    /// 408, 5xx, connect error or timeout.
    Transient = 6,
    /// Any other failure: fail over, no cooldown.
    Other = 7,
}

impl Reason {
    /// A stable snake-case label for listings and logs.
    pub fn label(self) -> &'static str {
        match self {
            Reason::ModelUnsupported => "model_unsupported",
            Reason::Unauthorized => "unauthorized",
            Reason::PaymentRequired => "payment_required",
            Reason::NotFound => "not_found",
            Reason::RateLimited => "rate_limited",
            Reason::Transient => "transient",
            Reason::Other => "other",
        }
    }

    /// Whether a model whose every credential cools for this reason is hidden from model
    /// lists (CLIProxyAPI "suspends" it): a refused key, a model not found or not offered.
    /// Quota and transient failures heal by themselves, so those models stay listed.
    pub fn suspends(self) -> bool {
        matches!(
            self,
            Reason::ModelUnsupported
                | Reason::Unauthorized
                | Reason::PaymentRequired
                | Reason::NotFound
        )
    }

    pub(crate) fn from_u8(v: u8) -> Option<Reason> {
        Some(match v {
            1 => Reason::ModelUnsupported,
            2 => Reason::Unauthorized,
            3 => Reason::PaymentRequired,
            4 => Reason::NotFound,
            5 => Reason::RateLimited,
            6 => Reason::Transient,
            7 => Reason::Other,
            _ => return None,
        })
    }
}

/// How long a failed slot cools down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Penalty {
    /// No cooldown: the slot stays available.
    None,
    /// A fixed length from now.
    For(Duration),
    /// Until a wall-clock time the upstream named (HTTP-date `Retry-After`, Codex `resets_at`).
    Until(SystemTime),
    /// Exponential: 1 s · 2^n for the n-th consecutive 429 on this slot, capped at 30 min.
    Backoff,
}

impl Penalty {
    /// The cooldown this penalty gives at wall time `wall` for a slot that has had `level`
    /// consecutive backoffs, and whether the backoff level advances.
    pub fn resolve(self, wall: SystemTime, level: u32) -> (Duration, bool) {
        match self {
            Penalty::None => (Duration::ZERO, false),
            Penalty::For(d) => (d, false),
            Penalty::Until(t) => (
                t.duration_since(wall)
                    .unwrap_or_default()
                    .clamp(HINT_MIN, HINT_MAX),
                false,
            ),
            Penalty::Backoff => backoff(level),
        }
    }
}

/// The `level`-th exponential backoff step and whether the level may still advance.
pub fn backoff(level: u32) -> (Duration, bool) {
    let factor = 1u32.checked_shl(level).unwrap_or(u32::MAX);
    let d = BACKOFF_BASE.saturating_mul(factor);
    if d >= BACKOFF_MAX {
        (BACKOFF_MAX, false)
    } else {
        (d, true)
    }
}

/// What routing does after one upstream failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The request itself is wrong (400 `invalid_request_error`, 422): answer the client with
    /// the upstream's response at once. No failover, no cooldown.
    Reject,
    /// The credential failed for this model: cool the slot down as `penalty` says and try the
    /// next candidate.
    FailOver {
        /// Why.
        reason: Reason,
        /// How long the slot rests.
        penalty: Penalty,
    },
    /// An access token may have expired or been revoked: refresh it and retry the same
    /// credential once (Vertex service accounts today). API keys never get this: they have
    /// nothing to refresh.
    Refresh,
}

impl Outcome {
    /// A connect error, connect timeout or response-head timeout: transient, 1 min cooldown.
    pub fn transport() -> Outcome {
        Outcome::FailOver {
            reason: Reason::Transient,
            penalty: Penalty::For(TRANSIENT_COOLDOWN),
        }
    }

    /// The decision in the error model's terms (a backoff reports its first step).
    pub fn retry(&self, wall: SystemTime) -> Retry {
        match self {
            Outcome::Reject => Retry::No,
            Outcome::Refresh => Retry::AfterRefresh,
            Outcome::FailOver { penalty, .. } => match penalty.resolve(wall, 0) {
                (d, _) if d.is_zero() => Retry::NextCredential,
                (d, _) => Retry::AfterCooldown(d),
            },
        }
    }
}

/// The failure table every HTTP provider shares (CLIProxyAPI's rules):
///
/// | upstream | outcome |
/// |---|---|
/// | 400/422 "model not supported / not available for your plan" | suspend 12 h, fail over |
/// | 400 `invalid_request_error`, any 422, Responses "item … not persisted" 404 | [`Outcome::Reject`] |
/// | 401 | 30 min, fail over |
/// | 402, 403 | 30 min, fail over |
/// | 404 | 12 h, fail over |
/// | 429 | `Retry-After`, else a reset hint in the body, else exponential backoff |
/// | 408, 5xx | 1 min, fail over |
/// | anything else | fail over, no cooldown |
pub fn by_status(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let text = lower_text(body);
    let fail = |reason, penalty| Outcome::FailOver { reason, penalty };
    match status.as_u16() {
        400 | 422 if is_model_unsupported(&text) => {
            fail(Reason::ModelUnsupported, Penalty::For(MODEL_SUSPENSION))
        }
        400 if text.contains("invalid_request_error") => Outcome::Reject,
        422 => Outcome::Reject,
        404 if is_request_scoped_not_found(&text) => Outcome::Reject,
        401 => fail(Reason::Unauthorized, Penalty::For(AUTH_COOLDOWN)),
        402 | 403 => fail(Reason::PaymentRequired, Penalty::For(AUTH_COOLDOWN)),
        404 => fail(Reason::NotFound, Penalty::For(NOT_FOUND_COOLDOWN)),
        429 => {
            let penalty = retry_after(headers)
                .or_else(|| reset_hint(body))
                .unwrap_or(Penalty::Backoff);
            fail(Reason::RateLimited, penalty)
        }
        408 | 500..=599 => fail(Reason::Transient, Penalty::For(TRANSIENT_COOLDOWN)),
        _ => fail(Reason::Other, Penalty::None),
    }
}

fn lower_text(body: &[u8]) -> String {
    let body = body.get(..SCAN_LIMIT).unwrap_or(body);
    String::from_utf8_lossy(body).to_lowercase()
}

/// Texts by which upstreams say a model is not available to this account (CLIProxyAPI's list).
const MODEL_UNSUPPORTED: &[&str] = &[
    "model_not_supported",
    "requested model is not supported",
    "requested model is unsupported",
    "requested model is unavailable",
    "model is not supported",
    "model not supported",
    "unsupported model",
    "model unavailable",
    "not available for your plan",
    "not available for your account",
];

/// Whether a lower-cased error text says the model is not available to this credential.
pub fn is_model_unsupported(lower: &str) -> bool {
    MODEL_UNSUPPORTED.iter().any(|p| lower.contains(p))
}

/// The Responses API's 404 for an item that `store: false` never kept: the request's fault.
fn is_request_scoped_not_found(lower: &str) -> bool {
    lower.contains("item with id")
        && lower.contains("not found")
        && lower.contains("items are not persisted when `store` is set to false")
}

/// The `Retry-After` header: whole (or fractional) seconds, or an HTTP-date.
pub fn retry_after(headers: &HeaderMap) -> Option<Penalty> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value)
}

/// Parses a `Retry-After` value: `120`, `1.5` or `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn parse_retry_after(value: &str) -> Option<Penalty> {
    let value = value.trim();
    if let Some(d) = seconds(value) {
        return Some(Penalty::For(d));
    }
    httpdate::parse_http_date(value).ok().map(Penalty::Until)
}

/// Seconds written as text, see [`hint_secs`].
fn seconds(text: &str) -> Option<Duration> {
    hint_secs(text.parse().ok()?)
}

/// Non-negative finite seconds, clamped to [`HINT_MIN`, `HINT_MAX`].
fn hint_secs(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    let secs = secs.min(HINT_MAX.as_secs_f64());
    Some(Duration::from_secs_f64(secs).clamp(HINT_MIN, HINT_MAX))
}

/// A reset time in a 429 body:
/// - Codex: `{"error":{"resets_in_seconds":N}}` or `{"error":{"resets_at":<unix seconds>}}`;
/// - Google: `{"error":{"details":[{"@type":"…RetryInfo","retryDelay":"13s"}]}}` (also inside
///   a one-element array, as the streaming endpoints send it).
pub fn reset_hint(body: &[u8]) -> Option<Penalty> {
    if body.len() > SCAN_LIMIT {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let v = match &v {
        serde_json::Value::Array(items) => items.first()?,
        other => other,
    };
    let err = v.get("error").unwrap_or(v);
    if let Some(d) = err.get("resets_in_seconds").and_then(number) {
        return hint_secs(d).map(Penalty::For);
    }
    if let Some(at) = err.get("resets_at").and_then(number) {
        if at >= 0.0 && at.is_finite() {
            let at = Duration::from_secs_f64(at.min(u32::MAX.into()));
            return Some(Penalty::Until(UNIX_EPOCH + at));
        }
    }
    let details = err.get("details")?.as_array()?;
    details.iter().find_map(|d| {
        let delay = d.get("retryDelay")?.as_str()?;
        seconds(delay.trim().strip_suffix('s')?).map(Penalty::For)
    })
}

/// A JSON number, or a number written as a string.
fn number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn retry_after_seconds_fractions_and_http_dates() {
        assert_eq!(
            parse_retry_after("60"),
            Some(Penalty::For(Duration::from_secs(60)))
        );
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Penalty::For(Duration::from_millis(1500)))
        );
        assert_eq!(parse_retry_after("0"), Some(Penalty::For(HINT_MIN)));
        assert_eq!(
            parse_retry_after("99999999999"),
            Some(Penalty::For(HINT_MAX))
        );
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let date = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Penalty::Until(date))
        );
        assert_eq!(
            retry_after(&hm(&[("retry-after", "7")])),
            Some(Penalty::For(Duration::from_secs(7)))
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn an_http_date_resolves_against_the_wall_clock_it_is_given() {
        let reset = UNIX_EPOCH + Duration::from_secs(1_000_060);
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let p = Penalty::Until(reset);
        assert_eq!(p.resolve(wall, 0), (Duration::from_secs(60), false));
        // A reset already in the past still rests the key for the minimum.
        assert_eq!(
            p.resolve(reset + Duration::from_secs(5), 0),
            (HINT_MIN, false)
        );
    }

    #[test]
    fn reset_hints_in_bodies() {
        let codex =
            br#"{"error":{"type":"usage_limit_reached","resets_in_seconds":1234,"resets_at":99}}"#;
        assert_eq!(
            reset_hint(codex),
            Some(Penalty::For(Duration::from_secs(1234)))
        );
        let at = br#"{"error":{"type":"usage_limit_reached","resets_at":1700000000}}"#;
        assert_eq!(
            reset_hint(at),
            Some(Penalty::Until(
                UNIX_EPOCH + Duration::from_secs(1_700_000_000)
            ))
        );
        let google = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure"},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"13s"}]}}"#;
        assert_eq!(
            reset_hint(google),
            Some(Penalty::For(Duration::from_secs(13)))
        );
        let streamed = br#"[{"error":{"details":[{"retryDelay":"0.5s"}]}}]"#;
        assert_eq!(reset_hint(streamed), Some(Penalty::For(HINT_MIN)));
        assert_eq!(reset_hint(br#"{"error":{"message":"slow down"}}"#), None);
        assert_eq!(reset_hint(b"not json"), None);
        assert_eq!(
            reset_hint(br#"{"error":{"details":[{"retryDelay":"x"}]}}"#),
            None
        );
    }

    #[test]
    fn exponential_backoff_doubles_from_one_second_and_caps_at_thirty_minutes() {
        let steps: Vec<u64> = (0..12).map(|l| backoff(l).0.as_secs()).collect();
        assert_eq!(steps, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800]);
        assert!(backoff(10).1, "below the cap the level still advances");
        assert_eq!(backoff(11), (BACKOFF_MAX, false));
        assert_eq!(backoff(40), (BACKOFF_MAX, false));
        assert_eq!(backoff(u32::MAX), (BACKOFF_MAX, false));
    }

    #[test]
    fn outcomes_map_into_the_error_models_retry() {
        let wall = SystemTime::now();
        assert_eq!(Outcome::Reject.retry(wall), Retry::No);
        assert_eq!(Outcome::Refresh.retry(wall), Retry::AfterRefresh);
        assert_eq!(
            Outcome::transport().retry(wall),
            Retry::AfterCooldown(TRANSIENT_COOLDOWN)
        );
        let other = Outcome::FailOver {
            reason: Reason::Other,
            penalty: Penalty::None,
        };
        assert_eq!(other.retry(wall), Retry::NextCredential);
    }

    #[test]
    fn reasons_round_trip_through_u8() {
        for r in [
            Reason::ModelUnsupported,
            Reason::Unauthorized,
            Reason::PaymentRequired,
            Reason::NotFound,
            Reason::RateLimited,
            Reason::Transient,
            Reason::Other,
        ] {
            assert_eq!(Reason::from_u8(r as u8), Some(r));
            assert!(!r.label().is_empty());
        }
        assert_eq!(Reason::from_u8(0), None);
    }
}
