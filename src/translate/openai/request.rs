//! Chat Completions requests: a client body decoded into `ir::Request`, and an `ir::Request`
//! encoded into the body for an OpenAI-compatible upstream. What OpenAI cannot carry is
//! either rejected with a 400 naming it or dropped where the docs below say so. No I/O.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::invalid;
use crate::error::Error;
use crate::ir::{self, Block, Effort, Image, Role};
use crate::protocol::openai::{chat, chat_out};
use crate::translate::ids;

/// The schema sent for a function declared without `parameters` (OpenAI's own default).
const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

/// OpenAI rejects tool-call ids longer than this (`string_above_max_length`); Responses
/// `fc_…` ids and some Claude ids exceed it.
const MAX_OPENAI_ID_LEN: usize = 40;

/// Decodes a `/v1/chat/completions` body.
///
/// Roles: leading `system`/`developer` messages become `ir.system`, later ones `Role::System`
/// messages; `tool` messages become `User` messages of `ToolResult`s (consecutive ones grouped,
/// the tool's name recovered from the matching call); the legacy `function` role and
/// `function_call`/`functions` fields are mapped onto tool calls and results with
/// deterministic ids. An assistant's `reasoning_content` (or `reasoning`) becomes an unsigned
/// `Thinking` block. Rejected (400): `input_audio` and `file` parts, non-`function` tools and
/// tool calls, unknown roles, part types, `tool_choice` values and reasoning efforts.
pub fn decode_request(body: &[u8]) -> Result<ir::Request, Error> {
    let wire: chat::Request<'_> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("invalid chat completion request: {e}")))?;
    let model = match wire.model {
        Some(m) if !m.is_empty() => m.into_owned(),
        _ => return Err(invalid("the request needs a `model` field")),
    };
    let Some(messages) = wire.messages else {
        return Err(invalid("the request needs a `messages` array"));
    };
    let mut req = ir::Request {
        model,
        ..ir::Request::default()
    };
    let mut conv = Conversation::default();
    for (i, msg) in messages.into_iter().enumerate() {
        conv.push(i, msg, &mut req)
            .map_err(|e| invalid(format!("messages[{i}]: {}", e.message)))?;
    }

    let tools = match (wire.tools, wire.functions) {
        (Some(tools), _) if !tools.is_empty() => tools
            .into_iter()
            .enumerate()
            .map(|(i, t)| decode_tool(t).map_err(|e| invalid(format!("tools[{i}]: {}", e.message))))
            .collect::<Result<_, _>>()?,
        (_, Some(functions)) => functions
            .into_iter()
            .map(decode_function)
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    req.tools = tools;
    req.tool_choice = match (wire.tool_choice, wire.function_call) {
        (Some(raw), _) => decode_tool_choice(raw)?,
        (None, Some(raw)) => decode_tool_choice(raw)?,
        (None, None) => None,
    };
    req.parallel_tool_calls = wire.parallel_tool_calls;
    req.sampling = ir::Sampling {
        temperature: wire.temperature,
        top_p: wire.top_p,
        top_k: None,
        max_tokens: wire.max_completion_tokens.or(wire.max_tokens),
        stop: match wire.stop {
            Some(chat::TextOr::Text(s)) => vec![s.into_owned()],
            Some(chat::TextOr::List(v)) => v,
            None => Vec::new(),
        },
        seed: wire.seed,
        presence_penalty: wire.presence_penalty,
        frequency_penalty: wire.frequency_penalty,
    };
    req.response_format = wire
        .response_format
        .map(decode_response_format)
        .transpose()?;
    req.reasoning = match wire.reasoning_effort {
        Some(level) => match Effort::parse(&level) {
            Some(effort) => Some(ir::Reasoning {
                effort: Some(effort),
                ..ir::Reasoning::default()
            }),
            None => return Err(invalid(format!("unknown `reasoning_effort` `{level}`"))),
        },
        None => None,
    };
    req.stream = wire.stream.unwrap_or(false);
    req.n = wire.n;
    req.user = wire
        .user
        .or(wire.prompt_cache_key)
        .or(wire.safety_identifier)
        .map(Cow::into_owned);
    Ok(req)
}

/// Decoding state across messages.
#[derive(Default)]
struct Conversation {
    /// A non-system message was seen: later system messages stay in place.
    past_system_prefix: bool,
    /// The last message pushed holds tool results only, so the next `tool` message joins it.
    last_is_tool_results: bool,
    /// Call id → tool name, from the assistant turns so far.
    call_names: HashMap<String, String>,
    /// Legacy `function_call`s not yet answered by a `function` message: (name, id).
    open_legacy_calls: Vec<(String, String)>,
}

impl Conversation {
    fn push(
        &mut self,
        i: usize,
        msg: chat::Message<'_>,
        req: &mut ir::Request,
    ) -> Result<(), Error> {
        let role = msg.role.as_deref().unwrap_or("");
        let tool_results = matches!(role, "tool" | "function");
        match role {
            "system" | "developer" => {
                let blocks = system_blocks(msg.content)?;
                if !self.past_system_prefix {
                    req.system.extend(blocks);
                } else if !blocks.is_empty() {
                    req.messages.push(ir::Message {
                        role: Role::System,
                        content: blocks,
                    });
                }
            }
            "user" => {
                let Some(content) = msg.content else {
                    return Err(invalid("a user message needs `content`"));
                };
                let content = user_blocks(content)?;
                self.past_system_prefix = true;
                req.messages.push(ir::Message {
                    role: Role::User,
                    content,
                });
            }
            "assistant" => {
                let content = self.assistant_blocks(i, msg)?;
                self.past_system_prefix = true;
                if !content.is_empty() {
                    req.messages.push(ir::Message {
                        role: Role::Assistant,
                        content,
                    });
                }
            }
            "tool" => {
                let Some(call_id) = msg.tool_call_id.filter(|id| !id.is_empty()) else {
                    return Err(invalid("a tool message needs `tool_call_id`"));
                };
                let name = msg
                    .name
                    .map(Cow::into_owned)
                    .or_else(|| self.call_names.get(call_id.as_ref()).cloned());
                let result = Block::ToolResult {
                    call_id: call_id.into_owned(),
                    name,
                    content: result_blocks(msg.content)?,
                    is_error: false,
                };
                self.push_result(result, req);
            }
            "function" => {
                let Some(name) = msg.name.filter(|n| !n.is_empty()) else {
                    return Err(invalid("a function message needs `name`"));
                };
                let Some(pos) = self
                    .open_legacy_calls
                    .iter()
                    .rposition(|(n, _)| n.as_str() == name.as_ref())
                else {
                    return Err(invalid(format!(
                        "a function message for `{name}` must follow an assistant `function_call` of that name"
                    )));
                };
                let (name, call_id) = self.open_legacy_calls.remove(pos);
                let result = Block::ToolResult {
                    call_id,
                    name: Some(name),
                    content: result_blocks(msg.content)?,
                    is_error: false,
                };
                self.push_result(result, req);
            }
            "" => return Err(invalid("a message needs a `role`")),
            other => return Err(invalid(format!("unknown role `{other}`"))),
        }
        self.last_is_tool_results = tool_results;
        Ok(())
    }

    fn push_result(&mut self, result: Block, req: &mut ir::Request) {
        self.past_system_prefix = true;
        match req.messages.last_mut() {
            Some(last) if self.last_is_tool_results => last.content.push(result),
            _ => req.messages.push(ir::Message {
                role: Role::User,
                content: vec![result],
            }),
        }
    }

    /// Reasoning, then text, then tool calls: the order the model produced them in.
    fn assistant_blocks(&mut self, i: usize, msg: chat::Message<'_>) -> Result<Vec<Block>, Error> {
        let mut blocks = Vec::new();
        if let Some(text) = msg.reasoning_content.or(msg.reasoning) {
            if !text.is_empty() {
                blocks.push(Block::Thinking {
                    text: text.into_owned(),
                    signature: None,
                });
            }
        }
        match msg.content {
            Some(chat::TextOr::Text(text)) if !text.is_empty() => {
                blocks.push(Block::Text(text.into_owned()));
            }
            Some(chat::TextOr::List(parts)) => {
                for part in parts {
                    match decode_part(part)? {
                        Block::Text(t) if t.is_empty() => {}
                        block => blocks.push(block),
                    }
                }
            }
            Some(chat::TextOr::Text(_)) | None => {}
        }
        if let Some(refusal) = msg.refusal.filter(|r| !r.is_empty()) {
            blocks.push(Block::Text(refusal.into_owned()));
        }
        for (j, call) in msg.tool_calls.into_iter().flatten().enumerate() {
            if let Some(kind) = call.kind.as_deref().filter(|k| *k != "function") {
                return Err(invalid(format!(
                    "tool_calls[{j}]: `{kind}` tool calls are not supported; only `function`"
                )));
            }
            let function = call.function.unwrap_or_default();
            let name = function
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid(format!("tool_calls[{j}] needs `function.name`")))?
                .into_owned();
            let id = match call.id.filter(|id| !id.is_empty()) {
                Some(id) => id.into_owned(),
                None => ids::tool_call_id("call_", &format!("{i}:{name}"), j),
            };
            self.call_names.insert(id.clone(), name.clone());
            blocks.push(Block::ToolCall {
                id,
                name,
                arguments: function.arguments.map(Cow::into_owned).unwrap_or_default(),
            });
        }
        if let Some(call) = msg.function_call {
            let name = call
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("`function_call` needs `name`"))?
                .into_owned();
            let id = ids::tool_call_id("call_", &format!("function:{i}:{name}"), 0);
            self.open_legacy_calls.push((name.clone(), id.clone()));
            self.call_names.insert(id.clone(), name.clone());
            blocks.push(Block::ToolCall {
                id,
                name,
                arguments: call.arguments.map(Cow::into_owned).unwrap_or_default(),
            });
        }
        Ok(blocks)
    }
}

