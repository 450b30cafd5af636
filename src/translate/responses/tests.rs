//! Tests for the Responses codec: golden fixtures under `tests/fixtures/responses/` (compared
//! as parsed JSON; `UPDATE_GOLDEN=1` rewrites the expected files), stream chunking, round
//! trips and property tests.

mod props;
mod request;
mod response;
mod stream;

use std::path::PathBuf;

use bytes::BytesMut;

use super::*;
use crate::protocol::sse;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/responses")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn fixture_str(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

/// Compares `actual` with the expected JSON file, as parsed JSON.
fn golden_json(name: &str, actual: &[u8]) {
    let actual = json(actual);
    if updating() {
        let pretty = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        std::fs::write(fixture_path(name), pretty).unwrap();
        return;
    }
    let expected = json(&fixture(name));
    assert_eq!(
        actual,
        expected,
        "{name} differs; actual:\n{}",
        serde_json::to_string_pretty(&actual).unwrap()
    );
}

/// The frames of an SSE body as `(event name, parsed data)`.
fn frames(body: &[u8]) -> Vec<(Option<String>, serde_json::Value)> {
    let mut framer = sse::Framer::new();
    framer.push(body);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        let ev = sse::parse(&frame);
        if ev.is_comment_only {
            continue;
        }
        out.push((ev.event.map(str::to_owned), json(ev.data.as_bytes())));
    }
    assert!(
        framer.finish().is_none(),
        "trailing bytes after the last frame"
    );
    out
}

/// Compares an SSE body with the expected `.sse` file frame by frame, as parsed JSON.
fn golden_sse(name: &str, actual: &[u8]) {
    if updating() {
        std::fs::write(fixture_path(name), actual).unwrap();
        return;
    }
    let actual = frames(actual);
    let expected = frames(&fixture(name));
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(
            a,
            e,
            "{name}: frame {i} differs; actual:\n{}",
            serde_json::to_string_pretty(&a.1).unwrap()
        );
    }
    assert_eq!(actual.len(), expected.len(), "{name}: frame count");
}

/// Decodes an upstream SSE body fed in the given chunks, then finishes the decoder.
fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<ir::Event> {
    let mut framer = sse::Framer::new();
    let mut decoder = StreamDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame().unwrap() {
            decoder.push(&sse::parse(&frame), &mut out).unwrap();
        }
    }
    if let Some(rest) = framer.finish() {
        decoder.push(&sse::parse(&rest), &mut out).unwrap();
    }
    decoder.finish(&mut out);
    out
}

fn decode_stream(body: &[u8]) -> Vec<ir::Event> {
    decode_chunks([body])
}

/// Encodes IR events for a client and finishes the encoder.
fn encode_stream(mut encoder: StreamEncoder, events: &[ir::Event]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for ev in events {
        encoder.push(ev, &mut out);
    }
    encoder.finish(&mut out);
    out.to_vec()
}

fn text(s: &str) -> ir::Block {
    ir::Block::Text(s.to_owned())
}

fn msg(role: ir::Role, content: Vec<ir::Block>) -> ir::Message {
    ir::Message { role, content }
}

fn call(id: &str, name: &str, arguments: &str) -> ir::Block {
    ir::Block::ToolCall {
        id: id.to_owned(),
        name: name.to_owned(),
        arguments: arguments.to_owned(),
    }
}

fn result(call_id: &str, name: Option<&str>, content: Vec<ir::Block>) -> ir::Block {
    ir::Block::ToolResult {
        call_id: call_id.to_owned(),
        name: name.map(str::to_owned),
        content,
        is_error: false,
    }
}

/// The exact text of the innermost JSON object in `haystack` that opens before `needle` (a
/// fixture slice, to check that raw items travel byte for byte).
fn object_around(haystack: &str, needle: &str) -> String {
    let at = haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not found"));
    let from = haystack[..at].rfind('{').unwrap();
    let mut de = serde_json::Deserializer::from_str(&haystack[from..]);
    let raw: &serde_json::value::RawValue = serde::Deserialize::deserialize(&mut de).unwrap();
    raw.get().to_owned()
}
