//! Responses SSE from an upstream (Codex, OpenAI) decoded into IR stream events. Output items
//! are matched by `item_id`, falling back to `output_index`; every text, reasoning item and
//! function call becomes one IR block, numbered in opening order. No I/O.

use super::{
    names::ToolNames, qualify, response::call_id, stop_from_status, thinking_from_item, upstream,
    usage_from_wire, wire, SUMMARY_JOIN,
};
use crate::error::Error;
use crate::ir;
use crate::protocol::sse;

/// Turns upstream Responses stream events into IR events.
///
/// A message's `output_text` parts each become a Text block, opened on their first delta; a
/// reasoning item is a Thinking block opened at `response.output_item.added` whose summary
/// parts are joined with a blank line and whose complete item (from
/// `response.output_item.done`, when it carries `encrypted_content`) arrives as a
/// `Delta::Signature { origin: Responses, value: <raw item JSON> }` just before the block
/// stops; a function call is a ToolCall block. Text that only shows up in a `*.done` event or
/// in the final `response` (servers that skip deltas) is still emitted, once.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// `Start` was emitted.
    started: bool,
    /// `Finish` or `Error` was emitted: later events are ignored.
    done: bool,
    /// The next IR block index.
    next_block: usize,
    /// The upstream's output items seen so far.
    items: Vec<Item>,
    /// A function call was seen (the stop reason is then `ToolUse`).
    saw_call: bool,
    /// Tool names shortened for the upstream, mapped back for the client.
    names: ToolNames,
}

/// One upstream output item.
#[derive(Debug)]
struct Item {
    output_index: Option<u64>,
    id: Option<String>,
    kind: ItemKind,
    /// `response.output_item.done` was handled.
    done: bool,
}

#[derive(Debug)]
enum ItemKind {
    /// A message: its text parts.
    Message(Vec<Part>),
    /// A reasoning item.
    Reasoning(Reasoning),
    /// A function call.
    Call(Block),
    /// Anything else (hosted tool calls): ignored.
    Other,
}

/// An IR block fed by one upstream stream of text.
#[derive(Debug)]
struct Block {
    index: usize,
    open: bool,
    /// Bytes emitted so far.
    emitted: usize,
}

/// A message content part.
#[derive(Debug)]
struct Part {
    content_index: u64,
    block: Block,
}

/// A reasoning item's block and where its summary stands.
#[derive(Debug)]
struct Reasoning {
    block: Block,
    /// The summary part being streamed.
    summary: Option<u64>,
    /// Bytes emitted for that part.
    part_emitted: usize,
}

impl StreamDecoder {
    /// A decoder for one upstream stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps the tool names of calls back to the client's ([`ToolNames::for_request`] of the
    /// request sent to Codex).
    pub fn with_tool_names(mut self, names: ToolNames) -> Self {
        self.names = names;
        self
    }