/// System content: text only (as OpenAI itself requires); empty text is skipped.
fn system_blocks(content: Option<chat::TextOr<'_, chat::Part<'_>>>) -> Result<Vec<Block>, Error> {
    match content {
        None => Ok(Vec::new()),
        Some(chat::TextOr::Text(t)) if t.is_empty() => Ok(Vec::new()),
        Some(chat::TextOr::Text(t)) => Ok(vec![Block::Text(t.into_owned())]),
        Some(chat::TextOr::List(parts)) => {
            let mut blocks = Vec::with_capacity(parts.len());
            for part in parts {
                match decode_part(part)? {
                    Block::Text(t) if t.is_empty() => {}
                    block @ Block::Text(_) => blocks.push(block),
                    _ => return Err(invalid("system messages may only contain text")),
                }
            }
            Ok(blocks)
        }
    }
}

/// User content: text and images, kept as sent.
fn user_blocks(content: chat::TextOr<'_, chat::Part<'_>>) -> Result<Vec<Block>, Error> {
    match content {
        chat::TextOr::Text(t) => Ok(vec![Block::Text(t.into_owned())]),
        chat::TextOr::List(parts) => parts.into_iter().map(decode_part).collect(),
    }
}

/// A tool's output: text and images (images are not in OpenAI's spec but some clients send
/// them and the IR can carry them).
fn result_blocks(content: Option<chat::TextOr<'_, chat::Part<'_>>>) -> Result<Vec<Block>, Error> {
    match content {
        None => Ok(Vec::new()),
        Some(content) => user_blocks(content),
    }
}

