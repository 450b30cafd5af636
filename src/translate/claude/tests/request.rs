//! Request decoding: client bodies, Claude Code's included, and malformed ones.

use super::*;
use crate::error::Kind;
use crate::ir::{Block, Effort, Family, Image, Reasoning, Role, ToolChoice};

fn decode(name: &str) -> ir::Request {
    request_fixture(name)
}

#[test]
fn decodes_a_plain_text_request() {
    let req = decode("text");
    assert_eq!(
        req,
        ir::Request {
            model: "claude-sonnet-4-5".into(),
            messages: vec![user(vec![text("Hello, Claude")])],
            sampling: ir::Sampling {
                max_tokens: Some(1024),
                ..ir::Sampling::default()
            },
            ..ir::Request::default()
        }
    );
}

#[test]
fn decodes_system_multi_turn_sampling_and_user() {
    let req = decode("multi_turn_system");
    assert_eq!(
        req.system,
        vec![text("You are a terse assistant. Answer in one sentence.")]
    );
    assert_eq!(
        req.messages,
        vec![
            user(vec![text("What is the capital of France?")]),
            assistant(vec![text("Paris.")]),
            user(vec![text("And of Italy?")]),
        ]
    );
    assert_eq!(req.sampling.temperature, Some(0.3));
    assert_eq!(req.sampling.top_k, Some(40));
    assert_eq!(req.sampling.max_tokens, Some(512));
    assert_eq!(
        req.sampling.stop,
        vec!["\n\nHuman:".to_owned(), "END".into()]
    );
    assert_eq!(req.user.as_deref(), Some("user-7f3a"));
}

#[test]
fn decodes_base64_and_url_images() {
    let req = decode("image");
    let content = &req.messages[0].content;
    assert!(matches!(
        &content[0],
        Block::Image { image: Image::Base64 { media_type, data }, detail: None }
            if media_type == "image/png" && data.starts_with("iVBORw0KGgo")
    ));
    assert_eq!(
        content[1],
        Block::image(Image::Url(
            "https://upload.example.org/photos/ant.jpg".into()
        ))
    );
    assert_eq!(content[2], text("Compare these two images."));
}

