//! The OpenAI Responses codec: `POST /v1/responses` clients (Codex CLI, the OpenAI SDKs) and
//! Responses upstreams (Codex, which only streams; plain OpenAI). Requests, responses and
//! streams both ways through the IR. Pure: bytes and IR values in and out, no I/O.
//!
//! Decisions that shape the translation (each one is tested in `responses/tests.rs`):
//! - **Reasoning items.** A Responses `reasoning` item is one [`ir::Block::Thinking`] whose
//!   text is the summary parts joined with a blank line and whose signature, present only when
//!   the item carries `encrypted_content`, is `Signature { origin: Responses, value }` with
//!   `value` = the item's raw JSON, byte for byte. The encrypted content is bound to the item's
//!   `id` upstream ("Encrypted content item_id did not match the target item id"), so the whole
//!   item is what must travel, and the same shape works in requests, responses and streams
//!   (where the decoder sends it as a [`ir::Delta::Signature`] at `response.output_item.done`).
//!   [`crate::translate::thinking::for_target`] keeps it away from every other family.
//!   Thinking without a Responses signature is not sent upstream: with `store:false` a
//!   reasoning item without encrypted content cannot be resolved. `Opaque { origin: Responses }`
//!   blocks are replayed verbatim too.
//! - **Other families' reasoning through a Responses client.** Claude / Gemini signatures and
//!   Claude redacted thinking go to Responses clients as reasoning items whose
//!   `encrypted_content` is tagged `cliproxy.v1:<family>:<signature|redacted>:<value>`. Codex
//!   CLI sends such items back verbatim, so the next turn decodes them to their own family
//!   again (a Claude tool loop with thinking keeps its signed blocks); like every signature
//!   they are replayed only to that family, never to a Responses upstream.
//! - **Namespaces.** Codex sends `namespace` tools (`multi_agent_v1` with nested functions) and
//!   calls them back as `function_call { namespace, name }`. The IR has flat tools, so members
//!   become `"<namespace>__<name>"` (as the Go reference does); encoders toward a Responses
//!   client split such names again when told the request's namespaces ([`namespaces`],
//!   [`StreamEncoder::with_namespaces`], [`encode_response_with_namespaces`]).
//! - **Tool names toward Codex.** Codex rejects names longer than 64 characters: they are
//!   shortened uniquely per request and mapped back in responses and streams ([`ToolNames`]).
//! - **Dropped, not rejected:** hosted tools (`web_search`, `file_search`, `computer_use*`,
//!   `image_generation`, `code_interpreter`, `mcp`, ...) and `custom` tools with their
//!   `custom_tool_call*` items, hosted-tool call items in the input, item `id`s and `status`,
//!   `strict`, image `detail`, and `store`, `include`, `client_metadata`, `metadata`,
//!   `truncation`, `service_tier`, `text.verbosity`.
//! - **Rejected with 400:** `item_reference` items, a non-empty `previous_response_id`,
//!   `conversation` and stored `prompt`s (the gateway is stateless), `input_file` /
//!   `input_audio` parts (the IR has no document block), and a `tool_choice` that forces a
//!   hosted tool.

mod decoder;
mod encoder;
mod names;
mod request;
mod response;
mod upstream;

#[cfg(test)]
mod tests;

pub use decoder::StreamDecoder;
pub use encoder::StreamEncoder;
pub use names::{ToolNames, MAX_TOOL_NAME};
pub use request::{decode_request, namespaces};
pub use response::{decode_response, encode_response, encode_response_with_namespaces};
pub use upstream::{encode_request, encode_request_for, Target};

use std::borrow::Cow;

use crate::error::{Error, Kind};
use crate::ir;
use crate::protocol::responses as wire;

/// The separator between a namespace and a member tool in a flattened tool name.
const NAMESPACE_SEPARATOR: &str = "__";

