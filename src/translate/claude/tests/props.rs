//! Properties: no decoder or stream machine panics on arbitrary bytes or JSON, and whatever
//! decodes also encodes without panicking.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

/// Keys and strings the codec looks for, so that random JSON reaches deep paths.
const WORDS: &[&str] = &[
    "type",
    "role",
    "content",
    "text",
    "image",
    "source",
    "base64",
    "url",
    "media_type",
    "data",
    "tool_use",
    "tool_result",
    "tool_use_id",
    "id",
    "name",
    "input",
    "is_error",
    "thinking",
    "signature",
    "redacted_thinking",
    "document",
    "user",
    "assistant",
    "system",
    "messages",
    "model",
    "tools",
    "tool_choice",
    "auto",
    "any",
    "none",
    "tool",
    "enabled",
    "adaptive",
    "disabled",
    "budget_tokens",
    "output_config",
    "effort",
    "high",
    "format",
    "json_schema",
    "schema",
    "max_tokens",
    "index",
    "delta",
    "text_delta",
    "input_json_delta",
    "partial_json",
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "error",
    "message",
    "usage",
    "input_tokens",
    "output_tokens",
    "stop_reason",
    "end_turn",
    "content_block",
    "signature_delta",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_owned),
        "[a-z_]{0,8}",
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        word().prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A request-shaped object whose parts are random.
fn request_like() -> impl Strategy<Value = Value> {
    (
        any_json(),
        prop::collection::vec((word(), any_json()), 0..4),
        any_json(),
        any_json(),
        any_json(),
    )
        .prop_map(|(system, msgs, tools, thinking, choice)| {
            let messages: Vec<Value> = msgs
                .into_iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect();
            json!({"model": "m", "max_tokens": 100, "system": system, "messages": messages,
                "tools": tools, "thinking": thinking, "tool_choice": choice})
        })
}

fn any_event() -> impl Strategy<Value = ir::Event> {
    let text = ".{0,6}";
    let kind = prop_oneof![
        Just(ir::BlockKind::Text),
        Just(ir::BlockKind::Thinking),
        (text, text).prop_map(|(id, name)| ir::BlockKind::ToolCall { id, name }),
        text.prop_map(|data| ir::BlockKind::RedactedThinking { data }),
    ];
    let delta = prop_oneof![
        text.prop_map(ir::Delta::Text),
        text.prop_map(ir::Delta::Thinking),
        (any::<bool>(), text).prop_map(|(claude, value)| ir::Delta::Signature(ir::Signature {
            origin: if claude {
                ir::Family::Claude
            } else {
                ir::Family::Gemini
            },
            value,
        })),
        text.prop_map(ir::Delta::ToolArguments),
    ];
    prop_oneof![
        (text, text).prop_map(|(id, model)| ir::Event::Start { id, model }),
        (0usize..4, kind).prop_map(|(index, kind)| ir::Event::BlockStart { index, kind }),
        (0usize..4, delta).prop_map(|(index, delta)| ir::Event::Delta { index, delta }),
        (0usize..4).prop_map(|index| ir::Event::BlockStop { index }),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(i, o, r, w)| {
            ir::Event::Usage(ir::Usage {
                input: i,
                output: o,
                cache_read: r,
                cache_write: w,
                reasoning: 0,
            })
        }),
        Just(ir::Event::Finish {
            stop: ir::StopReason::ToolUse
        }),
        text.prop_map(|message| ir::Event::Error { message }),
    ]
}

fn decode_any_stream(body: &[u8]) {
    let mut framer = sse::Framer::new();
    let mut dec = StreamDecoder::new();
    let mut events = Vec::new();
    framer.push(body);
    while let Ok(Some(frame)) = framer.next_frame() {
        let _ = dec.push(&sse::parse(&frame), &mut events);
    }
    dec.finish(&mut events);
    let _ = encode_stream(&events, "m", "id");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let _ = decode_count_tokens_response(&bytes);
        decode_any_stream(&bytes);
    }

    #[test]
    fn request_codec_never_panics_on_arbitrary_json(v in prop_oneof![any_json(), request_like()]) {
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(req) = decode_request(&body) {
            let _ = encode_request(&req, "m");
            let all = EncodeOptions { mid_conversation_system: true, adaptive_thinking: true, auto_cache: true };
            let _ = encode_request_with(&req, "m", &all);
            let _ = encode_count_tokens_request(&req, "m", &all);
        }
    }

    #[test]
    fn response_codec_never_panics_on_arbitrary_json(
        v in any_json(),
        content in prop::collection::vec(any_json(), 0..4),
    ) {
        let _ = decode_response(&serde_json::to_vec(&v).unwrap());
        let shaped = json!({"type": "message", "id": "x", "content": content, "usage": v});
        if let Ok(resp) = decode_response(&serde_json::to_vec(&shaped).unwrap()) {
            let _ = encode_response(&resp);
        }
    }

    #[test]
    fn stream_decoder_never_panics_on_arbitrary_events(
        events in prop::collection::vec((prop::sample::select(WORDS), any_json(), any_json()), 0..12),
    ) {
        let mut body = String::new();
        for (kind, a, b) in events {
            let data = json!({"type": kind, "index": 0, "content_block": a, "delta": b,
                "message": a, "usage": b, "error": a});
            body.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
        }
        decode_any_stream(body.as_bytes());
    }

    #[test]
    fn stream_encoder_never_panics_and_always_ends(events in prop::collection::vec(any_event(), 0..24)) {
        let body = encode_stream(&events, "m", "id");
        let frames = frames(&body);
        let last = frames.last().map(|f| f.0.clone()).unwrap_or_default();
        prop_assert!(
            matches!(last.as_deref(), Some("message_stop") | Some("error")),
            "{last:?}"
        );
    }
}
