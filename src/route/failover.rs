//! The failover loop as a pure state machine the pipeline drives: it says which slot to try
//! next, when to wait for a cooling one, and when to give up; the caller does the I/O and
//! reports each result back. One *attempt* tries every available slot once (at most
//! `max-retry-credentials`); after a failed attempt, when a slot of the route comes back within
//! `max-retry-interval`, it waits and runs another, up to `request-retry` more attempts.
//! No I/O, no clock: every call takes `now`.

use std::time::{Duration, Instant, SystemTime};

use super::affinity::SessionKey;
use super::classify::{Outcome, Penalty, Reason, AUTH_COOLDOWN};
use super::select::{self, Tried};
use super::table::{Route, SlotId, Table};
use crate::config::{Config, RoutingStrategy};

/// Added to every wait so that the slot's deadline has surely passed when the timer fires.
pub const WAIT_SLACK: Duration = Duration::from_millis(5);

/// The routing settings of one request, read from the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `routing.strategy`.
    pub strategy: RoutingStrategy,
    /// `request-retry`: further attempts after the first.
    pub retries: u32,
    /// `max-retry-credentials`: slots tried per attempt; 0 = all.
    pub max_credentials: u32,
    /// `max-retry-interval`: the longest wait for a cooling slot before another attempt.
    pub max_wait: Duration,
    /// `!disable-cooling`: failures put slots on cooldown, unless a slot's credential says
    /// otherwise ([`super::Slot::disable_cooling`]).
    pub cooling: bool,
    /// `routing.session-affinity-ttl` when `routing.session-affinity` is on.
    pub affinity: Option<Duration>,
}

impl Policy {
    /// The policy `config` asks for.
    pub fn from_config(config: &Config) -> Policy {
        Policy {
            strategy: config.routing.strategy,
            retries: config.request_retry,
            max_credentials: config.max_retry_credentials,
            max_wait: Duration::from_secs(config.max_retry_interval),
            cooling: !config.disable_cooling,
            affinity: config
                .routing
                .session_affinity
                .then(|| config.routing.affinity_ttl()),
        }
    }
}

/// What the caller does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send the request with this slot.
    Try(SlotId),
    /// Sleep this long, then ask again (a new attempt starts).
    Wait(Duration),
    /// Give up.
    Exhausted(Exhausted),
}

/// Why the loop gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted {
    /// When every slot of the route is cooling: the time until the first comes back. The client
    /// then gets "all credentials are cooling down" with this as `Retry-After`.
    pub all_cooling: Option<Duration>,
    /// Attempts made.
    pub attempts: u32,
}

/// One request's walk over a route's slots.
#[derive(Debug)]
pub struct Failover<'a> {
    table: &'a Table,
    route: &'a Route,
    policy: Policy,
    cursor: u64,
    session: Option<SessionKey>,
    tried: Tried,
    used: u32,
    attempts: u32,
    hint: Option<Duration>,
}

impl<'a> Failover<'a> {
    /// Starts a request on `route` with this core's round-robin `cursor` and, when affinity is
    /// on, the request's `session`.
    pub fn new(
        table: &'a Table,
        route: &'a Route,
        policy: Policy,
        cursor: u64,
        session: Option<SessionKey>,
    ) -> Self {
        Failover {
            table,
            route,
            policy,
            cursor,
            session: session.filter(|_| policy.affinity.is_some()),
            tried: Tried::new(),
            used: 0,
            attempts: 0,
            hint: None,
        }
    }

    /// The next step at `now`.
    pub fn next(&mut self, now: Instant) -> Step {
        let capped = self.policy.max_credentials != 0 && self.used >= self.policy.max_credentials;
        if !capped {
            if let Some(slot) = self.pick(now) {
                self.tried.insert(slot);
                self.used = self.used.saturating_add(1);
                return Step::Try(slot);
            }
        }
        self.end_attempt(now)
    }

    fn pick(&self, now: Instant) -> Option<SlotId> {
        let cooldowns = self.table.cooldowns();
        if let Some(key) = self.session {
            if let Some(slot) = self.table.affinity().get(key, now) {
                let usable = self.route.contains(slot)
                    && !self.tried.contains(slot)
                    && !cooldowns.is_cooling(slot, now);
                if usable {
                    return Some(slot);
                }
            }
        }
        select::pick(
            self.route,
            cooldowns,
            self.policy.strategy,
            self.cursor,
            &self.tried,
            now,
        )
    }

