//! Builds a complete (non-stream) IR response from IR stream events, for clients that asked
//! for no stream from upstreams that only stream well (Codex always streams). Generic over
//! formats: it reads only IR events. Pure; no I/O, no clock (the caller stamps `created`).

use crate::error::{Error, Kind};
use crate::ir;

/// The message when a stream ends without its terminal event (REFERENCE §2.2).
pub const DISCONNECTED: &str = "stream disconnected before completion";

/// Collects stream events into one [`ir::Response`].
///
/// Blocks are kept by index, so events may interleave; deltas for a block that never started
/// open one of the delta's kind. The last `Usage` and the last signature win.
#[derive(Debug)]
pub struct Aggregator {
    upstream: ir::Family,
    id: Option<String>,
    model: Option<String>,
    blocks: Vec<Option<Partial>>,
    usage: ir::Usage,
    stop: Option<ir::StopReason>,
    error: Option<String>,
}

/// A block being assembled.
#[derive(Debug)]
enum Partial {
    Text(String),
    Thinking {
        text: String,
        signature: Option<ir::Signature>,
    },
    ToolCall {
        id: String,
        name: String,
        arguments: String,
    },
    Redacted(String),
}

impl Aggregator {
    /// An aggregator for a stream from an `upstream` of this family (the origin of any redacted
    /// thinking it carries, which the stream events do not name).
    pub fn new(upstream: ir::Family) -> Self {
        Aggregator {
            upstream,
            id: None,
            model: None,
            blocks: Vec::new(),
            usage: ir::Usage::default(),
            stop: None,
            error: None,
        }
    }

    /// Takes one event.
    pub fn push(&mut self, ev: &ir::Event) {
        match ev {
            ir::Event::Start { id, model } => {
                self.id.get_or_insert_with(|| id.clone());
                self.model.get_or_insert_with(|| model.clone());
            }
            ir::Event::BlockStart { index, kind } => {
                let partial = match kind {
                    ir::BlockKind::Text => Partial::Text(String::new()),
                    ir::BlockKind::Thinking => Partial::Thinking {
                        text: String::new(),
                        signature: None,
                    },
                    ir::BlockKind::ToolCall { id, name } => Partial::ToolCall {
                        id: id.clone(),
                        name: name.clone(),
                        arguments: String::new(),
                    },
                    ir::BlockKind::RedactedThinking { data } => Partial::Redacted(data.clone()),
                };
                if let Some(slot) = self.slot(*index) {
                    if slot.is_none() {
                        *slot = Some(partial);
                    }
                }
            }
            ir::Event::Delta { index, delta } => self.delta(*index, delta),
            ir::Event::BlockStop { .. } => {}
            ir::Event::Usage(usage) => self.usage = *usage,
            ir::Event::Finish { stop } => self.stop = Some(stop.clone()),
            ir::Event::Error { message } => {
                self.error.get_or_insert_with(|| message.clone());
            }
        }
    }

    /// The response; `created` is left at 0 for the caller to stamp.
    ///
    /// # Errors
    /// `UpstreamProtocol` with the upstream's message after an `Error` event, or
    /// [`DISCONNECTED`] when no `Finish` arrived.
    pub fn finish(self) -> Result<ir::Response, Error> {
        if let Some(message) = self.error {
            return Err(Error::new(Kind::UpstreamProtocol, message));
        }
        let Some(stop) = self.stop else {
            return Err(Error::new(Kind::UpstreamProtocol, DISCONNECTED));
        };
        let upstream = self.upstream;
        let content = self
            .blocks
            .into_iter()
            .flatten()
            .map(|p| match p {
                Partial::Text(text) => ir::Block::Text(text),
                Partial::Thinking { text, signature } => ir::Block::Thinking { text, signature },
                Partial::ToolCall {
                    id,
                    name,
                    arguments,
                } => ir::Block::ToolCall {
                    id,
                    name,
                    arguments,
                },
                Partial::Redacted(data) => ir::Block::RedactedThinking {
                    data,
                    origin: upstream,
                },
            })
            .collect();
        Ok(ir::Response {
            id: self.id.unwrap_or_default(),
            model: self.model.unwrap_or_default(),
            created: 0,
            content,
            stop,
            usage: self.usage,
        })
    }

