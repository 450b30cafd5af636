//! Translation between wire formats. Same-format traffic takes the passthrough lane
//! (raw bytes plus targeted patches); everything else goes through the canonical IR with one
//! codec per wire format. This module dispatches on the format. Pure: no I/O, no knowledge of
//! providers.

pub mod aggregate;
pub mod claude;
pub mod count;
pub mod gemini;
pub mod ids;
pub mod openai;
pub mod passthrough;
pub mod payload;
pub mod responses;
pub mod thinking;

use bytes::BytesMut;

use crate::error::Error;
use crate::ir;
use crate::protocol::{sse, Format};

/// The client side of a request: its wire format plus what changes the shape of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientApi {
    /// OpenAI Chat Completions.
    Chat,
    /// OpenAI legacy completions (`prompt`), served through chat.
    Completions,
    /// OpenAI Responses.
    Responses,
    /// Anthropic Messages.
    Messages,
    /// Gemini generateContent; `json_array` when a stream is framed as a JSON array
    /// (`alt` absent or not `sse`), as Google's API does.
    Gemini {
        /// JSON-array stream framing.
        json_array: bool,
    },
}

impl ClientApi {
    /// The wire format family.
    pub fn format(self) -> Format {
        match self {
            ClientApi::Chat | ClientApi::Completions => Format::OpenAiChat,
            ClientApi::Responses => Format::OpenAiResponses,
            ClientApi::Messages => Format::Claude,
            ClientApi::Gemini { .. } => Format::Gemini,
        }
    }
}

/// Decodes a client request into the IR. Gemini carries the model in the URL (`path_model`).
pub fn decode_request(
    client: ClientApi,
    body: &[u8],
    path_model: &str,
) -> Result<ir::Request, Error> {
    match client {
        ClientApi::Chat => openai::decode_request(body),
        ClientApi::Completions => openai::decode_completion_request(body),
        ClientApi::Responses => responses::decode_request(body),
        ClientApi::Messages => claude::decode_request(body),
        ClientApi::Gemini { .. } => gemini::decode_request(body, path_model),
    }
}

/// Decodes a client token-count request (`count_tokens` / `countTokens`) into the IR.
pub fn decode_count_request(
    client: ClientApi,
    body: &[u8],
    path_model: &str,
) -> Result<ir::Request, Error> {
    match client {
        ClientApi::Gemini { .. } => gemini::decode_count_tokens(body, path_model),
        ClientApi::Messages => claude::decode_count_tokens(body),
        other => decode_request(other, body, path_model),
    }
}

/// Renders a token count in the client's shape.
pub fn encode_count_response(client: ClientApi, n: u64) -> Vec<u8> {
    match client {
        ClientApi::Gemini { .. } => gemini::encode_count_tokens_response(n),
        _ => claude::encode_count_tokens_response(n),
    }
}

/// Encodes a non-stream response for the client.
pub fn encode_response(client: ClientApi, resp: &ir::Response) -> Vec<u8> {
    match client {
        ClientApi::Chat => openai::encode_response(resp),
        ClientApi::Completions => openai::encode_completion_response(resp),
        ClientApi::Responses => responses::encode_response(resp),
        ClientApi::Messages => claude::encode_response(resp),
        ClientApi::Gemini { .. } => gemini::encode_response(resp),
    }
}

/// Decodes an upstream non-stream response of format `fmt`.
pub fn decode_response(fmt: Format, body: &[u8]) -> Result<ir::Response, Error> {
    match fmt {
        Format::OpenAiChat => openai::decode_response(body),
        Format::OpenAiResponses => responses::decode_response(body),
        Format::Claude => claude::decode_response(body),
        Format::Gemini => gemini::decode_response(body),
    }
}

/// An upstream stream decoder for any format.
pub enum StreamDecoder {
    /// OpenAI chat chunks.
    OpenAi(openai::StreamDecoder),
    /// Responses events.
    Responses(responses::StreamDecoder),
    /// Anthropic events.
    Claude(claude::StreamDecoder),
    /// Gemini chunks.
    Gemini(gemini::StreamDecoder),
}

impl StreamDecoder {
    /// A decoder for upstream format `fmt`.
    pub fn new(fmt: Format) -> Self {
        match fmt {
            Format::OpenAiChat => StreamDecoder::OpenAi(openai::StreamDecoder::new()),
            Format::OpenAiResponses => StreamDecoder::Responses(responses::StreamDecoder::new()),
            Format::Claude => StreamDecoder::Claude(claude::StreamDecoder::new()),
            Format::Gemini => StreamDecoder::Gemini(gemini::StreamDecoder::new()),
        }
    }

    /// Maps shortened tool names back to the client's ([`responses::ToolNames`]); only a
    /// Responses upstream (Codex) ever gets shortened names, so other decoders ignore it.
    pub fn with_tool_names(self, names: responses::ToolNames) -> Self {
        match self {
            StreamDecoder::Responses(d) => StreamDecoder::Responses(d.with_tool_names(names)),
            other => other,
        }
    }

    /// Decodes one SSE event.
    pub fn push(&mut self, ev: &sse::Event<'_>, out: &mut Vec<ir::Event>) -> Result<(), Error> {
        match self {
            StreamDecoder::OpenAi(d) => d.push(ev, out),
            StreamDecoder::Responses(d) => d.push(ev, out),
            StreamDecoder::Claude(d) => d.push(ev, out),
            StreamDecoder::Gemini(d) => d.push(ev, out),
        }
    }

    /// Closes what the upstream left open.
    pub fn finish(&mut self, out: &mut Vec<ir::Event>) {
        match self {
            StreamDecoder::OpenAi(d) => d.finish(out),
            StreamDecoder::Responses(d) => d.finish(out),
            StreamDecoder::Claude(d) => d.finish(out),
            StreamDecoder::Gemini(d) => d.finish(out),
        }
    }
}

