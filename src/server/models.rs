//! Model listings in each client's shape: OpenAI's `{"object":"list"}` (the default),
//! Anthropic's (for Claude Code: a `claude-cli` User-Agent or an `anthropic-version`
//! header), and Gemini's `models/...` list (for `/v1beta/models`, and for google-genai,
//! which lists under `/v1/models` with only `x-goog-api-key`).

use bytes::Bytes;
use serde_json::json;

use crate::error::{Error, Kind};
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

fn openai_list(snap: &Snapshot) -> Bytes {
    let data: Vec<_> = snap
        .routes
        .listed()
        .iter()
        .map(|l| json!({"id": l.id, "object": "model", "created": snap.created, "owned_by": l.owned_by}))
        .collect();
    Bytes::from(json!({"object": "list", "data": data}).to_string())
}

fn claude_list(snap: &Snapshot) -> Bytes {
    let listed = snap.routes.listed();
    let data: Vec<_> = listed
        .iter()
        .map(|l| json!({"type": "model", "id": l.id, "display_name": l.id, "created_at": "1970-01-01T00:00:00Z"}))
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

fn gemini_model(id: &str) -> serde_json::Value {
    json!({
        "name": format!("models/{id}"),
        "displayName": id,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
    })
}

/// `GET /v1beta/models`.
pub fn gemini_list(snap: &Snapshot) -> Bytes {
    let models: Vec<_> = snap
        .routes
        .listed()
        .iter()
        .map(|l| gemini_model(&l.id))
        .collect();
    Bytes::from(json!({"models": models}).to_string())
}

/// `GET /v1beta/models/{model}`: the model, or a 404 in Gemini's shape.
pub fn gemini_one(snap: &Snapshot, name: &str) -> Result<Bytes, Error> {
    match snap.routes.resolve(name) {
        Some(_) => Ok(Bytes::from(gemini_model(name).to_string())),
        None => Err(Error::new(
            Kind::ModelNotFound,
            format!("model `{name}` is not served by any configured upstream"),
        )),
    }
}
