//! Payload rules (the `payload` config section, as in CLIProxyAPI): edits to the upstream
//! request body after translation — defaults, overrides and filters chosen by model name and
//! upstream protocol. A request no rule matches costs a few string comparisons and its body
//! is not parsed. No I/O; knows providers only by CLIProxyAPI's protocol names.

use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::config;
use crate::error::{Error, Kind};
use crate::route::pattern;

mod path;
mod tree;

#[cfg(test)]
mod tests;

use path::{Path, Seg};
use tree::Node;

/// Why a body could not be edited. Only raised once a rule matched, so the body had to be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The upstream body is not valid JSON.
    #[error("the request body is not valid JSON: {0}")]
    Body(#[source] serde_json::Error),
    /// The original request, read to decide defaults, is not valid JSON.
    #[error("the original request body is not valid JSON: {0}")]
    Original(#[source] serde_json::Error),
}

impl From<PayloadError> for Error {
    fn from(e: PayloadError) -> Self {
        Error::new(Kind::InvalidRequest, e.to_string())
    }
}

/// Rules compiled once per config snapshot: patterns trimmed, paths parsed, values
/// serialized. Rules without a usable model or parameter are dropped here.
#[derive(Debug, Default)]
pub struct Rules {
    /// `default` rules, then `default-raw` ones.
    defaults: Vec<SetRule>,
    /// `override` rules, then `override-raw` ones.
    overrides: Vec<SetRule>,
    /// `filter` rules.
    filters: Vec<FilterRule>,
}

/// A `models[]` entry.
#[derive(Debug)]
struct Pattern {
    /// Model name or `*` pattern, trimmed, never empty.
    name: String,
    /// Protocol the entry is limited to, trimmed; empty = any.
    protocol: String,
}

/// A compiled `default`/`override` rule (plain or raw).
#[derive(Debug)]
struct SetRule {
    models: Vec<Pattern>,
    params: Vec<(Path, Box<RawValue>)>,
}

/// A compiled `filter` rule.
#[derive(Debug)]
struct FilterRule {
    models: Vec<Pattern>,
    paths: Vec<Path>,
}

impl Rules {
    /// Compiles the `payload` section. Paths that cannot be applied (empty, or using gjson
    /// query syntax other than a `#` step) are skipped; a `*-raw` rule with invalid JSON text
    /// is dropped whole, as CLIProxyAPI does on load (our config validation already refuses
    /// such a file).
    pub fn compile(cfg: &config::Payload) -> Rules {
        let sets = |lists: [(&[config::PayloadRule], bool); 2]| -> Vec<SetRule> {
            lists
                .into_iter()
                .flat_map(|(list, raw)| list.iter().filter_map(move |r| SetRule::compile(r, raw)))
                .collect()
        };
        Rules {
            defaults: sets([(&cfg.default, false), (&cfg.default_raw, true)]),
            overrides: sets([(&cfg.overrides, false), (&cfg.override_raw, true)]),
            filters: cfg.filter.iter().filter_map(FilterRule::compile).collect(),
        }
    }

    /// True when no rule can ever apply, so callers may skip [`apply`] altogether.
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty() && self.overrides.is_empty() && self.filters.is_empty()
    }
}

impl SetRule {
    fn compile(rule: &config::PayloadRule, raw: bool) -> Option<SetRule> {
        let models = patterns(&rule.models)?;
        let mut params = Vec::with_capacity(rule.params.len());
        for (text, value) in &rule.params {
            let value = match (raw, value) {
                // CLIProxyAPI skips a raw parameter without a value.
                (true, Json::Null) => continue,
                // Raw text is used as-is; invalid JSON drops the rule.
                (true, Json::String(text)) => Some(RawValue::from_string(text.clone()).ok()?),
                // Any other value (and every plain one) is written as JSON.
                _ => serde_json::value::to_raw_value(value).ok(),
            };
            if let (Some(path), Some(value)) = (Path::parse(text), value) {
                params.push((path, value));
            }
        }
        (!params.is_empty()).then_some(SetRule { models, params })
    }
}

impl FilterRule {
    fn compile(rule: &config::PayloadFilter) -> Option<FilterRule> {
        let models = patterns(&rule.models)?;
        // sjson cannot delete through a `#` step; such a filter does nothing.
        let paths: Vec<Path> = rule
            .params
            .iter()
            .filter_map(|p| Path::parse(p))
            .filter(|p| !p.has_each())
            .collect();
        (!paths.is_empty()).then_some(FilterRule { models, paths })
    }
}

