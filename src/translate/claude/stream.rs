//! Anthropic Messages streams ↔ IR events: decoding an upstream SSE stream (server tool blocks
//! skipped without leaving holes in the IR indexes) and encoding IR events as the full Anthropic
//! event sequence a Claude client expects. No I/O.

use bytes::BytesMut;

use super::{decode_stop, encode_stop, encode_usage, upstream, ClaudeUsage};
use crate::error::Error;
use crate::ir::{self, Family};
use crate::protocol::{claude, json, sse};
use crate::translate::ids;

/// Upstream Claude SSE events → IR events.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// Claude's block indexes in opening order, with the IR block each became.
    blocks: Vec<DecodedBlock>,
    /// The next IR block index.
    next_index: usize,
    /// Usage as Claude counts it, merged from `message_start` and `message_delta`.
    usage: ClaudeUsage,
    /// The stop reason from `message_delta`.
    stop: Option<ir::StopReason>,
    started: bool,
    finished: bool,
}

#[derive(Debug)]
struct DecodedBlock {
    /// Claude's index.
    claude: u64,
    /// The IR index, or `None` for a block the IR has no stream event for (server tools).
    ir: Option<usize>,
    open: bool,
    /// A tool call whose whole input came with `content_block_start` (some compatible
    /// upstreams do this); later argument deltas would corrupt it.
    args_at_start: bool,
}

