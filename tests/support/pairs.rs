//! The shipped (client format, upstream family) pairs, by the names the translation goldens
//! (`tests/translate_pairs.rs`) and benches (`benches/translate_pairs.rs`) use. Included by
//! path, not through `support/mod.rs`.

use cliproxy::protocol::Format;
use cliproxy::translate::ClientApi;

/// The client formats, by directory name. Gemini clients stream with `alt=sse`.
pub const CLIENTS: [(&str, ClientApi); 4] = [
    ("openai_chat", ClientApi::Chat),
    ("responses", ClientApi::Responses),
    ("claude", ClientApi::Messages),
    ("gemini", ClientApi::Gemini { json_array: false }),
];

/// The upstream families, by directory name, with the upstream model each is called with.
pub const UPSTREAMS: [(&str, Format, &str); 4] = [
    ("openai", Format::OpenAiChat, "gpt-4.1-2025-04-14"),
    ("claude", Format::Claude, "claude-sonnet-4-5-20250929"),
    ("gemini", Format::Gemini, "gemini-2.5-pro"),
    ("codex", Format::OpenAiResponses, "gpt-5.1-codex"),
];
