//! The passthrough lanes for same-format traffic: the body is forwarded byte-for-byte except
//! for targeted patches. OpenAI chat client → OpenAI-compatible upstream: `model` is rewritten
//! to the upstream name on the way up and back to the client's alias on the way down, and
//! streams are asked to report usage. Other same-family pairs (Claude, Gemini, Responses →
//! Codex streams): only the model name is swapped, where the body or the stream's events
//! carry one ([`RawStream`] for streams). Pure: bytes in, bytes out.

mod raw;

pub use raw::RawStream;

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use memchr::memmem;
use serde::Deserialize;

use crate::error::{Error, Kind};
use crate::protocol::json::scan::{self, Scanner};
use crate::protocol::json::{self, Edit, JsonError};
use crate::protocol::{sse, Format};
use crate::usage::Tokens;

const MODEL: usize = 0;
const STREAM: usize = 1;
const STREAM_OPTIONS: usize = 2;

/// What the passthrough lane reads from a chat request: nothing but these fields is parsed.
#[derive(Debug)]
pub struct ChatRequest<'a> {
    body: &'a [u8],
    fields: json::Fields<'a, 3>,
    /// The model the client asked for.
    pub model: Cow<'a, str>,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// Whether the client itself asked for `stream_options.include_usage`.
    pub wants_usage: bool,
}

/// Reads `model`, `stream` and `stream_options` from a chat request, validating the JSON.
pub fn inspect_chat(body: &[u8]) -> Result<ChatRequest<'_>, Error> {
    let fields = json::top_level(body, &["model", "stream", "stream_options"]).map_err(invalid)?;
    let model = match fields.raw(MODEL) {
        None | Some("null") => return Err(invalid_msg("the request needs a `model` field")),
        Some(_) => fields
            .str(MODEL)
            .ok_or_else(|| invalid_msg("`model` must be a string"))?,
    };
    if model.is_empty() {
        return Err(invalid_msg("`model` must not be empty"));
    }
    let stream = match fields.raw(STREAM) {
        None | Some("null") => false,
        Some(_) => fields
            .bool(STREAM)
            .ok_or_else(|| invalid_msg("`stream` must be a boolean"))?,
    };
    let wants_usage = wants_usage(fields.raw(STREAM_OPTIONS));
    Ok(ChatRequest {
        body,
        fields,
        model,
        stream,
        wants_usage,
    })
}

/// Whether a request's raw `stream_options` asks for `include_usage: true`.
pub fn wants_usage(stream_options: Option<&str>) -> bool {
    stream_options
        .and_then(|raw| json::top_level(raw.as_bytes(), &["include_usage"]).ok())
        .and_then(|f| f.bool(0))
        .unwrap_or(false)
}

impl ChatRequest<'_> {
    /// The upstream body: `model` replaced by `upstream_model` (when it differs) and, for
    /// streams, `stream_options.include_usage` forced on so usage can be counted.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        let model_lit;
        let options;
        let mut edits: Vec<Edit<'_>> = Vec::with_capacity(2);
        if self.model != upstream_model {
            if let Some(span) = self.fields.span(MODEL) {
                model_lit = json::string_literal(upstream_model);
                edits.push(Edit::Replace(span, &model_lit));
            }
        }
        if self.stream && !self.wants_usage {
            const INCLUDE: &[u8] = br#"{"include_usage":true}"#;
            match (
                self.fields.span(STREAM_OPTIONS),
                self.fields.raw(STREAM_OPTIONS),
            ) {
                (Some(span), Some(raw)) if raw.trim_start().starts_with('{') => {
                    options = force_include_usage(raw.as_bytes());
                    edits.push(Edit::Replace(span, &options));
                }
                (Some(span), _) => edits.push(Edit::Replace(span, INCLUDE)),
                (None, _) => edits.push(Edit::Insert("stream_options", INCLUDE)),
            }
        }
        if edits.is_empty() {
            return Bytes::copy_from_slice(self.body);
        }
        Bytes::from(json::splice(self.body, &mut edits))
    }
}

/// A same-family request body for an upstream speaking `upstream`: the client's body with
/// `model` set to `upstream_model`. Gemini bodies go untouched (the model is in the URL).
pub fn request_body(upstream: Format, body: &Bytes, upstream_model: &str) -> Result<Bytes, Error> {
    match upstream {
        Format::Gemini => Ok(body.clone()),
        _ => replace_model(body, upstream_model),
    }
}

