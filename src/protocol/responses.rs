//! OpenAI Responses API wire shapes (`POST /v1/responses`, and the Codex backend that speaks
//! the same dialect): requests, response objects and streaming events, as plain serde structs.
//! Decoding types are flat and borrow from the body (`Cow`, `RawValue`) so opaque JSON such as
//! tool schemas and reasoning items stays byte-exact; unknown fields are ignored. No I/O.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::protocol::json::opt_cow;
use crate::protocol::json::scan::{self, Scanner};

mod out;

pub use out::*;

/// A `POST /v1/responses` body, as far as translation reads it.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    /// The model.
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// A system (developer) message placed before the input; a string.
    #[serde(borrow, default)]
    pub instructions: Option<&'a RawValue>,
    /// A string (one user message) or an array of input items.
    #[serde(borrow, default)]
    pub input: Option<&'a RawValue>,
    /// Tool definitions.
    #[serde(borrow, default)]
    pub tools: Option<Vec<Tool<'a>>>,
    /// `"auto"`, `"none"`, `"required"` or an object such as `{"type":"function","name"}`.
    #[serde(borrow, default)]
    pub tool_choice: Option<&'a RawValue>,
    /// Whether several tool calls may come in one turn.
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    /// Output token limit, reasoning included.
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    /// Temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Reasoning settings.
    #[serde(borrow, default)]
    pub reasoning: Option<ReasoningConfig<'a>>,
    /// Text output settings (structured output).
    #[serde(borrow, default)]
    pub text: Option<TextConfig<'a>>,
    /// The prompt-cache routing key (Codex sends its session id here).
    #[serde(borrow, default)]
    pub prompt_cache_key: Option<Cow<'a, str>>,
    /// End-user id.
    #[serde(borrow, default)]
    pub user: Option<Cow<'a, str>>,
    /// Whether the client wants a stream.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Server-side conversation state, which a stateless gateway cannot honour.
    #[serde(borrow, default)]
    pub previous_response_id: Option<Cow<'a, str>>,
    /// A stored conversation, which a stateless gateway cannot honour.
    #[serde(borrow, default)]
    pub conversation: Option<&'a RawValue>,
    /// A stored prompt template, which a stateless gateway cannot honour.
    #[serde(borrow, default)]
    pub prompt: Option<&'a RawValue>,
}

/// A tool definition: `function`, or a `namespace` grouping nested tools, or a hosted tool
/// (`web_search`, `file_search`, ...) that translation drops.
#[derive(Debug, Deserialize)]
pub struct Tool<'a> {
    /// `function`, `namespace`, `custom`, `web_search`, ...
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The tool (or namespace) name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// Description.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// JSON Schema of the arguments, raw.
    #[serde(borrow, default)]
    pub parameters: Option<&'a RawValue>,
    /// Strict schema validation (not kept by the IR).
    #[serde(default)]
    pub strict: Option<bool>,
    /// A namespace's member tools.
    #[serde(borrow, default)]
    pub tools: Option<Vec<Tool<'a>>>,
}

/// An object `tool_choice`: `{type:function,name}`, `{type:allowed_tools,mode}` or a hosted
/// tool type.
#[derive(Debug, Deserialize)]
pub struct ToolChoiceObject<'a> {
    /// `function`, `allowed_tools`, `web_search`, ...
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The function name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// The function's namespace.
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    /// `auto` or `required`, for `allowed_tools`.
    #[serde(borrow, default)]
    pub mode: Option<Cow<'a, str>>,
}

/// `reasoning` request settings.
#[derive(Debug, Deserialize)]
pub struct ReasoningConfig<'a> {
    /// `none`, `minimal`, `low`, `medium`, `high`, `xhigh`.
    #[serde(borrow, default)]
    pub effort: Option<Cow<'a, str>>,
    /// `auto`, `concise` or `detailed`: summaries are wanted.
    #[serde(borrow, default)]
    pub summary: Option<Cow<'a, str>>,
    /// The deprecated name of `summary`.
    #[serde(borrow, default)]
    pub generate_summary: Option<Cow<'a, str>>,
}

