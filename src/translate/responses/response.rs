//! Non-stream Responses bodies: an upstream `response` object decoded into the IR, and an IR
//! response encoded as the `response` object a client expects, with deterministic item ids.
//! No I/O.

use serde_json::value::RawValue;

use super::{
    foreign_redacted, foreign_signature, qualify, split_namespace, status_for_stop,
    stop_from_status, thinking_from_item, upstream, usage_from_wire, usage_to_wire, wire,
};
use crate::error::Error;
use crate::ir;
use crate::translate::{ids, thinking};

/// Decodes an upstream `response` object. A `failed` response is an error.
pub fn decode_response(body: &[u8]) -> Result<ir::Response, Error> {
    let resp: wire::Response<'_> = serde_json::from_slice(body)
        .map_err(|e| upstream(format!("malformed Responses body: {e}")))?;
    if resp.status.as_deref() == Some("failed") {
        let message = resp
            .error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .unwrap_or("the upstream response failed");
        return Err(upstream(message.to_owned()));
    }
    let id = resp.id.as_deref().unwrap_or_default();
    let mut content = Vec::new();
    let mut refused = false;
    for (i, raw) in resp
        .output
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let item: wire::Item<'_> = serde_json::from_str(raw.get())
            .map_err(|e| upstream(format!("malformed Responses output item: {e}")))?;
        refused |= output_item(id, i, &item, raw, &mut content)?;
    }
    let has_calls = content
        .iter()
        .any(|b| matches!(b, ir::Block::ToolCall { .. }));
    let mut stop = stop_from_status(
        resp.status.as_deref(),
        resp.incomplete_details
            .as_ref()
            .and_then(|d| d.reason.as_deref()),
        has_calls,
    );
    if refused && stop == ir::StopReason::EndTurn {
        stop = ir::StopReason::Refusal;
    }
    Ok(ir::Response {
        id: id.to_owned(),
        model: resp.model.as_deref().unwrap_or_default().to_owned(),
        created: resp
            .created_at
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map_or(0, |t| t as u64),
        content,
        stop,
        usage: resp.usage.as_ref().map(usage_from_wire).unwrap_or_default(),
    })
}

/// Appends the IR blocks of one output item; returns whether it held a refusal.
fn output_item(
    response_id: &str,
    index: usize,
    item: &wire::Item<'_>,
    raw: &RawValue,
    out: &mut Vec<ir::Block>,
) -> Result<bool, Error> {
    let mut refused = false;
    match item.kind.as_deref() {
        Some("message") => {
            let parts: Vec<wire::ContentPart<'_>> = match item.content {
                Some(c) if c.get().starts_with('[') => serde_json::from_str(c.get())
                    .map_err(|e| upstream(format!("malformed message content: {e}")))?,
                _ => Vec::new(),
            };
            for part in parts {
                match part.kind.as_deref() {
                    Some("output_text") => {
                        out.push(ir::Block::Text(part.text.unwrap_or_default().into_owned()));
                    }
                    Some("refusal") => {
                        refused = true;
                        out.push(ir::Block::Text(
                            part.refusal.unwrap_or_default().into_owned(),
                        ));
                    }
                    _ => {}
                }
            }
        }
        Some("reasoning") => {
            let block = thinking_from_item(item, raw.get());
            let keep = match &block {
                ir::Block::Thinking { text, signature } => !text.is_empty() || signature.is_some(),
                _ => true,
            };
            if keep {
                out.push(block);
            }
        }
        Some("function_call") => out.push(ir::Block::ToolCall {
            id: call_id(item, response_id, index),
            name: qualify(
                item.namespace.as_deref(),
                item.name.as_deref().unwrap_or_default(),
            )
            .into_owned(),
            arguments: item.arguments.as_deref().unwrap_or_default().to_owned(),
        }),
        Some("image_generation_call") => {
            if let Some(data) = item.result.as_deref().filter(|d| !d.is_empty()) {
                out.push(ir::Block::image(ir::Image::Base64 {
                    media_type: "image/png".to_owned(),
                    data: data.to_owned(),
                }));
            }
        }
        _ => {}
    }
    Ok(refused)
}

/// A function call's id: its `call_id`, else its item id, else one derived from its position.
pub(super) fn call_id(item: &wire::Item<'_>, response_id: &str, index: usize) -> String {
    item.call_id
        .as_deref()
        .or(item.id.as_deref())
        .filter(|c| !c.is_empty())
        .map_or_else(
            || ids::tool_call_id("call_", response_id, index),
            str::to_owned,
        )
}

/// Encodes an IR response as a client's `response` object.
pub fn encode_response(resp: &ir::Response) -> Vec<u8> {
    encode_response_with_namespaces(resp, &[])
}

