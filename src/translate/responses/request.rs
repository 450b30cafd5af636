//! Responses requests from clients (Codex CLI, the OpenAI SDKs) decoded into the IR: input
//! items grouped into turns, namespace tools flattened, stateful features refused. No I/O.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use super::{invalid, qualify, thinking_from_item, wire};
use crate::error::Error;
use crate::ir;
use crate::protocol::json;

/// The default schema for a tool without parameters.
pub(super) const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

/// Decodes a `POST /v1/responses` body (including Codex CLI's) into the IR.
pub fn decode_request(body: &[u8]) -> Result<ir::Request, Error> {
    let req: wire::Request<'_> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("malformed Responses request: {e}")))?;
    let model = req
        .model
        .as_deref()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("the request needs a `model` field"))?;
    if req
        .previous_response_id
        .as_deref()
        .is_some_and(|id| !id.is_empty())
    {
        return Err(invalid(
            "`previous_response_id` is not supported: this gateway is stateless; send the whole \
             conversation in `input`",
        ));
    }
    if req.conversation.is_some() {
        return Err(invalid(
            "`conversation` is not supported: this gateway is stateless; send the whole \
             conversation in `input`",
        ));
    }
    if req.prompt.is_some() {
        return Err(invalid(
            "stored prompts (`prompt`) are not supported; send `instructions` and `input`",
        ));
    }

    let mut out = ir::Request {
        model: model.to_owned(),
        stream: req.stream.unwrap_or(false),
        parallel_tool_calls: req.parallel_tool_calls,
        user: req
            .prompt_cache_key
            .as_deref()
            .or(req.user.as_deref())
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        ..ir::Request::default()
    };
    if let Some(raw) = req.instructions {
        let text: String = serde_json::from_str(raw.get())
            .map_err(|_| invalid("`instructions` must be a string"))?;
        if !text.is_empty() {
            out.system.push(ir::Block::Text(text));
        }
    }
    if let Some(input) = req.input {
        decode_input(input, &mut out)?;
    }
    for tool in req.tools.as_deref().unwrap_or_default() {
        decode_tool(tool, None, &mut out.tools)?;
    }
    if let Some(choice) = req.tool_choice {
        out.tool_choice = decode_tool_choice(choice)?;
    }
    out.sampling = ir::Sampling {
        temperature: req.temperature,
        top_p: req.top_p,
        max_tokens: req
            .max_output_tokens
            .map(|n| u32::try_from(n).map_err(|_| invalid("`max_output_tokens` is too large")))
            .transpose()?,
        ..ir::Sampling::default()
    };
    if let Some(r) = &req.reasoning {
        out.reasoning = decode_reasoning(r)?;
    }
    if let Some(format) = req.text.as_ref().and_then(|t| t.format.as_ref()) {
        out.response_format = decode_format(format)?;
    }
    Ok(out)
}

