//! Tests of the Claude codec: golden fixtures under `tests/fixtures/claude/` (rewrite the
//! expected files with `UPDATE_GOLDEN=1` and review the diff), round trips, streams split at
//! every byte, and properties.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod encode;
mod props;
mod request;
mod response;
mod stream;

use std::path::PathBuf;

use bytes::BytesMut;
use serde_json::Value;

use super::*;
use crate::protocol::sse;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// Compares `actual` with the golden JSON file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &Value) {
    let path = fixture_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let mut text = serde_json::to_string_pretty(actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = json(&fixture(name));
    assert_eq!(
        actual,
        &expected,
        "{name} differs; actual:\n{}",
        serde_json::to_string_pretty(actual).unwrap()
    );
}

/// An SSE body as (event name, parsed data) pairs.
fn frames(body: &[u8]) -> Vec<(Option<String>, Value)> {
    let mut framer = sse::Framer::new();
    framer.push(body);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        let ev = sse::parse(&frame);
        out.push((ev.event.map(str::to_owned), json(ev.data.as_bytes())));
    }
    assert!(
        framer.finish().is_none(),
        "trailing bytes after the last frame"
    );
    out
}

/// Compares a client SSE body with the golden stream file `name` frame by frame (event name
/// and parsed JSON), or rewrites it under `UPDATE_GOLDEN=1`.
fn golden_sse(name: &str, actual: &[u8]) {
    let path = fixture_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = frames(&fixture(name));
    let actual = frames(actual);
    assert_eq!(actual.len(), expected.len(), "{name}: frame count");
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(a, e, "{name}: frame {i}");
    }
}

/// Decodes an upstream SSE body delivered in chunks of the given sizes (cycled).
fn decode_stream_chunked(body: &[u8], chunk: impl Fn(usize) -> usize) -> Vec<ir::Event> {
    let mut framer = sse::Framer::new();
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut n = 0;
    while pos < body.len() {
        let end = (pos + chunk(n).max(1)).min(body.len());
        framer.push(&body[pos..end]);
        while let Some(frame) = framer.next_frame().unwrap() {
            dec.push(&sse::parse(&frame), &mut out).unwrap();
        }
        pos = end;
        n += 1;
    }
    if let Some(rest) = framer.finish() {
        dec.push(&sse::parse(&rest), &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

/// Decodes a whole upstream SSE body, checking that every split into two chunks and
/// one-byte chunks give the same events.
fn decode_stream(body: &[u8]) -> Vec<ir::Event> {
    let whole = decode_stream_chunked(body, |_| body.len());
    for split in 1..body.len() {
        let parts = decode_stream_chunked(body, |n| if n == 0 { split } else { body.len() });
        assert_eq!(parts, whole, "split at byte {split}");
    }
    assert_eq!(decode_stream_chunked(body, |_| 1), whole, "one-byte chunks");
    assert_eq!(
        decode_stream_chunked(body, |n| [3, 17, 64, 5][n % 4]),
        whole,
        "mixed chunks"
    );
    whole
}

fn encode_stream(events: &[ir::Event], model: &str, id: &str) -> Vec<u8> {
    let mut enc = StreamEncoder::new(model, id);
    let mut out = BytesMut::new();
    for ev in events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    out.to_vec()
}

/// A request fixture, decoded.
fn request_fixture(name: &str) -> ir::Request {
    decode_request(&fixture(&format!("request/{name}.json"))).unwrap()
}

fn text(s: &str) -> ir::Block {
    ir::Block::Text(s.to_owned())
}

fn user(content: Vec<ir::Block>) -> ir::Message {
    ir::Message {
        role: ir::Role::User,
        content,
    }
}

fn assistant(content: Vec<ir::Block>) -> ir::Message {
    ir::Message {
        role: ir::Role::Assistant,
        content,
    }
}

fn claude_sig(value: &str) -> Option<ir::Signature> {
    Some(ir::Signature {
        origin: ir::Family::Claude,
        value: value.to_owned(),
    })
}
