//! Request encoding (upstream bodies under Claude's rules) and decode∘encode round trips.

use super::*;
use crate::error::Kind;
use crate::ir::{Block, Effort, Family, Image, Reasoning, Role, ToolChoice};

const UPSTREAM_MODEL: &str = "claude-sonnet-4-5-20250929";

fn encoded(req: &ir::Request) -> Value {
    json(&encode_request(req, UPSTREAM_MODEL).unwrap())
}

fn encoded_with(req: &ir::Request, opts: EncodeOptions) -> Value {
    json(&encode_request_with(req, UPSTREAM_MODEL, &opts).unwrap())
}

fn base(messages: Vec<ir::Message>) -> ir::Request {
    ir::Request {
        model: "m".into(),
        messages,
        ..ir::Request::default()
    }
}

#[test]
fn every_request_fixture_encodes_to_its_golden_upstream_body() {
    for case in [
        "text",
        "multi_turn_system",
        "image",
        "tools_parallel",
        "tool_choice_tool",
        "thinking",
        "structured_output",
        "server_tools",
        "claude_code",
    ] {
        let ir = request_fixture(case);
        golden(&format!("request/{case}.upstream.json"), &encoded(&ir));
    }
    let beta = EncodeOptions {
        mid_conversation_system: true,
        adaptive_thinking: true,
        ..EncodeOptions::default()
    };
    golden(
        "request/claude_code.upstream_beta.json",
        &encoded_with(&request_fixture("claude_code"), beta),
    );
}

#[test]
fn foreign_and_unsigned_reasoning_never_reaches_claude() {
    let gemini_sig = Some(ir::Signature {
        origin: Family::Gemini,
        value: "gem-sig".into(),
    });
    let req = base(vec![
        user(vec![text("hi")]),
        assistant(vec![
            Block::Thinking {
                text: "gemini thoughts".into(),
                signature: gemini_sig,
            },
            Block::Thinking {
                text: "unsigned".into(),
                signature: None,
            },
            Block::Thinking {
                text: "claude thoughts".into(),
                signature: claude_sig("c-sig"),
            },
            Block::RedactedThinking {
                data: "r1".into(),
                origin: Family::Gemini,
            },
            Block::Opaque {
                origin: Family::Responses,
                raw: r#"{"type":"reasoning","encrypted_content":"x"}"#.into(),
            },
            Block::Opaque {
                origin: Family::Claude,
                raw:
                    r#"{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}"#
                        .into(),
            },
            text("answer"),
        ]),
    ]);
    assert_eq!(
        encoded(&req)["messages"][1]["content"],
        serde_json::json!([
            {"type": "thinking", "thinking": "claude thoughts", "signature": "c-sig"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
            {"type": "text", "text": "answer"}
        ])
    );
}

#[test]
fn thinking_is_dropped_when_the_final_tool_turn_has_no_claude_thinking() {
    let call = Block::ToolCall {
        id: "call_1".into(),
        name: "f".into(),
        arguments: "{}".into(),
    };
    let result = Block::ToolResult {
        call_id: "call_1".into(),
        name: None,
        content: vec![text("ok")],
        is_error: false,
    };
    let mut req = base(vec![
        user(vec![text("go")]),
        assistant(vec![
            Block::Thinking {
                text: "from gemini".into(),
                signature: Some(ir::Signature {
                    origin: Family::Gemini,
                    value: "g".into(),
                }),
            },
            call.clone(),
        ]),
        user(vec![result.clone()]),
    ]);
    req.reasoning = Some(Reasoning {
        effort: Some(Effort::High),
        ..Reasoning::default()
    });
    let body = encoded(&req);
    assert!(body.get("thinking").is_none(), "{body}");
    assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);

    req.messages[1].content[0] = Block::Thinking {
        text: "from claude".into(),
        signature: claude_sig("s"),
    };
    let body = encoded(&req);
    assert_eq!(
        body["thinking"],
        serde_json::json!({"type": "enabled", "budget_tokens": 24576})
    );
    assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS_THINKING);
}

