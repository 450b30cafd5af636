//! One test per cleaning rule, plus properties: cleaning never panics, always yields an
//! object schema, and is idempotent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn cleaned(input: Value) -> Value {
    let raw = input.to_string();
    serde_json::from_str(&clean(&raw)).unwrap()
}

#[test]
fn a_clean_schema_is_returned_byte_exact() {
    let raw = r#"{ "type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer", "minimum": 1}}, "required": ["b"] }"#;
    assert!(matches!(clean(raw), Cow::Borrowed(s) if s == raw));
}

#[test]
fn property_order_survives_cleaning() {
    let raw = r#"{"$schema":"x","type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"string"},"mid":{"type":"string"}}}"#;
    let out = clean(raw);
    let z = out.find("zeta").unwrap();
    let a = out.find("alpha").unwrap();
    let m = out.find("mid").unwrap();
    assert!(z < a && a < m, "{out}");
}

#[test]
fn drops_schema_and_id() {
    let out = cleaned(
        json!({"$schema": "http://json-schema.org/draft-07/schema#", "$id": "urn:x", "type": "object", "properties": {}}),
    );
    assert_eq!(out, json!({"type": "object", "properties": {}}));
}

#[test]
fn additional_properties_false_becomes_a_hint() {
    let out = cleaned(
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}),
    );
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "description": "No extra properties allowed"})
    );
    let out = cleaned(json!({"type": "object", "additionalProperties": {"type": "string"}}));
    assert_eq!(out, json!({"type": "object"}));
}

#[test]
fn local_refs_are_inlined() {
    let out = cleaned(json!({
        "type": "object",
        "properties": {"loc": {"$ref": "#/$defs/Location", "description": "where"}},
        "$defs": {"Location": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"loc": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "description": "where"}}})
    );
    let out = cleaned(json!({
        "type": "object",
        "properties": {"p": {"$ref": "#/definitions/P"}},
        "definitions": {"P": {"type": "integer"}}
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"p": {"type": "integer"}}})
    );
}

#[test]
fn recursive_and_remote_refs_become_hints() {
    let out = cleaned(json!({
        "type": "object",
        "properties": {"node": {"$ref": "#/$defs/Node"}, "ext": {"$ref": "https://example.com/s.json", "description": "remote"}},
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}}
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "node": {"type": "object", "properties": {"child": {"type": "object", "description": "See: Node"}}},
            "ext": {"type": "object", "description": "remote (See: s.json)"}
        }})
    );
}

#[test]
fn ref_fan_out_is_bounded() {
    // Each level references the next twice: inlining everything would be 2^20 nodes.
    let mut defs = serde_json::Map::new();
    for i in 0..20 {
        defs.insert(
            format!("D{i}"),
            json!({"type": "object", "properties": {
                "a": {"$ref": format!("#/$defs/D{}", i + 1)},
                "b": {"$ref": format!("#/$defs/D{}", i + 1)}
            }}),
        );
    }
    defs.insert("D20".into(), json!({"type": "string"}));
    let schema =
        json!({"type": "object", "properties": {"root": {"$ref": "#/$defs/D0"}}, "$defs": defs});
    let text = schema.to_string();
    let out = clean(&text);
    assert!(out.len() < 200_000, "{}", out.len());
}

#[test]
fn const_becomes_a_one_value_enum() {
    let out = cleaned(json!({"type": "object", "properties": {"kind": {"const": "circle"}}}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"kind": {"enum": ["circle"], "type": "string"}}})
    );
}

#[test]
fn enum_values_become_strings() {
    let out = cleaned(json!({"type": "integer", "enum": [1, 2, true, null]}));
    assert_eq!(
        out,
        json!({"type": "string", "enum": ["1", "2", "true", "null"]})
    );
}

#[test]
fn scalar_constraints_become_hints() {
    // Written as text: hints follow the keywords' order in the input.
    let raw = r#"{"type": "object", "properties": {
        "name": {"type": "string", "description": "Name", "minLength": 1, "maxLength": 10, "pattern": "^[a-z]+$", "format": "email", "default": "x"},
        "n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5, "examples": [1, 2]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3, "uniqueItems": true}
    }}"#;
    let out: Value = serde_json::from_str(&clean(raw)).unwrap();
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "name": {"type": "string", "description": "Name (minLength: 1) (maxLength: 10) (pattern: ^[a-z]+$) (format: email) (default: x)"},
            "n": {"type": "number", "description": "exclusiveMinimum: 0 (exclusiveMaximum: 5)"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "minItems: 1 (maxItems: 3) (uniqueItems: true)"}
        }})
    );
}

#[test]
fn unsupported_keywords_are_dropped() {
    let out = cleaned(json!({
        "type": "object",
        "title": "Args",
        "properties": {"a": {"type": "string", "nullable": true, "deprecated": true, "x-google-enum-descriptions": ["a"], "readOnly": true}},
        "propertyNames": {"pattern": "^[a-z]+$"},
        "patternProperties": {"^x": {"type": "string"}},
        "unevaluatedProperties": false,
        "if": {"properties": {"a": {"const": "x"}}}, "then": {"required": ["a"]},
        "not": {"required": ["b"]},
        "$comment": "c"
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    );
}

#[test]
fn property_names_that_look_like_keywords_are_kept() {
    let out = cleaned(json!({"type": "object", "properties": {
        "title": {"type": "string"}, "default": {"type": "string"}, "$ref": {"type": "string"}, "x-id": {"type": "string"}
    }, "required": ["title", "default"]}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "title": {"type": "string"}, "default": {"type": "string"}, "$ref": {"type": "string"}, "x-id": {"type": "string"}
        }, "required": ["title", "default"]})
    );
}