/// `text` request settings.
#[derive(Debug, Deserialize)]
pub struct TextConfig<'a> {
    /// The output format.
    #[serde(borrow, default)]
    pub format: Option<TextFormat<'a>>,
}

/// `text.format`: `{type:text}`, `{type:json_object}` or `{type:json_schema,name,schema,strict}`.
#[derive(Debug, Deserialize)]
pub struct TextFormat<'a> {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// Schema name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// The schema, raw.
    #[serde(borrow, default)]
    pub schema: Option<&'a RawValue>,
    /// Strict schema adherence.
    #[serde(default)]
    pub strict: Option<bool>,
}

/// One input or output item, flattened over every item type the translator reads (`message`,
/// `function_call`, `function_call_output`, `reasoning`, ...). Flat rather than an internally
/// tagged enum because serde buffers tagged enums, which breaks borrowed `RawValue`s.
#[derive(Debug, Deserialize)]
pub struct Item<'a> {
    /// The item type; absent on "easy" input messages that only have `role` and `content`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The item id (ignored on input; kept for mapping stream events to items).
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// Message role: `user`, `assistant`, `system` or `developer`.
    #[serde(borrow, default)]
    pub role: Option<Cow<'a, str>>,
    /// Message content (a string or an array of parts) or reasoning text parts.
    #[serde(borrow, default)]
    pub content: Option<&'a RawValue>,
    /// Function call id.
    #[serde(borrow, default)]
    pub call_id: Option<Cow<'a, str>>,
    /// Function name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// The namespace of a namespaced function.
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    /// Function call arguments: JSON text inside a string.
    #[serde(borrow, default)]
    pub arguments: Option<Cow<'a, str>>,
    /// Function call output: a string or an array of content parts.
    #[serde(borrow, default)]
    pub output: Option<&'a RawValue>,
    /// Reasoning summary parts.
    #[serde(borrow, default)]
    pub summary: Option<Vec<TextPart<'a>>>,
    /// Encrypted reasoning, replayable to the same family only.
    #[serde(borrow, default)]
    pub encrypted_content: Option<Cow<'a, str>>,
    /// Item status (`in_progress`, `completed`, `incomplete`).
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// An `image_generation_call`'s base64 image.
    #[serde(borrow, default)]
    pub result: Option<Cow<'a, str>>,
}

/// A `{type, text}` part: reasoning `summary_text` and `reasoning_text`.
#[derive(Debug, Deserialize)]
pub struct TextPart<'a> {
    /// `summary_text` or `reasoning_text`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The text.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
}

/// A message content part, flattened over `input_text`, `output_text`, `refusal`,
/// `input_image`, `input_file`, ...
#[derive(Debug, Deserialize)]
pub struct ContentPart<'a> {
    /// The part type.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// Text of `input_text` / `output_text`.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
    /// Text of a `refusal`.
    #[serde(borrow, default)]
    pub refusal: Option<Cow<'a, str>>,
    /// An image URL (https or data URL); some clients send `{url}` instead of a string.
    #[serde(borrow, default)]
    pub image_url: Option<&'a RawValue>,
    /// An uploaded file id.
    #[serde(borrow, default)]
    pub file_id: Option<Cow<'a, str>>,
    /// An image's resolution hint (`auto`, `low`, `high`).
    #[serde(borrow, default)]
    pub detail: Option<Cow<'a, str>>,
}

/// `image_url` sent as an object (`{"url": ..., "detail": ...}`, Chat's shape), as some
/// clients do.
#[derive(Debug, Deserialize)]
pub struct ImageUrlObject<'a> {
    /// The URL.
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
    /// The resolution hint.
    #[serde(borrow, default)]
    pub detail: Option<Cow<'a, str>>,
}

