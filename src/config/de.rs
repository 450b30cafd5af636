//! A serde `Deserializer` over the line-aware YAML tree: decodes the typed config,
//! tags every error with its dotted key path and line, and collects unknown keys
//! (with a "did you mean" suggestion) instead of failing on them. Pure; no I/O.

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use super::tree::{child_index, child_key, Entry, Kind, Node};

/// A key the config types do not know, kept as a warning.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct UnknownKey {
    pub line: u64,
    pub path: String,
    pub suggestion: Option<&'static str>,
}

/// A decoding failure with the key path and line it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Error {
    pub path: String,
    pub line: u64,
    pub message: String,
    located: bool,
}

impl Error {
    fn new(message: String) -> Self {
        Error {
            path: String::new(),
            line: 0,
            message,
            located: false,
        }
    }

    /// Attaches the innermost location only: an error raised deep in the tree keeps its own.
    fn at(mut self, path: &str, line: u64) -> Self {
        if !self.located {
            self.path = path.to_owned();
            self.line = line;
            self.located = true;
        }
        self
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.line, self.path, self.message)
    }
}

impl std::error::Error for Error {}

/// How a serde `Unexpected` reads after "got": quoted strings, bare numbers.
fn describe(unexpected: &Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Bool(b) => b.to_string(),
        Unexpected::Unsigned(n) => n.to_string(),
        Unexpected::Signed(n) => n.to_string(),
        Unexpected::Float(n) => format!("{n:?}"),
        Unexpected::Char(c) => format!("{:?}", c.to_string()),
        Unexpected::Unit | Unexpected::Option => "an empty value".to_owned(),
        Unexpected::Seq => "a list".to_owned(),
        Unexpected::Map => "a mapping".to_owned(),
        other => other.to_string(),
    }
}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error::new(format!("expected {exp}, got {}", describe(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error::new(format!("expected {exp}, got {}", describe(&unexp)))
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        Error::new(format!("expected {exp}, got {len} items"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(format!(
            "expected one of {}, got {variant:?}",
            expected.join(", ")
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(format!("`{field}` is required"))
    }
}

/// Shared state of one decoding pass.
#[derive(Debug, Default)]
pub(super) struct Ctx {
    unknown: RefCell<Vec<UnknownKey>>,
}

impl Ctx {
    /// The unknown keys met so far, in file order.
    pub fn into_unknown(self) -> Vec<UnknownKey> {
        self.unknown.into_inner()
    }
}

/// Decodes `node` (the document root) into `T`.
pub(super) fn from_node<T: DeserializeOwned>(node: &Node, ctx: &Ctx) -> Result<T, Error> {
    T::deserialize(De {
        node,
        path: String::new(),
        line: node.line,
        ctx,
    })
}

/// Closest known key to `key` when the difference looks like a typo.
pub(super) fn suggest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let wanted = key.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    let (best, distance) = known
        .iter()
        .map(|k| (*k, strsim::damerau_levenshtein(&wanted, k)))
        .min_by_key(|(_, d)| *d)?;
    // One edit for short keys, a few more for long ones.
    let allowed = (best.len() / 4).max(1);
    (distance <= allowed).then_some(best)
}

struct De<'a> {
    node: &'a Node,
    path: String,
    line: u64,
    ctx: &'a Ctx,
}

impl De<'_> {
    fn err(&self, expected: &str) -> Error {
        Error::new(format!("expected {expected}, got {}", self.node.describe()))
            .at(&self.path, self.line)
    }

    fn locate<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|e| e.at(&self.path, self.line))
    }

    fn int(&self, what: &str, min: i128, max: i128) -> Result<i128, Error> {
        let Kind::Int(value) = self.node.kind else {
            return Err(self.err(what));
        };
        if value < min || value > max {
            let range = if min == 0 && value < 0 {
                "a non-negative whole number".to_owned()
            } else if min < 0 {
                format!("a whole number from {min} to {max}")
            } else {
                format!("a whole number {min}-{max}")
            };
            return Err(self.err(&range));
        }
        Ok(value)
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $ty:ty, $visit:ident, $as:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let value = self.int("a whole number", <$ty>::MIN.into(), <$ty>::MAX.into())?;
            let value = <$as>::try_from(value).map_err(|_| self.err("a whole number"))?;
            self.locate(visitor.$visit(value))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (_, Ok(u)) => visitor.visit_u64(u),
                (Ok(s), _) => visitor.visit_i64(s),
                _ => visitor.visit_i128(*i),
            },
            Kind::Float(f) => visitor.visit_f64(*f),
            Kind::Str(s) => visitor.visit_str(s),
            Kind::Seq(items) => visitor.visit_seq(SeqDe::new(items, &self)),
            Kind::Map(entries) => visitor.visit_map(MapDe::new(entries, None, &self)),
        };
        self.locate(result)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match &self.node.kind {
            Kind::Bool(b) => *b,
            // YAML 1.1 spellings, accepted for bool fields like Go's yaml.v3 does.
            Kind::Str(s) => match s.to_ascii_lowercase().as_str() {
                "yes" | "y" | "on" => true,
                "no" | "n" | "off" => false,
                _ => return Err(self.err("true or false")),
            },
            _ => return Err(self.err("true or false")),
        };
        self.locate(visitor.visit_bool(value))
    }

    deserialize_int! {
        deserialize_i8 => i8, visit_i64, i64;
        deserialize_i16 => i16, visit_i64, i64;
        deserialize_i32 => i32, visit_i64, i64;
        deserialize_i64 => i64, visit_i64, i64;
        deserialize_u8 => u8, visit_u64, u64;
        deserialize_u16 => u16, visit_u64, u64;
        deserialize_u32 => u32, visit_u64, u64;
        deserialize_u64 => u64, visit_u64, u64;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.node.kind {
            Kind::Float(f) => f,
            // Whole numbers in float fields; precision loss only past 2^53.
            Kind::Int(i) => i as f64,
            _ => return Err(self.err("a number")),
        };
        self.locate(visitor.visit_f64(value))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Str(s) => visitor.visit_str(s),
            // An empty value in a list or map reads as an empty string, as in Go.
            Kind::Null => visitor.visit_str(""),
            // Plain scalars YAML typed as numbers or booleans, taken as written.
            Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => {
                visitor.visit_str(&self.node.scalar_text())
            }
            Kind::Seq(_) | Kind::Map(_) => return Err(self.err("a string")),
        };
        self.locate(result)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if matches!(self.node.kind, Kind::Null) {
            self.locate(visitor.visit_none())
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.kind {
            Kind::Null => self.locate(visitor.visit_unit()),
            _ => Err(self.err("an empty value")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Seq(items) => visitor.visit_seq(SeqDe::new(items, &self)),
            Kind::Null => visitor.visit_seq(SeqDe::new(&[], &self)),
            _ => return Err(self.err("a list")),
        };
        self.locate(result)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Map(entries) => visitor.visit_map(MapDe::new(entries, None, &self)),
            Kind::Null => visitor.visit_map(MapDe::new(&[], None, &self)),
            _ => return Err(self.err("a mapping")),
        };
        self.locate(result)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Map(entries) => visitor.visit_map(MapDe::new(entries, Some(fields), &self)),
            Kind::Null => visitor.visit_map(MapDe::new(&[], Some(fields), &self)),
            _ => return Err(self.err("a mapping")),
        };
        self.locate(result)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match &self.node.kind {
            Kind::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => return Err(self.err("a name")),
        };
        self.locate(result)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'a str,
    ctx: &'a Ctx,
}

