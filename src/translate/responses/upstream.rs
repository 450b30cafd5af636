//! The IR encoded as a request body for a Responses upstream: the Codex backend (always
//! streamed, no sampling fields) or a plain OpenAI Responses endpoint. No I/O.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::names::ToolNames;
use super::request::EMPTY_SCHEMA;
use super::response::object;
use super::{invalid, wire};
use crate::error::Error;
use crate::ir;
use crate::translate::thinking;

/// What kind of Responses upstream a request is encoded for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// The ChatGPT Codex backend: always streamed, `instructions` always present (empty, with
    /// the system prompt sent as a leading `developer` message as Codex CLI itself does),
    /// `parallel_tool_calls` defaulting to true, encrypted reasoning always included, and no
    /// `max_output_tokens` / `temperature` / `top_p` (Codex rejects them).
    #[default]
    Codex,
    /// A plain OpenAI Responses endpoint: the system prompt goes in `instructions`, sampling
    /// and length settings are kept, the stream flag is the client's, and encrypted reasoning
    /// is included only when reasoning was asked for (non-reasoning models reject it).
    OpenAi,
}

/// What Codex needs included so reasoning can be replayed statelessly.
const INCLUDE_ENCRYPTED: &[&str] = &["reasoning.encrypted_content"];

/// Encodes the IR as a body for a Codex upstream ([`Target::Codex`]).
pub fn encode_request(req: &ir::Request, upstream_model: &str) -> Result<Vec<u8>, Error> {
    encode_request_for(req, upstream_model, Target::Codex)
}

/// Encodes the IR as a body for a Responses upstream of kind `target`.
pub fn encode_request_for(
    req: &ir::Request,
    upstream_model: &str,
    target: Target,
) -> Result<Vec<u8>, Error> {
    if req.n.is_some_and(|n| n > 1) {
        return Err(invalid(
            "`n` greater than 1 is not supported by Responses upstreams",
        ));
    }
    check_files(req)?;
    let codex = target == Target::Codex;
    let shortened = if codex {
        ToolNames::for_request(req).apply(req)
    } else {
        None
    };
    let req = shortened.as_ref().unwrap_or(req);
    let system: Vec<&str> = req
        .system
        .iter()
        .filter_map(|b| match b {
            ir::Block::Text(t) if !t.is_empty() => Some(t.as_str()),
            _ => None,
        })
        .collect();

    let mut input = Vec::with_capacity(req.messages.len() + 1);
    let instructions = if codex {
        if !system.is_empty() {
            input.push(wire::OutItem::Message(wire::OutMessage {
                kind: "message",
                id: None,
                status: None,
                role: "developer",
                content: system
                    .iter()
                    .map(|text| wire::OutPart::InputText { text })
                    .collect(),
            }));
        }
        Some(String::new())
    } else {
        (!system.is_empty()).then(|| system.join("\n\n"))
    };
    for message in &req.messages {
        encode_message(message, &mut input);
    }

    let mut tools = Vec::with_capacity(req.tools.len());
    for tool in &req.tools {
        let params = if tool.parameters.trim().is_empty() {
            EMPTY_SCHEMA
        } else {
            tool.parameters.as_str()
        };
        let parameters: &RawValue = serde_json::from_str(params).map_err(|_| {
            invalid(format!(
                "tool `{}` has parameters that are not valid JSON",
                tool.name
            ))
        })?;
        tools.push(wire::OutTool {
            kind: "function",
            name: &tool.name,
            description: tool.description.as_deref(),
            parameters,
        });
    }

    let reasoning = req.reasoning.as_ref().and_then(encode_reasoning);
    let wants_reasoning = reasoning.as_ref().is_some_and(|r| r.effort != Some("none"));
    let text = match &req.response_format {
        None => None,
        Some(format) => Some(wire::OutText {
            format: encode_format(format)?,
        }),
    };
    let body = wire::OutRequest {
        model: upstream_model,
        instructions,
        input,
        tools,
        tool_choice: req.tool_choice.as_ref().map(|c| match c {
            ir::ToolChoice::Auto => wire::OutToolChoice::Mode("auto"),
            ir::ToolChoice::None => wire::OutToolChoice::Mode("none"),
            ir::ToolChoice::Required => wire::OutToolChoice::Mode("required"),
            ir::ToolChoice::Named(name) => wire::OutToolChoice::Function {
                kind: "function",
                name,
            },
        }),
        parallel_tool_calls: if codex {
            Some(req.parallel_tool_calls.unwrap_or(true))
        } else {
            req.parallel_tool_calls
        },
        reasoning,
        include: if codex || wants_reasoning {
            INCLUDE_ENCRYPTED
        } else {
            &[]
        },
        store: false,
        stream: codex || req.stream,
        text,
        max_output_tokens: if codex { None } else { req.sampling.max_tokens },
        temperature: if codex {
            None
        } else {
            req.sampling.temperature
        },
        top_p: if codex { None } else { req.sampling.top_p },
        prompt_cache_key: req.user.as_deref(),
    };
    serde_json::to_vec(&body).map_err(|e| invalid(format!("cannot encode the request: {e}")))
}

