//! End-to-end test of `payload` rules: a default (only where the client left the field out),
//! an override and a filter reach the mock upstream through the real server.

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
use support::{client, MockUpstream, Reply};

use support::CHAT_COMPLETION as COMPLETION;

#[tokio::test]
async fn default_override_and_filter_reach_the_upstream() {
    let mock = MockUpstream::start(|_| Reply::Json {
        status: 200,
        body: COMPLETION.to_string(),
        headers: vec![],
    });
    let gw = Gateway::start(&format!(
        r#"
openai-compatibility:
  - name: mock
    base-url: {base}/v1
    models:
      - name: openai/gpt-4o
        alias: gpt-4o
payload:
  default:
    - models: [{{ name: "gpt-4o", protocol: "openai" }}]   # the client's alias
      params: {{ temperature: 0.9, max_tokens: 256 }}
  override:
    - models: [{{ name: "openai/gpt-*" }}]                  # the upstream name
      params: {{ "metadata.source": "cliproxy" }}
    - models: [{{ name: "*", protocol: "claude" }}]         # another protocol
      params: {{ never: true }}
  filter:
    - models: [{{ name: "gpt-*" }}]
      params: ["user", "not.present"]
"#,
        base = mock.base_url()
    ));
    let body = json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello!"}],
        "temperature": 0.2,
        "user": "someone",
    });
    let resp = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "gpt-4o");

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let sent: Value = reqs[0].json();
    assert_eq!(
        sent,
        json!({
            "model": "openai/gpt-4o",
            "messages": [{"role": "user", "content": "Hello!"}],
            "temperature": 0.2,
            "max_tokens": 256,
            "metadata": {"source": "cliproxy"},
        })
    );
}
