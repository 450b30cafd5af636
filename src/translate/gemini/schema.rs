//! JSON Schema ⇄ Gemini: cleaning a tool's JSON Schema into the subset Gemini's function
//! declarations accept, and normalising Google's OpenAPI-style schemas (upper-case type names)
//! into plain JSON Schema. Works on an order-preserving tree, so property order (which steers
//! the model's argument order) survives; a schema that needs no change is returned byte-exact.
//! Our own equivalent of CLIProxyAPI's `CleanJSONSchemaForGemini`. Pure, no I/O.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their key order (serde_json's `Value` sorts keys unless a
/// crate-wide feature is turned on).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as schema-hint text: strings bare, everything else as JSON.
    fn hint_text(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Num(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(v)
            .map(Node::Num)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Node::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out: Vec<(String, Node)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            // A repeated key keeps its last value, in its first position (as serde_json does).
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        Ok(Node::Obj(out))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Num(n) => n.serialize(s),
            Node::Str(v) => s.serialize_str(v),
            Node::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Obj(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// The keywords a cleaned schema keeps: the part of JSON Schema that Gemini's function
/// declarations understand on every endpoint (AI Studio, Vertex, Cloud Code Assist).
const KEPT: &[&str] = &[
    "type",
    "description",
    "properties",
    "items",
    "required",
    "enum",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
    "propertyOrdering",
];

/// Constraints Gemini does not take (or takes inconsistently across endpoints). Their scalar
/// values are kept as a description hint, so the model still sees them.
const HINTED: &[&str] = &[
    "minLength",
    "maxLength",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "format",
    "default",
    "examples",
];

/// How many `$ref`s may be inlined into one schema, and how deep: beyond that (or on a
/// cycle) a reference becomes a description hint.
const MAX_INLINED_REFS: usize = 64;
const MAX_REF_DEPTH: usize = 8;

/// An empty object schema, for arguments-less tools and schemas that are not objects.
pub(crate) const EMPTY_OBJECT: &str = r#"{"type":"object","properties":{}}"#;

/// Cleans a tool's argument schema for a Gemini function declaration:
/// - `$ref` to a local `$defs`/`definitions` entry is inlined (cycles, remote refs and
///   anything past 64 inlines or 8 levels become `{"type":"object"}` with a "See: Name" hint);
/// - `allOf` members are merged into the parent (properties and required);
/// - `anyOf`/`oneOf` become their richest branch (object > array > scalar > null) with an
///   "Accepts: a | b" hint, unless the parent already has a type, when they are dropped;
/// - a type array (`["string","null"]`) becomes its first non-null type; a nullable property
///   leaves its parent's `required` and gets a "nullable" hint;
/// - `const` becomes a one-value `enum`; enum values become strings and the type `string`
///   (Gemini only takes string enums);
/// - `additionalProperties: false` and scalar constraints (`minLength`, `pattern`, `format`,
///   `default`, `examples`, …) become description hints;
/// - every other keyword is dropped (`$schema`, `$id`, `$defs`, `additionalProperties`,
///   `propertyNames`, `patternProperties`, `unevaluatedProperties`, `title`, `nullable`,
///   `x-*`, `if`/`then`/`else`, `not`, …);
/// - `required` keeps only names that are properties; an array without `items` gets string
///   items; the root is always an object schema.
///
/// Returns the input unchanged (borrowed, byte-exact) when nothing had to change, and
/// [`EMPTY_OBJECT`] when the input is not a JSON object.
pub fn clean(raw: &str) -> Cow<'_, str> {
    let Ok(root) = serde_json::from_str::<Node>(raw) else {
        return Cow::Borrowed(EMPTY_OBJECT);
    };
    let Node::Obj(_) = &root else {
        return Cow::Borrowed(EMPTY_OBJECT);
    };
    let mut ctx = Cleaner {
        root: &root,
        stack: Vec::new(),
        inlined: 0,
    };
    let (mut cleaned, _) = ctx.schema(&root);
    if let Node::Obj(entries) = &mut cleaned {
        if !entries.iter().any(|(k, _)| k == "type") {
            entries.insert(0, ("type".to_owned(), Node::Str("object".to_owned())));
        }
    } else {
        return Cow::Borrowed(EMPTY_OBJECT);
    }
    if cleaned == root {
        return Cow::Borrowed(raw);
    }
    match serde_json::to_string(&cleaned) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(EMPTY_OBJECT),
    }
}

struct Cleaner<'r> {
    root: &'r Node,
    /// The `$ref`s being inlined, outermost first (cycle guard).
    stack: Vec<String>,
    inlined: usize,
}

