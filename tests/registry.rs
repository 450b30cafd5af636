//! End-to-end tests of the model registry through the real server: API-key entries without
//! `models:` serving the built-in catalogue, `excluded-models`, the catalogue's metadata in
//! every model-list shape, the `auto` model, hiding suspended models, and model lists
//! following the live snapshot. Upstreams are loopback mocks that echo the model they were
//! asked for.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cliproxy::route::catalogue;
use cliproxy::snapshot::{self, Snapshot};
use serde_json::{json, Value};
use support::gateway::Gateway;
use support::{client, MockUpstream, Recorded, Reply};

const AUTH: (&str, &str) = ("authorization", "Bearer client-key");
const GOOG: (&str, &str) = ("x-goog-api-key", "client-key");
const JSON_CT: (&str, &str) = ("content-type", "application/json");

/// An Anthropic Messages answer naming the model the request asked for.
fn claude_reply(r: &Recorded) -> Reply {
    Reply::json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant",
            "model": r.json()["model"],
            "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 3, "output_tokens": 1}
        }),
    )
}

fn gemini_reply() -> Reply {
    Reply::json(
        200,
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4}
        }),
    )
}

fn messages_body(model: &str) -> String {
    json!({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
        .to_string()
}

async fn get(gw: &Gateway, path: &str, headers: &[(&str, &str)]) -> client::Response {
    let r = client::send(gw.addr(), "GET", path, headers, "")
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r
}

async fn post(gw: &Gateway, path: &str, body: String) -> client::Response {
    client::send(gw.addr(), "POST", path, &[AUTH, JSON_CT], body)
        .await
        .unwrap()
}

fn ids(list: &[Value], key: &str) -> Vec<String> {
    list.iter()
        .map(|m| m[key].as_str().unwrap().to_owned())
        .collect()
}

/// What the mock was last asked for: the `model` of the last request body.
fn last_model(mock: &MockUpstream) -> String {
    mock.requests().last().unwrap().json()["model"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_key_without_models_serves_and_lists_its_catalogue_minus_exclusions() {
    let mock = MockUpstream::start(claude_reply);
    let gw = Gateway::start(&format!(
        "api-keys: [client-key]\nclaude-api-key:\n  - api-key: sk-up\n    base-url: {}\n    excluded-models: ['*HAIKU*', 'claude-opus-4*']\n",
        mock.base_url()
    ));
    let served: Vec<&catalogue::Model> = catalogue::models(catalogue::Channel::Claude)
        .iter()
        .filter(|m| !m.id.contains("haiku") && !m.id.starts_with("claude-opus-4"))
        .collect();

    // OpenAI shape, with the catalogue's extras.
    let v = get(&gw, "/v1/models", &[AUTH]).await.json();
    let data = v["data"].as_array().unwrap();
    let want: Vec<String> = served.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids(data, "id"), want);
    let opus = data.iter().find(|m| m["id"] == "claude-opus-5-5").unwrap();
    assert_eq!(opus["owned_by"], "anthropic");
    assert_eq!(opus["display_name"], "Claude Opus 5.5");
    assert_eq!(opus["context_length"], 1_000_000);
    assert_eq!(opus["max_completion_tokens"], 128_000);
    let released = catalogue::find("claude-opus-5-5").unwrap().created.unwrap();
    assert_eq!(opus["created"], released);

    // Anthropic's shape.
    let v = get(
        &gw,
        "/v1/models",
        &[AUTH, ("anthropic-version", "2023-06-01")],
    )
    .await
    .json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(ids(data, "id"), want);
    let opus = data.iter().find(|m| m["id"] == "claude-opus-5-5").unwrap();
    assert_eq!(opus["type"], "model");
    assert_eq!(opus["display_name"], "Claude Opus 5.5");
    assert_eq!(opus["created_at"], "2026-09-28T00:00:00Z");
    assert_eq!(opus["max_input_tokens"], 1_000_000);
    assert_eq!(opus["max_tokens"], 128_000);
    assert_eq!(v["first_id"], want[0]);

    // Served under its own name; excluded models are not served at all.
    let r = post(&gw, "/v1/messages", messages_body("claude-sonnet-5-5")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "claude-sonnet-5-5");
    assert_eq!(last_model(&mock), "claude-sonnet-5-5");
    let up = &mock.requests()[0];
    assert_eq!(up.path, "/v1/messages?beta=true");
    for excluded in ["claude-haiku-5-5", "claude-opus-4-8"] {
        let r = post(&gw, "/v1/messages", messages_body(excluded)).await;
        assert_eq!(r.status, 404, "{excluded}: {}", r.text());
    }
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn gemini_lists_show_catalogue_limits_and_thinking() {
    let mock = MockUpstream::start(|_| gemini_reply());
    let gw = Gateway::start(&format!(
        "api-keys: [client-key]\ngemini-api-key:\n  - api-key: g-up\n    base-url: {}\n    excluded-models: ['*-lite*']\n",
        mock.base_url()
    ));
    let v = get(&gw, "/v1beta/models", &[GOOG]).await.json();
    let models = v["models"].as_array().unwrap();
    let names = ids(models, "name");
    assert!(names.contains(&"models/gemini-2.5-pro".to_owned()));
    assert!(names.iter().all(|n| !n.contains("-lite")), "{names:?}");
    let pro = models
        .iter()
        .find(|m| m["name"] == "models/gemini-2.5-pro")
        .unwrap();
    assert_eq!(pro["displayName"], "Gemini 2.5 Pro");
    assert_eq!(pro["inputTokenLimit"], 1_048_576);
    assert_eq!(pro["outputTokenLimit"], 65_536);
    assert_eq!(pro["thinking"], true);
    assert!(pro["supportedGenerationMethods"]
        .as_array()
        .unwrap()
        .contains(&json!("generateContent")));

    let one = get(&gw, "/v1beta/models/gemini-2.5-pro", &[GOOG])
        .await
        .json();
    assert_eq!(&one, pro);
    // google-genai lists under /v1/models with only its key: the same list.
    let genai = get(&gw, "/v1/models", &[GOOG]).await.json();
    assert_eq!(genai, v);
    let r = client::send(
        gw.addr(),
        "GET",
        "/v1beta/models/gemini-2.5-flash-lite",
        &[GOOG],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404, "excluded: {}", r.text());

    // Served upstream under the catalogue id.
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}).to_string();
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1beta/models/gemini-3.8-flash:generateContent",
        &[GOOG, JSON_CT],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(mock.requests()[0]
        .path
        .contains("/models/gemini-3.8-flash:generateContent"));

    // `auto` in a Gemini URL: the newest served model (first of the newest in catalogue order).
    let served = catalogue::models(catalogue::Channel::Gemini)
        .iter()
        .filter(|m| !m.id.contains("-lite"));
    let newest = served.fold(None::<&catalogue::Model>, |best, m| match best {
        Some(b) if b.created >= m.created => Some(b),
        _ => Some(m),
    });
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}).to_string();
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1beta/models/auto:generateContent",
        &[GOOG, JSON_CT],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let want = format!("/models/{}:generateContent", newest.unwrap().id);
    assert!(mock.requests()[1].path.contains(&want), "{want}");
}

