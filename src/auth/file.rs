//! The auth-file format (REFERENCE §4.4): one JSON object per `*.json` file in `auth-dir`, whose
//! `type` selects the provider, plus optional fields every type shares. Parses bytes into a
//! typed credential; no I/O. Errors name the field and what was expected, never a value, so a
//! malformed key file can be reported without printing key material.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::vertex::{self, ServiceAccount, VertexError};
use crate::config::ModelAlias;

/// Fields every auth file may carry, whatever its type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Common {
    /// `prefix`: a single path segment; clients reach the models as `prefix/model` too.
    pub prefix: String,
    /// `proxy_url`: proxy for this credential (token requests included); `direct`/`none` bypass
    /// the global one.
    pub proxy_url: String,
    /// `priority`: higher tiers are used first (default 0).
    pub priority: i32,
    /// `headers`: extra upstream headers, applied last.
    pub headers: BTreeMap<String, String>,
    /// `excluded_models` / `excluded-models`: model patterns this credential must not serve,
    /// trimmed and lower-case. Stored; matching is routing's job.
    pub excluded_models: Vec<String>,
    /// `disable_cooling`: `Some(true)` never cools this credential down, `Some(false)` does even
    /// under a global `disable-cooling: true`, `None` follows the global setting.
    pub disable_cooling: Option<bool>,
    /// `base_url`: endpoint override (tests, private endpoints); empty = the provider's own.
    pub base_url: String,
    /// `models` (cliproxy): the upstream models this credential serves, with optional aliases;
    /// empty = the provider's default list.
    pub models: Vec<ModelAlias>,
}

/// A Vertex AI service-account credential (`"type": "vertex"`).
#[derive(Clone, Debug)]
pub struct VertexFile {
    /// The shared optional fields.
    pub common: Common,
    /// The embedded service-account key.
    pub account: ServiceAccount,
    /// `project_id` (else the key's own).
    pub project_id: String,
    /// `email` (else the key's `client_email`); shown in labels, never secret.
    pub email: String,
    /// `location`: the Vertex region, or `global` (default `us-central1`).
    pub location: String,
}

/// What one auth file holds.
#[derive(Clone, Debug)]
pub enum AuthFile {
    /// A Vertex service account.
    Vertex(Box<VertexFile>),
    /// `disabled: true`: loaded, not used.
    Disabled,
    /// A type cliproxy does not serve yet (e.g. `claude`, `codex`); the type, lower-case.
    Unsupported(String),
}

/// Why an auth file was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not JSON at all.
    #[error("not valid JSON (line {line}, column {column})")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not an object.
    #[error("expected a JSON object")]
    NotObject,
    /// No `type` field.
    #[error("no \"type\" field")]
    NoType,
    /// A field has the wrong shape.
    #[error("{field}: expected {expected}")]
    Field {
        /// The field's name.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The service-account key is unusable.
    #[error(transparent)]
    Vertex(#[from] VertexError),
}

fn field(field: &'static str, expected: &'static str) -> FileError {
    FileError::Field { field, expected }
}

/// Parses one auth file's bytes.
pub fn parse(bytes: &[u8]) -> Result<AuthFile, FileError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| FileError::Json {
        line: e.line(),
        column: e.column(),
    })?;
    let obj = v.as_object().ok_or(FileError::NotObject)?;
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .ok_or(FileError::NoType)?;
    if flag(obj, "disabled")? {
        return Ok(AuthFile::Disabled);
    }
    match kind.as_str() {
        "vertex" => parse_vertex(obj).map(|f| AuthFile::Vertex(Box::new(f))),
        _ => Ok(AuthFile::Unsupported(kind)),
    }
}

fn parse_vertex(obj: &Map<String, Value>) -> Result<VertexFile, FileError> {
    let common = common(obj)?;
    let sa = obj
        .get("service_account")
        .filter(|v| v.is_object())
        .ok_or(field("service_account", "a service-account key object"))?;
    let account = ServiceAccount::from_json(sa)?;
    let project_id = match text(obj, "project_id")? {
        p if !p.is_empty() => p,
        _ => account.project_id.clone(),
    };
    if project_id.is_empty() {
        return Err(field("project_id", "a Google Cloud project id"));
    }
    if !project_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(field("project_id", "a Google Cloud project id"));
    }
    let email = match text(obj, "email")? {
        e if !e.is_empty() => e,
        _ => account.client_email.clone(),
    };
    let location = match text(obj, "location")? {
        l if l.is_empty() => vertex::DEFAULT_LOCATION.to_owned(),
        l => l.to_ascii_lowercase(),
    };
    // The location becomes part of a host name.
    if !location
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(field(
            "location",
            "a Vertex region such as us-central1, or global",
        ));
    }
    Ok(VertexFile {
        common,
        account,
        project_id,
        email,
        location,
    })
}

