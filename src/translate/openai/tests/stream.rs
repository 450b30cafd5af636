use bytes::BytesMut;

use super::{decode_stream, decode_stream_in, encode_stream, fixture, golden_sse, sse_frames};
use crate::error::Kind;
use crate::ir::{BlockKind, Delta, Event, Family, Signature, StopReason, Usage};
use crate::protocol::sse;
use crate::translate::openai::{StreamDecoder, StreamEncoder};

const CASES: &[&str] = &[
    "text",
    "tool_calls",
    "reasoning",
    "error",
    "tool_calls_no_index",
];

fn start(id: &str, model: &str) -> Event {
    Event::Start {
        id: id.into(),
        model: model.into(),
    }
}

fn block_start(index: usize, kind: BlockKind) -> Event {
    Event::BlockStart { index, kind }
}

fn delta(index: usize, delta: Delta) -> Event {
    Event::Delta { index, delta }
}

fn stop(index: usize) -> Event {
    Event::BlockStop { index }
}

fn tool(id: &str, name: &str) -> BlockKind {
    BlockKind::ToolCall {
        id: id.into(),
        name: name.into(),
    }
}

fn args(s: &str) -> Delta {
    Delta::ToolArguments(s.into())
}

#[test]
fn decoding_does_not_depend_on_how_the_bytes_are_split() {
    for case in CASES {
        let body = fixture(&format!("stream/{case}.sse"));
        let whole = decode_stream(&body);
        for cut in 0..=body.len() {
            assert_eq!(
                decode_stream_in(&body, std::iter::once(cut)),
                whole,
                "{case}: split at byte {cut}"
            );
        }
        for size in [1, 2, 3, 7, 64] {
            let cuts = (size..body.len()).step_by(size);
            assert_eq!(
                decode_stream_in(&body, cuts),
                whole,
                "{case}: {size}-byte pieces"
            );
        }
    }
}

#[test]
fn every_stream_fixture_reencodes_to_its_golden_client_stream() {
    for case in CASES {
        let events = decode_stream(&fixture(&format!("stream/{case}.sse")));
        golden_sse(
            &format!("stream/{case}.client.sse"),
            &encode_stream(&events, true),
        );
    }
}