/// A client stream encoder for any client API.
pub enum StreamEncoder {
    /// OpenAI chat chunks.
    Chat(openai::StreamEncoder),
    /// Legacy completion chunks.
    Completions(openai::CompletionStreamEncoder),
    /// Responses events.
    Responses(responses::StreamEncoder),
    /// Anthropic events.
    Claude(claude::StreamEncoder),
    /// Gemini chunks.
    Gemini(gemini::StreamEncoder),
}

impl StreamEncoder {
    /// An encoder for `client`. `include_usage` matters for OpenAI chat clients only (their
    /// `stream_options.include_usage`); `created` is Unix seconds.
    pub fn new(
        client: ClientApi,
        model: &str,
        id: &str,
        created: u64,
        include_usage: bool,
    ) -> Self {
        match client {
            ClientApi::Chat => StreamEncoder::Chat(
                openai::StreamEncoder::new(model, id)
                    .with_usage(include_usage)
                    .with_created(created),
            ),
            ClientApi::Completions => StreamEncoder::Completions(
                openai::CompletionStreamEncoder::new(model, id)
                    .with_usage(include_usage)
                    .with_created(created),
            ),
            ClientApi::Responses => StreamEncoder::Responses(
                responses::StreamEncoder::new(model, id).with_created(created),
            ),
            ClientApi::Messages => StreamEncoder::Claude(claude::StreamEncoder::new(model, id)),
            ClientApi::Gemini { json_array } => {
                let e = gemini::StreamEncoder::new(model, id);
                StreamEncoder::Gemini(if json_array { e.with_json_array() } else { e })
            }
        }
    }

    /// Encodes one IR event.
    pub fn push(&mut self, ev: &ir::Event, out: &mut BytesMut) {
        match self {
            StreamEncoder::Chat(e) => e.push(ev, out),
            StreamEncoder::Completions(e) => e.push(ev, out),
            StreamEncoder::Responses(e) => e.push(ev, out),
            StreamEncoder::Claude(e) => e.push(ev, out),
            StreamEncoder::Gemini(e) => e.push(ev, out),
        }
    }

    /// Writes the terminal frames.
    pub fn finish(&mut self, out: &mut BytesMut) {
        match self {
            StreamEncoder::Chat(e) => e.finish(out),
            StreamEncoder::Completions(e) => e.finish(out),
            StreamEncoder::Responses(e) => e.finish(out),
            StreamEncoder::Claude(e) => e.finish(out),
            StreamEncoder::Gemini(e) => e.finish(out),
        }
    }
}

/// Decodes a whole upstream SSE body (Codex answers only in streams) into IR events.
pub fn decode_stream_body(fmt: Format, body: &[u8]) -> Result<Vec<ir::Event>, Error> {
    let mut framer = sse::Framer::new();
    let mut decoder = StreamDecoder::new(fmt);
    let mut events = Vec::new();
    framer.push(body);
    loop {
        let frame = match framer.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(Error::new(
                    crate::error::Kind::UpstreamProtocol,
                    e.to_string(),
                ))
            }
        };
        let ev = sse::parse(&frame);
        if !ev.is_comment_only {
            decoder.push(&ev, &mut events)?;
        }
    }
    if let Some(rest) = framer.finish() {
        let ev = sse::parse(&rest);
        if !ev.is_comment_only {
            decoder.push(&ev, &mut events)?;
        }
    }
    decoder.finish(&mut events);
    Ok(events)
}

/// Splits CLIProxyAPI's thinking suffix off a model name: `gemini-2.5-pro(8192)` (a budget),
/// `claude-sonnet-4(high)` (a level), `model(none)` / `model(auto)`. The suffix overrides
/// whatever reasoning the body asked for. Names without a valid suffix are returned whole.
pub fn split_thinking_suffix(model: &str) -> (&str, Option<ir::Reasoning>) {
    let Some(inner) = model.strip_suffix(')') else {
        return (model, None);
    };
    let Some((base, value)) = inner.rsplit_once('(') else {
        return (model, None);
    };
    if base.is_empty() {
        return (model, None);
    }
    let reasoning = match value.trim().parse::<i64>() {
        Ok(budget) => ir::Reasoning {
            effort: Some(ir::Effort::from_budget(budget)),
            budget: Some(budget),
            include_thoughts: None,
        },
        Err(_) => match ir::Effort::parse(value) {
            Some(effort) => ir::Reasoning {
                effort: Some(effort),
                budget: Some(effort.budget()),
                include_thoughts: None,
            },
            None => return (model, None),
        },
    };
    (base, Some(reasoning))
}

#[cfg(test)]
mod suffix_tests {
    use super::*;

    #[test]
    fn thinking_suffixes() {
        let (m, r) = split_thinking_suffix("gemini-2.5-pro(8192)");
        assert_eq!(m, "gemini-2.5-pro");
        let r = r.unwrap();
        assert_eq!((r.budget, r.effort), (Some(8192), Some(ir::Effort::Medium)));
        let (m, r) = split_thinking_suffix("claude-sonnet-4(high)");
        assert_eq!(m, "claude-sonnet-4");
        assert_eq!(r.unwrap().effort, Some(ir::Effort::High));
        assert_eq!(split_thinking_suffix("m(none)").1.unwrap().budget, Some(0));
        assert_eq!(
            split_thinking_suffix("m(-1)").1.unwrap().effort,
            Some(ir::Effort::Auto)
        );
        for whole in ["plain", "m(bogus)", "(high)", "m(high", "vendor/m(x)"] {
            assert_eq!(split_thinking_suffix(whole), (whole, None), "{whole}");
        }
    }
}
