//! The view of configuration every worker reads per request: the config itself plus what is
//! derived from it once (client key digests, compiled payload rules, the model table with its
//! shared cooldown and session-affinity state, which change only through atomics and short
//! locks, the parsed request parts of `openai-compatibility` entries), and the credentials loaded from `auth-dir` with their live tokens. Swapped whole
//! through `ArcSwap` on reload. Built from a `Config` and the loaded credentials, no I/O.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use crate::auth::accounts::Accounts;
use crate::auth::ClientKeys;
use crate::config::Config;
use crate::provider::openai_compat;
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
    /// What requests to each `openai-compatibility` entry need (URL, headers, key headers),
    /// parsed once; indexed like the config list, so by `Slot::entry` of a
    /// [`route::Provider::OpenAiCompat`] slot.
    pub openai_compat: Vec<openai_compat::Prebuilt>,
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
            openai_compat: config
                .openai_compatibility
                .iter()
                .map(openai_compat::Prebuilt::new)
                .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OpenAiCompatibility;
    use crate::route::fixtures::compat;
    use bytes::Bytes;

    /// Entry `name` at `base_url` with keys `k0`, `k1`, ... and one model.
    fn entry(name: &str, base_url: &str, keys: usize) -> OpenAiCompatibility {
        OpenAiCompatibility {
            base_url: base_url.into(),
            ..compat(name, "", keys, &[(name, "")])
        }
    }

    fn config(entries: Vec<OpenAiCompatibility>) -> Config {
        Config {
            openai_compatibility: entries,
            ..Default::default()
        }
    }

    /// (URL, Authorization) of the request each OpenAI-compatible slot of `snap` would send,
    /// found as the pipeline finds it: by the slot's entry and key numbers.
    fn requests(snap: &Snapshot) -> Vec<(String, Option<String>)> {
        snap.routes
            .slots()
            .iter()
            .filter(|s| s.provider == route::Provider::OpenAiCompat)
            .map(|s| {
                let prebuilt = &snap.openai_compat[s.entry];
                match openai_compat::build_request(prebuilt, s.key, Bytes::new(), false) {
                    Ok(req) => (
                        req.uri().to_string(),
                        req.headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned()),
                    ),
                    Err(e) => (e.message, None),
                }
            })
            .collect()
    }

    fn row(url: &str, auth: Option<&str>) -> (String, Option<String>) {
        (url.to_owned(), auth.map(str::to_owned))
    }

    #[test]
    fn openai_compat_requests_follow_each_snapshots_own_config() {
        let first = Snapshot::build(config(vec![entry("a", "http://a.example/v1/", 1)]));
        assert_eq!(
            requests(&first),
            [row(
                "http://a.example/v1/chat/completions",
                Some("Bearer k0")
            )]
        );
        let second = Snapshot::build(config(vec![
            entry("b", "http://b.example", 2),
            entry("c", "http://c.example/api", 0),
            entry("d", "http://bad host", 1),
        ]));
        assert_eq!(second.openai_compat.len(), 3);
        let bad = "openai-compatibility entry `d`: base-url does not form a valid URL";
        assert_eq!(
            requests(&second),
            [
                row("http://b.example/chat/completions", Some("Bearer k0")),
                row("http://b.example/chat/completions", Some("Bearer k1")),
                row("http://c.example/api/chat/completions", None),
                row(bad, None),
            ]
        );
        // An older snapshot keeps what it was built from.
        assert_eq!(
            requests(&first),
            [row(
                "http://a.example/v1/chat/completions",
                Some("Bearer k0")
            )]
        );
        assert!(Snapshot::build(Config::default()).openai_compat.is_empty());
    }
}
