//! Anthropic Messages request bodies: the borrowed shapes a client body is read into, and the
//! shapes an upstream body is written from. Plain serde, no logic, no I/O.
//! Reference: <https://docs.anthropic.com/en/api/messages>.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A `POST /v1/messages` or `/v1/messages/count_tokens` body as a client sends it.
///
/// Fields that are "a string or an array of blocks" stay raw and are read by the codec, and so
/// do blocks and tools: serde's tagged enums buffer their input and cannot borrow a `RawValue`.
/// Unknown fields (`context_management`, `mcp_servers`, `container`, ...) are ignored.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    /// The model name.
    #[serde(borrow)]
    pub model: Option<Cow<'a, str>>,
    /// Maximum output tokens (required by the messages endpoint, absent for count_tokens).
    pub max_tokens: Option<u32>,
    /// A string or an array of text blocks.
    #[serde(borrow)]
    pub system: Option<&'a RawValue>,
    /// The conversation.
    #[serde(borrow)]
    pub messages: Vec<MessageParam<'a>>,
    /// Tool definitions, each read on its own (custom tools and server tools differ).
    #[serde(borrow)]
    pub tools: Option<Vec<&'a RawValue>>,
    /// How the model may use the tools.
    #[serde(borrow)]
    pub tool_choice: Option<ToolChoice<'a>>,
    /// Temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling.
    pub top_k: Option<u32>,
    /// Stop sequences.
    #[serde(borrow)]
    pub stop_sequences: Option<Vec<Cow<'a, str>>>,
    /// Extended thinking settings.
    #[serde(borrow)]
    pub thinking: Option<Thinking<'a>>,
    /// Effort and (GA) structured output format.
    #[serde(borrow)]
    pub output_config: Option<OutputConfig<'a>>,
    /// Structured output format, as the structured-outputs beta spelled it.
    #[serde(borrow)]
    pub output_format: Option<OutputFormat<'a>>,
    /// Request metadata.
    #[serde(borrow)]
    pub metadata: Option<Metadata<'a>>,
    /// Whether the client wants a stream.
    pub stream: Option<bool>,
}

/// One input message. `content` is a string or an array of blocks.
#[derive(Debug, Deserialize)]
pub struct MessageParam<'a> {
    /// `user`, `assistant`, or `system` (the `mid-conversation-system` beta).
    #[serde(borrow)]
    pub role: Cow<'a, str>,
    /// A string or an array of content blocks.
    #[serde(borrow)]
    pub content: &'a RawValue,
}

/// Any content block, read flat: every field any known block type uses, all optional; `kind`
/// says which apply. Used for request and response blocks. A block of an unknown type is kept
/// raw by the codec, so a field of an unexpected JSON type there is not an error.
#[derive(Debug, Deserialize)]
pub struct ContentBlock<'a> {
    /// `text`, `image`, `tool_use`, `tool_result`, `thinking`, `redacted_thinking`, ...
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// `text` blocks.
    #[serde(borrow)]
    pub text: Option<Cow<'a, str>>,
    /// `image` blocks.
    #[serde(borrow)]
    pub source: Option<ImageSource<'a>>,
    /// `tool_use` blocks: the call id.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the tool name.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// `tool_use` blocks: the arguments object, raw.
    #[serde(borrow)]
    pub input: Option<&'a RawValue>,
    /// `tool_result` blocks: the call answered.
    #[serde(borrow)]
    pub tool_use_id: Option<Cow<'a, str>>,
    /// `tool_result` blocks: a string or an array of blocks.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// `tool_result` blocks: whether the tool failed.
    pub is_error: Option<bool>,
    /// `thinking` blocks: the reasoning text.
    #[serde(borrow)]
    pub thinking: Option<Cow<'a, str>>,
    /// `thinking` blocks: Anthropic's signature.
    #[serde(borrow)]
    pub signature: Option<Cow<'a, str>>,
    /// `redacted_thinking` blocks: the encrypted payload.
    #[serde(borrow)]
    pub data: Option<Cow<'a, str>>,
}

/// Just the `type` of a block or tool, to tell an unknown one from a malformed known one.
#[derive(Debug, Deserialize)]
pub struct Typed<'a> {
    /// The `type` field.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
}

/// An image source: `{type: base64, media_type, data}` or `{type: url, url}` (also `file`).
#[derive(Debug, Deserialize)]
pub struct ImageSource<'a> {
    /// `base64`, `url` or `file`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// MIME type of base64 data.
    #[serde(borrow)]
    pub media_type: Option<Cow<'a, str>>,
    /// Base64 data.
    #[serde(borrow)]
    pub data: Option<Cow<'a, str>>,
    /// The image URL.
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
}

/// A tool definition: custom (`{name, description, input_schema}`, `type` absent or `custom`)
/// or a server tool (`{type: "web_search_20250305", name, ...}`).
#[derive(Debug, Deserialize)]
pub struct Tool<'a> {
    /// Absent or `custom` for a custom tool; a versioned name for a server tool.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// The tool name.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// What it does.
    #[serde(borrow)]
    pub description: Option<Cow<'a, str>>,
    /// JSON Schema of the input, raw.
    #[serde(borrow)]
    pub input_schema: Option<&'a RawValue>,
}

/// `tool_choice`: `{type: auto|any|none}` or `{type: tool, name}`.
#[derive(Debug, Deserialize)]
pub struct ToolChoice<'a> {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// The forced tool, for `tool`.
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// At most one tool call per turn.
    pub disable_parallel_tool_use: Option<bool>,
}

/// `thinking`: `{type: enabled, budget_tokens}`, `{type: adaptive}` or `{type: disabled}`.
#[derive(Debug, Deserialize)]
pub struct Thinking<'a> {
    /// `enabled`, `adaptive` or `disabled`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// Token budget, for `enabled`.
    pub budget_tokens: Option<i64>,
}

