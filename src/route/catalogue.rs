//! The built-in model catalogue: the models each upstream channel is known to serve, with the
//! metadata model lists show (display name, context length, output limit, release date) and
//! the reasoning settings each model accepts. Shipped in the binary, no network needed.
//!
//! The data is `catalogue.json` next to this file, embedded with `include_str!` and parsed once,
//! on first use. It is data rather than Rust tables so that refreshing it is a reviewable edit
//! of one JSON file whose shape follows CLIProxyAPI's `models.json` (kebab-case keys), and it is
//! validated by a unit test, so a broken file cannot ship. Shared definitions sit under
//! `models`; each channel lists ids from there, or a model object of its own where the channel
//! serves the model with other limits (Antigravity's Claude models) or serves a model no other
//! channel does. Facts come from the providers' model pages as of November 2026; `released` is
//! the public release date, which `auto` uses to prefer newer models.
//!
//! The lookup API other code builds on:
//! - [`models`]`(channel)`: every model of a channel, newest generation first;
//! - [`find`]`(id)`: a model by id in any channel (first channel in [`Channel::ALL`] order);
//! - [`find_in`]`(channel, id)`: a model by id within one channel.
//!
//! An API-key entry without `models:` serves its channel's models (see
//! [`super::registry::offers`]); a credential kind that has no config entry (a Vertex service
//! account, an OAuth login) calls `offers(channel, &[], exclusions)` the same way.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};

use crate::config::Thinking;
use crate::error::civil_from_days;

/// The catalogue file.
const DATA: &str = include_str!("catalogue.json");

/// An upstream channel: a provider kind with its own model list (CLIProxyAPI's channel names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Anthropic (`claude-api-key`, Claude OAuth).
    Claude,
    /// Google AI Studio API keys (`gemini-api-key`).
    Gemini,
    /// Vertex AI (`vertex-api-key`, service accounts).
    Vertex,
    /// Gemini CLI / Code Assist OAuth.
    GeminiCli,
    /// The AI Studio websocket relay.
    AiStudio,
    /// OpenAI Responses (`codex-api-key`, Codex OAuth).
    Codex,
    /// Qwen OAuth.
    Qwen,
    /// iFlow.
    Iflow,
    /// Kimi OAuth.
    Kimi,
    /// Antigravity OAuth.
    Antigravity,
}

impl Channel {
    /// Every channel, in lookup order for [`find`].
    pub const ALL: [Channel; 10] = [
        Channel::Claude,
        Channel::Gemini,
        Channel::Vertex,
        Channel::GeminiCli,
        Channel::AiStudio,
        Channel::Codex,
        Channel::Qwen,
        Channel::Iflow,
        Channel::Kimi,
        Channel::Antigravity,
    ];

    /// The channel's name as config keys spell it (`oauth-model-alias.<name>`,
    /// `oauth-excluded-models.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Channel::Claude => "claude",
            Channel::Gemini => "gemini",
            Channel::Vertex => "vertex",
            Channel::GeminiCli => "gemini-cli",
            Channel::AiStudio => "aistudio",
            Channel::Codex => "codex",
            Channel::Qwen => "qwen",
            Channel::Iflow => "iflow",
            Channel::Kimi => "kimi",
            Channel::Antigravity => "antigravity",
        }
    }

    /// The channel named `name` (any case, surrounding spaces ignored).
    pub fn parse(name: &str) -> Option<Channel> {
        let name = name.trim();
        Channel::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// Who makes the channel's models, as model lists report it in `owned_by`.
    pub fn owner(self) -> &'static str {
        match self {
            Channel::Claude => "anthropic",
            Channel::Gemini | Channel::Vertex | Channel::GeminiCli | Channel::AiStudio => "google",
            Channel::Codex => "openai",
            Channel::Qwen => "qwen",
            Channel::Iflow => "iflow",
            Channel::Kimi => "moonshot",
            Channel::Antigravity => "antigravity",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One model of the catalogue.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Model {
    /// The id sent upstream and listed to clients.
    pub id: String,
    /// A human name, e.g. `Claude Opus 5.5`.
    pub display_name: String,
    /// Public release as Unix seconds (midnight UTC); `None` when not known. Read from the
    /// file's `released: "YYYY-MM-DD"`.
    #[serde(rename = "released", default, deserialize_with = "release_date")]
    pub created: Option<u64>,
    /// Input context window in tokens.
    #[serde(default)]
    pub context_length: Option<u32>,
    /// Most output tokens one response may have.
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    /// The reasoning settings the model accepts; `None` when it does not reason.
    #[serde(default)]
    pub thinking: Option<Thinking>,
}

/// The catalogue file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    models: Vec<Model>,
    channels: BTreeMap<String, Vec<Entry>>,
}

/// A channel's list item: a shared model's id, or a model of its own.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Shared(String),
    Own(Model),
}

