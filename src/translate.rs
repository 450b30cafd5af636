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

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use http::StatusCode;

use crate::error::{Error, Kind};
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

/// How one request travels between a client API and an upstream of some format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// OpenAI chat client → OpenAI-compatible upstream: bytes plus `model`/usage patches
    /// ([`passthrough::ChatRequest`], [`passthrough::patch_chat_response`],
    /// [`passthrough::ChatStream`]).
    ChatPassthrough,
    /// Same family: forwarded untouched except the model name
    /// ([`passthrough::request_body`], [`passthrough::response_body`]); streams go through
    /// as they are.
    Passthrough,
    /// Decoded into the IR and re-encoded for the upstream ([`encode_upstream_request`],
    /// [`translate_response`], [`Transcoder`]).
    Translated,
}

/// The lane for a request from `client` to an upstream speaking `upstream`. `count` is a
/// token-count request. Same-family traffic passes through, except a Gemini JSON-array stream
/// (the upstream is asked for SSE, so it is re-framed through the IR) and a non-stream
/// Responses request to Codex (which answers only in streams).
pub fn lane(client: ClientApi, upstream: Format, stream: bool, count: bool) -> Lane {
    match (client, upstream) {
        (ClientApi::Chat, Format::OpenAiChat) if !count => Lane::ChatPassthrough,
        (ClientApi::Messages, Format::Claude) => Lane::Passthrough,
        (ClientApi::Gemini { json_array }, Format::Gemini) if !json_array || !stream || count => {
            Lane::Passthrough
        }
        (ClientApi::Responses, Format::OpenAiResponses) if stream && !count => Lane::Passthrough,
        _ => Lane::Translated,
    }
}

/// The family whose signatures an upstream of format `fmt` issues and accepts.
pub fn family(fmt: Format) -> ir::Family {
    match fmt {
        Format::OpenAiChat => ir::Family::OpenAi,
        Format::OpenAiResponses => ir::Family::Responses,
        Format::Claude => ir::Family::Claude,
        Format::Gemini => ir::Family::Gemini,
    }
}

/// Whether the upstream is asked for a stream: when the client wants one, and always for
/// Responses upstreams (Codex answers only in streams).
pub fn upstream_streams(upstream: Format, client_stream: bool) -> bool {
    client_stream || upstream == Format::OpenAiResponses
}

/// Encodes a decoded request for an upstream speaking `upstream`, as model `upstream_model`.
/// `client_stream` is whether the client wants a stream; `anthropic_beta` is the client's
/// `anthropic-beta` header (it may allow mid-conversation system messages on Claude).
pub fn encode_upstream_request(
    req: &ir::Request,
    upstream: Format,
    upstream_model: &str,
    client_stream: bool,
    anthropic_beta: Option<&str>,
) -> Result<Vec<u8>, Error> {
    let stream = upstream_streams(upstream, client_stream);
    let req = if req.stream == stream {
        Cow::Borrowed(req)
    } else {
        let mut r = req.clone();
        r.stream = stream;
        Cow::Owned(r)
    };
    match upstream {
        Format::OpenAiChat => openai::encode_request(&req, upstream_model),
        Format::Claude => {
            let options = claude::EncodeOptions {
                mid_conversation_system: anthropic_beta
                    .is_some_and(claude::allows_mid_conversation_system),
                adaptive_thinking: false,
                auto_cache: true,
            };
            claude::encode_request_with(&req, upstream_model, &options)
        }
        Format::Gemini => gemini::encode_request(&req, upstream_model),
        Format::OpenAiResponses => responses::encode_request(&req, upstream_model),
    }
}

/// What a translated answer is stamped with on its way to the client.
#[derive(Clone, Copy, Debug)]
pub struct Reply<'a> {
    /// The client API.
    pub client: ClientApi,
    /// The model name the client asked for.
    pub model: &'a str,
    /// The response id to use when the upstream gave none. Streams and whole answers follow
    /// one rule, as CLIProxyAPI does: the client sees the upstream's response id when it
    /// gives one (in its answer, or in a stream's first event), else this one.
    pub id: &'a str,
    /// Unix seconds, used when the upstream gave no time.
    pub created: u64,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// OpenAI chat clients' `stream_options.include_usage`.
    pub wants_usage: bool,
    /// Tool names shortened in the upstream request (Codex's 64-character limit), mapped back
    /// to the client's own in the answer; `None` when nothing was renamed.
    pub tool_names: Option<&'a responses::ToolNames>,
}

