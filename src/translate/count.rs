//! Local token counting for `count_tokens` / `countTokens` when the upstream has no count
//! endpoint (OpenAI-compatible, Codex): a real BPE tokenizer (tiktoken's o200k_base for the
//! GPT-4o/GPT-5/o-series families, cl100k_base otherwise), never a length/4 guess. Pure; the
//! tokenizer tables are built once per process on first use.

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

use crate::ir::{Block, Request};

/// Tokens OpenAI documents as framing per message (`<|start|>role ... <|end|>`).
const PER_MESSAGE: u64 = 3;
/// Tokens that prime the assistant's reply.
const REPLY_PRIMING: u64 = 3;
/// A flat charge per image: OpenAI's low-detail cost, the only size-free figure.
const PER_IMAGE: u64 = 85;

fn o200k() -> Option<&'static CoreBPE> {
    static BPE: OnceLock<Option<CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::o200k_base().ok()).as_ref()
}

fn cl100k() -> Option<&'static CoreBPE> {
    static BPE: OnceLock<Option<CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::cl100k_base().ok()).as_ref()
}

/// The encoding a model family uses: o200k for gpt-4o, gpt-4.1, gpt-5, o1/o3/o4 and codex
/// models, cl100k for everything else (older GPT models, and a reasonable proxy for models
/// whose tokenizer is not public).
fn encoding_for(model: &str) -> Option<&'static CoreBPE> {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    let modern = [
        "gpt-4o",
        "gpt-4.1",
        "gpt-4.5",
        "gpt-5",
        "o1",
        "o3",
        "o4",
        "chatgpt-4o",
        "codex",
        "gpt-oss",
    ]
    .iter()
    .any(|p| m.starts_with(p));
    if modern {
        o200k()
    } else {
        cl100k()
    }
}

/// Counts the input tokens of `req` as `model` would see them: system text, every message's
/// text, tool calls and results, and tool definitions, plus per-message framing.
pub fn count_input_tokens(req: &Request, model: &str) -> u64 {
    let Some(bpe) = encoding_for(model) else {
        return 0;
    };
    let count = |s: &str| bpe.encode_ordinary(s).len() as u64;
    let mut total = REPLY_PRIMING;
    if !req.system.is_empty() {
        total += PER_MESSAGE + blocks(&req.system, &count);
    }
    for m in &req.messages {
        total += PER_MESSAGE + blocks(&m.content, &count);
    }
    for t in &req.tools {
        total += count(&t.name) + count(&t.parameters);
        if let Some(d) = &t.description {
            total += count(d);
        }
    }
    total
}

fn blocks(content: &[Block], count: &dyn Fn(&str) -> u64) -> u64 {
    content
        .iter()
        .map(|b| match b {
            Block::Text(t) => count(t),
            Block::Image { .. } => PER_IMAGE,
            Block::ToolCall {
                name, arguments, ..
            } => count(name) + count(arguments),
            Block::ToolResult { content, .. } => blocks(content, count),
            Block::Thinking { text, .. } => count(text),
            Block::RedactedThinking { .. } | Block::Opaque { .. } => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Message, Role, Tool};

    fn req(text: &str) -> Request {
        Request {
            messages: vec![Message {
                role: Role::User,
                content: vec![Block::Text(text.into())],
            }],
            ..Request::default()
        }
    }

    #[test]
    fn counts_with_a_real_tokenizer() {
        // "Hello there, how are you?" is 7 tokens in both encodings.
        let n = count_input_tokens(&req("Hello there, how are you?"), "gpt-4o");
        assert_eq!(n, 7 + PER_MESSAGE + REPLY_PRIMING);
        let n = count_input_tokens(&req("Hello there, how are you?"), "claude-sonnet-4");
        assert_eq!(n, 7 + PER_MESSAGE + REPLY_PRIMING);
        // Not a length/4 guess: a long run of one character compresses.
        let long = "a".repeat(400);
        assert!(count_input_tokens(&req(&long), "gpt-4o") < 100);
    }

    #[test]
    fn tools_and_system_count() {
        let mut r = req("hi");
        let base = count_input_tokens(&r, "gpt-5");
        r.system = vec![Block::Text("You are terse.".into())];
        r.tools = vec![Tool {
            name: "get_weather".into(),
            description: Some("Weather for a city".into()),
            parameters: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
        }];
        assert!(count_input_tokens(&r, "gpt-5") > base + 10);
    }

    #[test]
    fn model_families_pick_encodings() {
        assert!(std::ptr::eq(
            encoding_for("openai/gpt-4o-mini").unwrap(),
            o200k().unwrap()
        ));
        assert!(std::ptr::eq(
            encoding_for("o3-mini").unwrap(),
            o200k().unwrap()
        ));
        assert!(std::ptr::eq(
            encoding_for("gpt-3.5-turbo").unwrap(),
            cl100k().unwrap()
        ));
        assert!(std::ptr::eq(
            encoding_for("kimi-k2").unwrap(),
            cl100k().unwrap()
        ));
    }
}
