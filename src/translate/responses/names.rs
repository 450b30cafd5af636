//! Tool names Codex accepts. The Codex upstream rejects function names longer than 64
//! characters, which MCP clients produce easily (`mcp__<server>__<tool>`). Toward Codex, long
//! names are shortened deterministically and uniquely within the request, the way CLIProxyAPI
//! does it, and the upstream's calls are mapped back so the client sees its own names:
//! - a name of at most 64 bytes is kept;
//! - a longer `mcp__…` name becomes `mcp__` plus what follows its last `__`, cut to 64 bytes;
//! - any other long name is cut to 64 bytes;
//! - a candidate some earlier tool already took gets `_1`, `_2`, … (the candidate cut so the
//!   whole stays within 64 bytes), the first free one in that order. Every declared tool
//!   takes part, in declaration order, so a short name that collides with an earlier
//!   shortened one is suffixed too.
//!
//! Names the request uses without declaring them (calls in the history) are shortened the
//! same way, without the uniqueness step. Cuts fall on character boundaries. Pure.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::ir;

/// The longest tool name Codex accepts, in bytes.
pub const MAX_TOOL_NAME: usize = 64;

/// The prefix MCP clients give tool names, kept when shortening.
const MCP_PREFIX: &str = "mcp__";

/// One request's tool-name mapping: empty unless some name had to change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolNames {
    /// `(client's name, upstream's name)` for every declared tool whose name changed.
    renamed: Vec<(String, String)>,
}

impl ToolNames {
    /// The mapping for `req`'s declared tools.
    pub fn for_request(req: &ir::Request) -> Self {
        if req.tools.iter().all(|t| t.name.len() <= MAX_TOOL_NAME) {
            // Unique names that all fit map to themselves (duplicates keep their first entry).
            return ToolNames::default();
        }
        let mut taken: HashSet<String> = HashSet::with_capacity(req.tools.len());
        let mut seen: HashSet<&str> = HashSet::with_capacity(req.tools.len());
        let mut renamed = Vec::new();
        for tool in &req.tools {
            if !seen.insert(tool.name.as_str()) {
                continue;
            }
            let short = unique(base(&tool.name), &taken);
            if short != tool.name {
                renamed.push((tool.name.clone(), short.clone()));
            }
            taken.insert(short);
        }
        ToolNames { renamed }
    }

    /// Whether every name stays as it is.
    pub fn is_empty(&self) -> bool {
        self.renamed.is_empty()
    }

    /// The name to send upstream for the client's `name`.
    pub fn shorten<'a>(&'a self, name: &'a str) -> Cow<'a, str> {
        match self.renamed.iter().find(|(long, _)| long == name) {
            Some((_, short)) => Cow::Borrowed(short),
            None => base(name),
        }
    }

    /// The client's name for a name the upstream used (unchanged if it was not shortened).
    pub fn restore<'a>(&'a self, name: &'a str) -> &'a str {
        self.renamed
            .iter()
            .find(|(_, short)| short == name)
            .map_or(name, |(long, _)| long.as_str())
    }

    /// `req` with every tool name shortened for Codex: declared tools, a named tool choice,
    /// and the calls and results in the history. `None` when every name fits already.
    pub fn apply(&self, req: &ir::Request) -> Option<ir::Request> {
        let long = |name: &str| name.len() > MAX_TOOL_NAME;
        let long_in_history = req
            .messages
            .iter()
            .flat_map(|m| &m.content)
            .any(|b| match b {
                ir::Block::ToolCall { name, .. } => long(name),
                ir::Block::ToolResult { name, .. } => name.as_deref().is_some_and(long),
                _ => false,
            });
        let long_choice = matches!(&req.tool_choice, Some(ir::ToolChoice::Named(n)) if long(n));
        if self.is_empty() && !long_in_history && !long_choice {
            return None;
        }
        let mut out = req.clone();
        for tool in &mut out.tools {
            self.rename(&mut tool.name);
        }
        if let Some(ir::ToolChoice::Named(name)) = &mut out.tool_choice {
            self.rename(name);
        }
        for block in out.messages.iter_mut().flat_map(|m| &mut m.content) {
            match block {
                ir::Block::ToolCall { name, .. }
                | ir::Block::ToolResult {
                    name: Some(name), ..
                } => self.rename(name),
                _ => {}
            }
        }
        Some(out)
    }