impl Cleaner<'_> {
    /// Cleans one schema node. Returns it and whether it allows `null`.
    fn schema(&mut self, node: &Node) -> (Node, bool) {
        let entries = match node {
            Node::Obj(entries) => entries,
            // Boolean schemas and junk: "anything".
            _ => return (Node::Obj(Vec::new()), false),
        };
        if let Some(reference) = node.get("$ref").and_then(Node::as_str) {
            return self.reference(reference, node.get("description"));
        }
        let mut out: Vec<(String, Node)> = Vec::with_capacity(entries.len());
        let mut hints: Vec<String> = Vec::new();
        let mut nullable = false;

        // Unions first: with no type of its own, the node becomes its best branch.
        let has_own_shape = ["type", "properties", "items"]
            .iter()
            .any(|k| node.get(k).is_some());
        for key in ["anyOf", "oneOf"] {
            if has_own_shape {
                break;
            }
            let Some(Node::Arr(branches)) = node.get(key) else {
                continue;
            };
            if branches.is_empty() {
                continue;
            }
            return self.union(branches, node.get("description"));
        }

        for (key, value) in entries {
            match key.as_str() {
                "type" => match value {
                    Node::Arr(types) => {
                        let names: Vec<&str> = types.iter().filter_map(Node::as_str).collect();
                        nullable |= names.contains(&"null");
                        let non_null: Vec<&str> =
                            names.iter().copied().filter(|t| *t != "null").collect();
                        let first = non_null.first().copied().unwrap_or("string");
                        set_entry(&mut out, key, Node::Str(first.to_owned()));
                        if non_null.len() > 1 {
                            hints.push(format!("Accepts: {}", non_null.join(" | ")));
                        }
                    }
                    Node::Str(_) => set_entry(&mut out, key, value.clone()),
                    _ => {}
                },
                "description" => {
                    if let Node::Str(_) = value {
                        set_entry(&mut out, key, value.clone());
                    }
                }
                "properties" => {
                    if let Node::Obj(props) = value {
                        let mut cleaned = Vec::with_capacity(props.len());
                        for (name, prop) in props {
                            let (mut p, null) = self.schema(prop);
                            if null {
                                append_hint(&mut p, "nullable");
                                nullable_props_push(&mut out, name);
                            }
                            cleaned.push((name.clone(), p));
                        }
                        merge_all_of(&mut out, Node::Obj(vec![(key.clone(), Node::Obj(cleaned))]));
                    }
                }
                "items" => match value {
                    Node::Obj(_) => set_entry(&mut out, key, self.schema(value).0),
                    // Tuple form: Gemini takes one item schema.
                    Node::Arr(items) => {
                        let first = items
                            .first()
                            .map_or_else(string_schema, |i| self.schema(i).0);
                        set_entry(&mut out, key, first);
                    }
                    _ => {}
                },
                "required" => {
                    if let Node::Arr(_) = value {
                        merge_all_of(&mut out, Node::Obj(vec![(key.clone(), value.clone())]));
                    }
                }
                "allOf" => {
                    if let Node::Arr(members) = value {
                        for member in members {
                            let (m, _) = self.schema(member);
                            merge_all_of(&mut out, m);
                        }
                    }
                }
                "const" if node.get("enum").is_none() => {
                    set_entry(&mut out, "enum", Node::Arr(vec![value.clone()]));
                }
                "additionalProperties" if *value == Node::Bool(false) => {
                    hints.push("No extra properties allowed".to_owned());
                }
                k if HINTED.contains(&k) && !matches!(value, Node::Arr(_) | Node::Obj(_)) => {
                    hints.push(format!("{k}: {}", value.hint_text()));
                }
                k if KEPT.contains(&k) => set_entry(&mut out, key, value.clone()),
                _ => {}
            }
        }
        finish_node(&mut out, hints);
        (Node::Obj(out), nullable)
    }

    fn reference(&mut self, reference: &str, description: Option<&Node>) -> (Node, bool) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        let target = local_definition(self.root, reference);
        let resolvable = target.is_some()
            && self.stack.len() < MAX_REF_DEPTH
            && self.inlined < MAX_INLINED_REFS
            && !self.stack.iter().any(|r| r == reference);
        let Some(target) = target.filter(|_| resolvable) else {
            let mut hint = format!("See: {name}");
            if let Some(Node::Str(d)) = description {
                if !d.is_empty() {
                    hint = format!("{d} ({hint})");
                }
            }
            let node = Node::Obj(vec![
                ("type".to_owned(), Node::Str("object".to_owned())),
                ("description".to_owned(), Node::Str(hint)),
            ]);
            return (node, false);
        };
        self.inlined += 1;
        self.stack.push(reference.to_owned());
        let (mut node, nullable) = self.schema(target);
        self.stack.pop();
        if let Some(Node::Str(d)) = description {
            merge_description(&mut node, d);
        }
        (node, nullable)
    }

    fn union(&mut self, branches: &[Node], description: Option<&Node>) -> (Node, bool) {
        let mut best: Option<(u8, Node)> = None;
        let mut types: Vec<String> = Vec::new();
        let mut nullable = false;
        for branch in branches {
            let (cleaned, null) = self.schema(branch);
            let ty = cleaned.get("type").and_then(Node::as_str).unwrap_or("");
            let (score, name) = if ty == "object" || cleaned.get("properties").is_some() {
                (3, "object")
            } else if ty == "array" || cleaned.get("items").is_some() {
                (2, "array")
            } else if !ty.is_empty() && ty != "null" {
                (1, ty)
            } else {
                (0, "null")
            };
            nullable |= null || score == 0;
            types.push(name.to_owned());
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, cleaned));
            }
        }
        let Some((_, mut node)) = best else {
            return (Node::Obj(Vec::new()), false);
        };
        if let Some(Node::Str(d)) = description {
            merge_description(&mut node, d);
        }
        types.dedup();
        if types.len() > 1 {
            append_hint(&mut node, &format!("Accepts: {}", types.join(" | ")));
        }
        (node, nullable)
    }
}

