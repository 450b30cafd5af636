//! Proves the selection hot path allocates nothing: a counting global allocator wraps the
//! system one, and picks (round-robin and fill-first, with and without cooling slots, with a
//! few slots already tried) run between two readings of this thread's allocation count.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]
#![allow(unsafe_code, reason = "a GlobalAlloc impl is unsafe by definition")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime};

use cliproxy::config::{
    ApiKeyEntry, Config, ModelAlias, OpenAiCompatibility, RoutingStrategy, Secret,
};
use cliproxy::route::{self, Cursors, Failover, Penalty, Policy, Reason, Step, Table, Tried};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn table(keys: usize) -> Table {
    let cfg = Config {
        openai_compatibility: vec![OpenAiCompatibility {
            name: "main".into(),
            base_url: "http://127.0.0.1:1".into(),
            api_key_entries: (0..keys)
                .map(|i| ApiKeyEntry {
                    api_key: Secret::new(format!("k{i}")),
                    proxy_url: String::new(),
                })
                .collect(),
            models: vec![ModelAlias {
                name: "gpt-4o".into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Config::default()
    };
    Table::build(&cfg, Instant::now())
}

#[test]
fn selection_does_not_allocate() {
    let t = table(100);
    let now = Instant::now();
    let r = t.resolve("gpt-4o").unwrap();
    let cursors = Cursors::new();
    cursors.advance(r); // the first use of a route sizes this core's cursor table
    let policy = Policy::from_config(&Config::default());
    let mut tried = Tried::new();

    let before = allocations();
    std::hint::black_box(Vec::<u8>::with_capacity(16));
    assert_eq!(allocations() - before, 1, "the counter sees allocations");

    let before = allocations();
    for strategy in [RoutingStrategy::RoundRobin, RoutingStrategy::FillFirst] {
        for c in 0..1000 {
            std::hint::black_box(route::pick(r, t.cooldowns(), strategy, c, &tried, now));
        }
    }
    assert_eq!(allocations() - before, 0, "fast path");

    for s in r.slots().iter().step_by(7) {
        t.cooldowns().fail(
            *s,
            Reason::RateLimited,
            Penalty::For(Duration::from_secs(60)),
            now,
            SystemTime::now(),
        );
    }
    for s in r.slots().iter().skip(1).step_by(13).take(5) {
        tried.insert(*s);
    }
    let before = allocations();
    for strategy in [RoutingStrategy::RoundRobin, RoutingStrategy::FillFirst] {
        for c in 0..1000 {
            std::hint::black_box(route::pick(r, t.cooldowns(), strategy, c, &tried, now));
        }
    }
    for _ in 0..1000 {
        let mut f = Failover::new(&t, r, policy, cursors.advance(r), None);
        for _ in 0..5 {
            let Step::Try(s) = f.next(now) else {
                panic!("a slot is available")
            };
            std::hint::black_box(s);
        }
    }
    assert_eq!(allocations() - before, 0, "with cooling and tried slots");
}
