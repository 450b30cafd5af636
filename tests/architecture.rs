//! Guards the module boundaries from ARCHITECTURE.md: only the I/O shell names a runtime,
//! and the wire-format layer never reaches up into translation or providers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source lines with comments removed, so a doc comment may mention a runtime by name.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let code = l.split("//").next().unwrap_or("");
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

fn names_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn only_the_shell_names_a_runtime() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "walked too few files: {}", files.len());
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let shell = rel == "main.rs"
            || rel == "server.rs"
            || rel.starts_with("server/")
            || rel == "upstream.rs"
            || rel.starts_with("upstream/");
        if shell {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        for (line, code) in code_lines(&text) {
            if names_word(code, "monoio") || names_word(code, "tokio") {
                offenders.push(format!("src/{rel}:{line}: {}", code.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "runtime named outside the shell:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn protocol_and_ir_do_not_import_translate_or_provider() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lower = ["protocol.rs", "ir.rs"].contains(&rel.as_str())
            || rel.starts_with("protocol/")
            || rel.starts_with("ir/");
        if !lower {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        for (line, code) in code_lines(&text) {
            for banned in [
                "crate::translate",
                "crate::provider",
                "super::translate",
                "super::provider",
            ] {
                if code.contains(banned) {
                    offenders.push(format!("src/{rel}:{line}: {}", code.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "layering violation:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_checker_catches_a_violation() {
    assert!(names_word("use tokio::net;", "tokio"));
    assert!(names_word("monoio::spawn(x)", "monoio"));
    assert!(!names_word("let tokio_like = 1;", "tokio"));
    assert!(!names_word("runtime_tokio", "tokio"));
    let lines: Vec<_> = code_lines("// tokio\nlet a = 1; // monoio\n").collect();
    assert_eq!(lines.len(), 1);
    assert!(!names_word(lines[0].1, "monoio"));
}
