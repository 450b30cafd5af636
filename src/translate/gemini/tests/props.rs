//! Round trips and property tests: decoders and stream machines never panic, and
//! `decode(encode(ir)) == ir` on the subset Gemini carries.

use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::golden::REQUESTS;
use super::read;
use crate::ir::{
    Block, BlockKind, Delta, Effort, Event, Family, Image, Message, Reasoning, Request,
    ResponseFormat, Role, Sampling, Signature, StopReason, Tool, ToolChoice, Usage,
};
use crate::protocol::sse;
use crate::translate::gemini::{
    decode_request, decode_response, encode_request, StreamDecoder, StreamEncoder,
};

/// Golden cases whose IR does not survive a trip through a Gemini upstream, and why.
const LOSSY: &[(&str, &str)] = &[(
    "gemini_cli",
    "call ids are not sent upstream (they are re-synthesised) and unsigned thoughts are not \
     replayed",
)];

#[test]
fn golden_requests_survive_encode_then_decode() {
    for (case, model) in REQUESTS {
        let ir = decode_request(&read(&format!("request/{case}/in.json")), model).unwrap();
        let again = decode_request(&encode_request(&ir, model).unwrap(), model).unwrap();
        match LOSSY.iter().find(|(c, _)| c == case) {
            None => assert_eq!(again, ir, "{case}"),
            Some((_, why)) => {
                assert_ne!(again, ir, "{case} is listed as lossy ({why}): is it still?")
            }
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 éü\"\\\\\n{}]{1,12}"
}

fn user_block() -> impl Strategy<Value = Block> {
    prop_oneof![
        text().prop_map(Block::Text),
        ("image/(png|jpeg)", "[A-Za-z0-9+/]{4,8}")
            .prop_map(|(media_type, data)| { Block::image(Image::Base64 { media_type, data }) }),
        "gs://b/[a-z]{1,5}\\.png".prop_map(|uri| Block::image(Image::File {
            uri,
            media_type: Some("image/png".into())
        })),
    ]
}

fn model_block() -> impl Strategy<Value = Block> {
    prop_oneof![
        text().prop_map(Block::Text),
        (text(), "[A-Za-z0-9]{4,10}").prop_map(|(text, value)| Block::Thinking {
            text,
            signature: Some(Signature {
                origin: Family::Gemini,
                value
            }),
        }),
    ]
}

/// Sampling values as clients write them. (serde_json's default float parser is not exact on
/// 17-digit values; two decimals always read back as written.)
fn finite() -> impl Strategy<Value = Option<f64>> {
    prop::option::of((-200i32..200).prop_map(|n| f64::from(n) / 100.0))
}

prop_compose! {
    fn arb_request()(
        turns in prop::collection::vec(
            (prop::collection::vec(user_block(), 1..4), prop::collection::vec(model_block(), 1..4)),
            1..4,
        ),
        system in prop::collection::vec(text().prop_map(Block::Text), 0..3),
        tools in prop::collection::vec(("[a-z_]{1,8}", prop::option::of(text())), 0..3),
        choice in prop::option::of(prop_oneof![
            Just(ToolChoice::Auto), Just(ToolChoice::None), Just(ToolChoice::Required),
            "[a-z]{1,5}".prop_map(ToolChoice::Named),
        ]),
        temperature in finite(),
        top_p in finite(),
        top_k in prop::option::of(1u32..100),
        max_tokens in prop::option::of(1u32..100_000),
        stop in prop::collection::vec(text(), 0..3),
        seed in prop::option::of(any::<i64>()),
        format in prop::option::of(prop_oneof![
            Just(ResponseFormat::Text),
            Just(ResponseFormat::JsonObject),
            Just(ResponseFormat::JsonSchema {
                name: "response".into(),
                schema: r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.into(),
                strict: None,
            }),
        ]),
        budget in prop::option::of(0i64..=32768),
        include in any::<bool>(),
    ) -> Request {
        let mut messages = Vec::new();
        for (u, m) in turns {
            messages.push(Message { role: Role::User, content: u });
            messages.push(Message { role: Role::Assistant, content: m });
        }
        let has_tools = !tools.is_empty();
        Request {
            model: "gemini-2.5-flash".into(),
            system,
            messages,
            tools: tools.into_iter().map(|(name, description)| Tool {
                name,
                description,
                parameters: r#"{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}"#.into(),
            }).collect(),
            tool_choice: choice.filter(|_| has_tools),
            sampling: Sampling {
                temperature, top_p, top_k, max_tokens, stop, seed,
                presence_penalty: None, frequency_penalty: None,
            },
            response_format: format,
            reasoning: budget.map(|b| Reasoning {
                effort: None,
                budget: Some(b),
                include_thoughts: Some(include),
            }),
            ..Request::default()
        }
    }
}

proptest! {
    #[test]
    fn supported_requests_round_trip(ir in arb_request()) {
        let body = encode_request(&ir, "gemini-2.5-flash").unwrap();
        let again = decode_request(&body, "gemini-2.5-flash").unwrap();
        prop_assert_eq!(again, ir);
    }

    #[test]
    fn decoders_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_request(&bytes, "m");
        let _ = decode_response(&bytes);
        let _ = crate::translate::gemini::decode_count_tokens(&bytes, "m");
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let mut framer = sse::Framer::new();
        framer.push(&bytes);
        while let Ok(Some(frame)) = framer.next_frame() {
            let _ = dec.push(&sse::parse(&frame), &mut out);
        }
        dec.finish(&mut out);
    }

    #[test]
    fn decoders_never_panic_on_gemini_shaped_json(v in gemini_json()) {
        let body = v.to_string();
        if let Ok(req) = decode_request(body.as_bytes(), "m") {
            let _ = encode_request(&req, "gemini-3-pro");
        }
        if let Ok(resp) = decode_response(body.as_bytes()) {
            let _ = crate::translate::gemini::encode_response(&resp);
        }
        let mut dec = StreamDecoder::new();
        let mut out = Vec::new();
        let frame = format!("data: {body}\n\n");
        let _ = dec.push(&sse::parse(frame.as_bytes()), &mut out);
        let _ = dec.push(&sse::parse(frame.as_bytes()), &mut out);
        dec.finish(&mut out);
        let mut enc = StreamEncoder::new("m", "r");
        let mut bytes = BytesMut::new();
        for ev in &out {
            enc.push(ev, &mut bytes);
        }
        enc.finish(&mut bytes);
    }

    #[test]
    fn the_encoder_never_panics_and_its_array_is_json(events in prop::collection::vec(arb_event(), 0..24)) {
        let mut enc = StreamEncoder::new("m", "r").with_json_array();
        let mut out = BytesMut::new();
        for ev in &events {
            enc.push(ev, &mut out);
        }
        enc.finish(&mut out);
        let parsed: Result<Value, _> = serde_json::from_slice(&out);
        prop_assert!(parsed.is_ok(), "{}", String::from_utf8_lossy(&out));
    }
}

/// JSON built from Gemini's vocabulary, so the decoders get past the outer shape.
fn gemini_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(|n| json!(n)),
        Just(json!(1.5)),
        prop_oneof![
            Just("user"),
            Just("model"),
            Just("STOP"),
            Just("ANY"),
            Just("HIGH"),
            Just("skip_thought_signature_validator"),
            Just("application/json"),
            Just(""),
            Just("x")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        let keys = prop_oneof![
            Just("contents"),
            Just("role"),
            Just("parts"),
            Just("text"),
            Just("thought"),
            Just("thoughtSignature"),
            Just("functionCall"),
            Just("functionResponse"),
            Just("name"),
            Just("args"),
            Just("response"),
            Just("id"),
            Just("inlineData"),
            Just("fileData"),
            Just("mimeType"),
            Just("data"),
            Just("fileUri"),
            Just("candidates"),
            Just("content"),
            Just("finishReason"),
            Just("usageMetadata"),
            Just("promptTokenCount"),
            Just("systemInstruction"),
            Just("tools"),
            Just("functionDeclarations"),
            Just("parameters"),
            Just("toolConfig"),
            Just("functionCallingConfig"),
            Just("mode"),
            Just("generationConfig"),
            Just("thinkingConfig"),
            Just("thinkingBudget"),
            Just("responseSchema"),
            Just("error"),
            Just("promptFeedback"),
            Just("blockReason"),
            Just("executableCode"),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn arb_event() -> impl Strategy<Value = Event> {
    let idx = 0usize..4;
    prop_oneof![
        Just(Event::Start {
            id: "i".into(),
            model: "m".into()
        }),
        (
            idx.clone(),
            prop_oneof![
                Just(BlockKind::Text),
                Just(BlockKind::Thinking),
                "[a-z]{1,3}".prop_map(|n| BlockKind::ToolCall {
                    id: "c".into(),
                    name: n
                }),
                Just(BlockKind::RedactedThinking { data: "d".into() }),
            ]
        )
            .prop_map(|(index, kind)| Event::BlockStart { index, kind }),
        (
            idx.clone(),
            prop_oneof![
                ".{0,6}".prop_map(Delta::Text),
                ".{0,6}".prop_map(Delta::Thinking),
                ".{0,6}".prop_map(Delta::ToolArguments),
                prop_oneof![Just(Family::Gemini), Just(Family::Claude)].prop_map(|origin| {
                    Delta::Signature(Signature {
                        origin,
                        value: "s".into(),
                    })
                }),
            ]
        )
            .prop_map(|(index, delta)| Event::Delta { index, delta }),
        idx.prop_map(|index| Event::BlockStop { index }),
        (0u64..100, 0u64..100).prop_map(|(a, b)| Event::Usage(Usage {
            input: a,
            output: b,
            reasoning: b / 2,
            ..Usage::default()
        })),
        prop_oneof![
            Just(StopReason::EndTurn),
            Just(StopReason::ToolUse),
            ".{0,4}".prop_map(StopReason::Other)
        ]
        .prop_map(|stop| Event::Finish { stop }),
        ".{0,8}".prop_map(|message| Event::Error { message }),
    ]
}

#[test]
fn effort_only_reasoning_round_trips_through_gemini_3_levels() {
    for effort in [Effort::Minimal, Effort::Low, Effort::Medium, Effort::High] {
        let ir = Request {
            model: "gemini-3-pro".into(),
            messages: vec![Message {
                role: Role::User,
                content: vec![Block::Text("x".into())],
            }],
            reasoning: Some(Reasoning {
                effort: Some(effort),
                budget: None,
                include_thoughts: Some(true),
            }),
            ..Request::default()
        };
        let again = decode_request(
            &encode_request(&ir, "gemini-3-pro").unwrap(),
            "gemini-3-pro",
        )
        .unwrap();
        assert_eq!(again, ir, "{effort}");
    }
}
