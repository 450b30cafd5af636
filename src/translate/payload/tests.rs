#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a broken expectation should fail loudly"
)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

/// Compiles the `payload:` section of a YAML config through the real config parser.
fn rules(yaml: &str) -> Rules {
    let loaded = config::parse(yaml, "test.yaml").expect("test config parses");
    Rules::compile(&loaded.config.payload)
}

/// One request through `apply`, the result parsed (so key order and spacing do not matter).
fn run(
    rules: &Rules,
    protocol: &str,
    upstream: &str,
    requested: &str,
    original: &Value,
    body: &Value,
) -> Option<Value> {
    let out = apply(
        rules,
        protocol,
        upstream,
        requested,
        original.to_string().as_bytes(),
        body.to_string().as_bytes(),
    )
    .expect("valid JSON in, no error");
    out.map(|b| serde_json::from_slice(&b).expect("output is JSON"))
}

/// `run` with the same body as original, for `openai` and one model name.
fn simple(rules: &Rules, model: &str, body: &Value) -> Option<Value> {
    run(rules, "openai", model, model, body, body)
}

const MARK: &str = r#"
payload:
  override:
    - models: [{ name: "PATTERN" }]
      params: { hit: true }
"#;

fn marks(pattern: &str, model: &str) -> bool {
    let r = rules(&MARK.replace("PATTERN", pattern));
    simple(&r, model, &json!({})).is_some()
}

#[test]
fn rules_select_models_by_pattern() {
    // The pattern language itself is tested in route::pattern.
    let cases = [
        ("gpt-*", "gpt-4o", true),
        ("gpt-*", "chatgpt-4o", false),
        ("GPT-*", "gpt-4o", true),
        ("gemini-*-pro", "gemini-2.5-pro", true),
    ];
    for (pattern, model, want) in cases {
        assert_eq!(marks(pattern, model), want, "{pattern} vs {model}");
    }
}

#[test]
fn protocol_limits_a_rule_and_compares_case_insensitively() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "*", protocol: "claude" }]
      params: { claude: 1 }
    - models: [{ name: "*", protocol: "OpenAI" }]
      params: { openai: 1 }
    - models: [{ name: "*" }]
      params: { any: 1 }
"#,
    );
    let out = run(&r, "openai", "m", "m", &json!({}), &json!({})).unwrap();
    assert_eq!(out, json!({"openai": 1, "any": 1}));
    let out = run(&r, "claude", "m", "m", &json!({}), &json!({})).unwrap();
    assert_eq!(out, json!({"claude": 1, "any": 1}));
    // An unknown protocol only gets protocol-free rules.
    let out = run(&r, "codex", "m", "m", &json!({}), &json!({})).unwrap();
    assert_eq!(out, json!({"any": 1}));
}

#[test]
fn rules_match_the_requested_alias_or_the_upstream_name() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "my-alias" }]
      params: { by_alias: true }
    - models: [{ name: "vendor/gpt-*" }]
      params: { by_upstream: true }
"#,
    );
    let body = json!({"model": "vendor/gpt-4o"});
    let out = run(&r, "openai", "vendor/gpt-4o", "my-alias", &body, &body).unwrap();
    assert_eq!(out["by_alias"], true);
    assert_eq!(out["by_upstream"], true);
    let out = run(&r, "openai", "vendor/gpt-4o", "other", &body, &body).unwrap();
    assert_eq!(out.get("by_alias"), None);
    assert_eq!(out["by_upstream"], true);
    assert_eq!(run(&r, "openai", "x", "y", &body, &body), None);
}

#[test]
fn thinking_suffix_is_ignored_but_the_suffixed_request_name_also_matches() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "gpt-5" }]
      params: { base: true }
    - models: [{ name: "gpt-5(high)" }]
      params: { suffixed: true }
"#,
    );
    let out = run(
        &r,
        "openai",
        "gpt-5(low)",
        "gpt-5(high)",
        &json!({}),
        &json!({}),
    )
    .unwrap();
    assert_eq!(out, json!({"base": true, "suffixed": true}));
    // The upstream name only counts without its suffix.
    let out = run(&r, "openai", "gpt-5(high)", "", &json!({}), &json!({})).unwrap();
    assert_eq!(out, json!({"base": true}));
}

