//! Same-family passthrough streams (Claude → Claude, Gemini → Gemini with `alt=sse`,
//! Responses → Codex): the upstream's bytes go to the client as they come, except the model
//! name, which is put back to the client's alias where the family's events name it, so that a
//! stream shows the same model as the non-stream answer ([`super::response_body`]) and the IR
//! lane. Pure: bytes in, bytes out.

use std::borrow::Cow;
use std::ops::Range;

use bytes::{Bytes, BytesMut};
use memchr::memmem;

use super::replace_range;
use crate::protocol::json::{self, Edit};
use crate::protocol::{sse, Format};

/// Where a family's stream events name the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// `message_start.message.model`, in the first event only.
    Claude,
    /// `modelVersion`, on every chunk.
    Gemini,
    /// `response.model`, in the lifecycle events (`response.created`, `.in_progress`,
    /// `.completed`, `.incomplete`, `.failed`).
    Responses,
}

/// A same-family stream with the model name patched to the alias. When the alias is the
/// upstream's own name, reads are forwarded as they are, without framing; otherwise they are
/// split into SSE frames, and each frame is forwarded untouched unless it names the model.
/// Framing goes on after Claude's `message_start` (frames then pass without a look), so that
/// what the client gets never depends on how the upstream's bytes were split.
#[derive(Debug)]
pub struct RawStream {
    /// `None`: forward reads untouched.
    family: Option<Family>,
    framer: sse::Framer,
    /// The alias as a JSON string literal.
    literal: Vec<u8>,
    /// Nothing more can name the model (Claude, after its first event).
    settled: bool,
}

impl RawStream {
    /// A stream from an upstream speaking `upstream` whose model `upstream_model` the client
    /// knows as `alias`.
    pub fn new(upstream: Format, alias: &str, upstream_model: &str) -> Self {
        let family = match upstream {
            _ if alias == upstream_model => None,
            Format::Claude => Some(Family::Claude),
            Format::Gemini => Some(Family::Gemini),
            Format::OpenAiResponses => Some(Family::Responses),
            // Chat streams take `ChatStream`, which also handles usage.
            Format::OpenAiChat => None,
        };
        RawStream {
            family,
            framer: sse::Framer::new(),
            literal: json::string_literal(alias),
            settled: false,
        }
    }

    /// Feeds one upstream read and returns the bytes to send now: the read itself when
    /// nothing is patched, else every frame it completed (empty while a frame is incomplete).
    ///
    /// # Errors
    /// The upstream broke SSE framing (a frame beyond [`sse::DEFAULT_MAX_FRAME`]).
    pub fn push(&mut self, chunk: Bytes) -> Result<Bytes, sse::SseError> {
        let Some(family) = self.family else {
            return Ok(chunk);
        };
        self.framer.push(&chunk);
        let mut out = BytesMut::with_capacity(chunk.len() + self.literal.len());
        while let Some(frame) = self.framer.next_frame()? {
            if self.settled {
                out.extend_from_slice(&frame);
                continue;
            }
            let ev = sse::parse(&frame);
            if ev.is_comment_only {
                out.extend_from_slice(&frame);
                continue;
            }
            // Claude's `message_start` comes first; nothing after it names the model.
            self.settled = family == Family::Claude;
            match patch(&frame, &ev, family, &self.literal) {
                Some(patched) => out.extend_from_slice(&patched),
                None => out.extend_from_slice(&frame),
            }
        }
        Ok(out.freeze())
    }

    /// The upstream ended: the rest of an unterminated last frame, if any.
    pub fn finish(&mut self) -> Bytes {
        let Some(family) = self.family else {
            return Bytes::new();
        };
        let Some(rest) = self.framer.finish() else {
            return Bytes::new();
        };
        if self.settled {
            return rest;
        }
        let ev = sse::parse(&rest);
        patch(&rest, &ev, family, &self.literal).unwrap_or(rest)
    }
}

/// `frame` with the model its family's event names set to `literal`; `None` when the event
/// names none (or not as a string).
fn patch(frame: &Bytes, ev: &sse::Event<'_>, family: Family, literal: &[u8]) -> Option<Bytes> {
    memmem::find(frame, b"\"model")?;
    let data = ev.data.as_bytes();
    let span = match family {
        Family::Claude => nested_span(data, &["message", "model"]),
        Family::Gemini => nested_span(data, &["modelVersion"]),
        Family::Responses => nested_span(data, &["response", "model"]),
    }?;
    if !data.get(span.start..).is_some_and(|v| v.starts_with(b"\"")) {
        return None;
    }
    if let Cow::Borrowed(d) = &ev.data {
        // One data line, borrowed from the frame: splice in place.
        let offset = (d.as_ptr() as usize).checked_sub(frame.as_ptr() as usize)?;
        if offset + d.len() <= frame.len() {
            return Some(replace_range(
                frame,
                (span.start + offset)..(span.end + offset),
                literal,
            ));
        }
    }
    let patched = json::splice(data, &mut [Edit::Replace(span, literal)]);
    let mut out = BytesMut::with_capacity(frame.len() + literal.len());
    sse::encode(ev.event, &String::from_utf8_lossy(&patched), &mut out);
    Some(out.freeze())
}

