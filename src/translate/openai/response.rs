//! Non-stream Chat Completions responses: an upstream `chat.completion` decoded into
//! `ir::Response`, and an `ir::Response` encoded as the `chat.completion` a client gets.
//! No I/O.

use std::borrow::Cow;

use super::{bad_upstream, error_message, stop_from_wire, stop_to_wire, usage_from_wire};
use crate::error::Error;
use crate::ir::{self, Block, StopReason};
use crate::protocol::openai::{chat, chat_out};
use crate::translate::ids;

/// Decodes an upstream `chat.completion` body (choice 0 only; the IR has one choice).
///
/// The message becomes, in order: a `Thinking` block from `reasoning_content` (or
/// `reasoning`), `Text` from `content` and `refusal`, `Image`s from OpenRouter-style
/// `images`, then the tool calls (a missing id is derived from the response id). A refusal
/// that ended normally stops with `Refusal`; tool calls that ended with `stop` (some
/// compatible servers do that) stop with `ToolUse`. A body with an `error` and no
/// `choices` is an upstream error.
pub fn decode_response(body: &[u8]) -> Result<ir::Response, Error> {
    let wire: chat::Completion<'_> = serde_json::from_slice(body)
        .map_err(|e| bad_upstream(format!("invalid chat completion from the upstream: {e}")))?;
    let Some(choices) = wire.choices else {
        return Err(match wire.error {
            Some(err) => bad_upstream(format!("upstream error: {}", error_message(err))),
            None => bad_upstream("the upstream's chat completion has no `choices`"),
        });
    };
    let Some(choice) = choices.into_iter().find(|c| c.index.unwrap_or(0) == 0) else {
        return Err(bad_upstream(
            "the upstream's chat completion has no choice 0",
        ));
    };
    let id = wire.id.map(Cow::into_owned).unwrap_or_default();
    let message = choice.message.unwrap_or_default();
    let refused = message.refusal.as_ref().is_some_and(|r| !r.is_empty());
    let content = message_blocks(message, &id)?;
    let made_tool_calls = content.iter().any(|b| matches!(b, Block::ToolCall { .. }));
    let stop = match choice.finish_reason.as_deref().map(stop_from_wire) {
        None | Some(StopReason::EndTurn) if made_tool_calls => StopReason::ToolUse,
        None | Some(StopReason::EndTurn) if refused => StopReason::Refusal,
        None => StopReason::EndTurn,
        Some(stop) => stop,
    };
    Ok(ir::Response {
        id,
        model: wire.model.map(Cow::into_owned).unwrap_or_default(),
        created: wire.created.unwrap_or(0),
        content,
        stop,
        usage: wire.usage.as_ref().map(usage_from_wire).unwrap_or_default(),
    })
}

fn message_blocks(message: chat::Message<'_>, response_id: &str) -> Result<Vec<Block>, Error> {
    let mut blocks = Vec::new();
    if let Some(text) = message.reasoning_content.or(message.reasoning) {
        if !text.is_empty() {
            blocks.push(Block::Thinking {
                text: text.into_owned(),
                signature: None,
            });
        }
    }
    match message.content {
        Some(chat::TextOr::Text(t)) if !t.is_empty() => blocks.push(Block::Text(t.into_owned())),
        Some(chat::TextOr::List(parts)) => {
            for part in parts {
                let text = match part.kind.as_deref() {
                    Some("text") => part.text,
                    Some("refusal") => part.refusal,
                    _ => None,
                };
                if let Some(t) = text.filter(|t| !t.is_empty()) {
                    blocks.push(Block::Text(t.into_owned()));
                }
            }
        }
        Some(chat::TextOr::Text(_)) | None => {}
    }
    if let Some(refusal) = message.refusal.filter(|r| !r.is_empty()) {
        blocks.push(Block::Text(refusal.into_owned()));
    }
    for image in message.images.into_iter().flatten() {
        if let Some(url) = image.image_url {
            if let Some(image) = output_image(&url.url) {
                blocks.push(Block::image(image));
            }
        }
    }
    let calls = message.tool_calls.into_iter().flatten().filter_map(|c| {
        let f = c.function?;
        Some((c.id, f.name, f.arguments))
    });
    let legacy = message.function_call.map(|f| (None, f.name, f.arguments));
    for (j, (id, name, arguments)) in calls.chain(legacy).enumerate() {
        let name = name.map(Cow::into_owned).unwrap_or_default();
        if name.is_empty() {
            return Err(bad_upstream(
                "the upstream returned a tool call without a name",
            ));
        }
        blocks.push(Block::ToolCall {
            id: match id.filter(|id| !id.is_empty()) {
                Some(id) => id.into_owned(),
                None => ids::tool_call_id("call_", response_id, j),
            },
            name,
            arguments: arguments.map(Cow::into_owned).unwrap_or_default(),
        });
    }
    Ok(blocks)
}

