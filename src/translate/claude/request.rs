//! Anthropic Messages request bodies ↔ IR: decoding what Claude clients (Claude Code, the SDKs)
//! send, and encoding the IR into a body a Claude upstream accepts (role alternation, tool
//! results first, signatures only when Claude issued them, thinking constraints). No I/O.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::{invalid, EncodeOptions};
use crate::error::{Error, Kind};
use crate::ir::{self, Effort, Family};
use crate::protocol::claude;
use crate::translate::{ids, thinking};

/// `max_tokens` sent when the IR has none and thinking is off: every current Claude model
/// accepts it. The pipeline may fill `sampling.max_tokens` from its model catalogue instead.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

/// `max_tokens` sent when the IR has none and thinking is on: room for a budget plus an answer,
/// and within the output limit of every Claude model that thinks (Opus 4/4.1 stop at 32000).
pub const DEFAULT_MAX_TOKENS_THINKING: u32 = 32_000;

/// Anthropic's smallest `budget_tokens`.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// The budget sent for dynamic thinking (`Effort::Auto`, budget -1) on models without
/// adaptive thinking: mid-range, as the reference project converts `auto` where dynamic
/// thinking is not allowed.
pub const AUTO_THINKING_BUDGET: u32 = 8192;

/// The text of the user turn inserted when a conversation would start with the assistant:
/// Claude requires a first user turn and rejects empty text blocks.
pub const LEADING_USER_PLACEHOLDER: &str = "...";

/// The schema name given to Claude structured output (Claude has none; OpenAI requires one).
pub const SCHEMA_NAME: &str = "response";

/// The `input_schema` sent for a tool the IR gives no schema.
const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

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