fn decode_part(part: chat::Part<'_>) -> Result<Block, Error> {
    match part.kind.as_deref().unwrap_or("") {
        "text" => Ok(Block::Text(
            part.text.map(Cow::into_owned).unwrap_or_default(),
        )),
        "refusal" => Ok(Block::Text(
            part.refusal.map(Cow::into_owned).unwrap_or_default(),
        )),
        "image_url" => {
            let Some(image) = part.image_url else {
                return Err(invalid("an `image_url` part needs `image_url.url`"));
            };
            Ok(Block::Image {
                image: decode_image_url(&image.url)?,
                detail: image.detail.filter(|d| d != "auto").map(Cow::into_owned),
            })
        }
        "input_audio" => Err(invalid(
            "audio input (`input_audio` parts) cannot be translated for this model's upstream",
        )),
        "file" => Err(invalid(
            "file inputs (`file` parts) cannot be translated for this model's upstream",
        )),
        "" => Err(invalid("a content part needs a `type`")),
        other => Err(invalid(format!("unsupported content part type `{other}`"))),
    }
}

/// `data:<mime>;base64,<data>` → inline bytes; `http(s)://` → a URL the provider fetches.
fn decode_image_url(url: &str) -> Result<Image, Error> {
    if let Some(rest) = url.strip_prefix("data:") {
        let Some((header, data)) = rest.split_once(',') else {
            return Err(invalid("malformed `data:` image URL"));
        };
        let Some(media_type) = header.strip_suffix(";base64") else {
            return Err(invalid("`data:` image URLs must be base64-encoded"));
        };
        let media_type = if media_type.is_empty() {
            "application/octet-stream"
        } else {
            media_type
        };
        return Ok(Image::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        });
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Ok(Image::Url(url.to_owned()))
    } else {
        Err(invalid(
            "image URLs must be `data:` (base64) or http(s) URLs",
        ))
    }
}