#[test]
fn mid_conversation_system_messages_follow_the_beta_option() {
    let sys = |t: &str| ir::Message {
        role: Role::System,
        content: vec![text(t)],
    };
    let mut req = base(vec![
        sys("leading"),
        user(vec![text("hi")]),
        sys("mid"),
        user(vec![text("more")]),
    ]);
    req.system = vec![text("top")];

    let plain = encoded(&req);
    assert_eq!(
        plain["system"],
        serde_json::json!([
            {"type": "text", "text": "top"},
            {"type": "text", "text": "leading"},
            {"type": "text", "text": "mid"}
        ])
    );
    assert_eq!(
        plain["messages"],
        serde_json::json!([{"role": "user", "content": [
            {"type": "text", "text": "hi"}, {"type": "text", "text": "more"}
        ]}]),
        "the user turns around a merged system message are merged too"
    );

    let beta = encoded_with(
        &req,
        EncodeOptions {
            mid_conversation_system: true,
            ..EncodeOptions::default()
        },
    );
    assert_eq!(
        beta["system"].as_array().unwrap().len(),
        2,
        "leading goes to system"
    );
    assert_eq!(
        beta["messages"],
        serde_json::json!([
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "system", "content": [{"type": "text", "text": "mid"}]},
            {"role": "user", "content": [{"type": "text", "text": "more"}]}
        ])
    );
    assert!(allows_mid_conversation_system(
        "claude-code-20250219, mid-conversation-system-2026-04-07,effort-2025-11-24"
    ));
    assert!(!allows_mid_conversation_system("claude-code-20250219"));
}

#[test]
fn roles_alternate_tool_results_come_first_and_ids_are_sanitised() {
    let req = base(vec![
        assistant(vec![text("I start")]),
        assistant(vec![Block::ToolCall {
            id: "fc.read:1".into(),
            name: "read".into(),
            arguments: r#" {"path": "a"} "#.into(),
        }]),
        user(vec![text("also, hurry")]),
        user(vec![
            text(""),
            Block::ToolResult {
                call_id: "fc.read:1".into(),
                name: Some("read".into()),
                content: vec![text("contents")],
                is_error: false,
            },
        ]),
        assistant(vec![text("")]),
        user(vec![text("next")]),
    ]);
    assert_eq!(
        encoded(&req)["messages"],
        serde_json::json!([
            {"role": "user", "content": [{"type": "text", "text": LEADING_USER_PLACEHOLDER}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "I start"},
                {"type": "tool_use", "id": "fc_read_1", "name": "read", "input": {"path": "a"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "fc_read_1", "content": [{"type": "text", "text": "contents"}]},
                {"type": "text", "text": "also, hurry"},
                {"type": "text", "text": "next"}
            ]}
        ])
    );
}

#[test]
fn tool_arguments_that_are_not_an_object_become_empty_input() {
    for args in ["", "   ", "{\"cut\": ", "[1,2]", "null", "\"s\""] {
        let req = base(vec![
            user(vec![text("x")]),
            assistant(vec![Block::ToolCall {
                id: "t".into(),
                name: "f".into(),
                arguments: args.into(),
            }]),
        ]);
        assert_eq!(
            encoded(&req)["messages"][1]["content"][0]["input"],
            serde_json::json!({}),
            "{args:?}"
        );
    }
}

#[test]
fn images_map_to_sources_and_files_are_rejected() {
    let req = base(vec![user(vec![
        Block::image(Image::Url("data:image/jpeg;base64,/9j/4AAQ".into())),
        Block::image(Image::Url("https://example.org/a.png".into())),
        Block::ToolResult {
            call_id: "t".into(),
            name: None,
            content: vec![Block::image(Image::Base64 {
                media_type: "image/gif".into(),
                data: "R0lG".into(),
            })],
            is_error: false,
        },
    ])]);
    assert_eq!(
        encoded(&req)["messages"][0]["content"],
        serde_json::json!([
            {"type": "tool_result", "tool_use_id": "t", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0lG"}}
            ]},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.org/a.png"}}
        ])
    );
    let file = base(vec![user(vec![Block::image(Image::File {
        uri: "gs://bucket/cat.png".into(),
        media_type: None,
    })])]);
    let err = encode_request(&file, UPSTREAM_MODEL).unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(
        err.message.contains("gs://bucket/cat.png"),
        "{}",
        err.message
    );
}