fn common(obj: &Map<String, Value>) -> Result<Common, FileError> {
    let prefix = text(obj, "prefix")?.trim_matches('/').to_owned();
    if prefix.contains('/') || prefix.contains(char::is_whitespace) {
        return Err(field("prefix", "a single path segment"));
    }
    let base_url = text(obj, "base_url")?;
    if !(base_url.is_empty() || base_url.starts_with("https://") || base_url.starts_with("http://"))
    {
        return Err(field("base_url", "an http:// or https:// URL"));
    }
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str()?.trim().parse().ok())
            .and_then(|p| i32::try_from(p).ok())
            .ok_or(field("priority", "an integer"))?,
    };
    let mut headers = BTreeMap::new();
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = value
                    .as_str()
                    .ok_or(field("headers", "an object of string values"))?;
                let (name, value) = (name.trim(), value.trim());
                if !name.is_empty() && !value.is_empty() {
                    headers.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Some(_) => return Err(field("headers", "an object of string values")),
    }
    let excluded = match obj.get("excluded_models") {
        Some(v) => strings(v, "excluded_models")?,
        None => match obj.get("excluded-models") {
            Some(v) => strings(v, "excluded-models")?,
            None => Vec::new(),
        },
    };
    let mut excluded_models: Vec<String> = excluded
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    excluded_models.dedup();
    Ok(Common {
        prefix,
        proxy_url: text(obj, "proxy_url")?,
        priority,
        headers,
        excluded_models,
        disable_cooling: match obj.get("disable_cooling") {
            None | Some(Value::Null) => None,
            Some(_) => Some(flag(obj, "disable_cooling")?),
        },
        base_url: base_url.trim_end_matches('/').to_owned(),
        models: models(obj)?,
    })
}

/// `models`: names, or `{name, alias}` objects as in the config's key lists.
fn models(obj: &Map<String, Value>) -> Result<Vec<ModelAlias>, FileError> {
    const EXPECTED: &str = "a list of model names or {name, alias} objects";
    let items = match obj.get("models") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(field("models", EXPECTED)),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let (name, alias) = match item {
            Value::String(name) => (name.as_str(), ""),
            Value::Object(m) => (
                m.get("name").and_then(Value::as_str).unwrap_or_default(),
                m.get("alias").and_then(Value::as_str).unwrap_or_default(),
            ),
            _ => return Err(field("models", EXPECTED)),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(field("models", EXPECTED));
        }
        out.push(ModelAlias {
            name: name.to_owned(),
            alias: alias.trim().to_owned(),
            thinking: None,
        });
    }
    Ok(out)
}

fn text(obj: &Map<String, Value>, key: &'static str) -> Result<String, FileError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(_) => Err(field(key, "a string")),
    }
}

fn flag(obj: &Map<String, Value>, key: &'static str) -> Result<bool, FileError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(field(key, "true or false")),
    }
}

