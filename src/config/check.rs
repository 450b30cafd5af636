//! Value rules the types cannot express (URL schemes, minimums, required names),
//! light normalization as CLIProxyAPI does it (trimmed headers, lower-case model
//! patterns), and the "not supported yet" scan. Pure; works on a decoded `Config`.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as Json;

use super::tree::{child_index, child_key};
use super::{Config, ModelAlias, MIN_HEADER_BYTES, OAUTH_CHANNELS};

/// A rule violation: startup stops.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Invalid {
    pub path: String,
    pub message: String,
}

/// Something worth telling the user that does not stop startup.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Note {
    pub path: String,
    pub message: String,
}

/// Most worker threads accepted; more is almost surely a typo.
const MAX_WORKERS: usize = 1024;

const HTTP_URL: &str = "an http:// or https:// URL";
const PROXY_URL: &str = "a proxy URL (socks5://, socks5h://, http://, https://) or direct/none";

fn invalid(path: String, expected: &str, got: &str) -> Invalid {
    Invalid {
        path,
        message: format!("expected {expected}, got {got:?}"),
    }
}

/// Checks and normalizes `config` in place; returns notes for things ignored.
pub(super) fn check(config: &mut Config) -> Result<Vec<Note>, Invalid> {
    let mut notes = Vec::new();

    check_proxy("proxy-url".to_owned(), &mut config.proxy_url)?;
    for (i, key) in config.api_keys.iter().enumerate() {
        if key.is_empty() {
            return Err(invalid(child_index("api-keys", i), "a non-empty key", ""));
        }
    }
    if config.tls.enable {
        for (name, value) in [("cert", &config.tls.cert), ("key", &config.tls.key)] {
            if value.trim().is_empty() {
                let what = "a file path when tls.enable is true";
                return Err(invalid(child_key("tls", name), what, value));
            }
        }
    }
    trim_or_default(
        &mut config.remote_management.panel_github_repository,
        super::DEFAULT_PANEL_REPOSITORY,
    );
    trim_or_default(&mut config.pprof.addr, "127.0.0.1:8316");

    let limits = &config.limits;
    if limits.max_header_bytes < MIN_HEADER_BYTES {
        let got = limits.max_header_bytes;
        return Err(Invalid {
            path: "limits.max-header-bytes".to_owned(),
            message: format!("expected at least {MIN_HEADER_BYTES}, got {got}"),
        });
    }
    if limits.max_body_bytes == 0 {
        return Err(Invalid {
            path: "limits.max-body-bytes".to_owned(),
            message: "expected at least 1, got 0".to_owned(),
        });
    }
    if config.workers > MAX_WORKERS {
        return Err(Invalid {
            path: "workers".to_owned(),
            message: format!("expected a number 0-{MAX_WORKERS}, got {}", config.workers),
        });
    }
    for (i, file) in config.upstream.ca_files.iter().enumerate() {
        if file.trim().is_empty() {
            let path = child_index("upstream.ca-files", i);
            return Err(invalid(path, "a PEM file path", file));
        }
    }

    check_openai_compatibility(config)?;
    macro_rules! key_lists {
        ($($list:ident),*) => {$(
            let list = stringify!($list).replace('_', "-");
            for (i, entry) in config.$list.iter_mut().enumerate() {
                let base = child_index(&list, i);
                if entry.api_key.is_empty() {
                    return Err(invalid(child_key(&base, "api-key"), "a non-empty key", ""));
                }
                check_url(child_key(&base, "base-url"), &mut entry.base_url, false)?;
                check_proxy(child_key(&base, "proxy-url"), &mut entry.proxy_url)?;
                check_prefix(child_key(&base, "prefix"), &mut entry.prefix)?;
                normalize_headers(&mut entry.headers);
                normalize_patterns(&mut entry.excluded_models);
                note_thinking(&base, &entry.models, &mut notes);
            }
        )*};
    }
    key_lists!(
        gemini_api_key,
        vertex_api_key,
        codex_api_key,
        claude_api_key
    );

    check_url(
        "ampcode.upstream-url".to_owned(),
        &mut config.ampcode.upstream_url,
        false,
    )?;
    check_payload(config)?;
    check_oauth_model_alias(config, &mut notes)?;
    config.oauth_excluded_models = known_channels(
        "oauth-excluded-models",
        std::mem::take(&mut config.oauth_excluded_models),
        &mut notes,
    );
    config
        .oauth_excluded_models
        .values_mut()
        .for_each(normalize_patterns);
    Ok(notes)
}

