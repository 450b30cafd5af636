//! IR stream events encoded as the full Responses SSE sequence a client (Codex CLI, the OpenAI
//! SDKs) expects: lifecycle events, one output item per IR block with its part and delta
//! events, and a terminal event carrying the whole response. No I/O.

use bytes::BytesMut;
use serde_json::value::RawValue;

use super::{response::reasoning_item, split_namespace, status_for_stop, usage_to_wire, wire};
use crate::ir;
use crate::protocol::json;
use crate::translate::ids;

/// Turns IR stream events into Responses SSE frames with `sequence_number`s counting up from 0.
///
/// The sequence is `response.created`, `response.in_progress`, then per IR block an output
/// item — text: `output_item.added` (message), `content_part.added`, `output_text.delta`…,
/// `output_text.done`, `content_part.done`, `output_item.done`; thinking: `output_item.added`
/// (reasoning), `reasoning_summary_part.added`, `reasoning_summary_text.delta`…,
/// `reasoning_summary_text.done`, `reasoning_summary_part.done`, `output_item.done`; tool call:
/// `output_item.added` (function_call), `function_call_arguments.delta`…, `.done`,
/// `output_item.done` — and finally, from [`StreamEncoder::finish`], `response.completed` (or
/// `response.incomplete` for the token limit or a content filter) with every output item and
/// the usage. An IR `Error` becomes `response.failed`. Item ids are derived from the response
/// id. A reasoning item that came from a Responses upstream is replayed in its
/// `output_item.done` and in the final response exactly as the upstream sent it (its id is
/// bound to its encrypted content), so its id there differs from the `rs_…` id its earlier
/// events used; clients keep the item from `output_item.done`. Another family's signature
/// rides in the item's tagged `encrypted_content` (see the module docs); redacted thinking,
/// whose stream block does not name its family, is left out of streams.
#[derive(Debug)]
pub struct StreamEncoder {
    id: String,
    model: String,
    created: u64,
    namespaces: Vec<String>,
    seq: u64,
    started: bool,
    finished: bool,
    /// The blocks seen, with their IR index (a short list: no table sized by an index).
    blocks: Vec<(usize, Block)>,
    next_output: usize,
    /// Finished output items, serialised, with their output index.
    done_items: Vec<(usize, Box<RawValue>)>,
    usage: Option<ir::Usage>,
    stop: Option<ir::StopReason>,
}

/// The output item an open IR block is written as.
#[derive(Debug)]
struct Block {
    output_index: usize,
    item_id: String,
    kind: BlockKind,
    open: bool,
}

#[derive(Debug)]
enum BlockKind {
    Text {
        text: String,
    },
    Thinking {
        text: String,
        part_open: bool,
        /// The block's signature: a Responses upstream's raw item, or another family's.
        signature: Option<ir::Signature>,
    },
    Call {
        call_id: String,
        name: String,
        namespace: Option<String>,
        arguments: String,
    },
    /// No Responses equivalent (redacted thinking): its events are dropped.
    Ignored,
}

impl StreamEncoder {
    /// An encoder for one response shown to the client as `model` with response id `id`.
    pub fn new(model: &str, id: &str) -> Self {
        StreamEncoder {
            id: id.to_owned(),
            model: model.to_owned(),
            created: 0,
            namespaces: Vec::new(),
            seq: 0,
            started: false,
            finished: false,
            blocks: Vec::new(),
            next_output: 0,
            done_items: Vec::new(),
            usage: None,
            stop: None,
        }
    }

    /// Sets `created_at` (Unix seconds; the encoder reads no clock, so the default is 0).
    pub fn with_created(mut self, created: u64) -> Self {
        self.created = created;
        self
    }

    /// The request's `namespace` tools ([`super::namespaces`]): calls to `ns__name` are written
    /// as `{namespace: ns, name}` so Codex can route them.
    pub fn with_namespaces(mut self, namespaces: Vec<String>) -> Self {
        self.namespaces = namespaces;
        self
    }

