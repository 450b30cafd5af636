//! The model table: every client-visible model id → the credential slots that serve it, in
//! priority tiers. A slot is one credential (an entry's API key) serving one upstream model;
//! cooldowns and session pins are kept per slot. Built once per config snapshot; no I/O.

use std::collections::HashMap;
use std::time::Instant;

use super::affinity::Affinity;
use super::cooldown::{CooldownView, Cooldowns};
use crate::config::{Config, ModelAlias};
use crate::protocol::Format;

/// Index of a [`Slot`] in its [`Table`]; stable for the life of the table (one snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotId(u32);

impl SlotId {
    /// The slot's position in [`Table::slots`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the slot at `index` (tests and benches build ids by hand).
    pub fn from_index(index: usize) -> Option<SlotId> {
        u32::try_from(index).ok().map(SlotId)
    }
}

/// One credential serving one upstream model: the unit selection picks and cooldowns track.
/// A credential serving a pool of upstream models has one slot per model, so a 429 on one
/// model leaves the others usable.
/// Which upstream family a slot's entry belongs to; `Slot::entry` indexes that config list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// `openai-compatibility` (Chat Completions).
    OpenAiCompat,
    /// `claude-api-key` (Anthropic Messages).
    Claude,
    /// `gemini-api-key` (AI Studio generateContent).
    Gemini,
    /// `codex-api-key` (Responses).
    Codex,
    /// `vertex-api-key` (Vertex-style `publishers/google/models` with `x-goog-api-key`).
    Vertex,
    /// A Vertex service account from `auth-dir`; `Slot::entry` indexes the snapshot's accounts.
    VertexAccount,
}

impl Provider {
    /// The wire format the upstream speaks.
    pub fn format(self) -> Format {
        match self {
            Provider::OpenAiCompat => Format::OpenAiChat,
            Provider::Claude => Format::Claude,
            Provider::Gemini | Provider::Vertex | Provider::VertexAccount => Format::Gemini,
            Provider::Codex => Format::OpenAiResponses,
        }
    }
}

/// A credential from `auth-dir` as routing sees it: what it serves and how it is named, never
/// its secrets. Built by the snapshot from the loaded credential files.
#[derive(Clone, Copy, Debug)]
pub struct FileCredential<'a> {
    /// The upstream family ([`Provider::VertexAccount`] today).
    pub provider: Provider,
    /// The credential's name in listings and logs (its file name).
    pub label: &'a str,
    /// `prefix` of the file.
    pub prefix: &'a str,
    /// `priority` of the file.
    pub priority: i32,
    /// `models` of the file; empty means the provider's default list.
    pub models: &'a [ModelAlias],
    /// `disable_cooling` of the file.
    pub no_cooling: bool,
}

/// The models a Vertex service account serves when its file lists none: current Gemini models
/// published on Vertex AI. The built-in model catalogue (channel `vertex`) replaces this list.
pub fn vertex_default_models() -> &'static [&'static str] {
    &[
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-2.0-flash",
        "gemini-2.0-flash-lite",
        "gemini-3-pro-preview",
    ]
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The upstream family.
    pub provider: Provider,
    /// Index into the provider's config list (`openai-compatibility`, `claude-api-key`, ...).
    pub entry: usize,
    /// Which of the entry's `api-key-entries` (`None` when the entry has none).
    pub key: Option<usize>,
    /// The model name sent upstream.
    pub upstream_model: String,
    /// The entry's `priority`: higher tiers are used first.
    pub priority: i32,
    /// The client-visible model id (alias, without prefix) this slot was registered for.
    pub model: String,
    /// A label naming the credential without revealing it: `entry-name[key index]`.
    pub label: String,
    /// The credential asks never to be cooled down (`disable_cooling` in its file).
    pub no_cooling: bool,
}

/// Every slot serving one client-visible model id, highest priority tier first and in config
/// order within a tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    id: usize,
    model: String,
    slots: Box<[SlotId]>,
    /// End (exclusive) of each tier in `slots`.
    tier_ends: Box<[usize]>,
}