/// The flat IR name of `name` inside `namespace` (`multi_agent_v1__spawn_agent`). A name that
/// already carries the prefix is kept as is.
fn qualify<'a>(namespace: Option<&str>, name: &'a str) -> Cow<'a, str> {
    match namespace.filter(|ns| !ns.is_empty()) {
        Some(ns)
            if !name
                .strip_prefix(ns)
                .is_some_and(|rest| rest.starts_with(NAMESPACE_SEPARATOR)) =>
        {
            Cow::Owned(format!("{ns}{NAMESPACE_SEPARATOR}{name}"))
        }
        _ => Cow::Borrowed(name),
    }
}

/// Splits a flat IR tool name back into `(namespace, name)` when it starts with one of the
/// request's namespaces.
fn split_namespace<'a>(namespaces: &'a [String], name: &'a str) -> (Option<&'a str>, &'a str) {
    for ns in namespaces {
        if let Some(rest) = name
            .strip_prefix(ns.as_str())
            .and_then(|r| r.strip_prefix(NAMESPACE_SEPARATOR))
        {
            if !rest.is_empty() {
                return (Some(ns.as_str()), rest);
            }
        }
    }
    (None, name)
}

/// IR usage from the wire's. `input_tokens` already includes cached tokens (OpenAI convention).
fn usage_from_wire(u: &wire::Usage) -> ir::Usage {
    let details = u.input_tokens_details.as_ref();
    ir::Usage {
        input: u.input_tokens.unwrap_or(0),
        output: u.output_tokens.unwrap_or(0),
        cache_read: details.and_then(|d| d.cached_tokens).unwrap_or(0),
        cache_write: details.and_then(|d| d.cache_write_tokens).unwrap_or(0),
        reasoning: u
            .output_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0),
    }
}

/// Wire usage from the IR's.
fn usage_to_wire(u: &ir::Usage) -> wire::OutUsage {
    wire::OutUsage {
        input_tokens: u.input,
        input_tokens_details: wire::OutInputDetails {
            cached_tokens: u.cache_read,
            cache_write_tokens: u.cache_write,
        },
        output_tokens: u.output,
        output_tokens_details: wire::OutOutputDetails {
            reasoning_tokens: u.reasoning,
        },
        total_tokens: u.total(),
    }
}

/// Why a response stopped, from its `status` and `incomplete_details`. An incomplete response
/// wins over tool calls: a call cut off by the token limit must not be run.
fn stop_from_status(status: Option<&str>, reason: Option<&str>, has_calls: bool) -> ir::StopReason {
    match (status, reason) {
        (Some("incomplete"), Some("max_output_tokens")) => ir::StopReason::MaxTokens,
        (Some("incomplete"), Some("content_filter")) => ir::StopReason::ContentFilter,
        (Some("incomplete"), other) => {
            ir::StopReason::Other(other.unwrap_or("incomplete").to_owned())
        }
        _ if has_calls => ir::StopReason::ToolUse,
        _ => ir::StopReason::EndTurn,
    }
}

/// The response `status` and `incomplete_details.reason` a stop reason is written as.
fn status_for_stop(stop: &ir::StopReason) -> (&'static str, Option<&'static str>) {
    match stop {
        ir::StopReason::MaxTokens => ("incomplete", Some("max_output_tokens")),
        ir::StopReason::ContentFilter => ("incomplete", Some("content_filter")),
        _ => ("completed", None),
    }
}

/// The text of a thinking block's summary parts, joined the way the decoder joins them.
fn join_summary<'a>(parts: impl Iterator<Item = &'a wire::TextPart<'a>>) -> String {
    let mut out = String::new();
    for text in parts.filter_map(|p| p.text.as_deref()) {
        if !out.is_empty() {
            out.push_str(SUMMARY_JOIN);
        }
        out.push_str(text);
    }
    out
}

/// What goes between two reasoning summary parts in the IR's one thinking text.
const SUMMARY_JOIN: &str = "\n\n";

/// A Responses-origin signature, which holds a whole reasoning item's raw JSON.
fn responses_signature(raw: &str) -> ir::Signature {
    ir::Signature {
        origin: ir::Family::Responses,
        value: raw.to_owned(),
    }
}

