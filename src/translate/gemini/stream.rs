//! Gemini streams ⇄ IR events. Each upstream SSE `data:` is a whole `GenerateContentResponse`
//! holding whole parts; the decoder turns them into the IR block lifecycle. The encoder turns
//! IR events into chunks for a Gemini client, framed as SSE (`alt=sse`) or as the JSON array
//! Google returns when `alt` is absent. Pure, no I/O.

use bytes::BytesMut;

use crate::error::{Error, Kind};
use crate::ir::{BlockKind, Delta, Event, Family, StopReason, Usage};
use crate::protocol::gemini;
use crate::protocol::sse;
use crate::translate::{ids, thinking};

use super::cli;
use super::parts::{self, args_text};
use super::response::{
    finish_reason, stop_reason, synthetic_id, upstream_error, usage, usage_metadata,
};

/// The kind of block the decoder has open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
}

/// Upstream `streamGenerateContent?alt=sse` events → IR events.
///
/// Consecutive text parts continue one text block and consecutive thought parts one thinking
/// block; a `functionCall` part is a whole tool call (start, all arguments, stop at once). A
/// thought part's signature ends its thinking block; any other part's signature becomes an
/// empty thinking block carrying it (before a call, after anything else — see
/// `translate::gemini::parts`). `usageMetadata` repeats on many chunks: only the last is
/// kept, and emitted once, just before `Finish`. Images and code-execution parts have no
/// stream block in the IR and are dropped.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    finished: bool,
    id: String,
    next_index: usize,
    open: Option<(usize, Open)>,
    calls: usize,
    saw_call: bool,
    usage: Option<Usage>,
    cli_envelope: bool,
}

impl StreamDecoder {
    /// A decoder for one upstream stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads chunks wrapped in the Cloud Code Assist envelope (`{"response":{…}}`), as the
    /// Gemini CLI and Antigravity upstreams send them.
    pub fn with_cli_envelope(mut self) -> Self {
        self.cli_envelope = true;
        self
    }

