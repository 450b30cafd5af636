//! OpenAI Chat Completions shapes the gateway writes: the request it sends an
//! OpenAI-compatible upstream, the `chat.completion` body and the pieces of
//! `chat.completion.chunk` frames it sends a client. Plain serde data borrowing from the IR;
//! opaque JSON (schemas) is embedded as raw text. No translation, no I/O.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

/// A chat request for an upstream. Absent settings are omitted, not sent as `null`.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    /// The upstream's model name.
    pub model: &'a str,
    /// The conversation.
    pub messages: Vec<Message<'a>>,
    /// Tool definitions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool<'a>>,
    /// Tool choice (only sent with tools: OpenAI rejects it otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
    /// Parallel tool calls (only sent with tools, for the same reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Output limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub stop: &'a [String],
    /// Seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat<'a>>,
    /// Reasoning level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<&'a str>,
    /// Number of choices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// End-user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
    /// Whether to stream.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// Sent with every stream so the upstream reports usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// `stream_options`.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    /// Ask for a final usage chunk.
    pub include_usage: bool,
}

/// One message.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    /// `system | user | assistant | tool`.
    pub role: &'static str,
    /// Text or parts; `null` for an assistant turn with only tool calls.
    pub content: Content<'a>,
    /// An assistant turn's tool calls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall<'a>>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<Cow<'a, str>>,
}

/// Message content.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Content<'a> {
    /// `null`.
    Null,
    /// A plain string.
    Text(Cow<'a, str>),
    /// Content parts.
    Parts(Vec<Part<'a>>),
}

/// A content part.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part<'a> {
    /// Text.
    Text {
        /// The text.
        text: &'a str,
    },
    /// An image by URL (http(s) or `data:`).
    ImageUrl {
        /// `{"url", "detail"}`.
        image_url: ImageUrl<'a>,
    },
}

/// `{"url", "detail"}` of an image part.
#[derive(Debug, Serialize)]
pub struct ImageUrl<'a> {
    /// The URL.
    pub url: Cow<'a, str>,
    /// The client's resolution hint (`auto`, `low`, `high`), when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

/// A tool call in an assistant turn (requests and non-stream responses).
#[derive(Debug, Serialize)]
pub struct ToolCall<'a> {
    /// Call id.
    pub id: Cow<'a, str>,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Name and arguments.
    pub function: FunctionCall<'a>,
}

/// `{"name", "arguments"}`.
#[derive(Debug, Serialize)]
pub struct FunctionCall<'a> {
    /// Function name.
    pub name: &'a str,
    /// Arguments JSON text, as a JSON string.
    pub arguments: &'a str,
}

/// A tool definition.
#[derive(Debug, Serialize)]
pub struct Tool<'a> {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function.
    pub function: Function<'a>,
}

/// A function definition.
#[derive(Debug, Serialize)]
pub struct Function<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// JSON Schema, embedded verbatim.
    pub parameters: &'a RawValue,
}

/// `tool_choice`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolChoice<'a> {
    /// `"auto" | "none" | "required"`.
    Mode(&'static str),
    /// `{"type":"function","function":{"name"}}`.
    Named {
        /// Always `function`.
        #[serde(rename = "type")]
        kind: &'static str,
        /// `{"name"}`.
        function: Name<'a>,
    },
}

/// `{"name"}`.
#[derive(Debug, Serialize)]
pub struct Name<'a> {
    /// The name.
    pub name: &'a str,
}

/// `response_format`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat<'a> {
    /// Plain text.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// The schema description.
        json_schema: JsonSchema<'a>,
    },
}

/// The `json_schema` object.
#[derive(Debug, Serialize)]
pub struct JsonSchema<'a> {
    /// Schema name.
    pub name: &'a str,
    /// The schema, embedded verbatim.
    pub schema: &'a RawValue,
    /// Strict adherence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// A `chat.completion` body for a client.
