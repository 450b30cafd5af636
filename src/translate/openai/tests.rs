//! Tests of the OpenAI Chat codec: golden fixtures under `tests/fixtures/openai/codec/`
//! (compared as parsed JSON; rewrite with `UPDATE_GOLDEN=1` and review the diff), round
//! trips, stream chunking and property tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod completion;
mod props;
mod request;
mod response;
mod stream;

use std::path::PathBuf;

use serde_json::Value;

use crate::ir;
use crate::protocol::sse;

fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai/codec")
        .join(rel)
}

/// A fixture file's bytes.
fn fixture(rel: &str) -> Vec<u8> {
    let path = fixture_path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Compares `actual` JSON with the golden file `rel` as parsed values (or rewrites it).
fn golden_json(rel: &str, actual: &[u8]) {
    let actual: Value = serde_json::from_slice(actual).unwrap_or_else(|e| {
        panic!(
            "{rel}: output is not JSON ({e}): {}",
            String::from_utf8_lossy(actual)
        )
    });
    let path = fixture_path(rel);
    if updating() {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected: Value = serde_json::from_slice(&fixture(rel))
        .unwrap_or_else(|e| panic!("{rel}: golden file is not JSON: {e}"));
    assert_eq!(
        serde_json::to_string_pretty(&actual).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap(),
        "{rel} differs (run with UPDATE_GOLDEN=1 to rewrite, then review the diff)"
    );
}

/// The `data:` payloads of an SSE body: JSON frames parsed, others (`[DONE]`) as strings.
fn sse_frames(body: &[u8]) -> Vec<Value> {
    let mut framer = sse::Framer::new();
    framer.push(body);
    let mut frames = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        let ev = sse::parse(&frame);
        if ev.is_comment_only {
            continue;
        }
        frames.push(
            serde_json::from_str(&ev.data).unwrap_or_else(|_| Value::String(ev.data.into_owned())),
        );
    }
    assert!(framer.finish().is_none(), "unterminated frame");
    frames
}

/// Compares an SSE body with the golden file `rel` frame by frame, as parsed JSON. The golden
/// file is written with one `data:` line per frame.
fn golden_sse(rel: &str, actual: &[u8]) {
    let actual_frames = sse_frames(actual);
    let path = fixture_path(rel);
    if updating() {
        let mut text = String::new();
        for frame in &actual_frames {
            let data = match frame {
                Value::String(s) => s.clone(),
                other => serde_json::to_string(other).unwrap(),
            };
            text.push_str("data: ");
            text.push_str(&data);
            text.push_str("\n\n");
        }
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = sse_frames(&fixture(rel));
    assert_eq!(
        actual_frames.len(),
        expected.len(),
        "{rel}: frame count differs:\n{}",
        String::from_utf8_lossy(actual)
    );
    for (i, (a, e)) in actual_frames.iter().zip(&expected).enumerate() {
        assert_eq!(a, e, "{rel}: frame {i} differs");
    }
}

/// Decodes an upstream SSE body delivered in pieces cut at the offsets `split` yields.
fn decode_stream_in(body: &[u8], split: impl Iterator<Item = usize>) -> Vec<ir::Event> {
    let mut framer = sse::Framer::new();
    let mut decoder = super::StreamDecoder::new();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut feed = |framer: &mut sse::Framer, out: &mut Vec<ir::Event>| {
        while let Some(frame) = framer.next_frame().unwrap() {
            decoder.push(&sse::parse(&frame), out).unwrap();
        }
    };
    for cut in split.chain(std::iter::once(body.len())) {
        let cut = cut.clamp(pos, body.len());
        framer.push(&body[pos..cut]);
        pos = cut;
        feed(&mut framer, &mut out);
    }
    if let Some(rest) = framer.finish() {
        decoder.push(&sse::parse(&rest), &mut out).unwrap();
    }
    decoder.finish(&mut out);
    out
}

/// Decodes a whole upstream SSE body.
fn decode_stream(body: &[u8]) -> Vec<ir::Event> {
    decode_stream_in(body, std::iter::empty())
}

/// Encodes IR events with a client stream encoder set up the way the golden files expect.
fn encode_stream(events: &[ir::Event], include_usage: bool) -> Vec<u8> {
    let mut enc = super::StreamEncoder::new("client-model", "chatcmpl-client")
        .with_created(1_700_000_000)
        .with_usage(include_usage);
    let mut out = bytes::BytesMut::new();
    for ev in events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    out.to_vec()
}