/// A same-family non-stream answer: the upstream's body with the client's model name (`alias`)
/// back in place of the upstream one, where the answer names it (`model`; Gemini's
/// `modelVersion`). Answers that name no model (token counts) and bodies that are not JSON
/// objects are left as they are.
pub fn response_body(upstream: Format, body: Bytes, alias: &str, upstream_model: &str) -> Bytes {
    if alias == upstream_model {
        return body;
    }
    let key = match upstream {
        Format::Gemini => "modelVersion",
        _ => "model",
    };
    replace_existing(&body, key, alias).unwrap_or(body)
}

/// The body with its top-level string `key` set to `value`; `None` when it has no such string.
fn replace_existing(body: &[u8], key: &str, value: &str) -> Option<Bytes> {
    let fields = json::top_level(body, &[key]).ok()?;
    let span = fields.span(0).filter(|_| fields.str(0).is_some())?;
    let lit = json::string_literal(value);
    Some(Bytes::from(json::splice(
        body,
        &mut [Edit::Replace(span, &lit)],
    )))
}

/// The body with its top-level `model` replaced by `model` (everything else byte-exact).
pub fn replace_model(body: &[u8], model: &str) -> Result<Bytes, Error> {
    let fields = json::top_level(body, &["model"]).map_err(invalid)?;
    let lit = json::string_literal(model);
    Ok(match fields.span(0) {
        Some(span) => Bytes::from(json::splice(body, &mut [Edit::Replace(span, &lit)])),
        None => Bytes::from(json::splice(body, &mut [Edit::Insert("model", &lit)])),
    })
}

/// `stream_options` object with `include_usage` set to true, everything else kept.
fn force_include_usage(options: &[u8]) -> Vec<u8> {
    match json::top_level(options, &["include_usage"]) {
        Ok(f) => match f.span(0) {
            Some(span) => json::splice(options, &mut [Edit::Replace(span, b"true")]),
            None => json::splice(options, &mut [Edit::Insert("include_usage", b"true")]),
        },
        Err(_) => br#"{"include_usage":true}"#.to_vec(),
    }
}

fn invalid(e: JsonError) -> Error {
    Error::new(Kind::InvalidRequest, e.to_string())
}

fn invalid_msg(m: &str) -> Error {
    Error::new(Kind::InvalidRequest, m)
}

#[derive(Deserialize, Default, Debug)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize, Default, Debug)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize, Default, Debug)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

/// The strict scanner's reading of a `usage` object (see [`scan`]); `None` hands it to serde.
fn fast_usage(raw: &str, u: &mut WireUsage) -> Option<()> {
    // A counter read once (bit `bit` of `seen`); `null` gives up, as serde would refuse it.
    let counter = |seen: &mut u32, bit, s: &mut Scanner<'_>, slot: &mut u64| {
        scan::once(seen, bit)?;
        *slot = s.opt_u64()??;
        Some(())
    };
    let mut seen = 0;
    let mut s = Scanner::new(raw);
    s.object(|s, key| match key {
        "prompt_tokens" => counter(&mut seen, 0, s, &mut u.prompt_tokens),
        "completion_tokens" => counter(&mut seen, 1, s, &mut u.completion_tokens),
        "total_tokens" => counter(&mut seen, 2, s, &mut u.total_tokens),
        "prompt_tokens_details" => {
            scan::once(&mut seen, 3)?;
            u.prompt_tokens_details =
                detail(s, "cached_tokens")?.map(|n| PromptDetails { cached_tokens: n });
            Some(())
        }
        "completion_tokens_details" => {
            scan::once(&mut seen, 4)?;
            u.completion_tokens_details =
                detail(s, "reasoning_tokens")?.map(|n| CompletionDetails {
                    reasoning_tokens: n,
                });
            Some(())
        }
        _ => s.skip(),
    })?;
    s.end()
}

