//! Routing: the endpoint table, the model table (client-visible model id → upstream
//! candidates) and candidate selection. Pure: built from a config snapshot, no I/O, no clock.

use std::collections::HashMap;

use http::Method;

use crate::config::Config;
use crate::protocol::Format;

/// What a request asks the gateway to do, decided from method and path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /healthz`.
    Health,
    /// `GET /`: names the server and its endpoints.
    Root,
    /// `GET /v1/models`.
    Models,
    /// `POST /v1/chat/completions`.
    ChatCompletions,
    /// `OPTIONS` on any path: CORS preflight.
    Preflight,
}

impl Endpoint {
    /// Whether the endpoint needs a client key.
    pub fn needs_auth(self) -> bool {
        matches!(self, Endpoint::Models | Endpoint::ChatCompletions)
    }
}

/// Why a (method, path) pair has no endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEndpoint {
    /// The path is served, but not with this method.
    Method,
    /// The path is not served.
    Path,
}

/// The public paths, for `GET /` and for 405 decisions.
pub const PATHS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
];

/// Maps a request line to an endpoint.
pub fn endpoint(method: &Method, path: &str) -> Result<Endpoint, NoEndpoint> {
    if method == Method::OPTIONS {
        return Ok(Endpoint::Preflight);
    }
    let found = match path {
        "/" => Some((Method::GET, Endpoint::Root)),
        "/healthz" => Some((Method::GET, Endpoint::Health)),
        "/v1/models" => Some((Method::GET, Endpoint::Models)),
        "/v1/chat/completions" => Some((Method::POST, Endpoint::ChatCompletions)),
        _ => None,
    };
    match found {
        Some((m, e)) if m == method || (m == Method::GET && method == Method::HEAD) => Ok(e),
        Some(_) => Err(NoEndpoint::Method),
        None => Err(NoEndpoint::Path),
    }
}

/// The client format an endpoint speaks.
pub fn format_of(endpoint: Endpoint, path: &str) -> Format {
    match endpoint {
        Endpoint::ChatCompletions => Format::OpenAiChat,
        _ => Format::for_path(path),
    }
}

/// One way to serve a client-visible model: an upstream entry and the name it knows the model by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Index into `config.openai_compatibility`.
    pub entry: usize,
    /// The model name sent upstream.
    pub upstream_model: String,
    /// How many API keys the entry has (0 = the upstream needs none).
    pub keys: usize,
    /// The entry's `priority`: only the highest tier serving a model is used.
    pub priority: i32,
}

/// A concrete choice for one upstream call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The target chosen.
    pub target: &'a Target,
    /// Which of the entry's `api-key-entries` to use (`None` when it has none).
    pub key: Option<usize>,
}

/// A model as listed by `GET /v1/models`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The id clients use.
    pub id: String,
    /// The upstream entry's name.
    pub owned_by: String,
}

/// Client-visible model id → the targets that serve it, built once per config snapshot.
#[derive(Clone, Debug, Default)]
pub struct Table {
    models: HashMap<String, Vec<Target>>,
    listed: Vec<Listed>,
}

impl Table {
    /// Registers every `openai-compatibility` model under its alias (or its name when the
    /// alias is empty), and under `prefix/alias` when the entry has a prefix.
    pub fn build(config: &Config) -> Table {
        let mut table = Table::default();
        for (entry, compat) in config.openai_compatibility.iter().enumerate() {
            let prefix = compat.prefix.trim_matches('/');
            for m in &compat.models {
                let name = m.name.trim();
                if name.is_empty() {
                    continue;
                }
                let alias = m.alias.trim();
                let id = if alias.is_empty() { name } else { alias };
                let target = Target {
                    entry,
                    upstream_model: name.to_owned(),
                    keys: compat.api_key_entries.len(),
                    priority: compat.priority,
                };
                table.add(id.to_owned(), &compat.name, target.clone());
                if !prefix.is_empty() {
                    table.add(format!("{prefix}/{id}"), &compat.name, target);
                }
            }
        }
        table
    }