#[test]
fn default_is_judged_on_the_original_request() {
    let r = rules(
        r#"
payload:
  default:
    - models: [{ name: "*" }]
      params: { temperature: 0.2, top_p: 0.9, "stream_options.include_usage": false }
"#,
    );
    let original = json!({"model": "m", "temperature": 1, "top_p": null});
    // The translated body already carries stream_options; the client never sent it, so the
    // default overwrites it. temperature and (explicit null) top_p were sent: left alone.
    let body = json!({"model": "m", "temperature": 1, "top_p": null,
                      "stream_options": {"include_usage": true}});
    let out = run(&r, "openai", "m", "m", &original, &body).unwrap();
    assert_eq!(
        out,
        json!({"model": "m", "temperature": 1, "top_p": null,
               "stream_options": {"include_usage": false}})
    );
    // Everything present in the original: nothing to do, so no new body.
    let full = json!({"temperature": 1, "top_p": 1, "stream_options": {"include_usage": true}});
    assert_eq!(run(&r, "openai", "m", "m", &full, &full), None);
}

#[test]
fn empty_original_falls_back_to_the_body() {
    let r = rules("payload:\n  default: [{ models: [{ name: '*' }], params: { a: 1, b: 2 } }]\n");
    let out = apply(&r, "openai", "m", "m", b"", br#"{"a":0}"#)
        .unwrap()
        .unwrap();
    assert_eq!(out, br#"{"a":0,"b":2}"#);
}

#[test]
fn first_matching_default_wins_per_path_and_default_beats_default_raw() {
    let r = rules(
        r#"
payload:
  default-raw:
    - models: [{ name: "*" }]
      params: { a: '"raw"', c: '"raw"' }
  default:
    - models: [{ name: "nomatch" }]
      params: { a: "skipped" }
    - models: [{ name: "m*" }]
      params: { a: "first" }
    - models: [{ name: "*" }]
      params: { a: "second", b: "second" }
"#,
    );
    let out = simple(&r, "m1", &json!({})).unwrap();
    assert_eq!(out, json!({"a": "first", "b": "second", "c": "raw"}));
}

#[test]
fn last_matching_override_wins_and_override_raw_comes_after_override() {
    let r = rules(
        r#"
payload:
  override-raw:
    - models: [{ name: "*" }]
      params: { "reasoning.effort": '"raw"' }
  override:
    - models: [{ name: "*" }]
      params: { "reasoning.effort": "low", x: 1 }
    - models: [{ name: "*" }]
      params: { "reasoning.effort": "high", x: 2 }
"#,
    );
    let body = json!({"reasoning": {"effort": "medium", "summary": "auto"}, "x": 0});
    let out = simple(&r, "m", &body).unwrap();
    assert_eq!(
        out,
        json!({"reasoning": {"effort": "raw", "summary": "auto"}, "x": 2})
    );
}

#[test]
fn raw_values_are_json_text_and_plain_values_are_json_values() {
    let r = rules(
        r#"
payload:
  override-raw:
    - models: [{ name: "*" }]
      params:
        obj: '{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}'
        arr: "[1, \"two\", {\"three\": 3}]"
        num: "42.5"
        str: '"text"'
        bool: "true"
        null_text: "null"
        yaml_number: 7
        yaml_null: ~
  override:
    - models: [{ name: "*" }]
      params:
        plain_string: '{"not":"parsed"}'
        plain_map: { nested: [1, 2] }
        plain_null: ~
"#,
    );
    let out = simple(&r, "m", &json!({})).unwrap();
    assert_eq!(
        out,
        json!({
            "obj": {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}},
            "arr": [1, "two", {"three": 3}],
            "num": 42.5,
            "str": "text",
            "bool": true,
            "null_text": null,
            "yaml_number": 7,
            "plain_string": "{\"not\":\"parsed\"}",
            "plain_map": {"nested": [1, 2]},
            "plain_null": null,
        })
    );
}

#[test]
fn nested_paths_are_created_and_siblings_kept() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "*" }]
      params:
        "generationConfig.thinkingConfig.thinkingBudget": 32768
        "metadata.a\\.b": "escaped dot"
"#,
    );
    let body = json!({"contents": [], "generationConfig": {"temperature": 1}});
    let out = simple(&r, "m", &body).unwrap();
    assert_eq!(
        out,
        json!({
            "contents": [],
            "generationConfig": {"temperature": 1, "thinkingConfig": {"thinkingBudget": 32768}},
            "metadata": {"a.b": "escaped dot"},
        })
    );
    // A scalar in the way is replaced by an object, as sjson does.
    let out = simple(&r, "m", &json!({"generationConfig": 3})).unwrap();
    assert_eq!(
        out["generationConfig"],
        json!({"thinkingConfig": {"thinkingBudget": 32768}})
    );
}