/// Encodes an IR response as a client's `response` object, splitting tool names that start
/// with one of the request's `namespaces` back into `namespace` + `name`.
pub fn encode_response_with_namespaces(resp: &ir::Response, namespaces: &[String]) -> Vec<u8> {
    let (status, reason) = status_for_stop(&resp.stop);
    let item_status = if status == "completed" {
        "completed"
    } else {
        "incomplete"
    };
    // Item ids first, so the items can borrow them: one per block, derived from the response
    // id and the block's position.
    let item_ids: Vec<String> = resp
        .content
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let prefix = match b {
                ir::Block::Text(_) => "msg_",
                ir::Block::Thinking { .. } | ir::Block::RedactedThinking { .. } => "rs_",
                ir::Block::ToolCall { .. } => "fc_",
                _ => "ig_",
            };
            ids::tool_call_id(prefix, &resp.id, i)
        })
        .collect();
    let mut output: Vec<wire::OutItem<'_>> = Vec::new();
    for (i, block) in resp.content.iter().enumerate() {
        let id = item_ids.get(i).map(String::as_str).unwrap_or_default();
        match block {
            ir::Block::Text(text) => {
                let part = wire::OutPart::OutputText {
                    text,
                    annotations: wire::EmptyList,
                };
                // Consecutive texts are parts of one message item.
                if let (Some(wire::OutItem::Message(m)), Some(ir::Block::Text(_))) = (
                    output.last_mut(),
                    i.checked_sub(1).and_then(|p| resp.content.get(p)),
                ) {
                    m.content.push(part);
                } else {
                    output.push(wire::OutItem::Message(wire::OutMessage {
                        kind: "message",
                        id: Some(id),
                        status: Some(item_status),
                        role: "assistant",
                        content: vec![part],
                    }));
                }
            }
            ir::Block::Thinking { text, signature } => {
                output.push(reasoning_item(id, text, signature.as_ref()));
            }
            ir::Block::RedactedThinking { data, origin } => {
                output.push(wire::OutItem::Reasoning(wire::OutReasoningItem {
                    kind: "reasoning",
                    id,
                    status: None,
                    summary: Vec::new(),
                    encrypted_content: Some(foreign_redacted(data, *origin).into()),
                }));
            }
            ir::Block::ToolCall {
                id: call_id,
                name,
                arguments,
            } => {
                let (namespace, name) = split_namespace(namespaces, name);
                output.push(wire::OutItem::FunctionCall(wire::OutFunctionCall {
                    kind: "function_call",
                    id: Some(id),
                    status: Some(item_status),
                    call_id,
                    name,
                    namespace,
                    arguments,
                }));
            }
            ir::Block::Image {
                image: ir::Image::Base64 { data, .. },
                ..
            } => {
                output.push(wire::OutItem::ImageGeneration(wire::OutImageGeneration {
                    kind: "image_generation_call",
                    id,
                    status: "completed",
                    result: data,
                }));
            }
            ir::Block::Opaque {
                origin: ir::Family::Responses,
                raw,
            } => {
                if let Some(raw) = object(raw) {
                    output.push(wire::OutItem::Raw(raw));
                }
            }
            // No Responses output shape: URL and file images, tool results and foreign opaque
            // items.
            _ => {}
        }
    }
    let body = wire::OutResponse {
        id: &resp.id,
        object: "response",
        created_at: resp.created,
        status,
        error: None,
        incomplete_details: reason.map(|reason| wire::OutIncomplete { reason }),
        model: &resp.model,
        output: &output,
        usage: Some(usage_to_wire(&resp.usage)),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A reasoning output item: the upstream's own item replayed byte-exact when the thinking
/// came from a Responses upstream, else one built from the visible text, carrying another
/// family's signature in a tagged `encrypted_content`.
pub(super) fn reasoning_item<'a>(
    id: &'a str,
    text: &'a str,
    signature: Option<&'a ir::Signature>,
) -> wire::OutItem<'a> {
    if let Some(raw) = thinking::for_target(signature, ir::Family::Responses).and_then(object) {
        return wire::OutItem::Raw(raw);
    }
    wire::OutItem::Reasoning(wire::OutReasoningItem {
        kind: "reasoning",
        id,
        status: None,
        summary: if text.is_empty() {
            Vec::new()
        } else {
            vec![wire::OutSummary {
                kind: "summary_text",
                text,
            }]
        },
        encrypted_content: signature.and_then(foreign_signature).map(Into::into),
    })
}

/// `raw` as a JSON object to embed verbatim.
pub(super) fn object(raw: &str) -> Option<&RawValue> {
    serde_json::from_str::<&RawValue>(raw)
        .ok()
        .filter(|r| r.get().starts_with('{'))
}