// ---------------------------------------------------------------------------------------------
// Decode: client body → IR.

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
                if let ir::Block::Text(t) = decode_block(b, &format!("system.{i}"))? {
                    out.push(ir::Block::Text(t));
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
                "base64" => ir::Block::Image(ir::Image::Base64 {
                    media_type: source
                        .media_type
                        .ok_or_else(|| missing("source.media_type"))?
                        .into_owned(),
                    data: source
                        .data
                        .ok_or_else(|| missing("source.data"))?
                        .into_owned(),
                }),
                "url" => ir::Block::Image(ir::Image::Url(
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

// ---------------------------------------------------------------------------------------------
// Encode: IR → upstream body.

/// What the encoder decided about thinking before looking at `max_tokens`.
enum Plan {
    Omit,
    Disabled,
    Adaptive(Option<&'static str>),
    Budget(i64),
}

pub(super) fn encode(
    req: &ir::Request,
    model: &str,
    opts: &EncodeOptions,
    count_tokens: bool,
) -> Result<Vec<u8>, Error> {
    if req.n.is_some_and(|n| n > 1) {
        return Err(invalid(
            "Claude returns a single choice: `n` greater than 1 is not supported",
        ));
    }

    let mut system: Vec<claude::TextOut<'_>> = req
        .system
        .iter()
        .filter_map(|b| match b {
            ir::Block::Text(t) if !t.is_empty() => Some(text_out(t)),
            _ => None,
        })
        .collect();

    let mut turns = Turns::default();
    for msg in &req.messages {
        match msg.role {
            ir::Role::System => {
                let texts = msg.content.iter().filter_map(|b| match b {
                    ir::Block::Text(t) if !t.is_empty() => Some(t.as_str()),
                    _ => None,
                });
                if opts.mid_conversation_system && !turns.0.is_empty() {
                    for t in texts {
                        turns.push("system", claude::BlockOut::Text { text: t });
                    }
                } else {
                    system.extend(texts.map(text_out));
                }
            }
            ir::Role::User | ir::Role::Assistant => {
                let role = if msg.role == ir::Role::User {
                    "user"
                } else {
                    "assistant"
                };
                for block in &msg.content {
                    if let ir::Block::ToolResult { .. } = block {
                        if let Some(b) = encode_block(block)? {
                            turns.push("user", b);
                        }
                    } else if let Some(b) = encode_block(block)? {
                        turns.push(role, b);
                    }
                }
            }
        }
    }
    let mut messages = turns.finish();
    if messages.is_empty() {
        return Err(invalid(
            "the request has no message content Claude can take",
        ));
    }
    if messages.first().is_some_and(|m| m.role == "assistant") {
        messages.insert(
            0,
            claude::MessageParamOut {
                role: "user",
                content: vec![claude::BlockOut::Text {
                    text: LEADING_USER_PLACEHOLDER,
                }],
            },
        );
    }

    let tools = req
        .tools
        .iter()
        .map(|t| {
            Ok(claude::ToolOut {
                name: &t.name,
                description: t.description.as_deref(),
                input_schema: schema(&t.parameters).map_err(|e| {
                    invalid(format!("tool `{}`: invalid parameters schema: {e}", t.name))
                })?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;

    let tool_choice = if tools.is_empty() {
        None
    } else {
        encode_tool_choice(req.tool_choice.as_ref(), req.parallel_tool_calls)
    };
    let forced = matches!(
        tool_choice.as_ref().map(|c| c.kind),
        Some("any") | Some("tool")
    );

    // Thinking, subject to Anthropic's constraints: no forced tool use, and a final assistant
    // turn that calls tools must start with a (Claude-signed) thinking block.
    let mut plan = plan_thinking(req.reasoning.as_ref(), opts);
    if matches!(plan, Plan::Budget(_) | Plan::Adaptive(_))
        && (forced || !final_tool_turn_starts_with_thinking(&messages))
    {
        plan = Plan::Omit;
    }
    let thinking_on = matches!(plan, Plan::Budget(_) | Plan::Adaptive(_));
    let max_tokens = req.sampling.max_tokens.unwrap_or(if thinking_on {
        DEFAULT_MAX_TOKENS_THINKING
    } else {
        DEFAULT_MAX_TOKENS
    });
    let (thinking, effort) = match plan {
        Plan::Omit => (None, None),
        Plan::Disabled => (Some(claude::ThinkingOut::Disabled), None),
        Plan::Adaptive(effort) => (Some(claude::ThinkingOut::Adaptive), effort),
        Plan::Budget(b) => (clamp_budget(b, max_tokens), None),
    };
    let thinking_on = matches!(
        thinking,
        Some(claude::ThinkingOut::Enabled { .. } | claude::ThinkingOut::Adaptive)
    );

    let s = &req.sampling;
    let (mut temperature, mut top_p, mut top_k) = (s.temperature, s.top_p, s.top_k);
    if thinking_on {
        // With thinking, Claude takes only temperature 1, top_p in [0.95, 1] and no top_k.
        temperature = temperature.filter(|t| (*t - 1.0).abs() < f64::EPSILON);
        top_p = top_p.filter(|p| (0.95..=1.0).contains(p));
        top_k = None;
    }
    if temperature.is_some() {
        // Claude 4.5 and later models reject temperature and top_p together.
        top_p = None;
    }

    let format = match &req.response_format {
        Some(ir::ResponseFormat::JsonSchema { schema: raw, .. }) => Some(claude::OutputFormatOut {
            kind: "json_schema",
            schema: schema(raw)
                .map_err(|e| invalid(format!("response format: invalid JSON schema: {e}")))?,
        }),
        // Claude has no plain JSON mode; the prompt has to ask for JSON.
        Some(ir::ResponseFormat::JsonObject | ir::ResponseFormat::Text) | None => None,
    };
    let output_config = (effort.is_some() || format.is_some())
        .then_some(claude::OutputConfigOut { effort, format });

    let body = if count_tokens {
        claude::RequestOut {
            model,
            max_tokens: None,
            system,
            messages,
            tools,
            tool_choice,
            temperature: None,
            top_p: None,
            top_k: None,
            stop_sequences: Vec::new(),
            thinking,
            output_config,
            metadata: None,
            stream: None,
        }
    } else {
        claude::RequestOut {
            model,
            max_tokens: Some(max_tokens),
            system,
            messages,
            tools,
            tool_choice,
            temperature,
            top_p,
            top_k,
            // Claude rejects stop sequences made only of whitespace.
            stop_sequences: s
                .stop
                .iter()
                .map(String::as_str)
                .filter(|s| !s.trim().is_empty())
                .collect(),
            thinking,
            output_config,
            metadata: req
                .user
                .as_deref()
                .map(|user_id| claude::MetadataOut { user_id }),
            stream: Some(req.stream),
        }
    };
    serde_json::to_vec(&body)
        .map_err(|e| Error::new(Kind::Internal, format!("encoding a Claude request: {e}")))
}

fn text_out(text: &str) -> claude::TextOut<'_> {
    claude::TextOut { kind: "text", text }
}

/// A schema as raw JSON; empty text stands for an object with no properties.
fn schema(text: &str) -> Result<&RawValue, serde_json::Error> {
    if text.trim().is_empty() {
        serde_json::from_str(EMPTY_SCHEMA)
    } else {
        serde_json::from_str(text)
    }
}

/// Messages being built: consecutive blocks of the same role share a turn.
#[derive(Default)]
struct Turns<'a>(Vec<claude::MessageParamOut<'a>>);

impl<'a> Turns<'a> {
    fn push(&mut self, role: &'static str, block: claude::BlockOut<'a>) {
        match self.0.last_mut() {
            Some(last) if last.role == role => last.content.push(block),
            _ => self.0.push(claude::MessageParamOut {
                role,
                content: vec![block],
            }),
        }
    }

    /// The messages, with each user turn's tool results moved before its other blocks (Claude
    /// requires them first).
    fn finish(self) -> Vec<claude::MessageParamOut<'a>> {
        let mut out = self.0;
        for m in out.iter_mut().filter(|m| m.role == "user") {
            let (mut results, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut m.content)
                .into_iter()
                .partition(|b| matches!(b, claude::BlockOut::ToolResult { .. }));
            results.extend(rest);
            m.content = results;
        }
        out
    }
}

/// One IR block as a Claude block, or `None` when it must not go to Claude (empty text,
/// foreign or unsigned reasoning, another family's opaque item).
fn encode_block(block: &ir::Block) -> Result<Option<claude::BlockOut<'_>>, Error> {
    Ok(match block {
        ir::Block::Text(t) if t.is_empty() => None,
        ir::Block::Text(t) => Some(claude::BlockOut::Text { text: t }),
        ir::Block::Image(img) => Some(claude::BlockOut::Image {
            source: image_source(img)?,
        }),
        ir::Block::ToolCall {
            id,
            name,
            arguments,
        } => Some(claude::BlockOut::ToolUse {
            id: ids::sanitize_tool_id(id),
            name,
            input: tool_input(arguments),
        }),
        ir::Block::ToolResult {
            call_id,
            content,
            is_error,
            ..
        } => {
            let mut blocks = Vec::with_capacity(content.len());
            for b in content {
                match b {
                    ir::Block::Text(_) | ir::Block::Image(_) | ir::Block::Opaque { .. } => {
                        blocks.extend(encode_block(b)?);
                    }
                    // Reasoning, calls and nested results have no place in a tool result.
                    _ => {}
                }
            }
            Some(claude::BlockOut::ToolResult {
                tool_use_id: ids::sanitize_tool_id(call_id),
                content: blocks,
                is_error: *is_error,
            })
        }
        ir::Block::Thinking { text, signature } => {
            thinking::for_target(signature.as_ref(), Family::Claude).map(|signature| {
                claude::BlockOut::Thinking {
                    thinking: text,
                    signature,
                }
            })
        }
        ir::Block::RedactedThinking { data, origin } => {
            (*origin == Family::Claude).then_some(claude::BlockOut::RedactedThinking { data })
        }
        ir::Block::Opaque { origin, raw } => (*origin == Family::Claude)
            .then(|| serde_json::from_str::<&RawValue>(raw).ok())
            .flatten()
            .map(claude::BlockOut::Raw),
    })
}

/// A `tool_use` input: the raw arguments when they are a JSON object, else `{}` (empty
/// arguments from a no-argument call, or a call the model cut short: a 400 here would make the
/// conversation impossible to continue).
pub(super) fn tool_input(arguments: &str) -> claude::InputOut<'_> {
    if arguments.trim_start().starts_with('{') {
        if let Ok(raw) = serde_json::from_str::<&RawValue>(arguments) {
            return claude::InputOut::Raw(raw);
        }
    }
    claude::InputOut::Empty(claude::EmptyObject {})
}

fn image_source(img: &ir::Image) -> Result<claude::ImageSourceOut<'_>, Error> {
    match img {
        ir::Image::Base64 { media_type, data } => {
            Ok(claude::ImageSourceOut::Base64 { media_type, data })
        }
        ir::Image::Url(url) => Ok(match parse_data_url(url) {
            Some((media_type, data)) => claude::ImageSourceOut::Base64 { media_type, data },
            None => claude::ImageSourceOut::Url { url },
        }),
        ir::Image::File { uri, .. } => Err(invalid(format!(
            "Claude cannot read uploaded file `{uri}`: send the image inline or as an https URL"
        ))),
    }
}

/// `data:<media type>;base64,<data>` → (media type, data).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    Some((media_type, data))
}

fn encode_tool_choice(
    choice: Option<&ir::ToolChoice>,
    parallel: Option<bool>,
) -> Option<claude::ToolChoiceOut<'_>> {
    let disable_parallel = parallel == Some(false);
    let (kind, name) = match choice {
        Some(ir::ToolChoice::Auto) => ("auto", None),
        Some(ir::ToolChoice::Required) => ("any", None),
        Some(ir::ToolChoice::Named(n)) => ("tool", Some(n.as_str())),
        Some(ir::ToolChoice::None) => {
            return Some(claude::ToolChoiceOut {
                kind: "none",
                name: None,
                disable_parallel_tool_use: false,
            })
        }
        None if disable_parallel => ("auto", None),
        None => return None,
    };
    Some(claude::ToolChoiceOut {
        kind,
        name,
        disable_parallel_tool_use: disable_parallel,
    })
}