#[test]
fn text_stream_events() {
    assert_eq!(
        decode_stream(&fixture("stream/text.sse")),
        vec![
            start("chatcmpl-123", "gpt-4o-mini"),
            block_start(0, BlockKind::Text),
            delta(0, Delta::Text("Hello".into())),
            delta(0, Delta::Text(" été \"world\"\n".into())),
            stop(0),
            Event::Usage(Usage {
                input: 19,
                output: 4,
                cache_read: 3,
                ..Usage::default()
            }),
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn parallel_tool_call_stream_events() {
    assert_eq!(
        decode_stream(&fixture("stream/tool_calls.sse")),
        vec![
            start("chatcmpl-tool", "gpt-4.1"),
            block_start(
                0,
                tool("call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_current_weather")
            ),
            delta(0, args("{\"lo")),
            delta(0, args("cation\":")),
            delta(0, args(" \"Boston, MA\"}")),
            stop(0),
            block_start(
                1,
                tool("call_Pq8cZrTvlLsTHGyV0x4h1Wn2", "get_current_weather")
            ),
            delta(1, args("{\"location\": \"Paris\"}")),
            stop(1),
            Event::Usage(Usage {
                input: 82,
                output: 44,
                cache_read: 64,
                ..Usage::default()
            }),
            Event::Finish {
                stop: StopReason::ToolUse
            },
        ]
    );
}

#[test]
fn reasoning_then_text_opens_two_blocks() {
    assert_eq!(
        decode_stream(&fixture("stream/reasoning.sse")),
        vec![
            start("e8d1c2b0", "deepseek-reasoner"),
            block_start(0, BlockKind::Thinking),
            delta(0, Delta::Thinking("Count the".into())),
            delta(0, Delta::Thinking(" letters.".into())),
            stop(0),
            block_start(1, BlockKind::Text),
            delta(1, Delta::Text("Three".into())),
            delta(1, Delta::Text(" Rs.".into())),
            stop(1),
            Event::Usage(Usage {
                input: 20,
                output: 120,
                reasoning: 112,
                ..Usage::default()
            }),
            Event::Finish {
                stop: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn error_chunk_ends_the_stream_without_finish() {
    assert_eq!(
        decode_stream(&fixture("stream/error.sse")),
        vec![
            start("chatcmpl-err", "gpt-4o"),
            block_start(0, BlockKind::Text),
            delta(0, Delta::Text("Partial".into())),
            stop(0),
            Event::Error {
                message: "The server had an error while processing your request. Sorry about that!"
                    .into()
            },
        ]
    );
}

#[test]
fn tool_calls_without_index_are_keyed_by_id_and_stop_means_tool_use() {
    assert_eq!(
        decode_stream(&fixture("stream/tool_calls_no_index.sse")),
        vec![
            start("chatcmpl-gem", "gemini-2.5-flash"),
            block_start(0, BlockKind::Text),
            delta(0, Delta::Text("Checking both.".into())),
            stop(0),
            block_start(1, tool("function-call-1", "get_current_weather")),
            delta(1, args(r#"{"location":"Boston, MA"}"#)),
            stop(1),
            block_start(2, tool("function-call-2", "get_time")),
            delta(2, args("{}")),
            stop(2),
            Event::Usage(Usage {
                input: 30,
                output: 20,
                ..Usage::default()
            }),
            Event::Finish {
                stop: StopReason::ToolUse
            },
        ]
    );
}

#[test]
fn a_truncated_stream_still_finishes_and_a_bad_chunk_is_an_upstream_error() {
    let body = br#"data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}

"#;
    let events = decode_stream(body);
    assert_eq!(
        events.last(),
        Some(&Event::Finish {
            stop: StopReason::EndTurn
        })
    );
    assert_eq!(events[events.len() - 2], stop(0));

    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    let err = dec
        .push(&sse::parse(b"data: {\"choices\":[\n\n"), &mut out)
        .unwrap_err();
    assert_eq!(err.kind, Kind::UpstreamProtocol);

    let mut dec = StreamDecoder::new();
    dec.finish(&mut out);
    assert!(out.is_empty(), "nothing started, nothing to finish");
}

#[test]
fn missing_tool_call_ids_are_derived_from_the_response_id() {
    let body = br#"data: {"id":"r1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{"}}]}}]}

data: {"id":"r1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}}]}

data: [DONE]

"#;
    let events = decode_stream(body);
    let id = crate::translate::ids::tool_call_id("call_", "r1", 0);
    assert_eq!(events[1], block_start(0, tool(&id, "f")));
    assert_eq!(events[3], delta(0, args("}")));
}

/// The IR a Claude upstream would produce: signed thinking, text, two tool calls.
fn claude_like_events() -> Vec<Event> {
    vec![
        start("msg_01", "claude-sonnet-4-5"),
        block_start(0, BlockKind::Thinking),
        delta(0, Delta::Thinking("Let me".into())),
        delta(0, Delta::Thinking(" check.".into())),
        delta(
            0,
            Delta::Signature(Signature {
                origin: Family::Claude,
                value: "EqQBCkYIBxgC".into(),
            }),
        ),
        stop(0),
        block_start(
            1,
            BlockKind::RedactedThinking {
                data: "opaque".into(),
            },
        ),
        stop(1),
        block_start(2, BlockKind::Text),
        delta(2, Delta::Text("Checking \"both\".\n".into())),
        stop(2),
        block_start(3, tool("toolu_01", "get_weather")),
        delta(3, args("")),
        delta(3, args(r#"{"city":"#)),
        delta(3, args(r#""Paris"}"#)),
        stop(3),
        block_start(4, tool("toolu_02", "get_time")),
        delta(4, args("{}")),
        stop(4),
        Event::Usage(Usage {
            input: 10,
            output: 1,
            ..Usage::default()
        }),
        Event::Usage(Usage {
            input: 120,
            output: 45,
            cache_read: 100,
            cache_write: 20,
            reasoning: 0,
        }),
        Event::Finish {
            stop: StopReason::ToolUse,
        },
    ]
}

#[test]
fn claude_style_events_encode_as_openai_chunks() {
    golden_sse(
        "encode/stream_rich.client.sse",
        &encode_stream(&claude_like_events(), true),
    );
}

#[test]
fn usage_chunk_only_when_the_client_asked() {
    let with = sse_frames(&encode_stream(&claude_like_events(), true));
    let without = sse_frames(&encode_stream(&claude_like_events(), false));
    assert_eq!(with.len(), without.len() + 1);
    assert_eq!(with[with.len() - 2]["choices"], serde_json::json!([]));
    assert_eq!(with[with.len() - 2]["usage"]["prompt_tokens"], 120);
    assert!(without.iter().all(|f| f.get("usage").is_none()));
    assert_eq!(without.last(), Some(&serde_json::json!("[DONE]")));
}

#[test]
fn encoder_sends_errors_in_band_and_finishes_once() {
    let mut enc = StreamEncoder::new("m", "id-1");
    let mut out = BytesMut::new();
    enc.push(&start("up", "upstream"), &mut out);
    enc.push(
        &Event::Error {
            message: "overloaded".into(),
        },
        &mut out,
    );
    enc.push(
        &Event::Finish {
            stop: StopReason::EndTurn,
        },
        &mut out,
    );
    enc.finish(&mut out);
    enc.finish(&mut out);
    let frames = sse_frames(&out);
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert_eq!(frames[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(frames[0]["id"], "id-1");
    assert_eq!(
        frames[1],
        serde_json::json!({"error":{"message":"overloaded","type":"api_error"}})
    );
    assert_eq!(frames[2], "[DONE]");
}

#[test]
fn encoder_finish_closes_a_stream_that_never_said_why() {
    let mut enc = StreamEncoder::new("m", "");
    let mut out = BytesMut::new();
    enc.push(&start("upstream-id", "x"), &mut out);
    enc.push(&block_start(0, BlockKind::Text), &mut out);
    enc.push(&delta(0, Delta::Text("hi".into())), &mut out);
    enc.finish(&mut out);
    let frames = sse_frames(&out);
    assert_eq!(frames.len(), 4);
    assert_eq!(
        frames[1]["id"], "upstream-id",
        "the upstream id fills an empty one"
    );
    assert_eq!(
        frames[1]["choices"][0]["delta"],
        serde_json::json!({"content":"hi"})
    );
    assert_eq!(frames[2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(frames[3], "[DONE]");
}
