//! Request decoding (client bodies → IR) and encoding (IR → Codex / OpenAI upstream bodies).

use super::*;
use crate::error::Kind;

const WEATHER_SCHEMA: &str = r#"{"type": "object", "properties": {"location": {"type": "string", "description": "City and country e.g. Bogotá, Colombia"}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["location"], "additionalProperties": false}"#;

fn decode(name: &str) -> ir::Request {
    decode_request(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn reject(body: &str) -> String {
    let err = decode_request(body.as_bytes()).expect_err(body);
    assert_eq!(err.kind, Kind::InvalidRequest, "{body}");
    err.message
}

#[test]
fn text_input_with_instructions_and_sampling() {
    let ir = decode("request/text.json");
    assert_eq!(
        ir,
        ir::Request {
            model: "gpt-5.1".into(),
            system: vec![text("You answer in one short sentence.")],
            messages: vec![msg(
                ir::Role::User,
                vec![text("Write a one-line bedtime story about a unicorn.")]
            )],
            sampling: ir::Sampling {
                temperature: Some(0.7),
                top_p: Some(0.9),
                max_tokens: Some(256),
                ..ir::Sampling::default()
            },
            stream: false,
            user: Some("user-1234".into()),
            ..ir::Request::default()
        }
    );
}

#[test]
fn leading_developer_messages_are_system_and_later_ones_stay_in_place() {
    let ir = decode("request/multi_turn.json");
    assert_eq!(
        ir.system,
        vec![text("Talk like a pirate."), text("Keep it short.")]
    );
    assert_eq!(
        ir.messages,
        vec![
            msg(
                ir::Role::User,
                vec![text("Are semicolons optional in JavaScript?")]
            ),
            msg(
                ir::Role::Assistant,
                vec![text("Arr, mostly they be optional.")]
            ),
            msg(
                ir::Role::System,
                vec![text("From now on, answer in French.")]
            ),
            msg(ir::Role::User, vec![text("When are they required?")]),
        ]
    );
}

#[test]
fn input_images_by_url_data_url_and_file_id() {
    let ir = decode("request/images.json");
    let [message] = ir.messages.as_slice() else {
        panic!("{:?}", ir.messages)
    };
    assert_eq!(
        message.content,
        vec![
            text("What is in these images?"),
            ir::Block::Image {
                image: ir::Image::Url("https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg".into()),
                detail: Some("high".into()),
            },
            ir::Block::image(ir::Image::Base64 {
                media_type: "image/png".into(),
                data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==".into(),
            }),
            ir::Block::Image {
                image: ir::Image::File {
                    uri: "file-6F2ksmvXxt4VdoqmHRw6kL".into(),
                    media_type: None,
                },
                detail: Some("low".into()),
            },
        ]
    );
}

#[test]
fn parallel_calls_and_outputs_group_into_turns_and_hosted_tools_are_dropped() {
    let ir = decode("request/tools.json");
    assert_eq!(
        ir.messages,
        vec![
            msg(
                ir::Role::User,
                vec![text("What's the weather in Paris and in Bogotá?")]
            ),
            msg(
                ir::Role::Assistant,
                vec![
                    call(
                        "call_paris",
                        "get_weather",
                        r#"{"location":"Paris, France"}"#
                    ),
                    call(
                        "call_bogota",
                        "get_weather",
                        r#"{"location":"Bogotá, Colombia","unit":"c"}"#
                    ),
                ]
            ),
            msg(
                ir::Role::User,
                vec![
                    result(
                        "call_paris",
                        Some("get_weather"),
                        vec![text(r#"{"temperature": 14, "sky": "cloudy"}"#)]
                    ),
                    result(
                        "call_bogota",
                        Some("get_weather"),
                        vec![
                            text("18 degrees"),
                            ir::Block::image(ir::Image::Url(
                                "https://example.com/bogota-sky.png".into()
                            )),
                        ]
                    ),
                ]
            ),
        ]
    );
    assert_eq!(
        ir.tools,
        vec![
            ir::Tool {
                name: "get_weather".into(),
                description: Some("Get current temperature for a given location.".into()),
                // Byte for byte as the client wrote it.
                parameters: WEATHER_SCHEMA.into(),
            },
            ir::Tool {
                name: "get_time".into(),
                description: None,
                parameters: r#"{"type":"object","properties":{}}"#.into(),
            },
        ]
    );
    assert_eq!(
        ir.tool_choice,
        Some(ir::ToolChoice::Named("get_weather".into()))
    );
    assert_eq!(ir.parallel_tool_calls, Some(true));
}

#[test]
fn reasoning_items_become_thinking_signed_with_the_raw_item() {
    let body = fixture_str("request/reasoning.json");
    let ir = decode("request/reasoning.json");
    let raw = object_around(
        &body,
        "\"rs_68af4030baa48193b0b43b4c2a176a1a02d7fe6e3d5b8c7f\"",
    );
    assert!(raw.contains("encrypted_content"), "{raw}");
    assert_eq!(
        ir.messages,
        vec![
            msg(
                ir::Role::User,
                vec![text("How many r's are in strawberry? Use the counter tool.")]
            ),
            msg(
                ir::Role::Assistant,
                vec![
                    ir::Block::Thinking {
                        text: "**Counting letters**\n\nI should call the counter.\n\n**Calling the tool**"
                            .into(),
                        signature: Some(ir::Signature {
                            origin: ir::Family::Responses,
                            value: raw,
                        }),
                    },
                    call(
                        "call_count",
                        "count_letters",
                        r#"{"word":"strawberry","letter":"r"}"#
                    ),
                ]
            ),
            // The trailing reasoning item has neither text nor encrypted content: dropped.
            msg(
                ir::Role::User,
                vec![result("call_count", Some("count_letters"), vec![text("3")])]
            ),
        ]
    );
    assert_eq!(
        ir.reasoning,
        Some(ir::Reasoning {
            effort: Some(ir::Effort::High),
            budget: None,
            include_thoughts: Some(true),
        })
    );
    assert!(ir.stream);
}

#[test]
fn json_schema_output_and_prompt_cache_key() {
    let ir = decode("request/json_schema.json");
    assert_eq!(ir.system, vec![text("Extract the event information.")]);
    assert_eq!(
        ir.response_format,
        Some(ir::ResponseFormat::JsonSchema {
            name: "calendar_event".into(),
            schema: r#"{"type": "object", "properties": {"name": {"type": "string"}, "date": {"type": "string"}, "participants": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "date", "participants"], "additionalProperties": false}"#.into(),
            strict: Some(true),
        })
    );
    assert_eq!(ir.tool_choice, Some(ir::ToolChoice::None));
    assert_eq!(ir.user.as_deref(), Some("extract-v1"));
}

#[test]
fn codex_cli_body_is_accepted_whole() {
    let body = fixture_str("request/codex_cli.json");
    let ir = decode("request/codex_cli.json");
    assert_eq!(ir.model, "mock-model");
    assert_eq!(
        ir.system,
        vec![
            text("You are Codex, a coding agent running in a terminal. Be precise and safe."),
            text("<skills_instructions>\nNo skills are installed.\n</skills_instructions>"),
        ]
    );
    let reasoning_raw = object_around(&body, "\"rs_0a1b2c3d4e5f\"");
    assert_eq!(
        ir.messages,
        vec![
            msg(
                ir::Role::User,
                vec![text("<environment_context>\n  <cwd>/tmp/work</cwd>\n  <shell>bash</shell>\n</environment_context>")]
            ),
            msg(ir::Role::User, vec![text("list the files here")]),
            msg(
                ir::Role::Assistant,
                vec![
                    ir::Block::Thinking {
                        text: "**Listing files**".into(),
                        signature: Some(ir::Signature {
                            origin: ir::Family::Responses,
                            value: reasoning_raw,
                        }),
                    },
                    call(
                        "call_Xy12",
                        "exec_command",
                        r#"{"cmd":"ls -la","workdir":"/tmp/work"}"#
                    ),
                ]
            ),
            msg(
                ir::Role::User,
                vec![result(
                    "call_Xy12",
                    Some("exec_command"),
                    vec![text("total 8\n-rw-r--r-- 1 u u 12 a.txt\n-rw-r--r-- 1 u u 40 b.rs")]
                )]
            ),
            msg(
                ir::Role::Assistant,
                vec![call(
                    "call_Ab34",
                    "multi_agent_v1__spawn_agent",
                    r#"{"task":"review b.rs"}"#
                )]
            ),
            msg(
                ir::Role::User,
                vec![result(
                    "call_Ab34",
                    Some("multi_agent_v1__spawn_agent"),
                    vec![text(r#"{"agent_id":"agent-1"}"#)]
                )]
            ),
        ]
    );
    let names: Vec<&str> = ir.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "exec_command",
            "write_stdin",
            "request_user_input",
            "view_image",
            "get_goal",
            "create_goal",
            "update_goal",
            "multi_agent_v1__spawn_agent",
            "multi_agent_v1__wait_agent",
        ]
    );
    assert_eq!(
        ir.tools[0].parameters,
        r#"{"type": "object", "properties": {"cmd": {"type": "string"}, "workdir": {"type": "string"}, "yield_time_ms": {"type": "number"}}, "required": ["cmd"], "additionalProperties": false}"#
    );
    assert_eq!(ir.tool_choice, Some(ir::ToolChoice::Auto));
    assert_eq!(ir.parallel_tool_calls, Some(true));
    assert_eq!(
        ir.reasoning,
        Some(ir::Reasoning {
            effort: None,
            budget: None,
            include_thoughts: Some(true),
        })
    );
    assert!(ir.stream);
    assert_eq!(
        ir.user.as_deref(),
        Some("019b2f3e-7c1a-7d20-9a55-1f2e3d4c5b6a")
    );
    assert_eq!(
        namespaces(&fixture("request/codex_cli.json")),
        ["multi_agent_v1"]
    );
}

#[test]
fn tool_choice_variants() {
    let choice = |c: &str| {
        let body = format!(r#"{{"model":"m","input":"hi","tool_choice":{c}}}"#);
        decode_request(body.as_bytes()).map(|r| r.tool_choice)
    };
    assert_eq!(choice(r#""auto""#), Ok(Some(ir::ToolChoice::Auto)));
    assert_eq!(choice(r#""none""#), Ok(Some(ir::ToolChoice::None)));
    assert_eq!(choice(r#""required""#), Ok(Some(ir::ToolChoice::Required)));
    assert_eq!(choice("null"), Ok(None));
    assert_eq!(
        choice(r#"{"type":"function","name":"f"}"#),
        Ok(Some(ir::ToolChoice::Named("f".into())))
    );
    assert_eq!(
        choice(r#"{"type":"function","name":"spawn_agent","namespace":"multi_agent_v1"}"#),
        Ok(Some(ir::ToolChoice::Named(
            "multi_agent_v1__spawn_agent".into()
        )))
    );
    assert_eq!(
        choice(r#"{"type":"allowed_tools","mode":"required","tools":[]}"#),
        Ok(Some(ir::ToolChoice::Required))
    );
    for bad in [
        r#""sometimes""#,
        r#"{"type":"web_search"}"#,
        r#"{"type":"function"}"#,
        "3",
    ] {
        let err = choice(bad).expect_err(bad);
        assert_eq!(err.kind, Kind::InvalidRequest);
    }
}

#[test]
fn only_openai_file_ids_are_sent_upstream() {
    let with_file = |uri: &str| ir::Request {
        messages: vec![msg(
            ir::Role::User,
            vec![ir::Block::ToolResult {
                call_id: "call_1".into(),
                name: None,
                content: vec![ir::Block::image(ir::Image::File {
                    uri: uri.into(),
                    media_type: None,
                })],
                is_error: false,
            }],
        )],
        ..ir::Request::default()
    };
    let gemini_file = "https://generativelanguage.googleapis.com/v1beta/files/abc-123";
    let err = encode_request(&with_file(gemini_file), "gpt-5.1-codex").unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(err.message.contains(gemini_file), "{}", err.message);
    let out = encode_request(&with_file("file-6F2ksmvXxt4VdoqmHRw6kL"), "gpt-5.1-codex").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["input"][0]["output"][0]["file_id"],
        "file-6F2ksmvXxt4VdoqmHRw6kL"
    );
}

#[test]
fn stateful_and_untranslatable_requests_are_refused_clearly() {
    assert!(
        reject(r#"{"model":"m","input":"hi","previous_response_id":"resp_1"}"#)
            .contains("stateless")
    );
    assert!(decode_request(br#"{"model":"m","input":"hi","previous_response_id":""}"#).is_ok());
    assert!(
        reject(r#"{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}"#)
            .contains("item_reference")
    );
    assert!(reject(r#"{"model":"m","conversation":"conv_1","input":"hi"}"#).contains("stateless"));
    assert!(reject(r#"{"model":"m","prompt":{"id":"pmpt_1"}}"#).contains("prompt"));
    assert!(reject(
        r#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}"#
    )
    .contains("input_file"));
    assert!(reject(r#"{"input":"hi"}"#).contains("model"));
    assert!(reject(r#"{"model":"m","input":"hi",}"#).contains("malformed"));
    assert!(reject(r#"[1,2]"#).contains("malformed"));
    assert!(reject(r#"{"model":"m","input":[{"role":"tool","content":"x"}]}"#).contains("role"));
    assert!(reject(r#"{"model":"m","input":[{"content":"x"}]}"#).contains("role"));
    assert!(reject(
        r#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"ftp://x/y.png"}]}]}"#
    )
    .contains("image_url"));
    assert!(
        reject(r#"{"model":"m","input":"hi","reasoning":{"effort":"extreme"}}"#).contains("effort")
    );
    assert!(
        reject(r#"{"model":"m","input":[{"type":"function_call","name":"f"}]}"#)
            .contains("call_id")
    );
    assert!(reject(r#"{"model":"m","input":"hi","instructions":["x"]}"#).contains("instructions"));
    assert!(
        reject(r#"{"model":"m","input":"hi","text":{"format":{"type":"json_schema"}}}"#)
            .contains("schema")
    );
}

#[test]
fn odd_but_valid_shapes_are_accepted() {
    let ir = decode_request(
        br#"{"model":"m","input":[
            {"role":"user","content":[{"type":"input_image","image_url":{"url":"https://x/y.png"}}]},
            {"type":"custom_tool_call","call_id":"c9","name":"apply_patch","input":"*** Begin"},
            {"type":"custom_tool_call_output","call_id":"c9","output":"ok"},
            {"type":"function_call_output","call_id":"unknown","output":{"ok":true}},
            {"type":"compaction","encrypted_content":"gAAA"},
            {"role":"assistant","content":[{"type":"refusal","refusal":"No."}]}
        ],"reasoning":{"effort":null,"summary":null},"tools":[{"type":"custom","name":"apply_patch"}]}"#,
    )
    .unwrap();
    assert_eq!(
        ir.messages,
        vec![
            msg(
                ir::Role::User,
                vec![ir::Block::image(ir::Image::Url("https://x/y.png".into()))]
            ),
            msg(
                ir::Role::User,
                vec![result("unknown", None, vec![text(r#"{"ok":true}"#)])]
            ),
            msg(
                ir::Role::Assistant,
                vec![
                    ir::Block::Opaque {
                        origin: ir::Family::Responses,
                        raw: r#"{"type":"compaction","encrypted_content":"gAAA"}"#.into(),
                    },
                    text("No."),
                ]
            ),
        ]
    );
    assert_eq!(ir.reasoning, None);
    assert!(ir.tools.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

#[test]
fn codex_cli_request_encodes_for_codex() {
    let ir = decode("request/codex_cli.json");
    let body = encode_request(&ir, "gpt-5.1-codex").unwrap();
    golden_json("upstream/codex_cli.json", &body);
    // The reasoning item is replayed byte for byte, encrypted content and id included.
    let raw = object_around(
        &fixture_str("request/codex_cli.json"),
        "\"rs_0a1b2c3d4e5f\"",
    );
    assert!(String::from_utf8(body).unwrap().contains(&raw));
}

#[test]
fn text_request_encodes_for_codex_and_for_openai() {
    let ir = decode("request/text.json");
    golden_json(
        "upstream/text_codex.json",
        &encode_request(&ir, "gpt-5.1").unwrap(),
    );
    golden_json(
        "upstream/text_openai.json",
        &encode_request_for(&ir, "gpt-5.1", Target::OpenAi).unwrap(),
    );
}

#[test]
fn tools_images_reasoning_and_schema_requests_encode() {
    for (from, to) in [
        ("request/tools.json", "upstream/tools_codex.json"),
        ("request/images.json", "upstream/images_codex.json"),
        ("request/reasoning.json", "upstream/reasoning_codex.json"),
        (
            "request/json_schema.json",
            "upstream/json_schema_openai.json",
        ),
        ("request/multi_turn.json", "upstream/multi_turn_openai.json"),
    ] {
        let ir = decode(from);
        let target = if to.ends_with("_openai.json") {
            Target::OpenAi
        } else {
            Target::Codex
        };
        golden_json(to, &encode_request_for(&ir, &ir.model, target).unwrap());
    }
}

#[test]
fn only_responses_reasoning_is_replayed_upstream() {
    let raw = r#"{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"enc"}"#;
    let thinking = |origin, value: &str| ir::Block::Thinking {
        text: "thought".into(),
        signature: Some(ir::Signature {
            origin,
            value: value.into(),
        }),
    };
    let ir = ir::Request {
        model: "m".into(),
        messages: vec![
            msg(ir::Role::User, vec![text("hi")]),
            msg(
                ir::Role::Assistant,
                vec![
                    thinking(ir::Family::Claude, "claude-signature"),
                    ir::Block::Thinking {
                        text: "unsigned".into(),
                        signature: None,
                    },
                    ir::Block::RedactedThinking {
                        data: "xx".into(),
                        origin: ir::Family::Claude,
                    },
                    ir::Block::Opaque {
                        origin: ir::Family::Gemini,
                        raw: "{}".into(),
                    },
                    thinking(ir::Family::Responses, raw),
                    ir::Block::Opaque {
                        origin: ir::Family::Responses,
                        raw: r#"{"type":"compaction","encrypted_content":"c"}"#.into(),
                    },
                    thinking(ir::Family::Responses, "not an object"),
                    text("answer"),
                    call("c1", "f", ""),
                ],
            ),
        ],
        ..ir::Request::default()
    };
    let body = encode_request(&ir, "up").unwrap();
    let v = json(&body);
    assert_eq!(
        v["input"],
        serde_json::json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"},
            {"type": "compaction", "encrypted_content": "c"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "answer", "annotations": []}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        ])
    );
    assert!(String::from_utf8(body).unwrap().contains(raw));
}

#[test]
fn untranslatable_requests_fail_with_a_clear_message() {
    let mut ir = ir::Request {
        model: "m".into(),
        n: Some(2),
        ..ir::Request::default()
    };
    let err = encode_request(&ir, "up").unwrap_err();
    assert_eq!(err.kind, Kind::InvalidRequest);
    assert!(err.message.contains('n'), "{}", err.message);
    ir.n = None;
    ir.tools.push(ir::Tool {
        name: "broken".into(),
        description: None,
        parameters: "{not json".into(),
    });
    let err = encode_request(&ir, "up").unwrap_err();
    assert!(err.message.contains("broken"), "{}", err.message);
}

#[test]
fn reasoning_budgets_and_levels_map_to_efforts() {
    let effort = |r: ir::Reasoning| {
        let ir = ir::Request {
            model: "m".into(),
            reasoning: Some(r),
            ..ir::Request::default()
        };
        json(&encode_request(&ir, "up").unwrap())["reasoning"].clone()
    };
    assert_eq!(
        effort(ir::Reasoning {
            budget: Some(8192),
            ..ir::Reasoning::default()
        }),
        serde_json::json!({"effort": "medium", "summary": "auto"})
    );
    assert_eq!(
        effort(ir::Reasoning {
            effort: Some(ir::Effort::Max),
            include_thoughts: Some(false),
            ..ir::Reasoning::default()
        }),
        serde_json::json!({"effort": "xhigh"})
    );
    assert_eq!(
        effort(ir::Reasoning {
            effort: Some(ir::Effort::Auto),
            include_thoughts: Some(false),
            ..ir::Reasoning::default()
        }),
        serde_json::Value::Null
    );
    // A plain OpenAI upstream gets encrypted reasoning only when reasoning is on.
    let plain = ir::Request {
        model: "m".into(),
        ..ir::Request::default()
    };
    let v = json(&encode_request_for(&plain, "gpt-4.1", Target::OpenAi).unwrap());
    assert_eq!(v.get("include"), None);
    assert_eq!(v.get("instructions"), None);
    assert_eq!(v["stream"], false);
}

/// What each target changes in a request, so that `decode(encode(ir)) == normalise(ir)`.
fn normalise(mut ir: ir::Request, target: Target) -> ir::Request {
    match target {
        Target::Codex => {
            ir.stream = true;
            ir.parallel_tool_calls = Some(ir.parallel_tool_calls.unwrap_or(true));
            ir.sampling = ir::Sampling::default();
        }
        Target::OpenAi => {
            let joined: Vec<&str> = ir
                .system
                .iter()
                .filter_map(|b| match b {
                    ir::Block::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            ir.system = if joined.is_empty() {
                Vec::new()
            } else {
                vec![text(&joined.join("\n\n"))]
            };
        }
    }
    ir
}

#[test]
fn decoded_fixtures_round_trip_through_both_targets() {
    for name in [
        "request/text.json",
        "request/multi_turn.json",
        "request/images.json",
        "request/tools.json",
        "request/reasoning.json",
        "request/json_schema.json",
        "request/codex_cli.json",
    ] {
        let ir = decode(name);
        for target in [Target::Codex, Target::OpenAi] {
            let body = encode_request_for(&ir, &ir.model, target).unwrap();
            let back = decode_request(&body).unwrap();
            assert_eq!(back, normalise(ir.clone(), target), "{name} via {target:?}");
        }
    }
}

#[test]
fn other_families_reasoning_comes_back_home_and_never_goes_to_responses() {
    let ir = decode_request(
        br#"{"model":"m","input":[
            {"role":"user","content":"hi"},
            {"type":"reasoning","id":"rs_a","summary":[{"type":"summary_text","text":"Hmm."}],
             "encrypted_content":"cliproxy.v1:claude:signature:EqQB:with:colons"},
            {"type":"reasoning","id":"rs_b","summary":[],"encrypted_content":"cliproxy.v1:claude:redacted:opaque"},
            {"type":"reasoning","id":"rs_c","summary":[{"type":"summary_text","text":"?"}],
             "encrypted_content":"cliproxy.v1:martian:signature:x"},
            {"type":"function_call","call_id":"toolu_1","name":"f","arguments":"{}"}
        ]}"#,
    )
    .unwrap();
    assert_eq!(
        ir.messages[1].content,
        vec![
            ir::Block::Thinking {
                text: "Hmm.".into(),
                signature: Some(ir::Signature {
                    origin: ir::Family::Claude,
                    value: "EqQB:with:colons".into(),
                }),
            },
            ir::Block::RedactedThinking {
                data: "opaque".into(),
                origin: ir::Family::Claude,
            },
            ir::Block::Thinking {
                text: "?".into(),
                signature: None,
            },
            call("toolu_1", "f", "{}"),
        ]
    );
    let v = json(&encode_request(&ir, "up").unwrap());
    assert_eq!(
        v["input"].as_array().unwrap().len(),
        2,
        "only the user message and the call go to a Responses upstream: {v}"
    );
}