/// A response object (non-stream body, and the `response` of lifecycle stream events).
#[derive(Debug, Deserialize)]
pub struct Response<'a> {
    /// Response id.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// Unix seconds (the API documents a number; some servers send a float).
    #[serde(default)]
    pub created_at: Option<f64>,
    /// Model.
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    /// `completed`, `incomplete`, `failed`, `in_progress`, ...
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// Output items, raw (reasoning items are kept byte-exact).
    #[serde(borrow, default)]
    pub output: Option<Vec<&'a RawValue>>,
    /// Token usage.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Why the response is incomplete.
    #[serde(borrow, default)]
    pub incomplete_details: Option<IncompleteDetails<'a>>,
    /// Why the response failed.
    #[serde(borrow, default)]
    pub error: Option<ErrorObject<'a>>,
}

/// Token usage.
#[derive(Debug, Default, Deserialize)]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// Prompt token breakdown.
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Output tokens, reasoning included.
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// Output token breakdown.
    #[serde(default)]
    pub output_tokens_details: Option<OutputTokensDetails>,
    /// Total.
    #[serde(default)]
    pub total_tokens: Option<u64>,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Default, Deserialize)]
pub struct InputTokensDetails {
    /// Prompt tokens read from the cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
    /// Prompt tokens written to the cache.
    #[serde(default)]
    pub cache_write_tokens: Option<u64>,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Default, Deserialize)]
pub struct OutputTokensDetails {
    /// Output tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

/// `incomplete_details`.
#[derive(Debug, Deserialize)]
pub struct IncompleteDetails<'a> {
    /// `max_output_tokens` or `content_filter`.
    #[serde(borrow, default)]
    pub reason: Option<Cow<'a, str>>,
}

/// An error object (`response.error`, or the body of an `error` event).
#[derive(Debug, Deserialize)]
pub struct ErrorObject<'a> {
    /// Error code.
    #[serde(borrow, default)]
    pub code: Option<Cow<'a, str>>,
    /// Message.
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

/// One streaming event's `data`, flattened over every event type the decoder reads.
#[derive(Debug, Default, Deserialize)]
pub struct StreamEvent<'a> {
    /// The event type, e.g. `response.output_text.delta`.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The response, on lifecycle events.
    #[serde(borrow, default)]
    pub response: Option<Response<'a>>,
    /// The item, on `response.output_item.added` / `.done`, raw.
    #[serde(borrow, default)]
    pub item: Option<&'a RawValue>,
    /// The output item's position.
    #[serde(default)]
    pub output_index: Option<u64>,
    /// The output item's id.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub item_id: Option<Cow<'a, str>>,
    /// The content part's position inside a message.
    #[serde(default)]
    pub content_index: Option<u64>,
    /// The summary part's position inside a reasoning item.
    #[serde(default)]
    pub summary_index: Option<u64>,
    /// Incremental text or arguments.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub delta: Option<Cow<'a, str>>,
    /// Full text, on `*.done` text events.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub text: Option<Cow<'a, str>>,
    /// Full arguments, on `response.function_call_arguments.done`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub arguments: Option<Cow<'a, str>>,
    /// The part, on `response.content_part.*` events.
    #[serde(borrow, default)]
    pub part: Option<ContentPart<'a>>,
    /// The error message, on `error` events.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub message: Option<Cow<'a, str>>,
    /// The error code, on `error` events.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub code: Option<Cow<'a, str>>,
    /// A nested error object, as some servers send on `error` events.
    #[serde(borrow, default)]
    pub error: Option<ErrorObject<'a>>,
}

