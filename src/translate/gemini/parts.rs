//! Gemini parts ⇄ IR blocks, shared by the request, response and stream codecs: tool-call id
//! synthesis and matching, tool-result shapes, images, and where thought signatures live.
//!
//! **Signatures.** Gemini puts `thoughtSignature` on any part. A thought part keeps it on its
//! `Thinking` block. Any other part's signature becomes a *signature carrier*, an empty
//! `Block::Thinking { text: "", signature }` (the IR has no signature slot on other blocks):
//! placed immediately **before** a `functionCall`'s `ToolCall`, and immediately **after** any
//! other part (text, image, code). On encode a carrier attaches to the following `ToolCall`
//! when one follows directly, otherwise to the preceding part, otherwise it is sent as a
//! `{"text":"","thoughtSignature":…}` part. Pure, no I/O.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Kind};
use crate::ir::{Block, Family, Image, Signature};
use crate::protocol::gemini::{Blob, FileData, FunctionCall, FunctionResponse, Part, Raw};
use crate::translate::{ids, thinking};

/// Tool-call ids: kept when the source has them, synthesised deterministically otherwise, and
/// matched from `functionResponse`s back to their calls.
pub(super) struct CallIds {
    /// Calls not answered yet: (id, name), oldest first.
    pending: Vec<(String, String)>,
    /// Calls seen so far (the position part of a synthesised id).
    calls: usize,
    /// Seed for synthesised ids: the response id, or `None` to seed with the tool name (in a
    /// request, so that the same history always yields the same ids and prompt caches hold).
    seed: Option<String>,
}

impl CallIds {
    /// Ids for a request's conversation.
    pub(super) fn for_request() -> Self {
        CallIds {
            pending: Vec::new(),
            calls: 0,
            seed: None,
        }
    }

    /// Ids for the calls in one response.
    pub(super) fn for_response(response_id: &str) -> Self {
        CallIds {
            pending: Vec::new(),
            calls: 0,
            seed: Some(response_id.to_owned()),
        }
    }

    /// The id of the next call named `name`.
    pub(super) fn call(&mut self, id: Option<Cow<'_, str>>, name: &str) -> String {
        let n = self.calls;
        self.calls += 1;
        let id = match id.filter(|s| !s.is_empty()) {
            Some(id) => id.into_owned(),
            None => ids::tool_call_id("call_", self.seed.as_deref().unwrap_or(name), n),
        };
        self.pending.push((id.clone(), name.to_owned()));
        id
    }

    /// The (call id, tool name) a `functionResponse` answers: its own id, else the oldest
    /// unanswered call with its name (any, when the name is empty), else a fresh id.
    fn result(&mut self, id: Option<Cow<'_, str>>, name: &str) -> (String, String) {
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            let known = self.pending.iter().position(|(p, _)| *p == id);
            let name = match known {
                Some(i) if name.is_empty() => self.pending.remove(i).1,
                Some(i) => {
                    self.pending.remove(i);
                    name.to_owned()
                }
                None => name.to_owned(),
            };
            return (id.into_owned(), name);
        }
        let found = if name.is_empty() {
            (!self.pending.is_empty()).then_some(0)
        } else {
            self.pending.iter().position(|(_, n)| n == name)
        };
        if let Some(i) = found {
            let (id, pending_name) = self.pending.remove(i);
            return (id, pending_name);
        }
        let n = self.calls;
        self.calls += 1;
        let seed = self.seed.as_deref().unwrap_or(name);
        (ids::tool_call_id("call_", seed, n), name.to_owned())
    }
}

/// A part's signature as the IR keeps it: Gemini CLI's "skip validation" sentinel and empty
/// strings mean there is none.
pub(super) fn signature(sig: Option<Cow<'_, str>>) -> Option<Signature> {
    sig.filter(|s| !s.is_empty() && *s != thinking::GEMINI_SKIP_SIGNATURE)
        .map(|s| Signature {
            origin: Family::Gemini,
            value: s.into_owned(),
        })
}

/// The block that carries a signature issued on a non-thought part.
pub(super) fn carrier(signature: Signature) -> Block {
    Block::Thinking {
        text: String::new(),
        signature: Some(signature),
    }
}

/// The raw JSON text of a function call's `args` (`{}` when absent or `null`).
pub(super) fn args_text(args: Option<Raw<'_>>) -> String {
    match args {
        Some(raw) if raw.get() != "null" => raw.get().to_owned(),
        _ => "{}".to_owned(),
    }
}

