//! Which models a credential offers, the way CLIProxyAPI's registry decides it
//! (`registerModelsForAuth`): its configured `models:` list, or else its channel's catalogue
//! models; minus its exclusions; then, for OAuth-style credentials, the channel's
//! `oauth-model-alias` renames. [`super::Table::build`] adds prefixes on top. Pure functions
//! over config values; table-tested.
//!
//! A credential kind without a config entry (a Vertex service account, an OAuth login)
//! registers as:
//!
//! ```text
//! let offered = registry::offers(channel, &[], registry::oauth_exclusions(config, channel));
//! let offered = registry::apply_oauth_aliases(channel, &offered, &config.oauth_model_alias);
//! ```
//!
//! API-key entries do not take `oauth-model-alias` (they alias through `models:`).

use std::collections::BTreeMap;

use super::catalogue::{self, Channel, Model};
use super::pattern;
use crate::config::{Config, ModelAlias, OAuthModelAlias};

/// A model a credential serves: the id clients ask for (before any prefix) and the name sent
/// upstream, with the catalogue's entry for the upstream name when it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    /// The client-visible id.
    pub id: String,
    /// The model name sent upstream.
    pub upstream: String,
    /// Catalogue metadata of `upstream` (display name, limits, thinking, release date).
    pub model: Option<&'static Model>,
}

impl Offer {
    /// The catalogue model offered under its own id.
    pub fn catalogue(model: &'static Model) -> Offer {
        Offer {
            id: model.id.clone(),
            upstream: model.id.clone(),
            model: Some(model),
        }
    }
}

/// What a credential of `channel` offers: `configured` (`models:` entries, name → alias) when
/// it lists any, else every catalogue model of the channel; minus the models `excluded`
/// matches by client-visible id or upstream name (see [`pattern::matches`]). A configured
/// name found in the catalogue (this channel first, then any) carries its metadata. Blank
/// names are skipped, and an id is offered once (the first entry wins), except that several
/// names sharing one alias form a pool.
pub fn offers(channel: Channel, configured: &[ModelAlias], excluded: &[String]) -> Vec<Offer> {
    let listed: Vec<Offer> = if configured.is_empty() {
        catalogue::models(channel)
            .iter()
            .map(Offer::catalogue)
            .collect()
    } else {
        configured
            .iter()
            .filter_map(|m| {
                let upstream = m.name.trim();
                let alias = m.alias.trim();
                (!upstream.is_empty()).then(|| Offer {
                    id: if alias.is_empty() { upstream } else { alias }.to_owned(),
                    upstream: upstream.to_owned(),
                    model: catalogue::find_in(channel, upstream)
                        .or_else(|| catalogue::find(upstream)),
                })
            })
            .collect()
    };
    let mut out: Vec<Offer> = Vec::with_capacity(listed.len());
    for offer in listed {
        if pattern::excluded(excluded, &[&offer.id, &offer.upstream]) {
            continue;
        }
        let repeat = out
            .iter()
            .any(|o| o.id == offer.id && o.upstream.eq_ignore_ascii_case(&offer.upstream));
        if !repeat {
            out.push(offer);
        }
    }
    out
}

/// `oauth-excluded-models.<channel>`: the patterns hiding models from a credential of
/// `channel` that has no config entry of its own.
pub fn oauth_exclusions(config: &Config, channel: Channel) -> &[String] {
    config
        .oauth_excluded_models
        .get(channel.name())
        .map_or(&[], Vec::as_slice)
}