impl<'a> Reply<'a> {
    /// The same reply, mapping the tool names `names` shortened back in the answer.
    pub fn with_tool_names(self, names: &'a responses::ToolNames) -> Self {
        Reply {
            tool_names: (!names.is_empty()).then_some(names),
            ..self
        }
    }
}

/// A translated non-stream upstream answer: `body` (an SSE body when `event_stream`, e.g.
/// Codex's) decoded from `upstream`'s format, stamped per `reply` (the upstream's response id
/// when it has one, see [`Reply::id`]), and encoded for the client:
/// one JSON body, or the whole answer replayed as a stream when the client asked for one.
/// Returns the client body and the usage.
pub fn translate_response(
    upstream: Format,
    body: &[u8],
    event_stream: bool,
    reply: &Reply<'_>,
) -> Result<(Vec<u8>, ir::Usage), Error> {
    let mut resp = if event_stream {
        let events = decode_stream_body(upstream, body)?;
        aggregate::aggregate(&events, family(upstream))?
    } else {
        decode_response(upstream, body)?
    };
    if let Some(names) = reply.tool_names {
        names.restore_response(&mut resp);
    }
    reply.model.clone_into(&mut resp.model);
    if resp.created == 0 {
        resp.created = reply.created;
    }
    if resp.id.is_empty() {
        reply.id.clone_into(&mut resp.id);
    }
    let out = if reply.stream {
        let mut enc = StreamEncoder::new(
            reply.client,
            reply.model,
            &resp.id,
            resp.created,
            reply.wants_usage,
        );
        let mut buf = BytesMut::new();
        for ev in aggregate::replay(&resp) {
            enc.push(&ev, &mut buf);
        }
        enc.finish(&mut buf);
        buf.to_vec()
    } else {
        encode_response(reply.client, &resp)
    };
    Ok((out, resp.usage))
}

/// The body a client gets for an upstream error answer (`status`, `body`): `None` when the
/// upstream speaks the client's format (its body passes through untouched); between OpenAI
/// Chat and Responses, which share one error shape, the upstream's `error` object as it came
/// (its `type`, `code`, `param` and any extra fields); otherwise the upstream's message
/// re-rendered in the client's error shape with the type its status stands for (a 429 is a
/// rate limit — OpenAI `rate_limit_exceeded`, Anthropic `rate_limit_error`, Gemini
/// `RESOURCE_EXHAUSTED` — never the gateway's own `model_cooldown`).
pub fn upstream_error_body(
    client: Format,
    upstream: Format,
    status: StatusCode,
    body: &[u8],
) -> Option<Bytes> {
    if client == upstream {
        return None;
    }
    if openai_shaped(client) && openai_shaped(upstream) {
        if let Some(kept) = openai_error(body) {
            return Some(kept);
        }
    }
    let err = Error::new(kind_for_status(status), upstream_message(body, status));
    Some(client.error_body_with_status(&err, status))
}

/// Chat and Responses errors share `{"error":{"message","type","param","code"}}`.
fn openai_shaped(fmt: Format) -> bool {
    matches!(fmt, Format::OpenAiChat | Format::OpenAiResponses)
}

/// `{"error": <the upstream's error object, byte for byte>}`, when `body` has an `error`
/// object with a string `message`; other top-level keys are dropped.
fn openai_error(body: &[u8]) -> Option<Bytes> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        error: &'a serde_json::value::RawValue,
    }
    let env: Envelope<'_> = serde_json::from_slice(body).ok()?;
    let object: serde_json::Value = serde_json::from_str(env.error.get()).ok()?;
    object.get("message")?.as_str()?;
    let mut out = BytesMut::with_capacity(env.error.get().len() + 10);
    out.extend_from_slice(b"{\"error\":");
    out.extend_from_slice(env.error.get().as_bytes());
    out.extend_from_slice(b"}");
    Some(out.freeze())
}

/// The error kind whose shape fits an upstream status. Only the rendering uses it: an
/// upstream's 500 is rendered as a server error (OpenAI `server_error`, Gemini `INTERNAL`),
/// a 429 as the upstream's rate limit, other failures as unavailability.
fn kind_for_status(status: StatusCode) -> Kind {
    match status.as_u16() {
        400 | 422 => Kind::InvalidRequest,
        401 | 403 => Kind::Unauthorized,
        404 => Kind::ModelNotFound,
        408 | 504 => Kind::UpstreamTimeout,
        413 => Kind::PayloadTooLarge,
        429 => Kind::RateLimited,
        500 => Kind::Internal,
        _ => Kind::UpstreamUnavailable,
    }
}