fn decode_tool(tool: chat::Tool<'_>) -> Result<ir::Tool, Error> {
    if let Some(kind) = tool.kind.as_deref().filter(|k| *k != "function") {
        return Err(invalid(format!(
            "`{kind}` tools are not supported; only `function` tools can be translated"
        )));
    }
    let Some(function) = tool.function else {
        return Err(invalid("a function tool needs a `function` object"));
    };
    decode_function(function)
}

fn decode_function(f: chat::Function<'_>) -> Result<ir::Tool, Error> {
    let Some(name) = f.name.filter(|n| !n.is_empty()) else {
        return Err(invalid("a function needs a `name`"));
    };
    Ok(ir::Tool {
        name: name.into_owned(),
        description: f.description.map(Cow::into_owned),
        parameters: f
            .parameters
            .map(RawValue::get)
            .filter(|p| *p != "null")
            .unwrap_or(EMPTY_SCHEMA)
            .to_owned(),
    })
}

/// `{"type":"function","function":{"name"}}`, or the legacy `{"name"}`.
#[derive(Deserialize)]
struct NamedChoice<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    function: Option<ChoiceName<'a>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ChoiceName<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

fn decode_tool_choice(raw: &RawValue) -> Result<Option<ir::ToolChoice>, Error> {
    if let Ok(mode) = serde_json::from_str::<Cow<'_, str>>(raw.get()) {
        return match mode.as_ref() {
            "auto" => Ok(Some(ir::ToolChoice::Auto)),
            "none" => Ok(Some(ir::ToolChoice::None)),
            "required" => Ok(Some(ir::ToolChoice::Required)),
            other => Err(invalid(format!("unknown `tool_choice` `{other}`"))),
        };
    }
    let named: NamedChoice<'_> = serde_json::from_str(raw.get())
        .map_err(|_| invalid("`tool_choice` must be a string or an object"))?;
    match named.kind.as_deref() {
        Some("function") | None => {}
        Some(other) => {
            return Err(invalid(format!(
                "`tool_choice` of type `{other}` is not supported; use `function`"
            )))
        }
    }
    match named.function.and_then(|f| f.name).or(named.name) {
        Some(name) if !name.is_empty() => Ok(Some(ir::ToolChoice::Named(name.into_owned()))),
        _ => Err(invalid("`tool_choice` needs `function.name`")),
    }
}

fn decode_response_format(f: chat::ResponseFormat<'_>) -> Result<ir::ResponseFormat, Error> {
    match f.kind.as_deref().unwrap_or("") {
        "text" => Ok(ir::ResponseFormat::Text),
        "json_object" => Ok(ir::ResponseFormat::JsonObject),
        "json_schema" => {
            let Some(js) = f.json_schema else {
                return Err(invalid(
                    "`response_format` of type `json_schema` needs `json_schema`",
                ));
            };
            Ok(ir::ResponseFormat::JsonSchema {
                name: js
                    .name
                    .map(Cow::into_owned)
                    .unwrap_or_else(|| "response".to_owned()),
                schema: js.schema.map_or("{}", RawValue::get).to_owned(),
                strict: js.strict,
            })
        }
        other => Err(invalid(format!("unknown `response_format` type `{other}`"))),
    }
}