/// Keeps the entries of `map` whose key names an OAuth channel, keyed lower-case (entries
/// whose keys differ only in case are joined); a note names each other key.
fn known_channels<T>(
    section: &str,
    map: BTreeMap<String, Vec<T>>,
    notes: &mut Vec<Note>,
) -> BTreeMap<String, Vec<T>> {
    let mut out: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (key, list) in map {
        let channel = key.trim().to_lowercase();
        if OAUTH_CHANNELS.contains(&channel.as_str()) {
            out.entry(channel).or_default().extend(list);
        } else {
            notes.push(Note {
                path: child_key(section, &key),
                message: format!(
                    "ignored: unknown channel (one of {})",
                    OAUTH_CHANNELS.join(", ")
                ),
            });
        }
    }
    out
}

/// `oauth-model-alias`: names and aliases are required and trimmed. As in CLIProxyAPI, an
/// alias equal to its name and an alias already used in the channel are dropped (with a
/// note), and one name may have several aliases.
fn check_oauth_model_alias(config: &mut Config, notes: &mut Vec<Note>) -> Result<(), Invalid> {
    let mut map = std::mem::take(&mut config.oauth_model_alias);
    for (key, list) in &mut map {
        let base = child_key("oauth-model-alias", key);
        let mut seen = HashSet::new();
        let mut kept = Vec::with_capacity(list.len());
        for (i, mut entry) in std::mem::take(list).into_iter().enumerate() {
            let at = child_index(&base, i);
            entry.name = entry.name.trim().to_owned();
            entry.alias = entry.alias.trim().to_owned();
            if entry.name.is_empty() {
                return Err(invalid(
                    child_key(&at, "name"),
                    "the channel's model name",
                    "",
                ));
            }
            if entry.alias.is_empty() {
                return Err(invalid(child_key(&at, "alias"), "the name clients use", ""));
            }
            let note = if entry.alias.eq_ignore_ascii_case(&entry.name) {
                Some("ignored: the alias equals the name")
            } else if !seen.insert(entry.alias.to_lowercase()) {
                Some("ignored: an earlier entry of this channel uses the alias")
            } else {
                None
            };
            match note {
                Some(message) => notes.push(Note {
                    path: child_key(&at, "alias"),
                    message: message.to_owned(),
                }),
                None => kept.push(entry),
            }
        }
        *list = kept;
    }
    config.oauth_model_alias = known_channels("oauth-model-alias", map, notes);
    Ok(())
}

fn check_openai_compatibility(config: &mut Config) -> Result<(), Invalid> {
    let mut names = HashSet::new();
    for (i, provider) in config.openai_compatibility.iter_mut().enumerate() {
        let base = child_index("openai-compatibility", i);
        provider.name = provider.name.trim().to_owned();
        if provider.name.is_empty() {
            return Err(invalid(child_key(&base, "name"), "a provider name", ""));
        }
        if !names.insert(provider.name.to_lowercase()) {
            let path = child_key(&base, "name");
            return Err(invalid(path, "a name no other entry uses", &provider.name));
        }
        check_url(child_key(&base, "base-url"), &mut provider.base_url, true)?;
        check_prefix(child_key(&base, "prefix"), &mut provider.prefix)?;
        normalize_headers(&mut provider.headers);
        for (j, entry) in provider.api_key_entries.iter_mut().enumerate() {
            let path = child_key(
                &child_index(&child_key(&base, "api-key-entries"), j),
                "proxy-url",
            );
            check_proxy(path, &mut entry.proxy_url)?;
        }
        for (j, model) in provider.models.iter_mut().enumerate() {
            model.name = model.name.trim().to_owned();
            model.alias = model.alias.trim().to_owned();
            if model.name.is_empty() {
                let path = child_key(&child_index(&child_key(&base, "models"), j), "name");
                return Err(invalid(path, "an upstream model name", ""));
            }
        }
    }
    Ok(())
}

/// Raw payload values are JSON text; catch broken JSON at startup rather than per request.
fn check_payload(config: &Config) -> Result<(), Invalid> {
    let lists = [
        ("payload.default-raw", &config.payload.default_raw),
        ("payload.override-raw", &config.payload.override_raw),
    ];
    for (list, rules) in lists {
        for (i, rule) in rules.iter().enumerate() {
            for (param, value) in &rule.params {
                let Json::String(text) = value else { continue };
                if serde_json::from_str::<Json>(text).is_err() {
                    let path = child_key(&child_key(&child_index(list, i), "params"), param);
                    return Err(invalid(path, "valid JSON text", text));
                }
            }
        }
    }
    Ok(())
}

/// `thinking` is read only for OpenAI-compatible models (as in CLIProxyAPI).
fn note_thinking(base: &str, models: &[ModelAlias], notes: &mut Vec<Note>) {
    for (j, model) in models.iter().enumerate() {
        if model.thinking.is_some() {
            notes.push(Note {
                path: child_key(&child_index(&child_key(base, "models"), j), "thinking"),
                message: "ignored: thinking applies only to openai-compatibility models".to_owned(),
            });
        }
    }
}

