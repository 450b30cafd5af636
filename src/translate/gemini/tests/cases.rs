//! Focused behaviours: one test per rule the codec promises.

use serde_json::{json, Value};

use super::json;
use crate::error::Kind;
use crate::ir::{
    Block, Effort, Family, Image, Message, Reasoning, Request, Role, Signature, ToolChoice,
};
use crate::protocol::sse;
use crate::translate::gemini::{
    decode_count_tokens, decode_request, decode_response, encode_count_tokens_response,
    encode_request, encode_response, StreamDecoder,
};
use crate::translate::thinking::GEMINI_SKIP_SIGNATURE;

fn decode(body: Value) -> Request {
    decode_request(body.to_string().as_bytes(), "models/gemini-2.5-flash").unwrap()
}

fn encode(req: &Request, model: &str) -> Value {
    json(&encode_request(req, model).unwrap())
}

fn user(text: &str) -> Message {
    Message {
        role: Role::User,
        content: vec![Block::Text(text.into())],
    }
}

fn call(id: &str, name: &str, args: &str) -> Block {
    Block::ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.into(),
    }
}

fn sig(origin: Family, value: &str) -> Option<Signature> {
    Some(Signature {
        origin,
        value: value.into(),
    })
}

#[test]
fn model_prefix_is_dropped_from_the_url_model() {
    assert_eq!(decode(json!({"contents": []})).model, "gemini-2.5-flash");
}

#[test]
fn function_calling_modes_map_to_tool_choice() {
    let choice = |config: Value| {
        decode(json!({"contents": [], "toolConfig": {"functionCallingConfig": config}})).tool_choice
    };
    assert_eq!(choice(json!({"mode": "AUTO"})), Some(ToolChoice::Auto));
    assert_eq!(choice(json!({"mode": "VALIDATED"})), Some(ToolChoice::Auto));
    assert_eq!(choice(json!({"mode": "none"})), Some(ToolChoice::None));
    assert_eq!(choice(json!({"mode": "ANY"})), Some(ToolChoice::Required));
    assert_eq!(
        choice(json!({"mode": "ANY", "allowedFunctionNames": ["a"]})),
        Some(ToolChoice::Named("a".into()))
    );
    assert_eq!(
        choice(json!({"mode": "ANY", "allowedFunctionNames": ["a", "b"]})),
        Some(ToolChoice::Required)
    );
    assert_eq!(choice(json!({"mode": "MODE_UNSPECIFIED"})), None);
    assert_eq!(choice(json!({})), None);
}

#[test]
fn thinking_levels_parse_in_any_case() {
    for (level, effort) in [
        ("LOW", Effort::Low),
        ("medium", Effort::Medium),
        ("High", Effort::High),
        ("MINIMAL", Effort::Minimal),
    ] {
        let req = decode(
            json!({"contents": [], "generationConfig": {"thinkingConfig": {"thinkingLevel": level}}}),
        );
        assert_eq!(req.reasoning.unwrap().effort, Some(effort), "{level}");
    }
    let req = decode(json!({"contents": [], "generationConfig": {"thinkingConfig": {}}}));
    assert_eq!(req.reasoning, None);
}

#[test]
fn tool_arguments_and_schemas_stay_byte_exact() {
    let body = br#"{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{ "b" : "\u00e9" , "a":[1, 2.50]}}}]}],
        "tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{ "type":"object", "properties":{"b":{"type":"string"},"a":{"type":"array","items":{"type":"number"}}} }}]}]}"#;
    let req = decode_request(body, "m").unwrap();
    let Block::ToolCall { arguments, .. } = &req.messages[0].content[0] else {
        panic!("{:?}", req.messages);
    };
    assert_eq!(arguments, r#"{ "b" : "\u00e9" , "a":[1, 2.50]}"#);
    assert_eq!(
        req.tools[0].parameters,
        r#"{ "type":"object", "properties":{"b":{"type":"string"},"a":{"type":"array","items":{"type":"number"}}} }"#
    );
    let out = encode_request(&req, "gemini-2.5-flash").unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#""args":{ "b" : "\u00e9" , "a":[1, 2.50]}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""parametersJsonSchema":{ "type":"object", "properties""#),
        "{text}"
    );
}