/// The IR block for a reasoning item; `raw` is the item's JSON text. The item's own
/// encrypted content makes it a Responses-signed thinking block; a gateway-tagged one
/// ([`foreign_encrypted`]) gives back the other family's signature or redacted thinking.
fn thinking_from_item(item: &wire::Item<'_>, raw: &str) -> ir::Block {
    let mut text = item
        .summary
        .as_deref()
        .map(|s| join_summary(s.iter()))
        .unwrap_or_default();
    if text.is_empty() {
        // Some servers return raw reasoning text (`content: [{type: reasoning_text}]`) instead.
        if let Some(parts) = item
            .content
            .and_then(|c| serde_json::from_str::<Vec<wire::TextPart<'_>>>(c.get()).ok())
        {
            text = join_summary(parts.iter());
        }
    }
    let signature = match item.encrypted_content.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(tagged) if tagged.starts_with(FOREIGN_TAG) => match parse_foreign(tagged) {
            Some(Foreign::Signature(signature)) => Some(signature),
            Some(Foreign::Redacted { data, origin }) => {
                return ir::Block::RedactedThinking { data, origin };
            }
            // Tagged but unreadable: nobody can verify it.
            None => None,
        },
        Some(_) => Some(responses_signature(raw)),
    };
    ir::Block::Thinking { text, signature }
}

/// Marks `encrypted_content` the gateway wrote for another family's reasoning:
/// `cliproxy.v1:<family>:<signature|redacted>:<value>`. Responses clients (Codex CLI) send
/// reasoning items back verbatim, so a Claude or Gemini signature survives a turn through a
/// Responses client and goes home to its own family again; [`thinking::for_target`] keeps it
/// away from every other one, Responses upstreams included.
///
/// [`thinking::for_target`]: crate::translate::thinking::for_target
const FOREIGN_TAG: &str = "cliproxy.v1:";

/// Another family's reasoning, as carried in a tagged `encrypted_content`.
enum Foreign {
    Signature(ir::Signature),
    Redacted { data: String, origin: ir::Family },
}

fn family_name(family: ir::Family) -> &'static str {
    match family {
        ir::Family::OpenAi => "openai",
        ir::Family::Responses => "responses",
        ir::Family::Claude => "claude",
        ir::Family::Gemini => "gemini",
    }
}

/// The tagged `encrypted_content` for another family's signature (`None` for a Responses one,
/// which travels as its own item).
fn foreign_signature(signature: &ir::Signature) -> Option<String> {
    (signature.origin != ir::Family::Responses).then(|| {
        format!(
            "{FOREIGN_TAG}{}:signature:{}",
            family_name(signature.origin),
            signature.value
        )
    })
}

/// The tagged `encrypted_content` for redacted thinking.
fn foreign_redacted(data: &str, origin: ir::Family) -> String {
    format!("{FOREIGN_TAG}{}:redacted:{data}", family_name(origin))
}

/// Reads a tagged `encrypted_content`; `None` when it is not a readable tag.
fn parse_foreign(encrypted: &str) -> Option<Foreign> {
    let rest = encrypted.strip_prefix(FOREIGN_TAG)?;
    let (family, rest) = rest.split_once(':')?;
    let (kind, value) = rest.split_once(':')?;
    let origin = match family {
        "openai" => ir::Family::OpenAi,
        "claude" => ir::Family::Claude,
        "gemini" => ir::Family::Gemini,
        _ => return None,
    };
    match kind {
        "signature" => Some(Foreign::Signature(ir::Signature {
            origin,
            value: value.to_owned(),
        })),
        "redacted" => Some(Foreign::Redacted {
            data: value.to_owned(),
            origin,
        }),
        _ => None,
    }
}

/// A 400 with `message`.
fn invalid(message: impl Into<String>) -> Error {
    Error::new(Kind::InvalidRequest, message)
}

/// A 502 for an upstream body we cannot read.
fn upstream(message: impl Into<String>) -> Error {
    Error::new(Kind::UpstreamProtocol, message)
}
