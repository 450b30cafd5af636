//! Credential selection: pick one slot of a route by `routing.strategy`, from the highest
//! priority tier that still has an available slot (not cooling, not tried in this request).
//! Allocation-free: returns an id, and the tried set keeps its first entries inline.
//! Round-robin cursors live per core ([`Cursors`]), so no lock is taken.

use std::cell::RefCell;
use std::time::Instant;

use super::cooldown::Cooldowns;
use super::table::{Route, SlotId};
use crate::config::RoutingStrategy;

/// Slots already tried in the current attempt. The first eight live inline, so a request that
/// fails over a few times never allocates.
#[derive(Clone, Debug, Default)]
pub struct Tried {
    inline: [Option<SlotId>; 8],
    spill: Vec<SlotId>,
}

impl Tried {
    /// An empty set.
    pub fn new() -> Self {
        Tried::default()
    }

    /// Whether `slot` was tried.
    pub fn contains(&self, slot: SlotId) -> bool {
        self.inline.contains(&Some(slot)) || self.spill.contains(&slot)
    }

    /// Marks `slot` as tried.
    pub fn insert(&mut self, slot: SlotId) {
        if self.contains(slot) {
            return;
        }
        match self.inline.iter_mut().find(|s| s.is_none()) {
            Some(free) => *free = Some(slot),
            None => self.spill.push(slot),
        }
    }

    /// Whether nothing was tried.
    pub fn is_empty(&self) -> bool {
        self.inline.first().is_none_or(Option::is_none)
    }

    /// How many slots were tried.
    pub fn len(&self) -> usize {
        self.inline.iter().filter(|s| s.is_some()).count() + self.spill.len()
    }

    /// Forgets every slot (a new attempt starts).
    pub fn clear(&mut self) {
        self.inline = [None; 8];
        self.spill.clear();
    }
}

/// One core's round-robin cursors, one per route. Per core, so no atomics and no lock; the
/// vector grows only the first time a route is seen.
#[derive(Debug, Default)]
pub struct Cursors {
    next: RefCell<Vec<u64>>,
}

impl Cursors {
    /// Empty cursors.
    pub fn new() -> Self {
        Cursors::default()
    }

    /// The cursor for this request on `route`, advancing it for the next one.
    pub fn advance(&self, route: &Route) -> u64 {
        let mut next = self.next.borrow_mut();
        let id = route.id();
        if next.len() <= id {
            next.resize(id + 1, 0);
        }
        let Some(slot) = next.get_mut(id) else {
            return 0;
        };
        let cursor = *slot;
        *slot = cursor.wrapping_add(1);
        cursor
    }
}