/// `output_config`: effort level and the GA structured output format.
#[derive(Debug, Deserialize)]
pub struct OutputConfig<'a> {
    /// `low`, `medium`, `high` or `max`.
    #[serde(borrow)]
    pub effort: Option<Cow<'a, str>>,
    /// Structured output.
    #[serde(borrow)]
    pub format: Option<OutputFormat<'a>>,
}

/// A structured output format: `{type: json_schema, schema}`.
#[derive(Debug, Deserialize)]
pub struct OutputFormat<'a> {
    /// `json_schema`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// The schema, raw.
    #[serde(borrow)]
    pub schema: Option<&'a RawValue>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
pub struct Metadata<'a> {
    /// An opaque end-user id (Claude Code sends a JSON document as a string).
    #[serde(borrow)]
    pub user_id: Option<Cow<'a, str>>,
}

/// A messages (or count_tokens) body the gateway writes for a Claude upstream.
#[derive(Debug, Serialize)]
pub struct RequestOut<'a> {
    /// Upstream model name.
    pub model: &'a str,
    /// Maximum output tokens (`None` for count_tokens, which rejects it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// System prompt blocks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<TextOut<'a>>,
    /// The conversation.
    pub messages: Vec<MessageParamOut<'a>>,
    /// Tool definitions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolOut<'a>>,
    /// Tool choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoiceOut<'a>>,
    /// Temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<&'a str>,
    /// Thinking settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<ThinkingOut>,
    /// Effort and structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfigOut<'a>>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataOut<'a>>,
    /// Stream flag (`None` for count_tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// A `{type: "text", text}` block (system prompt blocks).
#[derive(Debug, Serialize)]
pub struct TextOut<'a> {
    /// Always `text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The text.
    pub text: &'a str,
    /// A prompt-cache breakpoint after this block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// `cache_control`: a prompt-cache breakpoint (`{"type": "ephemeral"}`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CacheControl {
    /// Always `ephemeral`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One message written upstream.
#[derive(Debug, Serialize)]
pub struct MessageParamOut<'a> {
    /// `user`, `assistant` or `system`.
    pub role: &'static str,
    /// Content blocks.
    pub content: Vec<BlockOut<'a>>,
}

/// A content block the gateway writes (request messages, responses, stream block starts).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockOut<'a> {
    /// Text.
    Text {
        /// The text.
        text: &'a str,
        /// A prompt-cache breakpoint after this block.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// An image.
    Image {
        /// Where it comes from.
        source: ImageSourceOut<'a>,
        /// A prompt-cache breakpoint after this block.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A tool call.
    ToolUse {
        /// Call id.
        id: Cow<'a, str>,
        /// Tool name.
        name: &'a str,
        /// Arguments object.
        input: InputOut<'a>,
        /// A prompt-cache breakpoint after this block.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A tool result.
    ToolResult {
        /// The call answered.
        tool_use_id: Cow<'a, str>,
        /// Text and image blocks (omitted when empty).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        content: Vec<BlockOut<'a>>,
        /// Whether the tool failed (omitted when false).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
        /// A prompt-cache breakpoint after this block.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// Visible reasoning with its signature.
    Thinking {
        /// Reasoning text.
        thinking: &'a str,
        /// Anthropic's signature (empty when there is none to give).
        signature: &'a str,
    },
    /// Encrypted reasoning.
    RedactedThinking {
        /// The payload.
        data: &'a str,
    },
    /// A block kept verbatim (documents, server tool blocks).
    #[serde(untagged)]
    Raw(&'a RawValue),
}

/// An image source written upstream.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSourceOut<'a> {
    /// Inline data.
    Base64 {
        /// MIME type.
        media_type: &'a str,
        /// Base64 data.
        data: &'a str,
    },
    /// A URL Anthropic fetches.
    Url {
        /// The URL.
        url: &'a str,
    },
}

/// A `tool_use` input: raw JSON text, or `{}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum InputOut<'a> {
    /// Raw JSON object text.
    Raw(&'a RawValue),
    /// `{}`.
    Empty(EmptyObject),
}

/// Serialises as `{}`.
#[derive(Debug, Serialize)]
pub struct EmptyObject {}

/// A custom tool definition written upstream.
#[derive(Debug, Serialize)]
pub struct ToolOut<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// Input JSON Schema, raw.
    pub input_schema: &'a RawValue,
    /// A prompt-cache breakpoint after the tool definitions up to this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// `tool_choice` written upstream.
#[derive(Debug, Serialize)]
pub struct ToolChoiceOut<'a> {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The forced tool, for `tool`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// At most one tool call per turn (omitted unless true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_parallel_tool_use: bool,
}

/// `thinking` written upstream.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingOut {
    /// A fixed budget.
    Enabled {
        /// Tokens, at least 1024 and below `max_tokens`.
        budget_tokens: u32,
    },
    /// The model decides (newer models; effort goes in `output_config`).
    Adaptive,
    /// No thinking.
    Disabled,
}

/// `output_config` written upstream.
#[derive(Debug, Serialize)]
pub struct OutputConfigOut<'a> {
    /// Effort level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<&'static str>,
    /// Structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormatOut<'a>>,
}

/// `{type: "json_schema", schema}` written upstream.
#[derive(Debug, Serialize)]
pub struct OutputFormatOut<'a> {
    /// Always `json_schema`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The schema, raw.
    pub schema: &'a RawValue,
}

/// `metadata` written upstream.
#[derive(Debug, Serialize)]
pub struct MetadataOut<'a> {
    /// End-user id.
    pub user_id: &'a str,
}
