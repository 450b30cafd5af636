//! Stream decoding (upstream SSE split at every byte) and encoding (client SSE frames).

use super::*;
use crate::ir::{BlockKind, Delta, Event, Family, Signature, StopReason, Usage};

fn upstream(name: &str) -> Vec<Event> {
    decode_stream(&fixture(&format!("stream/{name}.sse")))
}

fn start(id: &str) -> Event {
    Event::Start {
        id: id.into(),
        model: "claude-sonnet-4-5-20250929".into(),
    }
}

fn block(index: usize, kind: BlockKind) -> Event {
    Event::BlockStart { index, kind }
}

fn delta(index: usize, delta: Delta) -> Event {
    Event::Delta { index, delta }
}

fn stop(index: usize) -> Event {
    Event::BlockStop { index }
}

fn usage(input: u64, output: u64) -> Event {
    Event::Usage(Usage {
        input,
        output,
        ..Usage::default()
    })
}

fn text_delta(index: usize, s: &str) -> Event {
    delta(index, Delta::Text(s.into()))
}

#[test]
fn decodes_a_text_stream() {
    assert_eq!(
        upstream("text"),
        vec![
            start("msg_01XFDUDYJgAACzvnptvVoYEL"),
            usage(25, 1),
            block(0, BlockKind::Text),
            text_delta(0, "Hello"),
            text_delta(0, "! Ça va ? \"quoted\"\n"),
            stop(0),
            usage(25, 15),
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn decodes_parallel_tool_calls_and_cache_usage() {
    let cached = |output| {
        Event::Usage(Usage {
            input: 472 + 100 + 300,
            output,
            cache_read: 300,
            cache_write: 100,
            reasoning: 0,
        })
    };
    let call = |id: &str| BlockKind::ToolCall {
        id: id.into(),
        name: "get_weather".into(),
    };
    assert_eq!(
        upstream("tools"),
        vec![
            start("msg_014p7gG3wDgGV9EUtLvnow3U"),
            cached(2),
            block(0, BlockKind::Text),
            text_delta(0, "Checking both cities."),
            stop(0),
            block(1, call("toolu_01T1x1fJ34qAmk2tNTrN7Up6")),
            delta(1, Delta::ToolArguments("{\"location\":".into())),
            delta(1, Delta::ToolArguments(" \"San Francisco, CA\"}".into())),
            stop(1),
            block(2, call("toolu_02Ab3cD4eF5gH6iJ7kL8mN9o")),
            delta(2, Delta::ToolArguments("{\"location\": \"Paris\"}".into())),
            stop(2),
            cached(89),
            Event::Finish {
                stop: StopReason::ToolUse
            },
        ]
    );
}

#[test]
fn decodes_thinking_with_its_signature_and_redacted_thinking() {
    assert_eq!(
        upstream("thinking"),
        vec![
            start("msg_01ThinkStream"),
            usage(36, 4),
            block(0, BlockKind::Thinking),
            delta(0, Delta::Thinking("27 * 453: 27 * 400 = 10800".into())),
            delta(0, Delta::Thinking(", 27 * 53 = 1431, so 12231.".into())),
            delta(
                0,
                Delta::Signature(Signature {
                    origin: Family::Claude,
                    value: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds".into(),
                })
            ),
            stop(0),
            block(
                1,
                BlockKind::RedactedThinking {
                    data: "EmwKAhgBEgy3va3pzix/LafPsn4a".into()
                }
            ),
            stop(1),
            block(2, BlockKind::Text),
            text_delta(2, "27 × 453 = 12,231."),
            stop(2),
            usage(36, 120),
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn server_tool_blocks_are_skipped_without_holes_in_the_indexes() {
    assert_eq!(
        upstream("server_tool"),
        vec![
            start("msg_01G...WebSearch"),
            usage(2679, 3),
            block(0, BlockKind::Text),
            text_delta(0, "I'll check the weather."),
            stop(0),
            block(1, BlockKind::Text),
            text_delta(1, "It is sunny and 22°C in New York."),
            stop(1),
            usage(10682, 510),
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn an_error_event_ends_the_stream_without_a_finish() {
    assert_eq!(
        upstream("error"),
        vec![
            Event::Start {
                id: "msg_01Overloaded".into(),
                model: "claude-sonnet-4-5-20250929".into(),
            },
            usage(12, 1),
            block(0, BlockKind::Text),
            text_delta(0, "Partial"),
            Event::Error {
                message: "Overloaded".into()
            },
        ]
    );
}

#[test]
fn a_cut_stream_is_closed_by_finish() {
    let body = fixture("stream/tools.sse");
    let text = String::from_utf8(body).unwrap();
    let cut = text
        .find("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}")
        .unwrap();
    let events = decode_stream(&text.as_bytes()[..cut]);
    assert_eq!(
        events[events.len() - 2..],
        [
            stop(1),
            Event::Finish {
                stop: StopReason::EndTurn
            }
        ]
    );
}

#[test]
fn tolerates_odd_but_harmless_upstream_events() {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for (name, data) in [
        (None, "[DONE]"),
        (Some("ping"), r#"{"type":"ping"}"#),
        (Some("future_event"), r#"{"type":"future_event","x":1}"#),
        // The type comes from the event name when the data has none.
        (
            Some("content_block_start"),
            r#"{"index":0,"content_block":{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}}"#,
        ),
        // Whole input at start: later argument deltas are ignored.
        (
            None,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"b\""}}"#,
        ),
        (
            None,
            r#"{"type":"content_block_delta","index":9,"delta":{"type":"text_delta","text":"orphan"}}"#,
        ),
        (None, r#"{"type":"content_block_stop","index":0}"#),
        (None, r#"{"type":"content_block_stop","index":0}"#),
        (
            None,
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"}}"#,
        ),
        (None, r#"{"type":"message_stop"}"#),
        (
            None,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":"late"}}"#,
        ),
    ] {
        let ev = sse::Event {
            event: name,
            data: data.into(),
            id: None,
            retry: None,
            is_comment_only: false,
        };
        dec.push(&ev, &mut out).unwrap();
    }
    dec.finish(&mut out);
    assert_eq!(
        out,
        vec![
            block(
                0,
                BlockKind::ToolCall {
                    id: "t1".into(),
                    name: "f".into()
                }
            ),
            delta(0, Delta::ToolArguments(r#"{"a":1}"#.into())),
            stop(0),
            Event::Finish {
                stop: StopReason::MaxTokens
            },
        ]
    );
    for (data, message) in [
        (
            r#"{"type":"error","message":"quota exceeded"}"#,
            "quota exceeded",
        ),
        (r#"{"type":"error","error":"rate limited"}"#, "rate limited"),
        (
            r#"{"type":"error","error":{"type":"api_error"}}"#,
            "api_error",
        ),
        (r#"{"type":"error"}"#, "Claude upstream error"),
    ] {
        let mut out = Vec::new();
        let ev = sse::Event {
            event: Some("error"),
            data: data.into(),
            id: None,
            retry: None,
            is_comment_only: false,
        };
        let mut dec = StreamDecoder::new();
        dec.push(&ev, &mut out).unwrap();
        dec.finish(&mut out);
        assert_eq!(
            out,
            vec![Event::Error {
                message: message.into()
            }],
            "{data}"
        );
    }
    let bad = sse::Event {
        event: None,
        data: "{not json".into(),
        id: None,
        retry: None,
        is_comment_only: false,
    };
    let err = StreamDecoder::new().push(&bad, &mut out).unwrap_err();
    assert_eq!(err.kind, crate::error::Kind::UpstreamProtocol);
}

#[test]
fn upstream_streams_reencode_to_their_golden_client_streams() {
    for case in ["text", "tools", "thinking", "server_tool", "error"] {
        let events = upstream(case);
        let body = encode_stream(&events, "client-alias", "");
        golden_sse(&format!("stream/{case}.client.sse"), &body);
    }
}

#[test]
fn encodes_a_foreign_text_stream_with_late_usage() {
    let events = vec![
        Event::Start {
            id: "chatcmpl-123".into(),
            model: "gpt-4o".into(),
        },
        block(0, BlockKind::Text),
        text_delta(0, "Hel"),
        text_delta(0, ""),
        text_delta(0, "lo"),
        stop(0),
        Event::Finish {
            stop: StopReason::EndTurn,
        },
        Event::Usage(Usage {
            input: 19,
            output: 2,
            cache_read: 3,
            ..Usage::default()
        }),
    ];
    golden_sse(
        "stream/encode_late_usage.client.sse",
        &encode_stream(&events, "my-claude", "msg_gateway_1"),
    );
}

#[test]
fn encodes_thinking_and_parallel_tool_calls_dropping_foreign_signatures() {
    let events = vec![
        Event::Start {
            id: "resp_1".into(),
            model: "gemini-3-pro".into(),
        },
        Event::Usage(Usage {
            input: 100,
            ..Usage::default()
        }),
        block(0, BlockKind::Thinking),
        delta(0, Delta::Thinking("claude-signed".into())),
        delta(
            0,
            Delta::Signature(Signature {
                origin: Family::Claude,
                value: "c-sig".into(),
            }),
        ),
        stop(0),
        block(1, BlockKind::Thinking),
        delta(1, Delta::Thinking("gemini-signed".into())),
        delta(1, Delta::Thinking(String::new())),
        delta(
            1,
            Delta::Signature(Signature {
                origin: Family::Gemini,
                value: "g-sig".into(),
            }),
        ),
        stop(1),
        block(
            2,
            BlockKind::ToolCall {
                id: "read_file_1700_0.x".into(),
                name: "read_file".into(),
            },
        ),
        delta(2, Delta::ToolArguments("{\"path\":".into())),
        block(
            3,
            BlockKind::ToolCall {
                id: "call_2".into(),
                name: "list_dir".into(),
            },
        ),
        delta(2, Delta::ToolArguments("\"a.txt\"}".into())),
        delta(3, Delta::ToolArguments("{}".into())),
        stop(2),
        // Block 3 is left open: Finish closes it.
        Event::Finish {
            stop: StopReason::ToolUse,
        },
        Event::Usage(Usage {
            input: 100,
            output: 50,
            reasoning: 20,
            ..Usage::default()
        }),
        // Nothing but usage counts after Finish.
        block(4, BlockKind::Text),
    ];
    golden_sse(
        "stream/encode_thinking_tools.client.sse",
        &encode_stream(&events, "my-claude", "msg_gateway_2"),
    );
}

#[test]
fn encodes_an_error_and_an_empty_stream() {
    let events = vec![
        Event::Start {
            id: "x".into(),
            model: "m".into(),
        },
        block(0, BlockKind::Text),
        text_delta(0, "Part"),
        Event::Error {
            message: "upstream went away".into(),
        },
        text_delta(0, "ignored"),
    ];
    golden_sse(
        "stream/encode_error.client.sse",
        &encode_stream(&events, "my-claude", "msg_gateway_3"),
    );
    golden_sse(
        "stream/encode_empty.client.sse",
        &encode_stream(&[], "my-claude", "msg_gateway_4"),
    );
}

#[test]
fn the_start_id_is_used_when_the_encoder_has_none() {
    let body = encode_stream(&[start("msg_upstream")], "alias", "");
    let frames = frames(&body);
    assert_eq!(frames[0].0.as_deref(), Some("message_start"));
    assert_eq!(frames[0].1["message"]["id"], "msg_upstream");
    assert_eq!(frames[0].1["message"]["model"], "alias");
}

#[test]
fn a_foreign_signature_carrier_opens_no_thinking_block() {
    let gemini_sig = || {
        Delta::Signature(Signature {
            origin: Family::Gemini,
            value: "g-sig".into(),
        })
    };
    let events = vec![
        start("resp_1"),
        block(0, BlockKind::Text),
        text_delta(0, "Checking."),
        stop(0),
        // Gemini's signature on a call: start, signature and stop at once.
        block(1, BlockKind::Thinking),
        delta(1, gemini_sig()),
        stop(1),
        block(
            2,
            BlockKind::ToolCall {
                id: "call_1".into(),
                name: "f".into(),
            },
        ),
        delta(2, Delta::ToolArguments("{}".into())),
        stop(2),
        // Claude's thinking with no text still shows, for its signature.
        block(3, BlockKind::Thinking),
        delta(
            3,
            Delta::Signature(Signature {
                origin: Family::Claude,
                value: "c-sig".into(),
            }),
        ),
        stop(3),
        // A carrier left open is dropped at the end too.
        block(4, BlockKind::Thinking),
        delta(4, gemini_sig()),
    ];
    let frames = frames(&encode_stream(&events, "alias", "msg_1"));
    let starts: Vec<(u64, &str)> = frames
        .iter()
        .filter(|(name, _)| name.as_deref() == Some("content_block_start"))
        .map(|(_, v)| {
            (
                v["index"].as_u64().unwrap(),
                v["content_block"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(starts, [(0, "text"), (1, "tool_use"), (2, "thinking")]);
    let stops = frames
        .iter()
        .filter(|(name, _)| name.as_deref() == Some("content_block_stop"))
        .count();
    assert_eq!(stops, 3);
    let signature = frames
        .iter()
        .find(|(_, v)| v["delta"]["type"] == "signature_delta")
        .map(|(_, v)| (v["index"].clone(), v["delta"]["signature"].clone()));
    assert_eq!(signature, Some((2.into(), "c-sig".into())));
}
