//! When a credential's access token is renewed (REFERENCE §4.3): ahead of expiry by a lead
//! (5 min for Vertex, as for Antigravity and Kimi; half the lifetime for short-lived tokens),
//! and after a failure with an exponential backoff capped at 5 min. Pure: every call takes
//! `now`, so tests drive the clock.

use std::time::{Duration, Instant};

/// How long before expiry a token is renewed.
pub const LEAD: Duration = Duration::from_secs(5 * 60);
/// First retry delay after a failed refresh; also the shortest gap between two on-demand tries.
pub const RETRY_MIN: Duration = Duration::from_secs(5);
/// Longest retry delay after repeated failures.
pub const RETRY_MAX: Duration = Duration::from_secs(5 * 60);

/// How long after issue a token with this lifetime is renewed: `lifetime - LEAD`, but never
/// later than half-way, so a short-lived token is not renewed in a tight loop.
pub fn renew_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(LEAD.min(lifetime / 2))
}

/// The refresh timetable of one credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    due: Instant,
    failures: u32,
    last_failure: Option<Instant>,
}

impl Schedule {
    /// A credential without a token: due at once.
    pub fn new(now: Instant) -> Schedule {
        Schedule {
            due: now,
            failures: 0,
            last_failure: None,
        }
    }

    /// When the next scheduled refresh is due.
    pub fn due(&self) -> Instant {
        self.due
    }

    /// Whether a scheduled refresh is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        now >= self.due
    }

    /// Consecutive failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A token valid for `lifetime` was issued at `now`.
    pub fn succeeded(&mut self, now: Instant, lifetime: Duration) {
        self.due = now + renew_after(lifetime);
        self.failures = 0;
        self.last_failure = None;
    }

    /// A refresh failed at `now`; returns the delay until the next scheduled try
    /// (5 s, 10 s, 20 s, … capped at 5 min).
    pub fn failed(&mut self, now: Instant) -> Duration {
        let factor = 1u32.checked_shl(self.failures).unwrap_or(u32::MAX);
        let delay = RETRY_MIN.saturating_mul(factor).min(RETRY_MAX);
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(now);
        self.due = now + delay;
        delay
    }

    /// Whether a request asking for a token at `now` may start a refresh: not within
    /// `RETRY_MIN` of a failed one, so a broken token endpoint is not hit once per request.
    pub fn may_try_now(&self, now: Instant) -> bool {
        self.last_failure
            .is_none_or(|at| now.saturating_duration_since(at) >= RETRY_MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn renewal_leads_expiry_by_five_minutes_or_half_the_lifetime() {
        for (lifetime, after) in [
            (3600, 3300),
            (3599, 3299),
            (600, 300),
            (300, 150),
            (2, 1),
            (0, 0),
        ] {
            assert_eq!(renew_after(secs(lifetime)), secs(after), "{lifetime}");
        }
    }

    #[test]
    fn a_success_schedules_the_renewal_and_clears_failures() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0);
        assert!(s.is_due(t0));
        s.succeeded(t0, secs(3600));
        assert_eq!(s.due(), t0 + secs(3300));
        assert!(!s.is_due(t0 + secs(3299)));
        assert!(s.is_due(t0 + secs(3300)));
        assert!(s.may_try_now(t0));
    }

    #[test]
    fn failures_back_off_exponentially_up_to_five_minutes() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0);
        let delays: Vec<u64> = (0..10).map(|_| s.failed(t0).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
        assert_eq!(s.failures(), 10);
        assert_eq!(s.due(), t0 + RETRY_MAX);
        for _ in 0..40 {
            s.failed(t0);
        }
        assert_eq!(s.due(), t0 + RETRY_MAX, "no overflow after many failures");
        assert!(!s.may_try_now(t0 + secs(4)));
        assert!(s.may_try_now(t0 + secs(5)));
        s.succeeded(t0 + secs(5), secs(60));
        assert_eq!(s.failures(), 0);
        assert_eq!(s.due(), t0 + secs(35));
    }
}
