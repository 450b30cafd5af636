//! Property tests: decoders never panic on arbitrary input, the client stream keeps its
//! invariants for arbitrary IR event sequences, and requests round-trip through Codex bodies.

use proptest::prelude::*;
use serde_json::json;

use super::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        ..ProptestConfig::default()
    }
}

const KEYS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "type",
    "role",
    "content",
    "text",
    "call_id",
    "name",
    "namespace",
    "arguments",
    "output",
    "summary",
    "encrypted_content",
    "image_url",
    "file_id",
    "tools",
    "tool_choice",
    "reasoning",
    "effort",
    "format",
    "schema",
    "response",
    "item",
    "item_id",
    "output_index",
    "content_index",
    "summary_index",
    "delta",
    "status",
    "usage",
    "input_tokens",
    "part",
    "error",
    "message",
];

const VALUES: &[&str] = &[
    "message",
    "function_call",
    "function_call_output",
    "reasoning",
    "user",
    "assistant",
    "developer",
    "input_text",
    "output_text",
    "input_image",
    "function",
    "namespace",
    "data:image/png;base64,AAAA",
    "https://x/y.png",
    "response.output_item.added",
    "response.output_text.delta",
    "response.completed",
    "incomplete",
];

/// Arbitrary JSON, biased towards the keys and values this codec reads so that generated
/// documents reach deep into the decoders.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (0u64..5).prop_map(serde_json::Value::from),
        prop::sample::select(VALUES).prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

const EVENT_TYPES: [&str; 18] = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
];

/// IR event sequences in the shape every stream decoder produces: blocks opened in index
/// order, deltas of the block's kind, any of them left open, usage and finish at the end.
fn arb_events() -> impl Strategy<Value = Vec<ir::Event>> {
    let block = (0..4usize, prop::collection::vec(".{0,6}", 0..4));
    (
        prop::collection::vec((block, any::<bool>()), 0..6),
        any::<bool>(),
        0..4u8,
    )
        .prop_map(|(blocks, with_usage, ending)| {
            let mut out = vec![ir::Event::Start {
                id: "up".into(),
                model: "m".into(),
            }];
            for (index, ((kind, parts), close)) in blocks.into_iter().enumerate() {
                let (kind, make): (ir::BlockKind, fn(String) -> ir::Delta) = match kind {
                    0 => (ir::BlockKind::Text, ir::Delta::Text),
                    1 => (ir::BlockKind::Thinking, ir::Delta::Thinking),
                    2 => (
                        ir::BlockKind::ToolCall {
                            id: format!("call_{index}"),
                            name: "ns__f".into(),
                        },
                        ir::Delta::ToolArguments,
                    ),
                    _ => (
                        ir::BlockKind::RedactedThinking { data: "r".into() },
                        ir::Delta::Text,
                    ),
                };
                out.push(ir::Event::BlockStart { index, kind });
                out.extend(parts.into_iter().map(|p| ir::Event::Delta {
                    index,
                    delta: make(p),
                }));
                if close {
                    out.push(ir::Event::BlockStop { index });
                }
            }
            if with_usage {
                out.push(ir::Event::Usage(ir::Usage {
                    input: 3,
                    output: 4,
                    ..ir::Usage::default()
                }));
            }
            match ending {
                0 => out.push(ir::Event::Finish {
                    stop: ir::StopReason::EndTurn,
                }),
                1 => out.push(ir::Event::Finish {
                    stop: ir::StopReason::MaxTokens,
                }),
                2 => out.push(ir::Event::Error {
                    message: "boom".into(),
                }),
                _ => {}
            }
            out
        })
}