    /// Decodes one SSE event. Keep-alives, empty events and events after the finish are
    /// ignored; an in-band `error` becomes [`Event::Error`] and ends the stream.
    ///
    /// # Errors
    /// `UpstreamProtocol` when the data is not a `GenerateContentResponse`.
    pub fn push(&mut self, ev: &sse::Event<'_>, out: &mut Vec<Event>) -> Result<(), Error> {
        let data = ev.data.trim();
        if self.finished || data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let data = if self.cli_envelope {
            cli::unwrap_cli_response(data.as_bytes())?.get()
        } else {
            data
        };
        let chunk: gemini::Response<'_> = serde_json::from_str(data).map_err(|e| {
            Error::new(
                Kind::UpstreamProtocol,
                format!("invalid Gemini stream chunk: {e}"),
            )
        })?;
        if let Some(err) = &chunk.error {
            self.close(out);
            out.push(Event::Error {
                message: upstream_error(err).message,
            });
            self.finished = true;
            return Ok(());
        }
        if !self.started {
            self.started = true;
            self.id = match chunk.response_id.as_deref() {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => synthetic_id(data.as_bytes()),
            };
            out.push(Event::Start {
                id: self.id.clone(),
                model: chunk
                    .model_version
                    .as_deref()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        if let Some(u) = &chunk.usage_metadata {
            self.usage = Some(usage(u));
        }
        let blocked = chunk
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some());
        let Some(candidate) = chunk.candidates.into_iter().next() else {
            if blocked {
                self.end(StopReason::ContentFilter, out);
            }
            return Ok(());
        };
        if let Some(content) = candidate.content {
            for part in content.parts {
                self.part(part, out);
            }
        }
        if let Some(reason) = candidate.finish_reason.as_deref() {
            let stop = stop_reason(Some(reason), self.saw_call);
            self.end(stop, out);
        }
        Ok(())
    }

    /// Ends the stream: closes the open block and, if the upstream never finished, emits the
    /// last usage and a `Finish` (tool use if a call was seen, else end of turn).
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if self.finished {
            return;
        }
        let stop = stop_reason(None, self.saw_call);
        self.end(stop, out);
    }

    fn end(&mut self, stop: StopReason, out: &mut Vec<Event>) {
        self.close(out);
        if let Some(u) = self.usage.take() {
            out.push(Event::Usage(u));
        }
        out.push(Event::Finish { stop });
        self.finished = true;
    }

    fn part(&mut self, part: gemini::Part<'_>, out: &mut Vec<Event>) {
        let sig = parts::signature(part.thought_signature);
        if let Some(call) = part.function_call {
            self.close(out);
            if let Some(sig) = sig {
                self.carrier(sig, out);
            }
            let n = self.calls;
            self.calls += 1;
            self.saw_call = true;
            let id = match call.id.as_deref() {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => ids::tool_call_id("call_", &self.id, n),
            };
            let index = self.next_index;
            self.next_index += 1;
            out.push(Event::BlockStart {
                index,
                kind: BlockKind::ToolCall {
                    id,
                    name: call.name.into_owned(),
                },
            });
            out.push(Event::Delta {
                index,
                delta: Delta::ToolArguments(args_text(call.args)),
            });
            out.push(Event::BlockStop { index });
            return;
        }
        if part.thought == Some(true) {
            let text = part.text.unwrap_or_default();
            if !text.is_empty() || sig.is_some() {
                let index = self.ensure(Open::Thinking, out);
                if !text.is_empty() {
                    out.push(Event::Delta {
                        index,
                        delta: Delta::Thinking(text.into_owned()),
                    });
                }
                if let Some(sig) = sig {
                    out.push(Event::Delta {
                        index,
                        delta: Delta::Signature(sig),
                    });
                    self.close(out);
                }
            }
            return;
        }
        if let Some(text) = part.text {
            if !text.is_empty() {
                let index = self.ensure(Open::Text, out);
                out.push(Event::Delta {
                    index,
                    delta: Delta::Text(text.into_owned()),
                });
            }
        }
        if let Some(sig) = sig {
            self.close(out);
            self.carrier(sig, out);
        }
    }

    /// An empty thinking block carrying a signature issued on another part.
    fn carrier(&mut self, sig: crate::ir::Signature, out: &mut Vec<Event>) {
        let index = self.next_index;
        self.next_index += 1;
        out.push(Event::BlockStart {
            index,
            kind: BlockKind::Thinking,
        });
        out.push(Event::Delta {
            index,
            delta: Delta::Signature(sig),
        });
        out.push(Event::BlockStop { index });
    }

    /// The index of an open block of `kind`, opening one (and closing another) if needed.
    fn ensure(&mut self, kind: Open, out: &mut Vec<Event>) -> usize {
        if let Some((index, open)) = self.open {
            if open == kind {
                return index;
            }
        }
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        out.push(Event::BlockStart {
            index,
            kind: match kind {
                Open::Text => BlockKind::Text,
                Open::Thinking => BlockKind::Thinking,
            },
        });
        self.open = Some((index, kind));
        index
    }

    fn close(&mut self, out: &mut Vec<Event>) {
        if let Some((index, _)) = self.open.take() {
            out.push(Event::BlockStop { index });
        }
    }
}

/// What the encoder knows about an open block.
#[derive(Debug)]
enum Block {
    Text,
    Thinking {
        had_text: bool,
    },
    Call {
        id: String,
        name: String,
        args: String,
    },
    Other,
}

/// IR events → chunks for a Gemini client.
///
/// Every text or reasoning delta becomes one chunk (`candidates[0].content{role:"model",
/// parts:[…]}` with `modelVersion` and `responseId`); a tool call becomes one chunk when its
/// block stops (Gemini sends calls whole). A Gemini signature rides on the call that follows
/// it, else on a part of its own; other families' signatures are dropped. Usage and the
/// finish reason go on one final chunk. Framing is SSE, `data: {…}\r\n\r\n` as Google sends
/// it, or with [`StreamEncoder::with_json_array`] a JSON array (`[{…},\r\n{…}]`) that is
/// valid JSON once [`StreamEncoder::finish`] has run. A mid-stream error is an
/// `{"error":{code,message,status}}` chunk (a plain `data:` line, which Google's SDKs parse).
#[derive(Debug)]
pub struct StreamEncoder {
    model: String,
    id: String,
    json_array: bool,
    wrote_any: bool,
    blocks: Vec<(usize, Block)>,
    pending_sig: Option<String>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
    final_sent: bool,
    done: bool,
    closed: bool,
}

