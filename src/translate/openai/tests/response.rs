use super::{fixture, golden_json};
use crate::error::Kind;
use crate::ir::{self, Block, Family, Image, Signature, StopReason, Usage};
use crate::translate::openai::{decode_response, encode_response};

const CASES: &[&str] = &[
    "text",
    "tool_calls",
    "reasoning_cached",
    "refusal",
    "length",
];

fn decode_case(case: &str) -> ir::Response {
    decode_response(&fixture(&format!("response/{case}.json")))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
}

#[test]
fn every_response_fixture_reencodes_to_its_golden_client_body() {
    for case in CASES {
        let mut resp = decode_case(case);
        resp.model = "client-model".into();
        golden_json(
            &format!("response/{case}.client.json"),
            &encode_response(&resp),
        );
    }
}

#[test]
fn text_response_and_usage() {
    let resp = decode_case("text");
    assert_eq!(
        resp,
        ir::Response {
            id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT".into(),
            model: "gpt-4.1-2025-04-14".into(),
            created: 1_741_569_952,
            content: vec![Block::Text("Hello! How can I assist you today?".into())],
            stop: StopReason::EndTurn,
            usage: Usage {
                input: 19,
                output: 10,
                ..Usage::default()
            },
        }
    );
}

#[test]
fn tool_calls_keep_their_argument_text_byte_for_byte() {
    let resp = decode_case("tool_calls");
    assert_eq!(resp.stop, StopReason::ToolUse);
    assert_eq!(
        resp.content,
        vec![
            Block::ToolCall {
                id: "call_abc123".into(),
                name: "get_current_weather".into(),
                arguments: "{\n\"location\": \"Boston, MA\"\n}".into(),
            },
            Block::ToolCall {
                id: "call_def456".into(),
                name: "get_current_weather".into(),
                arguments: r#"{"location":"Paris, France"}"#.into(),
            },
        ]
    );
}

#[test]
fn reasoning_content_and_cache_and_reasoning_tokens() {
    let resp = decode_case("reasoning_cached");
    assert!(matches!(
        &resp.content[0],
        Block::Thinking { text, signature: None } if text.starts_with("The user asks")
    ));
    assert_eq!(
        resp.content[1],
        Block::Text("There are three Rs in \"strawberry\".".into())
    );
    assert_eq!(
        resp.usage,
        Usage {
            input: 2048,
            output: 350,
            cache_read: 1920,
            cache_write: 0,
            reasoning: 310,
        }
    );
}

#[test]
fn refusal_is_text_with_a_refusal_stop() {
    let resp = decode_case("refusal");
    assert_eq!(
        resp.content,
        vec![Block::Text(
            "I'm sorry, I cannot assist with that request.".into()
        )]
    );
    assert_eq!(resp.stop, StopReason::Refusal);
}

#[test]
fn length_stop_reads_choice_zero_and_deepseek_cache_hits() {
    let resp = decode_case("length");
    assert_eq!(resp.stop, StopReason::MaxTokens);
    assert_eq!(
        resp.content,
        vec![Block::Text("Once upon a time, in a land far".into())]
    );
    assert_eq!(resp.usage.cache_read, 4);
}

#[test]
fn stop_reasons_map_both_ways() {
    for (reason, stop) in [
        ("stop", StopReason::EndTurn),
        ("length", StopReason::MaxTokens),
        ("tool_calls", StopReason::ToolUse),
        ("function_call", StopReason::ToolUse),
        ("content_filter", StopReason::ContentFilter),
        (
            "insufficient_system_resource",
            StopReason::Other("insufficient_system_resource".into()),
        ),
    ] {
        let body = format!(
            r#"{{"id":"x","choices":[{{"index":0,"message":{{"content":"a"}},"finish_reason":"{reason}"}}]}}"#
        );
        assert_eq!(
            decode_response(body.as_bytes()).unwrap().stop,
            stop,
            "{reason}"
        );
    }
    let encoded = |stop: StopReason, content: Vec<Block>| {
        let resp = ir::Response {
            id: "x".into(),
            model: "m".into(),
            created: 0,
            content,
            stop,
            usage: Usage::default(),
        };
        let v: serde_json::Value = serde_json::from_slice(&encode_response(&resp)).unwrap();
        v["choices"][0]["finish_reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let call = || {
        vec![Block::ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: "{}".into(),
        }]
    };
    assert_eq!(encoded(StopReason::EndTurn, vec![]), "stop");
    assert_eq!(encoded(StopReason::EndTurn, call()), "tool_calls");
    assert_eq!(encoded(StopReason::ToolUse, call()), "tool_calls");
    assert_eq!(encoded(StopReason::MaxTokens, vec![]), "length");
    assert_eq!(
        encoded(StopReason::StopSequence(Some("X".into())), vec![]),
        "stop"
    );
    assert_eq!(encoded(StopReason::ContentFilter, vec![]), "content_filter");
    assert_eq!(encoded(StopReason::Refusal, vec![]), "content_filter");
    assert_eq!(
        encoded(StopReason::Other("SAFETY_X".into()), vec![]),
        "stop"
    );
}

