//! Property tests: no decoder panics on arbitrary bytes or JSON, request decoding survives
//! chat-shaped noise, and the stream machines keep the IR block lifecycle on any chunk order.

use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::sse_frames;
use crate::ir::Event;
use crate::protocol::sse;
use crate::translate::openai::{
    decode_completion_request, decode_request, decode_response, encode_request, encode_response,
    StreamDecoder, StreamEncoder,
};

/// Field names and values the codec looks at, so that random JSON often hits real paths.
const WORDS: &[&str] = &[
    "model",
    "messages",
    "role",
    "content",
    "type",
    "text",
    "image_url",
    "url",
    "tool_calls",
    "id",
    "function",
    "name",
    "arguments",
    "tool_call_id",
    "tools",
    "tool_choice",
    "parameters",
    "choices",
    "delta",
    "message",
    "finish_reason",
    "usage",
    "index",
    "reasoning_content",
    "error",
    "prompt",
    "stop",
    "response_format",
    "json_schema",
    "schema",
    "reasoning_effort",
    "user",
    "assistant",
    "system",
    "developer",
    "tool",
    "refusal",
    "function_call",
    "functions",
    "stream",
    "prompt_tokens",
    "completion_tokens",
    "images",
    "data:image/png;base64,AA",
    "https://x.test/a.png",
    "json_object",
    "auto",
    "required",
    "none",
    "high",
    "stop",
    "tool_calls",
    "length",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        1 => "[a-z\"\\\\{}\\[\\]:, ]{0,6}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A chat request whose messages are random mixes of real fields.
fn chat_request() -> impl Strategy<Value = Value> {
    let role = prop::sample::select(
        &[
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
            "x",
        ][..],
    );
    let part = prop_oneof![
        word().prop_map(|t| json!({"type": "text", "text": t})),
        prop::sample::select(
            &[
                "data:image/png;base64,AAAA",
                "https://x.test/a.png",
                "data:x",
                "ftp://a"
            ][..]
        )
        .prop_map(|u| json!({"type": "image_url", "image_url": {"url": u}})),
        json_value(),
    ];
    let content = prop_oneof![
        word().prop_map(Value::String),
        prop::collection::vec(part, 0..3).prop_map(Value::Array),
        Just(Value::Null),
    ];
    let call = (word(), word(), word()).prop_map(|(id, name, args)| {
        json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
    });
    let message = (role, content, prop::collection::vec(call, 0..3), prop::option::of(word()), prop::option::of(word()))
        .prop_map(|(role, content, calls, call_id, name)| {
            json!({"role": role, "content": content, "tool_calls": calls, "tool_call_id": call_id, "name": name, "function_call": if role == "assistant" && calls.is_empty() { json!({"name": "f", "arguments": "{}"}) } else { Value::Null }})
        });
    (prop::collection::vec(message, 0..8), json_value(), json_value())
        .prop_map(|(messages, tools, choice)| {
            json!({"model": "m", "messages": messages, "tools": tools, "tool_choice": choice, "stream": true})
        })
}

/// One upstream stream event, as the chunk JSON (or raw data) it is sent as.
fn chunk() -> impl Strategy<Value = String> {
    let tool = (
        prop::option::of(0u32..3),
        prop::option::of(prop::sample::select(&["c1", "c2", ""][..])),
        prop::option::of(word()),
        word(),
    )
        .prop_map(|(index, id, name, args)| {
            json!({"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": args}})
        });
    let delta = (
        prop::option::of(word()),
        prop::option::of(word()),
        prop::option::of(word()),
        prop::collection::vec(tool, 0..3),
    )
        .prop_map(|(content, reasoning, refusal, tools)| {
            json!({"content": content, "reasoning_content": reasoning, "refusal": refusal, "tool_calls": tools})
        });
    prop_oneof![
        6 => (delta, prop::option::of(prop::sample::select(&["stop", "length", "tool_calls", "odd"][..])), 0u32..2)
            .prop_map(|(d, f, index)| json!({"id": "r", "model": "m", "choices": [{"index": index, "delta": d, "finish_reason": f}]}).to_string()),
        1 => (0u64..100, 0u64..100).prop_map(|(p, c)| json!({"id": "r", "choices": [], "usage": {"prompt_tokens": p, "completion_tokens": c}}).to_string()),
        1 => Just(json!({"error": {"message": "boom"}}).to_string()),
        1 => Just("[DONE]".to_owned()),
        1 => json_value().prop_map(|v| v.to_string()),
    ]
}

