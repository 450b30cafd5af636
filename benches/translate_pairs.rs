//! Translation cost per (client format, upstream family) pair, through the functions the
//! pipeline's IR lane calls:
//! - request: a client body decoded into the IR and encoded for the upstream
//!   (`decode_request` + `encode_upstream_request`), by conversation size: 0/1/4/16/64 turns,
//!   each a question, a tool call, its result and an answer;
//! - stream: an upstream stream (thinking where the family streams it, 400 text deltas, a tool
//!   call in 20 argument deltas, usage) through `Transcoder` into the client's stream, fed in
//!   1460-byte reads; MB/s of upstream SSE.
//!
//! Same-family pairs take the IR lane only with a thinking suffix on the model name (and Gemini
//! JSON-array streams, and non-stream Responses → Codex); they are measured on that lane.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};

use cliproxy::protocol::Format;
use cliproxy::translate::{self, ClientApi, Reply, Transcoder};

#[path = "../tests/support/pairs.rs"]
mod pairs;

use pairs::{CLIENTS, UPSTREAMS};

const TURNS: [usize; 5] = [0, 1, 4, 16, 64];

const SYSTEM: &str = "You are a helpful assistant. Answer briefly and cite the docs you used.";

fn question(i: usize) -> String {
    format!("Question {i}: how do I reverse a linked list in Rust without unsafe code?")
}

fn answer(i: usize) -> String {
    format!(
        "Answer {i}: use Option<Box<Node>> and take() each next pointer while walking the list."
    )
}

const RESULT: &str = "Option<Box<Node>>: take() each next pointer while walking the list.";

