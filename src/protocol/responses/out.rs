//! Responses wire shapes the gateway writes: request bodies for Responses upstreams, and
//! response objects and stream events for Responses clients. Serialise-only plain structs
//! borrowing from the IR. No I/O.

use std::borrow::Cow;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// An empty JSON array (`annotations: []`, `logprobs: []`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyList;

impl Serialize for EmptyList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_seq(Some(0))?.end()
    }
}

/// A request body sent to a Responses upstream.
#[derive(Debug, Serialize)]
pub struct OutRequest<'a> {
    /// Upstream model name.
    pub model: &'a str,
    /// System instructions (Codex requires the field, possibly empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Input items.
    pub input: Vec<OutItem<'a>>,
    /// Function tools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<OutTool<'a>>,
    /// Tool choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<OutToolChoice<'a>>,
    /// Parallel tool calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Reasoning settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<OutReasoning>,
    /// Extra output to include (`reasoning.encrypted_content`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub include: &'static [&'static str],
    /// Never store: the gateway is stateless and replays reasoning itself.
    pub store: bool,
    /// Stream.
    pub stream: bool,
    /// Structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<OutText<'a>>,
    /// Output token limit (plain OpenAI only; Codex rejects it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// Temperature (plain OpenAI only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling (plain OpenAI only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Prompt-cache routing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<&'a str>,
}

/// A function tool.
#[derive(Debug, Serialize)]
pub struct OutTool<'a> {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Name.
    pub name: &'a str,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// JSON Schema, raw.
    pub parameters: &'a RawValue,
}

/// Tool choice: a mode string or a named function.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OutToolChoice<'a> {
    /// `auto`, `none` or `required`.
    Mode(&'static str),
    /// `{"type":"function","name":…}`.
    Function {
        /// Always `function`.
        #[serde(rename = "type")]
        kind: &'static str,
        /// The function.
        name: &'a str,
    },
}

/// `reasoning` settings sent upstream.
#[derive(Debug, Serialize)]
pub struct OutReasoning {
    /// Effort level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<&'static str>,
    /// `auto` when summaries are wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<&'static str>,
}

/// `text` settings sent upstream.
#[derive(Debug, Serialize)]
pub struct OutText<'a> {
    /// The format.
    pub format: OutFormat<'a>,
}

/// `text.format`.
#[derive(Debug, Serialize)]
pub struct OutFormat<'a> {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Schema name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Schema, raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<&'a RawValue>,
    /// Strict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// An item written by the gateway: input items on requests, output items on responses.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OutItem<'a> {
    /// A message.
    Message(OutMessage<'a>),
    /// A function call.
    FunctionCall(OutFunctionCall<'a>),
    /// A function call's output.
    FunctionCallOutput(OutFunctionCallOutput<'a>),
    /// A reasoning item built from visible thinking.
    Reasoning(OutReasoningItem<'a>),
    /// A generated image.
    ImageGeneration(OutImageGeneration<'a>),
    /// An item replayed byte-exact (a Responses reasoning item with its encrypted content).
    Raw(&'a RawValue),
}

/// A message item.
#[derive(Debug, Serialize)]
pub struct OutMessage<'a> {
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Item id (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// Item status (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// `user`, `assistant` or `developer`.
    pub role: &'static str,
    /// Content parts.
    pub content: Vec<OutPart<'a>>,
}

/// A message content part.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutPart<'a> {
    /// User or developer text.
    InputText {
        /// The text.
        text: &'a str,
    },
    /// Assistant text.
    OutputText {
        /// The text.
        text: &'a str,
        /// Always empty.
        annotations: EmptyList,
    },
    /// An image by URL (https or data URL).
    InputImage {
        /// The URL.
        image_url: Cow<'a, str>,
        /// The client's resolution hint (`auto`, `low`, `high`); `auto` when it gave none.
        detail: &'a str,
    },
    /// An image by uploaded file id.
    #[serde(rename = "input_image")]
    InputImageFile {
        /// The file id.
        file_id: &'a str,
        /// The client's resolution hint; `auto` when it gave none.
        detail: &'a str,
    },
}

/// A function call item.
#[derive(Debug, Serialize)]
pub struct OutFunctionCall<'a> {
    /// Always `function_call`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Item id (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// Item status (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Call id.
    pub call_id: &'a str,
    /// Function name (without its namespace).
    pub name: &'a str,
    /// The namespace of a namespaced function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
    /// Arguments JSON text.
    pub arguments: &'a str,
}

/// A function call output item.
#[derive(Debug, Serialize)]
pub struct OutFunctionCallOutput<'a> {
    /// Always `function_call_output`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The call this answers.
    pub call_id: &'a str,
    /// The output.
    pub output: OutOutput<'a>,
}

/// A function call's output: a string, or parts when it holds images.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OutOutput<'a> {
    /// Plain text.
    Text(Cow<'a, str>),
    /// Text and image parts.
    Parts(Vec<OutPart<'a>>),
}

/// A reasoning item built by the gateway (from another family's thinking).
#[derive(Debug, Serialize)]
pub struct OutReasoningItem<'a> {
    /// Always `reasoning`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Item id.
    pub id: &'a str,
    /// Item status, when it is not complete (a stream that failed while it was open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Summary parts.
    pub summary: Vec<OutSummary<'a>>,
    /// Another family's signature or redacted thinking, tagged with its family, for the
    /// client to send back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<Cow<'a, str>>,
}

/// A reasoning summary part.
#[derive(Debug, Serialize)]
pub struct OutSummary<'a> {
    /// Always `summary_text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The text.
    pub text: &'a str,
}

/// A generated image item.
#[derive(Debug, Serialize)]
pub struct OutImageGeneration<'a> {
    /// Always `image_generation_call`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Item id.
    pub id: &'a str,
    /// Always `completed`.
    pub status: &'static str,
    /// Base64 image.
    pub result: &'a str,
}

