//! Anthropic Messages request bodies → IR: what Claude clients (Claude Code, the SDKs) send,
//! including blocks and tools the IR only carries opaquely. Shared by the response decoder for
//! content blocks. No I/O.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::invalid;
use crate::error::Error;
use crate::ir::{self, Effort, Family};
use crate::protocol::claude;

/// The schema name given to Claude structured output (Claude has none; OpenAI requires one).
pub const SCHEMA_NAME: &str = "response";

/// The `input_schema` of a tool that has none.
pub(super) const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

/// Block types this decoder understands; a malformed one of these is a 400, while any other
/// type is kept raw as `Block::Opaque`.
const KNOWN_BLOCKS: [&str; 6] = [
    "text",
    "image",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

pub(super) fn decode(body: &[u8]) -> Result<ir::Request, Error> {
    let req: claude::Request<'_> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("invalid Anthropic Messages request: {e}")))?;
    let model = req
        .model
        .ok_or_else(|| invalid("model: field required"))?
        .into_owned();

    let mut system = Vec::new();
    if let Some(raw) = req.system {
        decode_system(raw, &mut system)?;
    }

    let mut messages = Vec::with_capacity(req.messages.len());
    for (i, m) in req.messages.iter().enumerate() {
        let role = match m.role.as_ref() {
            "user" => ir::Role::User,
            "assistant" => ir::Role::Assistant,
            "system" => ir::Role::System,
            other => {
                return Err(invalid(format!(
                    "messages.{i}.role: unknown role `{other}` (expected user, assistant or system)"
                )))
            }
        };
        let content = decode_content(m.content, &format!("messages.{i}.content"))?;
        messages.push(ir::Message { role, content });
    }

    let mut tools = Vec::new();
    for (i, raw) in req.tools.iter().flatten().enumerate() {
        if let Some(tool) = decode_tool(raw, i)? {
            tools.push(tool);
        }
    }

    let (tool_choice, parallel_tool_calls) = match &req.tool_choice {
        Some(tc) => decode_tool_choice(tc)?,
        None => (None, None),
    };

    let effort = match req.output_config.as_ref().and_then(|c| c.effort.as_deref()) {
        Some(name) => Some(
            Effort::parse(name)
                .ok_or_else(|| invalid(format!("output_config.effort: unknown level `{name}`")))?,
        ),
        None => None,
    };
    let reasoning = decode_reasoning(req.thinking.as_ref(), effort);

    let format = req
        .output_config
        .as_ref()
        .and_then(|c| c.format.as_ref())
        .or(req.output_format.as_ref());
    let response_format = match format {
        Some(f) if f.kind == "json_schema" => {
            let schema = f
                .schema
                .ok_or_else(|| invalid("output_format.schema: field required for json_schema"))?;
            Some(ir::ResponseFormat::JsonSchema {
                name: SCHEMA_NAME.to_owned(),
                schema: schema.get().to_owned(),
                strict: None,
            })
        }
        _ => None,
    };

    Ok(ir::Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling: ir::Sampling {
            temperature: req.temperature,
            top_p: req.top_p,
            top_k: req.top_k,
            max_tokens: req.max_tokens,
            stop: req
                .stop_sequences
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
            ..ir::Sampling::default()
        },
        response_format,
        reasoning,
        stream: req.stream.unwrap_or(false),
        n: None,
        user: req.metadata.and_then(|m| m.user_id).map(Cow::into_owned),
    })
}

/// A field that holds a string or an array of blocks.
enum TextOrBlocks<'a> {
    Text(Cow<'a, str>),
    Blocks(Vec<&'a RawValue>),
}

fn text_or_blocks<'a>(raw: &'a RawValue, path: &str) -> Result<TextOrBlocks<'a>, Error> {
    let text = raw.get();
    let parsed = match text.trim_start().as_bytes().first() {
        Some(b'"') => serde_json::from_str(text).map(TextOrBlocks::Text),
        Some(b'[') => serde_json::from_str(text).map(TextOrBlocks::Blocks),
        _ => return Err(invalid(format!("{path}: expected a string or an array"))),
    };
    parsed.map_err(|e| invalid(format!("{path}: {e}")))
}

