//! The OpenAI Chat Completions codec: client requests and upstream responses and streams
//! decoded into the IR; the IR encoded into OpenAI-compatible upstream requests and into
//! client responses and streams. Also serves the legacy Completions API through chat.
//! Pure: bytes and IR values in and out; no I/O, no knowledge of providers.

mod completion;
mod request;
mod response;
mod stream;
#[cfg(test)]
mod tests;

use serde_json::value::RawValue;

use crate::error::{Error, Kind};
use crate::ir;
use crate::protocol::openai::{chat, chat_out};

pub use completion::{
    decode_completion_request, encode_completion_response, CompletionStreamEncoder,
};
pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};

/// A client error (HTTP 400) with `message`.
fn invalid(message: impl Into<String>) -> Error {
    Error::new(Kind::InvalidRequest, message)
}

/// An unusable upstream answer (HTTP 502) with `message`.
fn bad_upstream(message: impl Into<String>) -> Error {
    Error::new(Kind::UpstreamProtocol, message)
}

/// An upstream `finish_reason` as an IR stop reason. `tool_calls` and the legacy
/// `function_call` both mean tool use.
fn stop_from_wire(reason: &str) -> ir::StopReason {
    match reason {
        "stop" => ir::StopReason::EndTurn,
        "length" => ir::StopReason::MaxTokens,
        "tool_calls" | "function_call" => ir::StopReason::ToolUse,
        "content_filter" => ir::StopReason::ContentFilter,
        other => ir::StopReason::Other(other.to_owned()),
    }
}

/// The client-facing `finish_reason`. A response that made tool calls reports `tool_calls`
/// even when the upstream said it simply ended (Gemini-style upstreams do), because OpenAI
/// clients run tools on that signal. Refusals become `content_filter`, the nearest OpenAI
/// reason; reasons OpenAI has no name for become `stop`.
fn stop_to_wire(stop: &ir::StopReason, made_tool_calls: bool) -> &'static str {
    match stop {
        ir::StopReason::ToolUse => "tool_calls",
        ir::StopReason::EndTurn if made_tool_calls => "tool_calls",
        ir::StopReason::EndTurn | ir::StopReason::StopSequence(_) | ir::StopReason::Other(_) => {
            "stop"
        }
        ir::StopReason::MaxTokens => "length",
        ir::StopReason::ContentFilter | ir::StopReason::Refusal => "content_filter",
    }
}

/// Upstream `usage` in IR terms. OpenAI's `prompt_tokens` already includes cached tokens, as
/// the IR's `input` does; DeepSeek's `prompt_cache_hit_tokens` stands in for
/// `cached_tokens` when only it is present.
fn usage_from_wire(u: &chat::Usage) -> ir::Usage {
    let cached = u
        .prompt_tokens_details
        .and_then(|d| d.cached_tokens)
        .or(u.prompt_cache_hit_tokens)
        .unwrap_or(0);
    ir::Usage {
        input: u.prompt_tokens.unwrap_or(0),
        output: u.completion_tokens.unwrap_or(0),
        cache_read: cached,
        cache_write: 0,
        reasoning: u
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0),
    }
}

/// IR usage as OpenAI `usage`, detail objects included (`cached_tokens` = cache reads).
fn usage_to_wire(u: &ir::Usage) -> chat_out::Usage {
    chat_out::Usage {
        prompt_tokens: u.input,
        completion_tokens: u.output,
        total_tokens: u.total(),
        prompt_tokens_details: chat_out::PromptDetails {
            cached_tokens: u.cache_read,
        },
        completion_tokens_details: chat_out::CompletionDetails {
            reasoning_tokens: u.reasoning,
        },
    }
}

/// The message of an upstream `error` value: `{"message": ...}` or a bare string.
fn error_message(raw: &RawValue) -> String {
    if let Ok(detail) = serde_json::from_str::<chat::ErrorDetail<'_>>(raw.get()) {
        if let Some(m) = detail.message {
            return m.into_owned();
        }
    }
    serde_json::from_str::<String>(raw.get())
        .unwrap_or_else(|_| "the upstream reported an error".to_owned())
}