    /// Encodes one IR event.
    pub fn push(&mut self, ev: &ir::Event, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        match ev {
            ir::Event::Start { id, .. } => {
                if self.id.is_empty() {
                    self.id.clone_from(id);
                }
                self.start(out);
            }
            ir::Event::BlockStart { index, kind } => self.block_start(*index, kind, out),
            ir::Event::Delta { index, delta } => self.delta(*index, delta, out),
            ir::Event::BlockStop { index } => self.block_stop(*index, out),
            ir::Event::Usage(usage) => self.usage = Some(*usage),
            ir::Event::Finish { stop } => self.stop = Some(stop.clone()),
            ir::Event::Error { message } => {
                self.start(out);
                self.keep_open_items();
                self.terminal(None, Some(message), out);
            }
        }
    }

    /// Writes the terminal event if it was not written yet: `response.completed` (or
    /// `response.incomplete`) after a `Finish`, `response.failed` when the stream ended
    /// without one. Open blocks are closed first.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.start(out);
        let mut open: Vec<usize> = self
            .blocks
            .iter()
            .filter(|(_, b)| b.open)
            .map(|(i, _)| *i)
            .collect();
        open.sort_unstable();
        for index in open {
            self.block_stop(index, out);
        }
        match self.stop.take() {
            Some(stop) => self.terminal(Some(&stop), None, out),
            None => self.terminal(
                None,
                Some("the upstream stream ended before completion"),
                out,
            ),
        }
    }

    fn start(&mut self, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        for kind in ["response.created", "response.in_progress"] {
            let response = self.response("in_progress", None, None, &[]);
            let mut ev = wire::OutEvent::new(kind, self.seq);
            ev.response = Some(&response);
            write(&ev, out);
            self.seq += 1;
        }
    }

    fn response<'a>(
        &'a self,
        status: &'static str,
        error: Option<wire::OutError<'a>>,
        reason: Option<&'static str>,
        output: &'a [wire::OutItem<'a>],
    ) -> wire::OutResponse<'a> {
        wire::OutResponse {
            id: &self.id,
            object: "response",
            created_at: self.created,
            status,
            error,
            incomplete_details: reason.map(|reason| wire::OutIncomplete { reason }),
            model: &self.model,
            output,
            usage: (status != "in_progress")
                .then_some(self.usage.as_ref().map(usage_to_wire))
                .flatten(),
        }
    }

    fn block_start(&mut self, index: usize, kind: &ir::BlockKind, out: &mut BytesMut) {
        self.start(out);
        if self.blocks.iter().any(|(i, _)| *i == index) {
            return;
        }
        let (prefix, kind) = match kind {
            ir::BlockKind::Text => (
                "msg_",
                BlockKind::Text {
                    text: String::new(),
                },
            ),
            ir::BlockKind::Thinking => (
                "rs_",
                BlockKind::Thinking {
                    text: String::new(),
                    part_open: false,
                    signature: None,
                },
            ),
            ir::BlockKind::ToolCall { id, name } => {
                let (namespace, name) = split_namespace(&self.namespaces, name);
                (
                    "fc_",
                    BlockKind::Call {
                        call_id: id.clone(),
                        name: name.to_owned(),
                        namespace: namespace.map(str::to_owned),
                        arguments: String::new(),
                    },
                )
            }
            ir::BlockKind::RedactedThinking { .. } => ("", BlockKind::Ignored),
        };
        let ignored = matches!(kind, BlockKind::Ignored);
        let output_index = if ignored { 0 } else { self.next_output };
        let block = Block {
            output_index,
            item_id: if ignored {
                String::new()
            } else {
                ids::tool_call_id(prefix, &self.id, output_index)
            },
            kind,
            open: !ignored,
        };
        if !ignored {
            self.next_output += 1;
            let item = added_item(&block);
            let mut ev = wire::OutEvent::new("response.output_item.added", bump(&mut self.seq));
            ev.output_index = Some(block.output_index);
            ev.item = Some(&item);
            write(&ev, out);
            if let BlockKind::Text { .. } = block.kind {
                let mut ev =
                    wire::OutEvent::new("response.content_part.added", bump(&mut self.seq));
                ev.item_id = Some(&block.item_id);
                ev.output_index = Some(block.output_index);
                ev.content_index = Some(0);
                ev.part = Some(wire::OutEventPart::OutputText {
                    text: "",
                    annotations: wire::EmptyList,
                });
                write(&ev, out);
            }
        }
        self.blocks.push((index, block));
    }

    fn delta(&mut self, index: usize, delta: &ir::Delta, out: &mut BytesMut) {
        let Self { blocks, seq, .. } = self;
        let Some((_, block)) = blocks.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        if !block.open {
            return;
        }
        let id = block.item_id.as_str();
        let oi = Some(block.output_index);
        match (&mut block.kind, delta) {
            (BlockKind::Text { text }, ir::Delta::Text(d)) => {
                text.push_str(d);
                let mut ev = wire::OutEvent::new("response.output_text.delta", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.content_index = Some(0);
                ev.delta = Some(d);
                ev.logprobs = Some(wire::EmptyList);
                write(&ev, out);
            }
            (
                BlockKind::Thinking {
                    text, part_open, ..
                },
                ir::Delta::Thinking(d),
            ) => {
                text.push_str(d);
                if !*part_open {
                    *part_open = true;
                    let mut ev =
                        wire::OutEvent::new("response.reasoning_summary_part.added", bump(seq));
                    ev.item_id = Some(id);
                    ev.output_index = oi;
                    ev.summary_index = Some(0);
                    ev.part = Some(wire::OutEventPart::SummaryText { text: "" });
                    write(&ev, out);
                }
                let mut ev =
                    wire::OutEvent::new("response.reasoning_summary_text.delta", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.summary_index = Some(0);
                ev.delta = Some(d);
                write(&ev, out);
            }
            (BlockKind::Thinking { signature, .. }, ir::Delta::Signature(sig)) => {
                *signature = Some(sig.clone());
            }
            (BlockKind::Call { arguments, .. }, ir::Delta::ToolArguments(d)) => {
                arguments.push_str(d);
                let mut ev =
                    wire::OutEvent::new("response.function_call_arguments.delta", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.delta = Some(d);
                write(&ev, out);
            }
            _ => {}
        }
    }

    fn block_stop(&mut self, index: usize, out: &mut BytesMut) {
        let Self {
            blocks,
            seq,
            done_items,
            ..
        } = self;
        let Some((_, block)) = blocks.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        if !block.open {
            return;
        }
        block.open = false;
        let block = &*block;
        let id = block.item_id.as_str();
        let oi = Some(block.output_index);
        match &block.kind {
            BlockKind::Text { text } => {
                let mut ev = wire::OutEvent::new("response.output_text.done", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.content_index = Some(0);
                ev.text = Some(text);
                ev.logprobs = Some(wire::EmptyList);
                write(&ev, out);
                let mut ev = wire::OutEvent::new("response.content_part.done", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.content_index = Some(0);
                ev.part = Some(wire::OutEventPart::OutputText {
                    text,
                    annotations: wire::EmptyList,
                });
                write(&ev, out);
            }
            BlockKind::Thinking {
                text,
                part_open: true,
                ..
            } => {
                let mut ev = wire::OutEvent::new("response.reasoning_summary_text.done", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.summary_index = Some(0);
                ev.text = Some(text);
                write(&ev, out);
                let mut ev = wire::OutEvent::new("response.reasoning_summary_part.done", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.summary_index = Some(0);
                ev.part = Some(wire::OutEventPart::SummaryText { text });
                write(&ev, out);
            }
            BlockKind::Call {
                name, arguments, ..
            } => {
                let mut ev =
                    wire::OutEvent::new("response.function_call_arguments.done", bump(seq));
                ev.item_id = Some(id);
                ev.output_index = oi;
                ev.arguments = Some(arguments);
                ev.name = Some(name);
                write(&ev, out);
            }
            BlockKind::Thinking { .. } | BlockKind::Ignored => {}
        }
        let done = done_item(block, "completed");
        let mut ev = wire::OutEvent::new("response.output_item.done", bump(seq));
        ev.output_index = oi;
        ev.item = Some(&done);
        write(&ev, out);
        if let Ok(raw) = serde_json::value::to_raw_value(&done) {
            done_items.push((block.output_index, raw));
        }
    }

    /// The upstream failed mid-stream: the items still open go into the final response as
    /// far as they got, with status `incomplete` (no `.done` events: they never finished).
    fn keep_open_items(&mut self) {
        let Self {
            blocks, done_items, ..
        } = self;
        for (_, block) in blocks.iter_mut().filter(|(_, b)| b.open) {
            block.open = false;
            if let Ok(raw) = serde_json::value::to_raw_value(&done_item(block, "incomplete")) {
                done_items.push((block.output_index, raw));
            }
        }
    }

    /// `response.completed` / `response.incomplete` for a stop reason, or `response.failed`.
    fn terminal(&mut self, stop: Option<&ir::StopReason>, error: Option<&str>, out: &mut BytesMut) {
        self.finished = true;
        self.done_items.sort_by_key(|(i, _)| *i);
        let items: Vec<wire::OutItem<'_>> = self
            .done_items
            .iter()
            .map(|(_, raw)| wire::OutItem::Raw(raw))
            .collect();
        let (kind, status, reason) = match (stop, error) {
            (_, Some(_)) | (None, None) => ("response.failed", "failed", None),
            (Some(stop), None) => match status_for_stop(stop) {
                ("completed", _) => ("response.completed", "completed", None),
                (_, reason) => ("response.incomplete", "incomplete", reason),
            },
        };
        let response = self.response(
            status,
            error.map(|message| wire::OutError {
                code: "server_error",
                message,
            }),
            reason,
            &items,
        );
        let mut ev = wire::OutEvent::new(kind, self.seq);
        ev.response = Some(&response);
        write(&ev, out);
        self.seq += 1;
    }
}

/// Takes the next sequence number.
fn bump(seq: &mut u64) -> u64 {
    let n = *seq;
    *seq += 1;
    n
}

/// Appends one event frame (`event:` is the type, `data:` the JSON).
fn write(event: &wire::OutEvent<'_>, out: &mut BytesMut) {
    json::write_sse(Some(event.kind), event, out);
}

/// The item as `response.output_item.added` shows it: in progress and empty.
fn added_item(block: &Block) -> wire::OutItem<'_> {
    match &block.kind {
        BlockKind::Text { .. } => wire::OutItem::Message(wire::OutMessage {
            kind: "message",
            id: Some(&block.item_id),
            status: Some("in_progress"),
            role: "assistant",
            content: Vec::new(),
        }),
        BlockKind::Call {
            call_id,
            name,
            namespace,
            ..
        } => wire::OutItem::FunctionCall(wire::OutFunctionCall {
            kind: "function_call",
            id: Some(&block.item_id),
            status: Some("in_progress"),
            call_id,
            name,
            namespace: namespace.as_deref(),
            arguments: "",
        }),
        BlockKind::Thinking { .. } | BlockKind::Ignored => {
            wire::OutItem::Reasoning(wire::OutReasoningItem {
                kind: "reasoning",
                id: &block.item_id,
                status: None,
                summary: Vec::new(),
                encrypted_content: None,
            })
        }
    }
}

/// The item as `response.output_item.done` and the final response show it, with `status`
/// (`completed`, or `incomplete` when the stream failed while it was open).
fn done_item<'a>(block: &'a Block, status: &'static str) -> wire::OutItem<'a> {
    match &block.kind {
        BlockKind::Text { text } => wire::OutItem::Message(wire::OutMessage {
            kind: "message",
            id: Some(&block.item_id),
            status: Some(status),
            role: "assistant",
            content: vec![wire::OutPart::OutputText {
                text,
                annotations: wire::EmptyList,
            }],
        }),
        BlockKind::Thinking {
            text, signature, ..
        } => match reasoning_item(&block.item_id, text, signature.as_ref()) {
            wire::OutItem::Reasoning(mut item) if status != "completed" => {
                item.status = Some(status);
                wire::OutItem::Reasoning(item)
            }
            item => item,
        },
        BlockKind::Call {
            call_id,
            name,
            namespace,
            arguments,
        } => wire::OutItem::FunctionCall(wire::OutFunctionCall {
            kind: "function_call",
            id: Some(&block.item_id),
            status: Some(status),
            call_id,
            name,
            namespace: namespace.as_deref(),
            arguments,
        }),
        BlockKind::Ignored => wire::OutItem::Reasoning(wire::OutReasoningItem {
            kind: "reasoning",
            id: &block.item_id,
            status: None,
            summary: Vec::new(),
            encrypted_content: None,
        }),
    }
}
