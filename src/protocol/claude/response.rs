//! Anthropic Messages responses and stream events: the borrowed shapes an upstream body or SSE
//! `data:` payload is read into, and the shapes a client body or frame is written from.
//! Plain serde, no logic, no I/O. Reference: <https://docs.anthropic.com/en/api/messages-streaming>.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::request::BlockOut;
use crate::protocol::json::opt_cow;
use crate::protocol::json::scan::{self, Scanner};

/// A non-streamed response (`type: "message"`), or the `message` of a `message_start` event.
/// An error body (`type: "error"`) reads into the same shape with `error` set.
#[derive(Debug, Deserialize)]
pub struct Message<'a> {
    /// `message` or `error`.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// Message id.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub id: Option<Cow<'a, str>>,
    /// Model that answered.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub model: Option<Cow<'a, str>>,
    /// Content blocks, each read on its own.
    #[serde(borrow, default)]
    pub content: Vec<&'a RawValue>,
    /// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `pause_turn`, `refusal`, ...
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub stop_reason: Option<Cow<'a, str>>,
    /// The stop sequence that matched.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub stop_sequence: Option<Cow<'a, str>>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// The error, for an error body.
    #[serde(borrow)]
    pub error: Option<ErrorInfo<'a>>,
}

/// Token usage as Anthropic reports it: `input_tokens` excludes cache reads and writes.
/// Fields may be absent or `null` (a `message_delta` often carries only `output_tokens`).
#[derive(Debug, Default, Deserialize)]
pub struct Usage {
    /// Uncached input tokens.
    pub input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: Option<u64>,
    /// Input tokens written to the cache.
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: Option<u64>,
}

/// `{type, message}` of an error body or `error` event.
#[derive(Debug, Deserialize)]
pub struct ErrorInfo<'a> {
    /// `overloaded_error`, `api_error`, ...
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// Human-readable message.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub message: Option<Cow<'a, str>>,
}

/// One stream event's `data:`, read flat: every field any event type uses, all optional.
#[derive(Debug, Default, Deserialize)]
pub struct StreamEvent<'a> {
    /// `message_start`, `content_block_start`, `content_block_delta`, `content_block_stop`,
    /// `message_delta`, `message_stop`, `ping` or `error`.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The `message` of `message_start`, read on its own: some compatible upstreams put a
    /// plain string here in their error events.
    #[serde(borrow)]
    pub message: Option<&'a RawValue>,
    /// Block index of `content_block_*`.
    pub index: Option<u64>,
    /// The block of `content_block_start`, read on its own (server tool blocks vary).
    #[serde(borrow)]
    pub content_block: Option<&'a RawValue>,
    /// The delta of `content_block_delta` or `message_delta`.
    #[serde(borrow)]
    pub delta: Option<StreamDelta<'a>>,
    /// The usage of `message_delta`.
    pub usage: Option<Usage>,
    /// The error of an `error` event: `{type, message}`, or a string from some compatible
    /// upstreams; read on its own.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
}

impl<'a> StreamEvent<'a> {
    /// Reads one event's `data:` into `into` (a fresh [`StreamEvent::default`]; filled in
    /// place, since the struct is large). The hot events (`content_block_delta` with a text,
    /// thinking, signature or JSON delta, `content_block_stop`, `ping`, `message_stop`) are
    /// read by a strict scanner without serde; any other shape, and anything the scanner is
    /// unsure of, goes through serde_json, so the result (or the error) is always serde's.
    ///
    /// # Errors
    /// serde_json's, when `data` is not an event object (`into` is then unspecified).
    pub fn read(data: &'a str, into: &mut Self) -> Result<(), serde_json::Error> {
        scan::read_or_serde(data, into, fast_event)
    }
}

/// [`StreamEvent::read`]'s fast path: an object with only `type`, `index` and `delta`.
fn fast_event<'a>(data: &'a str, event: &mut StreamEvent<'a>) -> Option<()> {
    let mut s = Scanner::new(data);
    let mut seen = 0;
    s.object(|s, key| match key {
        "type" => {
            scan::once(&mut seen, 0)?;
            event.kind = s.opt_string()?;
            Some(())
        }
        "index" => {
            scan::once(&mut seen, 1)?;
            event.index = s.opt_u64()?;
            Some(())
        }
        "delta" => {
            scan::once(&mut seen, 2)?;
            if !s.null()? {
                fast_delta(s, event.delta.insert(StreamDelta::default()))?;
            }
            Some(())
        }
        _ => None,
    })?;
    s.end()
}

fn fast_delta<'a>(s: &mut Scanner<'a>, d: &mut StreamDelta<'a>) -> Option<()> {
    let mut seen = 0;
    s.object(|s, key| {
        let (bit, slot) = match key {
            "type" => (0, &mut d.kind),
            "text" => (1, &mut d.text),
            "thinking" => (2, &mut d.thinking),
            "signature" => (3, &mut d.signature),
            "partial_json" => (4, &mut d.partial_json),
            "stop_reason" => (5, &mut d.stop_reason),
            "stop_sequence" => (6, &mut d.stop_sequence),
            _ => return None,
        };
        scan::once(&mut seen, bit)?;
        *slot = s.opt_string()?;
        Some(())
    })
}