#[test]
fn what_claude_cannot_take_is_a_clear_400() {
    let mut req = base(vec![user(vec![text("x")])]);
    req.n = Some(2);
    let err = encode_request(&req, UPSTREAM_MODEL).unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(err.message.contains('n'), "{}", err.message);

    let empty = base(vec![user(vec![text("")])]);
    assert_eq!(
        encode_request(&empty, UPSTREAM_MODEL).unwrap_err().kind,
        Kind::InvalidRequest
    );

    let mut bad_schema = base(vec![user(vec![text("x")])]);
    bad_schema.tools = vec![ir::Tool {
        name: "f".into(),
        description: None,
        parameters: "{not json".into(),
    }];
    let err = encode_request(&bad_schema, UPSTREAM_MODEL).unwrap_err();
    assert!(err.message.contains("tool `f`"), "{}", err.message);
}

#[test]
fn tool_choice_variants_and_parallel_flag() {
    let tool = ir::Tool {
        name: "f".into(),
        description: Some("does f".into()),
        parameters: String::new(),
    };
    let with = |choice: Option<ToolChoice>, parallel: Option<bool>| {
        let mut req = base(vec![user(vec![text("x")])]);
        req.tools = vec![tool.clone()];
        req.tool_choice = choice;
        req.parallel_tool_calls = parallel;
        encoded(&req)
    };
    let body = with(None, None);
    assert!(body.get("tool_choice").is_none());
    assert_eq!(
        body["tools"],
        serde_json::json!([{"name": "f", "description": "does f",
            "input_schema": {"type": "object", "properties": {}}}])
    );
    for (choice, parallel, expected) in [
        (
            Some(ToolChoice::Auto),
            None,
            serde_json::json!({"type": "auto"}),
        ),
        (
            Some(ToolChoice::Required),
            Some(true),
            serde_json::json!({"type": "any"}),
        ),
        (
            Some(ToolChoice::Named("f".into())),
            Some(false),
            serde_json::json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true}),
        ),
        (
            Some(ToolChoice::None),
            Some(false),
            serde_json::json!({"type": "none"}),
        ),
        (
            None,
            Some(false),
            serde_json::json!({"type": "auto", "disable_parallel_tool_use": true}),
        ),
    ] {
        assert_eq!(
            with(choice.clone(), parallel)["tool_choice"],
            expected,
            "{choice:?}"
        );
    }

    // Without tools there is no tool_choice to send.
    let mut req = base(vec![user(vec![text("x")])]);
    req.tool_choice = Some(ToolChoice::Required);
    assert!(encoded(&req).get("tool_choice").is_none());
}