impl StreamDecoder {
    /// A decoder for one upstream stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one upstream event. `ping`, unknown events, deltas for unknown or skipped blocks
    /// and anything after `message_stop` are ignored.
    ///
    /// # Errors
    /// `UpstreamProtocol` when a `data:` payload is not a JSON object of the expected shape.
    pub fn push(&mut self, ev: &sse::Event<'_>, out: &mut Vec<ir::Event>) -> Result<(), Error> {
        let data = ev.data.trim();
        if self.finished || data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let mut event = claude::StreamEvent::default();
        claude::StreamEvent::read(data, &mut event)
            .map_err(|e| upstream(format!("invalid Claude stream event: {e}")))?;
        let kind = event.kind.as_deref().or(ev.event).unwrap_or_default();
        match kind {
            "message_start" => {
                let msg = event
                    .message
                    .and_then(|raw| serde_json::from_str::<claude::Message<'_>>(raw.get()).ok())
                    .ok_or_else(|| upstream("Claude message_start without a message"))?;
                if !self.started {
                    self.started = true;
                    out.push(ir::Event::Start {
                        id: msg.id.unwrap_or_default().into_owned(),
                        model: msg.model.unwrap_or_default().into_owned(),
                    });
                }
                if let Some(u) = &msg.usage {
                    self.usage.merge(u);
                    out.push(ir::Event::Usage(self.usage.to_ir()));
                }
            }
            "content_block_start" => {
                let index = event
                    .index
                    .ok_or_else(|| upstream("Claude content_block_start without an index"))?;
                self.start_block(index, event.content_block, out);
            }
            "content_block_delta" => {
                let (Some(index), Some(delta)) = (event.index, event.delta.as_mut()) else {
                    return Err(upstream(
                        "Claude content_block_delta without index or delta",
                    ));
                };
                self.delta(index, delta, out);
            }
            "content_block_stop" => {
                let slot = event.index.and_then(|i| self.open_block(i));
                if let Some(slot) = slot {
                    slot.open = false;
                    if let Some(index) = slot.ir {
                        out.push(ir::Event::BlockStop { index });
                    }
                }
            }
            "message_delta" => {
                if let Some(reason) = event.delta.as_ref().and_then(|d| d.stop_reason.as_deref()) {
                    let sequence = event
                        .delta
                        .as_ref()
                        .and_then(|d| d.stop_sequence.as_deref());
                    self.stop = Some(decode_stop(Some(reason), sequence));
                }
                if let Some(u) = &event.usage {
                    self.usage.merge(u);
                    out.push(ir::Event::Usage(self.usage.to_ir()));
                }
            }
            "message_stop" => self.finish(out),
            "error" => {
                out.push(ir::Event::Error {
                    message: error_message(event.error.or(event.message)),
                });
                self.finished = true;
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the stream: closes open blocks and emits `Finish` if the upstream never did
    /// (nothing after an in-band error).
    pub fn finish(&mut self, out: &mut Vec<ir::Event>) {
        if self.finished {
            return;
        }
        self.finished = true;
        for slot in self.blocks.iter_mut().filter(|b| b.open) {
            slot.open = false;
            if let Some(index) = slot.ir {
                out.push(ir::Event::BlockStop { index });
            }
        }
        out.push(ir::Event::Finish {
            stop: self.stop.take().unwrap_or(ir::StopReason::EndTurn),
        });
    }

    fn open_block(&mut self, claude_index: u64) -> Option<&mut DecodedBlock> {
        self.blocks
            .iter_mut()
            .rev()
            .find(|b| b.claude == claude_index && b.open)
    }

    fn start_block(
        &mut self,
        claude_index: u64,
        raw: Option<&serde_json::value::RawValue>,
        out: &mut Vec<ir::Event>,
    ) {
        // A block that does not parse is an unknown (server) block: skipped like one.
        let block =
            raw.and_then(|r| serde_json::from_str::<claude::ContentBlock<'_>>(r.get()).ok());
        let mut deltas = Vec::new();
        let mut args_at_start = false;
        let kind = match block {
            Some(b) => match b.kind.as_ref() {
                "text" => {
                    deltas.extend(
                        b.text
                            .filter(|t| !t.is_empty())
                            .map(|t| ir::Delta::Text(t.into_owned())),
                    );
                    Some(ir::BlockKind::Text)
                }
                "thinking" => {
                    deltas.extend(
                        b.thinking
                            .filter(|t| !t.is_empty())
                            .map(|t| ir::Delta::Thinking(t.into_owned())),
                    );
                    deltas.extend(b.signature.filter(|s| !s.is_empty()).map(|s| {
                        ir::Delta::Signature(ir::Signature {
                            origin: Family::Claude,
                            value: s.into_owned(),
                        })
                    }));
                    Some(ir::BlockKind::Thinking)
                }
                "tool_use" => {
                    if let Some(input) = b.input.map(|i| i.get()).filter(|i| !is_empty_object(i)) {
                        args_at_start = true;
                        deltas.push(ir::Delta::ToolArguments(input.to_owned()));
                    }
                    Some(ir::BlockKind::ToolCall {
                        id: b.id.unwrap_or_default().into_owned(),
                        name: b.name.unwrap_or_default().into_owned(),
                    })
                }
                "redacted_thinking" => Some(ir::BlockKind::RedactedThinking {
                    data: b.data.unwrap_or_default().into_owned(),
                }),
                _ => None,
            },
            None => None,
        };
        let ir_index = kind.map(|kind| {
            let index = self.next_index;
            self.next_index += 1;
            out.push(ir::Event::BlockStart { index, kind });
            out.extend(
                deltas
                    .into_iter()
                    .map(|delta| ir::Event::Delta { index, delta }),
            );
            index
        });
        self.blocks.push(DecodedBlock {
            claude: claude_index,
            ir: ir_index,
            open: true,
            args_at_start,
        });
    }

    fn delta(
        &mut self,
        claude_index: u64,
        delta: &mut claude::StreamDelta<'_>,
        out: &mut Vec<ir::Event>,
    ) {
        let Some(slot) = self.open_block(claude_index) else {
            return;
        };
        let Some(index) = slot.ir else {
            return;
        };
        let delta = match delta.kind.as_deref() {
            Some("text_delta") => delta.text.take().map(|t| ir::Delta::Text(t.into_owned())),
            Some("thinking_delta") => delta
                .thinking
                .take()
                .map(|t| ir::Delta::Thinking(t.into_owned())),
            Some("signature_delta") => delta.signature.take().map(|s| {
                ir::Delta::Signature(ir::Signature {
                    origin: Family::Claude,
                    value: s.into_owned(),
                })
            }),
            Some("input_json_delta") if !slot.args_at_start => delta
                .partial_json
                .take()
                .filter(|j| !j.is_empty())
                .map(|j| ir::Delta::ToolArguments(j.into_owned())),
            // citations_delta and future delta types.
            _ => None,
        };
        if let Some(delta) = delta {
            out.push(ir::Event::Delta { index, delta });
        }
    }
}

/// The message of an `error` event: `error.message` (or `error.type`), or a plain string.
fn error_message(raw: Option<&serde_json::value::RawValue>) -> String {
    let text = raw.map(|r| r.get()).unwrap_or_default();
    let message = serde_json::from_str::<claude::ErrorInfo<'_>>(text)
        .ok()
        .and_then(|e| e.message.or(e.kind))
        .or_else(|| serde_json::from_str::<std::borrow::Cow<'_, str>>(text).ok())
        .filter(|m| !m.is_empty());
    message.map_or_else(|| "Claude upstream error".to_owned(), |m| m.into_owned())
}

fn is_empty_object(json: &str) -> bool {
    let inner = json
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'));
    inner.is_some_and(|s| s.trim().is_empty())
}

/// IR events → Anthropic SSE frames for a Claude client.
///
/// `message_start` is written lazily, at the first block (or the end), so that usage an
/// upstream reports right after it starts (Claude, Gemini) is in it. `Finish` closes the open
/// blocks, but `message_delta` (stop reason and the full cumulative usage) and `message_stop`
/// wait for [`StreamEncoder::finish`]: OpenAI-style upstreams report usage after the finish
/// reason, and the last `Usage` wins.
#[derive(Debug)]
pub struct StreamEncoder {
    model: String,
    id: String,
    usage: ir::Usage,
    /// IR block index, Claude block index, still open; in opening order.
    blocks: Vec<(usize, usize, bool)>,
    /// IR index of a thinking block not shown yet: it opens on its first text or Claude
    /// signature, and one with neither (another family's signature carrier) is never shown,
    /// as in non-stream answers.
    pending_thinking: Option<usize>,
    next_index: usize,
    started: bool,
    /// `Finish` came: blocks are closed and the stop reason waits for `finish`.
    stop: Option<ir::StopReason>,
    done: bool,
}

impl StreamEncoder {
    /// An encoder for one client stream; `model` is the name the client asked for and `id`
    /// the message id (the upstream's `Start` id is used when `id` is empty).
    pub fn new(model: &str, id: &str) -> Self {
        Self {
            model: model.to_owned(),
            id: id.to_owned(),
            usage: ir::Usage::default(),
            blocks: Vec::new(),
            pending_thinking: None,
            next_index: 0,
            started: false,
            stop: None,
            done: false,
        }
    }

    /// Encodes one IR event. Deltas for blocks that are not open are dropped, and so are
    /// signatures another family issued; after `Finish` only `Usage` and `Error` count, and
    /// nothing is written after `Error`.
    pub fn push(&mut self, ev: &ir::Event, out: &mut BytesMut) {
        let finished = self.stop.is_some();
        if self.done || (finished && !matches!(ev, ir::Event::Usage(_) | ir::Event::Error { .. })) {
            return;
        }
        match ev {
            ir::Event::Start { id, .. } => {
                if self.id.is_empty() {
                    self.id.clone_from(id);
                }
            }
            ir::Event::Usage(u) => self.usage = *u,
            ir::Event::BlockStart { index, kind } => {
                self.start(out);
                if *kind == ir::BlockKind::Thinking {
                    self.pending_thinking = Some(*index);
                } else {
                    self.open(*index, kind, out);
                }
            }
            ir::Event::Delta { index, delta } => {
                if self.pending_thinking == Some(*index) {
                    let shown = match delta {
                        ir::Delta::Thinking(t) => !t.is_empty(),
                        ir::Delta::Signature(sig) => sig.origin == Family::Claude,
                        _ => false,
                    };
                    if !shown {
                        return;
                    }
                    self.pending_thinking = None;
                    self.open(*index, &ir::BlockKind::Thinking, out);
                }
                let Some(claude_index) = self.open_index(*index) else {
                    return;
                };
                let (kind, field, value) = match delta {
                    ir::Delta::Text(t) | ir::Delta::Thinking(t) | ir::Delta::ToolArguments(t)
                        if t.is_empty() =>
                    {
                        return
                    }
                    ir::Delta::Text(text) => ("text_delta", "text", text),
                    ir::Delta::Thinking(thinking) => ("thinking_delta", "thinking", thinking),
                    ir::Delta::Signature(sig) if sig.origin == Family::Claude => {
                        ("signature_delta", "signature", &sig.value)
                    }
                    ir::Delta::Signature(_) => return,
                    ir::Delta::ToolArguments(partial_json) => {
                        ("input_json_delta", "partial_json", partial_json)
                    }
                };
                write_delta(claude_index, kind, field, value, out);
            }
            ir::Event::BlockStop { index } => {
                if self.pending_thinking == Some(*index) {
                    self.pending_thinking = None;
                    return;
                }
                let slot = self
                    .blocks
                    .iter_mut()
                    .rev()
                    .find(|(ir, _, open)| *ir == *index && *open);
                if let Some(slot) = slot {
                    slot.2 = false;
                    let ev = claude::StreamEventOut::ContentBlockStop { index: slot.1 };
                    emit("content_block_stop", &ev, out);
                }
            }
            ir::Event::Finish { stop } => {
                self.start(out);
                self.close_blocks(out);
                self.stop = Some(stop.clone());
            }
            ir::Event::Error { message } => {
                let ev = claude::StreamEventOut::Error {
                    error: claude::ErrorOut {
                        kind: "api_error",
                        message,
                    },
                };
                emit("error", &ev, out);
                self.done = true;
            }
        }
    }

    /// Writes the terminal frames: `message_delta` with the stop reason (`end_turn` if
    /// `Finish` never came) and the last usage, then `message_stop`. Nothing after `Error`.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.done {
            return;
        }
        self.done = true;
        self.start(out);
        self.close_blocks(out);
        let stop = self.stop.take().unwrap_or(ir::StopReason::EndTurn);
        let (stop_reason, stop_sequence) = encode_stop(&stop);
        let ev = claude::StreamEventOut::MessageDelta {
            delta: claude::MessageDeltaOut {
                stop_reason: Some(stop_reason),
                stop_sequence,
            },
            usage: encode_usage(&self.usage),
        };
        emit("message_delta", &ev, out);
        emit("message_stop", &claude::StreamEventOut::MessageStop, out);
    }

    /// Opens a block: `content_block_start` at the next Claude index.
    fn open(&mut self, index: usize, kind: &ir::BlockKind, out: &mut BytesMut) {
        let claude_index = self.next_index;
        self.next_index += 1;
        self.blocks.push((index, claude_index, true));
        let content_block = match kind {
            ir::BlockKind::Text => claude::BlockOut::Text {
                text: "",
                cache_control: None,
            },
            ir::BlockKind::Thinking => claude::BlockOut::Thinking {
                thinking: "",
                signature: "",
            },
            ir::BlockKind::ToolCall { id, name } => claude::BlockOut::ToolUse {
                id: ids::sanitize_tool_id(id),
                name,
                input: claude::InputOut::Empty(claude::EmptyObject {}),
                cache_control: None,
            },
            ir::BlockKind::RedactedThinking { data } => claude::BlockOut::RedactedThinking { data },
        };
        let ev = claude::StreamEventOut::ContentBlockStart {
            index: claude_index,
            content_block,
        };
        emit("content_block_start", &ev, out);
    }

    fn open_index(&self, ir_index: usize) -> Option<usize> {
        self.blocks
            .iter()
            .rev()
            .find(|(ir, _, open)| *ir == ir_index && *open)
            .map(|(_, claude, _)| *claude)
    }

    fn start(&mut self, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        let ev = claude::StreamEventOut::MessageStart {
            message: claude::MessageOut {
                id: &self.id,
                kind: "message",
                role: "assistant",
                model: &self.model,
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: encode_usage(&self.usage),
            },
        };
        emit("message_start", &ev, out);
    }

    fn close_blocks(&mut self, out: &mut BytesMut) {
        for slot in self.blocks.iter_mut().filter(|b| b.2) {
            slot.2 = false;
            let ev = claude::StreamEventOut::ContentBlockStop { index: slot.1 };
            emit("content_block_stop", &ev, out);
        }
    }
}

/// Writes one `event:`/`data:` frame.
fn emit(name: &str, ev: &claude::StreamEventOut<'_>, out: &mut BytesMut) {
    json::write_sse(Some(name), ev, out);
}

/// Writes a `content_block_delta` frame (the hot path) by hand, byte for byte what serialising
/// `StreamEventOut::ContentBlockDelta` gives: `{"type":"content_block_delta","index":N,
/// "delta":{"type":<kind>,<field>:<value>}}`.
fn write_delta(index: usize, kind: &str, field: &str, value: &str, out: &mut BytesMut) {
    out.reserve(value.len() + 112);
    out.extend_from_slice(
        b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":",
    );
    out.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
    out.extend_from_slice(b",\"delta\":{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"");
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\":");
    json::write_str(out, value);
    out.extend_from_slice(b"}}\n\n");
}
