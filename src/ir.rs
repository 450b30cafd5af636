//! The canonical intermediate representation every wire format is decoded into and encoded
//! out of: a superset of OpenAI Chat, OpenAI Responses, Anthropic Messages and Gemini.
//! Plain data: no I/O, no JSON parsing, no knowledge of any provider or wire format beyond
//! the `Family` tags that say where an opaque value came from.

use std::fmt;

/// Where a provider-specific value (a thinking signature, an encrypted reasoning item) came
/// from. It is replayed only to the same family; elsewhere it is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// OpenAI Chat Completions and OpenAI-compatible upstreams.
    OpenAi,
    /// OpenAI Responses / Codex.
    Responses,
    /// Anthropic Messages.
    Claude,
    /// Google Gemini (AI Studio, Vertex, Gemini CLI, Antigravity share signatures).
    Gemini,
}

/// Who speaks a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The end user (and tool results, in formats that put them in user turns).
    User,
    /// The model.
    Assistant,
    /// A system message inside the conversation (Claude Code's mid-conversation system
    /// messages, OpenAI `system`/`developer` messages after the first user turn).
    System,
}

/// A whole request, after decoding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// The model the client asked for (alias resolution happens in routing).
    pub model: String,
    /// System instructions, in order (OpenAI leading `system`/`developer` messages, Claude
    /// `system`, Gemini `systemInstruction`, Responses `instructions`).
    pub system: Vec<Block>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Tool definitions.
    pub tools: Vec<Tool>,
    /// How the model may use the tools.
    pub tool_choice: Option<ToolChoice>,
    /// Whether several tool calls may come in one turn (`None` = the target's default).
    pub parallel_tool_calls: Option<bool>,
    /// Sampling and length settings.
    pub sampling: Sampling,
    /// Structured output.
    pub response_format: Option<ResponseFormat>,
    /// Reasoning / thinking settings.
    pub reasoning: Option<Reasoning>,
    /// Whether the client wants a stream.
    pub stream: bool,
    /// Number of choices asked for (`None` = 1). Only OpenAI Chat has more than one.
    pub n: Option<u32>,
    /// A stable end-user or session id, when the client sent one (OpenAI `user`, Claude
    /// `metadata.user_id`, Responses `prompt_cache_key`); used for affinity and cache keys.
    pub user: Option<String>,
}

/// One turn.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What was said, in order.
    pub content: Vec<Block>,
}

/// A content block. Formats with flat strings decode into one `Text` block.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Plain text.
    Text(String),
    /// An image ([`Block::image`] builds one without a `detail` hint).
    Image {
        /// Where the image is.
        image: Image,
        /// OpenAI's resolution hint (`image_url.detail` in Chat, `input_image.detail` in
        /// Responses: `low`, `high`), verbatim; `None` when the client gave none or `auto`,
        /// the default. Only those two formats carry it: other targets drop it.
        detail: Option<String>,
    },
    /// A tool call made by the model. `arguments` is the raw JSON text, byte for byte as the
    /// source had it (Gemini's `args` object is serialised once, here).
    ToolCall {
        /// The call id (synthesised deterministically where the source has none).
        id: String,
        /// The tool's name.
        name: String,
        /// Raw JSON text of the arguments object.
        arguments: String,
    },
    /// A tool's result, sent back by the client. Never turned into a tool call.
    ToolResult {
        /// The id of the call this answers.
        call_id: String,
        /// The tool's name, when the source says it (Gemini needs it; it can be recovered
        /// from the matching call otherwise).
        name: Option<String>,
        /// The result: text and images.
        content: Vec<Block>,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// Visible reasoning.
    Thinking {
        /// The reasoning text (or summary).
        text: String,
        /// The provider's signature over it, when there is one.
        signature: Option<Signature>,
    },
    /// Reasoning the provider returned encrypted (Claude `redacted_thinking`).
    RedactedThinking {
        /// The opaque payload.
        data: String,
        /// Who issued it.
        origin: Family,
    },
    /// A provider item with no IR equivalent (e.g. a Responses `reasoning` item with
    /// `encrypted_content`), kept as raw JSON for replay to the same family.
    Opaque {
        /// Who issued it.
        origin: Family,
        /// Raw JSON text.
        raw: String,
    },
}

impl Block {
    /// An image block without a `detail` hint.
    pub fn image(image: Image) -> Block {
        Block::Image {
            image,
            detail: None,
        }
    }
}