/// The usable `models[]` entries (a blank name never matches); `None` when there are none.
fn patterns(models: &[config::PayloadModel]) -> Option<Vec<Pattern>> {
    let out: Vec<Pattern> = models
        .iter()
        .filter(|m| !m.name.trim().is_empty())
        .map(|m| Pattern {
            name: m.name.trim().to_owned(),
            protocol: m.protocol.trim().to_owned(),
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// Applies the rules matching this request to `body`, the translated upstream request, in
/// CLIProxyAPI's order (`internal/runtime/executor/helps/payload_helpers.go`):
/// 1. `default`, then `default-raw`: a path is set only when the *original* request lacks it
///    (an explicit `null` counts as present), and the first matching rule to set a path wins,
///    so a `default` beats a `default-raw`;
/// 2. `override`, then `override-raw`: always set, so the last matching rule wins;
/// 3. `filter`: delete paths, after the sets, so a filter beats an override.
///
/// Within one rule, parameters apply in path order (CLIProxyAPI walks a Go map: random order).
///
/// - `protocol`: the upstream wire family as CLIProxyAPI names it (`openai`, `claude`,
///   `gemini`, `codex`, `gemini-cli`, `antigravity`, …). `gemini-cli` matches rules written
///   for `gemini` (CLIProxyAPI passes `gemini` for it), and for `gemini-cli` and
///   `antigravity` every path is relative to the body's `request` envelope.
/// - `upstream_model`: the model sent upstream; `requested`: the name or alias the client
///   used. A rule matches when one of its `models[]` entries matches the protocol (or has
///   none) and its pattern matches either name (a `(…)` thinking suffix is ignored, and the
///   requested name also counts with its suffix).
/// - `original`: the client's request in the same wire format as `body` (for the passthrough
///   lane, the client's own body); defaults look there, not at `body`. Empty = use `body`.
///
/// Returns `None` when nothing changed: no rule matched (the body is then not even parsed),
/// or the matching rules found nothing to do. Untouched members keep their bytes and order.
pub fn apply(
    rules: &Rules,
    protocol: &str,
    upstream_model: &str,
    requested: &str,
    original: &[u8],
    body: &[u8],
) -> Result<Option<Vec<u8>>, PayloadError> {
    if rules.is_empty() || body.is_empty() {
        return Ok(None);
    }
    let (protocol, rooted) = family(protocol);
    let names = candidates(upstream_model, requested);
    let hit = |models: &[Pattern]| matches(models, protocol, &names);
    let source_text = if original.is_empty() { body } else { original };

    let mut doc: Option<Node<'_>> = None;
    let mut source: Option<Node<'_>> = None;
    let mut changed = false;

    let mut defaulted: Vec<&[Seg]> = Vec::new();
    for rule in rules.defaults.iter().filter(|r| hit(&r.models)) {
        for (path, value) in &rule.params {
            let segs = path.segs(rooted);
            if defaulted.contains(&segs) {
                continue;
            }
            let src = open(&mut source, source_text).map_err(PayloadError::Original)?;
            if src.exists(segs).map_err(PayloadError::Original)? {
                continue;
            }
            if set(&mut doc, body, path, rooted, value)? {
                defaulted.push(segs);
                changed = true;
            }
        }
    }
    for rule in rules.overrides.iter().filter(|r| hit(&r.models)) {
        for (path, value) in &rule.params {
            changed |= set(&mut doc, body, path, rooted, value)?;
        }
    }
    for rule in rules.filters.iter().filter(|r| hit(&r.models)) {
        for path in &rule.paths {
            let node = open(&mut doc, body).map_err(PayloadError::Body)?;
            changed |= node.delete(path.segs(rooted)).map_err(PayloadError::Body)?;
        }
    }

    let Some(doc) = doc.filter(|_| changed) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(body.len() + 64);
    doc.write(&mut out).map_err(PayloadError::Body)?;
    Ok(Some(out))
}

/// Sets one parameter: with creation on a plain path, replacing existing values only on a
/// path with a `#` step (sjson's complex paths).
fn set<'a>(
    doc: &mut Option<Node<'a>>,
    body: &'a [u8],
    path: &'a Path,
    rooted: bool,
    value: &'a RawValue,
) -> Result<bool, PayloadError> {
    let node = open(doc, body).map_err(PayloadError::Body)?;
    let segs = path.segs(rooted);
    let done = if path.has_each() {
        node.replace(segs, value)
    } else {
        node.set(segs, value)
    };
    done.map_err(PayloadError::Body)
}

/// The document in `slot`, parsing `text` the first time.
fn open<'s, 'a>(
    slot: &'s mut Option<Node<'a>>,
    text: &'a [u8],
) -> Result<&'s mut Node<'a>, serde_json::Error> {
    let node = match slot.take() {
        Some(node) => node,
        None => Node::parse(text)?,
    };
    Ok(slot.insert(node))
}

/// The protocol name rules are matched against, and whether paths are relative to the
/// `request` envelope. CLIProxyAPI's Gemini CLI executor matches as `gemini` with root
/// `request`; its Antigravity executor as `antigravity` with root `request`.
fn family(protocol: &str) -> (&str, bool) {
    let p = protocol.trim();
    if p.eq_ignore_ascii_case("gemini-cli") {
        ("gemini", true)
    } else {
        (p, p.eq_ignore_ascii_case("antigravity"))
    }
}

/// The names a rule may match: the upstream model without its thinking suffix, the requested
/// name without it, and the requested name with it when it had one.
fn candidates<'m>(upstream: &'m str, requested: &'m str) -> [&'m str; 3] {
    let requested = requested.trim();
    let (base, suffixed) = split_suffix(requested);
    [
        split_suffix(upstream.trim()).0.trim(),
        base.trim(),
        if suffixed { requested } else { "" },
    ]
}

/// `name(value)` → (`name`, true), as CLIProxyAPI's thinking-suffix parser reads it: the text
/// before the last `(`, when the name ends with `)`.
fn split_suffix(model: &str) -> (&str, bool) {
    match model.rfind('(') {
        Some(open) if model.ends_with(')') => (model.get(..open).unwrap_or(model), true),
        _ => (model, false),
    }
}

/// Whether any entry admits `protocol` and matches one of the non-empty `names`. Names match
/// ignoring ASCII case ([`pattern::matches`]); CLIProxyAPI compares case-sensitively, so a
/// rule written for it still matches every model it matched there, and no rule silently
/// misses over a capital letter.
fn matches(models: &[Pattern], protocol: &str, names: &[&str; 3]) -> bool {
    models.iter().any(|m| {
        (m.protocol.is_empty() || protocol.is_empty() || m.protocol.eq_ignore_ascii_case(protocol))
            && names
                .iter()
                .any(|n| !n.is_empty() && pattern::matches(&m.name, n))
    })
}
