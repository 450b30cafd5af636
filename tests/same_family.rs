//! End-to-end tests of the same-family passthrough lanes (Claude → Claude, Gemini → Gemini,
//! Responses → Codex) through the real server: the client's alias is what answers and streams
//! name, everything else comes through as the upstream sent it. The upstreams are loopback
//! mocks replaying the translation goldens' upstream inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use serde_json::{json, Value};
use support::gateway::Gateway;
use support::{client, sse_data_frames, MockUpstream, Reply};

const CLAUDE_STREAM: &str = include_str!("fixtures/translate/inputs/upstream/claude/text.sse");
const CLAUDE_ANSWER: &str = include_str!("fixtures/translate/inputs/upstream/claude/text.json");
const GEMINI_STREAM: &str = include_str!("fixtures/translate/inputs/upstream/gemini/text.sse");
const GEMINI_ANSWER: &str = include_str!("fixtures/translate/inputs/upstream/gemini/text.json");
const CODEX_STREAM: &str = include_str!("fixtures/translate/inputs/upstream/codex/text.sse");

const AUTH: (&str, &str) = ("authorization", "Bearer client-key");
const GOOG: (&str, &str) = ("x-goog-api-key", "client-key");
const JSON_CT: (&str, &str) = ("content-type", "application/json");

/// The upstream answers with the recorded stream when asked for one, else the recorded
/// answer (`None`: streams only, as Codex).
fn replay(stream: &'static str, answer: Option<&'static str>) -> MockUpstream {
    MockUpstream::start(move |r| {
        let wants_stream = r.path.contains("stream") || r.json()["stream"] == true;
        match answer {
            Some(answer) if !wants_stream => {
                Reply::json(200, serde_json::from_str(answer).unwrap())
            }
            _ => Reply::sse(
                stream
                    .split_inclusive("\n\n")
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            ),
        }
    })
}

/// A gateway whose `section` key entry serves `upstream_model` as `my-model`.
fn gateway(section: &str, mock: &MockUpstream, upstream_model: &str) -> Gateway {
    Gateway::start(&format!(
        "api-keys: [client-key]\n{section}:\n  - api-key: sk-up\n    base-url: {}\n    models:\n      - name: {upstream_model}\n        alias: my-model\n",
        mock.base_url()
    ))
}

async fn post(gw: &Gateway, path: &str, headers: &[(&str, &str)], body: Value) -> client::Response {
    let r = client::send(gw.addr(), "POST", path, headers, body.to_string())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r
}

fn events(body: &[u8]) -> Vec<Value> {
    sse_data_frames(body)
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn claude_streams_name_the_alias_like_its_answers() {
    let mock = replay(CLAUDE_STREAM, Some(CLAUDE_ANSWER));
    let gw = gateway("claude-api-key", &mock, "claude-sonnet-4-5-20250929");
    let ask = |stream: bool| {
        json!({"model": "my-model", "max_tokens": 64, "stream": stream,
               "messages": [{"role": "user", "content": "hi"}]})
    };
    let r = post(&gw, "/v1/messages", &[AUTH, JSON_CT], ask(false)).await;
    assert_eq!(r.json()["model"], "my-model");
    let r = post(&gw, "/v1/messages", &[AUTH, JSON_CT], ask(true)).await;
    let events = events(&r.body);
    assert_eq!(events[0]["type"], "message_start");
    assert_eq!(events[0]["message"]["model"], "my-model");
    // Everything else is the upstream's stream as it was.
    let upstream = sse_data_frames(CLAUDE_STREAM.as_bytes());
    assert_eq!(sse_data_frames(&r.body)[1..], upstream[1..]);
    for sent in mock.requests() {
        assert_eq!(sent.json()["model"], "claude-sonnet-4-5-20250929");
    }
}

#[tokio::test]
async fn gemini_streams_and_answers_name_the_alias() {
    let mock = replay(GEMINI_STREAM, Some(GEMINI_ANSWER));
    let gw = gateway("gemini-api-key", &mock, "gemini-2.5-pro");
    let ask = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let r = post(
        &gw,
        "/v1beta/models/my-model:generateContent",
        &[GOOG, JSON_CT],
        ask.clone(),
    )
    .await;
    assert_eq!(r.json()["modelVersion"], "my-model");
    let r = post(
        &gw,
        "/v1beta/models/my-model:streamGenerateContent?alt=sse",
        &[GOOG, JSON_CT],
        ask,
    )
    .await;
    let chunks = events(&r.body);
    assert!(!chunks.is_empty());
    for chunk in &chunks {
        assert_eq!(chunk["modelVersion"], "my-model", "{chunk}");
    }
    assert!(mock.requests()[1]
        .path
        .contains("gemini-2.5-pro:streamGenerateContent"));
}

#[tokio::test]
async fn codex_streams_name_the_alias_like_its_answers() {
    let mock = replay(CODEX_STREAM, None);
    let gw = gateway("codex-api-key", &mock, "gpt-5.1-codex");
    let ask = |stream: bool| json!({"model": "my-model", "input": "hi", "stream": stream});
    let r = post(&gw, "/v1/responses", &[AUTH, JSON_CT], ask(false)).await;
    assert_eq!(r.json()["model"], "my-model");
    let r = post(&gw, "/v1/responses", &[AUTH, JSON_CT], ask(true)).await;
    let events = events(&r.body);
    let lifecycle: Vec<&Value> = events
        .iter()
        .filter(|e| e.get("response").is_some())
        .collect();
    assert_eq!(lifecycle.len(), 3, "created, in_progress, completed");
    for e in lifecycle {
        assert_eq!(e["response"]["model"], "my-model", "{}", e["type"]);
    }
    assert_eq!(events.last().unwrap()["type"], "response.completed");
}