/// One IR message as input items: text and images as a message item, tool calls and results
/// as their own items, Responses reasoning replayed byte-exact.
fn encode_message<'a>(message: &'a ir::Message, out: &mut Vec<wire::OutItem<'a>>) {
    let (role, assistant) = match message.role {
        ir::Role::User => ("user", false),
        ir::Role::Assistant => ("assistant", true),
        ir::Role::System => ("developer", false),
    };
    let mut parts: Vec<wire::OutPart<'a>> = Vec::new();
    let flush = |parts: &mut Vec<wire::OutPart<'a>>, out: &mut Vec<wire::OutItem<'a>>| {
        if !parts.is_empty() {
            out.push(wire::OutItem::Message(wire::OutMessage {
                kind: "message",
                id: None,
                status: None,
                role,
                content: std::mem::take(parts),
            }));
        }
    };
    for block in &message.content {
        match block {
            ir::Block::Text(text) if assistant => parts.push(wire::OutPart::OutputText {
                text,
                annotations: wire::EmptyList,
            }),
            ir::Block::Text(text) => parts.push(wire::OutPart::InputText { text }),
            // Assistant turns cannot carry images.
            ir::Block::Image { image, detail } if !assistant => {
                parts.push(image_part(image, detail.as_deref()));
            }
            ir::Block::Image { .. } => {}
            ir::Block::ToolCall {
                id,
                name,
                arguments,
            } => {
                flush(&mut parts, out);
                out.push(wire::OutItem::FunctionCall(wire::OutFunctionCall {
                    kind: "function_call",
                    id: None,
                    status: None,
                    call_id: id,
                    name,
                    namespace: None,
                    arguments: if arguments.trim().is_empty() {
                        "{}"
                    } else {
                        arguments
                    },
                }));
            }
            // `function_call_output` has no failure flag: `is_error` is dropped and the
            // content goes as it is, as CLIProxyAPI does (no marker is invented).
            ir::Block::ToolResult {
                call_id, content, ..
            } => {
                flush(&mut parts, out);
                out.push(wire::OutItem::FunctionCallOutput(
                    wire::OutFunctionCallOutput {
                        kind: "function_call_output",
                        call_id,
                        output: tool_output(content),
                    },
                ));
            }
            ir::Block::Thinking { signature, .. } => {
                if let Some(raw) =
                    thinking::for_target(signature.as_ref(), ir::Family::Responses).and_then(object)
                {
                    flush(&mut parts, out);
                    out.push(wire::OutItem::Raw(raw));
                }
            }
            ir::Block::Opaque {
                origin: ir::Family::Responses,
                raw,
            } => {
                if let Some(raw) = object(raw) {
                    flush(&mut parts, out);
                    out.push(wire::OutItem::Raw(raw));
                }
            }
            ir::Block::Opaque { .. } | ir::Block::RedactedThinking { .. } => {}
        }
    }
    flush(&mut parts, out);
}

