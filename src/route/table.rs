//! The model table: every client-visible model id → the credential slots that serve it, in
//! priority tiers. A slot is one credential (an entry's API key) serving one upstream model;
//! cooldowns and session pins are kept per slot. Built once per config snapshot; no I/O.

use std::collections::HashMap;
use std::time::Instant;

use super::affinity::Affinity;
use super::catalogue::{Channel, Model};
use super::cooldown::{CooldownView, Cooldowns};
use super::registry::{self, Offer};
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
    /// The catalogue channel whose models an entry without `models:` serves; `None` for
    /// `openai-compatibility`, whose entries always list their models.
    pub fn channel(self) -> Option<Channel> {
        match self {
            Provider::OpenAiCompat => None,
            Provider::Claude => Some(Channel::Claude),
            Provider::Gemini => Some(Channel::Gemini),
            Provider::Codex => Some(Channel::Codex),
            Provider::Vertex | Provider::VertexAccount => Some(Channel::Vertex),
        }
    }

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
    /// `models` of the file; empty means its channel's catalogue models.
    pub models: &'a [ModelAlias],
    /// `excluded_models` of the file.
    pub excluded: &'a [String],
    /// `disable_cooling` of the file (`None` when it does not say).
    pub disable_cooling: Option<bool>,
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
    /// The credential's own `disable-cooling`: `Some(true)` records no cooldowns for it,
    /// `Some(false)` records them even under a global `disable-cooling: true`, `None` follows
    /// the global setting.
    pub disable_cooling: Option<bool>,
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
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    /// The id clients use.
    pub id: String,
    /// Who serves it: the `openai-compatibility` entry's name, or the maker of an API-key
    /// channel's models (`anthropic`, `google`, `openai`).
    pub owned_by: String,
    /// Catalogue metadata of the upstream model behind the id (of the first slot registered
    /// for it), when the catalogue knows that model.
    pub model: Option<&'static Model>,
}

/// Client-visible model id → route, plus the per-slot shared state (cooldowns, session pins)
/// that every core reads and writes through atomics or short locks.
#[derive(Debug)]
pub struct Table {
    routes: HashMap<String, Route>,
    slots: Vec<Slot>,
    listed: Vec<Listed>,
    /// Indices into `listed` in the order `auto` tries them: newest release first.
    auto_order: Box<[usize]>,
    cooldowns: Cooldowns,
    affinity: Affinity,
}

impl Table {
    /// Registers every model each credential offers, with one slot per credential and
    /// upstream model:
    /// - `openai-compatibility`: each `models:` entry under its alias (or its name when the
    ///   alias is empty), one slot per API key;
    /// - `claude-api-key`, `gemini-api-key`, `codex-api-key`: the entry's `models:`, or its
    ///   channel's catalogue models when it lists none, minus `excluded-models`
    ///   ([`registry::offers`]).
    ///
    /// An entry with a `prefix` also registers `prefix/id`; with `force-model-prefix: true` it
    /// registers only `prefix/id`. Several models sharing an id form a pool: all their slots
    /// serve that id. `epoch` is the reference instant cooldown deadlines are stored against.
    pub fn build(config: &Config, epoch: Instant) -> Table {
        Table::build_with(config, &[], epoch)
    }

