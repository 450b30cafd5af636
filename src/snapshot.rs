//! The view of configuration every worker reads per request: the config itself plus what is
//! derived from it once (client key digests, compiled payload rules, the model table with its
//! shared cooldown and session-affinity state, which change only through atomics and short
//! locks), and the credentials loaded from `auth-dir` with their live tokens. Swapped whole
//! through `ArcSwap` on reload. Built from a `Config` and the loaded credentials, no I/O.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use crate::auth::accounts::Accounts;
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
    /// Credentials from `auth-dir` that carry access tokens; `Slot::entry` of a
    /// [`route::Provider::VertexAccount`] slot indexes them.
    pub accounts: Arc<Accounts>,
    /// Unix seconds when this snapshot was built (reported as `created` in model lists).
    pub created: u64,
}

impl Snapshot {
    /// Derives everything the request path needs from `config`, with no credential files.
    pub fn build(config: Config) -> Snapshot {
        Snapshot::with_accounts(config, Accounts::empty())
    }

    /// As [`Snapshot::build`], with the credentials loaded from `auth-dir`.
    pub fn with_accounts(config: Config, accounts: Arc<Accounts>) -> Snapshot {
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let files: Vec<route::FileCredential<'_>> = accounts
            .list()
            .iter()
            .map(|a| route::FileCredential {
                provider: route::Provider::VertexAccount,
                label: &a.name,
                prefix: &a.file.common.prefix,
                priority: a.file.common.priority,
                models: &a.file.common.models,
                excluded: &a.file.common.excluded_models,
                disable_cooling: a.file.common.disable_cooling,
            })
            .collect();
        let routes = route::Table::build_with(&config, &files, Instant::now());
        drop(files);
        Snapshot {
            keys: ClientKeys::new(&config.api_keys),
            routes,
            payload: payload::Rules::compile(&config.payload),
            config,
            accounts,
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

/// Wraps a first snapshot with the credentials loaded from `auth-dir`.
pub fn shared_with(config: Config, accounts: Arc<Accounts>) -> Shared {
    Arc::new(ArcSwap::from_pointee(Snapshot::with_accounts(
        config, accounts,
    )))
}
