//! Model-name patterns, as `excluded-models`, `oauth-excluded-models` and `payload` rules
//! write them: `*` matches any run of characters (including none), everything else matches
//! itself ignoring ASCII case. So `gpt-*` is a prefix, `*-preview` a suffix, `*flash*` a
//! substring and `gemini-*-pro*` several segments in order. Pure.

/// Whether `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.as_bytes(), name.as_bytes());
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: (pattern position after it, name position).
    let mut retry: Option<(usize, usize)> = None;
    while let Some(c) = name.get(n) {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                retry = Some((p, n));
            }
            Some(x) if x.eq_ignore_ascii_case(c) => {
                p += 1;
                n += 1;
            }
            _ => match retry {
                Some((rp, rn)) => {
                    p = rp;
                    n = rn + 1;
                    retry = Some((rp, rn + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|c| *c == b'*')
}

/// Whether any of `patterns` (blank ones never match) matches any of `names`.
pub fn excluded(patterns: &[String], names: &[&str]) -> bool {
    patterns.iter().any(|p| {
        let p = p.trim();
        !p.is_empty() && names.iter().any(|n| matches(p, n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_suffix_substring_and_segments_in_any_case() {
        let cases = [
            // exact
            ("gpt-5.5", "gpt-5.5", true),
            ("gpt-5.5", "gpt-5.5-pro", false),
            ("gpt-5.5", "gpt-5", false),
            ("GPT-5.5", "gpt-5.5", true),
            ("gpt-5.5", "GPT-5.5", true),
            // prefix
            ("gpt-*", "gpt-5.6-terra", true),
            ("gpt-*", "gpt-", true),
            ("gpt-*", "chatgpt-5", false),
            // suffix
            ("*-preview", "gemini-3-flash-preview", true),
            ("*-preview", "gemini-3-flash-preview-2", false),
            ("*-thinking", "kimi-k2-thinking", true),
            // substring
            ("*flash*", "gemini-2.5-flash-lite", true),
            ("*flash*", "flash", true),
            ("*flash*", "gemini-2.5-pro", false),
            ("*Haiku*", "claude-haiku-5-5", true),
            // several segments, in order
            ("gemini-*-pro*", "gemini-3.1-pro-preview", true),
            ("gemini-*-pro*", "gemini-2.5-pro", true),
            ("gemini-*-pro*", "gemini-2.5-flash", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("a*b*c", "acb", false),
            ("*a*a*", "banana", true),
            ("*a*a*a*a*", "banana", false),
            // wildcards only
            ("*", "anything", true),
            ("*", "", true),
            ("**", "x", true),
            // empty
            ("", "", true),
            ("", "x", false),
            ("x", "", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(matches(pattern, name), want, "{pattern:?} vs {name:?}");
        }
    }

    #[test]
    fn a_list_excludes_when_any_pattern_matches_any_name() {
        let patterns = vec!["claude-opus-4*".to_owned(), "*haiku*".to_owned()];
        assert!(excluded(&patterns, &["claude-opus-4-8"]));
        assert!(excluded(&patterns, &["fast", "claude-haiku-5-5"]));
        assert!(!excluded(&patterns, &["claude-opus-5-5", "opus"]));
        assert!(!excluded(&[], &["x"]));
        assert!(
            !excluded(&[" ".to_owned()], &[""]),
            "a blank pattern never matches"
        );
    }
}