/// Thinking as the target understands it. With `adaptive_thinking` an effort level is sent
/// natively (`adaptive` + `output_config.effort`), a budget as `enabled`; without it, everything
/// becomes a budget via the level table.
fn plan_thinking(reasoning: Option<&ir::Reasoning>, opts: &EncodeOptions) -> Plan {
    let Some(r) = reasoning else {
        return Plan::Omit;
    };
    if opts.adaptive_thinking {
        if let Some(effort) = r.effort {
            return match effort {
                Effort::None => Plan::Disabled,
                Effort::Auto => Plan::Adaptive(None),
                Effort::Minimal | Effort::Low => Plan::Adaptive(Some("low")),
                Effort::Medium => Plan::Adaptive(Some("medium")),
                Effort::High | Effort::XHigh => Plan::Adaptive(Some("high")),
                Effort::Max => Plan::Adaptive(Some("max")),
            };
        }
        return match r.budget {
            None => Plan::Omit,
            Some(0) => Plan::Disabled,
            Some(b) if b < 0 => Plan::Adaptive(None),
            Some(b) => Plan::Budget(b),
        };
    }
    match r.budget.or(r.effort.map(Effort::budget)) {
        None | Some(0) => Plan::Omit,
        Some(b) if b < 0 => Plan::Budget(i64::from(AUTO_THINKING_BUDGET)),
        Some(b) => Plan::Budget(b),
    }
}

