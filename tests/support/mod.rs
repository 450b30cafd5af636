//! Shared integration-test support: a loopback mock upstream that records what it receives
//! ([`MockUpstream`]), loopback CONNECT and SOCKS5 proxies ([`TestProxy`]), and a small HTTP/1.1
//! test client ([`send`], [`send_streaming`], [`raw_exchange`]).
//! Everything binds `127.0.0.1:0`, so tests run in parallel. Only [`gateway`] uses cliproxy
//! itself (to start the real server in-process); a test binary pulls it all in with `mod support;`.
// Not every test binary uses every helper or re-export.
#![allow(dead_code, unused_imports)]
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a broken fixture should fail the test loudly"
)]

pub mod client;
pub mod gateway;
pub mod mock;
pub mod proxy;
mod tls;

pub use client::{
    raw_exchange, send, send_streaming, sse_data_frames, Response, StreamingResponse,
};
pub use mock::{MockUpstream, Recorded, Reply};
pub use proxy::TestProxy;

/// OpenAI's documented `chat.completion` example, as the mocks answer it.
pub const CHAT_COMPLETION: &str = include_str!("../fixtures/openai/chat_completion.json");

/// A fresh, empty directory under the system temp dir, unique to this process and call.
pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "cliproxy-test-{}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).expect("create a temp dir");
    d
}

/// First value of header `name` (matched case-insensitively) in a list of `(name, value)` pairs.
fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Converts a hyper header map into `(lowercase name, value)` pairs, keeping every value.
/// Non-UTF-8 values are converted lossily: tests compare text.
fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}