impl<'a> StreamEvent<'a> {
    /// Reads one event's `data:` into `into` (a fresh [`StreamEvent::default`], filled in
    /// place). Text, reasoning and argument events (`*.delta`, `*.done` without an item or
    /// part) are read by a strict scanner without serde; events carrying a response, item,
    /// part or error object, and anything the scanner is unsure of, go through serde_json, so
    /// the result (or the error) is always serde's.
    ///
    /// # Errors
    /// serde_json's, when `data` is not an event object (`into` is then unspecified).
    pub fn read(data: &'a str, into: &mut Self) -> Result<(), serde_json::Error> {
        scan::read_or_serde(data, into, fast_event)
    }
}

/// [`StreamEvent::read`]'s fast path.
fn fast_event<'a>(data: &'a str, ev: &mut StreamEvent<'a>) -> Option<()> {
    let mut s = Scanner::new(data);
    let mut seen = 0;
    s.object(|s, key| {
        let (bit, slot) = match key {
            "type" => (0, &mut ev.kind),
            "item_id" => (1, &mut ev.item_id),
            "delta" => (2, &mut ev.delta),
            "text" => (3, &mut ev.text),
            "arguments" => (4, &mut ev.arguments),
            "message" => (5, &mut ev.message),
            "code" => (6, &mut ev.code),
            "output_index" | "content_index" | "summary_index" => {
                let (bit, slot) = match key {
                    "output_index" => (7, &mut ev.output_index),
                    "content_index" => (8, &mut ev.content_index),
                    _ => (9, &mut ev.summary_index),
                };
                scan::once(&mut seen, bit)?;
                *slot = s.opt_u64()?;
                return Some(());
            }
            "response" | "item" | "part" | "error" => return None,
            _ => return s.skip(),
        };
        scan::once(&mut seen, bit)?;
        *slot = s.opt_string()?;
        Some(())
    })?;
    s.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_taken(data: &str) -> bool {
        scan::fast_path_agrees::<StreamEvent<'_>>(data, fast_event)
    }

    #[test]
    fn event_fast_path_reads_like_serde() {
        let taken = [
            r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi \"x\"","logprobs":[],"sequence_number":5}"#,
            r#"{"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":2,"arguments":"{}","sequence_number":9}"#,
            r#"{"type":"error","message":"boom","code":null}"#,
        ];
        for data in taken {
            assert!(event_taken(data), "{data}");
        }
        let left_to_serde = [
            r#"{"type":"response.completed","response":{"id":"r"}}"#,
            r#"{"type":"response.output_item.added","item":{"type":"message"}}"#,
            r#"{"type":"a","type":"b"}"#,
            r#"{"type":"a","output_index":1.5}"#,
        ];
        for data in left_to_serde {
            assert!(!event_taken(data), "{data}");
        }
    }

    proptest::proptest! {
        #[test]
        fn event_fast_path_never_disagrees_with_serde(
            text in r#"\{("(type|delta|output_index|item|x)":( ?("[a-z\\\\"]{0,4}"|[0-9]{1,2}|null|\[\]|\{\}),?)){0,4}\}"#
        ) {
            event_taken(&text);
        }
    }

    #[test]
    fn flat_items_keep_raw_values_borrowed() {
        let body = r#"{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"ok"}]}"#;
        let item: Item<'_> = serde_json::from_str(body).unwrap();
        assert_eq!(item.kind.as_deref(), Some("function_call_output"));
        assert_eq!(
            item.output.map(RawValue::get),
            Some(r#"[{"type":"input_text","text":"ok"}]"#)
        );
    }

    #[test]
    fn out_parts_are_tagged() {
        let parts = [
            OutPart::InputText { text: "a" },
            OutPart::OutputText {
                text: "b",
                annotations: EmptyList,
            },
            OutPart::InputImageFile {
                file_id: "file-1",
                detail: "auto",
            },
        ];
        let v = serde_json::to_value(parts).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"type": "input_text", "text": "a"},
                {"type": "output_text", "text": "b", "annotations": []},
                {"type": "input_image", "file_id": "file-1", "detail": "auto"},
            ])
        );
    }
}