    /// The slot for block `index`, growing the table (a bounded step at a time, so a bogus
    /// huge index cannot allocate without limit).
    fn slot(&mut self, index: usize) -> Option<&mut Option<Partial>> {
        const MAX_STEP: usize = 4096;
        if index >= self.blocks.len() {
            if index - self.blocks.len() > MAX_STEP {
                return None;
            }
            self.blocks.resize_with(index + 1, || None);
        }
        self.blocks.get_mut(index)
    }

    fn delta(&mut self, index: usize, delta: &ir::Delta) {
        let Some(slot) = self.slot(index) else {
            return;
        };
        let partial = slot.get_or_insert_with(|| match delta {
            ir::Delta::Text(_) => Partial::Text(String::new()),
            ir::Delta::Thinking(_) | ir::Delta::Signature(_) => Partial::Thinking {
                text: String::new(),
                signature: None,
            },
            ir::Delta::ToolArguments(_) => Partial::ToolCall {
                id: String::new(),
                name: String::new(),
                arguments: String::new(),
            },
        });
        match (partial, delta) {
            (Partial::Text(text), ir::Delta::Text(d))
            | (Partial::Thinking { text, .. }, ir::Delta::Thinking(d))
            | (
                Partial::ToolCall {
                    arguments: text, ..
                },
                ir::Delta::ToolArguments(d),
            ) => {
                text.push_str(d);
            }
            (Partial::Thinking { signature, .. }, ir::Delta::Signature(s)) => {
                *signature = Some(s.clone());
            }
            _ => {}
        }
    }
}

/// Aggregates a whole event sequence; see [`Aggregator`].
///
/// # Errors
/// As [`Aggregator::finish`].
pub fn aggregate(events: &[ir::Event], upstream: ir::Family) -> Result<ir::Response, Error> {
    let mut agg = Aggregator::new(upstream);
    for ev in events {
        agg.push(ev);
    }
    agg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(index: usize, d: ir::Delta) -> ir::Event {
        ir::Event::Delta { index, delta: d }
    }

    #[test]
    fn builds_blocks_in_index_order_with_usage_and_stop() {
        let sig = ir::Signature {
            origin: ir::Family::Claude,
            value: "sig".into(),
        };
        let events = [
            ir::Event::Start {
                id: "r1".into(),
                model: "m".into(),
            },
            ir::Event::BlockStart {
                index: 0,
                kind: ir::BlockKind::Thinking,
            },
            delta(0, ir::Delta::Thinking("hm".into())),
            delta(0, ir::Delta::Signature(sig.clone())),
            ir::Event::BlockStop { index: 0 },
            ir::Event::BlockStart {
                index: 1,
                kind: ir::BlockKind::Text,
            },
            ir::Event::BlockStart {
                index: 2,
                kind: ir::BlockKind::ToolCall {
                    id: "c1".into(),
                    name: "f".into(),
                },
            },
            delta(1, ir::Delta::Text("He".into())),
            delta(2, ir::Delta::ToolArguments("{\"a\"".into())),
            delta(1, ir::Delta::Text("llo".into())),
            delta(2, ir::Delta::ToolArguments(":1}".into())),
            ir::Event::BlockStop { index: 1 },
            ir::Event::BlockStop { index: 2 },
            ir::Event::BlockStart {
                index: 3,
                kind: ir::BlockKind::RedactedThinking { data: "xx".into() },
            },
            ir::Event::Usage(ir::Usage {
                input: 1,
                ..ir::Usage::default()
            }),
            ir::Event::Usage(ir::Usage {
                input: 10,
                output: 5,
                ..ir::Usage::default()
            }),
            ir::Event::Finish {
                stop: ir::StopReason::ToolUse,
            },
        ];
        let resp = aggregate(&events, ir::Family::Claude).unwrap();
        assert_eq!(resp.id, "r1");
        assert_eq!(resp.model, "m");
        assert_eq!(resp.stop, ir::StopReason::ToolUse);
        assert_eq!(resp.usage.input, 10);
        assert_eq!(resp.usage.output, 5);
        assert_eq!(
            resp.content,
            vec![
                ir::Block::Thinking {
                    text: "hm".into(),
                    signature: Some(sig),
                },
                ir::Block::Text("Hello".into()),
                ir::Block::ToolCall {
                    id: "c1".into(),
                    name: "f".into(),
                    arguments: "{\"a\":1}".into(),
                },
                ir::Block::RedactedThinking {
                    data: "xx".into(),
                    origin: ir::Family::Claude,
                },
            ]
        );
    }

    #[test]
    fn a_stream_without_finish_is_disconnected() {
        let events = [
            ir::Event::Start {
                id: "r".into(),
                model: "m".into(),
            },
            delta(0, ir::Delta::Text("partial".into())),
        ];
        let err = aggregate(&events, ir::Family::Responses).unwrap_err();
        assert_eq!(err.kind, Kind::UpstreamProtocol);
        assert_eq!(err.message, DISCONNECTED);
    }

    #[test]
    fn an_error_event_wins_over_finish() {
        let events = [
            ir::Event::Error {
                message: "overloaded".into(),
            },
            ir::Event::Finish {
                stop: ir::StopReason::EndTurn,
            },
        ];
        let err = aggregate(&events, ir::Family::OpenAi).unwrap_err();
        assert_eq!(err.message, "overloaded");
    }

    #[test]
    fn deltas_without_a_start_open_a_block_and_huge_indexes_are_ignored() {
        let events = [
            delta(0, ir::Delta::Text("a".into())),
            delta(usize::MAX, ir::Delta::Text("b".into())),
            ir::Event::Finish {
                stop: ir::StopReason::EndTurn,
            },
        ];
        let resp = aggregate(&events, ir::Family::OpenAi).unwrap();
        assert_eq!(resp.content, vec![ir::Block::Text("a".into())]);
        assert_eq!(resp.id, "");
    }
}