/// Refuses uploaded-file images that are not OpenAI file ids: a Gemini file URI (`files/…`,
/// `gs://…`, `https://…`; OpenAI's `file-…` ids have no `/`) cannot be read by a Responses
/// upstream.
fn check_files(req: &ir::Request) -> Result<(), Error> {
    fn foreign(block: &ir::Block) -> Option<&str> {
        match block {
            ir::Block::Image {
                image: ir::Image::File { uri, .. },
                ..
            } if uri.contains('/') => Some(uri),
            ir::Block::ToolResult { content, .. } => content.iter().find_map(foreign),
            _ => None,
        }
    }
    match req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .find_map(foreign)
    {
        Some(uri) => Err(invalid(format!(
            "uploaded file `{uri}` belongs to another provider and cannot be sent to a \
             Responses upstream: send the image inline or by URL"
        ))),
        None => Ok(()),
    }
}

/// An image as an `input_image` part (base64 images as data URLs), with the client's
/// `detail` hint, or `auto`.
fn image_part<'a>(image: &'a ir::Image, detail: Option<&'a str>) -> wire::OutPart<'a> {
    let detail = detail.unwrap_or("auto");
    match image {
        ir::Image::Base64 { media_type, data } => wire::OutPart::InputImage {
            image_url: Cow::Owned(format!("data:{media_type};base64,{data}")),
            detail,
        },
        ir::Image::Url(url) => wire::OutPart::InputImage {
            image_url: Cow::Borrowed(url),
            detail,
        },
        ir::Image::File { uri, .. } => wire::OutPart::InputImageFile {
            file_id: uri,
            detail,
        },
    }
}

/// A tool result's output: a string when it is one text (or nothing), parts otherwise.
fn tool_output(content: &[ir::Block]) -> wire::OutOutput<'_> {
    match content {
        [] => wire::OutOutput::Text(Cow::Borrowed("")),
        [ir::Block::Text(text)] => wire::OutOutput::Text(Cow::Borrowed(text)),
        blocks => wire::OutOutput::Parts(
            blocks
                .iter()
                .filter_map(|b| match b {
                    ir::Block::Text(text) => Some(wire::OutPart::InputText { text }),
                    ir::Block::Image { image, detail } => {
                        Some(image_part(image, detail.as_deref()))
                    }
                    _ => None,
                })
                .collect(),
        ),
    }
}

/// `reasoning` for the upstream: the effort (from the level, or the budget's level) and
/// `summary: auto` unless thoughts were explicitly not wanted.
fn encode_reasoning(r: &ir::Reasoning) -> Option<wire::OutReasoning> {
    let effort = r
        .effort
        .or(r.budget.map(ir::Effort::from_budget))
        .and_then(|e| match e {
            ir::Effort::Auto => None,
            ir::Effort::Max => Some("xhigh"),
            other => Some(other.as_str()),
        });
    let summary = (r.include_thoughts != Some(false)).then_some("auto");
    (effort.is_some() || summary.is_some()).then_some(wire::OutReasoning { effort, summary })
}

/// `text.format` for the upstream.
fn encode_format(f: &ir::ResponseFormat) -> Result<wire::OutFormat<'_>, Error> {
    Ok(match f {
        ir::ResponseFormat::Text => wire::OutFormat {
            kind: "text",
            name: None,
            schema: None,
            strict: None,
        },
        ir::ResponseFormat::JsonObject => wire::OutFormat {
            kind: "json_object",
            name: None,
            schema: None,
            strict: None,
        },
        ir::ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        } => wire::OutFormat {
            kind: "json_schema",
            name: Some(name),
            schema: Some(
                serde_json::from_str(schema)
                    .map_err(|_| invalid("the response schema is not valid JSON"))?,
            ),
            strict: *strict,
        },
    })
}
