use super::{fixture, golden_json};
use crate::error::Kind;
use crate::ir::{
    self, Block, Effort, Family, Image, Message, Reasoning, ResponseFormat, Role, Sampling,
    Signature, Tool, ToolChoice,
};
use crate::translate::openai::{decode_request, encode_request};

const CASES: &[&str] = &[
    "text",
    "multi_turn",
    "image",
    "tools",
    "reasoning",
    "structured_output",
    "legacy_functions",
    "python_sdk_stream",
];

fn decode_case(case: &str) -> ir::Request {
    decode_request(&fixture(&format!("request/{case}.json")))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn text(s: &str) -> Block {
    Block::Text(s.to_owned())
}

fn user(blocks: Vec<Block>) -> Message {
    Message {
        role: Role::User,
        content: blocks,
    }
}

fn assistant(blocks: Vec<Block>) -> Message {
    Message {
        role: Role::Assistant,
        content: blocks,
    }
}

fn call(id: &str, name: &str, arguments: &str) -> Block {
    Block::ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

fn result(call_id: &str, name: Option<&str>, content: Vec<Block>) -> Block {
    Block::ToolResult {
        call_id: call_id.into(),
        name: name.map(str::to_owned),
        content,
        is_error: false,
    }
}

#[test]
fn every_request_fixture_translates_to_its_golden_upstream_body() {
    for case in CASES {
        let req = decode_case(case);
        let body = encode_request(&req, "upstream-model").unwrap();
        golden_json(&format!("request/{case}.upstream.json"), &body);
    }
}

#[test]
fn leading_developer_message_becomes_system() {
    let req = decode_case("text");
    assert_eq!(req.model, "gpt-4.1");
    assert_eq!(req.system, vec![text("You are a helpful assistant.")]);
    assert_eq!(req.messages, vec![user(vec![text("Hello!")])]);
    assert!(!req.stream);
}

#[test]
fn later_system_messages_stay_in_place_and_sampling_is_read() {
    let req = decode_case("multi_turn");
    assert_eq!(
        req.system,
        vec![
            text("You are a terse assistant."),
            text("Answer in French.")
        ]
    );
    assert_eq!(
        req.messages,
        vec![
            user(vec![text("Who won the world series in 2020?")]),
            assistant(vec![text("Les Dodgers de Los Angeles.")]),
            user(vec![text("Where was it played?")]),
            Message {
                role: Role::System,
                content: vec![text("Keep it under ten words.")],
            },
        ]
    );
    assert_eq!(
        req.sampling,
        Sampling {
            temperature: Some(0.7),
            top_p: Some(0.9),
            max_tokens: Some(200),
            ..Sampling::default()
        }
    );
    assert_eq!(req.user.as_deref(), Some("user-1234"));
}

#[test]
fn image_urls_become_url_and_base64_images() {
    let req = decode_case("image");
    let content = &req.messages[0].content;
    assert!(
        matches!(&content[1], Block::Image { image: Image::Url(u), .. } if u.starts_with("https://upload.wikimedia.org/"))
    );
    assert_eq!(
        content[2],
        Block::image(Image::Base64 {
            media_type: "image/png".into(),
            data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==".into(),
        })
    );
    assert_eq!(req.sampling.max_tokens, Some(300));
}

#[test]
fn parallel_calls_keep_exact_arguments_and_results_are_grouped_with_names() {
    let req = decode_case("tools");
    assert_eq!(
        req.messages[1],
        assistant(vec![
            call(
                "call_abc123",
                "get_current_weather",
                r#"{"location": "Boston, MA"}"#
            ),
            call(
                "call_def456",
                "get_current_weather",
                r#"{"location":"Paris, France","unit":"celsius"}"#
            ),
        ])
    );
    assert_eq!(
        req.messages[2],
        user(vec![
            result(
                "call_abc123",
                Some("get_current_weather"),
                vec![text(r#"{"temperature": 22, "unit": "fahrenheit"}"#)]
            ),
            result(
                "call_def456",
                Some("get_current_weather"),
                vec![text(r#"{"temperature": 14, "unit": "celsius"}"#)]
            ),
        ])
    );
    assert_eq!(
        req.messages[3],
        user(vec![text("Thanks! Which one is warmer?")])
    );
    assert_eq!(req.messages.len(), 4);
    assert_eq!(req.tools.len(), 2);
    assert!(req.tools[0]
        .parameters
        .starts_with("{\n          \"type\": \"object\""));
    assert_eq!(
        req.tools[1].parameters,
        r#"{"type":"object","properties":{}}"#
    );
    assert_eq!(req.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(req.parallel_tool_calls, Some(true));
}

#[test]
fn reasoning_content_is_unsigned_thinking_and_effort_is_read() {
    let req = decode_case("reasoning");
    assert_eq!(
        req.messages[1].content[0],
        Block::Thinking {
            text: "Compare the decimals: 0.8 > 0.11.".into(),
            signature: None,
        }
    );
    assert_eq!(
        req.reasoning,
        Some(Reasoning {
            effort: Some(Effort::High),
            ..Reasoning::default()
        })
    );
    assert_eq!(
        req.sampling.max_tokens,
        Some(8192),
        "max_completion_tokens wins"
    );
}

#[test]
fn structured_output_and_sampling_fields_are_read() {
    let req = decode_case("structured_output");
    let Some(ResponseFormat::JsonSchema {
        name,
        schema,
        strict,
    }) = &req.response_format
    else {
        panic!("json_schema expected: {:?}", req.response_format)
    };
    assert_eq!(name, "math_reasoning");
    assert!(schema.starts_with('{') && schema.contains("\"final_answer\""));
    assert_eq!(*strict, Some(true));
    assert_eq!(
        req.sampling.stop,
        vec!["\n\n\n".to_owned(), "END".to_owned()]
    );
    assert_eq!(req.sampling.seed, Some(42));
    assert_eq!(req.sampling.presence_penalty, Some(0.5));
    assert_eq!(req.sampling.frequency_penalty, Some(-0.25));
    assert_eq!(req.n, Some(1));
    assert!(req.stream);
}

#[test]
fn legacy_functions_map_onto_tool_calls_and_results() {
    let req = decode_case("legacy_functions");
    let Block::ToolCall {
        id,
        name,
        arguments,
    } = &req.messages[1].content[0]
    else {
        panic!("tool call expected")
    };
    assert_eq!(name, "get_current_weather");
    assert_eq!(arguments, r#"{"location":"Boston, MA"}"#);
    assert!(id.starts_with("call_"));
    assert_eq!(
        req.messages[2],
        user(vec![result(
            id,
            Some("get_current_weather"),
            vec![text(r#"{"temperature":"72","forecast":["sunny","windy"]}"#)]
        )])
    );
    assert_eq!(req.tools[0].name, "get_current_weather");
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice::Named("get_current_weather".into()))
    );
    // Deterministic: the same body gives the same id.
    assert_eq!(decode_case("legacy_functions"), req);
}

#[test]
fn sdk_body_with_empty_content_and_named_choice() {
    let req = decode_case("python_sdk_stream");
    assert_eq!(
        req.messages[1],
        assistant(vec![call("call_Xk2p", "list_dir", r#"{"path":"."}"#)]),
        "an empty content string next to tool calls is not a text block"
    );
    assert_eq!(req.tool_choice, Some(ToolChoice::Named("list_dir".into())));
    assert!(req.stream);
}

#[test]
fn tool_choice_variants() {
    for (choice, expected) in [
        (r#""none""#, ToolChoice::None),
        (r#""auto""#, ToolChoice::Auto),
        (r#""required""#, ToolChoice::Required),
        (
            r#"{"type":"function","function":{"name":"f"}}"#,
            ToolChoice::Named("f".into()),
        ),
    ] {
        let body = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":"x"}}],"tool_choice":{choice}}}"#
        );
        let req = decode_request(body.as_bytes()).unwrap();
        assert_eq!(req.tool_choice, Some(expected), "{choice}");
    }
}

fn rejects(body: &str, needle: &str) {
    let err = decode_request(body.as_bytes()).expect_err(body);
    assert_eq!(err.kind, Kind::InvalidRequest, "{body}");
    assert!(
        err.message.contains(needle),
        "{body}: `{}` should mention `{needle}`",
        err.message
    );
}

#[test]
fn what_cannot_be_translated_is_a_clear_400() {
    let msg = |content: &str| {
        format!(r#"{{"model":"m","messages":[{{"role":"user","content":{content}}}]}}"#)
    };
    rejects(
        &msg(r#"[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]"#),
        "input_audio",
    );
    rejects(
        &msg(r#"[{"type":"file","file":{"file_id":"file-1"}}]"#),
        "file",
    );
    rejects(&msg(r#"[{"type":"video"}]"#), "`video`");
    rejects(
        &msg(r#"[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]"#),
        "image URLs",
    );
    rejects(
        &msg(r#"[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]"#),
        "base64",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}"#,
        "`web_search` tools",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{"name":"x","input":"y"}}]}]}"#,
        "`custom` tool calls",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}}"#,
        "allowed_tools",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}"#,
        "sometimes",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}"#,
        "extreme",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"critic","content":"x"}]}"#,
        "unknown role `critic`",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#,
        "tool_call_id",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}"#,
        "must follow",
    );
    rejects(
        r#"{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}"#,
        "only contain text",
    );
    rejects(r#"{"messages":[]}"#, "`model`");
    rejects(r#"{"model":"m"}"#, "`messages`");
    rejects(
        r#"{"model":"m","messages":[}"#,
        "invalid chat completion request",
    );
    rejects(r#"[1]"#, "invalid chat completion request");
}

#[test]
fn errors_name_the_message_they_concern() {
    rejects(
        r#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"file"}]}]}"#,
        "messages[1]",
    );
}

fn image_b64() -> Image {
    Image::Base64 {
        media_type: "image/jpeg".into(),
        data: "/9j/4AAQSkZJRg==".into(),
    }
}

/// A conversation as a Claude client would produce it: several system blocks, signed thinking,
/// a long tool id, results with images, a mid-conversation system message.
fn claude_like() -> ir::Request {
    let long_id = "toolu_01A09q90qw90lq917835lq9_with_a_very_long_suffix_x";
    ir::Request {
        model: "claude-sonnet-4-5".into(),
        system: vec![text("You are Claude Code."), text("Be concise.")],
        messages: vec![
            user(vec![text("Look at this and read the file."), Block::image(image_b64())]),
            assistant(vec![
                Block::Thinking {
                    text: "I should read it.".into(),
                    signature: Some(Signature {
                        origin: Family::Claude,
                        value: "EqQBCkYIBxgCKkA".into(),
                    }),
                },
                text("Reading "),
                text("now."),
                call(long_id, "Read", r#"{"file_path":"/tmp/a.png"}"#),
                call("toolu_2", "Bash", r#"{"command":"ls"}"#),
            ]),
            user(vec![
                Block::ToolResult {
                    call_id: long_id.into(),
                    name: None,
                    content: vec![text("Here is the image:"), Block::image(Image::Url("https://example.com/a.png".into()))],
                    is_error: false,
                },
                Block::ToolResult {
                    call_id: "toolu_2".into(),
                    name: None,
                    content: vec![text("a.png"), text("b.txt")],
                    is_error: true,
                },
                text("Continue."),
            ]),
            Message {
                role: Role::System,
                content: vec![text("Available agents: general-purpose.")],
            },
            assistant(vec![
                Block::RedactedThinking {
                    data: "opaque".into(),
                    origin: Family::Claude,
                },
                Block::Opaque {
                    origin: Family::Responses,
                    raw: "{}".into(),
                },
            ]),
            assistant(vec![text("Done.")]),
        ],
        tools: vec![Tool {
            name: "Read".into(),
            description: Some("Read a file".into()),
            parameters: r#"{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"],"$schema":"http://json-schema.org/draft-07/schema#"}"#.into(),
        }],
        tool_choice: Some(ToolChoice::Required),
        parallel_tool_calls: Some(false),
        sampling: Sampling {
            top_k: Some(40),
            max_tokens: Some(32000),
            stop: vec!["\n\nHuman:".into()],
            ..Sampling::default()
        },
        response_format: Some(ResponseFormat::JsonObject),
        reasoning: Some(Reasoning {
            effort: None,
            budget: Some(10_000),
            include_thoughts: Some(true),
        }),
        stream: true,
        n: None,
        user: Some("user_abc_session_1".into()),
    }
}

#[test]
fn claude_style_conversation_encodes_for_an_openai_upstream() {
    let body = encode_request(&claude_like(), "gpt-4.1").unwrap();
    golden_json("encode/claude_like.upstream.json", &body);
}

#[test]
fn long_tool_ids_are_shortened_identically_on_call_and_result() {
    let body = encode_request(&claude_like(), "gpt-4.1").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let call_id = v["messages"][2]["tool_calls"][0]["id"].as_str().unwrap();
    let result_id = v["messages"][3]["tool_call_id"].as_str().unwrap();
    assert_eq!(call_id, result_id);
    assert!(call_id.len() <= 40, "{call_id}");
    assert_eq!(v["messages"][2]["tool_calls"][1]["id"], "toolu_2");
}

#[test]
fn tool_settings_without_tools_and_neutral_efforts_are_omitted() {
    let mut req = ir::Request {
        model: "m".into(),
        messages: vec![user(vec![text("hi")])],
        tool_choice: Some(ToolChoice::Auto),
        parallel_tool_calls: Some(true),
        reasoning: Some(Reasoning {
            effort: Some(Effort::None),
            ..Reasoning::default()
        }),
        ..ir::Request::default()
    };
    let v: serde_json::Value = serde_json::from_slice(&encode_request(&req, "m").unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"model":"m","messages":[{"role":"user","content":"hi"}]})
    );
    for (effort, budget, expected) in [
        (Some(Effort::Auto), None, None),
        (Some(Effort::Max), None, Some("xhigh")),
        (Some(Effort::Minimal), Some(99_999), Some("minimal")),
        (None, Some(0), None),
        (None, Some(-1), None),
        (None, Some(800), Some("low")),
        (None, Some(30_000), Some("xhigh")),
    ] {
        req.reasoning = Some(Reasoning {
            effort,
            budget,
            include_thoughts: None,
        });
        let v: serde_json::Value =
            serde_json::from_slice(&encode_request(&req, "m").unwrap()).unwrap();
        assert_eq!(
            v.get("reasoning_effort").and_then(|e| e.as_str()),
            expected,
            "{effort:?} {budget:?}"
        );
    }
}

#[test]
fn what_an_openai_upstream_cannot_take_is_a_clear_400() {
    let base = ir::Request {
        model: "m".into(),
        ..ir::Request::default()
    };
    let file = ir::Request {
        messages: vec![user(vec![Block::image(Image::File {
            uri: "https://generativelanguage.googleapis.com/v1beta/files/abc".into(),
            media_type: Some("image/png".into()),
        })])],
        ..base.clone()
    };
    let err = encode_request(&file, "m").unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(err.message.contains("uploaded-file"), "{}", err.message);

    let schema = ir::Request {
        messages: vec![user(vec![text("x")])],
        tools: vec![Tool {
            name: "t".into(),
            description: None,
            parameters: "{not json".into(),
        }],
        ..base.clone()
    };
    let err = encode_request(&schema, "m").unwrap_err();
    assert!(err.message.contains("tool `t`"), "{}", err.message);

    let misplaced = ir::Request {
        messages: vec![user(vec![call("c", "f", "{}")])],
        ..base
    };
    assert!(encode_request(&misplaced, "m").is_err());
}

/// Rich IR values inside the subset OpenAI Chat carries without loss.
fn round_trip_cases() -> Vec<ir::Request> {
    let tools_conversation = ir::Request {
        model: "gpt-4.1".into(),
        system: vec![text("System prompt.")],
        messages: vec![
            user(vec![
                text("Weather in Boston and Paris?"),
                Block::image(image_b64()),
            ]),
            assistant(vec![
                text("Checking."),
                call("call_1", "weather", r#"{"city": "Boston"}"#),
                call("call_2", "weather", "{\"city\":\n\"Paris\"}"),
            ]),
            user(vec![
                result("call_1", Some("weather"), vec![text("22F")]),
                result("call_2", Some("weather"), vec![text("")]),
            ]),
            user(vec![
                text("And this one?"),
                Block::image(Image::Url("https://example.com/cat.png".into())),
            ]),
            Message {
                role: Role::System,
                content: vec![text("Answer briefly.")],
            },
        ],
        tools: vec![Tool {
            name: "weather".into(),
            description: Some("Get weather".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
        }],
        tool_choice: Some(ToolChoice::Named("weather".into())),
        parallel_tool_calls: Some(true),
        sampling: Sampling {
            temperature: Some(0.2),
            top_p: Some(0.5),
            top_k: None,
            max_tokens: Some(1024),
            stop: vec!["END".into(), "\n\n".into()],
            seed: Some(-7),
            presence_penalty: Some(0.1),
            frequency_penalty: Some(0.3),
        },
        response_format: Some(ResponseFormat::JsonSchema {
            name: "answer".into(),
            schema: r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#
                .into(),
            strict: Some(true),
        }),
        reasoning: Some(Reasoning {
            effort: Some(Effort::Medium),
            ..Reasoning::default()
        }),
        stream: true,
        n: Some(2),
        user: Some("u-1".into()),
    };
    let minimal = ir::Request {
        model: "m".into(),
        messages: vec![user(vec![text("hi")])],
        ..ir::Request::default()
    };
    let choices = [ToolChoice::Auto, ToolChoice::None, ToolChoice::Required]
        .into_iter()
        .map(|choice| ir::Request {
            tool_choice: Some(choice),
            response_format: Some(ResponseFormat::Text),
            reasoning: Some(Reasoning {
                effort: Some(Effort::XHigh),
                ..Reasoning::default()
            }),
            ..tools_conversation.clone()
        });
    let json_object = ir::Request {
        response_format: Some(ResponseFormat::JsonObject),
        stream: false,
        ..minimal.clone()
    };
    [tools_conversation.clone(), minimal, json_object]
        .into_iter()
        .chain(choices)
        .collect()
}

#[test]
fn decode_of_encode_is_identity_on_the_supported_subset() {
    for (i, req) in round_trip_cases().into_iter().enumerate() {
        let body = encode_request(&req, &req.model).unwrap();
        let back = decode_request(&body).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(back, req, "case {i}: {}", String::from_utf8_lossy(&body));
    }
}
