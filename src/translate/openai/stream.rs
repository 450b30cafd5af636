//! Chat Completions streams: upstream `chat.completion.chunk` events decoded into IR stream
//! events (block boundaries synthesised from OpenAI's flat deltas), and IR events encoded as
//! the chunk frames a client reads. No I/O; state is per response.

use bytes::BytesMut;

use super::{bad_upstream, error_message, stop_from_wire, stop_to_wire, usage_from_wire};
use crate::error::Error;
use crate::ir::{self, BlockKind, Delta, Event, StopReason};
use crate::protocol::openai::{chat, chat_out};
use crate::protocol::{json, sse};
use crate::translate::ids;

/// What the open block holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    /// The tool call in `StreamDecoder::calls` at this position.
    Call(usize),
}

/// A tool call seen in the stream, keyed the way its fragments refer to it.
#[derive(Debug)]
struct Call {
    /// The fragments' `index`, when the upstream sends one.
    wire_index: Option<u32>,
    /// The call id.
    id: String,
}

/// Upstream chat chunks → IR events.
///
/// `delta.reasoning_content` (or `reasoning`) opens or continues a `Thinking` block,
/// `delta.content` and `delta.refusal` a `Text` block, and each tool call (keyed by its
/// `index`, else its id) a `ToolCall` block; switching kinds closes the open block, and so
/// does `finish_reason`. `Finish` is held back until `[DONE]` (or [`StreamDecoder::finish`])
/// so that it follows the usage chunk OpenAI sends after the finish chunk. Only choice 0 is
/// read. Argument fragments for a call whose block was already closed (no known server
/// interleaves calls) are dropped. An `{"error":…}` chunk becomes `Error` and ends the stream.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    /// Response id, the seed for ids a server leaves out.
    id: String,
    open: Option<(Open, usize)>,
    next_index: usize,
    calls: Vec<Call>,
    stop: Option<StopReason>,
    refused: bool,
    last_usage: Option<ir::Usage>,
    /// `[DONE]`, an error or `finish` was seen: later input is ignored.
    done: bool,
}