/// A `content_block_delta` delta (`text_delta`, `thinking_delta`, `signature_delta`,
/// `input_json_delta`, ...) or a `message_delta` delta (`stop_reason`, `stop_sequence`).
#[derive(Debug, Default, Deserialize)]
pub struct StreamDelta<'a> {
    /// The delta type (absent in `message_delta`).
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// `text_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub text: Option<Cow<'a, str>>,
    /// `thinking_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub thinking: Option<Cow<'a, str>>,
    /// `signature_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub signature: Option<Cow<'a, str>>,
    /// `input_json_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub partial_json: Option<Cow<'a, str>>,
    /// `message_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub stop_reason: Option<Cow<'a, str>>,
    /// `message_delta`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub stop_sequence: Option<Cow<'a, str>>,
}

/// A response body the gateway writes for a client (`type: "message"`).
#[derive(Debug, Serialize)]
pub struct MessageOut<'a> {
    /// Message id.
    pub id: &'a str,
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always `assistant`.
    pub role: &'static str,
    /// Model name as the client knows it.
    pub model: &'a str,
    /// Content blocks.
    pub content: Vec<BlockOut<'a>>,
    /// Why it stopped (`null` in `message_start`).
    pub stop_reason: Option<&'static str>,
    /// The matched stop sequence.
    pub stop_sequence: Option<&'a str>,
    /// Token usage.
    pub usage: UsageOut,
}

/// Usage written for a client, Anthropic's way (`input_tokens` without cache tokens).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UsageOut {
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Input tokens written to the cache.
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

/// A stream event's `data:` the gateway writes for a client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEventOut<'a> {
    /// The response began; `message.content` is empty.
    MessageStart {
        /// The message so far.
        message: MessageOut<'a>,
    },
    /// A block opened.
    ContentBlockStart {
        /// Block index.
        index: usize,
        /// The block, empty (`text: ""`, `input: {}`...).
        content_block: BlockOut<'a>,
    },
    /// More content for an open block.
    ContentBlockDelta {
        /// Block index.
        index: usize,
        /// The content.
        delta: DeltaOut<'a>,
    },
    /// A block closed.
    ContentBlockStop {
        /// Block index.
        index: usize,
    },
    /// Stop reason and cumulative usage.
    MessageDelta {
        /// Stop reason and sequence.
        delta: MessageDeltaOut<'a>,
        /// Cumulative usage.
        usage: UsageOut,
    },
    /// The response ended.
    MessageStop,
    /// An in-band error.
    Error {
        /// What went wrong.
        error: ErrorOut<'a>,
    },
}

/// A `content_block_delta` delta written for a client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeltaOut<'a> {
    /// More text.
    TextDelta {
        /// The text.
        text: &'a str,
    },
    /// More reasoning.
    ThinkingDelta {
        /// The reasoning text.
        thinking: &'a str,
    },
    /// The thinking block's signature.
    SignatureDelta {
        /// The signature.
        signature: &'a str,
    },
    /// More tool-argument JSON text.
    InputJsonDelta {
        /// The JSON fragment.
        partial_json: &'a str,
    },
}

/// The `delta` of a `message_delta` event.
#[derive(Debug, Serialize)]
pub struct MessageDeltaOut<'a> {
    /// Why it stopped.
    pub stop_reason: Option<&'static str>,
    /// The matched stop sequence.
    pub stop_sequence: Option<&'a str>,
}

/// `{type, message}` of an `error` event.
#[derive(Debug, Serialize)]
pub struct ErrorOut<'a> {
    /// Anthropic error type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Message.
    pub message: &'a str,
}

/// The `/v1/messages/count_tokens` answer, both directions.
#[derive(Debug, Serialize, Deserialize)]
pub struct CountTokens {
    /// Input tokens the request would use.
    pub input_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whether the fast path takes `data` (reading it as serde does), and `read` agrees.
    fn takes(data: &str) -> bool {
        let taken = scan::fast_path_agrees::<StreamEvent<'_>>(data, fast_event);
        let mut read = StreamEvent::default();
        assert_eq!(
            format!(
                "{:?}",
                StreamEvent::read(data, &mut read).ok().map(|()| read)
            ),
            format!("{:?}", serde_json::from_str::<StreamEvent<'_>>(data).ok()),
        );
        taken
    }

    #[test]
    fn fast_path_reads_hot_events_like_serde() {
        let taken = [
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \"there\"\n"}}"#,
            r#"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            r#"{ "index" : 1 , "type" : "content_block_stop" }"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"message_stop"}"#,
            r#"{"type":"content_block_delta","index":null,"delta":null}"#,
        ];
        for data in taken {
            assert!(takes(data), "{data}");
        }
        let left_to_serde = [
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
            r#"{"type":"ping","type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"text":"a","text":"b"}}"#,
            r#"{"type":"content_block_delta","index":1.0,"delta":{}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
            r#"{"type":"x"} trailing"#,
            r#"["content_block_stop", null]"#,
        ];
        for data in left_to_serde {
            assert!(!takes(data), "{data}");
        }
    }

    proptest! {
        #[test]
        fn fast_path_never_disagrees_with_serde(
            text in r#"\{("(type|index|delta|text|x)":( ?("[a-z\\"]{0,4}"|[0-9]{1,2}|null|\{("(type|text)":"[a-z]{0,3}",?){0,2}\}),?)){0,4}\}"#
        ) {
            takes(&text);
        }
    }
}
