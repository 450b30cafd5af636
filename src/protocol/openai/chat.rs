//! OpenAI Chat Completions shapes the gateway reads: a client's request, an upstream's
//! `chat.completion` body and its `chat.completion.chunk` stream frames. Plain serde data that
//! borrows from the input where it can; unknown fields are ignored. No translation, no I/O.
//! Spec: <https://platform.openai.com/docs/api-reference/chat>

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::protocol::json::scan::{self, Scanner};
use crate::protocol::json::{opt_cow, CowStr};

/// `POST /v1/chat/completions` as a client sends it (only the fields the gateway maps).
#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    /// The model asked for.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub model: Option<Cow<'a, str>>,
    /// The conversation.
    #[serde(borrow, default)]
    pub messages: Option<Vec<Message<'a>>>,
    /// Tool definitions.
    #[serde(borrow, default)]
    pub tools: Option<Vec<Tool<'a>>>,
    /// `"none" | "auto" | "required" | {"type":"function","function":{"name"}}`, kept raw.
    #[serde(borrow, default)]
    pub tool_choice: Option<&'a RawValue>,
    /// Whether several tool calls may come in one turn.
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    /// Legacy (pre-`tools`) function definitions.
    #[serde(borrow, default)]
    pub functions: Option<Vec<Function<'a>>>,
    /// Legacy (pre-`tool_choice`) `"none" | "auto" | {"name"}`, kept raw.
    #[serde(borrow, default)]
    pub function_call: Option<&'a RawValue>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Output limit (deprecated name, still what most compatible servers read).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Output limit, reasoning included (the current name; wins over `max_tokens`).
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// One stop sequence or several.
    #[serde(borrow, default)]
    pub stop: Option<TextOr<'a, String>>,
    /// Sampling seed.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(default)]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(default)]
    pub frequency_penalty: Option<f64>,
    /// Structured output.
    #[serde(borrow, default)]
    pub response_format: Option<ResponseFormat<'a>>,
    /// `none | minimal | low | medium | high | xhigh`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub reasoning_effort: Option<Cow<'a, str>>,
    /// Number of choices.
    #[serde(default)]
    pub n: Option<u32>,
    /// End-user id (deprecated by OpenAI in favour of the two below).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub user: Option<Cow<'a, str>>,
    /// Cache-affinity key.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub prompt_cache_key: Option<Cow<'a, str>>,
    /// End-user id for abuse detection.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub safety_identifier: Option<Cow<'a, str>>,
    /// Whether to stream.
    #[serde(default)]
    pub stream: Option<bool>,
}

/// One message of the conversation, any role.
#[derive(Debug, Default, Deserialize)]
pub struct Message<'a> {
    /// `system | developer | user | assistant | tool | function`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub role: Option<Cow<'a, str>>,
    /// A string or content parts; `null` for an assistant turn with only tool calls.
    #[serde(borrow, default)]
    pub content: Option<TextOr<'a, Part<'a>>>,
    /// Participant name (`tool`/`function` messages: the function's name).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub name: Option<Cow<'a, str>>,
    /// The calls an assistant turn made.
    #[serde(borrow, default)]
    pub tool_calls: Option<Vec<ToolCall<'a>>>,
    /// The call a `tool` message answers.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub tool_call_id: Option<Cow<'a, str>>,
    /// Reasoning text (DeepSeek, vLLM, OpenRouter-style servers).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// Reasoning text under the newer name some servers use (OpenRouter, vLLM ≥ 0.10).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub reasoning: Option<Cow<'a, str>>,
    /// An assistant refusal.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub refusal: Option<Cow<'a, str>>,
    /// Legacy single function call of an assistant turn.
    #[serde(borrow, default)]
    pub function_call: Option<FunctionCall<'a>>,
    /// Images an assistant returned (OpenRouter-style `message.images`).
    #[serde(borrow, default)]
    pub images: Option<Vec<Part<'a>>>,
}

