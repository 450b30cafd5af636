//! The passthrough lane's per-request and per-frame costs: reading and patching a chat
//! request, and relaying a chat stream with and without the model rewrite.

#![allow(
    clippy::unwrap_used,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;

use cliproxy::translate::passthrough::{
    inspect_chat, patch_chat_response, ChatStream, ModelRewrite,
};

fn request(turns: usize) -> Vec<u8> {
    let mut messages = vec![json!({"role":"system","content":"You are a helpful assistant."})];
    for i in 0..turns {
        messages.push(json!({"role":"user","content":format!("Question {i}: how do I reverse a linked list in Rust without unsafe code?")}));
        messages.push(json!({"role":"assistant","content":format!("Answer {i}: use Option<Box<Node>> and take() each next pointer while walking the list.")}));
    }
    messages.push(json!({"role":"user","content":"Thanks!"}));
    serde_json::to_vec(
        &json!({"model":"gpt-4o","stream":true,"temperature":0.2,"messages":messages}),
    )
    .unwrap()
}

fn stream(chunks: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..chunks {
        s.push_str(&format!(
            "data: {}\n\n",
            json!({"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"openai/gpt-4o-2024-08-06","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":format!("token{i} ")},"logprobs":null,"finish_reason":null}]})
        ));
    }
    s.push_str("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"model\":\"openai/gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":50,\"total_tokens\":69}}\n\ndata: [DONE]\n\n");
    s.into_bytes()
}

fn bench_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("passthrough/request");
    for turns in [0usize, 1, 4, 16, 64] {
        let body = request(turns);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("inspect+patch", turns),
            &body,
            |b, body| {
                b.iter(|| {
                    let req = inspect_chat(black_box(body)).unwrap();
                    black_box(req.upstream_body("openai/gpt-4o"))
                })
            },
        );
    }
    g.finish();
}

fn bench_response(c: &mut Criterion) {
    let body = bytes::Bytes::from_static(include_bytes!(
        "../tests/fixtures/openai/chat_completion.json"
    ));
    let rewrite = ModelRewrite::new("gpt-4o", "openai/gpt-4o");
    c.bench_function("passthrough/response/patch_model", |b| {
        b.iter(|| black_box(patch_chat_response(black_box(body.clone()), &rewrite)))
    });
}

fn bench_stream(c: &mut Criterion) {
    let input = stream(50);
    let frames = 52u64;
    let mut g = c.benchmark_group("passthrough/stream");
    g.throughput(Throughput::Bytes(input.len() as u64));
    for (name, alias) in [
        ("rewrite_model", "gpt-4o"),
        ("same_model", "openai/gpt-4o-2024-08-06"),
    ] {
        g.bench_function(BenchmarkId::new(name, "50_chunks_1460B_reads"), |b| {
            b.iter(|| {
                let mut st =
                    ChatStream::new(ModelRewrite::new(alias, "openai/gpt-4o-2024-08-06"), false);
                let mut out = Vec::with_capacity(64);
                for chunk in input.chunks(1460) {
                    st.push(black_box(chunk), &mut out).unwrap();
                }
                st.finish(&mut out);
                black_box(out.len())
            })
        });
    }
    g.finish();
    eprintln!("(stream benches relay {frames} frames per iteration)");
}

criterion_group!(benches, bench_request, bench_response, bench_stream);
criterion_main!(benches);
