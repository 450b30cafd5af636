//! Anthropic Messages non-streamed responses ↔ IR: decoding an upstream `message` body and
//! encoding an IR response for a Claude client. No I/O.

use super::encode::tool_input;
use super::request::decode_block;
use super::{decode_stop, decode_usage, encode_stop, encode_usage, upstream};
use crate::error::{Error, Kind};
use crate::ir::{self, Family};
use crate::protocol::claude;
use crate::translate::{ids, thinking};

pub(super) fn decode(body: &[u8]) -> Result<ir::Response, Error> {
    let msg: claude::Message<'_> = serde_json::from_slice(body)
        .map_err(|e| upstream(format!("invalid Claude response: {e}")))?;
    if msg.kind.as_deref() == Some("error") || msg.error.is_some() {
        let (kind, message) = msg
            .error
            .map(|e| (e.kind.unwrap_or_default(), e.message.unwrap_or_default()))
            .unwrap_or_default();
        return Err(upstream(format!(
            "Claude upstream error: {kind}: {message}"
        )));
    }
    let content = msg
        .content
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            decode_block(raw, &format!("content.{i}"))
                .map_err(|e| Error::new(Kind::UpstreamProtocol, e.message))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(ir::Response {
        id: msg.id.unwrap_or_default().into_owned(),
        model: msg.model.unwrap_or_default().into_owned(),
        // Claude responses carry no timestamp.
        created: 0,
        content,
        stop: decode_stop(msg.stop_reason.as_deref(), msg.stop_sequence.as_deref()),
        usage: msg.usage.map(|u| decode_usage(&u)).unwrap_or_default(),
    })
}

pub(super) fn encode(resp: &ir::Response) -> Vec<u8> {
    let (stop_reason, stop_sequence) = encode_stop(&resp.stop);
    let body = claude::MessageOut {
        id: &resp.id,
        kind: "message",
        role: "assistant",
        model: &resp.model,
        content: resp.content.iter().filter_map(output_block).collect(),
        stop_reason: Some(stop_reason),
        stop_sequence,
        usage: encode_usage(&resp.usage),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// One output block for a Claude client, or `None` for what an assistant message cannot hold
/// (images, tool results) or must not (another family's redacted or opaque reasoning).
fn output_block(block: &ir::Block) -> Option<claude::BlockOut<'_>> {
    match block {
        ir::Block::Text(t) if t.is_empty() => None,
        ir::Block::Text(t) => Some(claude::BlockOut::Text {
            text: t,
            cache_control: None,
        }),
        ir::Block::ToolCall {
            id,
            name,
            arguments,
        } => Some(claude::BlockOut::ToolUse {
            id: ids::sanitize_tool_id(id),
            name,
            input: tool_input(arguments),
            cache_control: None,
        }),
        // The reasoning is shown; a foreign signature is not handed out (an empty one means
        // "unsigned", and the block is dropped if the client sends it back to Claude). A block
        // with neither text nor a Claude signature (a foreign signature carrier) is noise.
        ir::Block::Thinking { text, signature } => {
            let signature = thinking::for_target(signature.as_ref(), Family::Claude);
            (!text.is_empty() || signature.is_some()).then(|| claude::BlockOut::Thinking {
                thinking: text,
                signature: signature.unwrap_or(""),
            })
        }
        ir::Block::RedactedThinking { data, origin } => {
            (*origin == Family::Claude).then_some(claude::BlockOut::RedactedThinking { data })
        }
        ir::Block::Opaque { origin, raw } => (*origin == Family::Claude)
            .then(|| serde_json::from_str(raw).ok())
            .flatten()
            .map(claude::BlockOut::Raw),
        ir::Block::Image { .. } | ir::Block::ToolResult { .. } => None,
    }
}