impl StreamEncoder {
    /// An SSE encoder for a response to show as `model` (the client's alias) with id `id`.
    pub fn new(model: &str, id: &str) -> Self {
        StreamEncoder {
            model: model.to_owned(),
            id: id.to_owned(),
            json_array: false,
            wrote_any: false,
            blocks: Vec::new(),
            pending_sig: None,
            usage: None,
            stop: None,
            final_sent: false,
            done: false,
            closed: false,
        }
    }

    /// Frames the chunks as one JSON array (`streamGenerateContent` without `alt=sse`).
    pub fn with_json_array(mut self) -> Self {
        self.json_array = true;
        self
    }

    /// Encodes one event.
    pub fn push(&mut self, ev: &Event, out: &mut BytesMut) {
        if self.done {
            return;
        }
        match ev {
            Event::Start { .. } => {}
            Event::BlockStart { index, kind } => {
                let block = match kind {
                    BlockKind::Text => Block::Text,
                    BlockKind::Thinking => Block::Thinking { had_text: false },
                    BlockKind::ToolCall { id, name } => Block::Call {
                        id: id.clone(),
                        name: name.clone(),
                        args: String::new(),
                    },
                    BlockKind::RedactedThinking { .. } => Block::Other,
                };
                if !matches!(block, Block::Call { .. }) {
                    self.flush_signature(out);
                }
                self.blocks.push((*index, block));
            }
            Event::Delta { index, delta } => self.delta(*index, delta, out),
            Event::BlockStop { index } => {
                if let Some(pos) = self.blocks.iter().position(|(i, _)| i == index) {
                    let (_, block) = self.blocks.remove(pos);
                    if let Block::Call { id, name, args } = block {
                        self.call(&id, &name, &args, out);
                    }
                }
            }
            Event::Usage(u) => {
                self.usage = Some(*u);
                if self.stop.is_some() {
                    self.final_chunk(out);
                }
            }
            Event::Finish { stop } => {
                self.stop = Some(stop.clone());
                if self.usage.is_some() {
                    self.final_chunk(out);
                }
            }
            Event::Error { message } => {
                let chunk = gemini::Response {
                    error: Some(gemini::ErrorBody {
                        code: Some(500),
                        message: Some(message.as_str().into()),
                        status: Some("INTERNAL".into()),
                    }),
                    ..gemini::Response::default()
                };
                emit(&chunk, self.json_array, &mut self.wrote_any, out);
                self.done = true;
            }
        }
    }

