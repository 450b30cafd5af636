//! Golden fixtures (`tests/fixtures/gemini/`), round trips, stream chunking and property
//! tests for the Gemini codec. Expected files are rewritten with `UPDATE_GOLDEN=1`; review
//! the diff like code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod cases;
mod golden;
mod parse;
mod props;
mod render;
mod streams;

use std::path::PathBuf;

use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gemini")
}

fn read(path: &str) -> Vec<u8> {
    let full = fixtures().join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn read_json(path: &str) -> Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares `actual` with the golden file at `path` as parsed JSON, or rewrites the file when
/// `UPDATE_GOLDEN` is set.
fn golden(path: &str, actual: &Value) {
    let full = fixtures().join(path);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let mut text = serde_json::to_string_pretty(actual).unwrap();
        text.push('\n');
        std::fs::write(&full, text).unwrap();
        return;
    }
    let expected: Value = serde_json::from_slice(
        &std::fs::read(&full)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", full.display())),
    )
    .unwrap();
    if *actual != expected {
        panic!(
            "{path} differs\n--- expected\n{}\n--- actual\n{}",
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(actual).unwrap()
        );
    }
}

/// Body bytes as JSON.
fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}