/// The inverse of aggregation: the event sequence that streams `resp`, for a client that asked
/// for a stream when the upstream answered in one piece. Images, tool results and opaque
/// items have no stream event and are left out.
pub fn replay(resp: &ir::Response) -> Vec<ir::Event> {
    let mut out = vec![ir::Event::Start {
        id: resp.id.clone(),
        model: resp.model.clone(),
    }];
    let mut index = 0usize;
    for block in &resp.content {
        let (kind, deltas) = match block {
            ir::Block::Text(t) => (ir::BlockKind::Text, vec![ir::Delta::Text(t.clone())]),
            ir::Block::Thinking { text, signature } => {
                let mut d = vec![ir::Delta::Thinking(text.clone())];
                if let Some(s) = signature {
                    d.push(ir::Delta::Signature(s.clone()));
                }
                (ir::BlockKind::Thinking, d)
            }
            ir::Block::ToolCall {
                id,
                name,
                arguments,
            } => (
                ir::BlockKind::ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                },
                vec![ir::Delta::ToolArguments(arguments.clone())],
            ),
            ir::Block::RedactedThinking { data, .. } => (
                ir::BlockKind::RedactedThinking { data: data.clone() },
                Vec::new(),
            ),
            ir::Block::Image { .. } | ir::Block::ToolResult { .. } | ir::Block::Opaque { .. } => {
                continue
            }
        };
        out.push(ir::Event::BlockStart { index, kind });
        out.extend(
            deltas
                .into_iter()
                .map(|delta| ir::Event::Delta { index, delta }),
        );
        out.push(ir::Event::BlockStop { index });
        index += 1;
    }
    out.push(ir::Event::Usage(resp.usage));
    out.push(ir::Event::Finish {
        stop: resp.stop.clone(),
    });
    out
}

#[cfg(test)]
mod replay_tests {
    use super::*;

    #[test]
    fn replay_then_aggregate_gives_the_response_back() {
        let resp = ir::Response {
            id: "r1".into(),
            model: "m".into(),
            created: 0,
            content: vec![
                ir::Block::Thinking {
                    text: "hmm".into(),
                    signature: None,
                },
                ir::Block::Text("hi".into()),
                ir::Block::ToolCall {
                    id: "c1".into(),
                    name: "f".into(),
                    arguments: r#"{"a":1}"#.into(),
                },
            ],
            stop: ir::StopReason::ToolUse,
            usage: ir::Usage {
                input: 3,
                output: 4,
                ..ir::Usage::default()
            },
        };
        let events = replay(&resp);
        let back = aggregate(&events, ir::Family::OpenAi).unwrap();
        assert_eq!(back.content, resp.content);
        assert_eq!(back.stop, resp.stop);
        assert_eq!(back.usage, resp.usage);
    }
}