impl StreamDecoder {
    /// A decoder for one response.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one upstream SSE event into `out`. Comments and blank events are skipped.
    ///
    /// # Errors
    /// `UpstreamProtocol` when the event's data is not a chunk (nor `[DONE]`).
    pub fn push(&mut self, ev: &sse::Event<'_>, out: &mut Vec<Event>) -> Result<(), Error> {
        if self.done || ev.is_comment_only {
            return Ok(());
        }
        let data = ev.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.end(out);
            return Ok(());
        }
        let mut chunk = chat::Chunk::default();
        chat::Chunk::read(data, &mut chunk).map_err(|e| {
            bad_upstream(format!(
                "invalid chat completion chunk from the upstream: {e}"
            ))
        })?;
        if chunk.error.is_some() || ev.event == Some("error") {
            let message = chunk.error.map_or_else(
                || "the upstream reported an error".to_owned(),
                error_message,
            );
            self.close(out);
            out.push(Event::Error { message });
            self.done = true;
            return Ok(());
        }
        if !self.started {
            self.started = true;
            self.id = chunk.id.as_deref().unwrap_or_default().to_owned();
            out.push(Event::Start {
                id: self.id.clone(),
                model: chunk.model.as_deref().unwrap_or_default().to_owned(),
            });
        }
        for choice in chunk.choices.iter_mut().flatten() {
            if choice.index.unwrap_or(0) != 0 {
                continue;
            }
            if let Some(delta) = &mut choice.delta {
                self.delta(delta, out);
            }
            if let Some(reason) = &choice.finish_reason {
                self.close(out);
                self.stop = Some(stop_from_wire(reason));
            }
        }
        if let Some(usage) = chunk.usage {
            let usage = usage_from_wire(&usage);
            if self.last_usage != Some(usage) {
                self.last_usage = Some(usage);
                out.push(Event::Usage(usage));
            }
        }
        Ok(())
    }

    /// Ends the stream: closes the open block and emits `Finish` if the upstream sent no
    /// `[DONE]` (a stream that never started or ended in an error gets no `Finish`).
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if !self.done {
            self.end(out);
        }
    }

    fn end(&mut self, out: &mut Vec<Event>) {
        self.close(out);
        self.done = true;
        if !self.started {
            return;
        }
        let stop = match self.stop.take() {
            None | Some(StopReason::EndTurn) if !self.calls.is_empty() => StopReason::ToolUse,
            None | Some(StopReason::EndTurn) if self.refused => StopReason::Refusal,
            None => StopReason::EndTurn,
            Some(stop) => stop,
        };
        out.push(Event::Finish { stop });
    }

    fn delta(&mut self, delta: &mut chat::Delta<'_>, out: &mut Vec<Event>) {
        if let Some(text) = delta
            .reasoning_content
            .as_ref()
            .or(delta.reasoning.as_ref())
        {
            self.text(Open::Thinking, text, out);
        }
        if let Some(text) = &delta.content {
            self.text(Open::Text, text, out);
        }
        if let Some(text) = delta.refusal.as_ref().filter(|r| !r.is_empty()) {
            self.refused = true;
            self.text(Open::Text, text, out);
        }
        for fragment in delta.tool_calls.take().into_iter().flatten() {
            self.tool_fragment(fragment, out);
        }
    }

    fn text(&mut self, kind: Open, text: &str, out: &mut Vec<Event>) {
        if text.is_empty() {
            return;
        }
        let index = match self.open {
            Some((open, index)) if open == kind => index,
            _ => self.open_block(
                kind,
                if kind == Open::Thinking {
                    BlockKind::Thinking
                } else {
                    BlockKind::Text
                },
                out,
            ),
        };
        let delta = if kind == Open::Thinking {
            Delta::Thinking(text.to_owned())
        } else {
            Delta::Text(text.to_owned())
        };
        out.push(Event::Delta { index, delta });
    }

    fn tool_fragment(&mut self, fragment: chat::ToolCallChunk<'_>, out: &mut Vec<Event>) {
        let function = fragment.function.unwrap_or_default();
        let id = fragment.id.filter(|id| !id.is_empty());
        let known = match (fragment.index, id.as_deref()) {
            (Some(wire), _) => self.calls.iter().position(|c| c.wire_index == Some(wire)),
            (None, Some(id)) => self.calls.iter().position(|c| c.id == id),
            // Neither index nor id: more of the open call.
            (None, None) => match self.open {
                Some((Open::Call(call), _)) => Some(call),
                _ => None,
            },
        };
        let index = match known {
            Some(call) => match self.open {
                Some((Open::Call(open), index)) if open == call => index,
                _ => return,
            },
            None => {
                let id = match id {
                    Some(id) => id.into_owned(),
                    None => ids::tool_call_id("call_", &self.id, self.calls.len()),
                };
                self.calls.push(Call {
                    wire_index: fragment.index,
                    id: id.clone(),
                });
                let name = function.name.as_deref().unwrap_or_default().to_owned();
                self.open_block(
                    Open::Call(self.calls.len() - 1),
                    BlockKind::ToolCall { id, name },
                    out,
                )
            }
        };
        if let Some(args) = function.arguments.filter(|a| !a.is_empty()) {
            out.push(Event::Delta {
                index,
                delta: Delta::ToolArguments(args.into_owned()),
            });
        }
    }

    fn open_block(&mut self, open: Open, kind: BlockKind, out: &mut Vec<Event>) -> usize {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((open, index));
        out.push(Event::BlockStart { index, kind });
        index
    }

    fn close(&mut self, out: &mut Vec<Event>) {
        if let Some((_, index)) = self.open.take() {
            out.push(Event::BlockStop { index });
        }
    }
}

/// IR events → client `chat.completion.chunk` frames.
///
/// `Start` sends the first chunk (`role: "assistant"`, empty content), text goes out as
/// `content`, thinking as `reasoning_content`, a tool call as a `tool_calls` delta numbered
/// 0, 1, … among this response's calls (not by IR block index) whose opening fragment carries
/// id, type and name, its argument text at the same number. Signatures, redacted thinking and
/// block boundaries have no OpenAI form and send nothing. `Finish` sends `finish_reason`;
/// usage (the last `Usage` seen) goes in a final chunk with empty `choices` when the client
/// asked for it; [`StreamEncoder::finish`] ends with `data: [DONE]`. An `Error` is sent as
/// `data: {"error":{"message","type":"api_error"}}`.
#[derive(Debug)]
pub struct StreamEncoder {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    /// The frame text up to the delta (`{"id":…,"choices":[{"index":0,"delta":`), built once.
    prefix: Vec<u8>,
    /// IR block index → the call's position among this response's tool calls.
    calls: Vec<(usize, usize)>,
    usage: Option<ir::Usage>,
    role_sent: bool,
    finish_sent: bool,
    errored: bool,
    done: bool,
}

