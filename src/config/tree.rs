//! YAML text to a small tree of nodes that remember their source line.
//! The later stages (typed decoding, validation) use it to name the line of any key.
//! Pure: works on a `&str`, no I/O.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

/// One YAML node and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub kind: Kind,
    pub line: u64,
    /// Source text of a plain scalar that YAML typed as a bool or number (`0x10`, `1.50`),
    /// so a string field receives what the user wrote rather than a re-rendered number.
    pub raw: Option<String>,
    /// Byte range of the scalar in the source, used once to fill `raw`.
    span: Option<(u64, u64)>,
}

/// The shape of a node, after YAML's own scalar typing (YAML 1.2 booleans only).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; `line` is the line of the key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub key: String,
    pub line: u64,
    pub value: Node,
}

/// A text that is not well-formed YAML, or not a single document.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub line: u64,
    pub message: String,
}

impl Node {
    /// How the node reads in an error message: `"abc"`, `42`, `a list`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Null => "an empty value".to_owned(),
            Kind::Str(s) => format!("{s:?}"),
            Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => self.scalar_text(),
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Map(_) => "a mapping".to_owned(),
        }
    }

    /// The text of a non-string scalar as written in the file.
    pub fn scalar_text(&self) -> String {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        match &self.kind {
            Kind::Bool(b) => b.to_string(),
            Kind::Int(i) => i.to_string(),
            Kind::Float(f) => f.to_string(),
            Kind::Str(s) => s.clone(),
            Kind::Null | Kind::Seq(_) | Kind::Map(_) => String::new(),
        }
    }

    fn fill_raw(&mut self, text: &str) {
        match &mut self.kind {
            Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => {
                self.raw = self.span.and_then(|(start, len)| {
                    let start = usize::try_from(start).ok()?;
                    let end = start.checked_add(usize::try_from(len).ok()?)?;
                    text.get(start..end).map(|s| s.trim().to_owned())
                });
            }
            Kind::Seq(items) => items.iter_mut().for_each(|n| n.fill_raw(text)),
            Kind::Map(entries) => entries.iter_mut().for_each(|e| e.value.fill_raw(text)),
            Kind::Null | Kind::Str(_) => {}
        }
    }
}

/// Parses `text` into a tree; `None` for an empty document (only comments or blank).
pub(super) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    // YAML 1.2 booleans keep `yes`, `no`, `y`, `n` as strings (model names, header
    // values); bool fields still accept `yes`/`no`/`on`/`off`, as Go's yaml.v3 does.
    let options = serde_saphyr::options! { strict_booleans: true };
    match serde_saphyr::from_str_with_options::<Option<Node>>(text, options) {
        Ok(mut root) => {
            if let Some(node) = root.as_mut() {
                node.fill_raw(text);
            }
            Ok(root)
        }
        Err(err) => {
            let inner = err.without_snippet();
            let message = serde_saphyr::UserMessageFormatter.format_message(inner);
            Err(SyntaxError {
                line: err.location().map_or(1, |l| l.line().max(1)),
                message: message.chars().filter(|c| !c.is_control()).collect(),
            })
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        // `defined` is where the text lives, also for values reached through an alias.
        let span = spanned.defined.span();
        Ok(Node {
            kind: spanned.value,
            line: spanned.referenced.line(),
            raw: None,
            span: span.byte_offset().zip(span.byte_len()),
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        Ok(Kind::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Kind, E> {
        i128::try_from(v)
            .map(Kind::Int)
            .map_err(|_| E::custom("integer is too large"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Node>()?;
            entries.push(Entry {
                key: key.value,
                line: key.referenced.line(),
                value,
            });
        }
        Ok(Kind::Map(entries))
    }
}

/// Path of a mapping entry under `parent`: `a.b`, or `a["x.y"]` for keys that would be ambiguous.
pub(super) fn child_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{key:?}]"),
    }
}

/// Path of a list item under `parent`: `a[0]`.
pub(super) fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Line of every key path in the file, for errors found after typed decoding.
#[derive(Debug, Default)]
pub(super) struct LineIndex {
    lines: HashMap<String, u64>,
}

impl LineIndex {
    /// Records the line of every mapping key and list item under `root`.
    pub fn build(root: Option<&Node>) -> Self {
        let mut index = LineIndex::default();
        if let Some(node) = root {
            index.add(String::new(), node);
        }
        index
    }

    fn add(&mut self, path: String, node: &Node) {
        match &node.kind {
            Kind::Map(entries) => {
                for entry in entries {
                    let child = child_key(&path, &entry.key);
                    self.lines.insert(child.clone(), entry.line);
                    self.add(child, &entry.value);
                }
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let child = child_index(&path, i);
                    self.lines.insert(child.clone(), item.line);
                    self.add(child, item);
                }
            }
            _ => {}
        }
    }

    /// Line of `path`, or of its nearest ancestor present in the file (a key
    /// that was left out is reported at its parent); line 1 when nothing matches.
    pub fn line(&self, path: &str) -> u64 {
        let mut current = path;
        loop {
            if let Some(line) = self.lines.get(current) {
                return *line;
            }
            match current.rfind(['.', '[']) {
                Some(cut) => current = current.get(..cut).unwrap_or(""),
                None => return 1,
            }
        }
    }
}
