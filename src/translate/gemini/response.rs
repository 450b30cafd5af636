//! Gemini responses ⇄ IR: an upstream `GenerateContentResponse` into the IR, the IR into a
//! Gemini client's response body, and the shared finish-reason and usage mappings. Pure, no
//! I/O.

use std::collections::HashMap;

use crate::error::{Error, Kind};
use crate::ir::{Block, Response, StopReason, Usage};
use crate::protocol::gemini;
use crate::translate::ids;

use super::parts::{self, CallIds, Mode};

/// Decodes an upstream non-stream body. Only the first candidate is read. A prompt blocked
/// before any candidate (`promptFeedback.blockReason`) is an empty `ContentFilter` response;
/// an in-band `error` object is an `UpstreamProtocol` error.
pub fn decode_response(body: &[u8]) -> Result<Response, Error> {
    let wire: gemini::Response<'_> = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            Kind::UpstreamProtocol,
            format!("invalid Gemini response: {e}"),
        )
    })?;
    if let Some(err) = wire.error {
        return Err(upstream_error(&err));
    }
    let id = match wire.response_id.as_deref() {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => synthetic_id(body),
    };
    let mut ids = CallIds::for_response(&id);
    let mut content = Vec::new();
    let stop = match wire.candidates.into_iter().next() {
        Some(candidate) => {
            if let Some(c) = candidate.content {
                parts::decode_parts(c.parts, &mut ids, &mut content);
            }
            let calls = content.iter().any(|b| matches!(b, Block::ToolCall { .. }));
            stop_reason(candidate.finish_reason.as_deref(), calls)
        }
        None if wire
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some()) =>
        {
            StopReason::ContentFilter
        }
        None => StopReason::EndTurn,
    };
    Ok(Response {
        id,
        model: wire
            .model_version
            .map(|m| m.into_owned())
            .unwrap_or_default(),
        created: wire
            .create_time
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(0),
        content,
        stop,
        usage: wire.usage_metadata.map(|u| usage(&u)).unwrap_or_default(),
    })
}

