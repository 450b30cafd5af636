//! The Anthropic Messages codec: client requests, upstream requests, responses, streams and
//! count_tokens bodies, each to and from the IR. Claude-specific rules (alternating roles,
//! signature replay, thinking constraints, usage without cache tokens) live here.
//! Pure: no I/O, no knowledge of providers or credentials.

mod encode;
mod request;
mod response;
mod stream;

#[cfg(test)]
mod tests;

pub use encode::{
    AUTO_THINKING_BUDGET, DEFAULT_MAX_TOKENS, DEFAULT_MAX_TOKENS_THINKING,
    LEADING_USER_PLACEHOLDER, MIN_THINKING_BUDGET,
};
pub use request::SCHEMA_NAME;
pub use stream::{StreamDecoder, StreamEncoder};

use crate::error::{Error, Kind};
use crate::ir;
use crate::protocol::claude;

/// The `anthropic-beta` flag that lets `role: "system"` messages appear inside `messages`.
pub const MID_CONVERSATION_SYSTEM_BETA: &str = "mid-conversation-system-2026-04-07";

/// What the request encoder may assume about the upstream call, beyond the IR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// The upstream call carries the [`MID_CONVERSATION_SYSTEM_BETA`] flag (the client sent it,
    /// see [`allows_mid_conversation_system`]), so `Role::System` messages after the first turn
    /// stay `role: "system"` messages. Without it their text is appended to the top-level
    /// `system`, because Claude rejects the role.
    pub mid_conversation_system: bool,
    /// The model takes `thinking: {type: "adaptive"}` with `output_config.effort` (Claude Opus
    /// 4.6 and later). With it an effort level is sent as such (minimal → low, xhigh → high,
    /// auto → adaptive without effort, none → disabled); without it every level becomes a
    /// `budget_tokens` via the level table and `none` omits `thinking`.
    pub adaptive_thinking: bool,
    /// Mark prompt-cache breakpoints (`cache_control: {type: "ephemeral"}`) on the last tool,
    /// the last system block and the last cacheable block of the last message, as the reference
    /// project does when a client sent none. The IR carries no breakpoints, so without this a
    /// body encoded from the IR is never served from Anthropic's prompt cache.
    pub auto_cache: bool,
}

/// Whether an `anthropic-beta` header value (comma-separated flags) enables mid-conversation
/// system messages.
pub fn allows_mid_conversation_system(anthropic_beta: &str) -> bool {
    anthropic_beta
        .split(',')
        .any(|flag| flag.trim() == MID_CONVERSATION_SYSTEM_BETA)
}

/// Decodes a client's `POST /v1/messages` body.
///
/// `system` (string or text blocks, `cache_control` dropped), messages with roles `user`,
/// `assistant` and `system`, blocks `text`, `image` (base64 or url source), `tool_use` (raw
/// `input` text kept byte for byte), `tool_result` (string or text/image blocks), `thinking`
/// (signature tagged Claude), `redacted_thinking`; any other block (`document`,
/// `server_tool_use`, `web_search_tool_result`, ...) becomes `Block::Opaque`. Custom tools are
/// kept; server tools (`type: "web_search_20250305"`, ...) are dropped, as the IR has no slot
/// for them. `thinking`/`output_config.effort` become [`ir::Reasoning`], `output_config.format`
/// (or the beta `output_format`) a JSON schema named [`SCHEMA_NAME`], `metadata.user_id` the
/// user. Unknown fields (`context_management`, `mcp_servers`, ...) are ignored.
///
/// # Errors
/// `InvalidRequest` for a body that is not JSON, lacks `model` or `messages`, has an unknown
/// role, `tool_choice` type or effort level, or a known block missing a required field.
pub fn decode_request(body: &[u8]) -> Result<ir::Request, Error> {
    request::decode(body)
}

/// Decodes a `POST /v1/messages/count_tokens` body: the messages body without `max_tokens`.
///
/// # Errors
/// As [`decode_request`].
pub fn decode_count_tokens(body: &[u8]) -> Result<ir::Request, Error> {
    request::decode(body)
}