/// Encodes `req` for an OpenAI-compatible upstream serving `upstream_model`.
///
/// System blocks become one leading `system` message (texts joined with a blank line);
/// `Role::System` messages stay in place as `system` messages. Tool results become `tool`
/// messages placed right after the assistant turn (as OpenAI requires), and images inside a
/// result go into a `user` message after them, since tool messages carry only text. Dropped:
/// thinking (OpenAI has no signatures and DeepSeek-style servers reject replayed
/// `reasoning_content`), redacted thinking, opaque items, images in assistant turns, a result's
/// `is_error` flag, `top_k` and `include_thoughts`. Rejected: uploaded-file images, tool
/// schemas that are not JSON. `max_tokens` is sent under that name, which every compatible
/// server reads; streams always ask for usage. Tool-call ids over 40 characters (OpenAI's
/// limit) are replaced by a short hash, identically on the call and its result.
pub fn encode_request(req: &ir::Request, upstream_model: &str) -> Result<Vec<u8>, Error> {
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if let Some(content) = join_text(&req.system, "system")? {
        messages.push(text_message("system", content));
    }
    for msg in &req.messages {
        match msg.role {
            Role::System => {
                if let Some(content) = join_text(&msg.content, "system")? {
                    messages.push(text_message("system", content));
                }
            }
            Role::User => encode_user(&msg.content, &mut messages)?,
            Role::Assistant => encode_assistant(&msg.content, &mut messages)?,
        }
    }

    let tools = req
        .tools
        .iter()
        .map(|t| {
            Ok(chat_out::Tool {
                kind: "function",
                function: chat_out::Function {
                    name: &t.name,
                    description: t.description.as_deref(),
                    parameters: raw_json(&t.parameters, || {
                        format!("the parameters of tool `{}`", t.name)
                    })?,
                },
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let has_tools = !tools.is_empty();
    let tool_choice = req
        .tool_choice
        .as_ref()
        .filter(|_| has_tools)
        .map(|c| match c {
            ir::ToolChoice::Auto => chat_out::ToolChoice::Mode("auto"),
            ir::ToolChoice::None => chat_out::ToolChoice::Mode("none"),
            ir::ToolChoice::Required => chat_out::ToolChoice::Mode("required"),
            ir::ToolChoice::Named(name) => chat_out::ToolChoice::Named {
                kind: "function",
                function: chat_out::Name { name },
            },
        });
    let response_format = match &req.response_format {
        None => None,
        Some(ir::ResponseFormat::Text) => Some(chat_out::ResponseFormat::Text),
        Some(ir::ResponseFormat::JsonObject) => Some(chat_out::ResponseFormat::JsonObject),
        Some(ir::ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        }) => Some(chat_out::ResponseFormat::JsonSchema {
            json_schema: chat_out::JsonSchema {
                name,
                schema: raw_json(schema, || format!("the response schema `{name}`"))?,
                strict: *strict,
            },
        }),
    };
    let body = chat_out::Request {
        model: upstream_model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: req.parallel_tool_calls.filter(|_| has_tools),
        temperature: req.sampling.temperature,
        top_p: req.sampling.top_p,
        max_tokens: req.sampling.max_tokens,
        stop: &req.sampling.stop,
        seed: req.sampling.seed,
        presence_penalty: req.sampling.presence_penalty,
        frequency_penalty: req.sampling.frequency_penalty,
        response_format,
        reasoning_effort: req.reasoning.as_ref().and_then(effort_level),
        n: req.n,
        user: req.user.as_deref(),
        stream: req.stream,
        stream_options: req.stream.then_some(chat_out::StreamOptions {
            include_usage: true,
        }),
    };
    serde_json::to_vec(&body).map_err(|e| invalid(format!("cannot encode the request: {e}")))
}

/// The `reasoning_effort` for `r`: the level, else the budget's level. `none` and `auto` are
/// omitted (the model's default applies) and `max` becomes `xhigh`, OpenAI's highest level.
fn effort_level(r: &ir::Reasoning) -> Option<&'static str> {
    let effort = r.effort.or_else(|| r.budget.map(Effort::from_budget))?;
    match effort {
        Effort::None | Effort::Auto => None,
        Effort::Max => Some(Effort::XHigh.as_str()),
        level => Some(level.as_str()),
    }
}

/// `text` checked to be JSON, for embedding verbatim.
fn raw_json(text: &str, what: impl FnOnce() -> String) -> Result<&RawValue, Error> {
    serde_json::from_str::<&RawValue>(text)
        .map_err(|e| invalid(format!("{} is not valid JSON: {e}", what())))
}

fn text_message<'a>(role: &'static str, content: Cow<'a, str>) -> chat_out::Message<'a> {
    chat_out::Message {
        role,
        content: chat_out::Content::Text(content),
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

/// The text blocks of `blocks` joined with a blank line (`None` when there are none).
/// Images cannot go into a `system` message.
fn join_text<'a>(blocks: &'a [Block], role: &str) -> Result<Option<Cow<'a, str>>, Error> {
    let mut texts = Vec::new();
    for block in blocks {
        match block {
            Block::Text(t) => texts.push(t.as_str()),
            Block::Image { .. } => {
                return Err(invalid(format!(
                    "{role} instructions may only contain text for this model's upstream"
                )))
            }
            _ => {}
        }
    }
    Ok(match texts.as_slice() {
        [] => None,
        [one] => Some(Cow::Borrowed(*one)),
        many => Some(Cow::Owned(many.join("\n\n"))),
    })
}

/// Tool results first (each a `tool` message), then the rest as one `user` message.
fn encode_user<'a>(blocks: &'a [Block], out: &mut Vec<chat_out::Message<'a>>) -> Result<(), Error> {
    let mut parts = Vec::new();
    let mut result_images = Vec::new();
    for block in blocks {
        match block {
            Block::Text(text) => parts.push(chat_out::Part::Text { text }),
            Block::Image { image, detail } => parts.push(image_part(image, detail.as_deref())?),
            // A `tool` message has no failure flag: `is_error` is dropped and the content goes
            // as it is, as CLIProxyAPI does (no marker is invented).
            Block::ToolResult {
                call_id, content, ..
            } => {
                let mut texts = Vec::new();
                for b in content {
                    match b {
                        Block::Text(t) => texts.push(t.as_str()),
                        Block::Image { image, detail } => {
                            result_images.push(image_part(image, detail.as_deref())?);
                        }
                        _ => {}
                    }
                }
                let text = match texts.as_slice() {
                    [one] => Cow::Borrowed(*one),
                    many => Cow::Owned(many.join("\n\n")),
                };
                out.push(chat_out::Message {
                    role: "tool",
                    content: chat_out::Content::Text(text),
                    tool_calls: Vec::new(),
                    tool_call_id: Some(openai_id(call_id)),
                });
            }
            Block::ToolCall { .. } => {
                return Err(invalid("a user turn cannot contain a tool call"));
            }
            Block::Thinking { .. } | Block::RedactedThinking { .. } | Block::Opaque { .. } => {}
        }
    }
    result_images.append(&mut parts);
    let parts = result_images;
    let content = match parts.as_slice() {
        [] => return Ok(()),
        [chat_out::Part::Text { text }] => chat_out::Content::Text(Cow::Borrowed(*text)),
        _ => chat_out::Content::Parts(parts),
    };
    out.push(chat_out::Message {
        role: "user",
        content,
        tool_calls: Vec::new(),
        tool_call_id: None,
    });
    Ok(())
}

/// Text (joined) and tool calls; an assistant turn left with neither is not sent.
fn encode_assistant<'a>(
    blocks: &'a [Block],
    out: &mut Vec<chat_out::Message<'a>>,
) -> Result<(), Error> {
    let mut texts = Vec::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block {
            Block::Text(t) => texts.push(t.as_str()),
            Block::ToolCall {
                id,
                name,
                arguments,
            } => tool_calls.push(chat_out::ToolCall {
                id: openai_id(id),
                kind: "function",
                function: chat_out::FunctionCall { name, arguments },
            }),
            Block::ToolResult { .. } => {
                return Err(invalid("an assistant turn cannot contain a tool result"));
            }
            Block::Image { .. }
            | Block::Thinking { .. }
            | Block::RedactedThinking { .. }
            | Block::Opaque { .. } => {}
        }
    }
    let content = match texts.as_slice() {
        [] if tool_calls.is_empty() => return Ok(()),
        [] => chat_out::Content::Null,
        [one] => chat_out::Content::Text(Cow::Borrowed(*one)),
        many => chat_out::Content::Text(Cow::Owned(many.concat())),
    };
    out.push(chat_out::Message {
        role: "assistant",
        content,
        tool_calls,
        tool_call_id: None,
    });
    Ok(())
}

/// An image as an `image_url` part, with the client's `detail` hint when it gave one.
fn image_part<'a>(image: &'a Image, detail: Option<&'a str>) -> Result<chat_out::Part<'a>, Error> {
    let url = match image {
        Image::Base64 { media_type, data } => {
            Cow::Owned(format!("data:{media_type};base64,{data}"))
        }
        Image::Url(url) => Cow::Borrowed(url.as_str()),
        Image::File { .. } => {
            return Err(invalid(
                "uploaded-file images cannot be sent to this model's upstream; send the image inline or by URL",
            ))
        }
    };
    Ok(chat_out::Part::ImageUrl {
        image_url: chat_out::ImageUrl { url, detail },
    })
}

/// `id` as OpenAI accepts it: unchanged up to 40 characters, else a deterministic short hash.
fn openai_id(id: &str) -> Cow<'_, str> {
    if id.len() <= MAX_OPENAI_ID_LEN {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(ids::tool_call_id("call_", id, 0))
    }
}
