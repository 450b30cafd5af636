//! The one place that chooses the JSON backend, and the passthrough lane's byte-level tools:
//! find the spans of a few top-level fields without building a tree, and splice new values in.
//! Everything else in the body is forwarded byte-for-byte. No I/O.

pub mod scan;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::BytesMut;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON body that could not be used, with serde_json's position-bearing message.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The bytes are not valid JSON (message names line and column).
    #[error("malformed JSON: {0}")]
    Syntax(String),
    /// Valid JSON, but the top level is not an object.
    #[error("the request body must be a JSON object")]
    NotAnObject,
}

/// The raw values of the top-level fields that were asked for, borrowed from the input.
/// `spans[i]` belongs to `keys[i]`; a key that appears twice keeps its last value, as
/// serde_json (and the upstream APIs) do.
#[derive(Debug)]
pub struct Fields<'a, const N: usize> {
    input: &'a [u8],
    values: [Option<&'a str>; N],
}

impl<'a, const N: usize> Fields<'a, N> {
    /// The raw JSON text of field `i`, if present.
    pub fn raw(&self, i: usize) -> Option<&'a str> {
        self.values.get(i).copied().flatten()
    }

    /// Byte range of field `i`'s value inside the input.
    pub fn span(&self, i: usize) -> Option<Range<usize>> {
        let raw = self.raw(i)?;
        let start = (raw.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        let end = start.checked_add(raw.len())?;
        (end <= self.input.len()).then_some(start..end)
    }

    /// Field `i` as a string, unescaped (`None` when absent or not a string).
    pub fn str(&self, i: usize) -> Option<Cow<'a, str>> {
        let raw = self.raw(i)?;
        let mut s = scan::Scanner::new(raw);
        match s.string() {
            Some(v) => Some(v),
            None => serde_json::from_str::<Cow<'a, str>>(raw).ok(),
        }
    }

    /// Field `i` as a bool (`None` when absent, `null` or not a bool).
    pub fn bool(&self, i: usize) -> Option<bool> {
        match self.raw(i)? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Whether field `i` is present with a value other than `null`.
    pub fn is_set(&self, i: usize) -> bool {
        self.raw(i).is_some_and(|r| r != "null")
    }
}

/// Validates `input` as a JSON object and returns the raw values of `keys` at its top level.
/// Other values are skipped without allocating. The strict scanner reads ordinary bodies;
/// anything it will not vouch for (escaped keys, exponents, deep nesting, errors) is read by
/// serde_json, which gives the same fields or the position-bearing error.
pub fn top_level<'a, const N: usize>(
    input: &'a [u8],
    keys: &[&str; N],
) -> Result<Fields<'a, N>, JsonError> {
    if let Some(values) = scan_top_level(input, keys) {
        return Ok(Fields { input, values });
    }
    serde_top_level(input, keys)
}

fn scan_top_level<'a, const N: usize>(
    input: &'a [u8],
    keys: &[&str; N],
) -> Option<[Option<&'a str>; N]> {
    let src = std::str::from_utf8(input).ok()?;
    let mut out = [None; N];
    let mut s = scan::Scanner::new(src);
    s.object(|s, key| {
        let raw = s.skip_raw()?;
        if let Some(slot) = keys
            .iter()
            .position(|k| *k == key)
            .and_then(|i| out.get_mut(i))
        {
            *slot = Some(raw);
        }
        Some(())
    })?;
    s.end()?;
    Some(out)
}

fn serde_top_level<'a, const N: usize>(
    input: &'a [u8],
    keys: &[&str; N],
) -> Result<Fields<'a, N>, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(input);
    let values = de::Deserializer::deserialize_any(&mut de, TopVisitor { keys }).map_err(|e| {
        match e.classify() {
            serde_json::error::Category::Data => JsonError::NotAnObject,
            _ => JsonError::Syntax(e.to_string()),
        }
    })?;
    de.end().map_err(|e| JsonError::Syntax(e.to_string()))?;
    Ok(Fields { input, values })
}