/// Encodes a request for a Claude upstream with default [`EncodeOptions`] (no mid-conversation
/// system messages, thinking as a budget, no cache breakpoints). See [`encode_request_with`].
///
/// # Errors
/// As [`encode_request_with`].
pub fn encode_request(req: &ir::Request, upstream_model: &str) -> Result<Vec<u8>, Error> {
    encode::encode(req, upstream_model, &EncodeOptions::default(), false)
}

/// Encodes a request for a Claude upstream.
///
/// - System blocks become top-level `system` text blocks; `Role::System` messages follow
///   [`EncodeOptions::mid_conversation_system`] (leading ones always go to `system`).
/// - Consecutive same-role turns are merged, tool results go to user turns ahead of their other
///   blocks, empty text blocks and empty turns are dropped, and a conversation that would start
///   with the assistant gets a [`LEADING_USER_PLACEHOLDER`] user turn first.
/// - Tool ids are mapped with [`crate::translate::ids::sanitize_tool_id`], calls and results
///   alike. Arguments that are not a JSON object are sent as `{}`.
/// - Thinking blocks are replayed only with a Claude signature, redacted thinking and opaque
///   blocks only when Claude issued them; the rest is dropped (foreign or missing signatures
///   are the top cause of upstream 400s).
/// - `max_tokens` defaults to [`DEFAULT_MAX_TOKENS`] ([`DEFAULT_MAX_TOKENS_THINKING`] with
///   thinking). A thinking budget is clamped to at least [`MIN_THINKING_BUDGET`] and below
///   `max_tokens` (dropped when that leaves no room); dynamic thinking without adaptive
///   support uses [`AUTO_THINKING_BUDGET`]. Thinking is also dropped when `tool_choice` forces
///   a tool, or when the final tool-calling assistant turn has no thinking block to start
///   with, as Anthropic requires. With thinking on, temperature other than 1, `top_p` below
///   0.95 and `top_k` are dropped; `top_p` is dropped whenever temperature is set.
/// - `tool_choice` is sent only with tools: Required → `any`, Named → `tool`, None → `none`;
///   `parallel_tool_calls: false` → `disable_parallel_tool_use`.
/// - A JSON schema goes to `output_config.format`; JSON-object mode has no Claude equivalent
///   and is dropped, as are seed and the penalties.
/// - Prompt-cache breakpoints are added only with [`EncodeOptions::auto_cache`].
///
/// # Errors
/// `InvalidRequest` for `n > 1`, an `Image::File`, a tool or response schema that is not JSON,
/// or a conversation with nothing Claude can take.
pub fn encode_request_with(
    req: &ir::Request,
    upstream_model: &str,
    options: &EncodeOptions,
) -> Result<Vec<u8>, Error> {
    encode::encode(req, upstream_model, options, false)
}

/// Encodes a `POST /v1/messages/count_tokens` body for a Claude upstream: as
/// [`encode_request_with`], without the fields that endpoint rejects (`max_tokens`, `stream`,
/// sampling, stop sequences, metadata).
///
/// # Errors
/// As [`encode_request_with`].
pub fn encode_count_tokens_request(
    req: &ir::Request,
    upstream_model: &str,
    options: &EncodeOptions,
) -> Result<Vec<u8>, Error> {
    encode::encode(req, upstream_model, options, true)
}

/// Reads the `input_tokens` of an upstream count_tokens answer.
///
/// # Errors
/// `UpstreamProtocol` when the body is not `{"input_tokens": n}`.
pub fn decode_count_tokens_response(body: &[u8]) -> Result<u64, Error> {
    serde_json::from_slice::<claude::CountTokens>(body)
        .map(|c| c.input_tokens)
        .map_err(|e| upstream(format!("invalid Claude count_tokens response: {e}")))
}

/// The count_tokens answer for a client: `{"input_tokens": n}`.
pub fn encode_count_tokens_response(n: u64) -> Vec<u8> {
    serde_json::to_vec(&claude::CountTokens { input_tokens: n }).unwrap_or_default()
}

