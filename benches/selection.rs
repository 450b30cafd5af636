//! Credential selection cost for one model served by 1, 100 and 10,000 credentials: the bare
//! pick while nothing cools (the O(1) fast path), the pick while some slots cool (one atomic
//! load per candidate), and a whole request's plan (model lookup, cursor, failover state,
//! first pick). Tables are built outside the timed loop.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

use cliproxy::config::{ApiKeyEntry, Config, ModelAlias, OpenAiCompatibility, Secret};
use cliproxy::route::{
    self, Cursors, Failover, Penalty, Policy, Reason, SlotId, Step, Table, Tried,
};

const SIZES: [usize; 3] = [1, 100, 10_000];

/// One entry with `keys` keys serving `gpt-4o`, plus one `other` model whose single key can be
/// put on cooldown to switch selection off its fast path without touching `gpt-4o`.
fn table(keys: usize) -> Table {
    let entry = |name: &str, keys: usize, model: &str| OpenAiCompatibility {
        name: name.into(),
        base_url: "http://127.0.0.1:1".into(),
        api_key_entries: (0..keys)
            .map(|i| ApiKeyEntry {
                api_key: Secret::new(format!("k{i}")),
                proxy_url: String::new(),
            })
            .collect(),
        models: vec![ModelAlias {
            name: model.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let cfg = Config {
        openai_compatibility: vec![entry("main", keys, "gpt-4o"), entry("aux", 1, "other")],
        ..Config::default()
    };
    Table::build(&cfg, Instant::now())
}

/// Cools the `other` model's slot, and every tenth `gpt-4o` slot except the first, for an hour.
fn cool_some(t: &Table, now: Instant) {
    let cool = |s: SlotId| {
        t.cooldowns().fail(
            s,
            Reason::RateLimited,
            Penalty::For(Duration::from_secs(3600)),
            now,
            SystemTime::now(),
        );
    };
    cool(t.resolve("other").unwrap().slots()[0]);
    for s in t
        .resolve("gpt-4o")
        .unwrap()
        .slots()
        .iter()
        .skip(1)
        .step_by(10)
    {
        cool(*s);
    }
}

fn bench_pick(c: &mut Criterion) {
    let mut g = c.benchmark_group("selection/pick");
    for cooling in [false, true] {
        let name = if cooling {
            "some_cooling"
        } else {
            "none_cooling"
        };
        for n in SIZES {
            let t = table(n);
            let now = Instant::now();
            if cooling {
                cool_some(&t, now);
            }
            let r = t.resolve("gpt-4o").unwrap();
            let tried = Tried::new();
            let mut cursor = 0u64;
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    cursor = cursor.wrapping_add(1);
                    black_box(route::pick(
                        black_box(r),
                        t.cooldowns(),
                        cliproxy::config::RoutingStrategy::RoundRobin,
                        cursor,
                        &tried,
                        now,
                    ))
                })
            });
        }
    }
    g.finish();
}

fn bench_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("selection/request_plan");
    let policy = Policy::from_config(&Config::default());
    for n in SIZES {
        let t = table(n);
        let now = Instant::now();
        cool_some(&t, now);
        let cursors = Cursors::new();
        g.bench_function(BenchmarkId::new("some_cooling", n), |b| {
            b.iter(|| {
                let r = t.resolve(black_box("gpt-4o")).unwrap();
                let mut f = Failover::new(&t, r, policy, cursors.advance(r), None);
                match f.next(now) {
                    Step::Try(s) => black_box(s),
                    other => panic!("unexpected {other:?}"),
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_pick, bench_request);
criterion_main!(benches);