#[test]
fn thinking_budget_is_clamped_and_dropped_under_forced_tool_use() {
    let with = |reasoning: Reasoning, max_tokens: Option<u32>| {
        let mut req = base(vec![user(vec![text("x")])]);
        req.reasoning = Some(reasoning);
        req.sampling.max_tokens = max_tokens;
        encoded(&req)
    };
    let budget = |b| Reasoning {
        budget: Some(b),
        ..Reasoning::default()
    };
    let effort = |e| Reasoning {
        effort: Some(e),
        ..Reasoning::default()
    };
    let thinking = |v: &Value| v.get("thinking").cloned();
    let enabled = |b: u32| Some(serde_json::json!({"type": "enabled", "budget_tokens": b}));

    assert_eq!(thinking(&with(budget(100), Some(4000))), enabled(1024));
    assert_eq!(thinking(&with(budget(50_000), Some(4000))), enabled(3999));
    assert_eq!(
        thinking(&with(budget(2000), Some(1024))),
        None,
        "no room for 1024"
    );
    assert_eq!(thinking(&with(budget(0), None)), None);
    assert_eq!(
        thinking(&with(budget(-1), None)),
        enabled(AUTO_THINKING_BUDGET)
    );
    assert_eq!(thinking(&with(effort(Effort::Low), None)), enabled(1024));
    assert_eq!(thinking(&with(effort(Effort::Max), None)), enabled(31_999));
    assert_eq!(thinking(&with(effort(Effort::None), None)), None);
    assert_eq!(with(effort(Effort::Medium), None)["max_tokens"], 32_000);
    assert_eq!(
        thinking(&with(
            Reasoning {
                include_thoughts: Some(true),
                ..Reasoning::default()
            },
            None
        )),
        None,
        "include_thoughts alone does not choose a budget"
    );

    let mut forced = base(vec![user(vec![text("x")])]);
    forced.reasoning = Some(budget(4096));
    forced.tools = vec![ir::Tool {
        name: "f".into(),
        description: None,
        parameters: r#"{"type":"object"}"#.into(),
    }];
    forced.tool_choice = Some(ToolChoice::Required);
    let body = encoded(&forced);
    assert!(body.get("thinking").is_none(), "{body}");
    forced.tool_choice = Some(ToolChoice::Auto);
    assert_eq!(thinking(&encoded(&forced)), enabled(4096));
}

#[test]
fn adaptive_thinking_sends_effort_natively() {
    let opts = EncodeOptions {
        adaptive_thinking: true,
        ..EncodeOptions::default()
    };
    let with = |reasoning: Reasoning| {
        let mut req = base(vec![user(vec![text("x")])]);
        req.reasoning = Some(reasoning);
        let body = encoded_with(&req, opts);
        (
            body.get("thinking").cloned(),
            body.get("output_config").cloned(),
        )
    };
    let effort = |e| Reasoning {
        effort: Some(e),
        ..Reasoning::default()
    };
    let adaptive = Some(serde_json::json!({"type": "adaptive"}));
    let cfg = |e: &str| Some(serde_json::json!({"effort": e}));
    assert_eq!(with(effort(Effort::Auto)), (adaptive.clone(), None));
    assert_eq!(
        with(effort(Effort::Minimal)),
        (adaptive.clone(), cfg("low"))
    );
    assert_eq!(
        with(effort(Effort::Medium)),
        (adaptive.clone(), cfg("medium"))
    );
    assert_eq!(with(effort(Effort::XHigh)), (adaptive.clone(), cfg("high")));
    assert_eq!(with(effort(Effort::Max)), (adaptive.clone(), cfg("max")));
    assert_eq!(
        with(effort(Effort::None)),
        (Some(serde_json::json!({"type": "disabled"})), None)
    );
    assert_eq!(
        with(Reasoning {
            budget: Some(5000),
            ..Reasoning::default()
        }),
        (
            Some(serde_json::json!({"type": "enabled", "budget_tokens": 5000})),
            None
        )
    );
}

#[test]
fn sampling_follows_claude_rules() {
    let with = |temperature, top_p, top_k, thinking: bool| {
        let mut req = base(vec![user(vec![text("x")])]);
        req.sampling = ir::Sampling {
            temperature,
            top_p,
            top_k,
            seed: Some(7),
            presence_penalty: Some(0.5),
            stop: vec!["  ".into(), "STOP".into()],
            ..ir::Sampling::default()
        };
        if thinking {
            req.reasoning = Some(Reasoning {
                budget: Some(2048),
                ..Reasoning::default()
            });
        }
        let body = encoded(&req);
        assert!(body.get("seed").is_none() && body.get("presence_penalty").is_none());
        assert_eq!(body["stop_sequences"], serde_json::json!(["STOP"]));
        (
            body.get("temperature").cloned(),
            body.get("top_p").cloned(),
            body.get("top_k").cloned(),
        )
    };
    let n = |v: f64| Some(serde_json::json!(v));
    assert_eq!(
        with(Some(0.5), None, Some(5), false),
        (n(0.5), None, Some(serde_json::json!(5)))
    );
    assert_eq!(
        with(Some(0.5), Some(0.9), None, false),
        (n(0.5), None, None)
    );
    assert_eq!(with(None, Some(0.9), None, false), (None, n(0.9), None));
    assert_eq!(
        with(Some(0.5), Some(0.9), Some(5), true),
        (None, None, None)
    );
    assert_eq!(with(Some(1.0), None, None, true), (n(1.0), None, None));
    assert_eq!(with(None, Some(0.96), None, true), (None, n(0.96), None));
}