/// The byte range of the value at `path` (keys of nested objects) inside the JSON object
/// `input`.
fn nested_span(input: &[u8], path: &[&str]) -> Option<Range<usize>> {
    let (key, rest) = path.split_first()?;
    let fields = json::top_level(input, &[*key]).ok()?;
    let span = fields.span(0)?;
    if rest.is_empty() {
        return Some(span);
    }
    let inner = nested_span(input.get(span.clone())?, rest)?;
    Some((span.start + inner.start)..(span.start + inner.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stream: &mut RawStream, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in chunks {
            let sent = stream.push(Bytes::copy_from_slice(chunk)).unwrap();
            out.extend_from_slice(&sent);
        }
        out.extend_from_slice(&stream.finish());
        out
    }

    fn every_split(upstream: Format, input: &str, alias: &str, upstream_model: &str) -> String {
        let whole = run(
            &mut RawStream::new(upstream, alias, upstream_model),
            &[input.as_bytes()],
        );
        for cut in 0..=input.len() {
            let (a, b) = input.as_bytes().split_at(cut);
            let split = run(
                &mut RawStream::new(upstream, alias, upstream_model),
                &[a, b],
            );
            assert_eq!(split, whole, "split at {cut}");
        }
        let bytes: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
        let one_by_one = run(&mut RawStream::new(upstream, alias, upstream_model), &bytes);
        assert_eq!(one_by_one, whole, "byte by byte");
        String::from_utf8(whole).unwrap()
    }

    const CLAUDE: &str = concat!(
        ": ping\n\n",
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-up\",\"content\":[]}}\n\n",
        "\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\\"model\\\":\\\"claude-up\\\"\"}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n",
    );

    #[test]
    fn claude_message_start_names_the_alias_and_the_rest_is_untouched() {
        let out = every_split(Format::Claude, CLAUDE, "my-model", "claude-up");
        assert_eq!(out, CLAUDE.replacen("claude-up", "my-model", 1));
    }

    #[test]
    fn gemini_chunks_name_the_alias() {
        let input = concat!(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"modelVersion\":\"gemini-up\"}\r\n\r\n",
            ": keep-alive\n\n",
            "data: {\"candidates\":[],\"modelVersion\":\"gemini-up\",\"responseId\":\"r\"}",
        );
        let out = every_split(Format::Gemini, input, "my-model", "gemini-up");
        assert_eq!(out, input.replace("gemini-up", "my-model"));
    }

    #[test]
    fn responses_lifecycle_events_name_the_alias() {
        let input = concat!(
            "event: response.created\n",
            "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"codex-up\",\"output\":[]}}\n\n",
            "event: response.output_text.delta\n",
            "data: {\"type\":\"response.output_text.delta\",\"delta\":\"the \\\"model\\\"\"}\n\n",
            "event: response.completed\n",
            "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"model\":\"codex-up\",\"output\":[]}}\n\n",
        );
        let out = every_split(Format::OpenAiResponses, input, "my-model", "codex-up");
        assert_eq!(out, input.replace("codex-up", "my-model"));
    }

    #[test]
    fn multi_line_data_is_re_encoded() {
        let input = "event: message_start\ndata: {\"type\":\"message_start\",\ndata: \"message\":{\"model\":\"up\"}}\n\n";
        let out = every_split(Format::Claude, input, "alias", "up");
        let ev = sse::parse(out.as_bytes());
        assert_eq!(ev.event, Some("message_start"));
        let v: serde_json::Value = serde_json::from_str(&ev.data).unwrap();
        assert_eq!(v["message"]["model"], "alias");
    }

    #[test]
    fn same_name_streams_are_forwarded_as_read() {
        let mut s = RawStream::new(Format::Claude, "claude-up", "claude-up");
        let chunk = Bytes::from_static(b"event: message_start\ndata: {\"message\":{\"mo");
        let sent = s.push(chunk.clone()).unwrap();
        assert_eq!(sent.as_ptr(), chunk.as_ptr(), "no copy");
        assert!(s.finish().is_empty());
    }
}