#[test]
fn decodes_parallel_tool_calls_results_and_tool_choice() {
    let req = decode("tools_parallel");
    assert_eq!(req.tools.len(), 2);
    assert_eq!(req.tools[0].name, "get_weather");
    assert_eq!(
        req.tools[1].parameters,
        r#"{"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}"#,
        "schemas stay byte-exact"
    );
    assert_eq!(req.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(req.parallel_tool_calls, Some(true));
    assert_eq!(
        req.messages[1].content[1],
        Block::ToolCall {
            id: "toolu_01A09q90qw90lq917835lq9".into(),
            name: "get_weather".into(),
            arguments: r#"{"location": "Paris, France", "unit": "celsius"}"#.into(),
        }
    );
    assert_eq!(
        req.messages[2].content,
        vec![
            Block::ToolResult {
                call_id: "toolu_01A09q90qw90lq917835lq9".into(),
                name: None,
                content: vec![text("15 degrees, light rain")],
                is_error: false,
            },
            Block::ToolResult {
                call_id: "toolu_01B19r81rx81mr828946mr8".into(),
                name: None,
                content: vec![text("unknown time zone")],
                is_error: true,
            },
        ]
    );
}

#[test]
fn decodes_a_named_tool_choice_that_disables_parallel_calls() {
    let req = decode("tool_choice_tool");
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice::Named("record_summary".into()))
    );
    assert_eq!(req.parallel_tool_calls, Some(false));
    for (body, choice) in [
        (r#"{"type":"any"}"#, ToolChoice::Required),
        (r#"{"type":"none"}"#, ToolChoice::None),
        (r#"{"type":"auto"}"#, ToolChoice::Auto),
    ] {
        let req = decode_request(
            format!(r#"{{"model":"m","messages":[],"tool_choice":{body}}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(req.tool_choice, Some(choice));
        assert_eq!(req.parallel_tool_calls, None);
    }
}

#[test]
fn decodes_thinking_budget_signatures_and_redacted_thinking() {
    let req = decode("thinking");
    assert_eq!(
        req.reasoning,
        Some(Reasoning {
            budget: Some(10000),
            ..Reasoning::default()
        })
    );
    let turn = &req.messages[1].content;
    assert_eq!(
        turn[0],
        Block::Thinking {
            text: "I need the weather in both cities. Let me start with Paris.".into(),
            signature: claude_sig(
                "EqQBCgIYAhIMzq0kAq5Ax3aFxxmfGgwJ0g7Ni5tcLq8Y3V0iMDcf6ZzAUx8UO1R6Vp1nnI5q"
            ),
        }
    );
    assert_eq!(
        turn[1],
        Block::RedactedThinking {
            data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP".into(),
            origin: Family::Claude,
        }
    );
}

#[test]
fn decodes_thinking_modes_and_effort() {
    let reasoning = |extra: &str| {
        decode_request(format!(r#"{{"model":"m","messages":[]{extra}}}"#).as_bytes())
            .unwrap()
            .reasoning
    };
    let effort = |e| {
        Some(Reasoning {
            effort: Some(e),
            ..Reasoning::default()
        })
    };
    assert_eq!(reasoning(""), None);
    assert_eq!(
        reasoning(r#","thinking":{"type":"adaptive"}"#),
        effort(Effort::Auto)
    );
    assert_eq!(
        reasoning(r#","thinking":{"type":"adaptive"},"output_config":{"effort":"max"}"#),
        effort(Effort::Max)
    );
    assert_eq!(
        reasoning(r#","thinking":{"type":"disabled"}"#),
        effort(Effort::None)
    );
    assert_eq!(
        reasoning(r#","output_config":{"effort":"low"}"#),
        effort(Effort::Low)
    );
    assert_eq!(
        reasoning(
            r#","thinking":{"type":"enabled","budget_tokens":2048},"output_config":{"effort":"medium"}"#
        ),
        Some(Reasoning {
            effort: Some(Effort::Medium),
            budget: Some(2048),
            include_thoughts: None,
        })
    );
    assert_eq!(reasoning(r#","thinking":{"type":"someday"}"#), None);
}

#[test]
fn decodes_structured_output_from_output_config_and_the_beta_field() {
    let req = decode("structured_output");
    let Some(ir::ResponseFormat::JsonSchema {
        name,
        schema,
        strict,
    }) = &req.response_format
    else {
        panic!("{:?}", req.response_format);
    };
    assert_eq!(name, SCHEMA_NAME);
    assert_eq!(*strict, None);
    assert!(schema.starts_with(r#"{"type": "object", "properties": {"name""#));

    let beta = decode_request(
        br#"{"model":"m","messages":[],"output_format":{"type":"json_schema","schema":{"type":"object"}}}"#,
    )
    .unwrap();
    assert_eq!(
        beta.response_format,
        Some(ir::ResponseFormat::JsonSchema {
            name: SCHEMA_NAME.into(),
            schema: r#"{"type":"object"}"#.into(),
            strict: None,
        })
    );
}

#[test]
fn keeps_documents_and_server_blocks_opaque_and_drops_server_tools() {
    let req = decode("server_tools");
    assert_eq!(req.tools.len(), 1, "the web_search server tool is dropped");
    assert_eq!(req.tools[0].name, "lookup");
    let Block::Opaque { origin, raw } = &req.messages[0].content[0] else {
        panic!("{:?}", req.messages[0].content[0]);
    };
    assert_eq!(*origin, Family::Claude);
    assert!(raw.starts_with(r#"{"type": "document""#), "{raw}");
    assert!(matches!(
        &req.messages[1].content[..],
        [Block::Opaque { .. }, Block::Opaque { .. }, Block::Text(_)]
    ));
}

#[test]
fn decodes_the_real_claude_code_body() {
    let req = decode("claude_code");
    assert_eq!(req.model, "claude-opus-4-8");
    assert!(req.stream);
    assert_eq!(req.system.len(), 3, "billing header and two cached blocks");
    assert_eq!(
        req.reasoning,
        Some(Reasoning {
            effort: Some(Effort::High),
            ..Reasoning::default()
        })
    );
    assert!(req.user.as_deref().unwrap().starts_with(r#"{"device_id""#));
    assert_eq!(req.tools.len(), 3);
    assert!(req.tools[0].parameters.contains("additionalProperties"));
    let roles: Vec<Role> = req.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::System, Role::Assistant, Role::User]
    );
    assert_eq!(req.messages[0].content.len(), 2);
    assert!(matches!(
        &req.messages[3].content[0],
        Block::ToolResult { is_error: false, content, .. } if content == &[text("Cargo.toml\nREADME.md\nsrc")]
    ));
}

#[test]
fn count_tokens_takes_the_messages_body_without_max_tokens() {
    let req = decode_count_tokens(
        br#"{"model":"claude-sonnet-4-5","system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}"#,
    )
    .unwrap();
    assert_eq!(req.sampling.max_tokens, None);
    assert_eq!(req.messages, vec![user(vec![text("Hi")])]);
    assert_eq!(
        json(&encode_count_tokens_response(42)),
        serde_json::json!({"input_tokens": 42})
    );
    assert_eq!(
        decode_count_tokens_response(br#"{"input_tokens": 17}"#).unwrap(),
        17
    );
    assert_eq!(
        decode_count_tokens_response(b"{}").unwrap_err().kind,
        Kind::UpstreamProtocol
    );
    let body = json(
        &encode_count_tokens_request(&req, "claude-haiku-4-5", &EncodeOptions::default()).unwrap(),
    );
    assert_eq!(
        body,
        serde_json::json!({
            "model": "claude-haiku-4-5",
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
        })
    );
}

#[test]
fn rejects_malformed_client_bodies_with_clear_messages() {
    for (body, needle) in [
        (&b"not json"[..], "invalid Anthropic Messages request"),
        (br#"[1]"#, "invalid Anthropic Messages request"),
        (br#"{"messages":[]}"#, "model"),
        (br#"{"model":"m"}"#, "messages"),
        (br#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, "messages.0.role"),
        (br#"{"model":"m","messages":[{"role":"user","content":7}]}"#, "messages.0.content"),
        (
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"tool_use","name":"x","input":{}}]}]}"#,
            "messages.0.content.0.id",
        ),
        (
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"#,
            "messages.0.content.0",
        ),
        (br#"{"model":"m","messages":[{"role":"user","content":["x"]}]}"#, "must be an object"),
        (br#"{"model":"m","messages":[],"tool_choice":{"type":"sometimes"}}"#, "tool_choice.type"),
        (br#"{"model":"m","messages":[],"tool_choice":{"type":"tool"}}"#, "tool_choice.name"),
        (br#"{"model":"m","messages":[],"output_config":{"effort":"huge"}}"#, "effort"),
        (br#"{"model":"m","messages":[],"tools":[{"description":"no name"}]}"#, "tools.0.name"),
    ] {
        let err = decode_request(body).unwrap_err();
        assert_eq!(err.kind, Kind::InvalidRequest, "{}", String::from_utf8_lossy(body));
        assert!(err.message.contains(needle), "{needle:?} not in {:?}", err.message);
    }
}