/// Appends the IR blocks for a turn's parts.
pub(super) fn decode_parts(parts: Vec<Part<'_>>, ids: &mut CallIds, out: &mut Vec<Block>) {
    for part in parts {
        let sig = signature(part.thought_signature);
        if let Some(call) = part.function_call {
            out.extend(sig.map(carrier));
            let name = call.name.into_owned();
            let id = ids.call(call.id, &name);
            out.push(Block::ToolCall {
                id,
                name,
                arguments: args_text(call.args),
            });
            continue;
        }
        if part.thought == Some(true) {
            out.push(Block::Thinking {
                text: part.text.map(Cow::into_owned).unwrap_or_default(),
                signature: sig,
            });
            continue;
        }
        if let Some(response) = part.function_response {
            let (call_id, name) = ids.result(response.id, &response.name);
            let (content, is_error) = match response.response {
                Some(raw) => {
                    let (text, is_error) = result_text(raw.get());
                    (vec![Block::Text(text)], is_error)
                }
                None => (Vec::new(), false),
            };
            out.push(Block::ToolResult {
                call_id,
                name: Some(name),
                content,
                is_error,
            });
        } else if let Some(text) = part.text {
            if !text.is_empty() {
                out.push(Block::Text(text.into_owned()));
            }
        } else if let Some(blob) = part.inline_data {
            out.push(Block::image(Image::Base64 {
                media_type: blob.mime_type.into_owned(),
                data: blob.data.into_owned(),
            }));
        } else if let Some(file) = part.file_data {
            out.push(Block::image(Image::File {
                uri: file.file_uri.into_owned(),
                media_type: file.mime_type.map(Cow::into_owned),
            }));
        } else if let Some(code) = part.executable_code {
            out.push(opaque("executableCode", &code));
        } else if let Some(result) = part.code_execution_result {
            out.push(opaque("codeExecutionResult", &result));
        }
        out.extend(sig.map(carrier));
    }
}

fn opaque(key: &str, value: &RawValue) -> Block {
    Block::Opaque {
        origin: Family::Gemini,
        raw: format!("{{\"{key}\":{}}}", value.get()),
    }
}

/// A `functionResponse.response` as tool-result text. The shapes tools and Gemini CLI use for
/// plain text, `{"output": "…"}`, `{"result": "…"}` and `{"error": …}` (one key, a string;
/// `error` may also hold an object, Gemini's documented error details), are unwrapped so
/// other targets see the text itself (and `error` marks a failure); any other object is kept
/// as its raw JSON text.
fn result_text(raw: &str) -> (String, bool) {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Output<'a> {
        #[serde(borrow, default)]
        output: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        result: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        error: Option<&'a RawValue>,
    }
    if let Ok(o) = serde_json::from_str::<Output<'_>>(raw) {
        match (o.output, o.result, o.error) {
            (Some(t), None, None) | (None, Some(t), None) => return (t.into_owned(), false),
            (None, None, Some(e)) => {
                let text = serde_json::from_str::<Cow<'_, str>>(e.get())
                    .map_or_else(|_| e.get().to_owned(), Cow::into_owned);
                return (text, true);
            }
            _ => {}
        }
    }
    (raw.to_owned(), false)
}

/// Who the parts are for: an upstream request (history replay) or a Gemini client (output).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Replaying history to a Gemini upstream: foreign reasoning is dropped, unsigned calls
    /// get the skip sentinel, call ids are omitted (Vertex rejects them), URLs are refused.
    Replay,
    /// Showing output to a Gemini client: all reasoning text is shown, call ids are kept.
    Output,
}