/// One content part. A struct rather than a tagged enum so that parsing does not buffer.
#[derive(Debug, Default, Deserialize)]
pub struct Part<'a> {
    /// `text | image_url | input_audio | file | refusal`.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The text of a `text` part.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub text: Option<Cow<'a, str>>,
    /// The image of an `image_url` part.
    #[serde(borrow, default)]
    pub image_url: Option<ImageUrl<'a>>,
    /// The text of a `refusal` part.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub refusal: Option<Cow<'a, str>>,
}

/// `{"url": "...", "detail": "..."}`, or a bare URL string as some clients send.
#[derive(Debug, Default)]
pub struct ImageUrl<'a> {
    /// A `data:<mime>;base64,<data>` URL or an http(s) URL.
    pub url: Cow<'a, str>,
    /// The resolution hint (`auto`, `low`, `high`), when given.
    pub detail: Option<Cow<'a, str>>,
}

/// A tool call made by an assistant turn.
#[derive(Debug, Default, Deserialize)]
pub struct ToolCall<'a> {
    /// Call id.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub id: Option<Cow<'a, str>>,
    /// `function` (or absent); anything else is a tool kind the gateway cannot map.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The function called.
    #[serde(borrow, default)]
    pub function: Option<FunctionCall<'a>>,
}

/// `{"name", "arguments"}`: `arguments` is a JSON text inside a JSON string.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionCall<'a> {
    /// Function name.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub name: Option<Cow<'a, str>>,
    /// Arguments as JSON text, exactly as the model wrote them.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub arguments: Option<Cow<'a, str>>,
}

/// A tool definition.
#[derive(Debug, Default, Deserialize)]
pub struct Tool<'a> {
    /// `function`; other kinds (`custom`, hosted tools) are rejected by the translator.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The function.
    #[serde(borrow, default)]
    pub function: Option<Function<'a>>,
}

/// A function definition (also the legacy `functions[]` entry).
#[derive(Debug, Default, Deserialize)]
pub struct Function<'a> {
    /// Name.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub name: Option<Cow<'a, str>>,
    /// Description.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub description: Option<Cow<'a, str>>,
    /// JSON Schema, raw.
    #[serde(borrow, default)]
    pub parameters: Option<&'a RawValue>,
}

/// `{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}`.
#[derive(Debug, Default, Deserialize)]
pub struct ResponseFormat<'a> {
    /// The kind.
    #[serde(rename = "type", borrow, default, deserialize_with = "opt_cow")]
    pub kind: Option<Cow<'a, str>>,
    /// The schema of a `json_schema` format.
    #[serde(borrow, default)]
    pub json_schema: Option<JsonSchema<'a>>,
}

/// The `json_schema` object of a response format.
#[derive(Debug, Default, Deserialize)]
pub struct JsonSchema<'a> {
    /// Schema name.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub name: Option<Cow<'a, str>>,
    /// The schema, raw.
    #[serde(borrow, default)]
    pub schema: Option<&'a RawValue>,
    /// Strict schema adherence.
    #[serde(default)]
    pub strict: Option<bool>,
}

/// A `chat.completion` body from an upstream.
#[derive(Debug, Default, Deserialize)]
pub struct Completion<'a> {
    /// Completion id.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub id: Option<Cow<'a, str>>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub model: Option<Cow<'a, str>>,
    /// The choices (the gateway reads the one with index 0).
    #[serde(borrow, default)]
    pub choices: Option<Vec<Choice<'a>>>,
    /// Token usage.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// An error some servers put in a 200 body.
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

/// One choice of a non-stream completion.
#[derive(Debug, Default, Deserialize)]
pub struct Choice<'a> {
    /// Choice index.
    #[serde(default)]
    pub index: Option<u32>,
    /// The assistant's message.
    #[serde(borrow, default)]
    pub message: Option<Message<'a>>,
    /// `stop | length | tool_calls | content_filter | function_call`.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub finish_reason: Option<Cow<'a, str>>,
}