/// Encodes a response for a Gemini client: one candidate with role `model`, its
/// `finishReason`, `usageMetadata`, `modelVersion` (the client's alias) and `responseId`.
/// Reasoning is shown as thought parts (with its signature only when Gemini issued it); tool
/// calls keep their ids so the client can echo them back.
pub fn encode_response(resp: &Response) -> Vec<u8> {
    let mut out_parts = Vec::with_capacity(resp.content.len());
    let mut pending = None;
    let names = HashMap::new();
    for (i, block) in resp.content.iter().enumerate() {
        // Output mode never fails: bad arguments are shown as `{}`, URLs as file URIs.
        let _ = parts::push_block(
            &mut out_parts,
            block,
            resp.content.get(i + 1),
            &mut pending,
            Mode::Output,
            &names,
        );
    }
    let wire = gemini::Response {
        candidates: vec![gemini::Candidate {
            content: Some(gemini::Content {
                role: Some("model".into()),
                parts: out_parts,
            }),
            finish_reason: Some(finish_reason(&resp.stop).into()),
            index: Some(0),
        }],
        prompt_feedback: None,
        usage_metadata: Some(usage_metadata(&resp.usage)),
        model_version: Some(resp.model.as_str().into()),
        response_id: Some(resp.id.as_str().into()),
        create_time: None,
        error: None,
    };
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// The `countTokens` answer: `{"totalTokens": n}`.
pub fn encode_count_tokens_response(total: u64) -> Vec<u8> {
    serde_json::to_vec(&gemini::CountTokensResponse {
        total_tokens: total,
    })
    .unwrap_or_default()
}

/// A response id for upstream bodies that carry none: derived from the bytes.
pub(super) fn synthetic_id(seed: &[u8]) -> String {
    ids::tool_call_id("resp_", &String::from_utf8_lossy(seed), 0)
}

pub(super) fn upstream_error(err: &gemini::ErrorBody<'_>) -> Error {
    let message = err.message.as_deref().unwrap_or("unknown error");
    let status = err.status.as_deref().unwrap_or("");
    Error::new(
        Kind::UpstreamProtocol,
        format!("Gemini reported an error: {status} {message}")
            .replace("  ", " ")
            .trim()
            .to_owned(),
    )
}

/// Gemini's finish reason in IR terms. `STOP` (or none) with function calls means the model
/// is waiting for tool results.
pub(super) fn stop_reason(reason: Option<&str>, had_calls: bool) -> StopReason {
    match reason {
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") if had_calls => StopReason::ToolUse,
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") => StopReason::EndTurn,
        Some("MAX_TOKENS") => StopReason::MaxTokens,
        Some(
            "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT",
        ) => StopReason::ContentFilter,
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

/// The IR stop reason as a Gemini `finishReason`. Tool use and stop sequences are `STOP` in
/// Gemini; a refusal is reported as `SAFETY`; another reason passes through when it looks
/// like a Gemini enum value, else `OTHER`.
pub(super) fn finish_reason(stop: &StopReason) -> &str {
    match stop {
        StopReason::EndTurn | StopReason::ToolUse | StopReason::StopSequence(_) => "STOP",
        StopReason::MaxTokens => "MAX_TOKENS",
        StopReason::ContentFilter | StopReason::Refusal => "SAFETY",
        StopReason::Other(s)
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
        {
            s
        }
        StopReason::Other(_) => "OTHER",
    }
}

/// `usageMetadata` in IR terms: prompt tokens include cached ones already; output is
/// candidates plus thoughts.
pub(super) fn usage(m: &gemini::UsageMetadata) -> Usage {
    let thoughts = m.thoughts_token_count.unwrap_or(0);
    Usage {
        input: m.prompt_token_count.unwrap_or(0),
        output: m
            .candidates_token_count
            .unwrap_or(0)
            .saturating_add(thoughts),
        cache_read: m.cached_content_token_count.unwrap_or(0),
        cache_write: 0,
        reasoning: thoughts,
    }
}

/// IR usage as `usageMetadata`.
pub(super) fn usage_metadata(u: &Usage) -> gemini::UsageMetadata {
    gemini::UsageMetadata {
        prompt_token_count: Some(u.input),
        candidates_token_count: Some(u.output.saturating_sub(u.reasoning)),
        total_token_count: Some(u.input.saturating_add(u.output)),
        cached_content_token_count: (u.cache_read > 0).then_some(u.cache_read),
        thoughts_token_count: (u.reasoning > 0).then_some(u.reasoning),
    }
}

/// Unix seconds of an RFC 3339 time such as `2026-03-10T14:54:45.066123Z` (offsets
/// honoured). `None` for anything else.
fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Skip fractional seconds, then read the zone.
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let minutes = num(i + 1, 2)? * 60 + num(i + 4, 2)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-03-10T14:54:45.066123Z"),
            Some(1_773_154_485)
        );
        assert_eq!(
            parse_rfc3339("2026-03-10T16:54:45+02:00"),
            Some(1_773_154_485)
        );
        assert_eq!(parse_rfc3339("2026-03-10"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339(""), None);
    }

    #[test]
    fn finish_reasons_map_both_ways() {
        assert_eq!(stop_reason(Some("STOP"), false), StopReason::EndTurn);
        assert_eq!(stop_reason(None, true), StopReason::ToolUse);
        assert_eq!(stop_reason(Some("STOP"), true), StopReason::ToolUse);
        assert_eq!(stop_reason(Some("MAX_TOKENS"), true), StopReason::MaxTokens);
        for r in [
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
        ] {
            assert_eq!(
                stop_reason(Some(r), false),
                StopReason::ContentFilter,
                "{r}"
            );
        }
        assert_eq!(
            stop_reason(Some("MALFORMED_FUNCTION_CALL"), false),
            StopReason::Other("MALFORMED_FUNCTION_CALL".into())
        );
        assert_eq!(finish_reason(&StopReason::ToolUse), "STOP");
        assert_eq!(
            finish_reason(&StopReason::StopSequence(Some("x".into()))),
            "STOP"
        );
        assert_eq!(finish_reason(&StopReason::MaxTokens), "MAX_TOKENS");
        assert_eq!(finish_reason(&StopReason::Refusal), "SAFETY");
        assert_eq!(
            finish_reason(&StopReason::Other("MALFORMED_FUNCTION_CALL".into())),
            "MALFORMED_FUNCTION_CALL"
        );
        assert_eq!(finish_reason(&StopReason::Other("weird".into())), "OTHER");
    }

    #[test]
    fn usage_maps_both_ways() {
        let m = gemini::UsageMetadata {
            prompt_token_count: Some(100),
            candidates_token_count: Some(20),
            total_token_count: Some(150),
            cached_content_token_count: Some(60),
            thoughts_token_count: Some(30),
        };
        let u = usage(&m);
        assert_eq!(
            u,
            Usage {
                input: 100,
                output: 50,
                cache_read: 60,
                cache_write: 0,
                reasoning: 30
            }
        );
        assert_eq!(usage_metadata(&u), m);
    }
}