    fn rename(&self, name: &mut String) {
        let short = self.shorten(name);
        if short != name.as_str() {
            let short = short.into_owned();
            *name = short;
        }
    }

    /// Puts the client's names back into a response's tool calls.
    pub fn restore_response(&self, resp: &mut ir::Response) {
        if self.is_empty() {
            return;
        }
        for block in &mut resp.content {
            if let ir::Block::ToolCall { name, .. } = block {
                let original = self.restore(name);
                if original != name {
                    *name = original.to_owned();
                }
            }
        }
    }
}

/// The shortened form of `name` before uniqueness (see the module docs).
fn base(name: &str) -> Cow<'_, str> {
    if name.len() <= MAX_TOOL_NAME {
        return Cow::Borrowed(name);
    }
    if name.starts_with(MCP_PREFIX) {
        if let Some(i) = name.rfind("__") {
            let tail = name.get(i + 2..).unwrap_or_default();
            let mut short = String::with_capacity(MAX_TOOL_NAME);
            short.push_str(MCP_PREFIX);
            short.push_str(tail);
            let cut = cut(&short, MAX_TOOL_NAME).len();
            short.truncate(cut);
            return Cow::Owned(short);
        }
    }
    Cow::Borrowed(cut(name, MAX_TOOL_NAME))
}