/// `usage`, with the detail objects and DeepSeek's cache counter.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    /// Output tokens, reasoning included.
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    /// Their sum.
    #[serde(default)]
    pub total_tokens: Option<u64>,
    /// Cached prompt tokens.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    /// Reasoning tokens.
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
    /// DeepSeek's name for cached prompt tokens.
    #[serde(default)]
    pub prompt_cache_hit_tokens: Option<u64>,
}

/// `usage.prompt_tokens_details`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct PromptDetails {
    /// Prompt tokens read from the cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct CompletionDetails {
    /// Output tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

/// One `chat.completion.chunk` stream frame.
#[derive(Debug, Default, Deserialize)]
pub struct Chunk<'a> {
    /// Completion id (the same on every chunk).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub id: Option<Cow<'a, str>>,
    /// The model that answers.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub model: Option<Cow<'a, str>>,
    /// The choices' deltas; empty on the usage-only chunk.
    #[serde(borrow, default)]
    pub choices: Option<Vec<ChunkChoice<'a>>>,
    /// Usage, on the last chunk when `stream_options.include_usage` was set.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// An error reported mid-stream.
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

impl<'a> Chunk<'a> {
    /// Reads one `data:` payload into `into` (a fresh [`Chunk::default`], filled in place).
    /// Ordinary chunks (text, reasoning, refusal and tool-call deltas, finish reasons,
    /// `usage: null`, any unknown fields) are read by a strict scanner without serde; anything
    /// else (a usage object, an error, whatever the scanner is unsure of) goes through
    /// serde_json, so the result (or the error) is always serde's.
    ///
    /// # Errors
    /// serde_json's, when `data` is not a chunk object (`into` is then unspecified).
    pub fn read(data: &'a str, into: &mut Self) -> Result<(), serde_json::Error> {
        scan::read_or_serde(data, into, fast_chunk)
    }
}

/// [`Chunk::read`]'s fast path.
fn fast_chunk<'a>(data: &'a str, chunk: &mut Chunk<'a>) -> Option<()> {
    let mut s = Scanner::new(data);
    let mut seen = 0;
    s.object(|s, key| {
        match key {
            "id" => {
                scan::once(&mut seen, 0)?;
                chunk.id = s.opt_string()?;
            }
            "model" => {
                scan::once(&mut seen, 1)?;
                chunk.model = s.opt_string()?;
            }
            "choices" => {
                scan::once(&mut seen, 2)?;
                if !s.null()? {
                    let choices = chunk.choices.insert(Vec::with_capacity(1));
                    s.array(|s| {
                        choices.push(ChunkChoice::default());
                        fast_choice(s, choices.last_mut()?)
                    })?;
                }
            }
            // A usage object or an error is rare: serde reads those.
            "usage" | "error" => {
                scan::once(&mut seen, if key == "usage" { 3 } else { 4 })?;
                if !s.null()? {
                    return None;
                }
            }
            _ => s.skip()?,
        }
        Some(())
    })?;
    s.end()
}

fn fast_choice<'a>(s: &mut Scanner<'a>, choice: &mut ChunkChoice<'a>) -> Option<()> {
    let mut seen = 0;
    s.object(|s, key| {
        match key {
            "index" => {
                scan::once(&mut seen, 0)?;
                choice.index = s.opt_u32()?;
            }
            "delta" => {
                scan::once(&mut seen, 1)?;
                if !s.null()? {
                    fast_delta(s, choice.delta.insert(Delta::default()))?;
                }
            }
            "finish_reason" => {
                scan::once(&mut seen, 2)?;
                choice.finish_reason = s.opt_string()?;
            }
            _ => s.skip()?,
        }
        Some(())
    })
}