    fn end_attempt(&mut self, now: Instant) -> Step {
        self.attempts = self.attempts.saturating_add(1);
        let (earliest, all) = self.table.cooldowns().earliest(self.route.slots(), now);
        // A cooling slot comes back at its deadline; a slot that records no cooldowns may
        // have named its own reset in a 429.
        let wait = match (earliest, self.hint.take()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.attempts <= self.policy.retries {
            if let Some(wait) = wait.filter(|w| *w <= self.policy.max_wait) {
                self.tried.clear();
                self.used = 0;
                self.hint = None;
                return Step::Wait(wait.saturating_add(WAIT_SLACK));
            }
        }
        Step::Exhausted(Exhausted {
            all_cooling: earliest.filter(|_| all),
            attempts: self.attempts,
        })
    }

    /// Reports that `slot` failed with `outcome` at `now` (wall time `wall`); returns the
    /// cooldown applied. With cooling disabled for the slot (its credential's own
    /// `disable-cooling`, else the global one) nothing is recorded, but a 429 that named its
    /// reset time still lets the loop wait that long (as CLIProxyAPI does).
    pub fn failed(
        &mut self,
        slot: SlotId,
        outcome: &Outcome,
        now: Instant,
        wall: SystemTime,
    ) -> Option<Duration> {
        let (reason, penalty) = match *outcome {
            Outcome::Reject => return None,
            Outcome::FailOver { reason, penalty } => (reason, penalty),
            // The pipeline has already refreshed the token and retried once (service
            // accounts); a refusal that reaches this point is treated as any other 401.
            Outcome::Refresh => (Reason::Unauthorized, Penalty::For(AUTH_COOLDOWN)),
        };
        let cooling = self
            .table
            .slot(slot)
            .and_then(|s| s.disable_cooling)
            .map_or(self.policy.cooling, |off| !off);
        if cooling {
            return self
                .table
                .cooldowns()
                .fail(slot, reason, penalty, now, wall);
        }
        if reason == Reason::RateLimited && matches!(penalty, Penalty::For(_) | Penalty::Until(_)) {
            let (d, _) = penalty.resolve(wall, 0);
            self.hint = Some(self.hint.map_or(d, |h| h.min(d)));
        }
        None
    }

    /// Reports that `slot` served the request at `now`: its cooldown state is cleared and, with
    /// affinity on, the session is pinned to it.
    pub fn succeeded(&mut self, slot: SlotId, now: Instant) {
        self.table.cooldowns().succeed(slot);
        if let (Some(key), Some(ttl)) = (self.session, self.policy.affinity) {
            self.table.affinity().pin(key, slot, now, ttl);
        }
    }

    /// Attempts started or finished so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The route being served.
    pub fn route(&self) -> &'a Route {
        self.route
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::classify::TRANSIENT_COOLDOWN;
    use crate::route::table::tests::compat;
    use proptest::prelude::*;

    fn table(keys: usize) -> Table {
        let mut cfg = Config::default();
        cfg.openai_compatibility
            .push(compat("e", "", keys, &[("m", "")]));
        Table::build(&cfg, Instant::now())
    }

    fn policy() -> Policy {
        Policy::from_config(&Config::default())
    }

    fn rate_limited(secs: u64) -> Outcome {
        Outcome::FailOver {
            reason: Reason::RateLimited,
            penalty: Penalty::For(Duration::from_secs(secs)),
        }
    }

    fn other() -> Outcome {
        Outcome::FailOver {
            reason: Reason::Other,
            penalty: Penalty::None,
        }
    }

    const WALL: SystemTime = SystemTime::UNIX_EPOCH;

    /// Runs a request where every try fails with `outcome(slot)`, returning the steps taken.
    fn run(
        t: &Table,
        p: Policy,
        cursor: u64,
        start: Instant,
        outcome: impl Fn(SlotId) -> Outcome,
    ) -> (Vec<Step>, Instant) {
        let route = t.resolve("m").unwrap();
        let mut f = Failover::new(t, route, p, cursor, None);
        let mut now = start;
        let mut steps = Vec::new();
        loop {
            let step = f.next(now);
            steps.push(step);
            match step {
                Step::Try(s) => {
                    f.failed(s, &outcome(s), now, WALL);
                }
                Step::Wait(d) => now += d,
                Step::Exhausted(_) => return (steps, now),
            }
            assert!(steps.len() < 1000, "the loop must end");
        }
    }

    fn tries(steps: &[Step]) -> Vec<usize> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Try(s) => Some(s.index()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn one_attempt_tries_every_slot_once_then_gives_up_when_nothing_cools() {
        let t = table(3);
        let (steps, _) = run(&t, policy(), 1, Instant::now(), |_| other());
        assert_eq!(tries(&steps), [1, 2, 0]);
        assert_eq!(
            steps.last(),
            Some(&Step::Exhausted(Exhausted {
                all_cooling: None,
                attempts: 1
            }))
        );
    }

    #[test]
    fn a_success_ends_the_walk_and_clears_the_slot() {
        let t = table(2);
        let route = t.resolve("m").unwrap();
        let now = Instant::now();
        let mut f = Failover::new(&t, route, policy(), 0, None);
        let Step::Try(first) = f.next(now) else {
            panic!()
        };
        f.failed(first, &rate_limited(60), now, WALL);
        assert!(t.cooldowns().is_cooling(first, now));
        let Step::Try(second) = f.next(now) else {
            panic!()
        };
        assert_ne!(first, second);
        f.succeeded(second, now);
        // A success on the cooled slot (e.g. a concurrent request) clears it at once.
        f.succeeded(first, now);
        assert!(!t.cooldowns().is_cooling(first, now));
    }

    #[test]
    fn max_retry_credentials_caps_the_slots_tried_per_attempt() {
        let t = table(5);
        let p = Policy {
            max_credentials: 2,
            ..policy()
        };
        let (steps, _) = run(&t, p, 0, Instant::now(), |_| other());
        assert_eq!(tries(&steps), [0, 1]);
    }

    #[test]
    fn a_cooldown_within_max_retry_interval_is_waited_for_then_retried() {
        let t = table(2);
        let p = Policy {
            retries: 2,
            max_wait: Duration::from_secs(30),
            ..policy()
        };
        let start = Instant::now();
        let (steps, end) = run(&t, p, 0, start, |_| rate_limited(20));
        let waits: Vec<_> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Wait(d) => Some(*d),
                _ => None,
            })
            .collect();
        assert_eq!(waits, [Duration::from_secs(20) + WAIT_SLACK; 2]);
        assert_eq!(tries(&steps).len(), 6, "three attempts of two slots");
        assert_eq!(
            steps.last(),
            Some(&Step::Exhausted(Exhausted {
                all_cooling: Some(Duration::from_secs(20)),
                attempts: 3
            }))
        );
        assert_eq!(end - start, 2 * (Duration::from_secs(20) + WAIT_SLACK));
    }