/// Picks a slot of `route` at `now`: the highest tier with an available slot (not cooling, not
/// in `tried`), then within it the first available one in config order (fill-first) or the
/// `cursor`-th available one, modulo how many are available (round-robin). Round-robin over
/// `k` available slots therefore visits each exactly once per `k` consecutive cursors.
/// While nothing has ever cooled and nothing was tried, this is O(1).
pub fn pick(
    route: &Route,
    cooldowns: &Cooldowns,
    strategy: RoutingStrategy,
    cursor: u64,
    tried: &Tried,
    now: Instant,
) -> Option<SlotId> {
    let t = cooldowns.offset(now);
    let none_tried = tried.is_empty();
    let everything_available = none_tried && !cooldowns.any_cooling_at(t);
    // Cheapest test first: one atomic load; the tried set only once something was tried.
    let available =
        |s: &&SlotId| !cooldowns.is_cooling_at(**s, t) && (none_tried || !tried.contains(**s));
    for tier in route.tiers() {
        if everything_available {
            return match strategy {
                RoutingStrategy::FillFirst => tier.first().copied(),
                RoutingStrategy::RoundRobin => nth(tier, cursor, tier.len()),
            };
        }
        let found = match strategy {
            RoutingStrategy::FillFirst => tier.iter().find(available).copied(),
            RoutingStrategy::RoundRobin => {
                let k = tier.iter().filter(available).count();
                if k == 0 {
                    None
                } else {
                    let i = index(cursor, k);
                    tier.iter().filter(available).nth(i).copied()
                }
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `cursor % len` as an index.
fn index(cursor: u64, len: usize) -> usize {
    let len64 = u64::try_from(len).unwrap_or(u64::MAX);
    // The remainder is below `len`, so it fits in usize.
    usize::try_from(cursor % len64.max(1)).unwrap_or(0)
}

fn nth(tier: &[SlotId], cursor: u64, len: usize) -> Option<SlotId> {
    tier.get(index(cursor, len)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::route::classify::{Penalty, Reason};
    use crate::route::table::Table;
    use proptest::prelude::*;
    use std::time::{Duration, SystemTime};

    const RR: RoutingStrategy = RoutingStrategy::RoundRobin;
    const FF: RoutingStrategy = RoutingStrategy::FillFirst;

    fn table(tiers: &[(usize, i32)]) -> Table {
        let mut cfg = Config::default();
        for (i, (keys, priority)) in tiers.iter().enumerate() {
            let mut c =
                crate::route::table::tests::compat(&format!("e{i}"), "", *keys, &[("m", "")]);
            c.priority = *priority;
            cfg.openai_compatibility.push(c);
        }
        Table::build(&cfg, Instant::now())
    }

    fn label(t: &Table, s: Option<SlotId>) -> &str {
        s.and_then(|s| t.slot(s)).map_or("-", |s| s.label.as_str())
    }

    fn cool(t: &Table, i: usize, now: Instant) {
        let s = SlotId::from_index(i).unwrap();
        t.cooldowns().fail(
            s,
            Reason::RateLimited,
            Penalty::For(Duration::from_secs(60)),
            now,
            SystemTime::UNIX_EPOCH,
        );
    }

    #[test]
    fn round_robin_rotates_over_every_key() {
        let t = table(&[(3, 0)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        let picks: Vec<_> = (0..6)
            .map(|c| label(&t, pick(r, t.cooldowns(), RR, c, &Tried::new(), now)))
            .collect();
        assert_eq!(
            picks,
            ["e0[0]", "e0[1]", "e0[2]", "e0[0]", "e0[1]", "e0[2]"]
        );
    }

    #[test]
    fn round_robin_is_fair_over_many_picks() {
        let t = table(&[(7, 0)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        cool(&t, 3, now);
        let mut counts = [0usize; 7];
        for c in 0..6000 {
            let s = pick(r, t.cooldowns(), RR, c, &Tried::new(), now).unwrap();
            counts[s.index()] += 1;
        }
        assert_eq!(counts, [1000, 1000, 1000, 0, 1000, 1000, 1000]);
    }

    #[test]
    fn fill_first_takes_the_first_available_in_config_order() {
        let t = table(&[(3, 0)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        for c in 0..5 {
            assert_eq!(
                label(&t, pick(r, t.cooldowns(), FF, c, &Tried::new(), now)),
                "e0[0]"
            );
        }
        cool(&t, 0, now);
        assert_eq!(
            label(&t, pick(r, t.cooldowns(), FF, 9, &Tried::new(), now)),
            "e0[1]"
        );
        let mut tried = Tried::new();
        tried.insert(SlotId::from_index(1).unwrap());
        assert_eq!(
            label(&t, pick(r, t.cooldowns(), FF, 9, &tried, now)),
            "e0[2]"
        );
    }

    #[test]
    fn a_higher_tier_that_is_all_cooling_falls_back_to_the_next_tier() {
        // e0: 2 keys at priority 0; e1: 2 keys at priority 10 (slots 2 and 3).
        let t = table(&[(2, 0), (2, 10)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        for c in 0..4 {
            let got = label(&t, pick(r, t.cooldowns(), RR, c, &Tried::new(), now));
            assert!(got.starts_with("e1"), "{got}");
        }
        cool(&t, 2, now);
        for c in 0..4 {
            assert_eq!(
                label(&t, pick(r, t.cooldowns(), RR, c, &Tried::new(), now)),
                "e1[1]"
            );
        }
        cool(&t, 3, now);
        let lower: Vec<_> = (0..4)
            .map(|c| label(&t, pick(r, t.cooldowns(), RR, c, &Tried::new(), now)))
            .collect();
        assert_eq!(lower, ["e0[0]", "e0[1]", "e0[0]", "e0[1]"]);
        // Once the higher tier's cooldown has passed, it is used again.
        let later = now + Duration::from_secs(60);
        assert!(label(&t, pick(r, t.cooldowns(), RR, 0, &Tried::new(), later)).starts_with("e1"));
    }

    #[test]
    fn tried_slots_are_skipped_and_the_lower_tier_follows() {
        let t = table(&[(1, 0), (2, 1)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        let mut tried = Tried::new();
        let mut order = Vec::new();
        while let Some(s) = pick(r, t.cooldowns(), RR, 1, &tried, now) {
            order.push(label(&t, Some(s)).to_owned());
            tried.insert(s);
        }
        assert_eq!(order, ["e1[1]", "e1[0]", "e0[0]"]);
        assert_eq!(tried.len(), 3);
    }

    #[test]
    fn nothing_available_gives_none() {
        let t = table(&[(2, 0)]);
        let r = t.resolve("m").unwrap();
        let now = Instant::now();
        cool(&t, 0, now);
        cool(&t, 1, now);
        assert_eq!(pick(r, t.cooldowns(), RR, 0, &Tried::new(), now), None);
        assert_eq!(pick(r, t.cooldowns(), FF, 0, &Tried::new(), now), None);
    }

    #[test]
    fn tried_spills_past_its_inline_capacity() {
        let mut tried = Tried::new();
        assert!(tried.is_empty());
        for i in 0..20 {
            tried.insert(SlotId::from_index(i).unwrap());
            tried.insert(SlotId::from_index(i).unwrap());
        }
        assert_eq!(tried.len(), 20);
        assert!(tried.contains(SlotId::from_index(19).unwrap()));
        assert!(!tried.contains(SlotId::from_index(20).unwrap()));
        tried.clear();
        assert!(tried.is_empty());
        assert_eq!(tried.len(), 0);
    }

    #[test]
    fn cursors_are_per_route_and_advance() {
        let mut cfg = Config::default();
        cfg.openai_compatibility
            .push(crate::route::table::tests::compat(
                "e",
                "",
                1,
                &[("a", ""), ("b", "")],
            ));
        let t = Table::build(&cfg, Instant::now());
        let (a, b) = (t.resolve("a").unwrap(), t.resolve("b").unwrap());
        let c = Cursors::new();
        assert_eq!(
            [c.advance(a), c.advance(a), c.advance(b), c.advance(a)],
            [0, 1, 0, 2]
        );
    }

    proptest! {
        #[test]
        fn round_robin_visits_each_available_slot_once_per_cycle(
            keys in 1usize..40,
            cooling in proptest::collection::vec(any::<bool>(), 40),
            start in 0u64..(u64::MAX / 2),
        ) {
            let t = table(&[(keys, 0)]);
            let r = t.resolve("m").unwrap();
            let now = Instant::now();
            for (i, c) in cooling.iter().take(keys).enumerate() {
                if *c { cool(&t, i, now); }
            }
            let available: Vec<usize> = (0..keys)
                .filter(|i| !cooling.get(*i).copied().unwrap_or(false))
                .collect();
            let n = available.len() as u64;
            let mut seen: Vec<usize> = (0..n)
                .filter_map(|k| pick(r, t.cooldowns(), RR, start.wrapping_add(k), &Tried::new(), now))
                .map(SlotId::index)
                .collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, available);
        }
    }
}