/// A `*_tokens_details` object (`None` for `null`) and its one counter that matters.
fn detail(s: &mut Scanner<'_>, name: &str) -> Option<Option<Option<u64>>> {
    if s.null()? {
        return Some(None);
    }
    let (mut value, mut seen) = (None, 0);
    s.object(|s, key| {
        if key == name {
            scan::once(&mut seen, 0)?;
            value = s.opt_u64()?;
            Some(())
        } else {
            s.skip()
        }
    })?;
    Some(Some(value))
}

/// Reads an OpenAI `usage` object; `None` when it is absent, `null` or malformed.
fn read_usage(raw: Option<&str>) -> Option<Tokens> {
    let raw = raw.filter(|r| *r != "null")?;
    let mut u = WireUsage::default();
    scan::read_or_serde(raw, &mut u, fast_usage).ok()?;
    let total = if u.total_tokens > 0 {
        u.total_tokens
    } else {
        u.prompt_tokens + u.completion_tokens
    };
    Some(Tokens {
        input: u.prompt_tokens,
        output: u.completion_tokens,
        cached: u
            .prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0),
        reasoning: u
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0),
        total,
    })
}

/// The client-facing model name to write into responses, prepared once per request.
/// `None` when the alias equals the upstream name: then nothing is rewritten at all.
#[derive(Clone, Debug)]
pub struct ModelRewrite {
    literal: Option<Vec<u8>>,
}

impl ModelRewrite {
    /// Rewrites `model` to `alias` unless it is already the upstream name.
    pub fn new(alias: &str, upstream_model: &str) -> Self {
        ModelRewrite {
            literal: (alias != upstream_model).then(|| json::string_literal(alias)),
        }
    }
}

/// Patches a non-streaming chat completion: `model` back to the alias. Returns the new body
/// (or the original when there is nothing to patch or it is not a JSON object) and the usage.
pub fn patch_chat_response(body: Bytes, rewrite: &ModelRewrite) -> (Bytes, Option<Tokens>) {
    let Ok(fields) = json::top_level(&body, &["model", "usage"]) else {
        return (body, None);
    };
    let usage = read_usage(fields.raw(1));
    let patched = match (&rewrite.literal, fields.span(0)) {
        (Some(lit), Some(span)) => Some(json::splice(&body, &mut [Edit::Replace(span, lit)])),
        _ => None,
    };
    (patched.map(Bytes::from).unwrap_or(body), usage)
}

/// Streaming passthrough of `chat.completion.chunk` SSE: splits upstream bytes into frames and
/// forwards each as soon as it is complete. Frames are untouched except `model` (rewritten
/// to the alias) and the usage-only chunk, which is dropped when the gateway (not the client)
/// asked for it — some clients index `choices[0]` of every chunk.
pub struct ChatStream {
    framer: sse::Framer,
    rewrite: ModelRewrite,
    drop_usage_only: bool,
    usage: Option<Tokens>,
    /// `"model":<literal>` exactly as the upstream writes it, learned from the first frame
    /// that had it. Later frames are patched by a byte search instead of a JSON parse; the
    /// search cannot match inside a string value, where quotes are escaped.
    known_model: Option<memmem::Finder<'static>>,
}

const MODEL_KEY: &[u8] = b"\"model\":";

impl ChatStream {
    /// `client_wants_usage`: whether the client itself asked for `include_usage`.
    pub fn new(rewrite: ModelRewrite, client_wants_usage: bool) -> Self {
        ChatStream {
            framer: sse::Framer::new(),
            rewrite,
            drop_usage_only: !client_wants_usage,
            usage: None,
            known_model: None,
        }
    }

    /// Usage reported by the stream so far (the last report wins).
    pub fn usage(&self) -> Option<Tokens> {
        self.usage
    }