#[test]
fn response_formats_map_to_output_config() {
    let with = |format| {
        let mut req = base(vec![user(vec![text("x")])]);
        req.response_format = Some(format);
        encoded(&req).get("output_config").cloned()
    };
    assert_eq!(
        with(ir::ResponseFormat::JsonSchema {
            name: "person".into(),
            schema: r#"{"type":"object"}"#.into(),
            strict: Some(true),
        }),
        Some(serde_json::json!({"format": {"type": "json_schema", "schema": {"type": "object"}}}))
    );
    assert_eq!(with(ir::ResponseFormat::JsonObject), None);
    assert_eq!(with(ir::ResponseFormat::Text), None);
}

/// Rich IR values inside the subset Claude carries losslessly.
fn round_trip_cases() -> Vec<(ir::Request, EncodeOptions)> {
    let tools = vec![
        ir::Tool {
            name: "get_weather".into(),
            description: Some("Weather for a city".into()),
            parameters:
                r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#
                    .into(),
        },
        ir::Tool {
            name: "noop".into(),
            description: None,
            parameters: r#"{"type":"object"}"#.into(),
        },
    ];
    let rich = ir::Request {
        model: UPSTREAM_MODEL.into(),
        system: vec![text("You are helpful."), text("Be brief.")],
        messages: vec![
            user(vec![
                text("Weather in Paris and Rome? See the map."),
                Block::image(Image::Base64 {
                    media_type: "image/webp".into(),
                    data: "UklGRg==".into(),
                }),
                Block::image(Image::Url("https://example.org/map.png".into())),
            ]),
            assistant(vec![
                Block::Thinking {
                    text: "Two calls.".into(),
                    signature: claude_sig("sig-1"),
                },
                Block::RedactedThinking {
                    data: "opaque==".into(),
                    origin: Family::Claude,
                },
                Block::ToolCall {
                    id: "toolu_01".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city": "Paris"}"#.into(),
                },
                Block::ToolCall {
                    id: "toolu_02".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Rome"}"#.into(),
                },
                Block::ToolCall {
                    id: "toolu_03".into(),
                    name: "noop".into(),
                    arguments: "{}".into(),
                },
            ]),
            user(vec![
                Block::ToolResult {
                    call_id: "toolu_01".into(),
                    name: None,
                    content: vec![text("18C")],
                    is_error: false,
                },
                Block::ToolResult {
                    call_id: "toolu_02".into(),
                    name: None,
                    content: vec![text("timeout"), text("retry later")],
                    is_error: true,
                },
                Block::ToolResult {
                    call_id: "toolu_03".into(),
                    name: None,
                    content: vec![],
                    is_error: false,
                },
                text("Thanks!"),
            ]),
            assistant(vec![
                Block::Opaque {
                    origin: Family::Claude,
                    raw: r#"{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}}"#.into(),
                },
                text("Paris is warmer."),
            ]),
            user(vec![text("Great.")]),
        ],
        tools: tools.clone(),
        tool_choice: Some(ToolChoice::Auto),
        parallel_tool_calls: Some(false),
        sampling: ir::Sampling {
            temperature: Some(1.0),
            top_k: None,
            max_tokens: Some(16_000),
            stop: vec!["###".into()],
            ..ir::Sampling::default()
        },
        response_format: None,
        reasoning: Some(Reasoning {
            budget: Some(4096),
            ..Reasoning::default()
        }),
        stream: true,
        n: None,
        user: Some("session-1".into()),
    };
    let plain = ir::Request {
        model: UPSTREAM_MODEL.into(),
        messages: vec![user(vec![text("Extract the person.")])],
        tools,
        tool_choice: Some(ToolChoice::Named("noop".into())),
        sampling: ir::Sampling {
            top_p: Some(0.8),
            top_k: Some(20),
            max_tokens: Some(300),
            ..ir::Sampling::default()
        },
        response_format: Some(ir::ResponseFormat::JsonSchema {
            name: SCHEMA_NAME.into(),
            schema: r#"{"type":"object","properties":{"name":{"type":"string"}}}"#.into(),
            strict: None,
        }),
        ..ir::Request::default()
    };
    let adaptive = ir::Request {
        model: UPSTREAM_MODEL.into(),
        messages: vec![
            user(vec![text("hi")]),
            ir::Message {
                role: Role::System,
                content: vec![text("mid-conversation note")],
            },
            assistant(vec![text("hello")]),
            user(vec![text("think hard")]),
        ],
        sampling: ir::Sampling {
            max_tokens: Some(64_000),
            ..ir::Sampling::default()
        },
        reasoning: Some(Reasoning {
            effort: Some(Effort::High),
            ..Reasoning::default()
        }),
        tool_choice: None,
        ..ir::Request::default()
    };
    vec![
        (rich, EncodeOptions::default()),
        (plain, EncodeOptions::default()),
        (
            adaptive,
            EncodeOptions {
                mid_conversation_system: true,
                adaptive_thinking: true,
                auto_cache: false,
            },
        ),
    ]
}

