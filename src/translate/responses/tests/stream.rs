//! Streams: upstream Responses SSE → IR events (whole and split at every byte), IR events →
//! client Responses SSE, and the aggregator over decoded streams.

use super::*;
use crate::translate::aggregate;

const STREAMS: [&str; 7] = [
    "stream/reasoning_tools.sse",
    "stream/text.sse",
    "stream/incomplete.sse",
    "stream/failed.sse",
    "stream/error.sse",
    "stream/no_deltas.sse",
    "stream/truncated.sse",
];

fn start(id: &str, model: &str) -> ir::Event {
    ir::Event::Start {
        id: id.into(),
        model: model.into(),
    }
}

fn open(index: usize, kind: ir::BlockKind) -> ir::Event {
    ir::Event::BlockStart { index, kind }
}

fn delta(index: usize, delta: ir::Delta) -> ir::Event {
    ir::Event::Delta { index, delta }
}

fn stop(index: usize) -> ir::Event {
    ir::Event::BlockStop { index }
}

fn tool(id: &str, name: &str) -> ir::BlockKind {
    ir::BlockKind::ToolCall {
        id: id.into(),
        name: name.into(),
    }
}

fn reasoning_tools_events() -> Vec<ir::Event> {
    let body = fixture_str("stream/reasoning_tools.sse");
    // The raw item of the reasoning `response.output_item.done` event (the first occurrence of
    // its encrypted content in full is in that event).
    let done_at = body.find("\"type\":\"response.output_item.done\"").unwrap();
    let raw = object_around(
        &body[done_at..],
        "\"id\":\"rs_68af4030baa48193b0b43b4c2a176a1a02d7fe6e3d5b8c7f\"",
    );
    vec![
        start(
            "resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b",
            "gpt-5.1-codex",
        ),
        open(0, ir::BlockKind::Thinking),
        delta(0, ir::Delta::Thinking("**Planning the lookups**".into())),
        delta(0, ir::Delta::Thinking("\n\nTwo cities, two calls.".into())),
        delta(0, ir::Delta::Thinking("\n\n".into())),
        delta(0, ir::Delta::Thinking("**Delegating**".into())),
        delta(
            0,
            ir::Delta::Signature(ir::Signature {
                origin: ir::Family::Responses,
                value: raw,
            }),
        ),
        stop(0),
        open(1, ir::BlockKind::Text),
        delta(1, ir::Delta::Text("Checking both".into())),
        delta(1, ir::Delta::Text(" cities.".into())),
        stop(1),
        open(2, tool("call_paris", "get_weather")),
        delta(2, ir::Delta::ToolArguments("{\"location\":".into())),
        delta(2, ir::Delta::ToolArguments("\"Paris, France\"}".into())),
        stop(2),
        open(3, tool("call_spawn", "multi_agent_v1__spawn_agent")),
        delta(
            3,
            ir::Delta::ToolArguments("{\"task\":\"weather in Bogotá\"}".into()),
        ),
        stop(3),
        ir::Event::Usage(ir::Usage {
            input: 1830,
            output: 412,
            cache_read: 1536,
            cache_write: 0,
            reasoning: 320,
        }),
        ir::Event::Finish {
            stop: ir::StopReason::ToolUse,
        },
    ]
}

#[test]
fn reasoning_and_parallel_calls_stream_decodes() {
    assert_eq!(
        decode_stream(&fixture("stream/reasoning_tools.sse")),
        reasoning_tools_events()
    );
}

#[test]
fn text_stream_with_crlf_and_keep_alive_decodes() {
    assert_eq!(
        decode_stream(&fixture("stream/text.sse")),
        vec![
            start(
                "resp_67ccd7eca01881908ff0b5146584e408072912b2993db808",
                "gpt-4.1-2025-04-14"
            ),
            open(0, ir::BlockKind::Text),
            delta(0, ir::Delta::Text("Hi".into())),
            delta(0, ir::Delta::Text(" there! 👋".into())),
            stop(0),
            ir::Event::Usage(ir::Usage {
                input: 37,
                output: 11,
                ..ir::Usage::default()
            }),
            ir::Event::Finish {
                stop: ir::StopReason::EndTurn,
            },
        ]
    );
}