#[test]
fn synthesised_call_ids_match_their_responses_and_stay_stable_as_the_conversation_grows() {
    let turn1 = json!([
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}, {"functionCall": {"name": "b", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "b", "response": {"x": 1}}}, {"functionResponse": {"name": "a", "response": {"y": 2}}}]}
    ]);
    let req = decode(json!({ "contents": turn1 }));
    let ids: Vec<(String, String)> = req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| match b {
            Block::ToolCall { id, name, .. } => (name.clone(), id.clone()),
            Block::ToolResult { call_id, name, .. } => (name.clone().unwrap(), call_id.clone()),
            Block::Text(_) => (String::new(), String::new()),
            other => panic!("{other:?}"),
        })
        .filter(|(n, _)| !n.is_empty())
        .collect();
    let id_of = |kind: usize, name: &str| {
        ids.iter()
            .filter(|(n, _)| n == name)
            .nth(kind)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(id_of(0, "a"), id_of(1, "a"), "result matched by name");
    assert_eq!(id_of(0, "b"), id_of(1, "b"));
    assert_ne!(id_of(0, "a"), id_of(0, "b"));
    assert!(id_of(0, "a").starts_with("call_"));

    let mut longer = turn1.as_array().unwrap().clone();
    longer.push(json!({"role": "model", "parts": [{"text": "done"}]}));
    longer.push(json!({"role": "user", "parts": [{"text": "again"}]}));
    let req2 = decode(json!({ "contents": longer }));
    assert_eq!(
        req2.messages[..3],
        req.messages[..3],
        "the same history yields the same ids"
    );
}

#[test]
fn response_ids_given_by_the_client_are_kept() {
    let req = decode(json!({"contents": [
        {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": "a", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "c1", "name": "a", "response": {"output": "ok"}}}]}
    ]}));
    assert_eq!(
        req.messages[1].content[0],
        Block::ToolResult {
            call_id: "c1".into(),
            name: Some("a".into()),
            content: vec![Block::Text("ok".into())],
            is_error: false
        }
    );
}

#[test]
fn tool_result_shapes_are_unwrapped_only_when_they_are_plain_text() {
    let result = |response: Value| {
        let req = decode(
            json!({"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": response}}]}]}),
        );
        match &req.messages[0].content[0] {
            Block::ToolResult {
                content, is_error, ..
            } => (content.clone(), *is_error),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        result(json!({"output": "x"})),
        (vec![Block::Text("x".into())], false)
    );
    assert_eq!(
        result(json!({"result": "x"})),
        (vec![Block::Text("x".into())], false)
    );
    assert_eq!(
        result(json!({"error": "boom"})),
        (vec![Block::Text("boom".into())], true)
    );
    assert_eq!(
        result(json!({"output": "x", "extra": 1})),
        (
            vec![Block::Text(r#"{"extra":1,"output":"x"}"#.into())],
            false
        )
    );
    assert_eq!(
        result(json!({"output": {"nested": true}})),
        (
            vec![Block::Text(r#"{"output":{"nested":true}}"#.into())],
            false
        )
    );
    // Error details as an object (Gemini's documented `error` key) still mark a failure.
    assert_eq!(
        result(json!({"error": {"code": 404, "message": "no such file"}})),
        (
            vec![Block::Text(
                r#"{"code":404,"message":"no such file"}"#.into()
            )],
            true
        )
    );
}

#[test]
fn the_skip_sentinel_is_not_a_signature() {
    let req = decode(json!({"contents": [{"role": "model", "parts": [
        {"functionCall": {"name": "a", "args": {}}, "thoughtSignature": GEMINI_SKIP_SIGNATURE},
        {"text": "x", "thought": true, "thoughtSignature": GEMINI_SKIP_SIGNATURE}
    ]}]}));
    assert_eq!(req.messages[0].content.len(), 2, "{:?}", req.messages);
    assert!(matches!(
        &req.messages[0].content[1],
        Block::Thinking {
            signature: None,
            ..
        }
    ));
}

#[test]
fn replayed_calls_get_the_sentinel_unless_the_step_is_signed() {
    let req = Request {
        messages: vec![
            user("go"),
            Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: String::new(),
                        signature: sig(Family::Gemini, "S1"),
                    },
                    call("c1", "a", "{}"),
                    call("c2", "b", "{}"),
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "claude thoughts".into(),
                        signature: sig(Family::Claude, "C"),
                    },
                    call("c3", "a", "{}"),
                    call("c4", "b", "{}"),
                ],
            },
        ],
        ..Request::default()
    };
    let out = encode(&req, "gemini-3-pro-preview");
    // The two assistant messages merge into one model turn.
    let parts = out["contents"][1]["parts"].as_array().unwrap();
    let sigs: Vec<Value> = parts
        .iter()
        .map(|p| p["thoughtSignature"].clone())
        .collect();
    assert_eq!(
        sigs,
        vec![json!("S1"), Value::Null, Value::Null, Value::Null],
        "{out}"
    );
    assert!(
        parts.iter().all(|p| p.get("thought").is_none()),
        "Claude thinking dropped: {out}"
    );

    let req = Request {
        messages: vec![
            user("go"),
            Message {
                role: Role::Assistant,
                content: vec![call("c1", "a", "{}"), call("c2", "b", "{}")],
            },
        ],
        ..Request::default()
    };
    let out = encode(&req, "gemini-3-pro-preview");
    let parts = out["contents"][1]["parts"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .all(|p| p["thoughtSignature"] == GEMINI_SKIP_SIGNATURE),
        "{out}"
    );
    assert!(
        parts.iter().all(|p| p["functionCall"].get("id").is_none()),
        "no ids upstream: {out}"
    );
}