/// The human message inside an upstream error body of any family
/// (`error.message`, `message`, or `error` as a string), else a generic one.
fn upstream_message(body: &[u8], status: StatusCode) -> String {
    let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let found = v.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    });
    found.unwrap_or_else(|| format!("upstream answered {status}"))
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

/// A translated stream: upstream bytes → SSE frames → upstream decoder → IR events → client
/// encoder → client bytes. Feed it the upstream's reads as they come; the output does not
/// depend on how the upstream bytes were split. The response id follows [`Reply::id`]: the
/// upstream's, when its first event names one.
pub struct Transcoder {
    framer: sse::Framer,
    decoder: StreamDecoder,
    encoder: StreamEncoder,
    events: Vec<ir::Event>,
    usage: Option<ir::Usage>,
    /// How the encoder was built (with the gateway's id), kept until the first event: when
    /// that is the upstream's `Start` with an id, the encoder is rebuilt with it.
    pending: Option<EncoderArgs>,
}

/// What a client stream encoder is built from, besides the response id.
struct EncoderArgs {
    client: ClientApi,
    model: String,
    created: u64,
    wants_usage: bool,
}

impl Transcoder {
    /// A stream from an upstream speaking `upstream`, answered per `reply`.
    pub fn new(upstream: Format, reply: &Reply<'_>) -> Self {
        Transcoder {
            framer: sse::Framer::new(),
            decoder: StreamDecoder::new(upstream)
                .with_tool_names(reply.tool_names.cloned().unwrap_or_default()),
            encoder: StreamEncoder::new(
                reply.client,
                reply.model,
                reply.id,
                reply.created,
                reply.wants_usage,
            ),
            events: Vec::new(),
            usage: None,
            pending: Some(EncoderArgs {
                client: reply.client,
                model: reply.model.to_owned(),
                created: reply.created,
                wants_usage: reply.wants_usage,
            }),
        }
    }

    /// Feeds one upstream read; client bytes for every complete frame are appended to `out`.
    /// Returns `false` when the stream is over: the upstream broke SSE framing, and `out` got
    /// an in-band error and the terminal frames.
    pub fn push(&mut self, chunk: &[u8], out: &mut BytesMut) -> bool {
        self.framer.push(chunk);
        loop {
            match self.framer.next_frame() {
                Ok(Some(frame)) => self.decode(&frame),
                Ok(None) => break,
                Err(e) => {
                    self.fail(&e.to_string(), out);
                    return false;
                }
            }
        }
        self.encode(out);
        true
    }

    /// The upstream ended: closes what it left open and writes the terminal frames.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if let Some(rest) = self.framer.finish() {
            self.decode(&rest);
        }
        self.decoder.finish(&mut self.events);
        self.encode(out);
        self.encoder.finish(out);
    }

    /// Ends the stream with an in-band error in the client's format (the response head is
    /// long gone) and the terminal frames.
    pub fn fail(&mut self, message: &str, out: &mut BytesMut) {
        self.events.push(ir::Event::Error {
            message: message.into(),
        });
        self.encode(out);
        self.encoder.finish(out);
    }

    /// The last usage the upstream reported.
    pub fn usage(&self) -> Option<ir::Usage> {
        self.usage
    }

    fn decode(&mut self, frame: &[u8]) {
        let ev = sse::parse(frame);
        if ev.is_comment_only {
            return;
        }
        if let Err(e) = self.decoder.push(&ev, &mut self.events) {
            self.events.push(ir::Event::Error { message: e.message });
        }
    }

    fn encode(&mut self, out: &mut BytesMut) {
        for ev in self.events.drain(..) {
            if let Some(args) = self.pending.take() {
                if let ir::Event::Start { id, .. } = &ev {
                    if !id.is_empty() {
                        self.encoder = StreamEncoder::new(
                            args.client,
                            &args.model,
                            id,
                            args.created,
                            args.wants_usage,
                        );
                    }
                }
            }
            if let ir::Event::Usage(u) = &ev {
                self.usage = Some(*u);
            }
            self.encoder.push(&ev, out);
        }
    }
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
mod tests;