fn strings(v: &Value, key: &'static str) -> Result<Vec<String>, FileError> {
    let items = v.as_array().ok_or(field(key, "a list of strings"))?;
    items
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::to_owned)
                .ok_or(field(key, "a list of strings"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::vertex::tests::sa_json;
    use serde_json::json;

    fn vertex_file(extra: Value) -> Vec<u8> {
        let mut v = json!({"type": "vertex", "service_account": sa_json()});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        serde_json::to_vec(&v).unwrap()
    }

    fn parse_vertex(extra: Value) -> Result<VertexFile, FileError> {
        match parse(&vertex_file(extra))? {
            AuthFile::Vertex(f) => Ok(*f),
            other => panic!("not vertex: {other:?}"),
        }
    }

    #[test]
    fn a_minimal_vertex_file_takes_its_defaults_from_the_key() {
        let f = parse_vertex(json!({})).unwrap();
        assert_eq!(f.project_id, "proj-1");
        assert_eq!(f.email, "bot@proj-1.iam.gserviceaccount.com");
        assert_eq!(f.location, "us-central1");
        assert_eq!(f.common, Common::default());
    }

    #[test]
    fn every_common_field_is_read() {
        let f = parse_vertex(json!({
            "project_id": "other", "email": "me@x", "location": "Global", "prefix": "/team/",
            "proxy_url": "socks5://127.0.0.1:1", "priority": "3",
            "headers": {" X-A ": " 1 ", "X-Empty": ""},
            "excluded-models": [" Gemini-1* ", "", "gemini-1*"], "disable_cooling": true,
            "base_url": "http://127.0.0.1:5/", "note": "ignored",
            "models": ["gemini-2.5-pro", {"name": "gemini-2.5-flash", "alias": "fast"}],
        }))
        .unwrap();
        assert_eq!(
            (f.project_id.as_str(), f.email.as_str(), f.location.as_str()),
            ("other", "me@x", "global")
        );
        let c = f.common;
        assert_eq!(c.prefix, "team");
        assert_eq!(c.proxy_url, "socks5://127.0.0.1:1");
        assert_eq!(c.priority, 3);
        assert_eq!(c.headers, BTreeMap::from([("X-A".into(), "1".into())]));
        assert_eq!(c.excluded_models, ["gemini-1*"]);
        assert_eq!(c.disable_cooling, Some(true));
        assert_eq!(c.base_url, "http://127.0.0.1:5");
        let models: Vec<_> = c
            .models
            .iter()
            .map(|m| (m.name.as_str(), m.alias.as_str()))
            .collect();
        assert_eq!(
            models,
            [("gemini-2.5-pro", ""), ("gemini-2.5-flash", "fast")]
        );
        let f = parse_vertex(json!({"excluded_models": ["a"], "excluded-models": ["b"]})).unwrap();
        assert_eq!(
            f.common.excluded_models,
            ["a"],
            "the snake-case spelling wins"
        );
    }

    #[test]
    fn other_types_disabled_files_and_malformed_files() {
        assert!(matches!(
            parse(br#"{"type":"Claude","access_token":"t"}"#),
            Ok(AuthFile::Unsupported(t)) if t == "claude"
        ));
        assert!(matches!(
            parse(&vertex_file(json!({"disabled": true}))),
            Ok(AuthFile::Disabled)
        ));
        let cases: &[(&[u8], FileError)] = &[
            (b"{\"type\": ", FileError::Json { line: 1, column: 9 }),
            (b"[]", FileError::NotObject),
            (b"{\"email\":\"x\"}", FileError::NoType),
            (
                br#"{"type":"vertex"}"#,
                field("service_account", "a service-account key object"),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(&parse(bytes).unwrap_err(), want);
        }
        let bad: &[(Value, &str)] = &[
            (json!({"prefix": "a/b"}), "prefix"),
            (json!({"priority": 1.5}), "priority"),
            (json!({"headers": ["x"]}), "headers"),
            (json!({"excluded_models": "x"}), "excluded_models"),
            (json!({"disable_cooling": "yes"}), "disable_cooling"),
            (json!({"base_url": "ftp://x"}), "base_url"),
            (json!({"location": "us-central1.evil.com/"}), "location"),
            (json!({"project_id": "a/b"}), "project_id"),
            (json!({"models": [{"alias": "x"}]}), "models"),
            (json!({"email": 5}), "email"),
        ];
        for (extra, name) in bad {
            match parse_vertex(extra.clone()) {
                Err(FileError::Field { field, .. }) => assert_eq!(field, *name),
                other => panic!("{name}: {other:?}"),
            }
        }
        let mut sa = sa_json();
        sa["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
        let err =
            parse(&serde_json::to_vec(&json!({"type":"vertex","service_account":sa})).unwrap())
                .unwrap_err();
        assert_eq!(err, FileError::Vertex(VertexError::BadKey));
        let mut sa = sa_json();
        sa.as_object_mut().unwrap().remove("project_id");
        let err =
            parse(&serde_json::to_vec(&json!({"type":"vertex","service_account":sa})).unwrap())
                .unwrap_err();
        assert_eq!(err, field("project_id", "a Google Cloud project id"));
    }
}