impl Route {
    /// Dense index of this route in its table, for per-core cursors.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The client-visible model id.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// All slots, highest tier first.
    pub fn slots(&self) -> &[SlotId] {
        &self.slots
    }

    /// The priority tiers, highest first; each is non-empty.
    pub fn tiers(&self) -> impl Iterator<Item = &[SlotId]> + '_ {
        let mut start = 0;
        self.tier_ends.iter().filter_map(move |&end| {
            let tier = self.slots.get(start..end);
            start = end;
            tier
        })
    }

    /// Whether `slot` serves this route.
    pub fn contains(&self, slot: SlotId) -> bool {
        self.slots.contains(&slot)
    }
}

/// A model as listed by `GET /v1/models`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The id clients use.
    pub id: String,
    /// The upstream entry's name.
    pub owned_by: String,
}

/// Client-visible model id → route, plus the per-slot shared state (cooldowns, session pins)
/// that every core reads and writes through atomics or short locks.
#[derive(Debug)]
pub struct Table {
    routes: HashMap<String, Route>,
    slots: Vec<Slot>,
    listed: Vec<Listed>,
    cooldowns: Cooldowns,
    affinity: Affinity,
}

impl Table {
    /// Registers every `openai-compatibility` model under its alias (or its name when the alias
    /// is empty) with one slot per API key. An entry with a `prefix` also registers
    /// `prefix/alias`; with `force-model-prefix: true` it registers only `prefix/alias`.
    /// Several models sharing an alias form a pool: all their slots serve that alias.
    /// `epoch` is the reference instant cooldown deadlines are stored against.
    pub fn build(config: &Config, epoch: Instant) -> Table {
        Table::build_with(config, &[], epoch)
    }

