//! IR → Anthropic Messages upstream bodies, under Claude's rules: alternating roles, tool results
//! first in their turn, signatures and redacted or opaque items only when Claude issued them,
//! and the thinking constraints (budget bounds, no forced tools, signed final tool turn). No I/O.

use serde_json::value::RawValue;

use super::request::EMPTY_SCHEMA;
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
                        turns.push(
                            "system",
                            claude::BlockOut::Text {
                                text: t,
                                cache_control: None,
                            },
                        );
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
                    cache_control: None,
                }],
            },
        );
    }

    let mut tools = req
        .tools
        .iter()
        .map(|t| {
            Ok(claude::ToolOut {
                name: &t.name,
                description: t.description.as_deref(),
                input_schema: schema(&t.parameters).map_err(|e| {
                    invalid(format!("tool `{}`: invalid parameters schema: {e}", t.name))
                })?,
                cache_control: None,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;

    if opts.auto_cache {
        if let Some(tool) = tools.last_mut() {
            tool.cache_control = Some(EPHEMERAL);
        }
        if let Some(block) = system.last_mut() {
            block.cache_control = Some(EPHEMERAL);
        }
        if let Some(message) = messages.last_mut() {
            mark_last_cacheable(&mut message.content);
        }
    }

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

/// The only cache breakpoint type.
const EPHEMERAL: claude::CacheControl = claude::CacheControl { kind: "ephemeral" };

/// Puts a cache breakpoint on the last block that can take one (not thinking, not raw).
fn mark_last_cacheable(blocks: &mut [claude::BlockOut<'_>]) {
    for block in blocks.iter_mut().rev() {
        match block {
            claude::BlockOut::Text { cache_control, .. }
            | claude::BlockOut::Image { cache_control, .. }
            | claude::BlockOut::ToolUse { cache_control, .. }
            | claude::BlockOut::ToolResult { cache_control, .. } => {
                *cache_control = Some(EPHEMERAL);
                return;
            }
            claude::BlockOut::Thinking { .. }
            | claude::BlockOut::RedactedThinking { .. }
            | claude::BlockOut::Raw(_) => {}
        }
    }
}

fn text_out(text: &str) -> claude::TextOut<'_> {
    claude::TextOut {
        kind: "text",
        text,
        cache_control: None,
    }
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
        ir::Block::Text(t) => Some(claude::BlockOut::Text {
            text: t,
            cache_control: None,
        }),
        ir::Block::Image { image: img, .. } => Some(claude::BlockOut::Image {
            source: image_source(img)?,
            cache_control: None,
        }),
        ir::Block::ToolCall {
            id,
            name,
            arguments,
        } => Some(claude::BlockOut::ToolUse {
            id: ids::sanitize_tool_id(id),
            name,
            input: tool_input(arguments),
            cache_control: None,
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
                    ir::Block::Text(_) | ir::Block::Image { .. } | ir::Block::Opaque { .. } => {
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
                cache_control: None,
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