impl StreamEncoder {
    /// An encoder for one response shown to the client as `model`, with completion id `id`
    /// (when empty, the upstream's id from `Start` is used).
    pub fn new(model: &str, id: &str) -> Self {
        StreamEncoder {
            id: id.to_owned(),
            model: model.to_owned(),
            created: 0,
            include_usage: true,
            prefix: Vec::new(),
            calls: Vec::new(),
            usage: None,
            role_sent: false,
            finish_sent: false,
            errored: false,
            done: false,
        }
    }

    /// Whether to send the final usage chunk: only when the client asked for it with
    /// `stream_options.include_usage` (default: true).
    pub fn with_usage(mut self, include: bool) -> Self {
        self.include_usage = include;
        self
    }

    /// The `created` timestamp (Unix seconds) every chunk carries (default 0). The IR stream
    /// has no timestamp, and the gateway keeps clocks out of translation.
    pub fn with_created(mut self, created: u64) -> Self {
        self.created = created;
        self.prefix.clear();
        self
    }

    /// Encodes one IR event into `out` (nothing, for events with no OpenAI form).
    pub fn push(&mut self, ev: &Event, out: &mut BytesMut) {
        if self.done {
            return;
        }
        match ev {
            Event::Start { id, .. } => {
                if self.id.is_empty() && !id.is_empty() {
                    self.id = id.clone();
                    self.prefix.clear();
                }
                if !self.role_sent {
                    self.delta_frame(
                        chat_out::ChunkDelta {
                            content: Some(""),
                            ..chat_out::ChunkDelta::default()
                        },
                        out,
                    );
                }
            }
            Event::BlockStart {
                index,
                kind: BlockKind::ToolCall { id, name },
            } => {
                let number = self.calls.len();
                self.calls.push((*index, number));
                let call = [chat_out::ToolCallChunk {
                    index: number,
                    id: Some(id),
                    kind: Some("function"),
                    function: chat_out::FunctionChunk {
                        name: Some(name),
                        arguments: "",
                    },
                }];
                self.delta_frame(
                    chat_out::ChunkDelta {
                        tool_calls: &call,
                        ..chat_out::ChunkDelta::default()
                    },
                    out,
                );
            }
            Event::Delta { index, delta } => self.delta(*index, delta, out),
            Event::Usage(usage) => self.usage = Some(*usage),
            Event::Finish { stop } => {
                if !self.finish_sent && !self.errored {
                    let reason = stop_to_wire(stop, !self.calls.is_empty());
                    self.finish_frame(reason, out);
                }
            }
            Event::Error { message } => {
                let frame = chat_out::StreamError {
                    error: chat_out::StreamErrorDetail {
                        message,
                        kind: "api_error",
                    },
                };
                json::write_sse(None, &frame, out);
                self.errored = true;
            }
            Event::BlockStart { .. } | Event::BlockStop { .. } => {}
        }
    }

