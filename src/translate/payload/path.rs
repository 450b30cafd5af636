//! The path syntax of payload rules: the subset of gjson/sjson dotted paths that CLIProxyAPI's
//! rules can use to set or delete a value. Parsed once per config snapshot. No I/O.

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    /// `#`: every element of an array. sjson treats such a path as "complex" and only
    /// replaces values that already exist; it never creates them and cannot delete through it.
    Each,
    /// A member name, or an array position when it is all digits.
    Key {
        /// The name with escapes removed.
        name: String,
        /// `name` read as an array position (all ASCII digits, no overflow).
        index: Option<usize>,
        /// Written with a leading `:` (sjson): never creates or appends to an array.
        forced: bool,
    },
}

impl Seg {
    /// The array position to look up, if this step names one (`:`-forced keys still do,
    /// because sjson looks them up through gjson without the colon).
    pub(super) fn index(&self) -> Option<usize> {
        match self {
            Seg::Key { index, .. } => *index,
            Seg::Each => None,
        }
    }

    /// `-1` without `:`: appends when setting, names the last element when deleting.
    pub(super) fn is_last(&self) -> bool {
        matches!(self, Seg::Key { name, forced: false, .. } if name == "-1")
    }

    /// Whether a missing container for this step is created as an array (sjson: a numeric
    /// step or `-1` builds `[null, …, value]`; anything else builds an object).
    pub(super) fn creates_array(&self) -> bool {
        match self {
            Seg::Key {
                index: Some(_),
                forced: false,
                ..
            } => true,
            _ => self.is_last(),
        }
    }

    /// The member name this step looks up in an object.
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Seg::Key { name, .. } => Some(name),
            Seg::Each => None,
        }
    }
}

/// A parsed rule path. It always starts with a hidden `request` step, so the same path serves
/// the protocols whose body wraps the request in an envelope (Gemini CLI, Antigravity) and
/// those that do not, without allocating per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Path {
    segs: Vec<Seg>,
    each: bool,
}

/// The envelope member Gemini CLI and Antigravity paths are relative to.
const ROOT: &str = "request";

/// Most steps a path may have: edits recurse once per step, and no real body is this deep.
const MAX_STEPS: usize = 64;

impl Path {
    /// Parses a rule path: steps separated by `.`, `\` escapes the next character (so `a\.b`
    /// is one member named `a.b`), a leading `:` forces a step to be an object member, and a
    /// step that is exactly `#` means every array element. Surrounding whitespace and one
    /// leading `.` are ignored (CLIProxyAPI trims, and strips the dot when it adds a root).
    ///
    /// Returns `None` for what cannot be applied: an empty path or step, more than 64 steps,
    /// and the rest of gjson's query syntax (`*`, `?`, `|`, `@`, `#(…)`), which sjson refuses
    /// to delete and which CLIProxyAPI's examples never use.
    pub(super) fn parse(text: &str) -> Option<Path> {
        let text = text.trim();
        let text = text.strip_prefix('.').unwrap_or(text);
        if text.is_empty() {
            return None;
        }
        let mut segs = vec![Seg::Key {
            name: ROOT.to_owned(),
            index: None,
            forced: false,
        }];
        let mut each = false;
        let mut chars = text.chars();
        loop {
            let mut name = String::new();
            let mut forced = false;
            let mut special = false;
            let mut more = false;
            let mut first = true;
            while let Some(c) = chars.next() {
                match c {
                    '.' => {
                        more = true;
                        break;
                    }
                    ':' if first => forced = true,
                    // A trailing backslash escapes nothing and is dropped, as in sjson.
                    '\\' => name.extend(chars.next()),
                    '|' | '#' | '@' | '*' | '?' => {
                        special = true;
                        name.push(c);
                    }
                    c => name.push(c),
                }
                first = false;
            }
            if special {
                if name != "#" || forced {
                    return None;
                }
                each = true;
                segs.push(Seg::Each);
            } else {
                if name.is_empty() {
                    return None;
                }
                let index = digits(&name);
                segs.push(Seg::Key {
                    name,
                    index,
                    forced,
                });
            }
            if !more {
                break;
            }
            if segs.len() > MAX_STEPS {
                return None;
            }
        }
        Some(Path { segs, each })
    }

    /// The steps, relative to the body (`rooted == false`) or to its `request` member.
    pub(super) fn segs(&self, rooted: bool) -> &[Seg] {
        if rooted {
            &self.segs
        } else {
            self.segs.get(1..).unwrap_or_default()
        }
    }

    /// Whether the path has a `#` step (sjson's "complex" paths: replace existing values only).
    pub(super) fn has_each(&self) -> bool {
        self.each
    }
}

/// `name` as an array position: ASCII digits only, without overflow.
fn digits(name: &str) -> Option<usize> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn key(name: &str) -> Seg {
        Seg::Key {
            name: name.to_owned(),
            index: digits(name),
            forced: false,
        }
    }

    #[test]
    fn dotted_steps_escapes_and_indexes() {
        let p = Path::parse(r"generationConfig.a\.b.tools.0").unwrap();
        assert_eq!(
            p.segs(false),
            [key("generationConfig"), key("a.b"), key("tools"), key("0")]
        );
        assert_eq!(p.segs(true).first(), Some(&key("request")));
        assert_eq!(p.segs(true).len(), 5);
        assert!(!p.has_each());
        assert_eq!(key("0").index(), Some(0));
        assert!(key("-1").is_last() && key("-1").creates_array());
    }

    #[test]
    fn trims_and_drops_one_leading_dot() {
        assert_eq!(Path::parse("  .a ").unwrap().segs(false), [key("a")]);
    }

    #[test]
    fn colon_forces_an_object_member() {
        let p = Path::parse("a.:0").unwrap();
        let forced = Seg::Key {
            name: "0".into(),
            index: Some(0),
            forced: true,
        };
        assert_eq!(p.segs(false), [key("a"), forced.clone()]);
        assert!(!forced.creates_array());
    }

    #[test]
    fn hash_step_and_escaped_specials() {
        let p = Path::parse("tools.#.strict").unwrap();
        assert!(p.has_each());
        assert_eq!(p.segs(false), [key("tools"), Seg::Each, key("strict")]);
        assert_eq!(Path::parse(r"a\*b").unwrap().segs(false), [key("a*b")]);
    }

    #[test]
    fn unsupported_or_empty_paths_are_refused() {
        for bad in [
            "",
            " ",
            ".",
            "a..b",
            "a.",
            "a.*",
            "a.b?",
            "a|b",
            "@this",
            "a.#(b==1)",
            "a.:#",
        ] {
            assert!(Path::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Path::parse(&["a"; 64].join(".")).is_some());
        assert!(Path::parse(&["a"; 65].join(".")).is_none());
    }

    #[test]
    fn huge_numbers_are_names_not_indexes() {
        assert_eq!(digits("99999999999999999999999"), None);
        assert_eq!(digits("0012"), Some(12));
        assert_eq!(digits("-1"), None);
    }
}