fn fast_delta<'a>(s: &mut Scanner<'a>, delta: &mut Delta<'a>) -> Option<()> {
    let mut seen = 0;
    s.object(|s, key| {
        let (bit, slot) = match key {
            "content" => (0, &mut delta.content),
            "reasoning_content" => (1, &mut delta.reasoning_content),
            "reasoning" => (2, &mut delta.reasoning),
            "refusal" => (3, &mut delta.refusal),
            "tool_calls" => {
                scan::once(&mut seen, 4)?;
                if !s.null()? {
                    let mut calls = Vec::with_capacity(1);
                    s.array(|s| {
                        calls.push(fast_tool_call(s)?);
                        Some(())
                    })?;
                    delta.tool_calls = Some(calls);
                }
                return Some(());
            }
            _ => return s.skip(),
        };
        scan::once(&mut seen, bit)?;
        *slot = s.opt_string()?;
        Some(())
    })
}

fn fast_tool_call<'a>(s: &mut Scanner<'a>) -> Option<ToolCallChunk<'a>> {
    let mut call = ToolCallChunk::default();
    let mut seen = 0;
    s.object(|s, key| {
        match key {
            "index" => {
                scan::once(&mut seen, 0)?;
                call.index = s.opt_u32()?;
            }
            "id" => {
                scan::once(&mut seen, 1)?;
                call.id = s.opt_string()?;
            }
            "function" => {
                scan::once(&mut seen, 2)?;
                if !s.null()? {
                    call.function = Some(fast_function(s)?);
                }
            }
            _ => s.skip()?,
        }
        Some(())
    })?;
    Some(call)
}

fn fast_function<'a>(s: &mut Scanner<'a>) -> Option<FunctionCall<'a>> {
    let mut function = FunctionCall::default();
    let mut seen = 0;
    s.object(|s, key| {
        let (bit, slot) = match key {
            "name" => (0, &mut function.name),
            "arguments" => (1, &mut function.arguments),
            _ => return s.skip(),
        };
        scan::once(&mut seen, bit)?;
        *slot = s.opt_string()?;
        Some(())
    })?;
    Some(function)
}

/// One choice of a stream chunk.
#[derive(Debug, Default, Deserialize)]
pub struct ChunkChoice<'a> {
    /// Choice index.
    #[serde(default)]
    pub index: Option<u32>,
    /// What is new.
    #[serde(borrow, default)]
    pub delta: Option<Delta<'a>>,
    /// Set on the choice's last chunk.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub finish_reason: Option<Cow<'a, str>>,
}

/// The new content of one chunk.
#[derive(Debug, Default, Deserialize)]
pub struct Delta<'a> {
    /// More text.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub content: Option<Cow<'a, str>>,
    /// More reasoning text.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// More reasoning text, under the newer name.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub reasoning: Option<Cow<'a, str>>,
    /// More refusal text.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub refusal: Option<Cow<'a, str>>,
    /// Tool-call fragments.
    #[serde(borrow, default)]
    pub tool_calls: Option<Vec<ToolCallChunk<'a>>>,
}

/// A fragment of a streamed tool call: the first carries id and name, later ones argument text.
#[derive(Debug, Default, Deserialize)]
pub struct ToolCallChunk<'a> {
    /// Which call of the turn this belongs to.
    #[serde(default)]
    pub index: Option<u32>,
    /// Call id (first fragment).
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub id: Option<Cow<'a, str>>,
    /// Name (first fragment) and argument text.
    #[serde(borrow, default)]
    pub function: Option<FunctionCall<'a>>,
}

/// `{"message": ...}` of an error object; the rest is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorDetail<'a> {
    /// What went wrong.
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    pub message: Option<Cow<'a, str>>,
}

