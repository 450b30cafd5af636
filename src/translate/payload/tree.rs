//! A JSON document that is opened only along the paths a rule touches: every other value
//! stays a borrowed slice of the input and is written back byte-for-byte, so members keep
//! their order and formatting without serde_json's `preserve_order`. No I/O.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::path::Seg;

/// How far past the end of an array an index may reach. sjson pads the gap with `null`s
/// without limit; a typo such as `tools.100000000` must not allocate gigabytes.
pub(super) const MAX_PAD: usize = 1024;

/// One value of the document.
#[derive(Debug)]
pub(super) enum Node<'a> {
    /// Untouched JSON text: from the input, or a rule's value.
    Raw(&'a RawValue),
    /// `null` written as padding before an array index.
    Null,
    /// An opened object: members in input order (duplicates kept).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
    /// An opened array.
    Array(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    /// Validates `text` as one JSON value. The top level is opened right away (every edit
    /// needs it), which reads the body once instead of validating it first and opening it after.
    pub(super) fn parse(text: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => serde_json::from_slice(text).map(|Members(m)| Node::Object(m)),
            Some(b'[') => serde_json::from_slice::<Vec<&'a RawValue>>(text)
                .map(|items| Node::Array(items.into_iter().map(Node::Raw).collect())),
            _ => serde_json::from_slice(text).map(Node::Raw),
        }
    }

    /// Opens an unopened object or array into members; scalars stay as they are.
    fn open(&mut self) -> Result<(), serde_json::Error> {
        let Node::Raw(raw) = self else { return Ok(()) };
        let raw: &'a RawValue = raw;
        let text = raw.get();
        match text.trim_start().as_bytes().first() {
            Some(b'{') => {
                let Members(members) = serde_json::from_str(text)?;
                *self = Node::Object(members);
            }
            Some(b'[') => {
                let items: Vec<&'a RawValue> = serde_json::from_str(text)?;
                *self = Node::Array(items.into_iter().map(Node::Raw).collect());
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether `segs` leads to a value (gjson's `Exists`: an explicit `null` exists).
    /// A `#` step over an array always exists, as gjson answers it with an array.
    pub(super) fn exists(&mut self, segs: &[Seg]) -> Result<bool, serde_json::Error> {
        let Some((seg, rest)) = segs.split_first() else {
            return Ok(true);
        };
        self.open()?;
        match self.child(seg) {
            Child::Found(child) => child.exists(rest),
            Child::Each(_) => Ok(true),
            Child::Missing => Ok(false),
        }
    }

    /// Sets `segs` to `value`, creating what is missing the way sjson does: missing members
    /// are appended, a numeric step past the end of an array pads it with `null`s, `-1`
    /// appends, and a scalar in the way is replaced by a new object or array. Returns whether
    /// the document changed (false where sjson reports an error: a name step into an array,
    /// or a gap wider than [`MAX_PAD`]).
    pub(super) fn set(
        &mut self,
        segs: &'a [Seg],
        value: &'a RawValue,
    ) -> Result<bool, serde_json::Error> {
        let Some((seg, rest)) = segs.split_first() else {
            *self = Node::Raw(value);
            return Ok(true);
        };
        self.open()?;
        match self {
            Node::Object(members) => {
                if let Some(child) = last_member(members, seg) {
                    return child.set(rest, value);
                }
                let (Some(name), Some(node)) = (seg.name(), build(rest, value)) else {
                    return Ok(false);
                };
                members.push((Cow::Borrowed(name), node));
                Ok(true)
            }
            Node::Array(items) => {
                if let Some(child) = seg.index().and_then(|i| items.get_mut(i)) {
                    return child.set(rest, value);
                }
                if seg.is_last() {
                    let Some(node) = build(rest, value) else {
                        return Ok(false);
                    };
                    items.push(node);
                    return Ok(true);
                }
                if !seg.creates_array() {
                    return Ok(false);
                }
                let Some(index) = seg.index() else {
                    return Ok(false);
                };
                if index.saturating_sub(items.len()) > MAX_PAD {
                    return Ok(false);
                }
                let Some(node) = build(rest, value) else {
                    return Ok(false);
                };
                items.resize_with(index, || Node::Null);
                items.push(node);
                Ok(true)
            }
            Node::Raw(_) | Node::Null => match build(segs, value) {
                Some(node) => {
                    *self = node;
                    Ok(true)
                }
                None => Ok(false),
            },
        }
    }

    /// Replaces the values `segs` reaches with `value`, creating nothing: what sjson does
    /// with a path that has a `#` step. A path ending in `#` (an array's length) changes nothing.
    pub(super) fn replace(
        &mut self,
        segs: &'a [Seg],
        value: &'a RawValue,
    ) -> Result<bool, serde_json::Error> {
        let Some((seg, rest)) = segs.split_first() else {
            *self = Node::Raw(value);
            return Ok(true);
        };
        self.open()?;
        match self.child(seg) {
            Child::Found(child) => child.replace(rest, value),
            Child::Each(items) if !rest.is_empty() => {
                let mut changed = false;
                for item in items {
                    changed |= item.replace(rest, value)?;
                }
                Ok(changed)
            }
            Child::Each(_) | Child::Missing => Ok(false),
        }
    }

    /// Deletes what `segs` names: an object member (every duplicate of it) or an array
    /// element (`-1` = the last one). A missing path changes nothing.
    pub(super) fn delete(&mut self, segs: &[Seg]) -> Result<bool, serde_json::Error> {
        let Some((seg, rest)) = segs.split_first() else {
            return Ok(false);
        };
        self.open()?;
        match self {
            Node::Object(members) if rest.is_empty() => {
                let Some(name) = seg.name() else {
                    return Ok(false);
                };
                let before = members.len();
                members.retain(|(key, _)| key != name);
                Ok(members.len() != before)
            }
            Node::Object(members) => match last_member(members, seg) {
                Some(child) => child.delete(rest),
                None => Ok(false),
            },
            Node::Array(items) => {
                let index = if seg.is_last() {
                    items.len().checked_sub(1)
                } else {
                    seg.index().filter(|i| *i < items.len())
                };
                let Some(index) = index else {
                    return Ok(false);
                };
                if rest.is_empty() {
                    if index < items.len() {
                        items.remove(index);
                        return Ok(true);
                    }
                    return Ok(false);
                }
                match items.get_mut(index) {
                    Some(child) => child.delete(rest),
                    None => Ok(false),
                }
            }
            Node::Raw(_) | Node::Null => Ok(false),
        }
    }

    /// Writes the document: unopened values verbatim, opened containers compactly.
    pub(super) fn write(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        match self {
            Node::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
            Node::Null => out.extend_from_slice(b"null"),
            Node::Object(members) => {
                out.push(b'{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, key.as_ref())?;
                    out.push(b':');
                    value.write(out)?;
                }
                out.push(b'}');
            }
            Node::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out)?;
                }
                out.push(b']');
            }
        }
        Ok(())
    }

    /// The child `seg` names in an opened node (lookups follow gjson).
    fn child(&mut self, seg: &Seg) -> Child<'_, 'a> {
        match self {
            Node::Object(members) => match last_member(members, seg) {
                Some(child) => Child::Found(child),
                None => Child::Missing,
            },
            Node::Array(items) => match seg {
                Seg::Each => Child::Each(items),
                Seg::Key { .. } => match seg.index().and_then(|i| items.get_mut(i)) {
                    Some(child) => Child::Found(child),
                    None => Child::Missing,
                },
            },
            Node::Raw(_) | Node::Null => Child::Missing,
        }
    }
}

/// What a step reaches inside an opened node.
enum Child<'n, 'a> {
    Found(&'n mut Node<'a>),
    Each(&'n mut Vec<Node<'a>>),
    Missing,
}

/// The member `seg` names. With duplicate names the last one wins, because that is the value
/// serde_json and the upstream APIs read (gjson would pick the first).
fn last_member<'n, 'a>(
    members: &'n mut [(Cow<'a, str>, Node<'a>)],
    seg: &Seg,
) -> Option<&'n mut Node<'a>> {
    let name = seg.name()?;
    members
        .iter_mut()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, node)| node)
}