#[test]
fn tool_results_are_named_from_their_call_and_wrapped_as_objects() {
    let req = Request {
        messages: vec![
            user("go"),
            Message {
                role: Role::Assistant,
                content: vec![call("c1", "read", "{}"), call("c2", "list", "{}")],
            },
            Message {
                role: Role::User,
                content: vec![
                    Block::ToolResult {
                        call_id: "c1".into(),
                        name: None,
                        content: vec![Block::Text("hello".into())],
                        is_error: false,
                    },
                    Block::ToolResult {
                        call_id: "c2".into(),
                        name: None,
                        content: vec![Block::Text(r#"{"files":["a"]}"#.into())],
                        is_error: false,
                    },
                    Block::ToolResult {
                        call_id: "zz".into(),
                        name: None,
                        content: vec![Block::Text("nope".into())],
                        is_error: true,
                    },
                    Block::ToolResult {
                        call_id: "c2".into(),
                        name: None,
                        content: vec![Block::Text(r#"{"code":404}"#.into())],
                        is_error: true,
                    },
                    Block::Text("continue".into()),
                ],
            },
        ],
        ..Request::default()
    };
    let out = encode(&req, "gemini-2.5-flash");
    assert_eq!(
        out["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "read", "response": {"output": "hello"}}},
            {"functionResponse": {"name": "list", "response": {"files": ["a"]}}},
            {"functionResponse": {"name": "zz", "response": {"error": "nope"}}},
            {"functionResponse": {"name": "list", "response": {"error": {"code": 404}}}},
            {"text": "continue"}
        ]})
    );
}

#[test]
fn another_providers_file_ids_are_refused_and_gemini_file_uris_kept() {
    let with_file = |uri: &str| Request {
        messages: vec![Message {
            role: Role::User,
            content: vec![Block::image(Image::File {
                uri: uri.into(),
                media_type: Some("image/png".into()),
            })],
        }],
        ..Request::default()
    };
    let err = encode_request(
        &with_file("file-6F2ksmvXxt4VdoqmHRw6kL"),
        "gemini-2.5-flash",
    )
    .unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(
        err.message.contains("file-6F2ksmvXxt4VdoqmHRw6kL"),
        "{}",
        err.message
    );
    for uri in ["files/abc-123", "gs://bucket/cat.png"] {
        let out = encode(&with_file(uri), "gemini-2.5-flash");
        assert_eq!(
            out["contents"][0]["parts"][0]["fileData"]["fileUri"], uri,
            "{uri}"
        );
    }
}

#[test]
fn images_gemini_cannot_fetch_are_refused_with_a_clear_message() {
    let with_image = |url: &str| Request {
        messages: vec![Message {
            role: Role::User,
            content: vec![Block::image(Image::Url(url.into()))],
        }],
        ..Request::default()
    };
    let err = encode_request(
        &with_image("https://example.com/cat.png"),
        "gemini-2.5-flash",
    )
    .unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(
        err.message.contains("does not fetch arbitrary URLs"),
        "{}",
        err.message
    );
    let out = encode(&with_image("gs://bucket/cat.png"), "gemini-2.5-flash");
    assert_eq!(
        out["contents"][0]["parts"][0],
        json!({"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.png"}})
    );
    let out = encode(
        &with_image("data:image/webp;base64,AAAA"),
        "gemini-2.5-flash",
    );
    assert_eq!(
        out["contents"][0]["parts"][0],
        json!({"inlineData": {"mimeType": "image/webp", "data": "AAAA"}})
    );
}

#[test]
fn bad_tool_arguments_and_schemas_are_client_errors_naming_the_tool() {
    let with_call = |args: &str| Request {
        messages: vec![
            user("go"),
            Message {
                role: Role::Assistant,
                content: vec![call("c", "lookup", args)],
            },
        ],
        ..Request::default()
    };
    let err = encode_request(&with_call("{not json"), "m").unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(err.message.contains("'lookup'"), "{}", err.message);
    let err = encode_request(&with_call("[1]"), "m").unwrap_err();
    assert!(err.message.contains("JSON object"), "{}", err.message);
    let out = encode(&with_call(""), "m");
    assert_eq!(
        out["contents"][1]["parts"][0]["functionCall"]["args"],
        json!({})
    );

    let req = Request {
        messages: vec![user("go")],
        tools: vec![crate::ir::Tool {
            name: "t1".into(),
            description: None,
            parameters: "{oops".into(),
        }],
        ..Request::default()
    };
    let err = encode_request(&req, "m").unwrap_err();
    assert!(err.message.contains("'t1'"), "{}", err.message);
}

#[test]
fn more_than_one_candidate_is_refused() {
    let req = Request {
        messages: vec![user("x")],
        n: Some(2),
        ..Request::default()
    };
    assert_eq!(
        encode_request(&req, "m").unwrap_err().kind,
        Kind::InvalidRequest
    );
    let req = Request {
        messages: vec![user("x")],
        n: Some(1),
        ..Request::default()
    };
    assert_eq!(encode(&req, "m")["generationConfig"]["candidateCount"], 1);
}

#[test]
fn reasoning_becomes_a_level_for_gemini_3_and_a_budget_before() {
    let thinking = |r: Reasoning, model: &str| {
        let req = Request {
            messages: vec![user("x")],
            reasoning: Some(r),
            ..Request::default()
        };
        encode(&req, model)["generationConfig"]["thinkingConfig"].clone()
    };
    let effort = |e| Reasoning {
        effort: Some(e),
        ..Reasoning::default()
    };
    let budget = |b| Reasoning {
        budget: Some(b),
        ..Reasoning::default()
    };
    assert_eq!(
        thinking(effort(Effort::High), "gemini-3-pro-preview"),
        json!({"includeThoughts": true, "thinkingLevel": "high"})
    );
    assert_eq!(
        thinking(effort(Effort::Minimal), "gemini-3-flash"),
        json!({"includeThoughts": true, "thinkingLevel": "minimal"})
    );
    assert_eq!(
        thinking(effort(Effort::XHigh), "Gemini-3-Pro"),
        json!({"includeThoughts": true, "thinkingLevel": "high"})
    );
    assert_eq!(
        thinking(effort(Effort::None), "gemini-3-pro"),
        json!({"includeThoughts": false, "thinkingLevel": "low"})
    );
    assert_eq!(
        thinking(budget(2000), "gemini-3-pro"),
        json!({"includeThoughts": true, "thinkingLevel": "medium"})
    );
    assert_eq!(
        thinking(budget(-1), "gemini-3-pro"),
        json!({"includeThoughts": true, "thinkingBudget": -1})
    );
    assert_eq!(
        thinking(effort(Effort::Medium), "gemini-2.5-flash"),
        json!({"includeThoughts": true, "thinkingBudget": 8192})
    );
    assert_eq!(
        thinking(effort(Effort::Max), "gemini-2.5-pro"),
        json!({"includeThoughts": true, "thinkingBudget": 32768})
    );
    assert_eq!(
        thinking(budget(64000), "gemini-2.5-pro"),
        json!({"includeThoughts": true, "thinkingBudget": 32768})
    );
    assert_eq!(
        thinking(budget(0), "gemini-2.5-flash"),
        json!({"includeThoughts": false, "thinkingBudget": 0})
    );
    assert_eq!(
        thinking(
            Reasoning {
                budget: Some(1000),
                include_thoughts: Some(false),
                ..Reasoning::default()
            },
            "gemini-2.5-flash"
        ),
        json!({"includeThoughts": false, "thinkingBudget": 1000})
    );
    assert_eq!(
        thinking(
            Reasoning {
                effort: Some(Effort::Low),
                budget: Some(3000),
                include_thoughts: None
            },
            "gemini-2.5-flash"
        ),
        json!({"includeThoughts": true, "thinkingBudget": 3000})
    );
}

#[test]
fn count_tokens_bodies_of_both_shapes_decode() {
    let plain = decode_count_tokens(br#"{"contents":[{"parts":[{"text":"hi"}]}]}"#, "m").unwrap();
    let wrapped = decode_count_tokens(
        br#"{"generateContentRequest":{"model":"models/m","contents":[{"parts":[{"text":"hi"}]}]}}"#,
        "m",
    )
    .unwrap();
    assert_eq!(plain, wrapped);
    assert_eq!(plain.messages, vec![user("hi")]);
    assert_eq!(
        json(&encode_count_tokens_response(31)),
        json!({"totalTokens": 31})
    );
}

#[test]
fn malformed_bodies_are_the_right_side_s_fault() {
    for body in [
        &b"nope"[..],
        b"[1,2]",
        br#"{"contents":{}}"#,
        br#"{"generationConfig":{"topK":1.5}}"#,
    ] {
        let err = decode_request(body, "m").unwrap_err();
        assert_eq!(
            err.kind,
            Kind::InvalidRequest,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        decode_response(b"<html>").unwrap_err().kind,
        Kind::UpstreamProtocol
    );
    let err = decode_response(
        br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind, Kind::UpstreamProtocol);
    assert!(
        err.message.contains("RESOURCE_EXHAUSTED quota"),
        "{}",
        err.message
    );
}

#[test]
fn foreign_reasoning_is_shown_to_gemini_clients_without_its_signature() {
    let resp = crate::ir::Response {
        id: "r".into(),
        model: "alias".into(),
        created: 0,
        content: vec![
            Block::Thinking {
                text: "hmm".into(),
                signature: sig(Family::Claude, "C"),
            },
            Block::Text("hi".into()),
        ],
        stop: crate::ir::StopReason::EndTurn,
        usage: crate::ir::Usage::default(),
    };
    let out = json(&encode_response(&resp));
    assert_eq!(
        out["candidates"][0]["content"]["parts"],
        json!([{"text": "hmm", "thought": true}, {"text": "hi"}])
    );
}

#[test]
fn the_stream_decoder_reads_the_cloud_code_assist_envelope() {
    let mut dec = StreamDecoder::new().with_cli_envelope();
    let mut out = Vec::new();
    let frame = b"data: {\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"hi\"}]},\"finishReason\":\"STOP\"}],\"responseId\":\"r1\"}}\r\n\r\n";
    dec.push(&sse::parse(frame), &mut out).unwrap();
    dec.finish(&mut out);
    assert_eq!(
        out,
        vec![
            crate::ir::Event::Start {
                id: "r1".into(),
                model: String::new()
            },
            crate::ir::Event::BlockStart {
                index: 0,
                kind: crate::ir::BlockKind::Text
            },
            crate::ir::Event::Delta {
                index: 0,
                delta: crate::ir::Delta::Text("hi".into())
            },
            crate::ir::Event::BlockStop { index: 0 },
            crate::ir::Event::Finish {
                stop: crate::ir::StopReason::EndTurn
            },
        ]
    );
    let mut dec = StreamDecoder::new();
    let err = dec
        .push(&sse::parse(b"data: not json\n\n"), &mut out)
        .unwrap_err();
    assert_eq!(err.kind, Kind::UpstreamProtocol);
}

#[test]
fn a_signature_on_a_thought_part_ends_its_thinking_block() {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for data in [
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"a","thought":true}]}}],"responseId":"r"}"#,
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"b","thought":true,"thoughtSignature":"S"}]}}]}"#,
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"c","thought":true}]}}]}"#,
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"answer"}]},"finishReason":"STOP"}]}"#,
    ] {
        let frame = format!("data: {data}\r\n\r\n");
        dec.push(&sse::parse(frame.as_bytes()), &mut out).unwrap();
    }
    use crate::ir::{BlockKind, Delta, Event, StopReason};
    assert_eq!(
        out,
        vec![
            Event::Start {
                id: "r".into(),
                model: String::new()
            },
            Event::BlockStart {
                index: 0,
                kind: BlockKind::Thinking
            },
            Event::Delta {
                index: 0,
                delta: Delta::Thinking("a".into())
            },
            Event::Delta {
                index: 0,
                delta: Delta::Thinking("b".into())
            },
            Event::Delta {
                index: 0,
                delta: Delta::Signature(sig(Family::Gemini, "S").unwrap())
            },
            Event::BlockStop { index: 0 },
            Event::BlockStart {
                index: 1,
                kind: BlockKind::Thinking
            },
            Event::Delta {
                index: 1,
                delta: Delta::Thinking("c".into())
            },
            Event::BlockStop { index: 1 },
            Event::BlockStart {
                index: 2,
                kind: BlockKind::Text
            },
            Event::Delta {
                index: 2,
                delta: Delta::Text("answer".into())
            },
            Event::BlockStop { index: 2 },
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn the_stream_encoder_places_gemini_signatures_and_drops_foreign_ones() {
    use crate::ir::{BlockKind, Delta, Event};
    use crate::translate::gemini::StreamEncoder;
    let events = vec![
        Event::BlockStart {
            index: 0,
            kind: BlockKind::Thinking,
        },
        Event::Delta {
            index: 0,
            delta: Delta::Thinking("t".into()),
        },
        Event::Delta {
            index: 0,
            delta: Delta::Signature(sig(Family::Gemini, "S1").unwrap()),
        },
        Event::BlockStop { index: 0 },
        Event::BlockStart {
            index: 1,
            kind: BlockKind::Thinking,
        },
        Event::Delta {
            index: 1,
            delta: Delta::Signature(sig(Family::Gemini, "S2").unwrap()),
        },
        Event::BlockStop { index: 1 },
        Event::BlockStart {
            index: 2,
            kind: BlockKind::Text,
        },
        Event::Delta {
            index: 2,
            delta: Delta::Text("x".into()),
        },
        Event::BlockStop { index: 2 },
        Event::BlockStart {
            index: 3,
            kind: BlockKind::Thinking,
        },
        Event::Delta {
            index: 3,
            delta: Delta::Signature(sig(Family::Claude, "C").unwrap()),
        },
        Event::BlockStop { index: 3 },
    ];
    let mut enc = StreamEncoder::new("m", "r");
    let mut out = bytes::BytesMut::new();
    for ev in &events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    let parts: Vec<Value> = super::streams::sse_chunks(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["candidates"][0]["content"]["parts"][0].clone())
        .collect();
    assert_eq!(
        parts,
        vec![
            json!({"text": "t", "thought": true}),
            json!({"text": "", "thought": true, "thoughtSignature": "S1"}),
            json!({"text": "", "thoughtSignature": "S2"}),
            json!({"text": "x"}),
        ],
        "no final chunk without a finish or usage; Claude's signature is dropped"
    );
}