/// Appends the parts for one block. `next` is the block after it in the same message (a
/// signature carrier looks at it), `pending` holds a carrier's signature for the next call,
/// and `names` maps call ids to tool names for results that do not name their tool.
pub(super) fn push_block<'a>(
    parts: &mut Vec<Part<'a>>,
    block: &'a Block,
    next: Option<&'a Block>,
    pending: &mut Option<&'a str>,
    mode: Mode,
    names: &HashMap<&'a str, &'a str>,
) -> Result<(), Error> {
    match block {
        Block::Text(text) => {
            if !text.is_empty() {
                parts.push(Part {
                    text: Some(Cow::Borrowed(text)),
                    ..Part::default()
                });
            }
        }
        Block::Thinking { text, signature } => {
            let sig = thinking::for_target(signature.as_ref(), Family::Gemini);
            if !text.is_empty() {
                if mode == Mode::Output || sig.is_some() {
                    parts.push(Part {
                        text: Some(Cow::Borrowed(text)),
                        thought: Some(true),
                        thought_signature: sig.map(Cow::Borrowed),
                        ..Part::default()
                    });
                }
            } else if let Some(sig) = sig {
                attach_carrier(parts, sig, next, pending);
            }
        }
        Block::ToolCall {
            id,
            name,
            arguments,
        } => {
            let args = call_args(arguments, name, mode)?;
            let sig = match pending.take() {
                Some(sig) => Some(sig),
                None if mode == Mode::Replay && !step_is_signed(parts) => {
                    Some(thinking::GEMINI_SKIP_SIGNATURE)
                }
                None => None,
            };
            parts.push(Part {
                thought_signature: sig.map(Cow::Borrowed),
                function_call: Some(FunctionCall {
                    id: (mode == Mode::Output).then_some(Cow::Borrowed(id.as_str())),
                    name: Cow::Borrowed(name),
                    args: Some(args),
                }),
                ..Part::default()
            });
        }
        Block::ToolResult {
            call_id,
            name,
            content,
            is_error,
        } => {
            // Gemini needs the name; without one anywhere, the call id stands in (as
            // CLIProxyAPI does) rather than failing the whole request.
            let name = name
                .as_deref()
                .or_else(|| names.get(call_id.as_str()).copied())
                .unwrap_or(call_id);
            parts.push(Part {
                function_response: Some(FunctionResponse {
                    id: (mode == Mode::Output).then_some(Cow::Borrowed(call_id.as_str())),
                    name: Cow::Borrowed(name),
                    response: Some(result_object(content, *is_error)),
                }),
                ..Part::default()
            });
            // Images a tool returned follow its response as parts of the same turn.
            for block in content {
                if let Block::Image { image, .. } = block {
                    parts.push(image_part(image, mode)?);
                }
            }
        }
        Block::Image { image, .. } => parts.push(image_part(image, mode)?),
        Block::Opaque { origin, raw } => {
            if *origin == Family::Gemini {
                if let Ok(part) = serde_json::from_str::<Part<'a>>(raw) {
                    parts.push(part);
                }
            }
        }
        Block::RedactedThinking { .. } => {}
    }
    Ok(())
}

/// Places a carrier's signature: on the call that follows, else on the previous part, else
/// on a part of its own.
fn attach_carrier<'a>(
    parts: &mut Vec<Part<'a>>,
    sig: &'a str,
    next: Option<&'a Block>,
    pending: &mut Option<&'a str>,
) {
    if matches!(next, Some(Block::ToolCall { .. })) {
        *pending = Some(sig);
        return;
    }
    if let Some(last) = parts.last_mut() {
        if last.thought_signature.is_none() && last.function_call.is_none() {
            last.thought_signature = Some(Cow::Borrowed(sig));
            return;
        }
    }
    parts.push(Part {
        text: Some(Cow::Borrowed("")),
        thought_signature: Some(Cow::Borrowed(sig)),
        ..Part::default()
    });
}

/// Whether an earlier call in this turn carries a real signature: then an unsigned call is a
/// parallel sibling (Gemini signs only the first call of a step) and needs no sentinel.
fn step_is_signed(parts: &[Part<'_>]) -> bool {
    parts.iter().any(|p| {
        p.function_call.is_some()
            && p.thought_signature
                .as_deref()
                .is_some_and(|s| s != thinking::GEMINI_SKIP_SIGNATURE)
    })
}

/// A call's arguments as a JSON object. Upstream-bound, anything else is the client's error;
/// client-bound, it is shown as `{}` rather than breaking the response.
fn call_args<'a>(arguments: &'a str, name: &str, mode: Mode) -> Result<Raw<'a>, Error> {
    if arguments.trim().is_empty() {
        return Ok(empty_object());
    }
    match serde_json::from_str::<&'a RawValue>(arguments) {
        Ok(raw) if raw.get().starts_with('{') => Ok(Cow::Borrowed(raw)),
        _ if mode == Mode::Output => Ok(empty_object()),
        Ok(_) => Err(Error::new(
            Kind::InvalidRequest,
            format!("tool call '{name}': Gemini needs the arguments to be a JSON object"),
        )),
        Err(e) => Err(Error::new(
            Kind::InvalidRequest,
            format!("tool call '{name}' has arguments that are not valid JSON: {e}"),
        )),
    }
}