/// A JSON string or an array of `T`: message `content` (text or parts), `stop` (one
/// sequence or several). Parsed with a visitor, without buffering.
#[derive(Debug)]
pub enum TextOr<'a, T> {
    /// The string form.
    Text(Cow<'a, str>),
    /// The array form.
    List(Vec<T>),
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for TextOr<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = TextOr<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TextOr::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOr::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOr::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(TextOr::List(items))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ImageUrl<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ImageUrl<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image_url object or a URL string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ImageUrl {
                    url: Cow::Borrowed(v),
                    detail: None,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ImageUrl {
                    url: Cow::Owned(v.to_owned()),
                    detail: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut url = None;
                let mut detail = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "url" => url = Some(map.next_value::<CowStr<'de>>()?.0),
                        "detail" => {
                            detail = map.next_value::<Option<CowStr<'de>>>()?.map(|d| d.0);
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let url = url.ok_or_else(|| de::Error::missing_field("url"))?;
                Ok(ImageUrl { url, detail })
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_borrow_and_escaped_ones_allocate() {
        let body = br#"{"role":"user","content":"hi","name":"a\"b"}"#;
        let m: Message<'_> = serde_json::from_slice(body).unwrap();
        assert!(matches!(m.content, Some(TextOr::Text(Cow::Borrowed("hi")))));
        assert!(matches!(m.name, Some(Cow::Owned(ref s)) if s == "a\"b"));
        assert!(matches!(m.role, Some(Cow::Borrowed("user"))));
    }

    #[test]
    fn content_parts_and_image_url_forms() {
        let body = br#"{"content":[{"type":"text","text":"a"},
            {"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}},
            {"type":"image_url","image_url":"https://x/z.png"}]}"#;
        let m: Message<'_> = serde_json::from_slice(body).unwrap();
        let Some(TextOr::List(parts)) = m.content else {
            panic!("parts expected")
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].image_url.as_ref().unwrap().url, "https://x/y.png");
        assert_eq!(parts[2].image_url.as_ref().unwrap().url, "https://x/z.png");
    }

    #[test]
    fn nulls_read_as_absent() {
        let body = br#"{"model":null,"messages":null,"stop":null,"tools":null,"user":null}"#;
        let r: Request<'_> = serde_json::from_slice(body).unwrap();
        assert!(r.model.is_none() && r.messages.is_none() && r.stop.is_none());
        assert!(r.tools.is_none() && r.user.is_none());
    }

    fn chunk_taken(data: &str) -> bool {
        scan::fast_path_agrees::<Chunk<'_>>(data, fast_chunk)
    }

    #[test]
    fn chunk_fast_path_reads_like_serde() {
        let taken = [
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi\n"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"r","reasoning":null,"refusal":null},"finish_reason":"stop"}],"extra":{"a":[1,-2,true]}}"#,
            r#"{"choices":[],"choices2":null}"#,
        ];
        for data in taken {
            assert!(chunk_taken(data), "{data}");
        }
        let left_to_serde = [
            r#"{"choices":[],"usage":{"prompt_tokens":1}}"#,
            r#"{"error":{"message":"x"}}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"created":1.5}"#,
            r#"{"choices":[{"index":-1}]}"#,
        ];
        for data in left_to_serde {
            assert!(!chunk_taken(data), "{data}");
        }
    }

    proptest::proptest! {
        #[test]
        fn chunk_fast_path_never_disagrees_with_serde(
            text in r#"\{("(id|choices|x|usage)":( ?("[a-z\\"]{0,4}"|[0-9]{1,2}|null|\[(\{("(index|delta|finish_reason)":(0|null|"s"|\{("(content|tool_calls)":("[a-z]{0,3}"|\[\]|null),?){0,2}\}),?){0,3}\},?){0,2}\]),?)){0,4}\}"#
        ) {
            chunk_taken(&text);
        }
    }

    #[test]
    fn stop_is_a_string_or_a_list() {
        let r: Request<'_> = serde_json::from_slice(br#"{"stop":"x"}"#).unwrap();
        assert!(matches!(r.stop, Some(TextOr::Text(_))));
        let r: Request<'_> = serde_json::from_slice(br#"{"stop":["x","y"]}"#).unwrap();
        assert!(matches!(r.stop, Some(TextOr::List(ref v)) if v.len() == 2));
        assert!(serde_json::from_slice::<Request<'_>>(br#"{"stop":3}"#).is_err());
    }
}