    /// [`Table::build`] plus the credentials loaded from `auth-dir`, registered after the
    /// config's lists like API-key entries of their channel; a credential's `Slot::entry` is
    /// its index in `files`.
    pub fn build_with(config: &Config, files: &[FileCredential<'_>], epoch: Instant) -> Table {
        let mut b = Builder {
            force_prefix: config.force_model_prefix,
            ..Builder::default()
        };
        for (entry, compat) in config.openai_compatibility.iter().enumerate() {
            let keys = compat.api_key_entries.len();
            for m in &compat.models {
                let name = m.name.trim();
                if name.is_empty() {
                    continue;
                }
                let alias = m.alias.trim();
                let offer = Offer {
                    id: if alias.is_empty() { name } else { alias }.to_owned(),
                    upstream: name.to_owned(),
                    model: None,
                };
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
                        upstream_model: offer.upstream.clone(),
                        priority: compat.priority,
                        model: offer.id.clone(),
                        label,
                        disable_cooling: compat.disable_cooling,
                    };
                    b.register(slot, &offer, &compat.prefix, &compat.name);
                }
            }
        }
        // One entry of an API-key list, whatever its type (the lists share these fields).
        macro_rules! keyed {
            ($list:expr, $provider:expr) => {
                $list.iter().enumerate().map(|(entry, k)| Keyed {
                    provider: $provider,
                    entry,
                    priority: k.priority,
                    prefix: &k.prefix,
                    models: &k.models,
                    excluded: &k.excluded_models,
                    disable_cooling: k.disable_cooling,
                    label: None,
                })
            };
        }
        let files = files.iter().enumerate().map(|(entry, f)| Keyed {
            provider: f.provider,
            entry,
            priority: f.priority,
            prefix: f.prefix,
            models: f.models,
            excluded: f.excluded,
            disable_cooling: f.disable_cooling,
            label: Some(f.label),
        });
        let keyed = keyed!(config.claude_api_key, Provider::Claude)
            .chain(keyed!(config.gemini_api_key, Provider::Gemini))
            .chain(keyed!(config.codex_api_key, Provider::Codex))
            .chain(keyed!(config.vertex_api_key, Provider::Vertex))
            .chain(files);
        for k in keyed {
            let Some(channel) = k.provider.channel() else {
                continue;
            };
            // Credential files (today Vertex service accounts) also take the channel's
            // `oauth-excluded-models` and `oauth-model-alias`; API-key entries have their own
            // `excluded-models` and `models: [{name, alias}]` instead.
            let offers = if k.label.is_some() {
                let mut excluded = k.excluded.to_vec();
                excluded.extend_from_slice(registry::oauth_exclusions(config, channel));
                let offers = registry::offers(channel, k.models, &excluded);
                registry::apply_oauth_aliases(channel, &offers, &config.oauth_model_alias)
            } else {
                registry::offers(channel, k.models, k.excluded)
            };
            for offer in offers {
                let slot = Slot {
                    provider: k.provider,
                    entry: k.entry,
                    key: None,
                    upstream_model: offer.upstream.clone(),
                    priority: k.priority,
                    model: offer.id.clone(),
                    label: k.label.map_or_else(
                        || format!("{}-api-key[{}]", channel.name(), k.entry),
                        str::to_owned,
                    ),
                    disable_cooling: k.disable_cooling,
                };
                b.register(slot, &offer, k.prefix, channel.owner());
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

    /// The models to list at `now`: [`Table::listed`] without the models whose every slot is
    /// suspended for a reason other than quota (refused key, model not found or not
    /// supported), as CLIProxyAPI hides them; rate-limited and transiently failing models
    /// stay listed, since they come back by themselves.
    pub fn visible(&self, now: Instant) -> impl Iterator<Item = &Listed> + '_ {
        let t = self.cooldowns.offset(now);
        let any = self.cooldowns.any_cooling_at(t);
        self.listed.iter().filter(move |l| {
            !any || !self.routes.get(&l.id).is_some_and(|r| {
                r.slots().iter().all(|s| {
                    self.cooldowns
                        .cooling_reason(*s, now)
                        .is_some_and(|why| why.suspends())
                })
            })
        })
    }

    /// The route the model name `auto` stands for at `now`, as CLIProxyAPI resolves it: the
    /// newest model (by catalogue release date; models the catalogue does not date count as
    /// newest, in config order) with at least one slot not cooling down. When every model is
    /// cooling, the newest one, so the client hears when it comes back. `None` only when
    /// nothing is configured.
    pub fn auto(&self, now: Instant) -> Option<&Route> {
        let t = self.cooldowns.offset(now);
        let mut ordered = self
            .auto_order
            .iter()
            .filter_map(|&i| self.routes.get(&self.listed.get(i)?.id));
        let first = ordered.next()?;
        if !self.cooldowns.any_cooling_at(t) {
            return Some(first);
        }
        let usable = |r: &&Route| {
            r.slots()
                .iter()
                .any(|s| !self.cooldowns.is_cooling_at(*s, t))
        };
        Some(
            std::iter::once(first)
                .chain(ordered)
                .find(usable)
                .unwrap_or(first),
        )
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

/// An API-key entry or a credential file as the table needs it, whichever list it comes from.
struct Keyed<'a> {
    provider: Provider,
    entry: usize,
    priority: i32,
    prefix: &'a str,
    models: &'a [crate::config::ModelAlias],
    excluded: &'a [String],
    disable_cooling: Option<bool>,
    /// A credential file's name; API-key entries are labelled `<channel>-api-key[<entry>]`.
    label: Option<&'a str>,
}

/// Collects slots and routes while the table is built.
#[derive(Default)]
struct Builder {
    force_prefix: bool,
    slots: Vec<Slot>,
    index: HashMap<(Provider, usize, Option<usize>, String), SlotId>,
    routes: HashMap<String, Vec<SlotId>>,
    order: Vec<String>,
    listed: Vec<Listed>,
}

impl Builder {
    /// Interns `slot` and registers it under the offer's id, as `prefix/id` too when the
    /// entry has a prefix, and only so under `force-model-prefix`.
    fn register(&mut self, slot: Slot, offer: &Offer, prefix: &str, owner: &str) {
        let slot = self.intern(slot);
        let prefix = prefix.trim_matches('/');
        let prefixed = (!prefix.is_empty()).then(|| format!("{prefix}/{}", offer.id));
        if !(self.force_prefix && prefixed.is_some()) {
            self.add(&offer.id, owner, offer.model, slot);
        }
        if let Some(p) = &prefixed {
            self.add(p, owner, offer.model, slot);
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

    fn add(&mut self, id: &str, owner: &str, model: Option<&'static Model>, slot: Option<SlotId>) {
        let Some(slot) = slot else { return };
        let slots = self.routes.entry(id.to_owned()).or_default();
        if slots.is_empty() {
            self.order.push(id.to_owned());
            self.listed.push(Listed {
                id: id.to_owned(),
                owned_by: owner.to_owned(),
                model,
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
        // Newest release first; a model without a release date counts as registered now (as
        // CLIProxyAPI stamps configured models); the sort is stable, so ties keep config order.
        let mut auto_order: Vec<usize> = (0..self.listed.len()).collect();
        auto_order.sort_by_key(|&i| {
            let created = self.listed.get(i).and_then(|l| l.model?.created);
            std::cmp::Reverse(created.unwrap_or(u64::MAX))
        });
        Table {
            routes,
            cooldowns: Cooldowns::new(self.slots.len(), epoch),
            affinity: Affinity::new(epoch),
            slots: self.slots,
            listed: self.listed,
            auto_order: auto_order.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{ApiKeyEntry, ClaudeKey, ModelAlias, OpenAiCompatibility, Secret};
    use crate::route::catalogue;

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
            models: model_aliases(models),
            ..Default::default()
        }
    }

    /// `models:` entries from (name, alias) pairs.
    pub(crate) fn model_aliases(pairs: &[(&str, &str)]) -> Vec<ModelAlias> {
        pairs
            .iter()
            .map(|(n, a)| ModelAlias {
                name: (*n).into(),
                alias: (*a).into(),
                ..Default::default()
            })
            .collect()
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

    fn claude_key(models: &[(&str, &str)], excluded: &[&str], prefix: &str) -> ClaudeKey {
        ClaudeKey {
            api_key: Secret::new("sk".to_owned()),
            prefix: prefix.into(),
            models: model_aliases(models),
            excluded_models: excluded.iter().map(|p| (*p).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_api_key_entry_without_models_serves_its_catalogue_minus_exclusions() {
        let cfg = Config {
            claude_api_key: vec![claude_key(&[], &["*haiku*"], "team")],
            ..Config::default()
        };
        let t = Table::build(&cfg, Instant::now());
        let catalogue = catalogue::models(Channel::Claude);
        let haiku = catalogue.iter().filter(|m| m.id.contains("haiku")).count();
        assert!(haiku > 0);
        assert_eq!(t.slots().len(), catalogue.len() - haiku);
        assert_eq!(
            upstreams(&t, "claude-opus-5-5"),
            [("claude-opus-5-5", None)]
        );
        assert_eq!(
            t.resolve("team/claude-opus-5-5").unwrap().slots(),
            t.resolve("claude-opus-5-5").unwrap().slots()
        );
        assert!(t.resolve("claude-haiku-5-5").is_none());
        let opus = t
            .listed()
            .iter()
            .find(|l| l.id == "claude-opus-5-5")
            .unwrap();
        assert_eq!(opus.owned_by, "anthropic");
        assert_eq!(opus.model.unwrap().display_name, "Claude Opus 5.5");
        let slot = t
            .slot(t.resolve("claude-opus-5-5").unwrap().slots()[0])
            .unwrap();
        assert_eq!(
            (slot.label.as_str(), slot.provider),
            ("claude-api-key[0]", Provider::Claude)
        );
    }

    #[test]
    fn configured_models_replace_the_catalogue_and_keep_its_metadata() {
        let cfg = Config {
            claude_api_key: vec![claude_key(
                &[("claude-opus-5-5", "opus"), ("tuned", "")],
                &[],
                "",
            )],
            ..Config::default()
        };
        let t = Table::build(&cfg, Instant::now());
        let ids: Vec<_> = t.listed().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["opus", "tuned"]);
        assert_eq!(upstreams(&t, "opus"), [("claude-opus-5-5", None)]);
        assert_eq!(t.listed()[0].model.unwrap().id, "claude-opus-5-5");
        assert_eq!(t.listed()[1].model, None);
    }

    #[test]
    fn entries_of_different_providers_never_share_a_slot() {
        // Entry 0 of two lists serving the same upstream name: two credentials, two slots.
        let cfg = Config {
            openai_compatibility: vec![compat("local", "", 0, &[("claude-opus-5-5", "")])],
            claude_api_key: vec![claude_key(&[("claude-opus-5-5", "")], &[], "")],
            ..Config::default()
        };
        let t = Table::build(&cfg, Instant::now());
        let providers: Vec<Provider> = t
            .resolve("claude-opus-5-5")
            .unwrap()
            .slots()
            .iter()
            .map(|s| t.slot(*s).unwrap().provider)
            .collect();
        assert_eq!(providers, [Provider::OpenAiCompat, Provider::Claude]);
    }

    fn cool(t: &Table, model: &str, reason: crate::route::Reason, now: Instant) {
        use crate::route::Penalty;
        for s in t.resolve(model).unwrap().slots() {
            let hour = Penalty::For(std::time::Duration::from_secs(3600));
            t.cooldowns()
                .fail(*s, reason, hour, now, std::time::SystemTime::UNIX_EPOCH);
        }
    }

    #[test]
    fn auto_is_the_newest_model_with_a_usable_credential() {
        use crate::route::Reason;
        let t0 = Instant::now();
        let cfg = Config {
            claude_api_key: vec![claude_key(
                &[
                    ("claude-opus-4-6", ""),
                    ("claude-opus-5", ""),
                    ("claude-sonnet-4-6", ""),
                ],
                &[],
                "",
            )],
            ..Config::default()
        };
        let t = Table::build(&cfg, t0);
        let auto = |now| t.auto(now).unwrap().model().to_owned();
        assert_eq!(auto(t0), "claude-opus-5");
        cool(&t, "claude-opus-5", Reason::RateLimited, t0);
        assert_eq!(auto(t0), "claude-sonnet-4-6", "released after opus 4.6");
        cool(&t, "claude-sonnet-4-6", Reason::Unauthorized, t0);
        assert_eq!(auto(t0), "claude-opus-4-6");
        cool(&t, "claude-opus-4-6", Reason::Transient, t0);
        assert_eq!(
            auto(t0),
            "claude-opus-5",
            "all cooling: the newest, to report its reset"
        );
        let later = t0 + std::time::Duration::from_secs(3600);
        assert_eq!(auto(later), "claude-opus-5", "cooldowns over");

        // Models the catalogue does not date count as newest, in config order.
        let mut cfg = cfg;
        cfg.openai_compatibility = vec![compat("local", "", 1, &[("llama", ""), ("qwen", "")])];
        let t = Table::build(&cfg, t0);
        assert_eq!(t.auto(t0).unwrap().model(), "llama");
        assert!(Table::build(&Config::default(), t0).auto(t0).is_none());
    }

    #[test]
    fn models_suspended_on_every_credential_are_hidden_but_quota_cooling_ones_stay() {
        use crate::route::Reason;
        let t0 = Instant::now();
        let t = Table::build(&config(), t0);
        let visible = |now| -> Vec<String> { t.visible(now).map(|l| l.id.clone()).collect() };
        assert_eq!(visible(t0), ["gpt-4o", "meta/llama", "team/gpt-4o"]);
        cool(&t, "meta/llama", Reason::RateLimited, t0);
        assert_eq!(
            visible(t0),
            ["gpt-4o", "meta/llama", "team/gpt-4o"],
            "quota: listed"
        );
        cool(&t, "team/gpt-4o", Reason::Unauthorized, t0);
        assert_eq!(
            visible(t0),
            ["gpt-4o", "meta/llama"],
            "its only key is refused; gpt-4o has two more"
        );
        cool(&t, "gpt-4o", Reason::NotFound, t0);
        assert_eq!(visible(t0), ["meta/llama"]);
        let later = t0 + std::time::Duration::from_secs(3600);
        assert_eq!(visible(later).len(), 3, "back once the suspension ends");
        cool(&t, "meta/llama", Reason::Transient, later);
        assert_eq!(
            visible(later).len(),
            3,
            "transient failures keep a model listed"
        );
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
        let excluded = ["*-lite".to_owned()];
        let file = |label, prefix, priority, models| FileCredential {
            provider: Provider::VertexAccount,
            label,
            prefix,
            priority,
            models,
            excluded: &excluded,
            disable_cooling: Some(true),
        };
        let files = [
            file("vertex-a.json", "team", 2, &[]),
            file("vertex-b.json", "", 0, &listed),
        ];
        let t = Table::build_with(&cfg, &files, Instant::now());
        let labels = |model: &str| slots_of(&t, model, |s| (s.label.clone(), s.provider, s.entry));
        assert_eq!(
            labels("gemini-2.5-pro"),
            [
                ("vertex-a.json".to_owned(), Provider::VertexAccount, 0),
                ("gemini-api-key[0]".to_owned(), Provider::Gemini, 0),
                ("vertex-api-key[0]".to_owned(), Provider::Vertex, 0),
            ],
            "a higher priority first; same entry index and model, yet one slot per provider"
        );
        // Without `models` a service account serves the vertex channel's catalogue, minus
        // its exclusions, under its prefix too.
        for m in crate::route::catalogue::models(Channel::Vertex) {
            let served = t.resolve(&format!("team/{}", m.id)).is_some();
            assert_eq!(served, !m.id.ends_with("-lite"), "{}", m.id);
        }
        assert_eq!(
            labels("fast"),
            [("vertex-b.json".to_owned(), Provider::VertexAccount, 1)]
        );
        let fast = t.slot(t.resolve("fast").unwrap().slots()[0]).unwrap();
        assert_eq!(fast.upstream_model, "gemini-2.5-flash");
        assert_eq!(fast.disable_cooling, Some(true));
        assert_eq!(Provider::VertexAccount.format(), Format::Gemini);
        assert_eq!(Provider::Vertex.channel(), Some(Channel::Vertex));
    }

    #[test]
    fn service_accounts_take_the_channels_oauth_aliases_and_exclusions() {
        use crate::config::OAuthModelAlias;
        let model = |name: &str| ModelAlias {
            name: name.into(),
            ..Default::default()
        };
        let alias = |name: &str, alias: &str, fork| OAuthModelAlias {
            name: name.into(),
            alias: alias.into(),
            fork,
        };
        let mut cfg = Config::default();
        cfg.oauth_model_alias.insert(
            "vertex".into(),
            vec![
                alias("gemini-2.5-pro", "pro", false),
                alias("gemini-2.5-flash", "flash", true),
            ],
        );
        // Another channel's rules do not touch Vertex credentials.
        cfg.oauth_model_alias.insert(
            "gemini-cli".into(),
            vec![alias("gemini-2.5-flash-lite", "lite", false)],
        );
        cfg.oauth_excluded_models
            .insert("vertex".into(), vec!["*-lite".into()]);
        let models = [
            model("gemini-2.5-pro"),
            model("gemini-2.5-flash"),
            model("gemini-2.5-flash-lite"),
            model("gemini-3-pro-preview"),
        ];
        let own_exclusion = ["gemini-3-*".to_owned()];
        let files = [FileCredential {
            provider: Provider::VertexAccount,
            label: "vertex-a.json",
            prefix: "",
            priority: 0,
            models: &models,
            excluded: &own_exclusion,
            disable_cooling: None,
        }];
        let t = Table::build_with(&cfg, &files, Instant::now());
        let ids: Vec<&str> = t.listed().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["pro", "gemini-2.5-flash", "flash"]);
        let upstream = |id: &str| slots_of(&t, id, |s| s.upstream_model.clone());
        assert_eq!(upstream("pro"), ["gemini-2.5-pro"]);
        assert_eq!(upstream("flash"), ["gemini-2.5-flash"]);

        // API-key entries keep their own `models:` aliases; the OAuth rules never apply.
        let keyed = Config {
            vertex_api_key: vec![crate::config::ProviderKey {
                api_key: Secret::new("vk"),
                models: vec![model("gemini-2.5-pro"), model("gemini-2.5-flash-lite")],
                ..Default::default()
            }],
            ..cfg
        };
        let t = Table::build(&keyed, Instant::now());
        let ids: Vec<&str> = t.listed().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["gemini-2.5-pro", "gemini-2.5-flash-lite"]);
    }

    #[test]
    fn an_empty_config_has_no_routes() {
        let t = Table::build(&Config::default(), Instant::now());
        assert!(t.listed().is_empty());
        assert!(t.slots().is_empty());
        assert!(t.resolve("x").is_none());
    }
}