fn args(i: usize) -> String {
    format!(r#"{{"query":"linked list {i}","limit":5}}"#)
}

fn schema() -> Value {
    json!({"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},"required":["query"]})
}

/// A client request of `turns` turns in `client`'s format, ending with a question.
fn request(client: ClientApi, turns: usize) -> Vec<u8> {
    let last = turns;
    let body = match client {
        ClientApi::Chat | ClientApi::Completions => {
            let mut messages = vec![json!({"role":"system","content":SYSTEM})];
            for i in 0..turns {
                messages.push(json!({"role":"user","content":question(i)}));
                messages.push(json!({"role":"assistant","content":null,"tool_calls":[{"id":format!("call_{i}"),"type":"function","function":{"name":"search_docs","arguments":args(i)}}]}));
                messages.push(
                    json!({"role":"tool","tool_call_id":format!("call_{i}"),"content":RESULT}),
                );
                messages.push(json!({"role":"assistant","content":answer(i)}));
            }
            messages.push(json!({"role":"user","content":question(last)}));
            json!({"model":"m","temperature":0.2,"messages":messages,
                "tools":[{"type":"function","function":{"name":"search_docs","description":"Search the docs","parameters":schema()}}]})
        }
        ClientApi::Responses => {
            let mut input = Vec::new();
            for i in 0..turns {
                input.push(json!({"role":"user","content":question(i)}));
                input.push(json!({"type":"function_call","call_id":format!("call_{i}"),"name":"search_docs","arguments":args(i)}));
                input.push(json!({"type":"function_call_output","call_id":format!("call_{i}"),"output":RESULT}));
                input.push(json!({"type":"message","role":"assistant","content":[{"type":"output_text","text":answer(i)}]}));
            }
            input.push(json!({"role":"user","content":question(last)}));
            json!({"model":"m","instructions":SYSTEM,"input":input,
                "tools":[{"type":"function","name":"search_docs","description":"Search the docs","parameters":schema()}]})
        }
        ClientApi::Messages => {
            let mut messages = Vec::new();
            for i in 0..turns {
                messages.push(json!({"role":"user","content":question(i)}));
                messages.push(json!({"role":"assistant","content":[{"type":"tool_use","id":format!("toolu_{i}"),"name":"search_docs","input":{"query":format!("linked list {i}"),"limit":5}}]}));
                messages.push(json!({"role":"user","content":[{"type":"tool_result","tool_use_id":format!("toolu_{i}"),"content":RESULT}]}));
                messages.push(json!({"role":"assistant","content":answer(i)}));
            }
            messages.push(json!({"role":"user","content":question(last)}));
            json!({"model":"m","max_tokens":1024,"system":SYSTEM,"messages":messages,
                "tools":[{"name":"search_docs","description":"Search the docs","input_schema":schema()}]})
        }
        ClientApi::Gemini { .. } => {
            let mut contents = Vec::new();
            for i in 0..turns {
                contents.push(json!({"role":"user","parts":[{"text":question(i)}]}));
                contents.push(json!({"role":"model","parts":[{"functionCall":{"name":"search_docs","args":{"query":format!("linked list {i}"),"limit":5}}}]}));
                contents.push(json!({"role":"user","parts":[{"functionResponse":{"name":"search_docs","response":{"result":RESULT}}}]}));
                contents.push(json!({"role":"model","parts":[{"text":answer(i)}]}));
            }
            contents.push(json!({"role":"user","parts":[{"text":question(last)}]}));
            json!({"systemInstruction":{"parts":[{"text":SYSTEM}]},"contents":contents,
                "tools":[{"functionDeclarations":[{"name":"search_docs","description":"Search the docs","parameters":schema()}]}]})
        }
    };
    serde_json::to_vec(&body).unwrap()
}

const TEXT_DELTAS: usize = 400;
const ARG_DELTAS: usize = 20;

fn token(i: usize) -> String {
    format!("token{i} and some more text ")
}

fn arg_piece(i: usize) -> String {
    format!("\"k{i}\":\"value {i}\",")
}

fn sse(out: &mut String, event: Option<&str>, data: &Value) {
    if let Some(e) = event {
        out.push_str("event: ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str("data: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

/// An upstream stream in `upstream`'s format: reasoning, text deltas, one tool call whose
/// arguments arrive in pieces, usage.
fn stream(upstream: Format) -> Vec<u8> {
    let mut s = String::new();
    let args_open = "{";
    let args_close = "\"end\":true}";
    match upstream {
        Format::OpenAiChat => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",
                    "choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
            };
            sse(
                &mut s,
                None,
                &chunk(
                    json!({"role":"assistant","reasoning_content":"Let me think."}),
                    Value::Null,
                ),
            );
            for i in 0..TEXT_DELTAS {
                sse(
                    &mut s,
                    None,
                    &chunk(json!({"content":token(i)}), Value::Null),
                );
            }
            sse(
                &mut s,
                None,
                &chunk(
                    json!({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"search_docs","arguments":args_open}}]}),
                    Value::Null,
                ),
            );
            for i in 0..ARG_DELTAS {
                sse(
                    &mut s,
                    None,
                    &chunk(
                        json!({"tool_calls":[{"index":0,"function":{"arguments":arg_piece(i)}}]}),
                        Value::Null,
                    ),
                );
            }
            sse(
                &mut s,
                None,
                &chunk(
                    json!({"tool_calls":[{"index":0,"function":{"arguments":args_close}}]}),
                    Value::Null,
                ),
            );
            sse(&mut s, None, &chunk(json!({}), json!("tool_calls")));
            sse(
                &mut s,
                None,
                &json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],
                "usage":{"prompt_tokens":1200,"completion_tokens":900,"total_tokens":2100,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":100}}}),
            );
            s.push_str("data: [DONE]\n\n");
        }
        Format::Claude => {
            sse(
                &mut s,
                Some("message_start"),
                &json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,
                "usage":{"input_tokens":176,"cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"output_tokens":1}}}),
            );
            let delta = |index: usize, delta: Value| json!({"type":"content_block_delta","index":index,"delta":delta});
            sse(
                &mut s,
                Some("content_block_start"),
                &json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}),
            );
            sse(
                &mut s,
                Some("content_block_delta"),
                &delta(
                    0,
                    json!({"type":"thinking_delta","thinking":"Let me think."}),
                ),
            );
            sse(
                &mut s,
                Some("content_block_delta"),
                &delta(
                    0,
                    json!({"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}),
                ),
            );
            sse(
                &mut s,
                Some("content_block_stop"),
                &json!({"type":"content_block_stop","index":0}),
            );
            sse(
                &mut s,
                Some("content_block_start"),
                &json!({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}),
            );
            for i in 0..TEXT_DELTAS {
                sse(
                    &mut s,
                    Some("content_block_delta"),
                    &delta(1, json!({"type":"text_delta","text":token(i)})),
                );
            }
            sse(
                &mut s,
                Some("content_block_stop"),
                &json!({"type":"content_block_stop","index":1}),
            );
            sse(
                &mut s,
                Some("content_block_start"),
                &json!({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"search_docs","input":{}}}),
            );
            sse(
                &mut s,
                Some("content_block_delta"),
                &delta(
                    2,
                    json!({"type":"input_json_delta","partial_json":args_open}),
                ),
            );
            for i in 0..ARG_DELTAS {
                sse(
                    &mut s,
                    Some("content_block_delta"),
                    &delta(
                        2,
                        json!({"type":"input_json_delta","partial_json":arg_piece(i)}),
                    ),
                );
            }
            sse(
                &mut s,
                Some("content_block_delta"),
                &delta(
                    2,
                    json!({"type":"input_json_delta","partial_json":args_close}),
                ),
            );
            sse(
                &mut s,
                Some("content_block_stop"),
                &json!({"type":"content_block_stop","index":2}),
            );
            sse(
                &mut s,
                Some("message_delta"),
                &json!({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":900}}),
            );
            sse(
                &mut s,
                Some("message_stop"),
                &json!({"type":"message_stop"}),
            );
        }
        Format::Gemini => {
            // Gemini sends whole parts; a call arrives in one chunk.
            let chunk = |parts: Value, finish: Option<&str>| {
                let mut candidate = json!({"content":{"role":"model","parts":parts},"index":0});
                if let Some(f) = finish {
                    candidate["finishReason"] = json!(f);
                }
                json!({"candidates":[candidate],"usageMetadata":{"promptTokenCount":1200,"candidatesTokenCount":800,"totalTokenCount":2100,"cachedContentTokenCount":1024,"thoughtsTokenCount":100},
                    "modelVersion":"m","responseId":"r1"})
            };
            sse(
                &mut s,
                None,
                &chunk(json!([{"text":"Let me think.","thought":true}]), None),
            );
            for i in 0..TEXT_DELTAS {
                sse(&mut s, None, &chunk(json!([{"text":token(i)}]), None));
            }
            let mut call_args = serde_json::Map::new();
            for i in 0..ARG_DELTAS {
                call_args.insert(format!("k{i}"), json!(format!("value {i}")));
            }
            sse(
                &mut s,
                None,
                &chunk(
                    json!([{"functionCall":{"name":"search_docs","args":call_args},"thoughtSignature":"CiUBVKhc7oKHm8kvFh0wH2ZaOiF4Lw0Gmh3vAiVd5v2yQ5rqrVQX"}]),
                    Some("STOP"),
                ),
            );
        }
        Format::OpenAiResponses => {
            let mut seq = 0usize;
            let mut ev = |s: &mut String, name: &str, mut data: Value| {
                data["type"] = json!(name);
                data["sequence_number"] = json!(seq);
                seq += 1;
                sse(s, Some(name), &data);
            };
            let resp = |status: &str, usage: Value| json!({"id":"resp_1","object":"response","created_at":1,"status":status,"model":"m","output":[],"usage":usage});
            ev(
                &mut s,
                "response.created",
                json!({"response":resp("in_progress", Value::Null)}),
            );
            ev(
                &mut s,
                "response.output_item.added",
                json!({"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}),
            );
            ev(
                &mut s,
                "response.reasoning_summary_text.delta",
                json!({"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Let me think."}),
            );
            ev(
                &mut s,
                "response.output_item.done",
                json!({"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Let me think."}],"encrypted_content":"gAAAAABor0Az"}}),
            );
            ev(
                &mut s,
                "response.output_item.added",
                json!({"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}),
            );
            ev(
                &mut s,
                "response.content_part.added",
                json!({"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}),
            );
            for i in 0..TEXT_DELTAS {
                ev(
                    &mut s,
                    "response.output_text.delta",
                    json!({"item_id":"msg_1","output_index":1,"content_index":0,"delta":token(i)}),
                );
            }
            ev(
                &mut s,
                "response.output_item.done",
                json!({"output_index":1,"item":{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[]}}),
            );
            ev(
                &mut s,
                "response.output_item.added",
                json!({"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"search_docs"}}),
            );
            ev(
                &mut s,
                "response.function_call_arguments.delta",
                json!({"item_id":"fc_1","output_index":2,"delta":args_open}),
            );
            for i in 0..ARG_DELTAS {
                ev(
                    &mut s,
                    "response.function_call_arguments.delta",
                    json!({"item_id":"fc_1","output_index":2,"delta":arg_piece(i)}),
                );
            }
            ev(
                &mut s,
                "response.function_call_arguments.delta",
                json!({"item_id":"fc_1","output_index":2,"delta":args_close}),
            );
            ev(
                &mut s,
                "response.output_item.done",
                json!({"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"completed","arguments":"","call_id":"call_1","name":"search_docs"}}),
            );
            ev(
                &mut s,
                "response.completed",
                json!({"response":resp("completed", json!({"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024},"output_tokens":900,"output_tokens_details":{"reasoning_tokens":100},"total_tokens":2100}))}),
            );
        }
    }
    s.into_bytes()
}

fn bench_requests(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate_pairs/request");
    for (client_name, client) in CLIENTS {
        for turns in TURNS {
            let body = request(client, turns);
            for (up_name, upstream, model) in UPSTREAMS {
                let id = BenchmarkId::new(format!("{client_name}->{up_name}"), turns);
                g.bench_with_input(id, &body, |b, body| {
                    b.iter(|| {
                        let ir = translate::decode_request(client, black_box(body), "m").unwrap();
                        black_box(
                            translate::encode_upstream_request(&ir, upstream, model, false, None)
                                .unwrap(),
                        )
                    })
                });
            }
        }
    }
    g.finish();
}

fn bench_streams(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate_pairs/stream");
    for (up_name, upstream, _) in UPSTREAMS {
        let body = stream(upstream);
        // The generated stream must be one the decoder reads whole: text, a call, usage.
        let events = translate::decode_stream_body(upstream, &body).unwrap();
        let resp = translate::aggregate::aggregate(&events, translate::family(upstream)).unwrap();
        assert!(
            resp.content.len() >= 3 && resp.usage.input == 1200,
            "{up_name}: {resp:?}"
        );
        g.throughput(Throughput::Bytes(body.len() as u64));
        for (client_name, client) in CLIENTS {
            let reply = Reply {
                client,
                model: "alias",
                id: "id-1",
                created: 1,
                stream: true,
                wants_usage: true,
                tool_names: None,
            };
            g.bench_function(format!("{up_name}->{client_name}"), |b| {
                // One client chunk per upstream read, as the relay sends them.
                let mut out = BytesMut::with_capacity(8192);
                b.iter(|| {
                    let mut t = Transcoder::new(upstream, &reply);
                    let mut sent = 0;
                    for read in black_box(&body).chunks(1460) {
                        t.push(read, &mut out);
                        sent += out.len();
                        out.clear();
                    }
                    t.finish(&mut out);
                    sent += out.len();
                    out.clear();
                    black_box(sent)
                })
            });
        }
    }
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
    targets = bench_requests, bench_streams
}
criterion_main!(benches);
