//! The immutable view of configuration every worker reads per request: the config itself plus
//! what is derived from it once (client key digests, the model table, compiled payload rules).
//! Swapped whole through `ArcSwap` on reload. Pure: built from a `Config`, no I/O.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// Model id → upstream targets.
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
            routes: route::Table::build(&config),
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
