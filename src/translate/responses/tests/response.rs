//! Non-stream responses: upstream `response` objects → IR, and IR → client `response` objects.

use super::*;
use crate::error::Kind;

fn decode(name: &str) -> ir::Response {
    decode_response(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn text_response() {
    assert_eq!(
        decode("response/text.json"),
        ir::Response {
            id: "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b".into(),
            model: "gpt-4.1-2025-04-14".into(),
            created: 1_741_476_542,
            content: vec![text("In a peaceful grove beneath a silver moon, a unicorn named Lumina found a hidden pool.")],
            stop: ir::StopReason::EndTurn,
            usage: ir::Usage {
                input: 36,
                output: 87,
                ..ir::Usage::default()
            },
        }
    );
}

#[test]
fn reasoning_message_and_parallel_calls_with_cached_and_reasoning_usage() {
    let body = fixture_str("response/reasoning_tools.json");
    let resp = decode("response/reasoning_tools.json");
    assert_eq!(
        resp.content,
        vec![
            ir::Block::Thinking {
                text: "**Planning the lookups**\n\nTwo cities, two calls.\n\n**Delegating**".into(),
                signature: Some(ir::Signature {
                    origin: ir::Family::Responses,
                    value: object_around(
                        &body,
                        "\"rs_68af4030baa48193b0b43b4c2a176a1a02d7fe6e3d5b8c7f\""
                    ),
                }),
            },
            text("Checking both cities."),
            call(
                "call_paris",
                "get_weather",
                r#"{"location":"Paris, France"}"#
            ),
            call(
                "call_spawn",
                "multi_agent_v1__spawn_agent",
                r#"{"task":"weather in Bogotá"}"#
            ),
        ]
    );
    assert_eq!(resp.stop, ir::StopReason::ToolUse);
    assert_eq!(
        resp.usage,
        ir::Usage {
            input: 1830,
            output: 412,
            cache_read: 1536,
            cache_write: 0,
            reasoning: 320,
        }
    );
}

#[test]
fn incomplete_failed_filtered_and_refused_responses() {
    let resp = decode("response/incomplete.json");
    assert_eq!(resp.stop, ir::StopReason::MaxTokens);
    assert_eq!(resp.content, vec![text("Once upon a time, in a land far")]);

    let err = decode_response(&fixture("response/failed.json")).unwrap_err();
    assert_eq!(err.kind, Kind::UpstreamProtocol);
    assert_eq!(err.message, "The model produced invalid content.");

    let filtered = decode_response(
        br#"{"id":"r","status":"incomplete","incomplete_details":{"reason":"content_filter"},
             "output":[{"type":"function_call","call_id":"c","name":"f","arguments":"{"}]}"#,
    )
    .unwrap();
    assert_eq!(
        filtered.stop,
        ir::StopReason::ContentFilter,
        "an incomplete response is not a tool call"
    );

    let refused = decode_response(
        br#"{"id":"r","status":"completed","output":[{"type":"message","role":"assistant",
             "content":[{"type":"refusal","refusal":"I can't help with that."}]}]}"#,
    )
    .unwrap();
    assert_eq!(refused.stop, ir::StopReason::Refusal);
    assert_eq!(refused.content, vec![text("I can't help with that.")]);
    assert_eq!(refused.usage, ir::Usage::default());

    let err = decode_response(b"{\"output\": 3}").unwrap_err();
    assert_eq!(err.kind, Kind::UpstreamProtocol);
}

#[test]
fn client_response_with_namespaces_and_replayed_reasoning() {
    let mut resp = decode("response/reasoning_tools.json");
    resp.model = "my-codex".into();
    let body = encode_response_with_namespaces(&resp, &["multi_agent_v1".to_owned()]);
    golden_json("client/reasoning_tools.json", &body);
    let raw = object_around(
        &fixture_str("response/reasoning_tools.json"),
        "\"rs_68af4030baa48193b0b43b4c2a176a1a02d7fe6e3d5b8c7f\"",
    );
    assert!(
        String::from_utf8(body).unwrap().contains(&raw),
        "the reasoning item is replayed byte for byte"
    );
}

