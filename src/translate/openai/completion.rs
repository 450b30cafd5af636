//! The legacy Completions API (`POST /v1/completions`), served through chat: the `prompt`
//! becomes one user message, and the answer's text comes back as `text_completion` bodies or
//! stream chunks. No I/O.

use std::borrow::Cow;

use bytes::BytesMut;
use serde_json::value::RawValue;

use super::stream::{begin_frame, chunk_prefix};
use super::{invalid, usage_to_wire};
use crate::error::Error;
use crate::ir::{self, Block, Event, Role, StopReason};
use crate::protocol::openai::{chat, chat_out, completion};
use crate::protocol::{json, sse};

/// What the reference gateway sends when the prompt is missing or empty.
const DEFAULT_PROMPT: &str = "Complete this:";

/// Decodes a `/v1/completions` body into a one-message chat request.
///
/// `prompt` is a string or an array holding one string (missing or empty: `"Complete this:"`,
/// as the reference gateway does). Rejected (400), because chat cannot honour them: several
/// prompts in one request, token-id prompts, `suffix`, `echo: true` and `best_of > 1`.
/// `logprobs` and `logit_bias` are ignored.
pub fn decode_completion_request(body: &[u8]) -> Result<ir::Request, Error> {
    let wire: completion::Request<'_> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("invalid completion request: {e}")))?;
    let model = match wire.model {
        Some(m) if !m.is_empty() => m,
        _ => return Err(invalid("the request needs a `model` field")),
    };
    if wire.suffix.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(invalid(
            "`suffix` (insertion) is not supported by this endpoint",
        ));
    }
    if wire.echo == Some(true) {
        return Err(invalid("`echo` is not supported by this endpoint"));
    }
    if wire.best_of.is_some_and(|b| b > 1) {
        return Err(invalid("`best_of` is not supported by this endpoint"));
    }
    let prompt = match wire.prompt {
        Some(raw) => prompt_text(raw)?,
        None => String::new(),
    };
    let prompt = if prompt.is_empty() {
        DEFAULT_PROMPT.to_owned()
    } else {
        prompt
    };
    Ok(ir::Request {
        model,
        messages: vec![ir::Message {
            role: Role::User,
            content: vec![Block::Text(prompt)],
        }],
        sampling: ir::Sampling {
            temperature: wire.temperature,
            top_p: wire.top_p,
            max_tokens: wire.max_tokens,
            stop: match wire.stop {
                Some(chat::TextOr::Text(s)) => vec![s.into_owned()],
                Some(chat::TextOr::List(v)) => v,
                None => Vec::new(),
            },
            seed: wire.seed,
            presence_penalty: wire.presence_penalty,
            frequency_penalty: wire.frequency_penalty,
            ..ir::Sampling::default()
        },
        stream: wire.stream.unwrap_or(false),
        n: wire.n,
        user: wire.user,
        ..ir::Request::default()
    })
}

fn prompt_text(raw: &RawValue) -> Result<String, Error> {
    if let Ok(text) = serde_json::from_str::<Cow<'_, str>>(raw.get()) {
        return Ok(text.into_owned());
    }
    if raw.get() == "null" {
        return Ok(String::new());
    }
    match serde_json::from_str::<Vec<String>>(raw.get()) {
        Ok(list) => match <[String; 1]>::try_from(list) {
            Ok([one]) => Ok(one),
            Err(list) if list.is_empty() => Ok(String::new()),
            Err(_) => Err(invalid(
                "several prompts in one request are not supported; send one prompt per request",
            )),
        },
        Err(_) => Err(invalid(
            "`prompt` must be a string (token-id prompts are not supported)",
        )),
    }
}

/// The legacy `finish_reason`: the API has no tools, so only length and filtering differ
/// from `stop`.
fn finish_reason(stop: &StopReason) -> &'static str {
    match stop {
        StopReason::MaxTokens => "length",
        StopReason::ContentFilter | StopReason::Refusal => "content_filter",
        _ => "stop",
    }
}