/// `candidate`, or the first of `candidate_1`, `candidate_2`, … (cut to fit) not yet taken.
fn unique(candidate: Cow<'_, str>, taken: &HashSet<String>) -> String {
    if !taken.contains(candidate.as_ref()) {
        return candidate.into_owned();
    }
    (1u64..)
        .map(|i| {
            let suffix = format!("_{i}");
            let head = cut(&candidate, MAX_TOOL_NAME.saturating_sub(suffix.len()));
            format!("{head}{suffix}")
        })
        .find(|name| !taken.contains(name))
        .unwrap_or_default()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(names: &[&str]) -> ir::Request {
        ir::Request {
            tools: names
                .iter()
                .map(|n| ir::Tool {
                    name: (*n).to_owned(),
                    description: None,
                    parameters: "{}".to_owned(),
                })
                .collect(),
            ..ir::Request::default()
        }
    }

    #[test]
    fn short_names_map_to_themselves() {
        let names = ToolNames::for_request(&tools(&["a", "b", &"x".repeat(64)]));
        assert!(names.is_empty());
        assert_eq!(names.shorten("a"), "a");
        assert_eq!(names.restore("a"), "a");
    }

    #[test]
    fn base_candidates() {
        let long = "x".repeat(70);
        let mcp = format!("mcp__{}__read_file", "server".repeat(12));
        let mcp_long_tail = format!("mcp__srv__{}", "t".repeat(80));
        let mcp_no_sep = format!("mcp__{}", "y".repeat(70));
        for (name, want) in [
            (long.as_str(), "x".repeat(64)),
            (mcp.as_str(), "mcp__read_file".to_owned()),
            (mcp_long_tail.as_str(), format!("mcp__{}", "t".repeat(59))),
            // The last `__` is the prefix's own: the name is cut like any other.
            (mcp_no_sep.as_str(), format!("mcp__{}", "y".repeat(59))),
            ("short", "short".to_owned()),
        ] {
            assert_eq!(base(name), want, "{name}");
        }
        // Cuts never split a character.
        let wide = "é".repeat(40);
        assert_eq!(base(&wide), "é".repeat(32));
    }

    #[test]
    fn shortened_names_are_unique_in_declaration_order() {
        let a = format!("mcp__one_{}__read", "a".repeat(60));
        let b = format!("mcp__two_{}__read", "b".repeat(60));
        let c = "c".repeat(70);
        let d = format!("{}d", "c".repeat(64));
        let req = tools(&[&a, &b, "mcp__read_1", "mcp__read", &c, &d, &a]);
        let names = ToolNames::for_request(&req);
        assert_eq!(names.shorten(&a), "mcp__read");
        assert_eq!(names.shorten(&b), "mcp__read_1");
        // A fitting name that collides with an earlier shortened one is suffixed too.
        assert_eq!(names.shorten("mcp__read_1"), "mcp__read_1_1");
        assert_eq!(names.shorten("mcp__read"), "mcp__read_2");
        assert_eq!(names.shorten(&c), "c".repeat(64));
        assert_eq!(names.shorten(&d), format!("{}_1", "c".repeat(62)));
        for name in [&a, &b, &c, &d] {
            let short = names.shorten(name);
            assert!(short.len() <= MAX_TOOL_NAME);
            assert_eq!(names.restore(&short), name.as_str());
        }
        assert_eq!(names.restore("mcp__read_2"), "mcp__read");
        // Undeclared names (history) are cut without the uniqueness step.
        let undeclared = format!("mcp__x__{}", "z".repeat(70));
        assert_eq!(
            names.shorten(&undeclared),
            format!("mcp__{}", "z".repeat(59))
        );
        assert_eq!(names.restore("unknown"), "unknown");
    }

    #[test]
    fn requests_are_shortened_everywhere_a_name_appears() {
        let long = format!("mcp__srv__{}", "q".repeat(70));
        let other = format!("mcp__srv__{}", "h".repeat(70));
        let mut req = tools(&[&long, "short"]);
        req.tool_choice = Some(ir::ToolChoice::Named(long.clone()));
        req.messages = vec![
            ir::Message {
                role: ir::Role::Assistant,
                content: vec![
                    ir::Block::ToolCall {
                        id: "c1".to_owned(),
                        name: long.clone(),
                        arguments: "{}".to_owned(),
                    },
                    ir::Block::ToolCall {
                        id: "c2".to_owned(),
                        name: other.clone(),
                        arguments: "{}".to_owned(),
                    },
                ],
            },
            ir::Message {
                role: ir::Role::User,
                content: vec![ir::Block::ToolResult {
                    call_id: "c1".to_owned(),
                    name: Some(long.clone()),
                    content: vec![],
                    is_error: false,
                }],
            },
        ];
        let names = ToolNames::for_request(&req);
        let short = names.shorten(&long).into_owned();
        let out = names.apply(&req).unwrap();
        assert_eq!(out.tools[0].name, short);
        assert_eq!(out.tools[1].name, "short");
        assert_eq!(out.tool_choice, Some(ir::ToolChoice::Named(short.clone())));
        assert!(
            matches!(&out.messages[0].content[0], ir::Block::ToolCall { name, .. } if *name == short)
        );
        assert!(
            matches!(&out.messages[0].content[1], ir::Block::ToolCall { name, .. } if name.len() == MAX_TOOL_NAME)
        );
        assert!(
            matches!(&out.messages[1].content[0], ir::Block::ToolResult { name: Some(n), .. } if *n == short)
        );
        // Nothing long: nothing to do.
        assert!(ToolNames::for_request(&tools(&["a"]))
            .apply(&tools(&["a"]))
            .is_none());
    }

    #[test]
    fn the_mapping_is_deterministic() {
        let long = format!("mcp__srv__{}", "q".repeat(70));
        let req = tools(&[&long, "other"]);
        assert_eq!(ToolNames::for_request(&req), ToolNames::for_request(&req));
    }

    #[test]
    fn responses_get_the_clients_names_back() {
        let long = format!("mcp__srv__{}", "q".repeat(70));
        let names = ToolNames::for_request(&tools(&[&long]));
        let short = names.shorten(&long).into_owned();
        let mut resp = ir::Response {
            id: String::new(),
            model: String::new(),
            created: 0,
            content: vec![
                ir::Block::Text("hi".to_owned()),
                ir::Block::ToolCall {
                    id: "c1".to_owned(),
                    name: short,
                    arguments: "{}".to_owned(),
                },
            ],
            stop: ir::StopReason::ToolUse,
            usage: ir::Usage::default(),
        };
        names.restore_response(&mut resp);
        assert!(matches!(&resp.content[1], ir::Block::ToolCall { name, .. } if *name == long));
    }
}
