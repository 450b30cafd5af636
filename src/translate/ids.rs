//! Identifiers the translation layer has to invent or adapt: tool-call ids for formats that
//! have none (Gemini), and ids mapped into the character set a target accepts (Claude allows
//! `[A-Za-z0-9_-]`, at most 64 characters; OpenAI and Gemini are looser). Deterministic —
//! derived from the input, never from a clock or RNG — so golden files stay stable. Pure.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The longest tool-call id any target accepts.
pub const MAX_ID_LEN: usize = 64;

/// A deterministic id `prefix` + 24 hex characters, derived from `seed` (e.g. the response
/// id or the conversation) and the call's position.
pub fn tool_call_id(prefix: &str, seed: &str, index: usize) -> String {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(index.to_le_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(prefix.len() + 24);
    out.push_str(prefix);
    for b in digest.iter().take(12) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `id` mapped into `[A-Za-z0-9_-]{1,64}`: other characters become `_`; an empty id becomes
/// `call_`; an over-long id keeps its first 39 characters plus a hash of the whole, so that
/// distinct ids stay distinct. Unchanged ids are borrowed.
pub fn sanitize_tool_id(id: &str) -> Cow<'_, str> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(ok) {
        return Cow::Borrowed(id);
    }
    if id.is_empty() {
        return Cow::Borrowed("call_");
    }
    let mapped: String = id.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if mapped.len() <= MAX_ID_LEN {
        return Cow::Owned(mapped);
    }
    let head: String = mapped.chars().take(39).collect();
    Cow::Owned(tool_call_id(&format!("{head}_"), id, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let a = tool_call_id("call_", "resp-1", 0);
        assert_eq!(a, tool_call_id("call_", "resp-1", 0));
        assert_ne!(a, tool_call_id("call_", "resp-1", 1));
        assert_ne!(a, tool_call_id("call_", "resp-2", 0));
        assert_eq!(a.len(), 5 + 24);
        assert!(sanitize_tool_id(&a) == a);
    }

    #[test]
    fn sanitizing_keeps_valid_ids_and_maps_the_rest() {
        assert!(matches!(
            sanitize_tool_id("toolu_01A-b"),
            Cow::Borrowed("toolu_01A-b")
        ));
        assert_eq!(sanitize_tool_id("read_file.2024:0"), "read_file_2024_0");
        assert_eq!(sanitize_tool_id(""), "call_");
        let long = "x".repeat(100);
        let a = sanitize_tool_id(&long);
        assert!(a.len() <= MAX_ID_LEN, "{a}");
        assert_ne!(
            a,
            sanitize_tool_id(&"x".repeat(101)),
            "distinct long ids stay distinct"
        );
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    }
}
