//! Renders IR values as JSON so golden files can hold them (the IR itself has no serde).

use serde_json::{json, Map, Value};

use crate::ir::{
    Block, BlockKind, Delta, Event, Family, Image, Message, Request, Response, ResponseFormat,
    Role, Signature, StopReason, ToolChoice, Usage,
};

/// Raw JSON text as its parsed value (or the text itself when it does not parse).
fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn family(f: Family) -> &'static str {
    match f {
        Family::OpenAi => "openai",
        Family::Responses => "responses",
        Family::Claude => "claude",
        Family::Gemini => "gemini",
    }
}

fn signature(s: &Signature) -> Value {
    json!({"origin": family(s.origin), "value": s.value})
}

pub fn block(b: &Block) -> Value {
    match b {
        Block::Text(t) => json!({"text": t}),
        Block::Image {
            image: Image::Base64 { media_type, data },
            ..
        } => {
            json!({"image": {"base64": {"media_type": media_type, "data": data}}})
        }
        Block::Image {
            image: Image::Url(u),
            ..
        } => json!({"image": {"url": u}}),
        Block::Image {
            image: Image::File { uri, media_type },
            ..
        } => {
            json!({"image": {"file": {"uri": uri, "media_type": media_type}}})
        }
        Block::ToolCall {
            id,
            name,
            arguments,
        } => json!({"tool_call": {"id": id, "name": name, "arguments": raw(arguments)}}),
        Block::ToolResult {
            call_id,
            name,
            content,
            is_error,
        } => json!({"tool_result": {
            "call_id": call_id, "name": name,
            "content": content.iter().map(block).collect::<Vec<_>>(), "is_error": is_error
        }}),
        Block::Thinking { text, signature: s } => {
            json!({"thinking": {"text": text, "signature": s.as_ref().map(signature)}})
        }
        Block::RedactedThinking { data, origin } => {
            json!({"redacted_thinking": {"data": data, "origin": family(*origin)}})
        }
        Block::Opaque { origin, raw: r } => {
            json!({"opaque": {"origin": family(*origin), "raw": raw(r)}})
        }
    }
}

fn blocks(bs: &[Block]) -> Value {
    Value::Array(bs.iter().map(block).collect())
}

fn message(m: &Message) -> Value {
    let role = match m.role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    };
    json!({"role": role, "content": blocks(&m.content)})
}

fn tool_choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Named(n) => json!({"named": n}),
    }
}

/// Adds `key: value` when the value is not null.
fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_owned(), value);
    }
}

pub fn request(r: &Request) -> Value {
    let mut m = Map::new();
    m.insert("model".into(), json!(r.model));
    m.insert("system".into(), blocks(&r.system));
    m.insert(
        "messages".into(),
        Value::Array(r.messages.iter().map(message).collect()),
    );
    m.insert(
        "tools".into(),
        Value::Array(
            r.tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "parameters": raw(&t.parameters)}))
                .collect(),
        ),
    );
    put(
        &mut m,
        "tool_choice",
        r.tool_choice
            .as_ref()
            .map(tool_choice)
            .unwrap_or(Value::Null),
    );
    put(&mut m, "parallel_tool_calls", json!(r.parallel_tool_calls));
    let s = &r.sampling;
    let mut sampling = Map::new();
    put(&mut sampling, "temperature", json!(s.temperature));
    put(&mut sampling, "top_p", json!(s.top_p));
    put(&mut sampling, "top_k", json!(s.top_k));
    put(&mut sampling, "max_tokens", json!(s.max_tokens));
    if !s.stop.is_empty() {
        sampling.insert("stop".into(), json!(s.stop));
    }
    put(&mut sampling, "seed", json!(s.seed));
    put(&mut sampling, "presence_penalty", json!(s.presence_penalty));
    put(
        &mut sampling,
        "frequency_penalty",
        json!(s.frequency_penalty),
    );
    m.insert("sampling".into(), Value::Object(sampling));
    let format = match &r.response_format {
        None => Value::Null,
        Some(ResponseFormat::Text) => json!("text"),
        Some(ResponseFormat::JsonObject) => json!("json_object"),
        Some(ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        }) => {
            json!({"json_schema": {"name": name, "schema": raw(schema), "strict": strict}})
        }
    };
    put(&mut m, "response_format", format);
    if let Some(re) = &r.reasoning {
        m.insert(
            "reasoning".into(),
            json!({"effort": re.effort.map(|e| e.as_str()), "budget": re.budget, "include_thoughts": re.include_thoughts}),
        );
    }
    m.insert("stream".into(), json!(r.stream));
    put(&mut m, "n", json!(r.n));
    put(&mut m, "user", json!(r.user));
    Value::Object(m)
}

pub fn stop(s: &StopReason) -> Value {
    match s {
        StopReason::EndTurn => json!("end_turn"),
        StopReason::MaxTokens => json!("max_tokens"),
        StopReason::StopSequence(x) => json!({"stop_sequence": x}),
        StopReason::ToolUse => json!("tool_use"),
        StopReason::ContentFilter => json!("content_filter"),
        StopReason::Refusal => json!("refusal"),
        StopReason::Other(o) => json!({"other": o}),
    }
}

pub fn usage(u: &Usage) -> Value {
    json!({"input": u.input, "output": u.output, "cache_read": u.cache_read, "cache_write": u.cache_write, "reasoning": u.reasoning})
}

pub fn response(r: &Response) -> Value {
    json!({
        "id": r.id, "model": r.model, "created": r.created,
        "content": blocks(&r.content), "stop": stop(&r.stop), "usage": usage(&r.usage)
    })
}

pub fn event(e: &Event) -> Value {
    match e {
        Event::Start { id, model } => json!({"start": {"id": id, "model": model}}),
        Event::BlockStart { index, kind } => {
            let kind = match kind {
                BlockKind::Text => json!("text"),
                BlockKind::Thinking => json!("thinking"),
                BlockKind::ToolCall { id, name } => json!({"tool_call": {"id": id, "name": name}}),
                BlockKind::RedactedThinking { data } => json!({"redacted_thinking": data}),
            };
            json!({"block_start": {"index": index, "kind": kind}})
        }
        Event::Delta { index, delta } => {
            let delta = match delta {
                Delta::Text(t) => json!({"text": t}),
                Delta::Thinking(t) => json!({"thinking": t}),
                Delta::Signature(s) => json!({"signature": signature(s)}),
                Delta::ToolArguments(a) => json!({"tool_arguments": a}),
            };
            json!({"delta": {"index": index, "delta": delta}})
        }
        Event::BlockStop { index } => json!({"block_stop": index}),
        Event::Usage(u) => json!({"usage": usage(u)}),
        Event::Finish { stop: s } => json!({"finish": stop(s)}),
        Event::Error { message } => json!({"error": message}),
    }
}

pub fn events(es: &[Event]) -> Value {
    Value::Array(es.iter().map(event).collect())
}