impl<'a> SeqDe<'a> {
    fn new(items: &'a [Node], parent: &'a De<'a>) -> Self {
        SeqDe {
            items: items.iter().enumerate(),
            path: &parent.path,
            ctx: parent.ctx,
        }
    }
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(De {
            node,
            path: child_index(self.path, index),
            line: node.line,
            ctx: self.ctx,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, Entry>,
    /// The struct's field names, or `None` for a free-form map (headers, aliases).
    fields: Option<&'static [&'static str]>,
    path: &'a str,
    ctx: &'a Ctx,
    pending: Option<&'a Entry>,
}

impl<'a> MapDe<'a> {
    fn new(
        entries: &'a [Entry],
        fields: Option<&'static [&'static str]>,
        parent: &'a De<'a>,
    ) -> Self {
        MapDe {
            entries: entries.iter(),
            fields,
            path: &parent.path,
            ctx: parent.ctx,
            pending: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let Some(entry) = self.entries.next() else {
                return Ok(None);
            };
            if let Some(fields) = self.fields {
                if !fields.contains(&entry.key.as_str()) {
                    self.ctx.unknown.borrow_mut().push(UnknownKey {
                        line: entry.line,
                        path: child_key(self.path, &entry.key),
                        suggestion: suggest(&entry.key, fields),
                    });
                    continue;
                }
                // `key:` with nothing after it keeps the default, as in Go.
                if matches!(entry.value.kind, Kind::Null) {
                    continue;
                }
            }
            self.pending = Some(entry);
            let key: de::value::StrDeserializer<'_, Error> = entry.key.as_str().into_deserializer();
            return seed
                .deserialize(key)
                .map(Some)
                .map_err(|e| e.at(&child_key(self.path, &entry.key), entry.line));
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(entry) = self.pending.take() else {
            return Err(Error::new("value requested before its key".to_owned()).at(self.path, 0));
        };
        seed.deserialize(De {
            node: &entry.value,
            path: child_key(self.path, &entry.key),
            line: entry.line,
            ctx: self.ctx,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
