//! SSE framing throughput over a ~1 MB OpenAI chat.completion.chunk stream, fed in 16 KiB
//! reads, 1,460-byte (one TCP segment) reads and one read per event; plus `parse` per frame.

use std::hint::black_box;

use bytes::Bytes;
use cliproxy::protocol::sse;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A realistic OpenAI stream of about 1 MB: a role chunk, many content chunks, stop, usage, DONE.
fn openai_stream() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "The",
        " quick",
        " brown",
        " fox",
        " jumps",
        " over",
        " the",
        " lazy",
        " dog",
        ".",
        " Streaming",
        " responses",
        " arrive",
        " as",
        " small",
        " \\\"deltas\\\"",
        ",",
        " \\n",
        " caf\\u00e9",
        " \u{1F980}",
    ];
    let prefix = r#"data: {"id":"chatcmpl-AZ1x2y3QZ4w5v6u7t8s9r0","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":"#;
    let suffix = r#","logprobs":null,"finish_reason":null}]}"#;
    let mut out = String::new();
    out.push_str(prefix);
    out.push_str(r#"{"role":"assistant","content":"","refusal":null}"#);
    out.push_str(suffix);
    out.push_str("\n\n");
    let mut i = 0;
    while out.len() < 1_000_000 {
        let word = WORDS.get(i % WORDS.len()).copied().unwrap_or_default();
        out.push_str(prefix);
        out.push_str(r#"{"content":""#);
        out.push_str(word);
        out.push_str(r#""}"#);
        out.push_str(suffix);
        out.push_str("\n\n");
        i += 1;
    }
    out.push_str(prefix);
    out.push_str(r#"{},"logprobs":null,"finish_reason":"stop"}]}"#);
    out.push_str("\n\n");
    out.push_str(r#"data: {"id":"chatcmpl-AZ1x2y3QZ4w5v6u7t8s9r0","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":4000,"total_tokens":4012}}"#);
    out.push_str("\n\ndata: [DONE]\n\n");
    out.into_bytes()
}

fn frame_all(chunks: &[&[u8]]) -> usize {
    let mut framer = sse::Framer::new();
    let mut n = 0;
    for chunk in chunks {
        framer.push(black_box(chunk));
        while let Ok(Some(frame)) = framer.next_frame() {
            black_box(&frame);
            n += 1;
        }
    }
    n
}

/// Splits `stream` into reads of `size` bytes, or one read per event when `size` is 0
/// (an LLM upstream flushes each event, so a read often holds exactly one).
fn reads(stream: &[u8], size: usize) -> Vec<Bytes> {
    if size > 0 {
        return stream.chunks(size).map(Bytes::copy_from_slice).collect();
    }
    let mut framer = sse::Framer::new();
    framer.push(stream);
    let mut out = Vec::new();
    while let Ok(Some(frame)) = framer.next_frame() {
        out.push(frame);
    }
    out
}

fn framing(c: &mut Criterion) {
    let stream = openai_stream();
    let mut group = c.benchmark_group("sse_frame");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    for (name, size) in [
        ("openai_16KiB_reads", 16 * 1024),
        ("openai_1460B_reads", 1460),
        ("openai_event_reads", 0),
    ] {
        let owned = reads(&stream, size);
        let chunks: Vec<&[u8]> = owned.iter().map(|b| &b[..]).collect();
        group.bench_function(name, |b| b.iter(|| frame_all(black_box(&chunks))));
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let stream = openai_stream();
    let mut framer = sse::Framer::new();
    framer.push(&stream);
    let mut frames: Vec<Bytes> = Vec::new();
    while let Ok(Some(frame)) = framer.next_frame() {
        frames.push(frame);
    }
    let total: usize = frames.iter().map(Bytes::len).sum();

    let mut group = c.benchmark_group("sse_parse");
    let one = frames.get(1).cloned().unwrap_or_default();
    group.throughput(Throughput::Elements(1));
    group.bench_function("openai_frame", |b| {
        b.iter(|| sse::parse(black_box(&one)).data.len())
    });
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("openai_stream_all_frames", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| sse::parse(black_box(f)).data.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, framing, parsing);
criterion_main!(benches);