    /// Feeds upstream bytes; complete frames to forward are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Bytes>) -> Result<(), sse::SseError> {
        self.framer.push(chunk);
        while let Some(frame) = self.framer.next_frame()? {
            if let Some(frame) = self.patch_frame(frame) {
                out.push(frame);
            }
        }
        Ok(())
    }

    /// At upstream end of stream: forwards a trailing frame that lacked its blank line.
    pub fn finish(&mut self, out: &mut Vec<Bytes>) {
        if let Some(rest) = self.framer.finish() {
            if let Some(frame) = self.patch_frame(rest) {
                out.push(frame);
            }
        }
    }

    /// The common case costs two or three SIMD substring searches: a frame without `usage`
    /// is either forwarded as is or has its known `model` literal swapped. Anything else takes
    /// the parsing path.
    fn patch_frame(&mut self, frame: Bytes) -> Option<Bytes> {
        if memmem::find(&frame, b"\"usage\"").is_none() {
            let Some(lit) = &self.rewrite.literal else {
                return Some(frame);
            };
            if let Some(found) = &self.known_model {
                if let Some(pos) = found.find(&frame) {
                    if depth_at(&frame, pos) == Some(1) {
                        let value = (pos + MODEL_KEY.len())..(pos + found.needle().len());
                        return Some(replace_range(&frame, value, lit));
                    }
                }
            }
            if memmem::find(&frame, b"\"model\"").is_none() {
                return Some(frame);
            }
        }
        self.patch_frame_parsed(frame)
    }

    fn patch_frame_parsed(&mut self, frame: Bytes) -> Option<Bytes> {
        let ev = sse::parse(&frame);
        let data = ev.data.as_ref();
        if !data.trim_start().starts_with('{') {
            return Some(frame);
        }
        let Ok(fields) = json::top_level(data.as_bytes(), &["model", "usage", "choices"]) else {
            return Some(frame);
        };
        if let Some(u) = read_usage(fields.raw(1)) {
            self.usage = Some(u);
            if self.drop_usage_only && fields.raw(2).is_some_and(|c| c.trim() == "[]") {
                return None;
            }
        }
        let (Some(lit), Some(span)) = (&self.rewrite.literal, fields.span(0)) else {
            return Some(frame);
        };
        // Fast path: single-line data borrowed from the frame — splice in place.
        if let Cow::Borrowed(d) = &ev.data {
            let offset = (d.as_ptr() as usize).checked_sub(frame.as_ptr() as usize);
            if let Some(off) = offset.filter(|o| o + d.len() <= frame.len()) {
                let range = (span.start + off)..(span.end + off);
                let key_start = range.start.checked_sub(MODEL_KEY.len());
                if let Some(k) = key_start.filter(|k| frame.get(*k..range.start) == Some(MODEL_KEY))
                {
                    if let Some(needle) = frame.get(k..range.end) {
                        self.known_model = Some(memmem::Finder::new(needle).into_owned());
                    }
                }
                return Some(replace_range(&frame, range, lit));
            }
        }
        let patched = json::splice(data.as_bytes(), &mut [Edit::Replace(span, lit)]);
        let text = String::from_utf8_lossy(&patched);
        let mut out = BytesMut::with_capacity(frame.len() + lit.len());
        sse::encode(ev.event, &text, &mut out);
        Some(out.freeze())
    }
}

/// `frame` with the bytes in `range` replaced by `with`.
fn replace_range(frame: &[u8], range: std::ops::Range<usize>, with: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(frame.len() + with.len());
    out.extend_from_slice(frame.get(..range.start).unwrap_or_default());
    out.extend_from_slice(with);
    out.extend_from_slice(frame.get(range.end..).unwrap_or_default());
    out.freeze()
}