    /// Ends the stream: sends the final chunk if it is still owed (a finish or usage was seen
    /// but not both) and closes the JSON array. Idempotent.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.closed {
            return;
        }
        if !self.done
            && !self.final_sent
            && (self.stop.is_some() || self.usage.is_some() || self.pending_sig.is_some())
        {
            self.final_chunk(out);
        }
        if self.json_array {
            if !self.wrote_any {
                out.extend_from_slice(b"[");
            }
            out.extend_from_slice(b"]");
        }
        self.done = true;
        self.closed = true;
    }

    fn delta(&mut self, index: usize, delta: &Delta, out: &mut BytesMut) {
        let block = self
            .blocks
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b);
        match delta {
            Delta::Text(text) => {
                if !text.is_empty() {
                    self.flush_signature(out);
                    self.parts(
                        vec![gemini::Part {
                            text: Some(text.as_str().into()),
                            ..gemini::Part::default()
                        }],
                        out,
                    );
                }
            }
            Delta::Thinking(text) => {
                if let Some(Block::Thinking { had_text }) = block {
                    *had_text = true;
                }
                if !text.is_empty() {
                    self.flush_signature(out);
                    self.parts(
                        vec![gemini::Part {
                            text: Some(text.as_str().into()),
                            thought: Some(true),
                            ..gemini::Part::default()
                        }],
                        out,
                    );
                }
            }
            Delta::Signature(sig) => {
                let Some(value) = thinking::for_target(Some(sig), Family::Gemini) else {
                    return;
                };
                if let Some(Block::Thinking { had_text: true }) = block {
                    self.parts(
                        vec![gemini::Part {
                            text: Some("".into()),
                            thought: Some(true),
                            thought_signature: Some(value.into()),
                            ..gemini::Part::default()
                        }],
                        out,
                    );
                } else {
                    self.flush_signature(out);
                    self.pending_sig = Some(value.to_owned());
                }
            }
            Delta::ToolArguments(more) => {
                if let Some(Block::Call { args, .. }) = block {
                    args.push_str(more);
                }
            }
        }
    }

    fn call(&mut self, id: &str, name: &str, args: &str, out: &mut BytesMut) {
        let args = match serde_json::from_str::<&serde_json::value::RawValue>(args) {
            Ok(raw) if raw.get().starts_with('{') => parts::raw_owned(raw.get().to_owned()),
            _ => parts::raw_owned("{}".to_owned()),
        };
        let sig = self.pending_sig.take();
        self.parts(
            vec![gemini::Part {
                thought_signature: sig.map(Into::into),
                function_call: Some(gemini::FunctionCall {
                    id: (!id.is_empty()).then(|| id.into()),
                    name: name.into(),
                    args: Some(args),
                }),
                ..gemini::Part::default()
            }],
            out,
        );
    }

    /// Sends a pending signature as a part of its own.
    fn flush_signature(&mut self, out: &mut BytesMut) {
        if let Some(sig) = self.pending_sig.take() {
            self.parts(
                vec![gemini::Part {
                    text: Some("".into()),
                    thought_signature: Some(sig.into()),
                    ..gemini::Part::default()
                }],
                out,
            );
        }
    }

    fn final_chunk(&mut self, out: &mut BytesMut) {
        if self.final_sent {
            return;
        }
        // Calls still open are sent whole before the end.
        for (_, block) in std::mem::take(&mut self.blocks) {
            if let Block::Call { id, name, args } = block {
                self.call(&id, &name, &args, out);
            }
        }
        let sig = self.pending_sig.take();
        let part = gemini::Part {
            text: Some("".into()),
            thought_signature: sig.map(Into::into),
            ..gemini::Part::default()
        };
        let stop = self.stop.clone().unwrap_or(StopReason::EndTurn);
        let chunk = gemini::Response {
            candidates: vec![gemini::Candidate {
                content: Some(gemini::Content {
                    role: Some("model".into()),
                    parts: vec![part],
                }),
                finish_reason: Some(finish_reason(&stop).into()),
                index: Some(0),
            }],
            usage_metadata: self.usage.as_ref().map(usage_metadata),
            model_version: Some(self.model.as_str().into()),
            response_id: Some(self.id.as_str().into()),
            ..gemini::Response::default()
        };
        emit(&chunk, self.json_array, &mut self.wrote_any, out);
        self.final_sent = true;
    }

    fn parts(&mut self, parts: Vec<gemini::Part<'_>>, out: &mut BytesMut) {
        let chunk = gemini::Response {
            candidates: vec![gemini::Candidate {
                content: Some(gemini::Content {
                    role: Some("model".into()),
                    parts,
                }),
                finish_reason: None,
                index: Some(0),
            }],
            model_version: Some(self.model.as_str().into()),
            response_id: Some(self.id.as_str().into()),
            ..gemini::Response::default()
        };
        emit(&chunk, self.json_array, &mut self.wrote_any, out);
    }
}

/// Serialises one chunk straight into `out`, framed as an SSE event or as the next element
/// of the JSON array.
fn emit(chunk: &gemini::Response<'_>, json_array: bool, wrote_any: &mut bool, out: &mut BytesMut) {
    let start = out.len();
    if json_array {
        out.extend_from_slice(if *wrote_any { b",\r\n" } else { b"[" });
    } else {
        out.reserve(256);
        out.extend_from_slice(b"data: ");
    }
    if serde_json::to_writer(bytes::BufMut::writer(&mut *out), chunk).is_err() {
        out.truncate(start);
        return;
    }
    if !json_array {
        out.extend_from_slice(b"\r\n\r\n");
    }
    *wrote_any = true;
}