#[test]
fn array_index_paths_set_pad_append_and_create() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "*" }]
      params:
        "tools.0.function.strict": true
        "stop.3": "end"
        "extra.-1": "appended"
        "fresh.1.b": 1
        "tools.name": "refused: a name step into an array"
        "obj.:0": "forced member"
        "obj.1": "numeric member of an object"
"#,
    );
    let body = json!({
        "tools": [{"type": "function", "function": {"name": "f"}}, {"type": "function"}],
        "stop": ["a"],
        "extra": [1],
        "obj": {},
    });
    let out = simple(&r, "m", &body).unwrap();
    assert_eq!(
        out,
        json!({
            "tools": [{"type": "function", "function": {"name": "f", "strict": true}}, {"type": "function"}],
            "stop": ["a", null, null, "end"],
            "extra": [1, "appended"],
            "obj": {"0": "forced member", "1": "numeric member of an object"},
            "fresh": [null, {"b": 1}],
        })
    );
}

#[test]
fn padding_is_bounded() {
    let r = rules(
        "payload:\n  override: [{ models: [{ name: '*' }], params: { 'a.5000': 1, 'b.1024': 1 } }]\n",
    );
    let out = simple(&r, "m", &json!({"a": []})).unwrap();
    assert_eq!(out["a"], json!([]));
    assert_eq!(out["b"].as_array().unwrap().len(), 1025);
}

#[test]
fn hash_paths_replace_existing_values_only() {
    let r = rules(
        r#"
payload:
  override:
    - models: [{ name: "*" }]
      params: { "tools.#.function.strict": false, "tools.#": 9 }
  filter:
    - models: [{ name: "*" }]
      params: ["tools.#.type"]
"#,
    );
    let body = json!({"tools": [
        {"type": "function", "function": {"name": "a", "strict": true}},
        {"type": "function", "function": {"name": "b"}},
    ]});
    let out = simple(&r, "m", &body).unwrap();
    assert_eq!(
        out,
        json!({"tools": [
            {"type": "function", "function": {"name": "a", "strict": false}},
            {"type": "function", "function": {"name": "b"}},
        ]})
    );
}

#[test]
fn filters_delete_nested_members_elements_and_ignore_missing_paths() {
    let r = rules(
        r#"
payload:
  filter:
    - models: [{ name: "*" }]
      params:
        - "generationConfig.thinkingConfig.thinkingBudget"
        - "generationConfig.responseJsonSchema"
        - "stop.0"
        - "messages.-1"
        - "not.there"
        - "dup"
"#,
    );
    let body = json!({
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 1, "includeThoughts": true}},
        "stop": ["a", "b"],
        "messages": [1, 2, 3],
    });
    let out = simple(&r, "m", &body).unwrap();
    assert_eq!(
        out,
        json!({
            "generationConfig": {"thinkingConfig": {"includeThoughts": true}},
            "stop": ["b"],
            "messages": [1, 2],
        })
    );
    // Every path missing: the rule matched, but the body is returned unchanged (None).
    assert_eq!(simple(&r, "m", &json!({"x": 1})), None);
    // Duplicate members all go, so no copy survives for the upstream to read.
    let out = apply(&r, "openai", "m", "m", b"", br#"{"dup":1,"k":0,"dup":2}"#)
        .unwrap()
        .unwrap();
    assert_eq!(out, br#"{"k":0}"#);
}

#[test]
fn filter_runs_after_overrides() {
    let r = rules(
        r#"
payload:
  override: [{ models: [{ name: "*" }], params: { a: 1, b: 1 } }]
  filter: [{ models: [{ name: "*" }], params: [a] }]
"#,
    );
    assert_eq!(simple(&r, "m", &json!({})).unwrap(), json!({"b": 1}));
}

#[test]
fn gemini_cli_and_antigravity_paths_are_relative_to_request() {
    let r = rules(
        r#"
payload:
  default:
    - models: [{ name: "gemini-*", protocol: "gemini" }]
      params: { "generationConfig.thinkingConfig.thinkingBudget": 1024 }
  override:
    - models: [{ name: "gemini-*", protocol: "antigravity" }]
      params: { ".generationConfig.maxOutputTokens": 100 }
  filter:
    - models: [{ name: "gemini-*" }]
      params: ["safetySettings"]
"#,
    );
    let body = json!({
        "model": "gemini-2.5-pro",
        "project": "p",
        "safetySettings": "top-level stays",
        "request": {"contents": [], "safetySettings": []},
    });
    let out = run(
        &r,
        "gemini-cli",
        "gemini-2.5-pro",
        "gemini-2.5-pro",
        &body,
        &body,
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "model": "gemini-2.5-pro",
            "project": "p",
            "safetySettings": "top-level stays",
            "request": {"contents": [],
                        "generationConfig": {"thinkingConfig": {"thinkingBudget": 1024}}},
        })
    );
    // The default looks at `request.` in the original too.
    let original =
        json!({"request": {"generationConfig": {"thinkingConfig": {"thinkingBudget": 1}}}});
    let out = run(&r, "gemini-cli", "gemini-2.5-pro", "", &original, &body).unwrap();
    assert_eq!(out["request"].get("generationConfig"), None);
    // Antigravity: its own protocol name, same envelope.
    let out = run(&r, "antigravity", "gemini-3-pro", "", &json!({}), &body).unwrap();
    assert_eq!(
        out["request"]["generationConfig"],
        json!({"maxOutputTokens": 100})
    );
    // Plain gemini: no envelope.
    let plain = json!({"contents": []});
    let out = run(&r, "gemini", "gemini-2.5-pro", "", &plain, &plain).unwrap();
    assert_eq!(
        out["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        1024
    );
}