/// Every channel's models, resolved.
#[derive(Debug, Default)]
struct Catalogue {
    channels: [Vec<Model>; Channel::ALL.len()],
}

/// Parsed once. A file that fails to parse gives an empty catalogue rather than a panic; the
/// unit tests parse the shipped file, so that cannot happen in a released build.
static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| load(DATA).unwrap_or_default());

/// Every model `channel` serves, in catalogue order (newest generation first).
pub fn models(channel: Channel) -> &'static [Model] {
    CATALOGUE
        .channels
        .get(channel.index())
        .map_or(&[], Vec::as_slice)
}

/// The model with this id (any case) in `channel`.
pub fn find_in(channel: Channel, id: &str) -> Option<&'static Model> {
    models(channel)
        .iter()
        .find(|m| m.id.eq_ignore_ascii_case(id.trim()))
}

/// The model with this id (any case) in any channel, searching channels in [`Channel::ALL`]
/// order.
pub fn find(id: &str) -> Option<&'static Model> {
    Channel::ALL.into_iter().find_map(|c| find_in(c, id))
}

/// Parses and checks catalogue text: every channel name is known, every shared id referenced
/// exists, ids are non-empty and unique within a channel, and budgets are ordered.
fn load(text: &str) -> Result<Catalogue, String> {
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut shared: BTreeMap<&str, &Model> = BTreeMap::new();
    for m in &file.models {
        check(m)?;
        if shared.insert(m.id.as_str(), m).is_some() {
            return Err(format!("model `{}` is defined twice", m.id));
        }
    }
    let mut out = Catalogue::default();
    for (name, entries) in &file.channels {
        let channel = Channel::parse(name).ok_or_else(|| format!("unknown channel `{name}`"))?;
        let list = out
            .channels
            .get_mut(channel.index())
            .ok_or_else(|| format!("channel `{name}` has no slot"))?;
        for entry in entries {
            let model = match entry {
                Entry::Shared(id) => (*shared
                    .get(id.as_str())
                    .ok_or_else(|| format!("{name}: unknown model `{id}`"))?)
                .clone(),
                Entry::Own(m) => {
                    check(m)?;
                    m.clone()
                }
            };
            if list.iter().any(|m| m.id.eq_ignore_ascii_case(&model.id)) {
                return Err(format!("{name}: model `{}` is listed twice", model.id));
            }
            list.push(model);
        }
    }
    Ok(out)
}

fn check(m: &Model) -> Result<(), String> {
    if m.id.trim().is_empty() || m.id.trim() != m.id {
        return Err(format!("bad model id {:?}", m.id));
    }
    if let Some(t) = &m.thinking {
        if t.max != 0 && t.min > t.max {
            return Err(format!("{}: thinking min above max", m.id));
        }
    }
    Ok(())
}

fn release_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(d)?;
    parse_date(&text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("expected YYYY-MM-DD, got {text:?}")))
}

