//! The `generateContent` response body (also each `streamGenerateContent` chunk) and the
//! `countTokens` bodies. Decoded from upstreams (borrowed) and encoded for Gemini clients.
//! No I/O.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{borrow_raw, Content, Raw};

/// A `GenerateContentResponse`: a whole response, or one stream chunk.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response<'a> {
    /// Candidates; the gateway uses the first.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate<'a>>,
    /// Why the prompt was blocked, when it was.
    #[serde(
        borrow,
        default,
        alias = "prompt_feedback",
        skip_serializing_if = "Option::is_none"
    )]
    pub prompt_feedback: Option<PromptFeedback<'a>>,
    /// Token counts (streams repeat them on many chunks).
    #[serde(
        default,
        alias = "usage_metadata",
        skip_serializing_if = "Option::is_none"
    )]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model that answered.
    #[serde(
        borrow,
        default,
        alias = "model_version",
        skip_serializing_if = "Option::is_none"
    )]
    pub model_version: Option<Cow<'a, str>>,
    /// Response id.
    #[serde(
        borrow,
        default,
        alias = "response_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_id: Option<Cow<'a, str>>,
    /// RFC 3339 creation time (Vertex sends it).
    #[serde(
        borrow,
        default,
        alias = "create_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<Cow<'a, str>>,
    /// An error reported in-band (mid-stream).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody<'a>>,
}

/// One candidate answer.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate<'a> {
    /// The answer's parts (role `model`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content<'a>>,
    /// Why generation stopped (`STOP`, `MAX_TOKENS`, `SAFETY`, …); set on the last chunk.
    #[serde(
        borrow,
        default,
        alias = "finish_reason",
        skip_serializing_if = "Option::is_none"
    )]
    pub finish_reason: Option<Cow<'a, str>>,
    /// Candidate index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}

/// Prompt-level feedback.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback<'a> {
    /// Why the prompt was blocked (`SAFETY`, `BLOCKLIST`, `PROHIBITED_CONTENT`, …).
    #[serde(
        borrow,
        default,
        alias = "block_reason",
        skip_serializing_if = "Option::is_none"
    )]
    pub block_reason: Option<Cow<'a, str>>,
}

/// Token counts. `promptTokenCount` includes cached tokens; thoughts are counted apart from
/// candidates.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Prompt tokens, cached ones included.
    #[serde(
        default,
        alias = "prompt_token_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub prompt_token_count: Option<u64>,
    /// Output tokens, thoughts excluded.
    #[serde(
        default,
        alias = "candidates_token_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub candidates_token_count: Option<u64>,
    /// Total.
    #[serde(
        default,
        alias = "total_token_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_token_count: Option<u64>,
    /// Prompt tokens served from the context cache.
    #[serde(
        default,
        alias = "cached_content_token_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub cached_content_token_count: Option<u64>,
    /// Reasoning tokens.
    #[serde(
        default,
        alias = "thoughts_token_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub thoughts_token_count: Option<u64>,
}

/// A google.rpc error body: `{"code","message","status"}`.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ErrorBody<'a> {
    /// HTTP-like code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Message.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'a, str>>,
    /// google.rpc status name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Cow<'a, str>>,
}

/// A `countTokens` body: either `{contents}` (read as a [`super::Request`]) or
/// `{generateContentRequest:{…}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensRequest<'a> {
    /// The wrapped full request, when the client sent one.
    #[serde(
        borrow,
        default,
        alias = "generate_content_request",
        deserialize_with = "borrow_raw"
    )]
    pub generate_content_request: Option<Raw<'a>>,
}

/// The `countTokens` answer.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensResponse {
    /// Prompt tokens.
    pub total_tokens: u64,
}