    #[test]
    fn a_cooldown_beyond_max_retry_interval_is_not_waited_for() {
        let t = table(2);
        let p = Policy {
            max_wait: Duration::from_secs(30),
            ..policy()
        };
        let (steps, _) = run(&t, p, 0, Instant::now(), |_| rate_limited(31));
        assert_eq!(tries(&steps), [0, 1]);
        assert_eq!(
            steps.last(),
            Some(&Step::Exhausted(Exhausted {
                all_cooling: Some(Duration::from_secs(31)),
                attempts: 1
            }))
        );
    }

    #[test]
    fn request_retry_zero_never_waits() {
        let t = table(1);
        let p = Policy {
            retries: 0,
            ..policy()
        };
        let (steps, _) = run(&t, p, 0, Instant::now(), |_| rate_limited(1));
        assert_eq!(steps.len(), 2);
    }

    #[test]
    fn a_route_already_cooling_waits_or_reports_the_reset() {
        let t = table(2);
        let now = Instant::now();
        for i in 0..2 {
            let s = SlotId::from_index(i).unwrap();
            t.cooldowns().fail(
                s,
                Reason::Transient,
                Penalty::For(TRANSIENT_COOLDOWN),
                now,
                WALL,
            );
        }
        let route = t.resolve("m").unwrap();
        // The default max-retry-interval (30 s) is shorter than the 1 min transient cooldown.
        let mut f = Failover::new(&t, route, policy(), 0, None);
        assert_eq!(
            f.next(now),
            Step::Exhausted(Exhausted {
                all_cooling: Some(TRANSIENT_COOLDOWN),
                attempts: 1
            })
        );
        let p = Policy {
            max_wait: Duration::from_secs(60),
            ..policy()
        };
        let mut f = Failover::new(&t, route, p, 0, None);
        assert_eq!(f.next(now), Step::Wait(TRANSIENT_COOLDOWN + WAIT_SLACK));
        assert!(matches!(f.next(now + TRANSIENT_COOLDOWN), Step::Try(_)));
    }