/// Requests in the subset the Codex encoding round-trips exactly: no two assistant turns in a
/// row, tool results alone in their user turn and named after an earlier call, no empty
/// turns, mid-conversation system turns only after the conversation started, reasoning only
/// as Responses items with encrypted content, parameters as JSON objects.
fn arb_request() -> impl Strategy<Value = ir::Request> {
    let text = "[^\u{0}]{1,12}".prop_map(|s: String| ir::Block::Text(s));
    let image = prop_oneof![
        "[A-Za-z0-9+/]{4,16}".prop_map(|data| ir::Image::Base64 {
            media_type: "image/png".into(),
            data
        }),
        "[a-z]{1,8}".prop_map(|p| ir::Image::Url(format!("https://example.com/{p}.png"))),
        "[A-Za-z0-9]{4,10}".prop_map(|f| ir::Image::File {
            uri: format!("file-{f}"),
            media_type: None
        }),
    ];
    let user_block = prop_oneof![3 => text.clone(), 1 => image.prop_map(ir::Block::image)];
    let thinking = "[^\u{0}]{0,10}".prop_map(|t: String| {
        let summary = if t.is_empty() {
            json!([])
        } else {
            json!([{"type": "summary_text", "text": t}])
        };
        ir::Block::Thinking {
            text: t,
            signature: Some(ir::Signature {
                origin: ir::Family::Responses,
                value: json!({"type": "reasoning", "id": "rs_1", "summary": summary, "encrypted_content": "enc"})
                    .to_string(),
            }),
        }
    });
    let args = prop_oneof![Just("{}"), Just(r#"{"a":1}"#), Just(r#"{ "q" : "x y" }"#)];
    let assistant_block = prop_oneof![
        2 => text.clone(),
        1 => thinking,
        2 => ("[a-z]{1,6}", "[a-z_]{1,8}", args).prop_map(|(id, name, a)| ir::Block::ToolCall {
            id: format!("call_{id}"),
            name,
            arguments: a.to_owned(),
        }),
    ];
    let turn = prop_oneof![
        prop::collection::vec(user_block, 1..4).prop_map(|c| (0u8, c)),
        prop::collection::vec(assistant_block, 1..4).prop_map(|c| (1u8, c)),
        prop::collection::vec(text.clone(), 1..3).prop_map(|c| (2u8, c)),
        prop::collection::vec(
            ("[a-z]{1,6}", prop::collection::vec(text.clone(), 0..3)),
            1..3
        )
        .prop_map(|results| {
            (
                3u8,
                results
                    .into_iter()
                    .map(|(id, content)| ir::Block::ToolResult {
                        call_id: format!("call_{id}"),
                        name: None,
                        content,
                        is_error: false,
                    })
                    .collect(),
            )
        }),
    ];
    let schema = prop_oneof![
        Just(r#"{"type":"object","properties":{}}"#),
        Just(r#"{ "type": "object", "properties": { "q": {"type": "string"} } }"#),
    ];
    let tools = prop::collection::vec(
        (
            "[a-z_]{1,8}",
            proptest::option::of("[^\u{0}]{0,10}"),
            schema,
        ),
        0..3,
    );
    let choice = proptest::option::of(prop_oneof![
        Just(ir::ToolChoice::Auto),
        Just(ir::ToolChoice::None),
        Just(ir::ToolChoice::Required),
        "[a-z]{1,6}".prop_map(ir::ToolChoice::Named),
    ]);
    let effort = proptest::option::of(prop_oneof![
        Just(ir::Effort::None),
        Just(ir::Effort::Minimal),
        Just(ir::Effort::Low),
        Just(ir::Effort::Medium),
        Just(ir::Effort::High),
        Just(ir::Effort::XHigh),
    ]);
    let reasoning = proptest::option::of(effort.prop_map(|effort| ir::Reasoning {
        effort,
        budget: None,
        include_thoughts: Some(true),
    }));
    let format = proptest::option::of(prop_oneof![
        Just(ir::ResponseFormat::Text),
        Just(ir::ResponseFormat::JsonObject),
        ("[a-z]{1,6}", proptest::option::of(any::<bool>())).prop_map(|(name, strict)| {
            ir::ResponseFormat::JsonSchema {
                name,
                schema: r#"{"type":"object"}"#.into(),
                strict,
            }
        }),
    ]);
    (
        "[a-z0-9.-]{1,10}",
        prop::collection::vec(text, 0..3),
        prop::collection::vec(turn, 0..8),
        tools,
        choice,
        any::<bool>(),
        reasoning,
        format,
        proptest::option::of("[a-z0-9-]{1,10}"),
    )
        .prop_map(
            |(model, system, turns, tools, tool_choice, parallel, reasoning, format, user)| {
                let mut messages: Vec<ir::Message> = Vec::new();
                let mut calls: Vec<(String, String)> = Vec::new();
                for (kind, mut content) in turns {
                    let previous = messages.last();
                    let role = match kind {
                        0 => ir::Role::User,
                        1 if previous.is_some_and(|m| m.role == ir::Role::Assistant) => continue,
                        1 => ir::Role::Assistant,
                        2 if messages.is_empty() => continue,
                        2 => ir::Role::System,
                        _ => {
                            let after_results = previous.is_some_and(|m| {
                                m.role == ir::Role::User
                                    && m.content
                                        .iter()
                                        .all(|b| matches!(b, ir::Block::ToolResult { .. }))
                            });
                            if after_results {
                                continue;
                            }
                            for block in &mut content {
                                if let ir::Block::ToolResult { call_id, name, .. } = block {
                                    *name = calls
                                        .iter()
                                        .rev()
                                        .find(|(id, _)| id == call_id)
                                        .map(|(_, n)| n.clone());
                                }
                            }
                            ir::Role::User
                        }
                    };
                    for block in &content {
                        if let ir::Block::ToolCall { id, name, .. } = block {
                            calls.push((id.clone(), name.clone()));
                        }
                    }
                    messages.push(ir::Message { role, content });
                }
                ir::Request {
                    model,
                    system,
                    messages,
                    tools: tools
                        .into_iter()
                        .map(|(name, description, parameters)| ir::Tool {
                            name,
                            description,
                            parameters: parameters.to_owned(),
                        })
                        .collect(),
                    tool_choice,
                    parallel_tool_calls: Some(parallel),
                    sampling: ir::Sampling::default(),
                    response_format: format,
                    reasoning,
                    stream: true,
                    n: None,
                    user,
                }
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn request_decoder_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_request(&bytes);
        let _ = namespaces(&bytes);
    }

    #[test]
    fn request_decoder_never_panics_on_json(v in arb_json()) {
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(ir) = decode_request(&body) {
            // Whatever decodes must encode for both targets without panicking.
            let _ = encode_request(&ir, "m");
            let _ = encode_request_for(&ir, "m", Target::OpenAi);
        }
        let wrapped = serde_json::to_vec(&json!({"model": "m", "input": [v.clone()], "tools": [v]})).unwrap();
        let _ = decode_request(&wrapped);
    }

    #[test]
    fn response_decoder_never_panics(v in arb_json(), bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = decode_response(&bytes);
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(resp) = decode_response(&body) {
            let _ = encode_response(&resp);
        }
        let wrapped = serde_json::to_vec(&json!({"id": "r", "output": [v]})).unwrap();
        let _ = decode_response(&wrapped);
    }

    #[test]
    fn stream_decoder_never_panics(
        events in prop::collection::vec((0..EVENT_TYPES.len(), arb_json()), 0..12),
        noise in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut body = Vec::new();
        for (kind, mut data) in events {
            let kind = EVENT_TYPES[kind];
            if let serde_json::Value::Object(map) = &mut data {
                map.insert("type".into(), kind.into());
            }
            body.extend_from_slice(format!("event: {kind}\ndata: {data}\n\n").as_bytes());
        }
        let mut decoder = StreamDecoder::new();
        let mut out = Vec::new();
        let mut framer = sse::Framer::new();
        framer.push(&body);
        framer.push(&noise);
        while let Ok(Some(frame)) = framer.next_frame() {
            let _ = decoder.push(&sse::parse(&frame), &mut out);
        }
        decoder.finish(&mut out);
        // Whatever comes out is a well-formed lifecycle the encoder accepts.
        let mut started = std::collections::BTreeSet::new();
        for ev in &out {
            if let ir::Event::BlockStart { index, .. } = ev {
                prop_assert!(started.insert(*index), "block {} opened twice", index);
            }
        }
        let _ = encode_stream(StreamEncoder::new("m", "r"), &out);
    }

    #[test]
    fn client_stream_sequence_numbers_strictly_increase(events in arb_events()) {
        let encoder = StreamEncoder::new("alias", "resp_p").with_namespaces(vec!["ns".into()]);
        let body = encode_stream(encoder, &events);
        let frames = frames(&body);
        prop_assert!(frames.len() >= 3);
        for (i, (event, data)) in frames.iter().enumerate() {
            prop_assert_eq!(&data["sequence_number"], &json!(i));
            prop_assert_eq!(event.as_deref(), data["type"].as_str());
        }
        let terminal = frames.iter().filter(|f| {
            matches!(f.1["type"].as_str(), Some("response.completed" | "response.incomplete" | "response.failed"))
        }).count();
        prop_assert_eq!(terminal, 1);
    }

    #[test]
    fn requests_round_trip_through_codex_bodies(ir in arb_request()) {
        let body = encode_request(&ir, &ir.model).unwrap();
        let back = decode_request(&body).unwrap();
        prop_assert_eq!(back, ir);
    }
}