fn empty_object() -> Raw<'static> {
    raw_owned("{}".to_owned())
}

/// Owned raw JSON from text the codec itself produced (always valid).
pub(super) fn raw_owned(json: String) -> Raw<'static> {
    match RawValue::from_string(json) {
        Ok(raw) => Cow::Owned(raw),
        // Unreachable for our own output.
        Err(_) => Cow::Owned(Box::<RawValue>::default()),
    }
}

/// A tool result as Gemini's `response` object: the text itself when it is a JSON object,
/// else `{"output": text}`, the shape Gemini CLI uses. A failed tool's result goes under
/// `error`, which Gemini documents for a function's error details: `{"error": text}`, or
/// `{"error": object}` when the text is a JSON object.
fn result_object(content: &[Block], is_error: bool) -> Raw<'static> {
    let mut text = String::new();
    for block in content {
        if let Block::Text(t) = block {
            text.push_str(t);
        }
    }
    let is_object =
        serde_json::from_str::<&RawValue>(&text).is_ok_and(|r| r.get().starts_with('{'));
    match (is_object, is_error) {
        (true, false) => raw_owned(text),
        (true, true) => raw_owned(format!("{{\"error\":{text}}}")),
        (false, _) => {
            let key = if is_error { "error" } else { "output" };
            let mut map = serde_json::Map::new();
            map.insert(key.to_owned(), serde_json::Value::String(text));
            raw_owned(serde_json::Value::Object(map).to_string())
        }
    }
}

/// An image as a part. Gemini fetches only its own file URIs and `gs://`; `data:` URLs are
/// inlined; any other URL is refused upstream-bound (Gemini cannot fetch it) and passed as a
/// file URI client-bound.
fn image_part<'a>(image: &'a Image, mode: Mode) -> Result<Part<'a>, Error> {
    let part = match image {
        Image::Base64 { media_type, data } => Part {
            inline_data: Some(Blob {
                mime_type: Cow::Borrowed(media_type),
                data: Cow::Borrowed(data),
            }),
            ..Part::default()
        },
        // Another provider's file id (OpenAI's `file-…` has no `/`; every Gemini file URI
        // does): Gemini cannot read it.
        Image::File { uri, .. } if mode == Mode::Replay && !uri.contains('/') => {
            return Err(Error::new(
                Kind::InvalidRequest,
                format!(
                    "Gemini cannot read uploaded file `{uri}` from another provider: send the \
                     image inline as base64"
                ),
            ));
        }
        Image::File { uri, media_type } => Part {
            file_data: Some(FileData {
                mime_type: media_type.as_deref().map(Cow::Borrowed),
                file_uri: Cow::Borrowed(uri),
            }),
            ..Part::default()
        },
        Image::Url(url) => {
            if let Some((media_type, data)) = parse_data_url(url) {
                Part {
                    inline_data: Some(Blob {
                        mime_type: Cow::Borrowed(media_type),
                        data: Cow::Borrowed(data),
                    }),
                    ..Part::default()
                }
            } else if mode == Mode::Output || is_gemini_file_uri(url) {
                Part {
                    file_data: Some(FileData {
                        mime_type: guess_mime(url).map(Cow::Borrowed),
                        file_uri: Cow::Borrowed(url),
                    }),
                    ..Part::default()
                }
            } else {
                return Err(Error::new(
                    Kind::InvalidRequest,
                    "image URLs cannot be sent to Gemini: it does not fetch arbitrary URLs \
                     (only gs:// and Gemini Files API URIs); send the image inline as base64",
                ));
            }
        }
    };
    Ok(part)
}

/// `data:<mime>;base64,<data>` → (mime, data).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((if mime.is_empty() { "image/png" } else { mime }, data))
}

/// Whether Gemini can read `url` itself: a Cloud Storage object or a Files API URI.
fn is_gemini_file_uri(url: &str) -> bool {
    url.starts_with("gs://")
        || url.starts_with("https://generativelanguage.googleapis.com/")
        || url.starts_with("files/")
}

fn guess_mime(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        _ => return None,
    })
}