    fn add(&mut self, id: String, owner: &str, target: Target) {
        let targets = self.models.entry(id.clone()).or_default();
        if targets.is_empty() {
            self.listed.push(Listed {
                id,
                owned_by: owner.to_owned(),
            });
        }
        if !targets.contains(&target) {
            targets.push(target);
        }
    }

    /// The targets serving `model`, if any.
    pub fn resolve(&self, model: &str) -> Option<&[Target]> {
        self.models
            .get(model)
            .map(Vec::as_slice)
            .filter(|t| !t.is_empty())
    }

    /// Every servable model, in configuration order, each id once.
    pub fn listed(&self) -> &[Listed] {
        &self.listed
    }

    /// Round-robin over every (target, key) pair of the highest-priority tier of `targets`,
    /// starting at `cursor`. The caller keeps one cursor per worker, so no lock is taken.
    pub fn pick(targets: &[Target], cursor: u64) -> Option<Candidate<'_>> {
        let top = targets.iter().map(|t| t.priority).max()?;
        let tier = || targets.iter().filter(move |t| t.priority == top);
        let total: u64 = tier().map(|t| t.keys.max(1) as u64).sum();
        if total == 0 {
            return None;
        }
        let mut n = cursor % total;
        for target in tier() {
            let slots = target.keys.max(1) as u64;
            if n < slots {
                let key = (target.keys > 0).then(|| usize::try_from(n).unwrap_or(0));
                return Some(Candidate { target, key });
            }
            n -= slots;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKeyEntry, ModelAlias, OpenAiCompatibility, Secret};

    fn compat(
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

    #[test]
    fn aliases_names_and_prefixes_resolve() {
        let t = Table::build(&config());
        let gpt = t.resolve("gpt-4o").unwrap();
        assert_eq!(gpt.len(), 2);
        assert_eq!(gpt[0].upstream_model, "openai/gpt-4o");
        assert_eq!(gpt[1].upstream_model, "qwen");
        assert_eq!(t.resolve("meta/llama").unwrap()[0].entry, 0);
        assert_eq!(t.resolve("team/gpt-4o").unwrap().len(), 1);
        assert!(
            t.resolve("openai/gpt-4o").is_none(),
            "aliased names are hidden"
        );
        assert!(t.resolve("nope").is_none());
        let ids: Vec<_> = t.listed().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["gpt-4o", "meta/llama", "team/gpt-4o"]);
    }

    #[test]
    fn round_robin_visits_every_key_of_every_target() {
        let t = Table::build(&config());
        let gpt = t.resolve("gpt-4o").unwrap();
        let picks: Vec<_> = (0..6)
            .map(|c| {
                let p = Table::pick(gpt, c).unwrap();
                (p.target.entry, p.key)
            })
            .collect();
        assert_eq!(
            picks,
            [
                (0, Some(0)),
                (0, Some(1)),
                (1, None),
                (0, Some(0)),
                (0, Some(1)),
                (1, None)
            ]
        );
        assert!(Table::pick(&[], 3).is_none());
    }

    #[test]
    fn only_the_highest_priority_tier_is_picked() {
        let mut cfg = config();
        cfg.openai_compatibility[1].priority = 5;
        let t = Table::build(&cfg);
        let gpt = t.resolve("gpt-4o").unwrap();
        for c in 0..4 {
            assert_eq!(Table::pick(gpt, c).unwrap().target.entry, 1);
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(endpoint(&Method::GET, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(endpoint(&Method::HEAD, "/"), Ok(Endpoint::Root));
        assert_eq!(
            endpoint(&Method::POST, "/v1/chat/completions"),
            Ok(Endpoint::ChatCompletions)
        );
        assert_eq!(
            endpoint(&Method::GET, "/v1/chat/completions"),
            Err(NoEndpoint::Method)
        );
        assert_eq!(endpoint(&Method::GET, "/nope"), Err(NoEndpoint::Path));
        assert_eq!(
            endpoint(&Method::OPTIONS, "/anything"),
            Ok(Endpoint::Preflight)
        );
        assert!(Endpoint::ChatCompletions.needs_auth());
        assert!(!Endpoint::Health.needs_auth());
    }
}