#[test]
fn client_responses_for_text_and_incomplete() {
    golden_json(
        "client/text.json",
        &encode_response(&decode("response/text.json")),
    );
    golden_json(
        "client/incomplete.json",
        &encode_response(&decode("response/incomplete.json")),
    );
}

#[test]
fn foreign_blocks_become_plain_responses_items() {
    let resp = ir::Response {
        id: "resp_x".into(),
        model: "claude-alias".into(),
        created: 7,
        content: vec![
            ir::Block::Thinking {
                text: "Let me think.".into(),
                signature: Some(ir::Signature {
                    origin: ir::Family::Claude,
                    value: "EqQBCkgIARABGAIiQL".into(),
                }),
            },
            ir::Block::RedactedThinking {
                data: "xx".into(),
                origin: ir::Family::Claude,
            },
            text("Part one. "),
            text("Part two."),
            ir::Block::image(ir::Image::Base64 {
                media_type: "image/png".into(),
                data: "iVBORw0KGgo=".into(),
            }),
            call(
                "toolu_01",
                "multi_agent_v1__wait_agent",
                r#"{"agent_id":"a"}"#,
            ),
        ],
        stop: ir::StopReason::ToolUse,
        usage: ir::Usage {
            input: 100,
            output: 20,
            cache_read: 80,
            cache_write: 10,
            reasoning: 5,
        },
    };
    let v = json(&encode_response(&resp));
    let ids: Vec<&str> = v["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        v,
        serde_json::json!({
            "id": "resp_x",
            "object": "response",
            "created_at": 7,
            "status": "completed",
            "error": null,
            "incomplete_details": null,
            "model": "claude-alias",
            "output": [
                {"type": "reasoning", "id": ids[0], "summary": [{"type": "summary_text", "text": "Let me think."}],
                 "encrypted_content": "cliproxy.v1:claude:signature:EqQBCkgIARABGAIiQL"},
                {"type": "reasoning", "id": ids[1], "summary": [], "encrypted_content": "cliproxy.v1:claude:redacted:xx"},
                {"type": "message", "id": ids[2], "status": "completed", "role": "assistant", "content": [
                    {"type": "output_text", "text": "Part one. ", "annotations": []},
                    {"type": "output_text", "text": "Part two.", "annotations": []}
                ]},
                {"type": "image_generation_call", "id": ids[3], "status": "completed", "result": "iVBORw0KGgo="},
                {"type": "function_call", "id": ids[4], "status": "completed", "call_id": "toolu_01", "name": "multi_agent_v1__wait_agent", "arguments": "{\"agent_id\":\"a\"}"}
            ],
            "usage": {
                "input_tokens": 100,
                "input_tokens_details": {"cached_tokens": 80, "cache_write_tokens": 10},
                "output_tokens": 20,
                "output_tokens_details": {"reasoning_tokens": 5},
                "total_tokens": 120
            }
        })
    );
    assert!(ids[0].starts_with("rs_") && ids[2].starts_with("msg_") && ids[4].starts_with("fc_"));
    // What the client sends back decodes to the same blocks, each with its own family.
    let back = decode_response(&encode_response(&resp)).unwrap();
    assert_eq!(back.content, resp.content);
    assert_eq!(
        encode_response(&resp),
        encode_response(&resp),
        "ids are deterministic"
    );
}

#[test]
fn decoded_responses_round_trip() {
    for name in [
        "response/text.json",
        "response/reasoning_tools.json",
        "response/incomplete.json",
    ] {
        let resp = decode(name);
        assert_eq!(
            decode_response(&encode_response(&resp)).unwrap(),
            resp,
            "{name}"
        );
        let split = encode_response_with_namespaces(&resp, &["multi_agent_v1".to_owned()]);
        assert_eq!(
            decode_response(&split).unwrap(),
            resp,
            "{name} with namespaces"
        );
    }
}