/// Records that property `name` is nullable: it leaves `required` in [`finish_node`]. The
/// list is kept under a private key that `finish_node` removes.
fn nullable_props_push(out: &mut Vec<(String, Node)>, name: &str) {
    const KEY: &str = "\u{0}nullable";
    match out.iter_mut().find(|(k, _)| k == KEY) {
        Some((_, Node::Arr(names))) => names.push(Node::Str(name.to_owned())),
        _ => out.push((KEY.to_owned(), Node::Arr(vec![Node::Str(name.to_owned())]))),
    }
}

/// Final touches on a cleaned object: enums become strings, `required` keeps only declared
/// non-nullable properties, arrays get items, hints are appended to the description.
fn finish_node(out: &mut Vec<(String, Node)>, hints: Vec<String>) {
    let nullable: Vec<String> = match out.iter().position(|(k, _)| k == "\u{0}nullable") {
        Some(i) => match out.remove(i).1 {
            Node::Arr(names) => names
                .into_iter()
                .filter_map(|n| match n {
                    Node::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };

    // Enums: strings only, and the type says so.
    let mut has_enum = false;
    for (k, v) in out.iter_mut() {
        if k == "enum" {
            if let Node::Arr(values) = v {
                for value in values.iter_mut() {
                    if !matches!(value, Node::Str(_)) {
                        *value = Node::Str(value.hint_text());
                    }
                }
                has_enum = true;
            }
        }
    }
    if has_enum {
        set_entry(out, "type", Node::Str("string".to_owned()));
    }

    // Required: only declared, non-nullable properties.
    let declared: Option<Vec<String>> =
        out.iter()
            .find(|(k, _)| k == "properties")
            .and_then(|(_, v)| match v {
                Node::Obj(props) => Some(props.iter().map(|(n, _)| n.clone()).collect()),
                _ => None,
            });
    if let Some(i) = out.iter().position(|(k, _)| k == "required") {
        let keep: Vec<Node> = match (&out.get(i).map(|e| &e.1), &declared) {
            (Some(Node::Arr(names)), Some(declared)) => names
                .iter()
                .filter(|n| {
                    n.as_str().is_some_and(|s| {
                        declared.iter().any(|d| d == s) && !nullable.iter().any(|x| x == s)
                    })
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if keep.is_empty() {
            out.remove(i);
        } else if let Some(slot) = out.get_mut(i) {
            slot.1 = Node::Arr(keep);
        }
    }

    // An object with properties says it is one; an array says what it holds.
    if declared.is_some() && !out.iter().any(|(k, _)| k == "type") {
        out.insert(0, ("type".to_owned(), Node::Str("object".to_owned())));
    }
    let is_array = out
        .iter()
        .any(|(k, v)| k == "type" && v.as_str() == Some("array"));
    if is_array && !out.iter().any(|(k, _)| k == "items") {
        out.push(("items".to_owned(), string_schema()));
    }

    if !hints.is_empty() {
        let mut node = Node::Obj(std::mem::take(out));
        for hint in hints {
            append_hint(&mut node, &hint);
        }
        if let Node::Obj(entries) = node {
            *out = entries;
        }
    }
}

fn string_schema() -> Node {
    Node::Obj(vec![("type".to_owned(), Node::Str("string".to_owned()))])
}

fn set_entry(out: &mut Vec<(String, Node)>, key: &str, value: Node) {
    match out.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => out.push((key.to_owned(), value)),
    }
}

/// Appends `hint` to the node's description as "desc (hint)", or sets it.
fn append_hint(node: &mut Node, hint: &str) {
    let Node::Obj(entries) = node else {
        return;
    };
    match entries.iter_mut().find(|(k, _)| k == "description") {
        Some((_, Node::Str(d))) if !d.is_empty() => {
            *d = format!("{d} ({hint})");
        }
        Some(slot) => slot.1 = Node::Str(hint.to_owned()),
        None => entries.push(("description".to_owned(), Node::Str(hint.to_owned()))),
    }
}

/// Puts a parent's description on a node that replaces it: "parent (child)" when both exist
/// and differ.
fn merge_description(node: &mut Node, parent: &str) {
    if parent.is_empty() {
        return;
    }
    let Node::Obj(entries) = node else {
        return;
    };
    match entries.iter_mut().find(|(k, _)| k == "description") {
        Some((_, Node::Str(child))) if !child.is_empty() => {
            if child != parent {
                *child = format!("{parent} ({child})");
            }
        }
        Some(slot) => slot.1 = Node::Str(parent.to_owned()),
        None => entries.push(("description".to_owned(), Node::Str(parent.to_owned()))),
    }
}

/// Merges a cleaned `allOf` member into its parent: properties (the member's win on a clash),
/// required names, and the type and description when the parent has none.
fn merge_all_of(out: &mut Vec<(String, Node)>, member: Node) {
    let Node::Obj(entries) = member else {
        return;
    };
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("properties", Node::Obj(props)) => {
                match out.iter_mut().find(|(k, _)| k == "properties") {
                    Some((_, Node::Obj(existing))) => {
                        for (name, p) in props {
                            set_entry(existing, &name, p);
                        }
                    }
                    _ => set_entry(out, "properties", Node::Obj(props)),
                }
            }
            ("required", Node::Arr(names)) => match out.iter_mut().find(|(k, _)| k == "required") {
                Some((_, Node::Arr(existing))) => {
                    for n in names {
                        if !existing.contains(&n) {
                            existing.push(n);
                        }
                    }
                }
                _ => set_entry(out, "required", Node::Arr(names)),
            },
            (k @ ("type" | "description"), v) if !out.iter().any(|(key, _)| key == k) => {
                out.push((k.to_owned(), v));
            }
            _ => {}
        }
    }
}

/// The node a local reference (`#/$defs/Name`, `#/definitions/Name`, or any
/// `#/a/b` JSON pointer into the root) points at.
fn local_definition<'r>(root: &'r Node, reference: &str) -> Option<&'r Node> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        // `#` is the root itself: always a cycle, never inlined.
        return None;
    }
    let mut node = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = node.get(&token)?;
    }
    Some(node)
}