/// The IR block lifecycle every decoder promises.
fn assert_lifecycle(events: &[Event]) {
    let mut started = false;
    let mut open: Option<usize> = None;
    let mut next = 0;
    let mut ended = false;
    for ev in events {
        assert!(!ended, "event after the end: {events:#?}");
        match ev {
            Event::Start { .. } => {
                assert!(!started);
                started = true;
            }
            Event::BlockStart { index, .. } => {
                assert!(started && open.is_none(), "{events:#?}");
                assert_eq!(*index, next);
                next += 1;
                open = Some(*index);
            }
            Event::Delta { index, .. } => assert_eq!(open, Some(*index), "{events:#?}"),
            Event::BlockStop { index } => {
                assert_eq!(open, Some(*index), "{events:#?}");
                open = None;
            }
            Event::Usage(_) => assert!(started),
            Event::Finish { .. } | Event::Error { .. } => {
                assert!(open.is_none(), "{events:#?}");
                ended = true;
            }
        }
    }
}

fn run_decoder(data: &[String]) -> Vec<Event> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for d in data {
        let frame = format!("data: {d}\n\n");
        // Errors are fine (a garbage chunk); panics and broken lifecycles are not.
        let _ = dec.push(&sse::parse(frame.as_bytes()), &mut out);
    }
    dec.finish(&mut out);
    out
}

proptest! {
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let _ = decode_completion_request(&bytes);
        let mut framer = sse::Framer::new();
        framer.push(&bytes);
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        while let Ok(Some(frame)) = framer.next_frame() {
            let _ = dec.push(&sse::parse(&frame), &mut out);
        }
        dec.finish(&mut out);
        assert_lifecycle(&out);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_json(v in json_value()) {
        let body = v.to_string();
        let _ = decode_request(body.as_bytes());
        let _ = decode_completion_request(body.as_bytes());
        if let Ok(resp) = decode_response(body.as_bytes()) {
            let out: Value = serde_json::from_slice(&encode_response(&resp)).unwrap();
            prop_assert!(out.is_object());
        }
        assert_lifecycle(&run_decoder(&[body]));
    }

    #[test]
    fn chat_shaped_requests_decode_and_reencode_without_panicking(v in chat_request()) {
        if let Ok(req) = decode_request(v.to_string().as_bytes()) {
            if let Ok(body) = encode_request(&req, "up") {
                let out: Value = serde_json::from_slice(&body).unwrap();
                prop_assert_eq!(&out["model"], "up");
            }
        }
    }

    #[test]
    fn any_chunk_sequence_keeps_the_block_lifecycle_and_encodes_to_valid_frames(
        data in prop::collection::vec(chunk(), 0..12),
        include_usage in any::<bool>(),
    ) {
        let events = run_decoder(&data);
        assert_lifecycle(&events);
        let mut enc = StreamEncoder::new("m", "id").with_usage(include_usage);
        let mut out = BytesMut::new();
        for ev in &events {
            enc.push(ev, &mut out);
        }
        enc.finish(&mut out);
        let frames = sse_frames(&out);
        prop_assert_eq!(frames.last(), Some(&json!("[DONE]")));
        let finishes = frames
            .iter()
            .filter(|f| !f["choices"][0]["finish_reason"].is_null())
            .count();
        prop_assert!(finishes <= 1);
    }
}