#[test]
fn incomplete_failed_error_and_truncated_streams() {
    let events = decode_stream(&fixture("stream/incomplete.sse"));
    assert_eq!(
        events.last(),
        Some(&ir::Event::Finish {
            stop: ir::StopReason::MaxTokens
        })
    );
    assert!(events.contains(&delta(0, ir::Delta::Text("Once upon a".into()))));

    let events = decode_stream(&fixture("stream/failed.sse"));
    assert_eq!(
        events.last(),
        Some(&ir::Event::Error {
            message: "The server had an error while processing your request.".into()
        })
    );
    assert!(!events.iter().any(|e| matches!(e, ir::Event::Finish { .. })));

    let events = decode_stream(&fixture("stream/error.sse"));
    assert_eq!(
        events.last(),
        Some(&ir::Event::Error {
            message: "Rate limit reached for gpt-4.1. Please try again in 20s.".into()
        })
    );

    let events = decode_stream(&fixture("stream/truncated.sse"));
    assert_eq!(
        events[1..],
        [
            open(0, ir::BlockKind::Text),
            delta(0, ir::Delta::Text("Cut sh".into())),
            stop(0),
            ir::Event::Error {
                message: aggregate::DISCONNECTED.into()
            },
        ]
    );
    let err = aggregate::aggregate(&events, ir::Family::Responses).unwrap_err();
    assert_eq!(err.message, aggregate::DISCONNECTED);
}

#[test]
fn items_sent_only_whole_are_still_decoded_once() {
    assert_eq!(
        decode_stream(&fixture("stream/no_deltas.sse"))[1..],
        [
            open(0, ir::BlockKind::Text),
            delta(0, ir::Delta::Text("Done without deltas.".into())),
            stop(0),
            open(1, tool("call_nd", "get_time")),
            delta(1, ir::Delta::ToolArguments("{}".into())),
            stop(1),
            ir::Event::Usage(ir::Usage {
                input: 5,
                output: 7,
                ..ir::Usage::default()
            }),
            ir::Event::Finish {
                stop: ir::StopReason::ToolUse
            },
        ]
    );
}

#[test]
fn decoding_does_not_depend_on_chunking() {
    for name in STREAMS {
        let body = fixture(name);
        let whole = decode_stream(&body);
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(decode_chunks([a, b]), whole, "{name} split at {cut}");
        }
        assert_eq!(
            decode_chunks(body.chunks(1)),
            whole,
            "{name} one byte at a time"
        );
        for size in [2, 3, 7, 64, 1000] {
            assert_eq!(decode_chunks(body.chunks(size)), whole, "{name} by {size}");
        }
    }
}

#[test]
fn aggregated_stream_matches_the_non_stream_response() {
    let events = decode_stream(&fixture("stream/reasoning_tools.sse"));
    let mut streamed = aggregate::aggregate(&events, ir::Family::Responses).unwrap();
    let whole = decode_response(&fixture("response/reasoning_tools.json")).unwrap();
    streamed.created = whole.created;
    // Same content, except the signature: the stream's raw item is compact JSON while the
    // non-stream fixture is pretty-printed. Both are the upstream's own bytes.
    let strip = |r: &ir::Response| {
        let mut r = r.clone();
        for b in &mut r.content {
            if let ir::Block::Thinking { signature, .. } = b {
                *signature = signature.take().map(|s| ir::Signature {
                    value: json(s.value.as_bytes()).to_string(),
                    ..s
                });
            }
        }
        r
    };
    assert_eq!(strip(&streamed), strip(&whole));
}

// ---------------------------------------------------------------------------------------------
// Encoding for clients
// ---------------------------------------------------------------------------------------------