/// JSON nesting depth at byte `pos` of an SSE frame, counted from the frame's first `{`
/// (strings and escapes skipped). `None` when `pos` is inside a string or before the object.
fn depth_at(frame: &[u8], pos: usize) -> Option<usize> {
    let start = memchr::memchr(b'{', frame)?;
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for &b in frame.get(start..pos)? {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    (!in_str).then_some(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn usage_fast_path_reads_like_serde() {
        let taken = [
            r#"{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}"#,
            r#"{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":3,"accepted_prediction_tokens":0}}"#,
            r#"{"prompt_tokens_details":null,"completion_tokens_details":{}}"#,
            r#"{"prompt_tokens_details":{"cached_tokens":null}}"#,
            "{}",
        ];
        for raw in taken {
            assert!(
                scan::fast_path_agrees::<WireUsage>(raw, fast_usage),
                "{raw}"
            );
        }
        for raw in [
            r#"{"prompt_tokens":null}"#,
            r#"{"prompt_tokens":1,"prompt_tokens":2}"#,
            r#"{"prompt_tokens":1.5}"#,
            r#"{"cost":0.25}"#,
        ] {
            assert!(
                !scan::fast_path_agrees::<WireUsage>(raw, fast_usage),
                "{raw}"
            );
        }
        let t = read_usage(Some(taken[1])).unwrap();
        assert_eq!(
            (t.input, t.output, t.cached, t.reasoning, t.total),
            (9, 12, 4, 3, 21)
        );
        // What the scanner hands back, serde still reads (a fractional extra) or refuses.
        assert_eq!(
            read_usage(Some(r#"{"prompt_tokens":2,"cost":0.25}"#))
                .unwrap()
                .input,
            2
        );
        assert!(read_usage(Some(r#"{"prompt_tokens":null}"#)).is_none());
    }

    #[test]
    fn request_model_rewritten_and_usage_forced() {
        let body =
            br#"{"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
        let req = inspect_chat(body).unwrap();
        assert_eq!(req.model, "alias");
        assert!(req.stream && !req.wants_usage);
        let up = req.upstream_body("vendor/model-1");
        let v: serde_json::Value = serde_json::from_slice(&up).unwrap();
        assert_eq!(v["model"], "vendor/model-1");
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["messages"][0]["content"], "hi");
    }

    #[test]
    fn request_stream_options_merged_not_replaced() {
        let body = br#"{"model":"m","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":false}}"#;
        let up = inspect_chat(body).unwrap().upstream_body("m");
        let v: serde_json::Value = serde_json::from_slice(&up).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["stream_options"]["include_obfuscation"], false);
        let body = br#"{"model":"m","stream":true,"stream_options":{"include_obfuscation":false}}"#;
        let up = inspect_chat(body).unwrap().upstream_body("m");
        let v: serde_json::Value = serde_json::from_slice(&up).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["stream_options"]["include_obfuscation"], false);
    }

    #[test]
    fn request_untouched_when_nothing_to_patch() {
        let body = br#"{"model":"m", "stream":false, "x":[1,2,3]}"#;
        assert_eq!(
            &inspect_chat(body).unwrap().upstream_body("m")[..],
            &body[..]
        );
        let body = br#"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#;
        let req = inspect_chat(body).unwrap();
        assert!(req.wants_usage);
        assert_eq!(&req.upstream_body("m")[..], &body[..]);
    }

    #[test]
    fn request_errors_name_the_problem() {
        let msg = |b: &[u8]| inspect_chat(b).unwrap_err().message;
        assert!(msg(b"{\"model\":").contains("malformed JSON"));
        assert_eq!(msg(b"{}"), "the request needs a `model` field");
        assert_eq!(msg(br#"{"model":5}"#), "`model` must be a string");
        assert_eq!(msg(br#"{"model":""}"#), "`model` must not be empty");
        assert_eq!(
            msg(br#"{"model":"m","stream":"yes"}"#),
            "`stream` must be a boolean"
        );
        assert_eq!(msg(b"[]"), "the request body must be a JSON object");
    }

    #[test]
    fn response_model_patched_and_usage_read() {
        let body = Bytes::from_static(
            br#"{"id":"c1","model":"vendor/m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4}}}"#,
        );
        let (out, usage) = patch_chat_response(body, &ModelRewrite::new("alias", "vendor/m"));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["model"], "alias");
        let u = usage.unwrap();
        assert_eq!((u.input, u.output, u.total, u.cached), (9, 3, 12, 4));
    }

    #[test]
    fn answers_get_the_alias_only_where_they_name_a_model() {
        let patched = |fmt, body: &'static str| {
            let out = response_body(fmt, Bytes::from_static(body.as_bytes()), "alias", "up");
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        let v = patched(Format::Claude, r#"{"id":"m","model":"up","content":[]}"#);
        assert_eq!(v["model"], "alias");
        let v = patched(Format::Gemini, r#"{"candidates":[],"modelVersion":"up"}"#);
        assert_eq!(v["modelVersion"], "alias");
        // Token counts name no model, and get none.
        assert_eq!(
            patched(Format::Claude, r#"{"input_tokens":12}"#),
            serde_json::json!({"input_tokens": 12})
        );
        assert_eq!(
            patched(Format::Gemini, r#"{"totalTokens":12}"#),
            serde_json::json!({"totalTokens": 12})
        );
    }

    #[test]
    fn fast_path_only_rewrites_the_top_level_model() {
        let frames = concat!(
            "data: {\"id\":\"1\",\"model\":\"up-2024\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
            "data: {\"id\":\"2\",\"model\":\"up-2024\",\"choices\":[{\"delta\":{\"content\":\"say \\\"model\\\":\\\"up-2024\\\"\"}}]}\n\n",
            "data: {\"id\":\"3\",\"x\":{\"model\":\"up-2024\"},\"model\":\"up-2024\",\"choices\":[]}\n\n",
            "data: {\"id\":\"4\",\"model\":\"other\",\"choices\":[]}\n\n",
        );
        let mut st = ChatStream::new(ModelRewrite::new("alias", "up"), false);
        let mut out = Vec::new();
        st.push(frames.as_bytes(), &mut out).unwrap();
        assert!(st.known_model.is_some(), "the literal was learned");
        let parsed: Vec<serde_json::Value> = out
            .iter()
            .map(|f| serde_json::from_str(s(f).trim_start_matches("data: ").trim()).unwrap())
            .collect();
        assert_eq!(parsed.len(), 4);
        assert!(parsed.iter().all(|v| v["model"] == "alias"), "{parsed:?}");
        assert_eq!(
            parsed[1]["choices"][0]["delta"]["content"],
            "say \"model\":\"up-2024\""
        );
        assert_eq!(
            parsed[2]["x"]["model"], "up-2024",
            "nested keys are left alone"
        );
    }

    #[test]
    fn stream_output_does_not_depend_on_chunking() {
        let input = include_str!("../../tests/fixtures/openai/chat_stream.sse");
        let run = |chunks: &mut dyn Iterator<Item = &[u8]>| {
            let mut st = ChatStream::new(ModelRewrite::new("alias", "openai/gpt-4o"), false);
            let mut out = Vec::new();
            for c in chunks {
                st.push(c, &mut out).unwrap();
            }
            st.finish(&mut out);
            (out.concat(), st.usage())
        };
        let whole = run(&mut std::iter::once(input.as_bytes()));
        assert!(s(&whole.0).contains(r#""model":"alias""#));
        assert_eq!(whole.1.unwrap().cached, 3);
        for cut in 0..=input.len() {
            let (a, b) = input.as_bytes().split_at(cut);
            assert_eq!(run(&mut [a, b].into_iter()), whole, "split at {cut}");
        }
        assert_eq!(run(&mut input.as_bytes().chunks(1)), whole, "byte by byte");
    }

    #[test]
    fn depth_is_counted_outside_strings() {
        let f = br#"data: {"a":"{[\"","b":{"c":1},"model":"x"}"#;
        let pos = memmem::find(f, b"\"model\"").unwrap();
        assert_eq!(depth_at(f, pos), Some(1));
        let pos = memmem::find(f, b"\"c\"").unwrap();
        assert_eq!(depth_at(f, pos), Some(2));
        let pos = memmem::find(f, b"\\\"").unwrap() + 1;
        assert_eq!(depth_at(f, pos), None, "inside a string");
    }

    #[test]
    fn stream_frames_patched_and_usage_only_chunk_dropped() {
        let input = concat!(
            "data: {\"id\":\"1\",\"model\":\"up\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n",
            ": keep-alive\n\n",
            "data: {\"id\":\"1\",\"model\":\"up\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n",
            "data: [DONE]\n\n"
        );
        let mut st = ChatStream::new(ModelRewrite::new("alias", "up"), false);
        let mut out = Vec::new();
        st.push(input.as_bytes(), &mut out).unwrap();
        st.finish(&mut out);
        let text: Vec<&str> = out.iter().map(|b| s(b)).collect();
        assert_eq!(
            text,
            [
                "data: {\"id\":\"1\",\"model\":\"alias\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n",
                ": keep-alive\n\n",
                "data: [DONE]\n\n"
            ]
        );
        assert_eq!(st.usage().unwrap().total, 6);

        let mut st = ChatStream::new(ModelRewrite::new("up", "up"), true);
        let mut out = Vec::new();
        st.push(input.as_bytes(), &mut out).unwrap();
        let joined: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(
            s(&joined),
            input,
            "same name and client-requested usage: untouched"
        );
    }
}