/// A provider's signature over a thinking block (Claude `signature`, Gemini
/// `thoughtSignature`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Who issued it: only this family can verify it.
    pub origin: Family,
    /// The opaque value.
    pub value: String,
}

/// An image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Image {
    /// Inline bytes, base64-encoded.
    Base64 {
        /// MIME type, e.g. `image/png`.
        media_type: String,
        /// Base64 data (no `data:` prefix).
        data: String,
    },
    /// A URL the provider fetches (http(s)).
    Url(String),
    /// A file uploaded to the provider (Gemini `fileData`).
    File {
        /// The file URI.
        uri: String,
        /// MIME type, when known.
        media_type: Option<String>,
    },
}

/// A tool the model may call.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// JSON Schema of the arguments, as raw JSON text.
    pub parameters: String,
}

/// How the model may use tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call (OpenAI `required`, Claude `any`, Gemini `ANY`).
    Required,
    /// This tool.
    Named(String),
}

/// Sampling and length settings; `None` = not set (the target's default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sampling {
    /// Temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k (Claude, Gemini).
    pub top_k: Option<u32>,
    /// Maximum output tokens (`max_tokens`, `max_completion_tokens`, `max_output_tokens`,
    /// `maxOutputTokens`).
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Seed.
    pub seed: Option<i64>,
    /// OpenAI presence penalty.
    pub presence_penalty: Option<f64>,
    /// OpenAI frequency penalty.
    pub frequency_penalty: Option<f64>,
}

/// Structured output.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseFormat {
    /// Plain text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// Schema name (OpenAI requires one).
        name: String,
        /// The schema, raw JSON text.
        schema: String,
        /// OpenAI `strict`.
        strict: Option<bool>,
    },
}

/// Reasoning settings, normalised: a level, a budget, or both (the target converts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reasoning {
    /// Effort level (OpenAI `reasoning_effort`, Responses `reasoning.effort`, Claude
    /// `output_config.effort`, Gemini `thinkingLevel`).
    pub effort: Option<Effort>,
    /// Token budget (Claude `budget_tokens`, Gemini `thinkingBudget`); -1 = dynamic.
    pub budget: Option<i64>,
    /// Whether reasoning text/summaries should be returned (Gemini `includeThoughts`,
    /// Responses `reasoning.summary`).
    pub include_thoughts: Option<bool>,
}

/// Reasoning effort levels, with the gateway's level↔budget table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effort {
    /// No reasoning.
    None,
    /// The model decides (budget -1).
    Auto,
    /// 512 tokens.
    Minimal,
    /// 1024 tokens.
    Low,
    /// 8192 tokens.
    Medium,
    /// 24576 tokens.
    High,
    /// 32768 tokens.
    XHigh,
    /// 128000 tokens.
    Max,
}

impl Effort {
    /// The budget this level stands for.
    pub fn budget(self) -> i64 {
        match self {
            Effort::None => 0,
            Effort::Auto => -1,
            Effort::Minimal => 512,
            Effort::Low => 1024,
            Effort::Medium => 8192,
            Effort::High => 24576,
            Effort::XHigh => 32768,
            Effort::Max => 128_000,
        }
    }

    /// The level a budget maps to: ≤512 minimal, ≤1024 low, ≤8192 medium, ≤24576 high,
    /// else xhigh; 0 is none and negative is auto.
    pub fn from_budget(budget: i64) -> Effort {
        match budget {
            b if b < 0 => Effort::Auto,
            0 => Effort::None,
            1..=512 => Effort::Minimal,
            513..=1024 => Effort::Low,
            1025..=8192 => Effort::Medium,
            8193..=24576 => Effort::High,
            _ => Effort::XHigh,
        }
    }

    /// Parses a level name as the APIs and model-name suffixes spell it.
    pub fn parse(s: &str) -> Option<Effort> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "disabled" => Effort::None,
            "auto" | "dynamic" | "-1" => Effort::Auto,
            "minimal" => Effort::Minimal,
            "low" => Effort::Low,
            "medium" => Effort::Medium,
            "high" => Effort::High,
            "xhigh" => Effort::XHigh,
            "max" => Effort::Max,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Auto => "auto",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::XHigh => "xhigh",
            Effort::Max => "max",
        }
    }
}