fn decode_system(raw: &RawValue, out: &mut Vec<ir::Block>) -> Result<(), Error> {
    match text_or_blocks(raw, "system")? {
        TextOrBlocks::Text(t) => {
            if !t.is_empty() {
                out.push(ir::Block::Text(t.into_owned()));
            }
        }
        TextOrBlocks::Blocks(blocks) => {
            for (i, b) in blocks.iter().enumerate() {
                // System blocks are text; cache_control and anything else are dropped.
                match decode_block(b, &format!("system.{i}"))? {
                    ir::Block::Text(t) if !t.is_empty() => out.push(ir::Block::Text(t)),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn decode_content(raw: &RawValue, path: &str) -> Result<Vec<ir::Block>, Error> {
    match text_or_blocks(raw, path)? {
        TextOrBlocks::Text(t) if t.is_empty() => Ok(Vec::new()),
        TextOrBlocks::Text(t) => Ok(vec![ir::Block::Text(t.into_owned())]),
        TextOrBlocks::Blocks(blocks) => blocks
            .iter()
            .enumerate()
            .map(|(i, b)| decode_block(b, &format!("{path}.{i}")))
            .collect(),
    }
}

/// One content block (request or response). Unknown types are kept raw; a known type that
/// does not parse is the client's error.
pub(super) fn decode_block(raw: &RawValue, path: &str) -> Result<ir::Block, Error> {
    let block = match serde_json::from_str::<claude::ContentBlock<'_>>(raw.get()) {
        Ok(block) => block,
        Err(e) => {
            let typed = serde_json::from_str::<claude::Typed<'_>>(raw.get())
                .map_err(|_| invalid(format!("{path}: a content block must be an object")))?;
            return match typed.kind.as_deref() {
                Some(kind) if !KNOWN_BLOCKS.contains(&kind) => Ok(opaque(raw)),
                _ => Err(invalid(format!("{path}: {e}"))),
            };
        }
    };
    let missing = |field: &str| invalid(format!("{path}.{field}: field required"));
    Ok(match block.kind.as_ref() {
        "text" => ir::Block::Text(block.text.map(Cow::into_owned).unwrap_or_default()),
        "image" => {
            let source = block.source.ok_or_else(|| missing("source"))?;
            match source.kind.as_ref() {
                "base64" => ir::Block::image(ir::Image::Base64 {
                    media_type: source
                        .media_type
                        .ok_or_else(|| missing("source.media_type"))?
                        .into_owned(),
                    data: source
                        .data
                        .ok_or_else(|| missing("source.data"))?
                        .into_owned(),
                }),
                "url" => ir::Block::image(ir::Image::Url(
                    source
                        .url
                        .ok_or_else(|| missing("source.url"))?
                        .into_owned(),
                )),
                // Files API ids and future sources have no IR equivalent.
                _ => opaque(raw),
            }
        }
        "tool_use" => ir::Block::ToolCall {
            id: block.id.ok_or_else(|| missing("id"))?.into_owned(),
            name: block.name.ok_or_else(|| missing("name"))?.into_owned(),
            arguments: block
                .input
                .map_or_else(|| "{}".to_owned(), |r| r.get().to_owned()),
        },
        "tool_result" => {
            let content = match block.content {
                Some(raw) if raw.get() != "null" => {
                    decode_content(raw, &format!("{path}.content"))?
                }
                _ => Vec::new(),
            };
            ir::Block::ToolResult {
                call_id: block
                    .tool_use_id
                    .ok_or_else(|| missing("tool_use_id"))?
                    .into_owned(),
                name: None,
                content,
                is_error: block.is_error.unwrap_or(false),
            }
        }
        "thinking" => ir::Block::Thinking {
            text: block.thinking.map(Cow::into_owned).unwrap_or_default(),
            signature: block
                .signature
                .filter(|s| !s.is_empty())
                .map(|s| ir::Signature {
                    origin: Family::Claude,
                    value: s.into_owned(),
                }),
        },
        "redacted_thinking" => ir::Block::RedactedThinking {
            data: block.data.ok_or_else(|| missing("data"))?.into_owned(),
            origin: Family::Claude,
        },
        // document, search_result, server_tool_use, web_search_tool_result, mcp_*, ...
        _ => opaque(raw),
    })
}

fn opaque(raw: &RawValue) -> ir::Block {
    ir::Block::Opaque {
        origin: Family::Claude,
        raw: raw.get().to_owned(),
    }
}

/// A custom tool, or `None` for a server tool (`web_search_20250305`, `bash_20250124`, ...):
/// the IR has no slot for those, so they are dropped.
fn decode_tool(raw: &RawValue, i: usize) -> Result<Option<ir::Tool>, Error> {
    let path = format!("tools.{i}");
    let tool = match serde_json::from_str::<claude::Tool<'_>>(raw.get()) {
        Ok(tool) => tool,
        Err(e) => {
            let typed = serde_json::from_str::<claude::Typed<'_>>(raw.get())
                .map_err(|_| invalid(format!("{path}: a tool must be an object")))?;
            return match typed.kind.as_deref() {
                None | Some("custom") => Err(invalid(format!("{path}: {e}"))),
                Some(_) => Ok(None),
            };
        }
    };
    if !matches!(tool.kind.as_deref(), None | Some("custom")) {
        return Ok(None);
    }
    let name = tool
        .name
        .ok_or_else(|| invalid(format!("{path}.name: field required")))?;
    Ok(Some(ir::Tool {
        name: name.into_owned(),
        description: tool.description.map(Cow::into_owned),
        parameters: tool
            .input_schema
            .map_or_else(|| EMPTY_SCHEMA.to_owned(), |s| s.get().to_owned()),
    }))
}

fn decode_tool_choice(
    tc: &claude::ToolChoice<'_>,
) -> Result<(Option<ir::ToolChoice>, Option<bool>), Error> {
    let choice = match tc.kind.as_ref() {
        "auto" => ir::ToolChoice::Auto,
        "any" => ir::ToolChoice::Required,
        "none" => ir::ToolChoice::None,
        "tool" => ir::ToolChoice::Named(
            tc.name
                .as_deref()
                .ok_or_else(|| invalid("tool_choice.name: field required for type tool"))?
                .to_owned(),
        ),
        other => {
            return Err(invalid(format!(
                "tool_choice.type: unknown type `{other}` (expected auto, any, tool or none)"
            )))
        }
    };
    Ok((Some(choice), tc.disable_parallel_tool_use.map(|d| !d)))
}

/// `thinking` plus `output_config.effort`. `enabled` keeps its budget, `adaptive` becomes the
/// effort (Auto when none is given), `disabled` becomes `Effort::None`; an unknown type is
/// ignored, as a future setting the IR cannot carry.
fn decode_reasoning(
    thinking: Option<&claude::Thinking<'_>>,
    effort: Option<Effort>,
) -> Option<ir::Reasoning> {
    let reasoning = |effort, budget| {
        Some(ir::Reasoning {
            effort,
            budget,
            include_thoughts: None,
        })
    };
    match thinking.map(|t| (t.kind.as_ref(), t.budget_tokens)) {
        Some(("enabled", budget)) => reasoning(effort, budget),
        Some(("adaptive", _)) => reasoning(Some(effort.unwrap_or(Effort::Auto)), None),
        Some(("disabled", _)) => reasoning(Some(Effort::None), None),
        _ => effort.and_then(|e| reasoning(Some(e), None)),
    }
}