    /// Ends the stream: a `finish_reason` chunk if none was sent (and no error was), the
    /// usage chunk when asked for, then `data: [DONE]`. Later calls do nothing.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.done {
            return;
        }
        if !self.errored {
            if !self.finish_sent && self.role_sent {
                let reason = stop_to_wire(&StopReason::EndTurn, !self.calls.is_empty());
                self.finish_frame(reason, out);
            }
            if let (true, Some(usage)) = (self.include_usage, self.usage) {
                let chunk = chat_out::UsageChunk {
                    id: &self.id,
                    object: "chat.completion.chunk",
                    created: self.created,
                    model: &self.model,
                    choices: [],
                    usage: super::usage_to_wire(&usage),
                };
                json::write_sse(None, &chunk, out);
            }
        }
        sse::encode(None, "[DONE]", out);
        self.done = true;
    }

    fn delta(&mut self, index: usize, delta: &Delta, out: &mut BytesMut) {
        let frame = match delta {
            Delta::Text(text) if !text.is_empty() => chat_out::ChunkDelta {
                content: Some(text),
                ..chat_out::ChunkDelta::default()
            },
            Delta::Thinking(text) if !text.is_empty() => chat_out::ChunkDelta {
                reasoning_content: Some(text),
                ..chat_out::ChunkDelta::default()
            },
            Delta::ToolArguments(args) if !args.is_empty() => {
                let Some(&(_, number)) = self.calls.iter().rev().find(|(i, _)| *i == index) else {
                    return;
                };
                let call = [chat_out::ToolCallChunk {
                    index: number,
                    id: None,
                    kind: None,
                    function: chat_out::FunctionChunk {
                        name: None,
                        arguments: args,
                    },
                }];
                return self.delta_frame(
                    chat_out::ChunkDelta {
                        tool_calls: &call,
                        ..chat_out::ChunkDelta::default()
                    },
                    out,
                );
            }
            _ => return,
        };
        self.delta_frame(frame, out);
    }

    /// `data: {…"choices":[{"index":0,"delta":<delta>,"finish_reason":null}]}`; the first
    /// frame of the response also carries the role. Written straight into `out`.
    fn delta_frame(&mut self, mut delta: chat_out::ChunkDelta<'_>, out: &mut BytesMut) {
        if !self.role_sent {
            delta.role = Some("assistant");
            self.role_sent = true;
        }
        let start = out.len();
        self.begin_frame(out);
        if !write_delta(&delta, out) {
            out.truncate(start);
            return;
        }
        out.extend_from_slice(b",\"finish_reason\":null}]}\n\n");
    }

    fn finish_frame(&mut self, reason: &'static str, out: &mut BytesMut) {
        self.role_sent = true;
        self.finish_sent = true;
        self.begin_frame(out);
        out.extend_from_slice(br#"{},"finish_reason":""#);
        out.extend_from_slice(reason.as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
    }

    /// Starts a `data:` frame in `out` with the shared prefix.
    fn begin_frame(&mut self, out: &mut BytesMut) {
        if self.prefix.is_empty() {
            self.prefix = chunk_prefix(
                "chat.completion.chunk",
                &self.id,
                self.created,
                &self.model,
                br#""index":0,"delta":"#,
            );
        }
        begin_frame(&self.prefix, out);
    }
}

/// Writes a chunk's `delta` object as serde would: role, content and reasoning text by hand
/// (the hot path), tool-call fragments through serde. False if serialisation failed.
fn write_delta(delta: &chat_out::ChunkDelta<'_>, out: &mut BytesMut) -> bool {
    if !delta.tool_calls.is_empty() {
        return serde_json::to_writer(bytes::BufMut::writer(&mut *out), delta).is_ok();
    }
    let fields = [
        ("role", delta.role),
        ("content", delta.content),
        ("reasoning_content", delta.reasoning_content),
    ];
    let mut sep = b'{';
    for (name, value) in fields {
        if let Some(value) = value {
            out.extend_from_slice(&[sep, b'"']);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            json::write_str(out, value);
            sep = b',';
        }
    }
    if sep == b'{' {
        out.extend_from_slice(b"{");
    }
    out.extend_from_slice(b"}");
    true
}

/// `{"id":<id>,"object":<object>,"created":<n>,"model":<model>,"choices":[{<field>`.
pub(super) fn chunk_prefix(
    object: &str,
    id: &str,
    created: u64,
    model: &str,
    field: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(96 + id.len() + model.len());
    p.extend_from_slice(br#"{"id":"#);
    p.extend_from_slice(&crate::protocol::json::string_literal(id));
    p.extend_from_slice(br#","object":""#);
    p.extend_from_slice(object.as_bytes());
    p.extend_from_slice(br#"","created":"#);
    p.extend_from_slice(created.to_string().as_bytes());
    p.extend_from_slice(br#","model":"#);
    p.extend_from_slice(&crate::protocol::json::string_literal(model));
    p.extend_from_slice(br#","choices":[{"#);
    p.extend_from_slice(field);
    p
}

/// Starts a `data:` frame in `out` with a chunk prefix; the caller writes the rest of the
/// (single-line) JSON and the closing `\n\n`.
pub(super) fn begin_frame(prefix: &[u8], out: &mut BytesMut) {
    out.reserve(prefix.len() + 96);
    sse::encode_head(None, out);
    out.extend_from_slice(prefix);
}