    #[test]
    fn disable_cooling_records_nothing_but_honours_a_named_429_reset() {
        let t = table(2);
        let p = Policy {
            cooling: false,
            retries: 1,
            max_wait: Duration::from_secs(5),
            ..policy()
        };
        let now = Instant::now();
        let (steps, _) = run(&t, p, 0, now, |_| rate_limited(2));
        assert_eq!(tries(&steps), [0, 1, 0, 1]);
        assert!(steps.contains(&Step::Wait(Duration::from_secs(2) + WAIT_SLACK)));
        assert!(t.list_cooldowns(now).is_empty());
        // Without a named reset there is nothing to wait for.
        let (steps, _) = run(&t, p, 0, now, |_| Outcome::transport());
        assert_eq!(tries(&steps), [0, 1]);
    }

    #[test]
    fn a_credential_override_beats_the_global_cooling_setting() {
        // Entry `off` never cools (its own disable-cooling: true); entry `on` always does
        // (disable-cooling: false), whatever the global policy says.
        let mut cfg = Config::default();
        let mut off = compat("off", "", 1, &[("m", "")]);
        off.disable_cooling = Some(true);
        let mut on = compat("on", "", 1, &[("m", "")]);
        on.disable_cooling = Some(false);
        cfg.openai_compatibility = vec![off, on];
        let t = Table::build(&cfg, Instant::now());
        let now = Instant::now();
        for global in [true, false] {
            t.cooldowns().reset_all();
            let p = Policy {
                cooling: global,
                retries: 0,
                ..policy()
            };
            let (steps, _) = run(&t, p, 0, now, |_| rate_limited(60));
            assert_eq!(tries(&steps), [0, 1], "a failure still fails over");
            let cooling: Vec<String> = t
                .list_cooldowns(now)
                .into_iter()
                .map(|v| v.credential)
                .collect();
            assert_eq!(cooling, ["on[0]"], "global cooling {global}");
        }
        // Without an override the slot follows the global setting.
        let t = table(1);
        let (_, _) = run(
            &t,
            Policy {
                cooling: false,
                retries: 0,
                ..policy()
            },
            0,
            now,
            |_| rate_limited(60),
        );
        assert!(t.list_cooldowns(now).is_empty());
        let (_, _) = run(
            &t,
            Policy {
                retries: 0,
                ..policy()
            },
            0,
            now,
            |_| rate_limited(60),
        );
        assert_eq!(t.list_cooldowns(now).len(), 1);
    }

    #[test]
    fn a_non_cooling_credentials_named_reset_is_waited_for_beside_cooling_ones() {
        let mut cfg = Config::default();
        let mut off = compat("off", "", 1, &[("m", "")]);
        off.disable_cooling = Some(true);
        cfg.openai_compatibility = vec![off, compat("on", "", 1, &[("m", "")])];
        let t = Table::build(&cfg, Instant::now());
        let p = Policy {
            retries: 1,
            max_wait: Duration::from_secs(30),
            ..policy()
        };
        let now = Instant::now();
        // `off` names a 2 s reset, `on` cools for 20 s: the earlier one is waited for.
        let (steps, _) = run(&t, p, 0, now, |s| {
            rate_limited(if s.index() == 0 { 2 } else { 20 })
        });
        assert_eq!(
            steps.get(2),
            Some(&Step::Wait(Duration::from_secs(2) + WAIT_SLACK))
        );
        assert_eq!(tries(&steps), [0, 1, 0]);
    }