/// An image the model produced: a `data:` URL or an http(s) URL (anything else is skipped).
fn output_image(url: &str) -> Option<ir::Image> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (header, data) = rest.split_once(',')?;
        let media_type = header.strip_suffix(";base64")?;
        return Some(ir::Image::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        });
    }
    (url.starts_with("https://") || url.starts_with("http://"))
        .then(|| ir::Image::Url(url.to_owned()))
}

/// Encodes `resp` as a client `chat.completion`: text blocks concatenated into `content`
/// (`null` when there is none), thinking into `reasoning_content` (signatures dropped:
/// an OpenAI client cannot replay them), tool calls, images as OpenRouter-style `images`,
/// and usage with both detail objects.
pub fn encode_response(resp: &ir::Response) -> Vec<u8> {
    let mut text = Vec::new();
    let mut thinking = Vec::new();
    let mut tool_calls = Vec::new();
    let mut images = Vec::new();
    for block in &resp.content {
        match block {
            Block::Text(t) => text.push(t.as_str()),
            // A block with no text (a signature carrier) has nothing to show.
            Block::Thinking { text, .. } if !text.is_empty() => thinking.push(text.as_str()),
            Block::Thinking { .. } => {}
            Block::ToolCall {
                id,
                name,
                arguments,
            } => tool_calls.push(chat_out::ToolCall {
                id: Cow::Borrowed(id),
                kind: "function",
                function: chat_out::FunctionCall { name, arguments },
            }),
            Block::Image { image, .. } => images.push(image_part(image)),
            Block::ToolResult { .. } | Block::RedactedThinking { .. } | Block::Opaque { .. } => {}
        }
    }
    let body = chat_out::Completion {
        id: &resp.id,
        object: "chat.completion",
        created: resp.created,
        model: &resp.model,
        choices: [chat_out::Choice {
            index: 0,
            finish_reason: stop_to_wire(&resp.stop, !tool_calls.is_empty()),
            message: chat_out::AssistantMessage {
                role: "assistant",
                content: concat(&text),
                reasoning_content: concat(&thinking),
                tool_calls,
                images: images.into_iter().flatten().collect(),
                refusal: None,
            },
            logprobs: None,
        }],
        usage: super::usage_to_wire(&resp.usage),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn concat<'a>(parts: &[&'a str]) -> Option<Cow<'a, str>> {
    match parts {
        [] => None,
        [one] => Some(Cow::Borrowed(*one)),
        many => Some(Cow::Owned(many.concat())),
    }
}

/// An output image as an `image_url` part; uploaded-file references have no OpenAI form.
fn image_part(image: &ir::Image) -> Option<chat_out::Part<'_>> {
    let url = match image {
        ir::Image::Base64 { media_type, data } => {
            Cow::Owned(format!("data:{media_type};base64,{data}"))
        }
        ir::Image::Url(url) => Cow::Borrowed(url.as_str()),
        ir::Image::File { .. } => return None,
    };
    Some(chat_out::Part::ImageUrl {
        image_url: chat_out::ImageUrl { url, detail: None },
    })
}