impl fmt::Display for Effort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the model stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Natural end of turn (OpenAI `stop`, Claude `end_turn`, Gemini `STOP`).
    EndTurn,
    /// Output token limit (`length`, `max_tokens`, `MAX_TOKENS`).
    MaxTokens,
    /// A stop sequence matched (Claude says which).
    StopSequence(Option<String>),
    /// The model called tools (`tool_calls`, `tool_use`; Gemini function calls).
    ToolUse,
    /// Blocked by a safety or content filter.
    ContentFilter,
    /// The model refused (Claude `refusal`).
    Refusal,
    /// Anything else, kept verbatim.
    Other(String),
}

/// Token usage, as reported by the upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens, including cached ones (OpenAI convention; Claude's uncached
    /// `input_tokens` plus its cache reads and writes).
    pub input: u64,
    /// Output tokens, including reasoning ones.
    pub output: u64,
    /// Prompt tokens read from the cache.
    pub cache_read: u64,
    /// Prompt tokens written to the cache (Claude).
    pub cache_write: u64,
    /// Output tokens spent reasoning.
    pub reasoning: u64,
}

impl Usage {
    /// Input plus output.
    pub fn total(&self) -> u64 {
        self.input + self.output
    }
}

/// A complete (non-streamed) response.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Response id (upstream's, or synthesised deterministically).
    pub id: String,
    /// Model name as the client should see it.
    pub model: String,
    /// Unix seconds.
    pub created: u64,
    /// The assistant's output blocks, in order.
    pub content: Vec<Block>,
    /// Why it stopped.
    pub stop: StopReason,
    /// Token usage.
    pub usage: Usage,
}

/// What kind of block a stream opens.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockKind {
    /// Text deltas follow.
    Text,
    /// Reasoning deltas follow.
    Thinking,
    /// A tool call; argument deltas follow.
    ToolCall {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
    },
    /// A redacted thinking block (complete at start; no deltas).
    RedactedThinking {
        /// Opaque payload.
        data: String,
    },
}

/// An incremental piece of an open block.
#[derive(Clone, Debug, PartialEq)]
pub enum Delta {
    /// More text.
    Text(String),
    /// More reasoning text.
    Thinking(String),
    /// The thinking block's signature (arrives whole, usually just before the block stops).
    Signature(Signature),
    /// More raw JSON text of a tool call's arguments.
    ToolArguments(String),
}

/// A stream event: the block lifecycle every stream decoder produces and every encoder
/// consumes. Formats with flat deltas synthesise block boundaries; formats that send whole
/// parts emit start, delta and stop at once.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The response began.
    Start {
        /// Response id.
        id: String,
        /// Model name.
        model: String,
    },
    /// A block opened at `index` (indexes count from 0 in order of opening).
    BlockStart {
        /// Block index.
        index: usize,
        /// What it is.
        kind: BlockKind,
    },
    /// More content for an open block.
    Delta {
        /// Block index.
        index: usize,
        /// The content.
        delta: Delta,
    },
    /// A block closed.
    BlockStop {
        /// Block index.
        index: usize,
    },
    /// Usage so far (the last one wins; encoders emit it once, at the end).
    Usage(Usage),
    /// The response ended.
    Finish {
        /// Why.
        stop: StopReason,
    },
    /// The upstream reported an error mid-stream.
    Error {
        /// Message for the client.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_budget_table_matches_the_spec() {
        let table = [
            (Effort::None, 0),
            (Effort::Auto, -1),
            (Effort::Minimal, 512),
            (Effort::Low, 1024),
            (Effort::Medium, 8192),
            (Effort::High, 24576),
            (Effort::XHigh, 32768),
            (Effort::Max, 128_000),
        ];
        for (level, budget) in table {
            assert_eq!(level.budget(), budget, "{level}");
            assert_eq!(Effort::parse(level.as_str()), Some(level));
        }
    }

    #[test]
    fn budget_thresholds() {
        for (budget, level) in [
            (-5, Effort::Auto),
            (0, Effort::None),
            (1, Effort::Minimal),
            (512, Effort::Minimal),
            (513, Effort::Low),
            (1024, Effort::Low),
            (8192, Effort::Medium),
            (8193, Effort::High),
            (24576, Effort::High),
            (24577, Effort::XHigh),
            (128_000, Effort::XHigh),
        ] {
            assert_eq!(Effort::from_budget(budget), level, "{budget}");
        }
        assert_eq!(Effort::parse("HIGH"), Some(Effort::High));
        assert_eq!(Effort::parse("extreme"), None);
    }

    #[test]
    fn usage_total() {
        let u = Usage {
            input: 10,
            output: 5,
            ..Usage::default()
        };
        assert_eq!(u.total(), 15);
    }
}