/// The names of the request's `namespace` tools, for [`super::StreamEncoder::with_namespaces`]
/// and [`super::encode_response_with_namespaces`]. Reads only `tools`; a body it cannot read
/// has none.
pub fn namespaces(body: &[u8]) -> Vec<String> {
    let Ok(fields) = json::top_level(body, &["tools"]) else {
        return Vec::new();
    };
    let Some(tools) = fields
        .raw(0)
        .and_then(|raw| serde_json::from_str::<Vec<wire::Tool<'_>>>(raw).ok())
    else {
        return Vec::new();
    };
    tools
        .iter()
        .filter(|t| t.kind.as_deref() == Some("namespace"))
        .filter_map(|t| t.name.as_deref())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Decodes `input`: a string (one user message) or an array of items.
fn decode_input(input: &RawValue, out: &mut ir::Request) -> Result<(), Error> {
    if input.get().starts_with('"') {
        let text: String = serde_json::from_str(input.get())
            .map_err(|e| invalid(format!("malformed `input`: {e}")))?;
        out.messages.push(ir::Message {
            role: ir::Role::User,
            content: vec![ir::Block::Text(text)],
        });
        return Ok(());
    }
    if input.get() == "null" {
        return Ok(());
    }
    let items: Vec<&RawValue> = serde_json::from_str(input.get())
        .map_err(|_| invalid("`input` must be a string or an array of items"))?;
    let mut state = InputState::default();
    for (i, raw) in items.into_iter().enumerate() {
        let item: wire::Item<'_> = serde_json::from_str(raw.get())
            .map_err(|e| invalid(format!("malformed `input[{i}]`: {e}")))?;
        state.item(i, &item, raw, out)?;
    }
    Ok(())
}

/// Grouping state while walking the input items.
#[derive(Default)]
struct InputState {
    /// A message other than a leading system/developer one was seen.
    in_conversation: bool,
    /// Function names by call id, to name tool results.
    call_names: HashMap<String, String>,
}

impl InputState {
    fn item(
        &mut self,
        i: usize,
        item: &wire::Item<'_>,
        raw: &RawValue,
        out: &mut ir::Request,
    ) -> Result<(), Error> {
        let kind = item.kind.as_deref();
        match kind {
            None | Some("message") => self.message(i, item, out),
            Some("function_call") => {
                let id = item.call_id.as_deref().ok_or_else(|| {
                    invalid(format!("`input[{i}]`: function_call needs a `call_id`"))
                })?;
                let name = item.name.as_deref().ok_or_else(|| {
                    invalid(format!("`input[{i}]`: function_call needs a `name`"))
                })?;
                let name = qualify(item.namespace.as_deref(), name).into_owned();
                self.call_names.insert(id.to_owned(), name.clone());
                self.in_conversation = true;
                push_assistant(
                    &mut out.messages,
                    ir::Block::ToolCall {
                        id: id.to_owned(),
                        name,
                        arguments: item.arguments.as_deref().unwrap_or_default().to_owned(),
                    },
                );
                Ok(())
            }
            Some("function_call_output") => {
                let call_id = item.call_id.as_deref().ok_or_else(|| {
                    invalid(format!(
                        "`input[{i}]`: function_call_output needs a `call_id`"
                    ))
                })?;
                let content = match item.output {
                    Some(output) => decode_tool_output(i, output)?,
                    None => Vec::new(),
                };
                self.in_conversation = true;
                push_tool_result(
                    &mut out.messages,
                    ir::Block::ToolResult {
                        call_id: call_id.to_owned(),
                        name: self.call_names.get(call_id).cloned(),
                        content,
                        is_error: false,
                    },
                );
                Ok(())
            }
            Some("reasoning") => {
                let block = thinking_from_item(item, raw.get());
                let keep = match &block {
                    ir::Block::Thinking { text, signature } => {
                        !text.is_empty() || signature.is_some()
                    }
                    _ => true,
                };
                if keep {
                    self.in_conversation = true;
                    push_assistant(&mut out.messages, block);
                }
                Ok(())
            }
            // Compacted history (Codex remote compaction): only a Responses upstream can read
            // it, so it travels as an opaque item.
            Some("compaction") => {
                self.in_conversation = true;
                push_assistant(
                    &mut out.messages,
                    ir::Block::Opaque {
                        origin: ir::Family::Responses,
                        raw: raw.get().to_owned(),
                    },
                );
                Ok(())
            }
            Some("item_reference") => Err(invalid(format!(
                "`input[{i}]`: item_reference needs server-side state, which this stateless \
                 gateway does not keep; send the referenced item itself"
            ))),
            // Hosted-tool calls and custom tools have no IR equivalent; they are dropped
            // together with their outputs.
            Some(_) => Ok(()),
        }
    }

    fn message(
        &mut self,
        i: usize,
        item: &wire::Item<'_>,
        out: &mut ir::Request,
    ) -> Result<(), Error> {
        let role = item
            .role
            .as_deref()
            .ok_or_else(|| invalid(format!("`input[{i}]` has neither `type` nor `role`")))?;
        let content = match item.content {
            Some(c) => decode_content(i, c)?,
            None => Vec::new(),
        };
        match role {
            "user" => {
                self.in_conversation = true;
                if !content.is_empty() {
                    out.messages.push(ir::Message {
                        role: ir::Role::User,
                        content,
                    });
                }
            }
            "assistant" => {
                self.in_conversation = true;
                for block in content {
                    push_assistant(&mut out.messages, block);
                }
            }
            "system" | "developer" => {
                if !self.in_conversation {
                    out.system.extend(content);
                } else if !content.is_empty() {
                    out.messages.push(ir::Message {
                        role: ir::Role::System,
                        content,
                    });
                }
            }
            other => {
                return Err(invalid(format!(
                    "`input[{i}]`: unknown message role `{other}`"
                )))
            }
        }
        Ok(())
    }
}

/// Appends a model-side block to the current assistant turn, opening one if needed: a
/// Responses turn is a run of reasoning, message and function_call items.
fn push_assistant(messages: &mut Vec<ir::Message>, block: ir::Block) {
    match messages.last_mut() {
        Some(m) if m.role == ir::Role::Assistant => m.content.push(block),
        _ => messages.push(ir::Message {
            role: ir::Role::Assistant,
            content: vec![block],
        }),
    }
}

/// Appends a tool result to the current run of tool results, opening a user turn if needed.
fn push_tool_result(messages: &mut Vec<ir::Message>, block: ir::Block) {
    match messages.last_mut() {
        Some(m)
            if m.role == ir::Role::User
                && m.content
                    .iter()
                    .all(|b| matches!(b, ir::Block::ToolResult { .. })) =>
        {
            m.content.push(block);
        }
        _ => messages.push(ir::Message {
            role: ir::Role::User,
            content: vec![block],
        }),
    }
}

/// A message's `content`: a string or an array of parts.
fn decode_content(i: usize, content: &RawValue) -> Result<Vec<ir::Block>, Error> {
    let raw = content.get();
    if raw.starts_with('"') {
        let text: String = serde_json::from_str(raw)
            .map_err(|e| invalid(format!("malformed `input[{i}].content`: {e}")))?;
        return Ok(if text.is_empty() {
            Vec::new()
        } else {
            vec![ir::Block::Text(text)]
        });
    }
    if raw == "null" {
        return Ok(Vec::new());
    }
    let parts: Vec<wire::ContentPart<'_>> = serde_json::from_str(raw).map_err(|_| {
        invalid(format!(
            "`input[{i}].content` must be a string or an array of parts"
        ))
    })?;
    decode_parts(i, &parts)
}