struct TopVisitor<'k, const N: usize> {
    keys: &'k [&'k str; N],
}

impl<'de, const N: usize> Visitor<'de> for TopVisitor<'_, N> {
    type Value = [Option<&'de str>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = [None; N];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.keys.iter().position(|k| *k == key) {
                Some(i) => {
                    let raw = map.next_value::<&'de RawValue>()?;
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(raw.get());
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// One change to a JSON object's top level, applied by [`splice`].
#[derive(Debug)]
pub enum Edit<'a> {
    /// Replace the bytes in this range (a value span from [`Fields::span`]) with new raw JSON.
    Replace(Range<usize>, &'a [u8]),
    /// Add a `"key": value` member at the start of the object (the key must not exist yet).
    Insert(&'a str, &'a [u8]),
}

/// Applies `edits` to a JSON object, copying everything else verbatim. Replacements must not
/// overlap. Returns the new bytes.
pub fn splice(input: &[u8], edits: &mut [Edit<'_>]) -> Vec<u8> {
    let extra: usize = edits
        .iter()
        .map(|e| match e {
            Edit::Replace(_, v) => v.len(),
            Edit::Insert(k, v) => k.len() + v.len() + 4,
        })
        .sum();
    let mut out = Vec::with_capacity(input.len() + extra);
    // Members inserted after the opening brace.
    let open = input.iter().position(|b| *b == b'{').map_or(0, |p| p + 1);
    let inserts: Vec<(&str, &[u8])> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Insert(k, v) => Some((*k, *v)),
            Edit::Replace(..) => None,
        })
        .collect();
    let mut replaces: Vec<(Range<usize>, &[u8])> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Replace(r, v) => Some((r.clone(), *v)),
            Edit::Insert(..) => None,
        })
        .collect();
    replaces.sort_by_key(|(r, _)| r.start);

    let mut pos = 0usize;
    if !inserts.is_empty() {
        out.extend_from_slice(input.get(..open).unwrap_or_default());
        let empty = input
            .get(open..)
            .and_then(|rest| rest.iter().find(|b| !b.is_ascii_whitespace()))
            .is_none_or(|b| *b == b'}');
        for (i, (k, v)) in inserts.iter().enumerate() {
            // Keys are written through serde_json so that they are always escaped correctly.
            if serde_json::to_writer(&mut out, k).is_err() {
                continue;
            }
            out.push(b':');
            out.extend_from_slice(v);
            if i + 1 < inserts.len() || !empty {
                out.push(b',');
            }
        }
        pos = open;
    }
    for (range, value) in replaces {
        if range.start < pos || range.end > input.len() {
            continue;
        }
        out.extend_from_slice(input.get(pos..range.start).unwrap_or_default());
        out.extend_from_slice(value);
        pos = range.end;
    }
    out.extend_from_slice(input.get(pos..).unwrap_or_default());
    out
}

/// Encodes a string as a JSON string literal.
pub fn string_literal(s: &str) -> Vec<u8> {
    // Serialising a &str into a Vec cannot fail.
    serde_json::to_vec(s).unwrap_or_else(|_| b"\"\"".to_vec())
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it (`\"`,
/// `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`; everything else verbatim),
/// so frames written with it are byte-identical to serialised ones. Runs of plain bytes are
/// copied whole.
pub fn write_str(out: &mut BytesMut, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.extend_from_slice(b"\"");
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if short.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                hex_digit(b >> 4),
                hex_digit(b & 0xf),
            ]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.extend_from_slice(b"\"");
}

/// Appends one SSE frame whose data is `value` serialised as JSON (`event: <name>` first when
/// named), straight into `out` with no intermediate buffer. The bytes are those
/// `sse::encode` writes for the serialised text: compact JSON has no line breaks unless an
/// embedded raw value brings some, and then the frame is rewritten through `sse::encode`.
/// Nothing is written if serialisation fails.
pub fn write_sse<T: serde::Serialize + ?Sized>(event: Option<&str>, value: &T, out: &mut BytesMut) {
    let start = out.len();
    super::sse::encode_head(event, out);
    let body = out.len();
    if serde_json::to_writer(bytes::BufMut::writer(&mut *out), value).is_err() {
        out.truncate(start);
        return;
    }
    let json = out.get(body..).unwrap_or_default();
    if memchr::memchr2(b'\n', b'\r', json).is_some() {
        let json = out.split_off(body);
        out.truncate(start);
        if let Ok(text) = std::str::from_utf8(&json) {
            super::sse::encode(event, text, out);
        }
        return;
    }
    out.extend_from_slice(b"\n\n");
}

/// The lower-case hex digit of a nibble.
fn hex_digit(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + n - 10
    }
}