#[test]
fn no_match_returns_none_without_reading_the_body() {
    let r = rules("payload:\n  override: [{ models: [{ name: 'claude-*' }], params: { a: 1 } }]\n");
    // Not even JSON: with no matching rule the body is never parsed.
    assert!(apply(&r, "openai", "gpt-4o", "gpt-4o", b"", b"{not json")
        .unwrap()
        .is_none());
    assert!(apply(&Rules::default(), "openai", "m", "m", b"", b"{}")
        .unwrap()
        .is_none());
    // A matching rule on a broken body is an error, not a silent pass.
    let err = apply(&r, "openai", "claude-x", "", b"", b"{not json").unwrap_err();
    assert!(matches!(err, PayloadError::Body(_)), "{err}");
    let err = apply(
        &rules("payload:\n  default: [{ models: [{ name: '*' }], params: { a: 1 } }]\n"),
        "openai",
        "m",
        "",
        b"[",
        b"{}",
    )
    .unwrap_err();
    assert!(matches!(err, PayloadError::Original(_)), "{err}");
}

#[test]
fn untouched_members_keep_their_bytes_and_order() {
    let r = rules(
        "payload:\n  override: [{ models: [{ name: '*' }], params: { 'a.c': 4, 'n': 0 } }]\n",
    );
    let body = br#"{"z": 1, "a": {"y": [1,  2], "b": 3.10}, "m": "\u00e9", "n": 1}"#;
    let out = apply(&r, "openai", "m", "m", b"", body).unwrap().unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"{"z":1,"a":{"y":[1,  2],"b":3.10,"c":4},"m":"\u00e9","n":0}"#
    );
}

#[test]
fn unusable_rules_compile_away() {
    let r = rules(
        r#"
payload:
  default: [{ models: [], params: { a: 1 } }, { models: [{ name: " " }], params: { a: 1 } }]
  override: [{ models: [{ name: "*" }], params: {} }]
  filter: [{ models: [{ name: "*" }], params: ["a.*", "a.#.b", ""] }]
"#,
    );
    assert!(r.is_empty());
    assert!(Rules::compile(&config::Payload::default()).is_empty());
}

#[test]
fn invalid_raw_json_drops_the_whole_rule_when_unvalidated() {
    let mut params = BTreeMap::new();
    params.insert("a".to_owned(), json!("{oops"));
    params.insert("b".to_owned(), json!("1"));
    let cfg = config::Payload {
        override_raw: vec![config::PayloadRule {
            models: vec![any_model()],
            params,
        }],
        ..config::Payload::default()
    };
    assert!(Rules::compile(&cfg).is_empty());
}