#[test]
fn decode_of_encode_is_identity_on_the_supported_subset() {
    for (i, (ir, opts)) in round_trip_cases().into_iter().enumerate() {
        let body = encode_request_with(&ir, UPSTREAM_MODEL, &opts).unwrap();
        let back = decode_request(&body).unwrap();
        assert_eq!(back, ir, "case {i}: {}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn auto_cache_marks_tools_system_and_the_last_message() {
    let mut req = base(vec![
        user(vec![text("first")]),
        assistant(vec![
            text("calling"),
            Block::ToolCall {
                id: "t1".into(),
                name: "f".into(),
                arguments: "{}".into(),
            },
        ]),
        user(vec![
            Block::ToolResult {
                call_id: "t1".into(),
                name: None,
                content: vec![text("done")],
                is_error: false,
            },
            Block::Opaque {
                origin: Family::Claude,
                raw: r#"{"type":"document","source":{"type":"text","media_type":"text/plain","data":"d"}}"#
                    .into(),
            },
        ]),
    ]);
    req.system = vec![text("one"), text("two")];
    req.tools = vec![
        ir::Tool {
            name: "f".into(),
            description: None,
            parameters: r#"{"type":"object"}"#.into(),
        },
        ir::Tool {
            name: "g".into(),
            description: None,
            parameters: r#"{"type":"object"}"#.into(),
        },
    ];
    let plain = encoded(&req);
    assert!(
        !plain.to_string().contains("cache_control"),
        "off by default"
    );

    let body = encoded_with(
        &req,
        EncodeOptions {
            auto_cache: true,
            ..EncodeOptions::default()
        },
    );
    let eph = serde_json::json!({"type": "ephemeral"});
    assert_eq!(body["tools"][0].get("cache_control"), None);
    assert_eq!(body["tools"][1]["cache_control"], eph);
    assert_eq!(body["system"][0].get("cache_control"), None);
    assert_eq!(body["system"][1]["cache_control"], eph);
    let last = &body["messages"][2]["content"];
    assert_eq!(
        last[0]["cache_control"], eph,
        "the raw document cannot take one"
    );
    assert_eq!(last[1].get("cache_control"), None);
    assert_eq!(body.to_string().matches("cache_control").count(), 3);
}

#[test]
fn an_empty_tool_result_has_no_content_field() {
    let req = base(vec![user(vec![Block::ToolResult {
        call_id: "t".into(),
        name: None,
        content: vec![text("")],
        is_error: true,
    }])]);
    assert_eq!(
        encoded(&req)["messages"][0]["content"],
        serde_json::json!([{"type": "tool_result", "tool_use_id": "t", "is_error": true}])
    );
}
