//! Streams: golden upstream streams decoded at every split, and IR event sequences encoded in
//! both framings.

use bytes::BytesMut;
use serde_json::Value;

use super::{golden, parse, read, read_json, render};
use crate::ir::Event;
use crate::protocol::sse;
use crate::translate::gemini::{StreamDecoder, StreamEncoder};

pub(super) const STREAMS: &[&str] = &[
    "text",
    "thinking_tools",
    "text_signature_last",
    "prompt_blocked",
    "error_mid_stream",
    "no_finish",
];

/// Decodes `chunks` (the upstream body cut anywhere) through the SSE framer.
pub(super) fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Event> {
    let mut framer = sse::Framer::new();
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame().unwrap() {
            dec.push(&sse::parse(&frame), &mut out).unwrap();
        }
    }
    if let Some(rest) = framer.finish() {
        dec.push(&sse::parse(&rest), &mut out).unwrap();
    }
    dec.finish(&mut out);
    out
}

/// The chunks of an SSE body as JSON values (checking each frame is `data: …\r\n\r\n`).
pub(super) fn sse_chunks(body: &[u8]) -> Value {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.is_empty() || text.ends_with("\r\n\r\n"), "{text}");
    let frames: Vec<Value> = text
        .split_terminator("\r\n\r\n")
        .map(|frame| {
            let data = frame
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data frame: {frame}"));
            assert!(!data.contains('\n'), "one line per event: {data}");
            serde_json::from_str(data).unwrap()
        })
        .collect();
    Value::Array(frames)
}

fn encode(events: &[Event], json_array: bool) -> BytesMut {
    let mut enc = StreamEncoder::new("client-model", "resp-1");
    if json_array {
        enc = enc.with_json_array();
    }
    let mut out = BytesMut::new();
    for ev in events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    enc.finish(&mut out);
    out
}

fn check_encodings(dir: &str, events: &[Event]) {
    let sse = encode(events, false);
    golden(&format!("{dir}/client.sse.json"), &sse_chunks(&sse));
    let array = encode(events, true);
    let parsed: Value = serde_json::from_slice(&array)
        .unwrap_or_else(|e| panic!("{dir}: array framing is not JSON ({e})"));
    assert_eq!(
        parsed,
        sse_chunks(&sse),
        "{dir}: both framings carry the same chunks"
    );
}

#[test]
fn upstream_streams_decode_the_same_at_every_split_and_reencode() {
    for case in STREAMS {
        let body = read(&format!("stream/{case}/upstream.sse"));
        let whole = decode_chunks([&body[..]]);
        golden(
            &format!("stream/{case}/events.json"),
            &render::events(&whole),
        );
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(decode_chunks([a, b]), whole, "{case}: split at {cut}");
        }
        for size in [1, 2, 3, 7, 64] {
            assert_eq!(
                decode_chunks(body.chunks(size)),
                whole,
                "{case}: chunks of {size}"
            );
        }
        check_encodings(&format!("stream/{case}"), &whole);
    }
}

/// Event sequences as other upstreams' decoders produce them.
const ENCODES: &[&str] = &["claude_thinking_tools", "openai_text_usage_after_finish"];

#[test]
fn ir_event_sequences_encode_as_the_golden_files_say() {
    for case in ENCODES {
        let events = parse::events(&read_json(&format!("stream_encode/{case}/events.json")));
        check_encodings(&format!("stream_encode/{case}"), &events);
    }
}

#[test]
fn sse_frames_end_with_crlf_and_the_array_closes_even_when_empty() {
    let mut enc = StreamEncoder::new("m", "r");
    let mut out = BytesMut::new();
    enc.push(
        &Event::Start {
            id: "x".into(),
            model: "y".into(),
        },
        &mut out,
    );
    enc.push(
        &Event::BlockStart {
            index: 0,
            kind: crate::ir::BlockKind::Text,
        },
        &mut out,
    );
    enc.push(
        &Event::Delta {
            index: 0,
            delta: crate::ir::Delta::Text("hi".into()),
        },
        &mut out,
    );
    assert_eq!(
        &out[..],
        &b"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"hi\"}]},\"index\":0}],\"modelVersion\":\"m\",\"responseId\":\"r\"}\r\n\r\n"[..]
    );
    let mut enc = StreamEncoder::new("m", "r").with_json_array();
    let mut out = BytesMut::new();
    enc.finish(&mut out);
    assert_eq!(&out[..], b"[]");
}