/// The shape of every section in CLIProxyAPI's `config.example.yaml` (v6.9.25).
#[test]
fn cliproxyapi_example_shapes_parse_and_compile() {
    let r = rules(
        r#"
payload:
  default:
    - models:
        - name: "gemini-2.5-pro"
          protocol: "gemini"
      params:
        "generationConfig.thinkingConfig.thinkingBudget": 32768
  default-raw:
    - models:
        - name: "gemini-2.5-pro"
          protocol: "gemini"
      params:
        "generationConfig.responseJsonSchema": "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}}}"
  override:
    - models:
        - name: "gpt-*"
          protocol: "codex"
      params:
        "reasoning.effort": "high"
  override-raw:
    - models:
        - name: "gpt-*"
          protocol: "codex"
      params:
        "response_format": "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"schema\":{\"type\":\"object\"}}}"
  filter:
    - models:
        - name: "gemini-2.5-pro"
          protocol: "gemini"
      params:
        - "generationConfig.thinkingConfig.thinkingBudget"
        - "generationConfig.responseJsonSchema"
"#,
    );
    assert_eq!(
        (r.defaults.len(), r.overrides.len(), r.filters.len()),
        (2, 2, 1)
    );
    // Gemini: the defaults apply, then the filter removes both again.
    let body = json!({"contents": []});
    let out = run(&r, "gemini", "gemini-2.5-pro", "", &body, &body);
    assert_eq!(
        out.unwrap(),
        json!({"contents": [], "generationConfig": {"thinkingConfig": {}}})
    );
    let out = run(&r, "codex", "gpt-5", "", &json!({}), &json!({"input": []})).unwrap();
    assert_eq!(out["reasoning"]["effort"], "high");
    assert_eq!(out["response_format"]["json_schema"]["name"], "answer");
}

#[test]
fn candidates_and_suffixes() {
    assert_eq!(split_suffix("gpt-5(high)"), ("gpt-5", true));
    assert_eq!(split_suffix("a(b)c"), ("a(b)c", false));
    assert_eq!(split_suffix("plain"), ("plain", false));
    assert_eq!(candidates(" up(1) ", " req "), ["up", "req", ""]);
    assert_eq!(candidates("up", "req(x)"), ["up", "req", "req(x)"]);
}

fn any_model() -> config::PayloadModel {
    config::PayloadModel {
        name: "*".to_owned(),
        protocol: String::new(),
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-c0-2.#\\\\]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-c0-2.#\\-]{0,3}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Paths drawn from the characters that mean something in the syntax.
fn arb_path() -> impl Strategy<Value = String> {
    "[a-c0-2.#:*\\\\ -]{0,10}|[a-c]{1,2}(\\.(-1|[0-9]{1,5}|#|[a-c]))*"
}

fn arb_payload() -> impl Strategy<Value = config::Payload> {
    let params = || prop::collection::btree_map(arb_path(), arb_json(), 0..4);
    let set_rules = move || {
        prop::collection::vec(
            params().prop_map(|params| config::PayloadRule {
                models: vec![any_model()],
                params,
            }),
            0..3,
        )
    };
    let raw_rules = move || {
        prop::collection::vec(
            prop::collection::btree_map(arb_path(), arb_json(), 0..4).prop_map(|p| {
                config::PayloadRule {
                    models: vec![any_model()],
                    // Raw values are JSON text (what config validation lets through).
                    params: p
                        .into_iter()
                        .map(|(k, v)| (k, json!(v.to_string())))
                        .collect(),
                }
            }),
            0..3,
        )
    };
    let filters = prop::collection::vec(
        prop::collection::vec(arb_path(), 0..4).prop_map(|params| config::PayloadFilter {
            models: vec![any_model()],
            params,
        }),
        0..3,
    );
    (set_rules(), raw_rules(), set_rules(), raw_rules(), filters).prop_map(
        |(default, default_raw, overrides, override_raw, filter)| config::Payload {
            default,
            default_raw,
            overrides,
            override_raw,
            filter,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn apply_never_panics_and_always_yields_json(
        cfg in arb_payload(),
        original in arb_json(),
        body in arb_json(),
        protocol in prop_oneof![Just("openai"), Just("gemini-cli"), Just("")],
    ) {
        let rules = Rules::compile(&cfg);
        let original = original.to_string();
        let body = body.to_string();
        let out = apply(&rules, protocol, "m", "m", original.as_bytes(), body.as_bytes());
        let out = out.expect("valid JSON in, no error");
        if let Some(out) = &out {
            prop_assert!(serde_json::from_slice::<Value>(out).is_ok(), "{}", String::from_utf8_lossy(out));
        }
        // The output is itself a usable input.
        if let Some(out) = out {
            let again = apply(&rules, protocol, "m", "m", original.as_bytes(), &out);
            prop_assert!(again.is_ok());
        }
    }

    #[test]
    fn apply_never_panics_on_arbitrary_bytes(
        cfg in arb_payload(),
        original in prop::collection::vec(any::<u8>(), 0..64),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let rules = Rules::compile(&cfg);
        let _ = apply(&rules, "openai", "m", "m", &original, &body);
    }
}
