//! The view of configuration every worker reads per request: the config itself plus what is
//! derived from it once (client key digests, compiled payload rules, the model table with its
//! shared cooldown and session-affinity state, which change only through atomics and short
//! locks). Swapped whole through `ArcSwap` on reload. Built from a `Config`, no I/O.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use crate::auth::ClientKeys;
use crate::config::Config;
use crate::route;
use crate::translate::payload;

/// One consistent generation of configuration and everything derived from it.
#[derive(Debug)]
pub struct Snapshot {
    /// The parsed configuration.
    pub config: Config,
    /// Digests of `api-keys`.
    pub keys: ClientKeys,
    /// Model id → credential slots, with their cooldowns and session pins.
    pub routes: route::Table,
    /// The `payload` rules, compiled.
    pub payload: payload::Rules,
    /// Unix seconds when this snapshot was built (reported as `created` in model lists).
    pub created: u64,
}

impl Snapshot {
    /// Derives everything the request path needs from `config`.
    pub fn build(config: Config) -> Snapshot {
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Snapshot {
            keys: ClientKeys::new(&config.api_keys),
            routes: route::Table::build(&config, Instant::now()),
            payload: payload::Rules::compile(&config.payload),
            config,
            created,
        }
    }
}

/// The shared, swappable snapshot every worker loads once per request.
pub type Shared = Arc<ArcSwap<Snapshot>>;

/// Wraps a first snapshot for sharing.
pub fn shared(config: Config) -> Shared {
    Arc::new(ArcSwap::from_pointee(Snapshot::build(config)))
}