    #[test]
    fn a_rejected_request_changes_nothing() {
        let t = table(1);
        let route = t.resolve("m").unwrap();
        let now = Instant::now();
        let mut f = Failover::new(&t, route, policy(), 0, None);
        let Step::Try(s) = f.next(now) else { panic!() };
        assert_eq!(f.failed(s, &Outcome::Reject, now, WALL), None);
        assert!(!t.cooldowns().is_cooling(s, now));
        assert_eq!(
            f.failed(s, &Outcome::Refresh, now, WALL),
            Some(AUTH_COOLDOWN)
        );
    }

    #[test]
    fn affinity_pins_a_session_and_fails_over_when_the_pin_cools() {
        let t = table(3);
        let route = t.resolve("m").unwrap();
        let p = Policy {
            affinity: Some(Duration::from_secs(3600)),
            ..policy()
        };
        let session = Some(SessionKey::new("m", "user", b"alice"));
        let now = Instant::now();
        let mut f = Failover::new(&t, route, p, 2, session);
        let Step::Try(first) = f.next(now) else {
            panic!()
        };
        assert_eq!(first.index(), 2);
        f.succeeded(first, now);
        // Other cursors would pick other slots; the session stays put.
        for cursor in 0..5 {
            let mut f = Failover::new(&t, route, p, cursor, session);
            assert_eq!(f.next(now), Step::Try(first));
        }
        // Without affinity the cursor decides.
        let mut f = Failover::new(&t, route, policy(), 0, session);
        assert_eq!(f.next(now), Step::Try(SlotId::from_index(0).unwrap()));
        // The pinned slot cools: the session fails over and the pin follows the new slot.
        let mut f = Failover::new(&t, route, p, 0, session);
        let Step::Try(s) = f.next(now) else { panic!() };
        assert_eq!(s, first);
        f.failed(s, &rate_limited(60), now, WALL);
        let Step::Try(next) = f.next(now) else {
            panic!()
        };
        assert_ne!(next, first);
        f.succeeded(next, now);
        let mut f = Failover::new(&t, route, p, 2, session);
        assert_eq!(f.next(now), Step::Try(next));
        // The pin lapses after its TTL.
        let later = now + Duration::from_secs(3600);
        let mut f = Failover::new(&t, route, p, 2, session);
        assert_eq!(
            f.next(later),
            Step::Try(first),
            "cooldown over, cursor decides"
        );
    }

    #[test]
    fn policy_reads_the_config() {
        let mut cfg = Config::default();
        assert_eq!(
            Policy::from_config(&cfg),
            Policy {
                strategy: RoutingStrategy::RoundRobin,
                retries: 3,
                max_credentials: 0,
                max_wait: Duration::from_secs(30),
                cooling: true,
                affinity: None,
            }
        );
        cfg.disable_cooling = true;
        cfg.routing.session_affinity = true;
        cfg.routing.session_affinity_ttl = Duration::ZERO;
        let p = Policy::from_config(&cfg);
        assert!(!p.cooling);
        assert_eq!(p.affinity, Some(Duration::from_secs(3600)));
    }

    proptest! {
        #[test]
        fn waits_are_bounded_by_max_retry_interval(
            keys in 1usize..6,
            max_wait in 0u64..120,
            retries in 0u32..5,
            secs in proptest::collection::vec(1u64..300, 6),
        ) {
            let t = table(keys);
            let p = Policy { retries, max_wait: Duration::from_secs(max_wait), ..policy() };
            let (steps, _) = run(&t, p, 0, Instant::now(), |s| {
                rate_limited(secs.get(s.index()).copied().unwrap_or(1))
            });
            let mut waits = 0;
            for s in &steps {
                if let Step::Wait(d) = s {
                    waits += 1;
                    prop_assert!(*d <= Duration::from_secs(max_wait) + WAIT_SLACK);
                }
            }
            prop_assert!(waits <= retries);
            prop_assert!(tries(&steps).len() <= keys * (retries as usize + 1));
        }

        #[test]
        fn a_cooldown_never_ends_early(secs in 1u64..100_000, probe in 0u64..200_000) {
            let t = table(1);
            let s = SlotId::from_index(0).unwrap();
            let t0 = Instant::now();
            let d = Duration::from_secs(secs);
            t.cooldowns().fail(s, Reason::RateLimited, Penalty::For(d), t0, WALL);
            let at = t0 + Duration::from_secs(probe);
            prop_assert_eq!(t.cooldowns().is_cooling(s, at), probe < secs);
        }
    }
}