/// `budget_tokens` clamped to Anthropic's rules: at least 1024 and below `max_tokens`; thinking
/// is dropped when `max_tokens` leaves no room for the minimum.
fn clamp_budget(budget: i64, max_tokens: u32) -> Option<claude::ThinkingOut> {
    let ceiling = i64::from(max_tokens) - 1;
    let min = i64::from(MIN_THINKING_BUDGET);
    if ceiling < min {
        return None;
    }
    let budget_tokens = u32::try_from(budget.clamp(min, ceiling)).ok()?;
    Some(claude::ThinkingOut::Enabled { budget_tokens })
}

/// Whether the last assistant turn, if it calls tools, starts with a thinking block: Claude
/// rejects thinking requests whose final tool-calling turn does not (its thinking came from
/// another family, or was unsigned, and was dropped).
fn final_tool_turn_starts_with_thinking(messages: &[claude::MessageParamOut<'_>]) -> bool {
    let Some(last) = messages.iter().rev().find(|m| m.role == "assistant") else {
        return true;
    };
    let calls_tools = last
        .content
        .iter()
        .any(|b| matches!(b, claude::BlockOut::ToolUse { .. }));
    !calls_tools
        || matches!(
            last.content.first(),
            Some(claude::BlockOut::Thinking { .. } | claude::BlockOut::RedactedThinking { .. })
        )
}