/// Applies `oauth-model-alias.<channel>` to `models` (as CLIProxyAPI does for OAuth and
/// service-account credentials): each model whose id matches an entry's `name` (any case)
/// is offered under the entry's `alias` instead, routing to the same upstream model. With
/// `fork: true` on any of its entries the original id stays offered too. One name may have
/// several aliases. An alias already offered (an earlier model's id or alias) is not offered
/// twice, and a model whose every alias was taken keeps its own id. Entries with an empty
/// name or alias, or an alias equal to the name, are ignored (config validation reports them).
pub fn apply_oauth_aliases(
    channel: Channel,
    models: &[Offer],
    aliases: &BTreeMap<String, Vec<OAuthModelAlias>>,
) -> Vec<Offer> {
    let entries: Vec<&OAuthModelAlias> = aliases
        .get(channel.name())
        .map(|list| {
            list.iter()
                .filter(|e| {
                    let (name, alias) = (e.name.trim(), e.alias.trim());
                    !name.is_empty() && !alias.is_empty() && !name.eq_ignore_ascii_case(alias)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<Offer> = Vec::with_capacity(models.len());
    let taken = |out: &[Offer], id: &str| out.iter().any(|o: &Offer| o.id.eq_ignore_ascii_case(id));
    for model in models {
        let mine: Vec<&&OAuthModelAlias> = entries
            .iter()
            .filter(|e| e.name.trim().eq_ignore_ascii_case(&model.id))
            .collect();
        let fork = mine.iter().any(|e| e.fork);
        if (mine.is_empty() || fork) && !taken(&out, &model.id) {
            out.push(model.clone());
        }
        let mut renamed = false;
        for e in &mine {
            let alias = e.alias.trim();
            if !taken(&out, alias) {
                out.push(Offer {
                    id: alias.to_owned(),
                    ..model.clone()
                });
                renamed = true;
            }
        }
        if !mine.is_empty() && !fork && !renamed && !taken(&out, &model.id) {
            out.push(model.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::table::tests::model_aliases;

    fn patterns(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    fn pairs(offers: &[Offer]) -> Vec<(&str, &str)> {
        offers
            .iter()
            .map(|o| (o.id.as_str(), o.upstream.as_str()))
            .collect()
    }

    #[test]
    fn an_entry_without_models_offers_its_channel_catalogue() {
        let all = offers(Channel::Claude, &[], &[]);
        assert_eq!(all.len(), catalogue::models(Channel::Claude).len());
        assert!(all.iter().all(|o| o.id == o.upstream && o.model.is_some()));
        assert!(all.iter().any(|o| o.id == "claude-opus-5-5"));
        assert!(offers(Channel::Codex, &[], &[])
            .iter()
            .any(|o| o.id == "gpt-5.6-terra"));
    }

    #[test]
    fn exclusions_apply_to_catalogue_models() {
        let excluded = patterns(&["claude-opus-4*", "*HAIKU*", "claude-fable-5"]);
        let kept = offers(Channel::Claude, &[], &excluded);
        let all = catalogue::models(Channel::Claude);
        let hit = |id: &str| pattern::excluded(&excluded, &[id]);
        assert_eq!(kept.len(), all.iter().filter(|m| !hit(&m.id)).count());
        assert!(kept.iter().all(|o| !hit(&o.id)));
        let ids: Vec<&str> = kept.iter().map(|o| o.id.as_str()).collect();
        for id in ["claude-fable-5-1", "claude-opus-5-5", "claude-sonnet-4-6"] {
            assert!(ids.contains(&id), "{id} kept");
        }
        for id in ["claude-fable-5", "claude-opus-4-8", "claude-haiku-5-5"] {
            assert!(!ids.contains(&id), "{id} excluded");
        }
        assert!(offers(Channel::Claude, &[], &patterns(&["*"])).is_empty());
    }

    #[test]
    fn exclusions_apply_to_configured_models_by_alias_or_name() {
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            &'a [&'a str],
            &'a [(&'a str, &'a str)],
        );
        let cases: &[Case] = &[
            (
                &[
                    ("claude-opus-5-5", "opus"),
                    ("claude-haiku-5-5", "fast"),
                    ("x", ""),
                ],
                &["*HAIKU*", "x"],
                &[("opus", "claude-opus-5-5")],
            ),
            (
                &[("claude-opus-5-5", "opus"), ("claude-sonnet-5-5", "sonnet")],
                &["opus"],
                &[("sonnet", "claude-sonnet-5-5")],
            ),
            // Blank names are skipped, repeats offered once, a shared alias pools.
            (
                &[(" ", "a"), ("m1", "pool"), ("m1", "pool"), ("m2", "pool")],
                &[],
                &[("pool", "m1"), ("pool", "m2")],
            ),
        ];
        for (models, excluded, want) in cases {
            let got = offers(Channel::Claude, &model_aliases(models), &patterns(excluded));
            assert_eq!(&pairs(&got), want, "{models:?} minus {excluded:?}");
        }
    }

    #[test]
    fn configured_names_carry_catalogue_metadata() {
        let got = offers(
            Channel::Gemini,
            &model_aliases(&[("gemini-2.5-pro", "pro"), ("my-tune", ""), ("gpt-5.5", "")]),
            &[],
        );
        assert_eq!(
            got[0].model.map(|m| m.display_name.as_str()),
            Some("Gemini 2.5 Pro")
        );
        assert_eq!(got[1].model, None);
        assert_eq!(
            got[2].model.map(|m| m.id.as_str()),
            Some("gpt-5.5"),
            "another channel's entry still describes the model"
        );
    }

    fn aliases(
        channel: &str,
        list: &[(&str, &str, bool)],
    ) -> BTreeMap<String, Vec<OAuthModelAlias>> {
        let entries = list
            .iter()
            .map(|(name, alias, fork)| OAuthModelAlias {
                name: (*name).into(),
                alias: (*alias).into(),
                fork: *fork,
            })
            .collect();
        BTreeMap::from([(channel.to_owned(), entries)])
    }

    fn upstream(ids: &[&str]) -> Vec<Offer> {
        ids.iter()
            .map(|id| Offer {
                id: (*id).into(),
                upstream: (*id).into(),
                model: catalogue::find(id),
            })
            .collect()
    }

    #[test]
    fn oauth_aliases_rename_fork_and_multiply() {
        type Case<'a> = (
            &'a [&'a str],
            &'a [(&'a str, &'a str, bool)],
            &'a [(&'a str, &'a str)],
        );
        let cases: &[Case] = &[
            // No entries: unchanged.
            (&["a", "b"], &[], &[("a", "a"), ("b", "b")]),
            // A rename hides the original.
            (&["a", "b"], &[("a", "x", false)], &[("x", "a"), ("b", "b")]),
            // fork keeps it too.
            (
                &["a", "b"],
                &[("a", "x", true)],
                &[("a", "a"), ("x", "a"), ("b", "b")],
            ),
            // Several aliases for one name; names match in any case.
            (
                &["a"],
                &[("A", "x", false), ("a", "y", false)],
                &[("x", "a"), ("y", "a")],
            ),
            // One forking entry among several keeps the original.
            (
                &["a"],
                &[("a", "x", false), ("a", "y", true)],
                &[("a", "a"), ("x", "a"), ("y", "a")],
            ),
            // An alias colliding with a model listed earlier is skipped; the model keeps its
            // own id rather than vanish.
            (&["a", "b"], &[("b", "a", false)], &[("a", "a"), ("b", "b")]),
            // An alias taken by an earlier alias: the later model keeps its id.
            (
                &["a", "b"],
                &[("a", "x", false), ("b", "x", false)],
                &[("x", "a"), ("b", "b")],
            ),
            // Empty, and same-as-name, entries are ignored.
            (
                &["a"],
                &[("a", "", false), ("", "x", false), ("a", "A", false)],
                &[("a", "a")],
            ),
            // Entries for names the credential does not offer change nothing.
            (&["a"], &[("z", "x", false)], &[("a", "a")]),
        ];
        for (models, entries, want) in cases {
            let got = apply_oauth_aliases(
                Channel::Vertex,
                &upstream(models),
                &aliases("vertex", entries),
            );
            assert_eq!(&pairs(&got), want, "{models:?} with {entries:?}");
        }
    }

    #[test]
    fn oauth_aliases_apply_only_to_their_channel_and_keep_metadata() {
        let models = upstream(&["gemini-2.5-pro"]);
        let map = aliases("vertex", &[("gemini-2.5-pro", "g-pro", false)]);
        let got = apply_oauth_aliases(Channel::Vertex, &models, &map);
        assert_eq!(pairs(&got), [("g-pro", "gemini-2.5-pro")]);
        assert_eq!(got[0].model, catalogue::find("gemini-2.5-pro"));
        let other = apply_oauth_aliases(Channel::GeminiCli, &models, &map);
        assert_eq!(pairs(&other), [("gemini-2.5-pro", "gemini-2.5-pro")]);
    }

    #[test]
    fn oauth_exclusions_are_read_per_channel() {
        let mut config = Config::default();
        config
            .oauth_excluded_models
            .insert("vertex".into(), vec!["*-lite*".into()]);
        assert_eq!(oauth_exclusions(&config, Channel::Vertex), ["*-lite*"]);
        assert!(oauth_exclusions(&config, Channel::Claude).is_empty());
        let offered = offers(
            Channel::Vertex,
            &[],
            oauth_exclusions(&config, Channel::Vertex),
        );
        assert!(!offered.is_empty());
        assert!(offered.iter().all(|o| !o.id.contains("-lite")));
    }
}