    /// Decodes one SSE event. Comments, `[DONE]` and unknown event types produce nothing.
    ///
    /// # Errors
    /// `UpstreamProtocol` when the event's data is not JSON.
    pub fn push(&mut self, ev: &sse::Event<'_>, out: &mut Vec<ir::Event>) -> Result<(), Error> {
        let data = ev.data.trim();
        if self.done || ev.is_comment_only || data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let mut event = wire::StreamEvent::default();
        wire::StreamEvent::read(data, &mut event)
            .map_err(|e| upstream(format!("malformed Responses stream event: {e}")))?;
        let kind = event.kind.as_deref().or(ev.event).unwrap_or_default();
        match kind {
            "response.created" | "response.in_progress" | "response.queued" => {
                self.start(event.response.as_ref(), out);
            }
            "response.output_item.added" => self.item_added(&event, out)?,
            "response.output_text.delta" | "response.refusal.delta" => {
                if let Some(delta) = event.delta.as_deref() {
                    self.text(&event, delta, false, out);
                }
            }
            "response.output_text.done" | "response.refusal.done" => {
                if let Some(text) = event.text.as_deref() {
                    self.text(&event, text, true, out);
                }
            }
            "response.content_part.done" => self.part_done(&event, out),
            "response.reasoning_summary_part.added" => {
                let i = self.reasoning(&event, out);
                self.summary_part(i, event.summary_index, out);
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                if let Some(delta) = event.delta.as_deref() {
                    let i = self.reasoning(&event, out);
                    if kind == "response.reasoning_summary_text.delta" {
                        self.summary_part(i, event.summary_index, out);
                    }
                    self.reasoning_text(i, delta, false, out);
                }
            }
            "response.reasoning_summary_text.done" => {
                if let Some(text) = event.text.as_deref() {
                    let i = self.reasoning(&event, out);
                    self.summary_part(i, event.summary_index, out);
                    self.reasoning_text(i, text, true, out);
                }
            }
            "response.function_call_arguments.delta" => {
                if let Some(delta) = event.delta.as_deref() {
                    self.arguments(&event, delta, false, out);
                }
            }
            "response.function_call_arguments.done" => {
                if let Some(args) = event.arguments.as_deref() {
                    self.arguments(&event, args, true, out);
                }
            }
            "response.output_item.done" => self.item_done(&event, out)?,
            "response.completed" | "response.incomplete" => {
                self.completed(kind, event.response.as_ref(), out)?;
            }
            "response.failed" => {
                let message = event
                    .response
                    .as_ref()
                    .and_then(|r| r.error.as_ref())
                    .and_then(|e| e.message.as_deref())
                    .unwrap_or("the upstream response failed");
                self.fail(message, out);
            }
            "error" => {
                let message = event
                    .message
                    .as_deref()
                    .or(event.error.as_ref().and_then(|e| e.message.as_deref()))
                    .unwrap_or("the upstream reported an error");
                self.fail(message, out);
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the stream. A Responses stream must end with `response.completed` (or
    /// `incomplete` / `failed`); one that did not is cut short, so open blocks are closed and
    /// an `Error` — "stream disconnected before completion" — is emitted rather than a
    /// `Finish` that would pass a truncated answer off as complete.
    pub fn finish(&mut self, out: &mut Vec<ir::Event>) {
        if self.done {
            return;
        }
        self.close_all(out);
        self.fail("stream disconnected before completion", out);
    }

    fn start(&mut self, response: Option<&wire::Response<'_>>, out: &mut Vec<ir::Event>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push(ir::Event::Start {
            id: response
                .and_then(|r| r.id.as_deref())
                .unwrap_or_default()
                .to_owned(),
            model: response
                .and_then(|r| r.model.as_deref())
                .unwrap_or_default()
                .to_owned(),
        });
    }

    fn fail(&mut self, message: &str, out: &mut Vec<ir::Event>) {
        self.start(None, out);
        self.done = true;
        out.push(ir::Event::Error {
            message: message.to_owned(),
        });
    }

    fn open_block(&mut self, kind: ir::BlockKind, out: &mut Vec<ir::Event>) -> Block {
        self.start(None, out);
        let index = self.next_block;
        self.next_block += 1;
        out.push(ir::Event::BlockStart { index, kind });
        Block {
            index,
            open: true,
            emitted: 0,
        }
    }

    /// The item an event refers to: by `item_id`, else by `output_index`.
    fn find(&self, item_id: Option<&str>, output_index: Option<u64>) -> Option<usize> {
        if let Some(id) = item_id.filter(|id| !id.is_empty()) {
            if let Some(i) = self
                .items
                .iter()
                .position(|it| it.id.as_deref() == Some(id))
            {
                return Some(i);
            }
        }
        let index = output_index?;
        self.items
            .iter()
            .position(|it| it.output_index == Some(index))
    }

    fn find_event(&self, event: &wire::StreamEvent<'_>) -> Option<usize> {
        self.find(event.item_id.as_deref(), event.output_index)
    }

    /// Registers an item; reasoning and calls open their block now, messages on first text.
    fn add_item(
        &mut self,
        item: &wire::Item<'_>,
        output_index: Option<u64>,
        out: &mut Vec<ir::Event>,
    ) -> usize {
        let kind = match item.kind.as_deref() {
            Some("message") => ItemKind::Message(Vec::new()),
            Some("reasoning") => ItemKind::Reasoning(Reasoning {
                block: self.open_block(ir::BlockKind::Thinking, out),
                summary: None,
                part_emitted: 0,
            }),
            Some("function_call") => {
                self.saw_call = true;
                let position = self.items.len();
                let id = call_id(item, "", position);
                let name = qualify(
                    item.namespace.as_deref(),
                    item.name.as_deref().unwrap_or_default(),
                );
                let name = self.names.restore(&name).to_owned();
                let mut block = self.open_block(ir::BlockKind::ToolCall { id, name }, out);
                if let Some(args) = item.arguments.as_deref().filter(|a| !a.is_empty()) {
                    block.emitted = args.len();
                    out.push(ir::Event::Delta {
                        index: block.index,
                        delta: ir::Delta::ToolArguments(args.to_owned()),
                    });
                }
                ItemKind::Call(block)
            }
            _ => ItemKind::Other,
        };
        self.items.push(Item {
            output_index,
            id: item.id.as_deref().map(str::to_owned),
            kind,
            done: false,
        });
        self.items.len() - 1
    }

    fn item_added(
        &mut self,
        event: &wire::StreamEvent<'_>,
        out: &mut Vec<ir::Event>,
    ) -> Result<(), Error> {
        let Some(raw) = event.item else {
            return Ok(());
        };
        let item: wire::Item<'_> = serde_json::from_str(raw.get())
            .map_err(|e| upstream(format!("malformed Responses output item: {e}")))?;
        if self.find(item.id.as_deref(), event.output_index).is_none() {
            self.add_item(&item, event.output_index, out);
        }
        Ok(())
    }

    /// The message item an event refers to, registered on the fly if it was never added.
    fn message(&mut self, event: &wire::StreamEvent<'_>) -> Option<usize> {
        if let Some(i) = self.find_event(event) {
            return matches!(self.items.get(i)?.kind, ItemKind::Message(_)).then_some(i);
        }
        self.items.push(Item {
            output_index: event.output_index,
            id: event.item_id.as_deref().map(str::to_owned),
            kind: ItemKind::Message(Vec::new()),
            done: false,
        });
        Some(self.items.len() - 1)
    }

    /// Text for a message part: a delta, or (`whole`) the part's full text.
    fn text(
        &mut self,
        event: &wire::StreamEvent<'_>,
        text: &str,
        whole: bool,
        out: &mut Vec<ir::Event>,
    ) {
        let Some(i) = self.message(event) else {
            return;
        };
        self.part_text(i, event.content_index.unwrap_or(0), text, whole, out);
    }

    fn part_text(
        &mut self,
        item: usize,
        content_index: u64,
        text: &str,
        whole: bool,
        out: &mut Vec<ir::Event>,
    ) {
        let exists = match self.items.get(item).map(|it| &it.kind) {
            Some(ItemKind::Message(parts)) => {
                parts.iter().any(|p| p.content_index == content_index)
            }
            _ => return,
        };
        if !exists {
            if text.is_empty() {
                return;
            }
            let block = self.open_block(ir::BlockKind::Text, out);
            if let Some(Item {
                kind: ItemKind::Message(parts),
                ..
            }) = self.items.get_mut(item)
            {
                parts.push(Part {
                    content_index,
                    block,
                });
            }
        }
        let Some(Item {
            kind: ItemKind::Message(parts),
            ..
        }) = self.items.get_mut(item)
        else {
            return;
        };
        if let Some(part) = parts.iter_mut().find(|p| p.content_index == content_index) {
            emit(&mut part.block, text, whole, ir::Delta::Text, out);
        }
    }

    fn part_done(&mut self, event: &wire::StreamEvent<'_>, out: &mut Vec<ir::Event>) {
        let Some(i) = self.find_event(event) else {
            return;
        };
        let content_index = event.content_index.unwrap_or(0);
        if let Some(part) = &event.part {
            let text = match part.kind.as_deref() {
                Some("refusal") => part.refusal.as_deref(),
                _ => part.text.as_deref(),
            };
            if let Some(text) = text {
                self.part_text(i, content_index, text, true, out);
            }
        }
        if let Some(Item {
            kind: ItemKind::Message(parts),
            ..
        }) = self.items.get_mut(i)
        {
            if let Some(part) = parts.iter_mut().find(|p| p.content_index == content_index) {
                close(&mut part.block, out);
            }
        }
    }

    /// The reasoning item an event refers to, opened on the fly if it was never added.
    fn reasoning(&mut self, event: &wire::StreamEvent<'_>, out: &mut Vec<ir::Event>) -> usize {
        if let Some(i) = self.find_event(event) {
            return i;
        }
        let block = self.open_block(ir::BlockKind::Thinking, out);
        self.items.push(Item {
            output_index: event.output_index,
            id: event.item_id.as_deref().map(str::to_owned),
            kind: ItemKind::Reasoning(Reasoning {
                block,
                summary: None,
                part_emitted: 0,
            }),
            done: false,
        });
        self.items.len() - 1
    }

    /// Moves a reasoning item to summary part `index`, separating it from the previous one.
    fn summary_part(&mut self, item: usize, index: Option<u64>, out: &mut Vec<ir::Event>) {
        let Some(Item {
            kind: ItemKind::Reasoning(r),
            ..
        }) = self.items.get_mut(item)
        else {
            return;
        };
        let index = index.unwrap_or(0);
        if r.summary == Some(index) {
            return;
        }
        if r.summary.is_some() && r.block.emitted > 0 {
            emit(&mut r.block, SUMMARY_JOIN, false, ir::Delta::Thinking, out);
        }
        r.summary = Some(index);
        r.part_emitted = 0;
    }

    fn reasoning_text(&mut self, item: usize, text: &str, whole: bool, out: &mut Vec<ir::Event>) {
        let Some(Item {
            kind: ItemKind::Reasoning(r),
            ..
        }) = self.items.get_mut(item)
        else {
            return;
        };
        if whole && r.part_emitted > 0 {
            return;
        }
        if r.block.open && !text.is_empty() {
            r.part_emitted += text.len();
            emit(&mut r.block, text, false, ir::Delta::Thinking, out);
        }
    }

    fn arguments(
        &mut self,
        event: &wire::StreamEvent<'_>,
        text: &str,
        whole: bool,
        out: &mut Vec<ir::Event>,
    ) {
        let Some(i) = self.find_event(event) else {
            return;
        };
        if let Some(Item {
            kind: ItemKind::Call(block),
            ..
        }) = self.items.get_mut(i)
        {
            emit(block, text, whole, ir::Delta::ToolArguments, out);
        }
    }

    fn item_done(
        &mut self,
        event: &wire::StreamEvent<'_>,
        out: &mut Vec<ir::Event>,
    ) -> Result<(), Error> {
        let Some(raw) = event.item else {
            return Ok(());
        };
        let item: wire::Item<'_> = serde_json::from_str(raw.get())
            .map_err(|e| upstream(format!("malformed Responses output item: {e}")))?;
        let i = match self.find(item.id.as_deref(), event.output_index) {
            Some(i) => i,
            None => self.add_item(&item, event.output_index, out),
        };
        self.complete_item(i, &item, raw.get(), out)
    }

    /// Emits what an item's final form adds to what was streamed, then closes its blocks.
    fn complete_item(
        &mut self,
        i: usize,
        item: &wire::Item<'_>,
        raw: &str,
        out: &mut Vec<ir::Event>,
    ) -> Result<(), Error> {
        if self.items.get(i).is_none_or(|it| it.done) {
            return Ok(());
        }
        match self.items.get(i).map(|it| &it.kind) {
            Some(ItemKind::Message(_)) => {
                let parts: Vec<wire::ContentPart<'_>> = match item.content {
                    Some(c) if c.get().starts_with('[') => serde_json::from_str(c.get())
                        .map_err(|e| upstream(format!("malformed message content: {e}")))?,
                    _ => Vec::new(),
                };
                for (j, part) in (0u64..).zip(&parts) {
                    let text = match part.kind.as_deref() {
                        Some("output_text") => part.text.as_deref(),
                        Some("refusal") => part.refusal.as_deref(),
                        _ => None,
                    };
                    if let Some(text) = text {
                        self.part_text(i, j, text, true, out);
                    }
                }
            }
            Some(ItemKind::Reasoning(_)) => {
                let full = match thinking_from_item(item, raw) {
                    ir::Block::Thinking { text, signature } => Some((text, signature)),
                    _ => None,
                };
                if let (
                    Some((text, signature)),
                    Some(Item {
                        kind: ItemKind::Reasoning(r),
                        ..
                    }),
                ) = (full, self.items.get_mut(i))
                {
                    emit(&mut r.block, &text, true, ir::Delta::Thinking, out);
                    if let Some(signature) = signature.filter(|_| r.block.open) {
                        out.push(ir::Event::Delta {
                            index: r.block.index,
                            delta: ir::Delta::Signature(signature),
                        });
                    }
                }
            }
            Some(ItemKind::Call(_)) => {
                if let Some(Item {
                    kind: ItemKind::Call(block),
                    ..
                }) = self.items.get_mut(i)
                {
                    emit(
                        block,
                        item.arguments.as_deref().unwrap_or_default(),
                        true,
                        ir::Delta::ToolArguments,
                        out,
                    );
                }
            }
            Some(ItemKind::Other) | None => {}
        }
        if let Some(it) = self.items.get_mut(i) {
            it.done = true;
            close_item(&mut it.kind, out);
        }
        Ok(())
    }

    fn completed(
        &mut self,
        kind: &str,
        response: Option<&wire::Response<'_>>,
        out: &mut Vec<ir::Event>,
    ) -> Result<(), Error> {
        self.start(response, out);
        // Items that only the final response carries (no item events were streamed).
        for (index, raw) in (0u64..).zip(
            response
                .and_then(|r| r.output.as_deref())
                .unwrap_or_default(),
        ) {
            let item: wire::Item<'_> = serde_json::from_str(raw.get())
                .map_err(|e| upstream(format!("malformed Responses output item: {e}")))?;
            let i = match self.find(item.id.as_deref(), Some(index)) {
                Some(i) => i,
                None => self.add_item(&item, Some(index), out),
            };
            self.complete_item(i, &item, raw.get(), out)?;
        }
        self.close_all(out);
        if let Some(usage) = response.and_then(|r| r.usage.as_ref()) {
            out.push(ir::Event::Usage(usage_from_wire(usage)));
        }
        let status = response
            .and_then(|r| r.status.as_deref())
            .or((kind == "response.incomplete").then_some("incomplete"));
        let reason = response
            .and_then(|r| r.incomplete_details.as_ref())
            .and_then(|d| d.reason.as_deref());
        self.done = true;
        out.push(ir::Event::Finish {
            stop: stop_from_status(status, reason, self.saw_call),
        });
        Ok(())
    }

    /// Closes every open block, in index order.
    fn close_all(&mut self, out: &mut Vec<ir::Event>) {
        let mut open: Vec<&mut Block> = Vec::new();
        for item in &mut self.items {
            match &mut item.kind {
                ItemKind::Message(parts) => open.extend(parts.iter_mut().map(|p| &mut p.block)),
                ItemKind::Reasoning(r) => open.push(&mut r.block),
                ItemKind::Call(b) => open.push(b),
                ItemKind::Other => {}
            }
        }
        open.retain(|b| b.open);
        open.sort_by_key(|b| b.index);
        for block in open {
            close(block, out);
        }
    }
}

/// Emits `text` into an open block. A `whole` text (the block's full content, from a `*.done`
/// event or the final item) is emitted only when nothing was streamed: servers that send
/// deltas repeat the same text there, servers that skip deltas send it only there.
fn emit(
    block: &mut Block,
    text: &str,
    whole: bool,
    delta: fn(String) -> ir::Delta,
    out: &mut Vec<ir::Event>,
) {
    if !block.open || text.is_empty() || (whole && block.emitted > 0) {
        return;
    }
    block.emitted += text.len();
    out.push(ir::Event::Delta {
        index: block.index,
        delta: delta(text.to_owned()),
    });
}

fn close(block: &mut Block, out: &mut Vec<ir::Event>) {
    if block.open {
        block.open = false;
        out.push(ir::Event::BlockStop { index: block.index });
    }
}

fn close_item(kind: &mut ItemKind, out: &mut Vec<ir::Event>) {
    match kind {
        ItemKind::Message(parts) => {
            for part in parts {
                close(&mut part.block, out);
            }
        }
        ItemKind::Reasoning(r) => close(&mut r.block, out),
        ItemKind::Call(b) => close(b, out),
        ItemKind::Other => {}
    }
}