/// A new value holding `value` at `segs` (sjson's construction of a missing path): a numeric
/// or `-1` step makes an array (`null`-padded up to the index), any other step an object.
/// `None` when a pad would exceed [`MAX_PAD`] or the path has a `#` step.
fn build<'a>(segs: &'a [Seg], value: &'a RawValue) -> Option<Node<'a>> {
    let Some((seg, rest)) = segs.split_first() else {
        return Some(Node::Raw(value));
    };
    let inner = build(rest, value)?;
    if seg.creates_array() {
        let pad = if seg.is_last() { 0 } else { seg.index()? };
        if pad > MAX_PAD {
            return None;
        }
        let mut items = Vec::with_capacity(pad + 1);
        items.resize_with(pad, || Node::Null);
        items.push(inner);
        return Some(Node::Array(items));
    }
    let name = seg.name()?;
    Some(Node::Object(vec![(Cow::Borrowed(name), inner)]))
}

/// An object's members in order, names unescaped (borrowed when they had no escapes),
/// values unparsed.
struct Members<'a>(Vec<(Cow<'a, str>, Node<'a>)>);

impl<'de> de::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            members.push((key, Node::Raw(value)));
        }
        Ok(Members(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
    }
}

/// A member name, borrowed from the input unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v)))
    }
}
