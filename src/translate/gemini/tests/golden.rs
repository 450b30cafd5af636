//! Golden fixtures: client requests, upstream responses and hand-written IR, both ways.

use super::{golden, json, parse, read, read_json, render};
use crate::translate::gemini::{decode_request, decode_response, encode_request, encode_response};

/// Request cases and the upstream model each is encoded for.
pub(super) const REQUESTS: &[(&str, &str)] = &[
    ("text", "gemini-2.5-flash"),
    ("multi_turn", "gemini-2.5-flash"),
    ("system_camel", "gemini-2.5-flash"),
    ("system_snake", "gemini-2.5-flash"),
    ("images", "gemini-2.5-flash"),
    ("tools_parallel", "gemini-3-flash-preview"),
    ("thinking_signature", "gemini-2.5-pro"),
    ("json_schema", "gemini-2.5-flash"),
    ("json_object", "gemini-2.5-flash"),
    ("gemini_cli", "gemini-3-pro-preview"),
    ("code_execution", "gemini-2.5-flash"),
];

#[test]
fn client_requests_decode_and_reencode_as_the_golden_files_say() {
    for (case, model) in REQUESTS {
        let body = read(&format!("request/{case}/in.json"));
        let ir = decode_request(&body, model).unwrap_or_else(|e| panic!("{case}: {e}"));
        golden(&format!("request/{case}/ir.json"), &render::request(&ir));
        let out = encode_request(&ir, model).unwrap_or_else(|e| panic!("{case}: {e}"));
        golden(&format!("request/{case}/out.json"), &json(&out));
    }
}

/// IR written by hand (as other formats' decoders produce it) → upstream Gemini bodies.
const ENCODES: &[(&str, &str)] = &[
    ("foreign_history", "gemini-3-pro-preview"),
    ("system_mid_conversation", "gemini-2.5-flash"),
    ("reasoning_effort_gemini3", "gemini-3-flash-preview"),
    ("reasoning_effort_gemini25", "gemini-2.5-flash"),
    ("schema_cleaning", "gemini-2.5-flash"),
];

#[test]
fn ir_requests_encode_as_the_golden_files_say() {
    for (case, model) in ENCODES {
        let ir = parse::request(&read_json(&format!("encode/{case}/ir.json")));
        let out = encode_request(&ir, model).unwrap_or_else(|e| panic!("{case}: {e}"));
        golden(&format!("encode/{case}/out.json"), &json(&out));
    }
}

pub(super) const RESPONSES: &[&str] = &[
    "text",
    "function_calls_parallel",
    "thinking_usage",
    "max_tokens",
    "safety",
    "prompt_blocked",
    "json",
    "code_execution",
];

#[test]
fn upstream_responses_decode_and_reencode_as_the_golden_files_say() {
    for case in RESPONSES {
        let body = read(&format!("response/{case}/upstream.json"));
        let ir = decode_response(&body).unwrap_or_else(|e| panic!("{case}: {e}"));
        golden(&format!("response/{case}/ir.json"), &render::response(&ir));
        let out = encode_response(&ir);
        golden(&format!("response/{case}/client.json"), &json(&out));
    }
}

/// IR responses as other upstreams' decoders produce them → Gemini client bodies.
const RESPONSE_ENCODES: &[&str] = &["claude_thinking_tools"];

#[test]
fn ir_responses_encode_as_the_golden_files_say() {
    for case in RESPONSE_ENCODES {
        let ir = parse::response(&read_json(&format!("encode_response/{case}/ir.json")));
        let out = encode_response(&ir);
        golden(&format!("encode_response/{case}/client.json"), &json(&out));
    }
}

/// The test-only IR reader is the inverse of the renderer (raw JSON text aside, which the
/// renderer shows parsed).
#[test]
fn render_and_parse_agree_on_every_golden_ir() {
    for (case, model) in REQUESTS {
        let ir = decode_request(&read(&format!("request/{case}/in.json")), model).unwrap();
        let rendered = render::request(&ir);
        assert_eq!(
            render::request(&parse::request(&rendered)),
            rendered,
            "{case}"
        );
    }
    for case in RESPONSES {
        let ir = decode_response(&read(&format!("response/{case}/upstream.json"))).unwrap();
        let rendered = render::response(&ir);
        assert_eq!(
            render::response(&parse::response(&rendered)),
            rendered,
            "{case}"
        );
    }
}