/// `YYYY-MM-DD` (a real calendar date from 1970 on) → Unix seconds at midnight UTC.
fn parse_date(text: &str) -> Option<u64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    // Round trip: rejects month 13, February 30 and the like.
    let back = civil_from_days(days);
    if back != (u64::try_from(y).ok()?, u64::from(m), u64::from(d)) {
        return None;
    }
    days.checked_mul(86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_parses_and_every_channel_has_models() {
        let c = load(DATA).unwrap();
        for ch in Channel::ALL {
            let list = c.channels.get(ch.index()).unwrap();
            assert!(!list.is_empty(), "{} has no models", ch.name());
            assert_eq!(models(ch).len(), list.len(), "{}", ch.name());
        }
        for ch in [
            Channel::Claude,
            Channel::Gemini,
            Channel::Vertex,
            Channel::Codex,
        ] {
            for m in models(ch) {
                assert!(m.created.is_some(), "{}: {} undated", ch.name(), m.id);
                assert!(m.context_length.is_some_and(|n| n > 0), "{}", m.id);
                assert!(m.max_output_tokens.is_some_and(|n| n > 0), "{}", m.id);
                assert!(!m.display_name.is_empty(), "{}", m.id);
            }
        }
    }

    #[test]
    fn lookups_by_channel_and_id() {
        let opus = find_in(Channel::Claude, "claude-opus-5-5").unwrap();
        assert_eq!(opus.display_name, "Claude Opus 5.5");
        assert_eq!(opus.context_length, Some(1_000_000));
        assert_eq!(opus.max_output_tokens, Some(128_000));
        let t = opus.thinking.as_ref().unwrap();
        assert!(!t.zero_allowed && t.dynamic_allowed);
        assert_eq!(t.levels, ["low", "medium", "high", "xhigh", "max"]);

        let pro = find("GEMINI-2.5-PRO").unwrap();
        assert_eq!(pro.id, "gemini-2.5-pro");
        assert_eq!(pro.created, parse_date("2025-06-17"));
        let t = pro.thinking.as_ref().unwrap();
        assert_eq!(
            (t.min, t.max, t.zero_allowed, t.dynamic_allowed),
            (128, 32768, false, true)
        );
        assert!(find_in(Channel::Vertex, "gemini-2.5-pro").is_some());
        assert!(find_in(Channel::Codex, "gemini-2.5-pro").is_none());
        assert!(find("nope").is_none());

        // A channel's own definition wins within the channel; `find` takes the first channel.
        let api = find_in(Channel::Claude, "claude-sonnet-4-6").unwrap();
        let ag = find_in(Channel::Antigravity, "claude-sonnet-4-6").unwrap();
        assert_eq!(api.context_length, Some(1_000_000));
        assert_eq!(ag.context_length, Some(200_000));
        assert_eq!(find("claude-sonnet-4-6"), Some(api));
        assert!(find_in(Channel::Codex, "gpt-5.6-terra").is_some());
    }

    #[test]
    fn channels_parse_by_name_in_any_case() {
        for ch in Channel::ALL {
            assert_eq!(Channel::parse(ch.name()), Some(ch));
            assert_eq!(Channel::parse(&ch.name().to_uppercase()), Some(ch));
        }
        assert_eq!(Channel::parse(" gemini-cli "), Some(Channel::GeminiCli));
        assert_eq!(Channel::parse("openai"), None);
        for name in crate::config::OAUTH_CHANNELS {
            assert!(
                Channel::parse(name).is_some(),
                "config names channel {name}"
            );
        }
        assert_eq!(Channel::Codex.owner(), "openai");
    }

    #[test]
    fn bad_catalogues_are_refused_with_a_reason() {
        let cases = [
            (
                r#"{"models": [], "channels": {"nope": []}}"#,
                "unknown channel",
            ),
            (
                r#"{"models": [], "channels": {"claude": ["x"]}}"#,
                "unknown model",
            ),
            (
                r#"{"models": [{"id": "a", "display-name": "A"}, {"id": "a", "display-name": "A"}], "channels": {}}"#,
                "defined twice",
            ),
            (
                r#"{"models": [{"id": "a", "display-name": "A"}], "channels": {"claude": ["a", "a"]}}"#,
                "listed twice",
            ),
            (
                r#"{"models": [{"id": " a", "display-name": "A"}], "channels": {}}"#,
                "bad model id",
            ),
            (
                r#"{"models": [{"id": "a", "display-name": "A", "thinking": {"min": 9, "max": 1}}], "channels": {}}"#,
                "min above max",
            ),
            (
                r#"{"models": [{"id": "a", "display-name": "A", "released": "2026-02-30"}], "channels": {}}"#,
                "YYYY-MM-DD",
            ),
            (
                r#"{"models": [{"id": "a", "display-name": "A", "colour": 1}], "channels": {}}"#,
                "unknown field",
            ),
        ];
        for (text, want) in cases {
            let err = load(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn release_dates_parse() {
        let cases = [
            ("1970-01-01", Some(0)),
            ("2000-02-29", Some(951_782_400)),
            ("2026-06-09", Some(1_780_963_200)),
            ("2026-12-31", Some(1_798_675_200)),
            ("2025-02-29", None),
            ("2026-13-01", None),
            ("2026-00-10", None),
            ("2026-6-9", None),
            ("1969-12-31", None),
            ("2026-06-09-1", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_date(text), want, "{text}");
        }
    }
}