/// Checks the invariants every client stream must keep: `event:` equals `data.type`,
/// sequence numbers count up from 0, one `created` first and one terminal event last, and
/// every item-scoped event names the `item_id` its `output_item.added` announced.
fn check_client_stream(body: &[u8]) -> Vec<(Option<String>, serde_json::Value)> {
    let frames = frames(body);
    let mut items: Vec<(u64, String)> = Vec::new();
    for (i, (event, data)) in frames.iter().enumerate() {
        assert_eq!(event.as_deref(), data["type"].as_str(), "frame {i}");
        assert_eq!(data["sequence_number"], i, "frame {i}");
        let kind = data["type"].as_str().unwrap();
        if kind == "response.output_item.added" {
            let oi = data["output_index"].as_u64().unwrap();
            assert_eq!(oi as usize, items.len(), "output indexes count up");
            items.push((oi, data["item"]["id"].as_str().unwrap().to_owned()));
        } else if let Some(item_id) = data["item_id"].as_str() {
            let oi = data["output_index"].as_u64().unwrap();
            assert!(
                items.contains(&(oi, item_id.to_owned())),
                "frame {i}: {item_id} at {oi} was never added"
            );
        }
    }
    assert_eq!(
        frames.first().map(|f| f.1["type"].clone()),
        Some("response.created".into())
    );
    let last = frames.last().unwrap().1["type"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        [
            "response.completed",
            "response.incomplete",
            "response.failed"
        ]
        .contains(&last.as_str()),
        "{last}"
    );
    frames
}

#[test]
fn client_stream_for_reasoning_and_parallel_calls() {
    let encoder = StreamEncoder::new("my-codex", "resp_client_1")
        .with_created(1_756_315_696)
        .with_namespaces(vec!["multi_agent_v1".into()]);
    let body = encode_stream(encoder, &reasoning_tools_events());
    check_client_stream(&body);
    golden_sse("client/reasoning_tools.sse", &body);
}

#[test]
fn client_stream_for_text_and_incomplete() {
    let events = decode_stream(&fixture("stream/text.sse"));
    let body = encode_stream(StreamEncoder::new("gpt-4.1", "resp_client_2"), &events);
    check_client_stream(&body);
    golden_sse("client/text.sse", &body);

    let events = decode_stream(&fixture("stream/incomplete.sse"));
    let body = encode_stream(StreamEncoder::new("gpt-4.1", "resp_client_3"), &events);
    let frames = check_client_stream(&body);
    let last = &frames.last().unwrap().1;
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(last["response"]["status"], "incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    assert_eq!(
        last["response"]["output"][0]["content"][0]["text"],
        "Once upon a"
    );
}

#[test]
fn client_stream_errors_become_response_failed() {
    for events in [
        decode_stream(&fixture("stream/failed.sse")),
        decode_stream(&fixture("stream/truncated.sse")),
        // A stream from another family that just stops.
        vec![start("x", "m"), open(0, ir::BlockKind::Text)],
        Vec::new(),
    ] {
        let body = encode_stream(StreamEncoder::new("m", "resp_e"), &events);
        let frames = check_client_stream(&body);
        let last = &frames.last().unwrap().1;
        assert_eq!(last["type"], "response.failed", "{events:?}");
        assert_eq!(last["response"]["status"], "failed");
        assert_eq!(last["response"]["error"]["code"], "server_error");
        assert!(last["response"]["error"]["message"].is_string());
    }
}

#[test]
fn a_mid_stream_error_keeps_the_items_emitted_so_far() {
    let events = vec![
        start("x", "m"),
        open(0, ir::BlockKind::Thinking),
        delta(0, ir::Delta::Thinking("Let me".into())),
        stop(0),
        open(1, ir::BlockKind::Text),
        delta(1, ir::Delta::Text("Partial".into())),
        open(2, tool("call_1", "get_time")),
        delta(2, ir::Delta::ToolArguments("{\"tz\":".into())),
        ir::Event::Error {
            message: "Overloaded".into(),
        },
    ];
    let body = encode_stream(StreamEncoder::new("m", "resp_e"), &events);
    let frames = check_client_stream(&body);
    let last = &frames.last().unwrap().1;
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["error"]["message"], "Overloaded");
    let output = last["response"]["output"].as_array().unwrap();
    assert_eq!(output.len(), 3, "{output:?}");
    assert_eq!(output[0]["type"], "reasoning");
    assert!(output[0].get("status").is_none(), "it finished");
    assert_eq!(output[0]["summary"][0]["text"], "Let me");
    assert_eq!(output[1]["type"], "message");
    assert_eq!(output[1]["status"], "incomplete");
    assert_eq!(output[1]["content"][0]["text"], "Partial");
    assert_eq!(output[2]["type"], "function_call");
    assert_eq!(output[2]["status"], "incomplete");
    assert_eq!(output[2]["arguments"], "{\"tz\":");
    let done = frames
        .iter()
        .filter(|(e, _)| e.as_deref() == Some("response.output_item.done"))
        .count();
    assert_eq!(done, 1, "only the reasoning item finished");

    // Open reasoning is kept the same way.
    let events = vec![
        start("x", "m"),
        open(0, ir::BlockKind::Thinking),
        delta(0, ir::Delta::Thinking("Hmm".into())),
        ir::Event::Error {
            message: "gone".into(),
        },
    ];
    let body = encode_stream(StreamEncoder::new("m", "resp_e"), &events);
    let frames = check_client_stream(&body);
    let last = &frames.last().unwrap().1;
    assert_eq!(last["response"]["output"][0]["status"], "incomplete");
    assert_eq!(last["response"]["output"][0]["summary"][0]["text"], "Hmm");
}