/// A response object written to a client.
#[derive(Debug, Serialize)]
pub struct OutResponse<'a> {
    /// Response id.
    pub id: &'a str,
    /// Always `response`.
    pub object: &'static str,
    /// Unix seconds.
    pub created_at: u64,
    /// `in_progress`, `completed`, `incomplete` or `failed`.
    pub status: &'static str,
    /// Why it failed.
    pub error: Option<OutError<'a>>,
    /// Why it is incomplete.
    pub incomplete_details: Option<OutIncomplete>,
    /// Model (the client's alias).
    pub model: &'a str,
    /// Output items.
    pub output: &'a [OutItem<'a>],
    /// Token usage (`null` until known in streams).
    pub usage: Option<OutUsage>,
}

/// `error` of a failed response.
#[derive(Debug, Serialize)]
pub struct OutError<'a> {
    /// Error code.
    pub code: &'static str,
    /// Message.
    pub message: &'a str,
}

/// `incomplete_details`.
#[derive(Debug, Serialize)]
pub struct OutIncomplete {
    /// `max_output_tokens` or `content_filter`.
    pub reason: &'static str,
}

/// Token usage written to a client.
#[derive(Debug, Serialize)]
pub struct OutUsage {
    /// Prompt tokens, cached ones included.
    pub input_tokens: u64,
    /// Prompt token breakdown.
    pub input_tokens_details: OutInputDetails,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Output token breakdown.
    pub output_tokens_details: OutOutputDetails,
    /// Total.
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Serialize)]
pub struct OutInputDetails {
    /// Cache reads.
    pub cached_tokens: u64,
    /// Cache writes (only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Serialize)]
pub struct OutOutputDetails {
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A stream event written to a client. Only the fields its type uses are set.
#[derive(Debug, Serialize)]
pub struct OutEvent<'a> {
    /// The event type (also the SSE `event:` name).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Strictly increasing from 0.
    pub sequence_number: u64,
    /// The response, on lifecycle events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<&'a OutResponse<'a>>,
    /// The output item's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_index: Option<usize>,
    /// The output item's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<&'a str>,
    /// The content part's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_index: Option<usize>,
    /// The summary part's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_index: Option<usize>,
    /// The item, on `response.output_item.added` / `.done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<&'a OutItem<'a>>,
    /// The part, on content and summary part events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<OutEventPart<'a>>,
    /// Incremental text or arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<&'a str>,
    /// Full text on `*.done` text events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// Full arguments on `response.function_call_arguments.done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<&'a str>,
    /// Function name on `response.function_call_arguments.done`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Always empty, on output text events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<EmptyList>,
}

impl<'a> OutEvent<'a> {
    /// An event of `kind` with every optional field unset.
    pub fn new(kind: &'static str, sequence_number: u64) -> Self {
        OutEvent {
            kind,
            sequence_number,
            response: None,
            output_index: None,
            item_id: None,
            content_index: None,
            summary_index: None,
            item: None,
            part: None,
            delta: None,
            text: None,
            arguments: None,
            name: None,
            logprobs: None,
        }
    }
}

/// The `part` of content-part and summary-part events.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutEventPart<'a> {
    /// A message's text part.
    OutputText {
        /// The text so far.
        text: &'a str,
        /// Always empty.
        annotations: EmptyList,
    },
    /// A reasoning summary part.
    SummaryText {
        /// The text so far.
        text: &'a str,
    },
}
