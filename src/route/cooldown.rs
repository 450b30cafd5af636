//! Cooldown state per slot (credential × model), shared by every core through atomics: a
//! deadline, the consecutive-429 backoff level and the reason. Selection reads one atomic per
//! candidate and none at all while nothing has ever cooled; only failures, successes after a
//! failure and management resets write. No locks, no I/O; every function takes `now`.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime};

use super::classify::{Penalty, Reason};
use super::table::{Slot, SlotId};

/// What a failure records besides the deadline; read only by failures and listings.
#[derive(Debug, Default)]
struct Meta {
    level: AtomicU32,
    reason: AtomicU8,
}

/// Every slot's cooldown, indexed by [`SlotId`]. Deadlines sit in their own dense array, the
/// only part selection reads: nanoseconds after the epoch at and after which the slot is
/// usable, so 0 means "never cooled".
#[derive(Debug)]
pub struct Cooldowns {
    epoch: Instant,
    until: Box<[AtomicU64]>,
    meta: Box<[Meta]>,
    /// The latest deadline ever set: while `now` is past it nothing can be cooling, and
    /// selection skips the per-slot checks.
    horizon: AtomicU64,
}

/// A cooling slot as management sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CooldownView {
    /// The slot.
    pub slot: SlotId,
    /// The credential's label (`entry[index]`), never the key.
    pub credential: String,
    /// The client-visible model.
    pub model: String,
    /// The model name sent upstream.
    pub upstream_model: String,
    /// Why it cools.
    pub reason: Reason,
    /// When it is usable again.
    pub until: Instant,
    /// Time left from the `now` the view was taken at.
    pub remaining: Duration,
    /// Consecutive 429 backoffs so far.
    pub backoff_level: u32,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Cooldowns {
    /// State for `slots` slots, none cooling; deadlines are stored relative to `epoch`.
    pub fn new(slots: usize, epoch: Instant) -> Self {
        Cooldowns {
            epoch,
            until: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            meta: (0..slots).map(|_| Meta::default()).collect(),
            horizon: AtomicU64::new(0),
        }
    }

    /// `now` as an offset from the epoch (instants before it count as the epoch).
    pub(crate) fn offset(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.epoch))
    }

    /// Whether any slot may be cooling at offset `t`.
    pub(crate) fn any_cooling_at(&self, t: u64) -> bool {
        self.horizon.load(Relaxed) > t
    }

    /// Whether `slot` is cooling at offset `t`: the hot-path check, one atomic load.
    pub(crate) fn is_cooling_at(&self, slot: SlotId, t: u64) -> bool {
        self.until
            .get(slot.index())
            .is_some_and(|u| u.load(Relaxed) > t)
    }

    /// Whether `slot` is cooling at `now`.
    pub fn is_cooling(&self, slot: SlotId, now: Instant) -> bool {
        self.is_cooling_at(slot, self.offset(now))
    }

    /// Why `slot` is cooling at `now`; `None` when it is usable.
    pub fn cooling_reason(&self, slot: SlotId, now: Instant) -> Option<Reason> {
        let meta = self.meta.get(slot.index())?;
        self.is_cooling(slot, now)
            .then(|| Reason::from_u8(meta.reason.load(Relaxed)).unwrap_or(Reason::Other))
    }

    /// Time left on `slot`'s cooldown at `now`; `None` when it is usable.
    pub fn remaining(&self, slot: SlotId, now: Instant) -> Option<Duration> {
        let until = self.until.get(slot.index())?.load(Relaxed);
        let t = self.offset(now);
        (until > t).then(|| Duration::from_nanos(until - t))
    }

    /// The shortest time left among the cooling slots of `slots` (`None` if none cools), and
    /// whether every one of them is cooling.
    pub fn earliest(&self, slots: &[SlotId], now: Instant) -> (Option<Duration>, bool) {
        let t = self.offset(now);
        let mut earliest: Option<u64> = None;
        let mut all = !slots.is_empty();
        for s in slots {
            match self.until.get(s.index()).map(|u| u.load(Relaxed)) {
                Some(until) if until > t => {
                    earliest = Some(earliest.map_or(until, |e| e.min(until)));
                }
                _ => all = false,
            }
        }
        (earliest.map(|e| Duration::from_nanos(e - t)), all)
    }

    /// Records a failure of `slot` at `now` (wall time `wall`, for absolute reset hints) and
    /// returns the cooldown applied, if any. A cooldown only ever grows here: a shorter one
    /// never cuts a longer one short. A [`Penalty::Backoff`] advances the slot's level.
    pub fn fail(
        &self,
        slot: SlotId,
        reason: Reason,
        penalty: Penalty,
        now: Instant,
        wall: SystemTime,
    ) -> Option<Duration> {
        let (deadline, meta) = (self.until.get(slot.index())?, self.meta.get(slot.index())?);
        let level = meta.level.load(Relaxed);
        let (d, advance) = penalty.resolve(wall, level);
        if advance {
            // Two cores failing the same slot at once advance it once.
            let _ = meta
                .level
                .compare_exchange(level, level.saturating_add(1), Relaxed, Relaxed);
        }
        if d.is_zero() {
            return None;
        }
        let until = self.offset(now).saturating_add(nanos(d));
        let prev = deadline.fetch_max(until, Relaxed);
        if until >= prev {
            meta.reason.store(reason as u8, Relaxed);
        }
        self.horizon.fetch_max(until, Relaxed);
        Some(d)
    }

    /// A success on `slot`: its cooldown and backoff level are cleared. Writes nothing when
    /// there is nothing to clear, so the common success costs two loads.
    pub fn succeed(&self, slot: SlotId) {
        self.reset(slot);
    }

    /// Clears `slot`'s state; returns whether there was any (a deadline or a backoff level).
    pub fn reset(&self, slot: SlotId) -> bool {
        let (Some(until), Some(meta)) = (self.until.get(slot.index()), self.meta.get(slot.index()))
        else {
            return false;
        };
        if until.load(Relaxed) == 0 && meta.level.load(Relaxed) == 0 {
            return false;
        }
        until.store(0, Relaxed);
        meta.level.store(0, Relaxed);
        meta.reason.store(0, Relaxed);
        true
    }

    /// Clears every slot; returns how many had state.
    pub fn reset_all(&self) -> usize {
        (0..self.until.len())
            .filter_map(SlotId::from_index)
            .filter(|s| self.reset(*s))
            .count()
    }

    /// `slot` (described by `info`) as management sees it, if it is cooling at `now`.
    pub fn view(&self, slot: SlotId, info: &Slot, now: Instant) -> Option<CooldownView> {
        let meta = self.meta.get(slot.index())?;
        let until = self.until.get(slot.index())?.load(Relaxed);
        let remaining = self.remaining(slot, now)?;
        Some(CooldownView {
            slot,
            credential: info.label.clone(),
            model: info.model.clone(),
            upstream_model: info.upstream_model.clone(),
            reason: Reason::from_u8(meta.reason.load(Relaxed)).unwrap_or(Reason::Other),
            // An absurd deadline must not overflow `Instant` (that panics).
            until: self
                .epoch
                .checked_add(Duration::from_nanos(until))
                .unwrap_or(now),
            remaining,
            backoff_level: meta.level.load(Relaxed),
        })
    }

    /// The slot's consecutive-backoff level.
    pub fn backoff_level(&self, slot: SlotId) -> u32 {
        self.meta
            .get(slot.index())
            .map_or(0, |m| m.level.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::classify::{
        AUTH_COOLDOWN, BACKOFF_MAX, MODEL_SUSPENSION, NOT_FOUND_COOLDOWN, TRANSIENT_COOLDOWN,
    };

    const NS: Duration = Duration::from_nanos(1);

    fn id(i: usize) -> SlotId {
        SlotId::from_index(i).unwrap()
    }

    fn setup() -> (Cooldowns, Instant, SystemTime) {
        let t0 = Instant::now();
        (Cooldowns::new(4, t0), t0, SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn a_cooldown_ends_exactly_at_its_deadline() {
        let (c, t0, wall) = setup();
        let now = t0 + Duration::from_secs(5);
        let d = Duration::from_secs(60);
        assert_eq!(
            c.fail(id(1), Reason::RateLimited, Penalty::For(d), now, wall),
            Some(d)
        );
        assert!(c.is_cooling(id(1), now));
        assert!(c.is_cooling(id(1), now + d - NS), "never ends early");
        assert!(!c.is_cooling(id(1), now + d), "never ends late");
        assert!(!c.is_cooling(id(0), now), "other slots are untouched");
        assert_eq!(
            c.remaining(id(1), now + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert_eq!(c.remaining(id(1), now + d), None);
    }

    #[test]
    fn every_reason_gets_its_own_length() {
        for (reason, d) in [
            (Reason::ModelUnsupported, MODEL_SUSPENSION),
            (Reason::Unauthorized, AUTH_COOLDOWN),
            (Reason::PaymentRequired, AUTH_COOLDOWN),
            (Reason::NotFound, NOT_FOUND_COOLDOWN),
            (Reason::Transient, TRANSIENT_COOLDOWN),
        ] {
            let (c, t0, wall) = setup();
            c.fail(id(0), reason, Penalty::For(d), t0, wall);
            assert!(c.is_cooling(id(0), t0 + d - NS), "{reason:?}");
            assert!(!c.is_cooling(id(0), t0 + d), "{reason:?}");
        }
        let (c, t0, wall) = setup();
        assert_eq!(c.fail(id(0), Reason::Other, Penalty::None, t0, wall), None);
        assert!(!c.is_cooling(id(0), t0));
    }

    #[test]
    fn consecutive_429s_back_off_exponentially_up_to_the_cap() {
        let (c, t0, wall) = setup();
        let mut now = t0;
        let mut seen = Vec::new();
        for _ in 0..14 {
            let d = c
                .fail(id(2), Reason::RateLimited, Penalty::Backoff, now, wall)
                .unwrap();
            seen.push(d.as_secs());
            assert!(c.is_cooling(id(2), now + d - NS));
            now += d;
            assert!(!c.is_cooling(id(2), now));
        }
        assert_eq!(
            seen,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800, 1800, 1800]
        );
        assert_eq!(BACKOFF_MAX.as_secs(), 1800);
        c.succeed(id(2));
        assert_eq!(c.backoff_level(id(2)), 0, "a success resets the level");
        let d = c.fail(id(2), Reason::RateLimited, Penalty::Backoff, now, wall);
        assert_eq!(d, Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_success_clears_the_cooldown_at_once() {
        let (c, t0, wall) = setup();
        c.fail(
            id(0),
            Reason::NotFound,
            Penalty::For(NOT_FOUND_COOLDOWN),
            t0,
            wall,
        );
        assert!(c.is_cooling(id(0), t0 + Duration::from_secs(1)));
        c.succeed(id(0));
        assert!(!c.is_cooling(id(0), t0 + Duration::from_secs(1)));
        assert!(!c.reset(id(0)), "nothing left to reset");
    }

    #[test]
    fn a_shorter_cooldown_never_cuts_a_longer_one_short() {
        let (c, t0, wall) = setup();
        c.fail(
            id(0),
            Reason::NotFound,
            Penalty::For(NOT_FOUND_COOLDOWN),
            t0,
            wall,
        );
        c.fail(
            id(0),
            Reason::Transient,
            Penalty::For(TRANSIENT_COOLDOWN),
            t0,
            wall,
        );
        assert!(c.is_cooling(id(0), t0 + Duration::from_secs(3600)));
        let info = Slot {
            provider: crate::route::Provider::OpenAiCompat,
            entry: 0,
            key: Some(0),
            upstream_model: "up".into(),
            priority: 0,
            model: "m".into(),
            label: "e[0]".into(),
            disable_cooling: None,
        };
        assert_eq!(c.view(id(0), &info, t0).unwrap().reason, Reason::NotFound);
    }

    #[test]
    fn earliest_and_all_cooling() {
        let (c, t0, wall) = setup();
        let slots = [id(0), id(1), id(2)];
        assert_eq!(c.earliest(&slots, t0), (None, false));
        c.fail(
            id(0),
            Reason::Transient,
            Penalty::For(Duration::from_secs(60)),
            t0,
            wall,
        );
        c.fail(
            id(1),
            Reason::Transient,
            Penalty::For(Duration::from_secs(10)),
            t0,
            wall,
        );
        assert_eq!(
            c.earliest(&slots, t0),
            (Some(Duration::from_secs(10)), false)
        );
        c.fail(
            id(2),
            Reason::Transient,
            Penalty::For(Duration::from_secs(30)),
            t0,
            wall,
        );
        assert_eq!(
            c.earliest(&slots, t0),
            (Some(Duration::from_secs(10)), true)
        );
        let later = t0 + Duration::from_secs(10);
        assert_eq!(
            c.earliest(&slots, later),
            (Some(Duration::from_secs(20)), false)
        );
        assert_eq!(c.earliest(&[], t0), (None, false));
    }

    #[test]
    fn views_and_resets() {
        let (c, t0, wall) = setup();
        let info = Slot {
            provider: crate::route::Provider::OpenAiCompat,
            entry: 0,
            key: Some(1),
            upstream_model: "openai/gpt-4o".into(),
            priority: 0,
            model: "gpt-4o".into(),
            label: "or[1]".into(),
            disable_cooling: None,
        };
        assert!(c.view(id(1), &info, t0).is_none());
        c.fail(id(1), Reason::RateLimited, Penalty::Backoff, t0, wall);
        c.fail(
            id(3),
            Reason::Unauthorized,
            Penalty::For(AUTH_COOLDOWN),
            t0,
            wall,
        );
        let v = c.view(id(1), &info, t0).unwrap();
        assert_eq!(v.credential, "or[1]");
        assert_eq!(v.reason, Reason::RateLimited);
        assert_eq!(v.until, t0 + Duration::from_secs(1));
        assert_eq!(v.remaining, Duration::from_secs(1));
        assert_eq!(v.backoff_level, 1);
        assert!(
            c.view(id(1), &info, t0 + Duration::from_secs(1)).is_none(),
            "expired"
        );
        assert_eq!(c.reset_all(), 2);
        assert!(!c.is_cooling(id(3), t0));
        assert_eq!(c.reset_all(), 0);
    }

    #[test]
    fn unknown_slots_are_ignored() {
        let (c, t0, wall) = setup();
        let far = id(99);
        assert_eq!(
            c.fail(far, Reason::Transient, Penalty::Backoff, t0, wall),
            None
        );
        assert!(!c.is_cooling(far, t0));
        assert!(!c.reset(far));
        assert_eq!(c.remaining(far, t0), None);
    }

    #[test]
    fn instants_before_the_epoch_count_as_the_epoch() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let c = Cooldowns::new(1, t0);
        let before = t0 - Duration::from_secs(5);
        c.fail(
            id(0),
            Reason::Transient,
            Penalty::For(Duration::from_secs(1)),
            before,
            SystemTime::UNIX_EPOCH,
        );
        assert!(c.is_cooling(id(0), t0));
        assert!(!c.is_cooling(id(0), t0 + Duration::from_secs(1)));
    }
}