/// Content parts: text, refusals and images; files and audio are refused.
fn decode_parts(i: usize, parts: &[wire::ContentPart<'_>]) -> Result<Vec<ir::Block>, Error> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part.kind.as_deref() {
            Some("input_text" | "output_text" | "text") => {
                out.push(ir::Block::Text(
                    part.text.as_deref().unwrap_or_default().to_owned(),
                ));
            }
            Some("refusal") => out.push(ir::Block::Text(
                part.refusal.as_deref().unwrap_or_default().to_owned(),
            )),
            Some("input_image") => out.push(decode_image(i, part)?),
            Some(kind @ ("input_file" | "input_audio" | "input_video" | "file")) => {
                return Err(invalid(format!(
                    "`input[{i}]`: `{kind}` content is not supported by this gateway's \
                     translation; send text or images"
                )))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// An `input_image` part: a data URL, an http(s) URL or an uploaded file id, with its
/// `detail` hint (the part's own, or inside an `image_url` object).
fn decode_image(i: usize, part: &wire::ContentPart<'_>) -> Result<ir::Block, Error> {
    let mut detail = part.detail.as_deref().map(str::to_owned);
    let url: Option<Cow<'_, str>> = match part.image_url {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(
            serde_json::from_str::<Cow<'_, str>>(raw.get())
                .ok()
                .or_else(|| {
                    let object =
                        serde_json::from_str::<wire::ImageUrlObject<'_>>(raw.get()).ok()?;
                    if detail.is_none() {
                        detail = object.detail.map(Cow::into_owned);
                    }
                    object.url
                })
                .ok_or_else(|| invalid(format!("`input[{i}]`: `image_url` must be a string")))?,
        ),
    };
    let image = match (url, part.file_id.as_deref()) {
        (Some(url), _) => image_from_url(&url).ok_or_else(|| {
            invalid(format!(
                "`input[{i}]`: `image_url` must be an http(s) URL or a base64 data URL"
            ))
        })?,
        (None, Some(file_id)) if !file_id.is_empty() => ir::Image::File {
            uri: file_id.to_owned(),
            media_type: None,
        },
        _ => {
            return Err(invalid(format!(
                "`input[{i}]`: input_image needs `image_url` or `file_id`"
            )))
        }
    };
    let detail = detail.filter(|d| d != "auto");
    Ok(ir::Block::Image { image, detail })
}

/// An image from an http(s) URL or a `data:<type>;base64,<data>` URL.
fn image_from_url(url: &str) -> Option<ir::Image> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (media_type, data) = rest.split_once(";base64,")?;
        return Some(ir::Image::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        });
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        .then(|| ir::Image::Url(url.to_owned()))
}

/// A function call's `output`: a string, or an array of text and image parts.
fn decode_tool_output(i: usize, output: &RawValue) -> Result<Vec<ir::Block>, Error> {
    let raw = output.get();
    if raw.starts_with('[') {
        let parts: Vec<wire::ContentPart<'_>> = serde_json::from_str(raw)
            .map_err(|e| invalid(format!("malformed `input[{i}].output`: {e}")))?;
        return decode_parts(i, &parts);
    }
    if raw.starts_with('"') {
        let text: String = serde_json::from_str(raw)
            .map_err(|e| invalid(format!("malformed `input[{i}].output`: {e}")))?;
        return Ok(if text.is_empty() {
            Vec::new()
        } else {
            vec![ir::Block::Text(text)]
        });
    }
    if raw == "null" {
        return Ok(Vec::new());
    }
    // Any other JSON value: pass its text on.
    Ok(vec![ir::Block::Text(raw.to_owned())])
}