    /// [`Table::build`] plus the credentials loaded from `auth-dir`, registered after the
    /// config's lists; a credential's `Slot::entry` is its index in `files`.
    pub fn build_with(config: &Config, files: &[FileCredential<'_>], epoch: Instant) -> Table {
        let mut b = Builder {
            force_prefix: config.force_model_prefix,
            ..Builder::default()
        };
        for (entry, compat) in config.openai_compatibility.iter().enumerate() {
            for m in &compat.models {
                let keys = compat.api_key_entries.len();
                let key_indices = (0..keys).map(Some).chain((keys == 0).then_some(None));
                for key in key_indices {
                    let label = match key {
                        Some(k) => format!("{}[{k}]", compat.name),
                        None => compat.name.clone(),
                    };
                    let slot = Slot {
                        provider: Provider::OpenAiCompat,
                        entry,
                        key,
                        upstream_model: String::new(),
                        priority: compat.priority,
                        model: String::new(),
                        label,
                        no_cooling: false,
                    };
                    b.register(slot, &m.name, &m.alias, &compat.prefix, &compat.name);
                }
            }
        }
        let keyed = config
            .claude_api_key
            .iter()
            .map(|k| (Provider::Claude, k.priority, k.prefix.as_str(), &k.models))
            .chain(
                config
                    .gemini_api_key
                    .iter()
                    .map(|k| (Provider::Gemini, k.priority, k.prefix.as_str(), &k.models)),
            )
            .chain(
                config
                    .codex_api_key
                    .iter()
                    .map(|k| (Provider::Codex, k.priority, k.prefix.as_str(), &k.models)),
            )
            .chain(
                config
                    .vertex_api_key
                    .iter()
                    .map(|k| (Provider::Vertex, k.priority, k.prefix.as_str(), &k.models)),
            );
        let mut counters: HashMap<Provider, usize> = HashMap::new();
        for (provider, priority, prefix, models) in keyed {
            let counter = counters.entry(provider).or_default();
            let entry = *counter;
            *counter += 1;
            let owner = provider_owner(provider);
            for m in models {
                let slot = Slot {
                    provider,
                    entry,
                    key: None,
                    upstream_model: String::new(),
                    priority,
                    model: String::new(),
                    label: format!("{owner}-api-key[{entry}]"),
                    no_cooling: false,
                };
                b.register(slot, &m.name, &m.alias, prefix, owner);
            }
        }
        for (entry, file) in files.iter().enumerate() {
            let defaults = vertex_default_models().iter().map(|m| (*m, ""));
            let listed = file
                .models
                .iter()
                .map(|m| (m.name.as_str(), m.alias.as_str()));
            let models: Vec<(&str, &str)> = if file.models.is_empty() {
                defaults.collect()
            } else {
                listed.collect()
            };
            for (name, alias) in models {
                let slot = Slot {
                    provider: file.provider,
                    entry,
                    key: None,
                    upstream_model: String::new(),
                    priority: file.priority,
                    model: String::new(),
                    label: file.label.to_owned(),
                    no_cooling: file.no_cooling,
                };
                let owner = provider_owner(file.provider);
                b.register(slot, name, alias, file.prefix, owner);
            }
        }
        b.finish(epoch)
    }

    /// The route serving `model`, if any.
    pub fn resolve(&self, model: &str) -> Option<&Route> {
        self.routes.get(model)
    }

    /// The slot with this id.
    pub fn slot(&self, id: SlotId) -> Option<&Slot> {
        self.slots.get(id.index())
    }

    /// Every slot, indexed by [`SlotId::index`].
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Number of routes (client-visible model ids).
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// Every servable model, in configuration order, each id once.
    pub fn listed(&self) -> &[Listed] {
        &self.listed
    }

    /// The shared per-slot cooldown state.
    pub fn cooldowns(&self) -> &Cooldowns {
        &self.cooldowns
    }

    /// The shared session → slot pins.
    pub fn affinity(&self) -> &Affinity {
        &self.affinity
    }

    /// Every slot cooling down at `now`, for `GET /v0/management/cooldowns`. Labels name the
    /// credential by entry and index, never by key.
    pub fn list_cooldowns(&self, now: Instant) -> Vec<CooldownView> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let id = SlotId::from_index(i)?;
                self.cooldowns.view(id, slot, now)
            })
            .collect()
    }

    /// Clears the state of every slot matching `credential` (a label such as `openrouter[1]`,
    /// or an entry name for all its keys) and `model` (client-visible or upstream name);
    /// `None` matches everything. Returns how many slots were cooling or backing off. For
    /// `POST /v0/management/reset-quota`.
    pub fn reset_cooldowns(&self, credential: Option<&str>, model: Option<&str>) -> usize {
        let mut n = 0;
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(id) = SlotId::from_index(i) else {
                continue;
            };
            let cred_ok = credential
                .is_none_or(|c| slot.label == c || slot.label.split('[').next() == Some(c));
            let model_ok = model.is_none_or(|m| slot.model == m || slot.upstream_model == m);
            if cred_ok && model_ok && self.cooldowns.reset(id) {
                n += 1;
            }
        }
        n
    }
}

/// The `owned_by` of a model served by an API-key list or a credential file of `provider`.
fn provider_owner(provider: Provider) -> &'static str {
    match provider {
        Provider::OpenAiCompat => "openai-compatibility",
        Provider::Claude => "claude",
        Provider::Gemini => "gemini",
        Provider::Codex => "codex",
        Provider::Vertex | Provider::VertexAccount => "vertex",
    }
}

/// Collects slots and routes while the table is built.
#[derive(Default)]
struct Builder {
    /// `force-model-prefix`.
    force_prefix: bool,
    slots: Vec<Slot>,
    index: HashMap<(Provider, usize, Option<usize>, String), SlotId>,
    routes: HashMap<String, Vec<SlotId>>,
    order: Vec<String>,
    listed: Vec<Listed>,
}

