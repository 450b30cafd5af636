//! The OpenAI Chat codec's costs: a client request decoded into the IR and encoded for an
//! OpenAI-compatible upstream, by conversation size (0/1/4/16/64 turns, each turn a question,
//! a tool call, its result and an answer); and an upstream chat stream decoded into IR events
//! and re-encoded as client chunks (MB/s of upstream SSE).

#![allow(
    clippy::unwrap_used,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;

use cliproxy::protocol::sse;
use cliproxy::translate::openai::{decode_request, encode_request, StreamDecoder, StreamEncoder};

fn request(turns: usize) -> Vec<u8> {
    let mut messages = vec![json!({"role":"system","content":"You are a helpful assistant."})];
    for i in 0..turns {
        messages.push(json!({"role":"user","content":format!("Question {i}: how do I reverse a linked list in Rust without unsafe code?")}));
        messages.push(json!({"role":"assistant","content":null,"tool_calls":[{"id":format!("call_{i}"),"type":"function","function":{"name":"search_docs","arguments":format!("{{\"query\":\"linked list {i}\"}}")}}]}));
        messages.push(json!({"role":"tool","tool_call_id":format!("call_{i}"),"content":"Option<Box<Node>>: take() each next pointer while walking the list."}));
        messages.push(json!({"role":"assistant","content":format!("Answer {i}: use Option<Box<Node>> and take() each next pointer while walking the list.")}));
    }
    messages.push(json!({"role":"user","content":"Thanks!"}));
    let tools = json!([{"type":"function","function":{"name":"search_docs","description":"Search the docs","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}]);
    serde_json::to_vec(&json!({"model":"gpt-4o","stream":true,"temperature":0.2,"tools":tools,"messages":messages})).unwrap()
}

fn stream(chunks: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..chunks {
        s.push_str(&format!(
            "data: {}\n\n",
            json!({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":format!("token{i} ")},"logprobs":null,"finish_reason":null}]})
        ));
    }
    s.push_str("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    s.push_str("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":50,\"total_tokens\":69}}\n\ndata: [DONE]\n\n");
    s.into_bytes()
}

fn bench_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate_openai/request");
    for turns in [0usize, 1, 4, 16, 64] {
        let body = request(turns);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::new("decode", turns), &body, |b, body| {
            b.iter(|| black_box(decode_request(black_box(body)).unwrap()))
        });
        let ir = decode_request(&body).unwrap();
        g.bench_with_input(BenchmarkId::new("encode", turns), &ir, |b, ir| {
            b.iter(|| black_box(encode_request(black_box(ir), "upstream-model").unwrap()))
        });
        g.bench_with_input(
            BenchmarkId::new("decode+encode", turns),
            &body,
            |b, body| {
                b.iter(|| {
                    let ir = decode_request(black_box(body)).unwrap();
                    black_box(encode_request(&ir, "upstream-model").unwrap())
                })
            },
        );
    }
    g.finish();
}

fn bench_stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate_openai/stream");
    let body = stream(1000);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("decode+encode", |b| {
        let mut events = Vec::with_capacity(8);
        let mut out = BytesMut::with_capacity(body.len());
        b.iter(|| {
            let mut framer = sse::Framer::new();
            let mut dec = StreamDecoder::new();
            let mut enc = StreamEncoder::new("client-model", "chatcmpl-1");
            out.clear();
            framer.push(black_box(&body));
            while let Some(frame) = framer.next_frame().unwrap() {
                events.clear();
                dec.push(&sse::parse(&frame), &mut events).unwrap();
                for ev in &events {
                    enc.push(ev, &mut out);
                }
            }
            events.clear();
            dec.finish(&mut events);
            for ev in &events {
                enc.push(ev, &mut out);
            }
            enc.finish(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_request, bench_stream
}
criterion_main!(benches);