#[test]
fn foreign_reasoning_and_redacted_thinking_stream_to_clients() {
    let events = vec![
        start("msg_01", "claude"),
        open(0, ir::BlockKind::Thinking),
        delta(0, ir::Delta::Thinking("Hmm.".into())),
        delta(
            0,
            ir::Delta::Signature(ir::Signature {
                origin: ir::Family::Claude,
                value: "EqQB".into(),
            }),
        ),
        stop(0),
        open(
            1,
            ir::BlockKind::RedactedThinking {
                data: "secret".into(),
            },
        ),
        stop(1),
        open(2, ir::BlockKind::Text),
        delta(2, ir::Delta::Text("Yes.".into())),
        // Usage after Finish (OpenAI Chat upstreams send it last) still makes it out.
        ir::Event::Finish {
            stop: ir::StopReason::EndTurn,
        },
        ir::Event::Usage(ir::Usage {
            input: 3,
            output: 2,
            ..ir::Usage::default()
        }),
    ];
    let body = encode_stream(StreamEncoder::new("alias", "resp_f"), &events);
    let frames = check_client_stream(&body);
    let kinds: Vec<&str> = frames
        .iter()
        .map(|f| f.1["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let last = &frames.last().unwrap().1["response"];
    assert_eq!(last["usage"]["total_tokens"], 5);
    assert_eq!(
        last["output"][0]["summary"],
        serde_json::json!([{"type": "summary_text", "text": "Hmm."}])
    );
    assert_eq!(
        last["output"][0]["encrypted_content"], "cliproxy.v1:claude:signature:EqQB",
        "the Claude signature rides along, tagged with its family"
    );
    assert_eq!(last["output"][1]["content"][0]["text"], "Yes.");
}

#[test]
fn client_stream_decodes_back_to_the_same_events() {
    let events = reasoning_tools_events();
    let encoder = StreamEncoder::new("my-codex", "resp_client_1")
        .with_namespaces(vec!["multi_agent_v1".into()]);
    let back = decode_stream(&encode_stream(encoder, &events));
    let mut expected = events;
    expected[0] = start("resp_client_1", "my-codex");
    assert_eq!(back, expected);
}

#[test]
fn client_stream_tolerates_bogus_indexes_and_repeated_events() {
    let events = vec![
        open(usize::MAX, ir::BlockKind::Text),
        delta(usize::MAX, ir::Delta::Text("a".into())),
        open(usize::MAX, ir::BlockKind::Thinking),
        delta(7, ir::Delta::Text("never opened".into())),
        delta(usize::MAX, ir::Delta::ToolArguments("wrong kind".into())),
        stop(usize::MAX),
        stop(usize::MAX),
        start("late", "m"),
        ir::Event::Finish {
            stop: ir::StopReason::EndTurn,
        },
        ir::Event::Error {
            message: "after the end".into(),
        },
    ];
    let body = encode_stream(StreamEncoder::new("m", "resp_b"), &events);
    let frames = check_client_stream(&body);
    let last = &frames.last().unwrap().1;
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["output"][0]["content"][0]["text"], "a");
    assert_eq!(frames.len(), 9);
}