impl Builder {
    /// Registers `slot` serving upstream model `name` under its alias (or `name` when the alias
    /// is empty) and, with a `prefix`, under `prefix/alias`; with `force-model-prefix` only the
    /// prefixed id. A blank `name` registers nothing.
    fn register(&mut self, mut slot: Slot, name: &str, alias: &str, prefix: &str, owner: &str) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let alias = alias.trim();
        let id = if alias.is_empty() { name } else { alias };
        let prefix = prefix.trim_matches('/');
        let prefixed = (!prefix.is_empty()).then(|| format!("{prefix}/{id}"));
        let bare = !(self.force_prefix && prefixed.is_some());
        slot.upstream_model = name.to_owned();
        slot.model = id.to_owned();
        let slot = self.intern(slot);
        if bare {
            self.add(id, owner, slot);
        }
        if let Some(p) = &prefixed {
            self.add(p, owner, slot);
        }
    }

    fn intern(&mut self, slot: Slot) -> Option<SlotId> {
        let key = (
            slot.provider,
            slot.entry,
            slot.key,
            slot.upstream_model.clone(),
        );
        if let Some(id) = self.index.get(&key) {
            return Some(*id);
        }
        let id = SlotId::from_index(self.slots.len())?;
        self.slots.push(slot);
        self.index.insert(key, id);
        Some(id)
    }

    fn add(&mut self, id: &str, owner: &str, slot: Option<SlotId>) {
        let Some(slot) = slot else { return };
        let slots = self.routes.entry(id.to_owned()).or_default();
        if slots.is_empty() {
            self.order.push(id.to_owned());
            self.listed.push(Listed {
                id: id.to_owned(),
                owned_by: owner.to_owned(),
            });
        }
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }

    fn finish(mut self, epoch: Instant) -> Table {
        let mut routes = HashMap::with_capacity(self.order.len());
        for (id, model) in self.order.into_iter().enumerate() {
            let Some(mut slots) = self.routes.remove(&model) else {
                continue;
            };
            let priority = |s: &SlotId| self.slots.get(s.index()).map_or(0, |s| s.priority);
            // Stable: config order is kept within a tier.
            slots.sort_by_key(|s| std::cmp::Reverse(priority(s)));
            let mut tier_ends = Vec::new();
            for (i, pair) in slots.windows(2).enumerate() {
                if let [a, b] = pair {
                    if priority(a) != priority(b) {
                        tier_ends.push(i + 1);
                    }
                }
            }
            if !slots.is_empty() {
                tier_ends.push(slots.len());
            }
            let route = Route {
                id,
                model: model.clone(),
                slots: slots.into_boxed_slice(),
                tier_ends: tier_ends.into_boxed_slice(),
            };
            routes.insert(model, route);
        }
        Table {
            routes,
            cooldowns: Cooldowns::new(self.slots.len(), epoch),
            affinity: Affinity::new(epoch),
            slots: self.slots,
            listed: self.listed,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{ApiKeyEntry, ModelAlias, OpenAiCompatibility, Secret};

    pub(crate) fn compat(
        name: &str,
        prefix: &str,
        keys: usize,
        models: &[(&str, &str)],
    ) -> OpenAiCompatibility {
        OpenAiCompatibility {
            name: name.into(),
            prefix: prefix.into(),
            base_url: "http://127.0.0.1:1".into(),
            api_key_entries: (0..keys)
                .map(|i| ApiKeyEntry {
                    api_key: Secret::new(format!("k{i}")),
                    proxy_url: String::new(),
                })
                .collect(),
            models: models
                .iter()
                .map(|(n, a)| ModelAlias {
                    name: (*n).into(),
                    alias: (*a).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn config() -> Config {
        Config {
            openai_compatibility: vec![
                compat(
                    "openrouter",
                    "",
                    2,
                    &[("openai/gpt-4o", "gpt-4o"), ("meta/llama", "")],
                ),
                compat("local", "team", 0, &[("qwen", "gpt-4o")]),
            ],
            ..Config::default()
        }
    }

    /// `f` of every slot serving `model`, in route order.
    fn slots_of<'t, T>(t: &'t Table, model: &str, f: impl Fn(&'t Slot) -> T) -> Vec<T> {
        t.resolve(model)
            .unwrap()
            .slots()
            .iter()
            .map(|s| f(t.slot(*s).unwrap()))
            .collect()
    }

    fn upstreams<'t>(t: &'t Table, model: &str) -> Vec<(&'t str, Option<usize>)> {
        slots_of(t, model, |s| (s.upstream_model.as_str(), s.key))
    }

    #[test]
    fn aliases_names_prefixes_and_keys_resolve() {
        let t = Table::build(&config(), Instant::now());
        assert_eq!(
            upstreams(&t, "gpt-4o"),
            [
                ("openai/gpt-4o", Some(0)),
                ("openai/gpt-4o", Some(1)),
                ("qwen", None)
            ]
        );
        assert_eq!(
            upstreams(&t, "meta/llama"),
            [("meta/llama", Some(0)), ("meta/llama", Some(1))]
        );
        assert_eq!(upstreams(&t, "team/gpt-4o"), [("qwen", None)]);
        assert!(
            t.resolve("openai/gpt-4o").is_none(),
            "aliased names are hidden"
        );
        assert!(t.resolve("nope").is_none());
        let ids: Vec<_> = t.listed().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["gpt-4o", "meta/llama", "team/gpt-4o"]);
        assert_eq!(t.route_count(), 3);
        let labels: Vec<_> = t.slots().iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "openrouter[0]",
                "openrouter[1]",
                "openrouter[0]",
                "openrouter[1]",
                "local"
            ]
        );
    }

    #[test]
    fn a_prefixed_and_a_bare_name_share_one_slot() {
        let t = Table::build(&config(), Instant::now());
        assert_eq!(
            t.resolve("gpt-4o").unwrap().slots()[2],
            t.resolve("team/gpt-4o").unwrap().slots()[0]
        );
    }

    #[test]
    fn force_model_prefix_registers_only_the_prefixed_name() {
        let mut cfg = config();
        cfg.force_model_prefix = true;
        let t = Table::build(&cfg, Instant::now());
        assert_eq!(
            upstreams(&t, "gpt-4o"),
            [("openai/gpt-4o", Some(0)), ("openai/gpt-4o", Some(1))],
            "the prefixed entry no longer serves the bare name"
        );
        assert_eq!(upstreams(&t, "team/gpt-4o"), [("qwen", None)]);
    }

    #[test]
    fn a_shared_alias_forms_a_pool_of_every_member_and_key() {
        let cfg = Config {
            openai_compatibility: vec![compat("p", "", 2, &[("a", "pool"), ("b", "pool")])],
            ..Config::default()
        };
        let t = Table::build(&cfg, Instant::now());
        assert_eq!(
            upstreams(&t, "pool"),
            [
                ("a", Some(0)),
                ("a", Some(1)),
                ("b", Some(0)),
                ("b", Some(1))
            ]
        );
    }

    #[test]
    fn tiers_are_ordered_by_priority_and_keep_config_order() {
        let mut cfg = config();
        cfg.openai_compatibility[1].priority = 5;
        cfg.openai_compatibility
            .push(compat("third", "", 1, &[("x", "gpt-4o")]));
        cfg.openai_compatibility[2].priority = 5;
        let t = Table::build(&cfg, Instant::now());
        let route = t.resolve("gpt-4o").unwrap();
        let tiers: Vec<Vec<&str>> = route
            .tiers()
            .map(|tier| {
                tier.iter()
                    .map(|s| t.slot(*s).unwrap().label.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            tiers,
            [
                vec!["local", "third[0]"],
                vec!["openrouter[0]", "openrouter[1]"]
            ]
        );
    }

    #[test]
    fn cooldowns_are_listed_by_label_and_reset_by_credential_or_model() {
        use crate::route::classify::{Penalty, Reason};
        use std::time::{Duration, SystemTime};

        let t0 = Instant::now();
        let t = Table::build(&config(), t0);
        let wall = SystemTime::UNIX_EPOCH;
        let gpt = t.resolve("gpt-4o").unwrap().slots().to_vec();
        let llama = t.resolve("meta/llama").unwrap().slots().to_vec();
        let hour = Penalty::For(Duration::from_secs(3600));
        for s in gpt.iter().chain(&llama) {
            t.cooldowns().fail(*s, Reason::RateLimited, hour, t0, wall);
        }
        let now = t0 + Duration::from_secs(600);
        let listed = t.list_cooldowns(now);
        assert_eq!(listed.len(), 5);
        let first = &listed[0];
        assert_eq!(
            (
                first.credential.as_str(),
                first.model.as_str(),
                first.upstream_model.as_str(),
                first.reason
            ),
            (
                "openrouter[0]",
                "gpt-4o",
                "openai/gpt-4o",
                Reason::RateLimited
            )
        );
        assert_eq!(first.remaining, Duration::from_secs(3000));
        assert_eq!(first.until, t0 + Duration::from_secs(3600));
        let text = format!("{listed:?}");
        assert!(
            !text.contains("k0") && !text.contains("k1"),
            "keys never show"
        );

        assert_eq!(t.reset_cooldowns(Some("openrouter[1]"), Some("gpt-4o")), 1);
        assert!(!t.cooldowns().is_cooling(gpt[1], now));
        assert!(t.cooldowns().is_cooling(llama[1], now));
        assert_eq!(t.reset_cooldowns(None, Some("meta/llama")), 2);
        assert_eq!(t.reset_cooldowns(Some("local"), None), 1);
        assert_eq!(t.reset_cooldowns(Some("openrouter"), None), 1);
        assert!(t.list_cooldowns(now).is_empty());
        assert_eq!(t.reset_cooldowns(None, None), 0);

        // An expired cooldown is simply not listed: nothing to reset, no restart needed.
        t.cooldowns()
            .fail(gpt[0], Reason::Transient, hour, t0, wall);
        assert!(t.list_cooldowns(t0 + Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn vertex_keys_and_service_accounts_register_their_models() {
        use crate::config::ProviderKey;
        let model = |name: &str, alias: &str| ModelAlias {
            name: name.into(),
            alias: alias.into(),
            ..Default::default()
        };
        let cfg = Config {
            vertex_api_key: vec![ProviderKey {
                api_key: Secret::new("vk"),
                models: vec![model("gemini-2.5-pro", "")],
                ..Default::default()
            }],
            gemini_api_key: vec![ProviderKey {
                api_key: Secret::new("g"),
                models: vec![model("gemini-2.5-pro", "")],
                ..Default::default()
            }],
            ..Config::default()
        };
        let listed = [model("gemini-2.5-flash", "fast")];
        let files = [
            FileCredential {
                provider: Provider::VertexAccount,
                label: "vertex-a.json",
                prefix: "team",
                priority: 2,
                models: &[],
                no_cooling: false,
            },
            FileCredential {
                provider: Provider::VertexAccount,
                label: "vertex-b.json",
                prefix: "",
                priority: 0,
                models: &listed,
                no_cooling: true,
            },
        ];
        let t = Table::build_with(&cfg, &files, Instant::now());
        let labels = |model: &str| slots_of(&t, model, |s| (s.label.as_str(), s.provider, s.entry));
        assert_eq!(
            labels("gemini-2.5-pro"),
            [
                ("vertex-a.json", Provider::VertexAccount, 0),
                ("gemini-api-key[0]", Provider::Gemini, 0),
                ("vertex-api-key[0]", Provider::Vertex, 0),
            ],
            "a higher priority first; same entry index and model, yet one slot per provider"
        );
        assert_eq!(
            labels("team/gemini-3-pro-preview"),
            [("vertex-a.json", Provider::VertexAccount, 0)]
        );
        for m in vertex_default_models() {
            assert!(t.resolve(m).is_some(), "{m}");
        }
        assert_eq!(
            labels("fast"),
            [("vertex-b.json", Provider::VertexAccount, 1)]
        );
        assert_eq!(
            t.slot(t.resolve("fast").unwrap().slots()[0])
                .unwrap()
                .upstream_model,
            "gemini-2.5-flash"
        );
        assert!(
            t.resolve("gemini-2.5-flash").is_some(),
            "served by vertex-a"
        );
        let owner = t.listed().iter().find(|l| l.id == "fast").unwrap();
        assert_eq!(owner.owned_by, "vertex");
        assert_eq!(Provider::VertexAccount.format(), Format::Gemini);
    }

    #[test]
    fn an_empty_config_has_no_routes() {
        let t = Table::build(&Config::default(), Instant::now());
        assert!(t.listed().is_empty());
        assert!(t.slots().is_empty());
        assert!(t.resolve("x").is_none());
    }
}