fn trim_or_default(value: &mut String, default: &str) {
    let trimmed = value.trim();
    *value = if trimmed.is_empty() { default } else { trimmed }.to_owned();
}

/// Trims `url` in place; it must be empty (unless `required`) or an http(s) URL with a host.
fn check_url(path: String, url: &mut String, required: bool) -> Result<(), Invalid> {
    *url = url.trim().to_owned();
    if url.is_empty() && !required {
        return Ok(());
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if has_host(rest) => Ok(()),
        _ => Err(invalid(path, HTTP_URL, url)),
    }
}

/// Trims `proxy` in place; it must be empty, `direct`, `none`, or a proxy URL with a host, a
/// port of 1-65535 if any, and well-formed %-escapes in its user info (the rules
/// `upstream::proxy::ProxyUrl::parse` applies per request). Messages hide the user info.
fn check_proxy(path: String, proxy: &mut String) -> Result<(), Invalid> {
    *proxy = proxy.trim().to_owned();
    let lower = proxy.to_ascii_lowercase();
    if lower.is_empty() || lower == "direct" || lower == "none" {
        return Ok(());
    }
    let ok = lower.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "socks5" | "socks5h" | "http" | "https")
            && has_host(rest)
            && proxy_authority_ok(rest)
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(path, PROXY_URL, &hide_userinfo(proxy)))
    }
}

/// The port (if any) is 1-65535 in digits, and the user info's %-escapes decode to UTF-8.
fn proxy_authority_ok(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let port = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, "")) => "",
            Some((_, after)) => match after.strip_prefix(':') {
                Some(port) => port,
                None => return false,
            },
            None => return false,
        },
        None => host_port.split_once(':').map_or("", |(_, port)| port),
    };
    let port_ok = port.is_empty()
        || (port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0));
    port_ok && decodes_to_utf8(userinfo)
}

/// Whether every `%` in `s` starts a two-hex-digit escape and the decoded bytes are UTF-8.
fn decodes_to_utf8(s: &str) -> bool {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex = |b: Option<u8>| b.and_then(|b| char::from(b).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(bytes.next()), hex(bytes.next())) else {
            return false;
        };
        out.extend(u8::try_from(hi * 16 + lo).ok());
    }
    String::from_utf8(out).is_ok()
}

/// `scheme://user:pass@host…` → `scheme://*****@host…`, so a rejected value can be shown.
fn hide_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://*****@{host}{tail}"),
        None => url.to_owned(),
    }
}

/// The part after `scheme://` names a host: `user:pass@host:port/path` has `host`.
fn has_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    !host.is_empty() && !host.contains(char::is_whitespace)
}

/// A prefix is one path segment; surrounding slashes and spaces are dropped.
fn check_prefix(path: String, prefix: &mut String) -> Result<(), Invalid> {
    let cleaned = prefix.trim().trim_matches('/').to_owned();
    if cleaned.contains('/') {
        return Err(invalid(path, "a prefix without '/' inside", prefix));
    }
    *prefix = cleaned;
    Ok(())
}

/// Trims header names and values and drops pairs left empty.
fn normalize_headers(headers: &mut BTreeMap<String, String>) {
    *headers = std::mem::take(headers)
        .into_iter()
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect();
}

/// Trims and lower-cases model patterns, dropping empties and repeats (first one wins).
fn normalize_patterns(patterns: &mut Vec<String>) {
    let mut seen = HashSet::new();
    *patterns = std::mem::take(patterns)
        .into_iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty() && seen.insert(p.clone()))
        .collect();
}

/// The entries of `paths` whose value in `config` differs from the default, in list order.
pub(super) fn not_supported(config: &Config, paths: &[&'static str]) -> Vec<&'static str> {
    let (Ok(value), Ok(default)) = (
        serde_json::to_value(config),
        serde_json::to_value(Config::default()),
    ) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter(|path| {
            let segments: Vec<&str> = path.split('.').collect();
            is_set(&value, Some(&default), &segments)
        })
        .copied()
        .collect()
}

/// Whether the value at `segments` below `value` differs from `default`. Inside
/// lists there is no per-item default, so any non-empty value counts as set.
fn is_set(value: &Json, default: Option<&Json>, segments: &[&str]) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return match default {
            Some(default) => value != default,
            None => !is_empty(value),
        };
    };
    match value {
        Json::Array(items) => items.iter().any(|item| is_set(item, None, segments)),
        Json::Object(map) => map
            .get(*first)
            .is_some_and(|child| is_set(child, default.and_then(|d| d.get(*first)), rest)),
        _ => false,
    }
}

fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
    }
}