/// Decodes an upstream non-streamed response. Server tool blocks become `Block::Opaque`,
/// `created` is 0 (Claude sends no timestamp) and usage input includes cache reads and writes.
///
/// # Errors
/// `UpstreamProtocol` for a body that is not a message (or is an error body).
pub fn decode_response(body: &[u8]) -> Result<ir::Response, Error> {
    response::decode(body)
}

/// Encodes a response for a Claude client. Thinking is shown with its signature only when
/// Claude issued it (else `""`); images, tool results and other families' redacted or opaque
/// items are dropped; `input_tokens` excludes cache reads and writes.
pub fn encode_response(resp: &ir::Response) -> Vec<u8> {
    response::encode(resp)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Kind::InvalidRequest, message)
}

fn upstream(message: impl Into<String>) -> Error {
    Error::new(Kind::UpstreamProtocol, message)
}

/// Claude's stop reason: `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `refusal`;
/// anything else (`pause_turn`, `model_context_window_exceeded`, ...) is kept as `Other`.
fn decode_stop(reason: Option<&str>, sequence: Option<&str>) -> ir::StopReason {
    match reason {
        None | Some("end_turn") => ir::StopReason::EndTurn,
        Some("max_tokens") => ir::StopReason::MaxTokens,
        Some("stop_sequence") => ir::StopReason::StopSequence(sequence.map(str::to_owned)),
        Some("tool_use") => ir::StopReason::ToolUse,
        Some("refusal") => ir::StopReason::Refusal,
        Some(other) => ir::StopReason::Other(other.to_owned()),
    }
}

/// `(stop_reason, stop_sequence)` for a client. A content filter is Claude's `refusal`; an
/// `Other` reason Claude knows is kept, any other becomes `end_turn`.
fn encode_stop(stop: &ir::StopReason) -> (&'static str, Option<&str>) {
    match stop {
        ir::StopReason::EndTurn => ("end_turn", None),
        ir::StopReason::MaxTokens => ("max_tokens", None),
        ir::StopReason::StopSequence(s) => ("stop_sequence", s.as_deref()),
        ir::StopReason::ToolUse => ("tool_use", None),
        ir::StopReason::ContentFilter | ir::StopReason::Refusal => ("refusal", None),
        ir::StopReason::Other(other) => match other.as_str() {
            "pause_turn" => ("pause_turn", None),
            "model_context_window_exceeded" => ("model_context_window_exceeded", None),
            _ => ("end_turn", None),
        },
    }
}

/// Usage as Claude counts it, merged field by field as events report it.
#[derive(Clone, Copy, Debug, Default)]
struct ClaudeUsage {
    input: u64,
    output: u64,
    cache_write: u64,
    cache_read: u64,
}

impl ClaudeUsage {
    fn merge(&mut self, u: &claude::Usage) {
        self.input = u.input_tokens.unwrap_or(self.input);
        self.output = u.output_tokens.unwrap_or(self.output);
        self.cache_write = u.cache_creation_input_tokens.unwrap_or(self.cache_write);
        self.cache_read = u.cache_read_input_tokens.unwrap_or(self.cache_read);
    }

    /// IR usage: input includes cache reads and writes.
    fn to_ir(self) -> ir::Usage {
        ir::Usage {
            input: self
                .input
                .saturating_add(self.cache_write)
                .saturating_add(self.cache_read),
            output: self.output,
            cache_read: self.cache_read,
            cache_write: self.cache_write,
            reasoning: 0,
        }
    }
}

fn decode_usage(u: &claude::Usage) -> ir::Usage {
    let mut usage = ClaudeUsage::default();
    usage.merge(u);
    usage.to_ir()
}

/// Claude usage from IR usage: `input_tokens` = input − cache reads − cache writes (saturating).
/// Reasoning tokens have no Claude field; they stay inside `output_tokens`.
fn encode_usage(u: &ir::Usage) -> claude::UsageOut {
    claude::UsageOut {
        input_tokens: u
            .input
            .saturating_sub(u.cache_read)
            .saturating_sub(u.cache_write),
        cache_creation_input_tokens: u.cache_write,
        cache_read_input_tokens: u.cache_read,
        output_tokens: u.output,
    }
}