/// Rewrites a schema in Google's OpenAPI style (`"type": "STRING"`) into JSON Schema
/// (`"type": "string"`), so that other targets accept it. Only `type` keywords are touched
/// (a property that happens to be named `type` is not); returns the input byte-exact when
/// nothing is upper-case.
pub fn normalize_openapi(raw: &str) -> Cow<'_, str> {
    let Ok(mut root) = serde_json::from_str::<Node>(raw) else {
        return Cow::Borrowed(raw);
    };
    if !lowercase_types(&mut root) {
        return Cow::Borrowed(raw);
    }
    match serde_json::to_string(&root) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(raw),
    }
}

/// Lower-cases `type` values in a schema and its sub-schemas; true if anything changed.
fn lowercase_types(node: &mut Node) -> bool {
    let Node::Obj(entries) = node else {
        return false;
    };
    let mut changed = false;
    for (key, value) in entries.iter_mut() {
        match key.as_str() {
            "type" => match value {
                Node::Str(t) => changed |= lowercase(t),
                Node::Arr(ts) => {
                    for t in ts.iter_mut() {
                        if let Node::Str(t) = t {
                            changed |= lowercase(t);
                        }
                    }
                }
                _ => {}
            },
            // Maps of name → schema.
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Node::Obj(children) = value {
                    for (_, child) in children.iter_mut() {
                        changed |= lowercase_types(child);
                    }
                }
            }
            // Lists of schemas.
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                if let Node::Arr(children) = value {
                    for child in children.iter_mut() {
                        changed |= lowercase_types(child);
                    }
                }
            }
            // One schema (or a list, for old-style tuple items).
            "items" | "additionalProperties" | "not" | "if" | "then" | "else" => match value {
                Node::Arr(children) => {
                    for child in children.iter_mut() {
                        changed |= lowercase_types(child);
                    }
                }
                other => changed |= lowercase_types(other),
            },
            _ => {}
        }
    }
    changed
}

fn lowercase(t: &mut String) -> bool {
    if t.bytes().any(|b| b.is_ascii_uppercase()) {
        *t = t.to_ascii_lowercase();
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests;
