//! Legacy OpenAI Completions (`POST /v1/completions`) shapes: the request a client sends and
//! the `text_completion` body and stream chunks the gateway writes back. The gateway serves
//! this API through chat, so only the fields that map are read. No translation, no I/O.
//! Spec: <https://platform.openai.com/docs/api-reference/completions>

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::chat::TextOr;
use super::chat_out::Usage;

/// `POST /v1/completions` as a client sends it.
#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    /// The model asked for.
    #[serde(default)]
    pub model: Option<String>,
    /// A string, an array of strings, or token arrays; kept raw and read by the translator.
    #[serde(borrow, default)]
    pub prompt: Option<&'a RawValue>,
    /// Text after the insertion point (not supported through chat).
    #[serde(default)]
    pub suffix: Option<String>,
    /// Output limit.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Number of completions.
    #[serde(default)]
    pub n: Option<u32>,
    /// Whether to stream.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Echo the prompt back (not supported through chat).
    #[serde(default)]
    pub echo: Option<bool>,
    /// Server-side best-of sampling (not supported through chat).
    #[serde(default)]
    pub best_of: Option<u32>,
    /// One stop sequence or several.
    #[serde(borrow, default)]
    pub stop: Option<TextOr<'a, String>>,
    /// Seed.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(default)]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(default)]
    pub frequency_penalty: Option<f64>,
    /// End-user id.
    #[serde(default)]
    pub user: Option<String>,
}

/// A `text_completion` body or stream chunk.
#[derive(Debug, Serialize)]
pub struct Completion<'a> {
    /// Completion id.
    pub id: &'a str,
    /// Always `text_completion`.
    pub object: &'static str,
    /// Unix seconds.
    pub created: u64,
    /// The client's model name.
    pub model: &'a str,
    /// The one choice.
    pub choices: [Choice<'a>; 1],
    /// Token usage (the same object as chat's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// The choice of a legacy completion.
#[derive(Debug, Serialize)]
pub struct Choice<'a> {
    /// The generated text.
    pub text: Cow<'a, str>,
    /// Always 0.
    pub index: u32,
    /// Always `null`.
    pub logprobs: Option<()>,
    /// Why it stopped; `null` on non-final stream chunks.
    pub finish_reason: Option<&'static str>,
}