/// A tool definition; namespace members are flattened, hosted and custom tools dropped.
fn decode_tool(
    tool: &wire::Tool<'_>,
    namespace: Option<&str>,
    out: &mut Vec<ir::Tool>,
) -> Result<(), Error> {
    match tool.kind.as_deref() {
        Some("function") => {
            let name = tool
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("a function tool needs a `name`"))?;
            out.push(ir::Tool {
                name: qualify(namespace, name).into_owned(),
                description: tool.description.as_deref().map(str::to_owned),
                parameters: tool
                    .parameters
                    .map(RawValue::get)
                    .filter(|p| *p != "null")
                    .unwrap_or(EMPTY_SCHEMA)
                    .to_owned(),
            });
        }
        Some("namespace") if namespace.is_none() => {
            let ns = tool
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("a namespace tool needs a `name`"))?;
            for member in tool.tools.as_deref().unwrap_or_default() {
                decode_tool(member, Some(ns), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `tool_choice`: a mode string or an object.
fn decode_tool_choice(raw: &RawValue) -> Result<Option<ir::ToolChoice>, Error> {
    let raw = raw.get();
    if raw == "null" {
        return Ok(None);
    }
    if raw.starts_with('"') {
        let mode: Cow<'_, str> =
            serde_json::from_str(raw).map_err(|_| invalid("malformed `tool_choice`"))?;
        return match mode.as_ref() {
            "auto" => Ok(Some(ir::ToolChoice::Auto)),
            "none" => Ok(Some(ir::ToolChoice::None)),
            "required" => Ok(Some(ir::ToolChoice::Required)),
            other => Err(invalid(format!("unknown `tool_choice` `{other}`"))),
        };
    }
    let obj: wire::ToolChoiceObject<'_> = serde_json::from_str(raw)
        .map_err(|_| invalid("`tool_choice` must be a string or an object"))?;
    match obj.kind.as_deref() {
        Some("function") => {
            let name = obj
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("`tool_choice` of type function needs a `name`"))?;
            Ok(Some(ir::ToolChoice::Named(
                qualify(obj.namespace.as_deref(), name).into_owned(),
            )))
        }
        Some("allowed_tools") => Ok(Some(match obj.mode.as_deref() {
            Some("required") => ir::ToolChoice::Required,
            _ => ir::ToolChoice::Auto,
        })),
        Some(other) => Err(invalid(format!(
            "`tool_choice` forces the `{other}` tool, which cannot be translated to this \
             upstream"
        ))),
        None => Err(invalid("`tool_choice` needs a `type`")),
    }
}

/// `reasoning`: an effort level and whether summaries are wanted.
fn decode_reasoning(r: &wire::ReasoningConfig<'_>) -> Result<Option<ir::Reasoning>, Error> {
    let effort = r
        .effort
        .as_deref()
        .map(|e| {
            ir::Effort::parse(e).ok_or_else(|| invalid(format!("unknown `reasoning.effort` `{e}`")))
        })
        .transpose()?;
    let include_thoughts = r
        .summary
        .as_deref()
        .or(r.generate_summary.as_deref())
        .map(|s| s != "none");
    if effort.is_none() && include_thoughts.is_none() {
        return Ok(None);
    }
    Ok(Some(ir::Reasoning {
        effort,
        budget: None,
        include_thoughts,
    }))
}

/// `text.format`.
fn decode_format(f: &wire::TextFormat<'_>) -> Result<Option<ir::ResponseFormat>, Error> {
    Ok(match f.kind.as_deref() {
        Some("text") => Some(ir::ResponseFormat::Text),
        Some("json_object") => Some(ir::ResponseFormat::JsonObject),
        Some("json_schema") => {
            let schema = f
                .schema
                .map(RawValue::get)
                .filter(|s| *s != "null")
                .ok_or_else(|| invalid("`text.format` of type json_schema needs a `schema`"))?;
            Some(ir::ResponseFormat::JsonSchema {
                name: f.name.as_deref().unwrap_or("response").to_owned(),
                schema: schema.to_owned(),
                strict: f.strict,
            })
        }
        Some(other) => return Err(invalid(format!("unknown `text.format` type `{other}`"))),
        None => None,
    })
}
