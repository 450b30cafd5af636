//! Model listings in each client's shape: OpenAI's `{"object":"list"}` (the default),
//! Anthropic's (for Claude Code: a `claude-cli` User-Agent or an `anthropic-version`
//! header), and Gemini's `models/...` list (for `/v1beta/models`, and for google-genai,
//! which lists under `/v1/models` with only `x-goog-api-key`). Each lists what the snapshot
//! can serve now ([`route::Table::visible`]) and carries the built-in catalogue's metadata
//! (display name, token limits, thinking, release date) where its shape has room for it.

use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::error::{self, Error, Kind};
use crate::route::Listed;
use crate::snapshot::Snapshot;

/// `GET /v1/models` in the shape the caller expects.
pub fn list(snap: &Snapshot, headers: &http::HeaderMap) -> Bytes {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let claude = get("user-agent").is_some_and(|ua| ua.starts_with("claude-cli"))
        || get("anthropic-version").is_some();
    let google = get("x-goog-api-key").is_some() && get("authorization").is_none();
    if claude {
        claude_list(snap)
    } else if google {
        gemini_list(snap)
    } else {
        openai_list(snap)
    }
}

/// The models to list now.
fn visible(snap: &Snapshot) -> Vec<&Listed> {
    snap.routes.visible(Instant::now()).collect()
}

/// The model's release (Unix seconds) from the catalogue, else when the snapshot was built.
fn created(snap: &Snapshot, l: &Listed) -> u64 {
    l.model.and_then(|m| m.created).unwrap_or(snap.created)
}

/// Adds `key: value` to `obj` when there is a value.
fn put(obj: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), v.into());
    }
}

/// OpenAI's shape, with CLIProxyAPI's extra fields (`display_name`, `context_length`,
/// `max_completion_tokens`) for catalogue models.
fn openai_list(snap: &Snapshot) -> Bytes {
    let data: Vec<Value> = visible(snap)
        .into_iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("id".into(), l.id.clone().into());
            m.insert("object".into(), "model".into());
            m.insert("created".into(), created(snap, l).into());
            m.insert("owned_by".into(), l.owned_by.clone().into());
            if let Some(info) = l.model {
                m.insert("display_name".into(), info.display_name.clone().into());
                put(&mut m, "context_length", info.context_length);
                put(&mut m, "max_completion_tokens", info.max_output_tokens);
            }
            Value::Object(m)
        })
        .collect();
    Bytes::from(json!({"object": "list", "data": data}).to_string())
}

/// Anthropic's shape: `display_name`, `created_at`, and the token limits as its Models API
/// names them (`max_input_tokens`, `max_tokens`).
fn claude_list(snap: &Snapshot) -> Bytes {
    let listed = visible(snap);
    let data: Vec<Value> = listed
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("type".into(), "model".into());
            m.insert("id".into(), l.id.clone().into());
            let name = l.model.map_or(l.id.as_str(), |i| i.display_name.as_str());
            m.insert("display_name".into(), name.into());
            let at = UNIX_EPOCH.checked_add(Duration::from_secs(created(snap, l)));
            let at = error::rfc3339(at.unwrap_or(UNIX_EPOCH));
            m.insert("created_at".into(), at.into());
            put(
                &mut m,
                "max_input_tokens",
                l.model.and_then(|i| i.context_length),
            );
            put(
                &mut m,
                "max_tokens",
                l.model.and_then(|i| i.max_output_tokens),
            );
            Value::Object(m)
        })
        .collect();
    Bytes::from(
        json!({
            "data": data,
            "has_more": false,
            "first_id": listed.first().map(|l| l.id.as_str()),
            "last_id": listed.last().map(|l| l.id.as_str()),
        })
        .to_string(),
    )
}

/// One model in Gemini's shape: `displayName`, `inputTokenLimit`, `outputTokenLimit` and
/// `thinking` from the catalogue when it knows the model.
fn gemini_model(l: &Listed) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), format!("models/{}", l.id).into());
    let name = l.model.map_or(l.id.as_str(), |i| i.display_name.as_str());
    m.insert("displayName".into(), name.into());
    if let Some(info) = l.model {
        put(&mut m, "inputTokenLimit", info.context_length);
        put(&mut m, "outputTokenLimit", info.max_output_tokens);
        m.insert("thinking".into(), info.thinking.is_some().into());
    }
    m.insert(
        "supportedGenerationMethods".into(),
        json!(["generateContent", "streamGenerateContent", "countTokens"]),
    );
    Value::Object(m)
}

/// `GET /v1beta/models`.
pub fn gemini_list(snap: &Snapshot) -> Bytes {
    let models: Vec<Value> = visible(snap).into_iter().map(gemini_model).collect();
    Bytes::from(json!({"models": models}).to_string())
}

/// `GET /v1beta/models/{model}`: the model, or a 404 in Gemini's shape.
pub fn gemini_one(snap: &Snapshot, name: &str) -> Result<Bytes, Error> {
    let found = snap.routes.resolve(name).and_then(|r| {
        let model = r.model();
        snap.routes.listed().iter().find(|l| l.id == model)
    });
    match found {
        Some(l) => Ok(Bytes::from(gemini_model(l).to_string())),
        None => Err(Error::new(
            Kind::ModelNotFound,
            format!("model `{name}` is not served by any configured upstream"),
        )),
    }
}
