//! Streaming translation throughput (MB/s of upstream SSE) for the Claude↔OpenAI pairs:
//! upstream bytes → SSE framing → upstream decoder → IR events → client encoder.
//!
//! Two groups run the same relays: `translate/stream` in wall-clock time (criterion's default)
//! and, on Linux, `translate/stream_cpu` in the bench thread's CPU time. Issue 3's bar is MB/s
//! on one core; on a box shared with builds the wall clock also counts time the thread spent
//! waiting for a core, so quote the CPU-time group there. The allocator is the gateway's
//! (mimalloc), so allocation costs what it costs in production.

#![allow(
    clippy::unwrap_used,
    reason = "bench fixtures are built in code; a failure should stop the bench"
)]

use std::hint::black_box;

use bytes::BytesMut;
use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;

use cliproxy::protocol::{sse, Format};
use cliproxy::translate::{ClientApi, StreamDecoder, StreamEncoder};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn pairs<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let mut g = c.benchmark_group(group);
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

fn wall(c: &mut Criterion) {
    pairs(c, "translate/stream");
}

criterion_group!(wall_clock, wall);

#[cfg(target_os = "linux")]
mod cpu {
    //! Criterion measured in the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).

    use std::time::Duration;

    use criterion::measurement::{Measurement, ValueFormatter};
    use criterion::{Criterion, Throughput};
    use nix::time::{clock_gettime, ClockId};

    /// The bench thread's CPU time.
    pub struct ThreadCpu;

    fn now() -> Duration {
        clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
    }

    impl Measurement for ThreadCpu {
        type Intermediate = Duration;
        type Value = Duration;

        fn start(&self) -> Duration {
            now()
        }
        fn end(&self, start: Duration) -> Duration {
            now().saturating_sub(start)
        }
        fn add(&self, a: &Duration, b: &Duration) -> Duration {
            *a + *b
        }
        fn zero(&self) -> Duration {
            Duration::ZERO
        }
        fn to_f64(&self, d: &Duration) -> f64 {
            d.as_nanos() as f64
        }
        fn formatter(&self) -> &dyn ValueFormatter {
            &CpuFormatter
        }
    }

    /// Nanoseconds of CPU time shown as ns/µs/ms, throughput as decimal MB/s.
    struct CpuFormatter;

    impl ValueFormatter for CpuFormatter {
        fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
            let (factor, unit) = if typical < 1e3 {
                (1.0, "ns cpu")
            } else if typical < 1e6 {
                (1e-3, "µs cpu")
            } else {
                (1e-6, "ms cpu")
            };
            values.iter_mut().for_each(|v| *v *= factor);
            unit
        }

        fn scale_throughputs(
            &self,
            _typical: f64,
            throughput: &Throughput,
            values: &mut [f64],
        ) -> &'static str {
            let (n, unit) = match throughput {
                Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "MB/s cpu"),
                Throughput::Elements(n) => (*n as f64, "Melem/s cpu"),
            };
            // values are ns per iteration: n units per value ns = n * 1e3 / value millions/s.
            values.iter_mut().for_each(|v| *v = n * 1e3 / *v);
            unit
        }

        fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
            "ns"
        }
    }

    pub fn config() -> Criterion<ThreadCpu> {
        Criterion::default().with_measurement(ThreadCpu)
    }
}

#[cfg(target_os = "linux")]
fn on_cpu(c: &mut Criterion<cpu::ThreadCpu>) {
    pairs(c, "translate/stream_cpu");
}

#[cfg(target_os = "linux")]
criterion_group! {
    name = cpu_time;
    config = cpu::config();
    targets = on_cpu
}

#[cfg(target_os = "linux")]
criterion_main!(wall_clock, cpu_time);
#[cfg(not(target_os = "linux"))]
criterion_main!(wall_clock);