#[tokio::test]
async fn codex_keys_without_models_list_openai_models() {
    let gw = Gateway::start(
        "api-keys: [client-key]\ncodex-api-key:\n  - api-key: c-up\n    base-url: http://127.0.0.1:9\n",
    );
    let v = get(&gw, "/v1/models", &[AUTH]).await.json();
    let data = v["data"].as_array().unwrap();
    let terra = data.iter().find(|m| m["id"] == "gpt-5.6-terra").unwrap();
    assert_eq!(terra["owned_by"], "openai");
    assert_eq!(terra["context_length"], 1_050_000);
    assert_eq!(
        data.len(),
        catalogue::models(catalogue::Channel::Codex).len()
    );
}

#[tokio::test]
async fn auto_is_the_newest_available_model_and_suspended_models_are_hidden() {
    let refuse_opus_5 = Arc::new(AtomicBool::new(false));
    let refuse = refuse_opus_5.clone();
    let mock = MockUpstream::start(move |r| {
        if refuse.load(Ordering::SeqCst) && r.json()["model"] == "claude-opus-5" {
            Reply::json(
                401,
                json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            )
        } else {
            claude_reply(r)
        }
    });
    let gw = Gateway::start(&format!(
        "api-keys: [client-key]\nclaude-api-key:\n  - api-key: sk-up\n    base-url: {}\n    models:\n      - name: claude-opus-4-6\n      - name: claude-opus-5\n",
        mock.base_url()
    ));

    // The newer of the two answers `auto`, and the client hears its name.
    let r = post(&gw, "/v1/messages", messages_body("auto")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "claude-opus-5");
    assert_eq!(last_model(&mock), "claude-opus-5");

    // Its key is refused: that model cools down for 30 min…
    refuse_opus_5.store(true, Ordering::SeqCst);
    let r = post(&gw, "/v1/messages", messages_body("auto")).await;
    assert_eq!(r.status, 401, "{}", r.text());

    // …so `auto` moves to the next newest, from any client format, suffix kept.
    let chat = json!({"model": "auto(high)", "messages": [{"role": "user", "content": "hi"}]});
    let r = post(&gw, "/v1/chat/completions", chat.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "claude-opus-4-6(high)");
    let sent = mock.requests().last().unwrap().json();
    assert_eq!(sent["model"], "claude-opus-4-6");
    assert!(
        sent["thinking"].is_object(),
        "the suffix set thinking: {sent}"
    );

    // A model whose every key is refused is hidden from lists until it comes back.
    let v = get(&gw, "/v1/models", &[AUTH]).await.json();
    assert_eq!(
        ids(v["data"].as_array().unwrap(), "id"),
        ["claude-opus-4-6"]
    );
    assert_eq!(mock.calls(), 3);
}