/// A string that borrows from the input when it has no escapes.
pub struct CowStr<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowVisitor(PhantomData)).map(CowStr)
    }
}

struct CowVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for CowVisitor<'a> {
    type Value = Cow<'a, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// An optional string field that borrows from the input when it can, for
/// `#[serde(deserialize_with = "opt_cow")]`. Plain `Option<Cow<str>>` always allocates: serde
/// only borrows a `Cow` that is the field's own type.
pub fn opt_cow<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Option::<CowStr<'a>>::deserialize(d).map(|o| o.map(|s| s.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_str_matches_serde_json() {
        let mut all = String::new();
        for c in (0u8..0x80).map(char::from) {
            all.push(c);
        }
        for s in [
            &all[..],
            "",
            "plain",
            "é\u{2028}😀\"x\"",
            "a\\b\n\r\t\u{7f}",
        ] {
            let mut out = BytesMut::new();
            write_str(&mut out, s);
            assert_eq!(&out[..], serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn write_sse_matches_serialise_then_encode() {
        let raw = RawValue::from_string("{\"a\":\n1}".to_owned()).unwrap();
        let values = [
            serde_json::json!({"t": "x\ny", "n": 1}),
            serde_json::to_value(&raw).unwrap(),
        ];
        for (event, v) in [(None, &values[0]), (Some("e\nv"), &values[0])] {
            let mut direct = BytesMut::from(&b"head"[..]);
            write_sse(event, v, &mut direct);
            let mut encoded = BytesMut::from(&b"head"[..]);
            super::super::sse::encode(event, &serde_json::to_string(v).unwrap(), &mut encoded);
            assert_eq!(direct, encoded);
        }
        let mut direct = BytesMut::new();
        write_sse(Some("x"), &raw, &mut direct);
        let mut encoded = BytesMut::new();
        super::super::sse::encode(Some("x"), raw.get(), &mut encoded);
        assert_eq!(direct, encoded);
        assert!(direct.starts_with(b"event: x\ndata: {\"a\":\ndata: 1}"));
    }

    #[test]
    fn cow_fields_borrow_unless_escaped() {
        #[derive(serde::Deserialize)]
        struct T<'a> {
            #[serde(borrow, default, deserialize_with = "opt_cow")]
            a: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "opt_cow")]
            b: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "opt_cow")]
            c: Option<Cow<'a, str>>,
        }
        let t: T<'_> = serde_json::from_str(r#"{"a":"x","b":"y\"","c":null}"#).unwrap();
        assert!(matches!(t.a, Some(Cow::Borrowed("x"))));
        assert!(matches!(t.b, Some(Cow::Owned(ref s)) if s == "y\""));
        assert!(t.c.is_none());
    }

    #[test]
    fn finds_top_level_fields_and_ignores_nested_ones() {
        let body = br#"{"messages":[{"model":"nested"}],"model":"gpt\u0034","stream":true}"#;
        let f = top_level(body, &["model", "stream", "stream_options"]).unwrap();
        assert_eq!(f.str(0).as_deref(), Some("gpt4"));
        assert_eq!(f.bool(1), Some(true));
        assert!(f.raw(2).is_none());
        let span = f.span(0).unwrap();
        assert_eq!(&body[span], br#""gpt\u0034""#);
    }

    #[test]
    fn malformed_json_names_the_position() {
        let err = top_level(br#"{"model": "x",}"#, &["model"]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 1 column"), "{msg}");
        assert!(matches!(
            top_level(b"[1,2]", &["model"]),
            Err(JsonError::NotAnObject)
        ));
        assert!(matches!(
            top_level(br#"{"a":1} x"#, &["model"]),
            Err(JsonError::Syntax(_))
        ));
    }

    #[test]
    fn splice_replaces_and_inserts_verbatim() {
        let body = br#"{ "model" : "a", "x": {"y": [1, 2]}, "stream": true }"#;
        let f = top_level(body, &["model"]).unwrap();
        let out = splice(
            body,
            &mut [
                Edit::Replace(f.span(0).unwrap(), br#""bbb""#),
                Edit::Insert("stream_options", br#"{"include_usage":true}"#),
            ],
        );
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"stream_options":{"include_usage":true}, "model" : "bbb", "x": {"y": [1, 2]}, "stream": true }"#
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["model"], "bbb");
    }

    #[test]
    fn insert_into_empty_object_has_no_trailing_comma() {
        let out = splice(b"{ }", &mut [Edit::Insert("a", b"1")]);
        assert_eq!(out, br#"{"a":1 }"#);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let f = top_level(br#"{"model":"a","model":"b"}"#, &["model"]).unwrap();
        assert_eq!(f.str(0).as_deref(), Some("b"));
    }

    /// Both readers, on the same input: the scanner either gives up or agrees with serde.
    fn readers_agree(text: &str) -> Result<(), String> {
        const KEYS: [&str; 3] = ["model", "stream", "a"];
        let Some(fast) = scan_top_level(text.as_bytes(), &KEYS) else {
            return Ok(());
        };
        match serde_top_level(text.as_bytes(), &KEYS) {
            Ok(f) if f.values == fast => Ok(()),
            Ok(f) => Err(format!("{text}: scanner {fast:?}, serde {:?}", f.values)),
            Err(e) => Err(format!("{text}: scanner accepted, serde said {e}")),
        }
    }

    #[test]
    fn the_scanner_reads_ordinary_bodies() {
        let body = br#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi \"there\""}],
            "temperature":0.7,"max_tokens":256,"stream":true,"stream_options":{"include_usage":false}}"#;
        let fast = scan_top_level(body, &["model", "stream", "stream_options"]).unwrap();
        assert_eq!(fast[0], Some(r#""gpt-4o""#));
        assert_eq!(fast[1], Some("true"));
        assert_eq!(fast[2], Some(r#"{"include_usage":false}"#));
        readers_agree(std::str::from_utf8(body).unwrap()).unwrap();
        // What it leaves to serde: exponents, escaped keys, broken input.
        for text in [
            r#"{"t":1e3}"#,
            r#"{"mod\u0065l":"x"}"#,
            r#"{"model":"x",}"#,
            "[1]",
        ] {
            assert!(
                scan_top_level(text.as_bytes(), &["model"]).is_none(),
                "{text}"
            );
        }
        assert_eq!(
            top_level(br#"{"mod\u0065l":"x"}"#, &["model"])
                .unwrap()
                .raw(0),
            Some(r#""x""#)
        );
    }

    proptest::proptest! {
        #[test]
        fn scanner_and_serde_agree(text in r#"\{("(model|stream|a|b)":([0-9.\-]{1,4}|"[a-z\\"]{0,3}"|true|null|\[[0-9,]{0,4}\]|\{\}),?){0,4}\} ?"#) {
            proptest::prop_assert_eq!(readers_agree(&text), Ok(()));
        }
    }
}
