//! Non-streamed response decoding (upstream bodies) and encoding (client bodies).

use super::*;
use crate::error::Kind;
use crate::ir::{Block, Family, StopReason, Usage};

fn decode(name: &str) -> ir::Response {
    decode_response(&fixture(&format!("response/{name}.json"))).unwrap()
}

#[test]
fn every_response_fixture_encodes_to_its_golden_client_body() {
    for case in [
        "text",
        "tool_use",
        "thinking_cache",
        "stop_sequence",
        "server_tool",
        "refusal",
        "structured",
    ] {
        let resp = decode(case);
        golden(
            &format!("response/{case}.client.json"),
            &json(&encode_response(&resp)),
        );
    }
}

#[test]
fn decodes_a_text_response() {
    assert_eq!(
        decode("text"),
        ir::Response {
            id: "msg_013Zva2CMHLNnXjNJJKqJ2EF".into(),
            model: "claude-sonnet-4-5-20250929".into(),
            created: 0,
            content: vec![text("Hi! My name is Claude.")],
            stop: StopReason::EndTurn,
            usage: Usage {
                input: 2095,
                output: 503,
                ..Usage::default()
            },
        }
    );
}

#[test]
fn decodes_parallel_tool_calls_with_raw_arguments() {
    let resp = decode("tool_use");
    assert_eq!(resp.stop, StopReason::ToolUse);
    assert_eq!(
        resp.content[2],
        Block::ToolCall {
            id: "toolu_01B19r81rx81mr828946mr8".into(),
            name: "get_weather".into(),
            arguments: r#"{"location": "New York, NY", "unit": "celsius"}"#.into(),
        }
    );
}

#[test]
fn usage_input_includes_cache_reads_and_writes() {
    let resp = decode("thinking_cache");
    assert_eq!(
        resp.usage,
        Usage {
            input: 50 + 1200 + 8800,
            output: 310,
            cache_read: 8800,
            cache_write: 1200,
            reasoning: 0,
        }
    );
    assert_eq!(
        resp.content[0],
        Block::Thinking {
            text: "27 * 453: 27 * 400 = 10800, 27 * 53 = 1431, total 12231.".into(),
            signature: claude_sig("EuYBCkQYAiJAz8m2QxY0T3RoaW5raW5nIHNpZ25hdHVyZQ=="),
        }
    );
    assert_eq!(
        resp.content[1],
        Block::RedactedThinking {
            data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT".into(),
            origin: Family::Claude,
        }
    );
    let usage = &json(&encode_response(&resp))["usage"];
    assert_eq!(
        usage,
        &serde_json::json!({"input_tokens": 50, "cache_creation_input_tokens": 1200,
            "cache_read_input_tokens": 8800, "output_tokens": 310})
    );
}

#[test]
fn stop_reasons_both_ways() {
    assert_eq!(
        decode("stop_sequence").stop,
        StopReason::StopSequence(Some("5".into()))
    );
    assert_eq!(decode("refusal").stop, StopReason::Refusal);
    assert_eq!(decode("structured").stop, StopReason::MaxTokens);
    assert_eq!(
        decode("server_tool").stop,
        StopReason::Other("pause_turn".into())
    );
    for (stop, reason, sequence) in [
        (StopReason::EndTurn, "end_turn", None),
        (StopReason::MaxTokens, "max_tokens", None),
        (
            StopReason::StopSequence(Some("##".into())),
            "stop_sequence",
            Some("##"),
        ),
        (StopReason::StopSequence(None), "stop_sequence", None),
        (StopReason::ToolUse, "tool_use", None),
        (StopReason::ContentFilter, "refusal", None),
        (StopReason::Refusal, "refusal", None),
        (StopReason::Other("pause_turn".into()), "pause_turn", None),
        (StopReason::Other("SAFETY_OTHER".into()), "end_turn", None),
    ] {
        let resp = ir::Response {
            id: "msg_x".into(),
            model: "alias".into(),
            created: 1,
            content: vec![],
            stop,
            usage: Usage::default(),
        };
        let body = json(&encode_response(&resp));
        assert_eq!(body["stop_reason"], reason);
        assert_eq!(body["stop_sequence"], serde_json::json!(sequence));
    }
}

#[test]
fn server_tool_blocks_are_kept_for_claude_clients() {
    let resp = decode("server_tool");
    assert!(matches!(
        &resp.content[..],
        [
            Block::Text(_),
            Block::Opaque { .. },
            Block::Opaque { .. },
            Block::Text(_)
        ]
    ));
}

#[test]
fn encoding_a_foreign_response_keeps_claude_clients_safe() {
    let resp = ir::Response {
        id: "chatcmpl-9".into(),
        model: "my-alias".into(),
        created: 1_700_000_000,
        content: vec![
            Block::Thinking {
                text: "gemini thought".into(),
                signature: Some(ir::Signature {
                    origin: Family::Gemini,
                    value: "g-sig".into(),
                }),
            },
            Block::Thinking {
                text: String::new(),
                signature: Some(ir::Signature {
                    origin: Family::Gemini,
                    value: "carrier".into(),
                }),
            },
            Block::Opaque {
                origin: Family::Responses,
                raw: r#"{"type":"reasoning"}"#.into(),
            },
            Block::RedactedThinking {
                data: "x".into(),
                origin: Family::Gemini,
            },
            text(""),
            text("Here."),
            Block::image(ir::Image::Url("https://example.org/out.png".into())),
            Block::ToolCall {
                id: "read_file_1700_0.x".into(),
                name: "read_file".into(),
                arguments: "not json".into(),
            },
        ],
        stop: StopReason::ToolUse,
        usage: Usage {
            input: 100,
            output: 40,
            cache_read: 30,
            cache_write: 0,
            reasoning: 25,
        },
    };
    assert_eq!(
        json(&encode_response(&resp)),
        serde_json::json!({
            "id": "chatcmpl-9",
            "type": "message",
            "role": "assistant",
            "model": "my-alias",
            "content": [
                {"type": "thinking", "thinking": "gemini thought", "signature": ""},
                {"type": "text", "text": "Here."},
                {"type": "tool_use", "id": "read_file_1700_0_x", "name": "read_file", "input": {}}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": 70, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 30, "output_tokens": 40}
        })
    );
}

#[test]
fn encoded_usage_never_underflows() {
    let resp = ir::Response {
        id: String::new(),
        model: String::new(),
        created: 0,
        content: vec![],
        stop: StopReason::EndTurn,
        usage: Usage {
            input: 5,
            output: 1,
            cache_read: 10,
            cache_write: 10,
            reasoning: 0,
        },
    };
    assert_eq!(json(&encode_response(&resp))["usage"]["input_tokens"], 0);
}

#[test]
fn bad_upstream_bodies_are_upstream_protocol_errors() {
    for body in [
        &b"<html>"[..],
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        br#"{"type":"message","content":[{"type":"tool_use","input":{}}]}"#,
        br#"{"type":"message","content":"text"}"#,
    ] {
        let err = decode_response(body).unwrap_err();
        assert_eq!(
            err.kind,
            Kind::UpstreamProtocol,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let err = decode_response(
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    )
    .unwrap_err();
    assert!(err.message.contains("Overloaded"), "{}", err.message);
}
