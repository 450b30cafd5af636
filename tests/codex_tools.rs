//! End to end through the real server: a Claude Messages client with MCP tool names longer
//! than Codex's 64-character limit, routed to a Codex (Responses) mock that records the
//! request. Codex must see short, unique names everywhere (tools, tool_choice, history), and
//! the client must get its own names back, streamed and not.

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

const READ: &str = "mcp__filesystem_server_with_a_rather_long_descriptive_name__read_text_file";
const READ_OTHER: &str =
    "mcp__another_filesystem_server_with_a_long_descriptive_name__read_text_file";

/// The Codex answer: one call to the second tool, under the name the gateway gave it.
fn codex_stream(name: &str) -> Vec<String> {
    let item = |status: &str, args: &str| {
        json!({"id":"fc_1","type":"function_call","status":status,"arguments":args,
               "call_id":"call_1","name":name})
    };
    let events = [
        json!({"type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}),
        json!({"type":"response.output_item.added","output_index":0,"item":item("in_progress","")}),
        json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"path\":\"/a\"}"}),
        json!({"type":"response.output_item.done","output_index":0,"item":item("completed","{\"path\":\"/a\"}")}),
        json!({"type":"response.completed","response":{"id":"resp_1","status":"completed",
            "output":[item("completed","{\"path\":\"/a\"}")],
            "usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}}}),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

fn gateway_for(mock: &MockUpstream) -> Gateway {
    Gateway::start(&format!(
        r#"
api-keys: ["client-key"]
codex-api-key:
  - api-key: up-cx
    base-url: {base}/cx
    models: [{{name: upstream-cx, alias: cx-model}}]
"#,
        base = mock.base_url()
    ))
}

fn messages_request(stream: bool) -> String {
    let schema = json!({"type":"object","properties":{"path":{"type":"string"}}});
    json!({
        "model": "cx-model",
        "max_tokens": 256,
        "stream": stream,
        "tools": [
            {"name": READ, "input_schema": schema},
            {"name": READ_OTHER, "input_schema": schema},
            {"name": "short_tool", "input_schema": schema},
        ],
        "tool_choice": {"type": "tool", "name": READ_OTHER},
        "messages": [
            {"role": "user", "content": "read /a"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_0", "name": READ, "input": {"path": "/b"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_0", "content": "b"}
            ]},
        ],
    })
    .to_string()
}

const HEADERS: &[(&str, &str)] = &[
    ("x-api-key", "client-key"),
    ("content-type", "application/json"),
    ("anthropic-version", "2023-06-01"),
];

/// Checks the request Codex got and returns the name it saw for `READ_OTHER`.
fn check_upstream(mock: &MockUpstream) -> String {
    let reqs = mock.requests();
    let sent = reqs.last().expect("codex was called").json();
    let tools: Vec<&str> = sent["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        ["mcp__read_text_file", "mcp__read_text_file_1", "short_tool"],
        "{sent}"
    );
    assert_eq!(sent["tool_choice"]["name"], "mcp__read_text_file_1");
    let call = sent["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .expect("the history's call");
    assert_eq!(call["name"], "mcp__read_text_file");
    tools[1].to_owned()
}

/// Sends the Messages request through a gateway in front of the Codex mock; checks what Codex
/// got and returns what the client got.
async fn exchange(stream: bool) -> client::Response {
    let mock = MockUpstream::start(|_| Reply::sse(codex_stream("mcp__read_text_file_1")));
    let gw = gateway_for(&mock);
    let resp = client::send(
        gw.addr(),
        "POST",
        "/v1/messages",
        HEADERS,
        messages_request(stream),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(check_upstream(&mock), "mcp__read_text_file_1");
    resp
}

#[tokio::test]
async fn long_tool_names_are_shortened_for_codex_and_restored_in_the_stream() {
    let resp = exchange(true).await;
    let starts: Vec<Value> = client::sse_data_frames(resp.text().as_bytes())
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .filter(|v| v["type"] == "content_block_start")
        .collect();
    assert_eq!(starts.len(), 1, "{}", resp.text());
    assert_eq!(starts[0]["content_block"]["type"], "tool_use");
    assert_eq!(starts[0]["content_block"]["name"], READ_OTHER);
}

#[tokio::test]
async fn long_tool_names_are_restored_in_a_whole_answer() {
    let v = exchange(false).await.json();
    let call = v["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap_or_else(|| panic!("no tool_use in {v}"));
    assert_eq!(call["name"], READ_OTHER);
    assert_eq!(call["input"], json!({"path": "/a"}));
}