#[test]
fn all_of_is_merged() {
    let out = cleaned(json!({"allOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"properties": {"b": {"type": "integer"}}, "required": ["b"]}
    ]}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"]})
    );
}

#[test]
fn any_of_and_one_of_keep_the_richest_branch() {
    let out = cleaned(json!({"type": "object", "properties": {
        "v": {"description": "value", "anyOf": [{"type": "string"}, {"type": "object", "properties": {"x": {"type": "number"}}}]},
        "w": {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}
    }}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "v": {"type": "object", "properties": {"x": {"type": "number"}}, "description": "value (Accepts: string | object)"},
            "w": {"type": "array", "items": {"type": "integer"}, "description": "Accepts: integer | array"}
        }})
    );
}

#[test]
fn any_of_beside_a_type_is_dropped_not_substituted() {
    let out = cleaned(
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}),
    );
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}})
    );
}

#[test]
fn nullable_types_leave_required() {
    let out = cleaned(json!({"type": "object", "properties": {
        "a": {"type": ["string", "null"], "description": "maybe"},
        "b": {"type": ["integer", "string"]},
        "c": {"anyOf": [{"type": "string"}, {"type": "null"}]}
    }, "required": ["a", "b", "c"]}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "a": {"type": "string", "description": "maybe (nullable)"},
            "b": {"type": "integer", "description": "Accepts: integer | string"},
            "c": {"type": "string", "description": "Accepts: string | null (nullable)"}
        }, "required": ["b"]})
    );
}

#[test]
fn required_keeps_only_declared_properties() {
    let out = cleaned(
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "ghost", 3]}),
    );
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    );
    let out = cleaned(json!({"type": "object", "required": ["ghost"]}));
    assert_eq!(out, json!({"type": "object"}));
}

#[test]
fn arrays_get_items_and_tuples_become_one_item_schema() {
    let out = cleaned(json!({"type": "object", "properties": {
        "a": {"type": "array"},
        "t": {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]}
    }}));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {
            "a": {"type": "array", "items": {"type": "string"}},
            "t": {"type": "array", "items": {"type": "integer"}}
        }})
    );
}

#[test]
fn the_root_is_always_an_object_schema() {
    assert_eq!(cleaned(json!({})), json!({"type": "object"}));
    assert_eq!(
        cleaned(json!({"properties": {"a": {"type": "string"}}})),
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    );
    assert_eq!(clean("[1,2]"), EMPTY_OBJECT);
    assert_eq!(clean("not json"), EMPTY_OBJECT);
    assert_eq!(clean("true"), EMPTY_OBJECT);
}

#[test]
fn boolean_sub_schemas_become_empty_schemas() {
    let out = cleaned(json!({"type": "object", "properties": {"any": true}}));
    assert_eq!(out, json!({"type": "object", "properties": {"any": {}}}));
}

#[test]
fn openapi_type_names_are_lowercased() {
    let raw = r#"{"type":"OBJECT","properties":{"type":{"type":"STRING","enum":["A"]},"list":{"type":"ARRAY","items":{"type":"INTEGER"}}},"required":["type"]}"#;
    let out: Value = serde_json::from_str(&normalize_openapi(raw)).unwrap();
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"type": {"type": "string", "enum": ["A"]}, "list": {"type": "array", "items": {"type": "integer"}}}, "required": ["type"]})
    );
    let lower = r#"{"type": "object"}"#;
    assert!(matches!(normalize_openapi(lower), Cow::Borrowed(s) if s == lower));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("type"),
            Just("object"),
            Just("string"),
            Just("null"),
            Just("array"),
            Just("#/$defs/A"),
            Just("#"),
            Just("a"),
            Just("x-y")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop_oneof![
            Just("type"),
            Just("properties"),
            Just("items"),
            Just("required"),
            Just("anyOf"),
            Just("oneOf"),
            Just("allOf"),
            Just("$ref"),
            Just("$defs"),
            Just("A"),
            Just("enum"),
            Just("const"),
            Just("description"),
            Just("additionalProperties"),
            Just("a"),
            Just("default"),
            Just("x-ext"),
            Just("minLength"),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #[test]
    fn cleaning_never_panics_always_yields_an_object_and_is_idempotent(v in arb_json()) {
        let raw = v.to_string();
        let once = clean(&raw).into_owned();
        let parsed: Value = serde_json::from_str(&once).unwrap();
        prop_assert!(parsed.is_object());
        prop_assert_eq!(parsed.get("type").is_some(), true);
        let twice = clean(&once).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn cleaning_arbitrary_text_never_panics(s in ".{0,200}") {
        let out = clean(&s);
        let parsed: Value = serde_json::from_str(&out).unwrap();
        prop_assert!(parsed.is_object());
        let _ = normalize_openapi(&s);
    }
}