#[tokio::test]
async fn a_model_configured_as_auto_keeps_its_name() {
    let mock = MockUpstream::start(|_| {
        Reply::json(
            200,
            json!({"id": "c", "object": "chat.completion", "created": 1, "model": "x",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}),
        )
    });
    let gw = Gateway::start(&format!(
        "api-keys: [client-key]\nopenai-compatibility:\n  - name: local\n    base-url: {}/v1\n    models:\n      - name: newer\n      - name: x\n        alias: auto\n",
        mock.base_url()
    ));
    let chat = json!({"model": "auto", "messages": [{"role": "user", "content": "hi"}]});
    let r = post(&gw, "/v1/chat/completions", chat.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(last_model(&mock), "x");
    assert_eq!(r.json()["model"], "auto");
}

#[tokio::test]
async fn auto_without_any_model_is_not_found() {
    let gw = Gateway::start("api-keys: [client-key]\n");
    let r = post(&gw, "/v1/messages", messages_body("auto")).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["type"], "error");
}

#[tokio::test]
async fn model_lists_follow_the_live_snapshot() {
    let yaml = |model: &str| {
        format!("api-keys: [client-key]\nopenai-compatibility:\n  - name: local\n    base-url: http://127.0.0.1:9/v1\n    models:\n      - name: {model}\n")
    };
    let shared = snapshot::shared(Gateway::config(&yaml("first")));
    let gw = Gateway::start_shared(shared.clone());
    let listed = |v: Value| ids(v["data"].as_array().unwrap(), "id");
    assert_eq!(
        listed(get(&gw, "/v1/models", &[AUTH]).await.json()),
        ["first"]
    );

    // A new snapshot (what a reload stores) is what the next request sees.
    shared.store(Arc::new(Snapshot::build(Gateway::config(&yaml("second")))));
    assert_eq!(
        listed(get(&gw, "/v1/models", &[AUTH]).await.json()),
        ["second"]
    );
    let v = get(&gw, "/v1beta/models", &[GOOG]).await.json();
    assert_eq!(
        ids(v["models"].as_array().unwrap(), "name"),
        ["models/second"]
    );
    let r = post(&gw, "/v1/messages", messages_body("first")).await;
    assert_eq!(r.status, 404, "{}", r.text());
}