#[test]
fn tool_calls_that_end_with_stop_are_tool_use_and_missing_ids_are_derived() {
    let body = br#"{"id":"gen-1","choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}]}"#;
    let resp = decode_response(body).unwrap();
    assert_eq!(resp.stop, StopReason::ToolUse);
    let Block::ToolCall { id, .. } = &resp.content[0] else {
        panic!()
    };
    assert_eq!(
        *id,
        crate::translate::ids::tool_call_id("call_", "gen-1", 0)
    );
}

#[test]
fn unusable_upstream_bodies_are_upstream_errors() {
    for (body, needle) in [
        (
            &br#"{"error":{"message":"Rate limit reached","type":"requests"}}"#[..],
            "Rate limit reached",
        ),
        (br#"{"error":"overloaded"}"#, "overloaded"),
        (br#"{"id":"x","choices":[]}"#, "no choice 0"),
        (br#"{"id":"x"}"#, "no `choices`"),
        (br#"{"id":"x","choices":[{"message":{"tool_calls":[{"id":"c","function":{"arguments":"{}"}}]}}]}"#, "without a name"),
        (b"not json", "invalid chat completion"),
    ] {
        let err = decode_response(body).unwrap_err();
        assert_eq!(err.kind, Kind::UpstreamProtocol);
        assert!(err.message.contains(needle), "{}", err.message);
    }
}

#[test]
fn rich_ir_response_encodes_for_an_openai_client() {
    let resp = ir::Response {
        id: "msg_01XFDUDYJgAACzvnptvVoYEL".into(),
        model: "client-model".into(),
        created: 1_700_000_000,
        content: vec![
            Block::Thinking {
                text: "Let me think".into(),
                signature: Some(Signature {
                    origin: Family::Claude,
                    value: "sig".into(),
                }),
            },
            Block::Thinking {
                text: " harder.".into(),
                signature: None,
            },
            Block::RedactedThinking {
                data: "x".into(),
                origin: Family::Claude,
            },
            Block::Text("Here is a picture ".into()),
            Block::image(Image::Base64 {
                media_type: "image/png".into(),
                data: "iVBORw0KGgo=".into(),
            }),
            Block::Text("and a call.".into()),
            Block::ToolCall {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                arguments: r#"{"city": "Paris"}"#.into(),
            },
        ],
        stop: StopReason::ToolUse,
        usage: Usage {
            input: 100,
            output: 50,
            cache_read: 60,
            cache_write: 20,
            reasoning: 30,
        },
    };
    golden_json("encode/response_rich.client.json", &encode_response(&resp));
}

/// A tool-use answer with `content`, encoded for the client.
fn encode_tool_use(content: Vec<Block>) -> serde_json::Value {
    let resp = ir::Response {
        id: "x".into(),
        model: "m".into(),
        created: 1,
        content,
        stop: StopReason::ToolUse,
        usage: Usage::default(),
    };
    serde_json::from_slice(&encode_response(&resp)).unwrap()
}

fn call() -> Block {
    Block::ToolCall {
        id: "c".into(),
        name: "f".into(),
        arguments: "{}".into(),
    }
}

#[test]
fn only_tool_calls_mean_null_content() {
    let v = encode_tool_use(vec![call()]);
    let message = &v["choices"][0]["message"];
    assert!(message["content"].is_null());
    assert!(message.get("reasoning_content").is_none());
    assert_eq!(message["tool_calls"][0]["type"], "function");
    assert_eq!(v["usage"]["total_tokens"], 0);
}

#[test]
fn a_signature_carrier_adds_no_reasoning_content() {
    let carrier = Block::Thinking {
        text: String::new(),
        signature: Some(Signature {
            origin: Family::Gemini,
            value: "sig".into(),
        }),
    };
    let v = encode_tool_use(vec![carrier, call()]);
    assert!(v["choices"][0]["message"]
        .get("reasoning_content")
        .is_none());
}
