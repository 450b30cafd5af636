//! Reads the JSON that `render` writes back into IR values, so hand-written IR fixtures can
//! drive the encoders.

use serde_json::Value;

use crate::ir::{
    Block, BlockKind, Delta, Effort, Event, Family, Image, Message, Reasoning, Request, Response,
    ResponseFormat, Role, Sampling, Signature, StopReason, Tool, ToolChoice, Usage,
};

fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("expected a string: {v}"))
}

fn opt_s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Raw JSON text from a rendered value (strings that are not JSON stay as they are).
fn raw(v: &Value) -> String {
    match v {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn family(v: &Value) -> Family {
    match v.as_str() {
        Some("openai") => Family::OpenAi,
        Some("responses") => Family::Responses,
        Some("claude") => Family::Claude,
        Some("gemini") => Family::Gemini,
        _ => panic!("unknown family {v}"),
    }
}

fn signature(v: &Value) -> Option<Signature> {
    (!v.is_null()).then(|| Signature {
        origin: family(&v["origin"]),
        value: s(&v["value"]),
    })
}

pub fn block(v: &Value) -> Block {
    let (kind, b) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("block object");
    match kind.as_str() {
        "text" => Block::Text(s(b)),
        "image" => {
            if let Some(x) = b.get("base64") {
                Block::image(Image::Base64 {
                    media_type: s(&x["media_type"]),
                    data: s(&x["data"]),
                })
            } else if let Some(u) = b.get("url") {
                Block::image(Image::Url(s(u)))
            } else {
                let f = &b["file"];
                Block::image(Image::File {
                    uri: s(&f["uri"]),
                    media_type: opt_s(&f["media_type"]),
                })
            }
        }
        "tool_call" => Block::ToolCall {
            id: s(&b["id"]),
            name: s(&b["name"]),
            arguments: raw(&b["arguments"]),
        },
        "tool_result" => Block::ToolResult {
            call_id: s(&b["call_id"]),
            name: opt_s(&b["name"]),
            content: blocks(&b["content"]),
            is_error: b["is_error"].as_bool().unwrap_or(false),
        },
        "thinking" => Block::Thinking {
            text: s(&b["text"]),
            signature: signature(&b["signature"]),
        },
        "redacted_thinking" => Block::RedactedThinking {
            data: s(&b["data"]),
            origin: family(&b["origin"]),
        },
        "opaque" => Block::Opaque {
            origin: family(&b["origin"]),
            raw: raw(&b["raw"]),
        },
        other => panic!("unknown block {other}"),
    }
}

fn blocks(v: &Value) -> Vec<Block> {
    v.as_array()
        .map(|a| a.iter().map(block).collect())
        .unwrap_or_default()
}

fn role(v: &Value) -> Role {
    match v.as_str() {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("system") => Role::System,
        _ => panic!("unknown role {v}"),
    }
}

fn u32_of(v: &Value) -> Option<u32> {
    v.as_u64().map(|n| u32::try_from(n).expect("u32"))
}

pub fn request(v: &Value) -> Request {
    let sampling = &v["sampling"];
    Request {
        model: s(&v["model"]),
        system: blocks(&v["system"]),
        messages: v["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| Message {
                        role: role(&m["role"]),
                        content: blocks(&m["content"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tools: v["tools"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| Tool {
                        name: s(&t["name"]),
                        description: opt_s(&t["description"]),
                        parameters: raw(&t["parameters"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tool_choice: match &v["tool_choice"] {
            Value::Null => None,
            Value::String(c) => Some(match c.as_str() {
                "auto" => ToolChoice::Auto,
                "none" => ToolChoice::None,
                "required" => ToolChoice::Required,
                other => panic!("unknown tool choice {other}"),
            }),
            other => Some(ToolChoice::Named(s(&other["named"]))),
        },
        parallel_tool_calls: v["parallel_tool_calls"].as_bool(),
        sampling: Sampling {
            temperature: sampling["temperature"].as_f64(),
            top_p: sampling["top_p"].as_f64(),
            top_k: u32_of(&sampling["top_k"]),
            max_tokens: u32_of(&sampling["max_tokens"]),
            stop: sampling["stop"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default(),
            seed: sampling["seed"].as_i64(),
            presence_penalty: sampling["presence_penalty"].as_f64(),
            frequency_penalty: sampling["frequency_penalty"].as_f64(),
        },
        response_format: match &v["response_format"] {
            Value::Null => None,
            Value::String(f) if f == "text" => Some(ResponseFormat::Text),
            Value::String(f) if f == "json_object" => Some(ResponseFormat::JsonObject),
            other => {
                let j = &other["json_schema"];
                Some(ResponseFormat::JsonSchema {
                    name: s(&j["name"]),
                    schema: raw(&j["schema"]),
                    strict: j["strict"].as_bool(),
                })
            }
        },
        reasoning: v
            .get("reasoning")
            .filter(|r| !r.is_null())
            .map(|r| Reasoning {
                effort: r["effort"].as_str().and_then(Effort::parse),
                budget: r["budget"].as_i64(),
                include_thoughts: r["include_thoughts"].as_bool(),
            }),
        stream: v["stream"].as_bool().unwrap_or(false),
        n: u32_of(&v["n"]),
        user: opt_s(&v["user"]),
    }
}

pub fn stop(v: &Value) -> StopReason {
    match v {
        Value::String(x) => match x.as_str() {
            "end_turn" => StopReason::EndTurn,
            "max_tokens" => StopReason::MaxTokens,
            "tool_use" => StopReason::ToolUse,
            "content_filter" => StopReason::ContentFilter,
            "refusal" => StopReason::Refusal,
            other => panic!("unknown stop {other}"),
        },
        other => {
            if let Some(seq) = other.get("stop_sequence") {
                StopReason::StopSequence(opt_s(seq))
            } else {
                StopReason::Other(s(&other["other"]))
            }
        }
    }
}

pub fn usage(v: &Value) -> Usage {
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Usage {
        input: n("input"),
        output: n("output"),
        cache_read: n("cache_read"),
        cache_write: n("cache_write"),
        reasoning: n("reasoning"),
    }
}

pub fn response(v: &Value) -> Response {
    Response {
        id: s(&v["id"]),
        model: s(&v["model"]),
        created: v["created"].as_u64().unwrap_or(0),
        content: blocks(&v["content"]),
        stop: stop(&v["stop"]),
        usage: usage(&v["usage"]),
    }
}

fn index(v: &Value) -> usize {
    usize::try_from(v.as_u64().expect("index")).expect("usize")
}

pub fn event(v: &Value) -> Event {
    let (kind, e) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("event object");
    match kind.as_str() {
        "start" => Event::Start {
            id: s(&e["id"]),
            model: s(&e["model"]),
        },
        "block_start" => Event::BlockStart {
            index: index(&e["index"]),
            kind: match &e["kind"] {
                Value::String(k) if k == "text" => BlockKind::Text,
                Value::String(k) if k == "thinking" => BlockKind::Thinking,
                other => {
                    if let Some(c) = other.get("tool_call") {
                        BlockKind::ToolCall {
                            id: s(&c["id"]),
                            name: s(&c["name"]),
                        }
                    } else {
                        BlockKind::RedactedThinking {
                            data: s(&other["redacted_thinking"]),
                        }
                    }
                }
            },
        },
        "delta" => {
            let (k, d) = e["delta"]
                .as_object()
                .and_then(|o| o.iter().next())
                .expect("delta");
            Event::Delta {
                index: index(&e["index"]),
                delta: match k.as_str() {
                    "text" => Delta::Text(s(d)),
                    "thinking" => Delta::Thinking(s(d)),
                    "signature" => Delta::Signature(signature(d).expect("signature")),
                    "tool_arguments" => Delta::ToolArguments(s(d)),
                    other => panic!("unknown delta {other}"),
                },
            }
        }
        "block_stop" => Event::BlockStop { index: index(e) },
        "usage" => Event::Usage(usage(e)),
        "finish" => Event::Finish { stop: stop(e) },
        "error" => Event::Error { message: s(e) },
        other => panic!("unknown event {other}"),
    }
}

pub fn events(v: &Value) -> Vec<Event> {
    v.as_array()
        .expect("events array")
        .iter()
        .map(event)
        .collect()
}
