//! The `generateContent` request body: contents and parts, tools, tool config and generation
//! config. One set of types serves both directions: decoding a client's body (borrowed,
//! snake_case aliases accepted) and encoding an upstream body (camelCase, unset fields
//! omitted). No I/O.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{borrow_raw, lenient_i64, lenient_u32, Raw};

/// A `generateContent` / `streamGenerateContent` request body. The model is in the URL.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    /// The conversation.
    #[serde(borrow, default)]
    pub contents: Vec<Content<'a>>,
    /// System instructions (text parts; the role is ignored).
    #[serde(
        borrow,
        default,
        alias = "system_instruction",
        skip_serializing_if = "Option::is_none"
    )]
    pub system_instruction: Option<Content<'a>>,
    /// Tools: function declarations (built-in tools are not modelled).
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool<'a>>,
    /// How the model may call the functions.
    #[serde(
        borrow,
        default,
        alias = "tool_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub tool_config: Option<ToolConfig<'a>>,
    /// Safety settings, kept opaque.
    #[serde(
        borrow,
        default,
        alias = "safety_settings",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub safety_settings: Option<Raw<'a>>,
    /// Sampling, length, structured output and thinking settings.
    #[serde(
        borrow,
        default,
        alias = "generation_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub generation_config: Option<GenerationConfig<'a>>,
}

/// One turn: a role (`user` or `model`) and its parts.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Content<'a> {
    /// `user` or `model`; absent means `user`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Cow<'a, str>>,
    /// The parts, in order.
    #[serde(borrow, default)]
    pub parts: Vec<Part<'a>>,
}

/// One part of a turn. Exactly one payload field is normally set; `thought` and
/// `thoughtSignature` qualify it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Part<'a> {
    /// Text (visible, or reasoning when `thought` is true).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    /// The text is the model's reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Opaque signature over the model's reasoning, attached to the part it was issued on.
    #[serde(
        borrow,
        default,
        alias = "thought_signature",
        skip_serializing_if = "Option::is_none"
    )]
    pub thought_signature: Option<Cow<'a, str>>,
    /// Inline bytes.
    #[serde(
        borrow,
        default,
        alias = "inline_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub inline_data: Option<Blob<'a>>,
    /// A file by URI (Gemini Files API or `gs://`).
    #[serde(
        borrow,
        default,
        alias = "file_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub file_data: Option<FileData<'a>>,
    /// A function call made by the model.
    #[serde(
        borrow,
        default,
        alias = "function_call",
        skip_serializing_if = "Option::is_none"
    )]
    pub function_call: Option<FunctionCall<'a>>,
    /// A function's result, sent back by the client.
    #[serde(
        borrow,
        default,
        alias = "function_response",
        skip_serializing_if = "Option::is_none"
    )]
    pub function_response: Option<FunctionResponse<'a>>,
    /// Code the model wrote for the code-execution tool, kept opaque.
    #[serde(
        borrow,
        default,
        alias = "executable_code",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub executable_code: Option<Raw<'a>>,
    /// The code-execution tool's output, kept opaque.
    #[serde(
        borrow,
        default,
        alias = "code_execution_result",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub code_execution_result: Option<Raw<'a>>,
}

/// Inline bytes.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob<'a> {
    /// MIME type.
    #[serde(borrow, default, alias = "mime_type")]
    pub mime_type: Cow<'a, str>,
    /// Base64 data.
    #[serde(borrow, default)]
    pub data: Cow<'a, str>,
}

/// A file reference.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData<'a> {
    /// MIME type, when known.
    #[serde(
        borrow,
        default,
        alias = "mime_type",
        skip_serializing_if = "Option::is_none"
    )]
    pub mime_type: Option<Cow<'a, str>>,
    /// The file URI.
    #[serde(borrow, default, alias = "file_uri")]
    pub file_uri: Cow<'a, str>,
}

/// A function call. `args` is a JSON object, kept as raw text.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCall<'a> {
    /// Call id (Gemini 3 and Gemini CLI set one; older models do not).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// Function name.
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// Arguments object.
    #[serde(
        borrow,
        default,
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub args: Option<Raw<'a>>,
}

