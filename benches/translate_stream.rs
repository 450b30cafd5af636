//! Streaming translation throughput (MB/s of upstream SSE) for the Claude↔OpenAI pairs:
//! upstream bytes → SSE framing → upstream decoder → IR events → client encoder.

#![allow(
    clippy::unwrap_used,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;

use cliproxy::protocol::{sse, Format};
use cliproxy::translate::{ClientApi, StreamDecoder, StreamEncoder};

fn openai_stream(chunks: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..chunks {
        let v = json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",
            "choices":[{"index":0,"delta":{"content":format!("token{i} and some more text ")},"finish_reason":null}]});
        s.push_str(&format!("data: {v}\n\n"));
    }
    s.push_str("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

fn claude_stream(chunks: usize) -> Vec<u8> {
    let mut s = String::from("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    for i in 0..chunks {
        let v = json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":format!("token{i} and some more text ")}});
        s.push_str(&format!("event: content_block_delta\ndata: {v}\n\n"));
    }
    s.push_str("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":50}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    s.into_bytes()
}

fn relay(input: &[u8], upstream: Format, client: ClientApi) -> usize {
    let mut framer = sse::Framer::new();
    let mut dec = StreamDecoder::new(upstream);
    let mut enc = StreamEncoder::new(client, "alias", "id-1", 1, true);
    let mut events = Vec::new();
    let mut out = BytesMut::new();
    let mut total = 0;
    for chunk in input.chunks(1460) {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame().unwrap() {
            dec.push(&sse::parse(&frame), &mut events).unwrap();
        }
        for ev in events.drain(..) {
            enc.push(&ev, &mut out);
        }
        total += out.len();
        out.clear();
    }
    dec.finish(&mut events);
    for ev in events.drain(..) {
        enc.push(&ev, &mut out);
    }
    enc.finish(&mut out);
    total + out.len()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate/stream");
    let openai = openai_stream(2000);
    let claude = claude_stream(2000);
    g.throughput(Throughput::Bytes(openai.len() as u64));
    g.bench_function(
        BenchmarkId::new("openai_upstream_to_claude_client", openai.len()),
        |b| {
            b.iter(|| {
                black_box(relay(
                    black_box(&openai),
                    Format::OpenAiChat,
                    ClientApi::Messages,
                ))
            })
        },
    );
    g.throughput(Throughput::Bytes(claude.len() as u64));
    g.bench_function(
        BenchmarkId::new("claude_upstream_to_openai_client", claude.len()),
        |b| b.iter(|| black_box(relay(black_box(&claude), Format::Claude, ClientApi::Chat))),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