#[derive(Debug, Serialize)]
pub struct Completion<'a> {
    /// Completion id.
    pub id: &'a str,
    /// Always `chat.completion`.
    pub object: &'static str,
    /// Unix seconds.
    pub created: u64,
    /// The client's model name.
    pub model: &'a str,
    /// The one choice.
    pub choices: [Choice<'a>; 1],
    /// Token usage.
    pub usage: Usage,
}

/// The choice of a non-stream completion.
#[derive(Debug, Serialize)]
pub struct Choice<'a> {
    /// Always 0.
    pub index: u32,
    /// The assistant's message.
    pub message: AssistantMessage<'a>,
    /// Always `null`: log probabilities are not translated.
    pub logprobs: Option<()>,
    /// Why it stopped.
    pub finish_reason: &'static str,
}

/// The assistant message of a completion.
#[derive(Debug, Serialize)]
pub struct AssistantMessage<'a> {
    /// Always `assistant`.
    pub role: &'static str,
    /// The text; `null` when there is none (e.g. only tool calls).
    pub content: Option<Cow<'a, str>>,
    /// Reasoning text, when the upstream returned some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// Tool calls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall<'a>>,
    /// Images the model produced (the OpenRouter-style `images` list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Part<'a>>,
    /// Always `null`: refusals are sent as content with `finish_reason: content_filter`.
    pub refusal: Option<()>,
}

/// `usage` with both detail objects.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    pub prompt_tokens: u64,
    /// Output tokens, reasoning included.
    pub completion_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
    /// `{"cached_tokens"}`.
    pub prompt_tokens_details: PromptDetails,
    /// `{"reasoning_tokens"}`.
    pub completion_tokens_details: CompletionDetails,
}

/// `usage.prompt_tokens_details`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PromptDetails {
    /// Prompt tokens read from the cache.
    pub cached_tokens: u64,
}

/// `usage.completion_tokens_details`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CompletionDetails {
    /// Output tokens spent reasoning.
    pub reasoning_tokens: u64,
}

/// A streamed tool-call fragment of a chunk's `delta.tool_calls`: the opening one carries
/// id, type and name; later ones only `index` and argument text.
#[derive(Debug, Serialize)]
pub struct ToolCallChunk<'a> {
    /// Position of the call among this response's tool calls.
    pub index: usize,
    /// Call id (opening fragment only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// `function` (opening fragment only).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// Name (opening fragment only) and arguments.
    pub function: FunctionChunk<'a>,
}

/// The `function` of a tool-call fragment.
#[derive(Debug, Serialize)]
pub struct FunctionChunk<'a> {
    /// Name (opening fragment only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Argument text.
    pub arguments: &'a str,
}

/// The `delta` of a `chat.completion.chunk` choice; empty fields are omitted.
#[derive(Debug, Default, Serialize)]
pub struct ChunkDelta<'a> {
    /// `assistant`, on the first chunk only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// More text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    /// More reasoning text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<&'a str>,
    /// Tool-call fragments.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub tool_calls: &'a [ToolCallChunk<'a>],
}

/// The last `chat.completion.chunk` of a stream whose client asked for usage: no choices.
#[derive(Debug, Serialize)]
pub struct UsageChunk<'a> {
    /// Completion id.
    pub id: &'a str,
    /// `chat.completion.chunk` (or `text_completion` for the legacy API).
    pub object: &'static str,
    /// Unix seconds.
    pub created: u64,
    /// The client's model name.
    pub model: &'a str,
    /// Always empty.
    pub choices: [(); 0],
    /// Token usage.
    pub usage: Usage,
}

/// The in-band error frame of a stream that has started: `{"error":{"message","type"}}`.
#[derive(Debug, Serialize)]
pub struct StreamError<'a> {
    /// The error.
    pub error: StreamErrorDetail<'a>,
}

/// The body of a [`StreamError`].
#[derive(Debug, Serialize)]
pub struct StreamErrorDetail<'a> {
    /// What went wrong.
    pub message: &'a str,
    /// Always `api_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}