/// A function's result. `response` must be a JSON object.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResponse<'a> {
    /// The id of the call this answers, when the call had one.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// Function name (required by Gemini).
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// The result object.
    #[serde(
        borrow,
        default,
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub response: Option<Raw<'a>>,
}

/// A tool entry: function declarations. Built-in tools (`googleSearch`, `codeExecution`, …)
/// are ignored on decode.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool<'a> {
    /// The functions.
    #[serde(borrow, default, alias = "function_declarations")]
    pub function_declarations: Vec<FunctionDeclaration<'a>>,
}

/// One function the model may call.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDeclaration<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    /// Arguments schema in Google's OpenAPI subset (upper-case type names allowed).
    #[serde(
        borrow,
        default,
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub parameters: Option<Raw<'a>>,
    /// Arguments schema as JSON Schema (what Gemini CLI sends).
    #[serde(
        borrow,
        default,
        alias = "parameters_json_schema",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub parameters_json_schema: Option<Raw<'a>>,
}

/// Tool configuration.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig<'a> {
    /// Function-calling mode.
    #[serde(
        borrow,
        default,
        alias = "function_calling_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub function_calling_config: Option<FunctionCallingConfig<'a>>,
}

/// `mode` is `AUTO`, `ANY`, `NONE` or `VALIDATED`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig<'a> {
    /// The mode.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Cow<'a, str>>,
    /// With `ANY`: the functions the model may call.
    #[serde(
        borrow,
        default,
        alias = "allowed_function_names",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allowed_function_names: Vec<Cow<'a, str>>,
}

/// Generation settings.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig<'a> {
    /// Stop sequences.
    #[serde(
        borrow,
        default,
        alias = "stop_sequences",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub stop_sequences: Vec<Cow<'a, str>>,
    /// Output MIME type (`application/json` = JSON mode).
    #[serde(
        borrow,
        default,
        alias = "response_mime_type",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_mime_type: Option<Cow<'a, str>>,
    /// Output schema in Google's OpenAPI subset.
    #[serde(
        borrow,
        default,
        alias = "response_schema",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_schema: Option<Raw<'a>>,
    /// Output schema as JSON Schema.
    #[serde(
        borrow,
        default,
        alias = "response_json_schema",
        deserialize_with = "borrow_raw",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_json_schema: Option<Raw<'a>>,
    /// Number of candidates.
    #[serde(
        default,
        alias = "candidate_count",
        deserialize_with = "lenient_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub candidate_count: Option<u32>,
    /// Output token limit.
    #[serde(
        default,
        alias = "max_output_tokens",
        deserialize_with = "lenient_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_output_tokens: Option<u32>,
    /// Temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, alias = "top_p", skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k.
    #[serde(
        default,
        alias = "top_k",
        deserialize_with = "lenient_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub top_k: Option<u32>,
    /// Seed.
    #[serde(
        default,
        deserialize_with = "lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(
        default,
        alias = "presence_penalty",
        skip_serializing_if = "Option::is_none"
    )]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(
        default,
        alias = "frequency_penalty",
        skip_serializing_if = "Option::is_none"
    )]
    pub frequency_penalty: Option<f64>,
    /// Thinking settings.
    #[serde(
        borrow,
        default,
        alias = "thinking_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking_config: Option<ThinkingConfig<'a>>,
}

/// Thinking settings: a budget (Gemini 2.5) or a level (Gemini 3), and whether thought
/// summaries are returned.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig<'a> {
    /// Whether thought parts are returned.
    #[serde(
        default,
        alias = "include_thoughts",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_thoughts: Option<bool>,
    /// Token budget; -1 = dynamic, 0 = off.
    #[serde(
        default,
        alias = "thinking_budget",
        deserialize_with = "lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking_budget: Option<i64>,
    /// `MINIMAL`, `LOW`, `MEDIUM` or `HIGH` (any case).
    #[serde(
        borrow,
        default,
        alias = "thinking_level",
        skip_serializing_if = "Option::is_none"
    )]
    pub thinking_level: Option<Cow<'a, str>>,
}