/// Encodes `resp` as a `text_completion` body: the text blocks concatenated; thinking and
/// anything else dropped (the legacy API has no place for them).
pub fn encode_completion_response(resp: &ir::Response) -> Vec<u8> {
    let texts: Vec<&str> = resp
        .content
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let text = match texts.as_slice() {
        [one] => Cow::Borrowed(*one),
        many => Cow::Owned(many.concat()),
    };
    let body = completion::Completion {
        id: &resp.id,
        object: "text_completion",
        created: resp.created,
        model: &resp.model,
        choices: [completion::Choice {
            text,
            index: 0,
            logprobs: None,
            finish_reason: Some(finish_reason(&resp.stop)),
        }],
        usage: Some(usage_to_wire(&resp.usage)),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// IR events → legacy `text_completion` stream chunks: each text delta a chunk with `text`,
/// `Finish` a chunk with an empty text and `finish_reason`, then (when the client asked) a
/// usage chunk with empty `choices`, then `data: [DONE]`. Thinking and tool calls are not
/// sent. Errors are sent as chat streams send them.
#[derive(Debug)]
pub struct CompletionStreamEncoder {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    prefix: Vec<u8>,
    usage: Option<ir::Usage>,
    finish_sent: bool,
    errored: bool,
    done: bool,
}

impl CompletionStreamEncoder {
    /// An encoder for one response shown to the client as `model`, with id `id` (when
    /// empty, the upstream's id from `Start` is used).
    pub fn new(model: &str, id: &str) -> Self {
        CompletionStreamEncoder {
            id: id.to_owned(),
            model: model.to_owned(),
            created: 0,
            include_usage: true,
            prefix: Vec::new(),
            usage: None,
            finish_sent: false,
            errored: false,
            done: false,
        }
    }

    /// Whether to send the final usage chunk (`stream_options.include_usage`; default true).
    pub fn with_usage(mut self, include: bool) -> Self {
        self.include_usage = include;
        self
    }

    /// The `created` timestamp every chunk carries (default 0).
    pub fn with_created(mut self, created: u64) -> Self {
        self.created = created;
        self.prefix.clear();
        self
    }

    /// Encodes one IR event into `out`.
    pub fn push(&mut self, ev: &Event, out: &mut BytesMut) {
        if self.done {
            return;
        }
        match ev {
            Event::Start { id, .. } if self.id.is_empty() && !id.is_empty() => {
                self.id = id.clone();
                self.prefix.clear();
            }
            Event::Delta {
                delta: ir::Delta::Text(text),
                ..
            } if !text.is_empty() => {
                self.begin_frame(out);
                json::write_str(out, text);
                out.extend_from_slice(
                    b",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n",
                );
            }
            Event::Usage(usage) => self.usage = Some(*usage),
            Event::Finish { stop } if !self.finish_sent && !self.errored => {
                self.finish_frame(finish_reason(stop), out);
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
            _ => {}
        }
    }

    /// Ends the stream: the `finish_reason` chunk if none was sent, the usage chunk when
    /// asked for, then `data: [DONE]`. Later calls do nothing.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.done {
            return;
        }
        if !self.errored {
            if !self.finish_sent {
                self.finish_frame("stop", out);
            }
            if let (true, Some(usage)) = (self.include_usage, self.usage) {
                let chunk = chat_out::UsageChunk {
                    id: &self.id,
                    object: "text_completion",
                    created: self.created,
                    model: &self.model,
                    choices: [],
                    usage: usage_to_wire(&usage),
                };
                json::write_sse(None, &chunk, out);
            }
        }
        sse::encode(None, "[DONE]", out);
        self.done = true;
    }

    fn finish_frame(&mut self, reason: &'static str, out: &mut BytesMut) {
        self.finish_sent = true;
        self.begin_frame(out);
        out.extend_from_slice(br#""","index":0,"logprobs":null,"finish_reason":""#);
        out.extend_from_slice(reason.as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
    }

    fn begin_frame(&mut self, out: &mut BytesMut) {
        if self.prefix.is_empty() {
            self.prefix = chunk_prefix(
                "text_completion",
                &self.id,
                self.created,
                &self.model,
                br#""text":"#,
            );
        }
        begin_frame(&self.prefix, out);
    }
}
