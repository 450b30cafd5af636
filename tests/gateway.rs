//! End-to-end tests of the OpenAI-compatible passthrough through the real server, against
//! loopback mock upstreams that record what they receive. Every test runs on the runtime and
//! driver of the current leg (see `support::gateway`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::gateway::Gateway;
use support::{client, MockUpstream, Reply};

use support::CHAT_COMPLETION as COMPLETION;
const STREAM: &str = include_str!("fixtures/openai/chat_stream.sse");
const REQUEST: &str = include_str!("fixtures/openai/chat_request.json");

fn stream_frames() -> Vec<String> {
    STREAM
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| format!("{f}\n\n"))
        .collect()
}

const AUTH: (&str, &str) = ("authorization", "Bearer client-key");
const JSON_CT: (&str, &str) = ("content-type", "application/json");

fn chat_body(stream: bool) -> String {
    let mut v: Value = serde_json::from_str(REQUEST).unwrap();
    v["stream"] = json!(stream);
    v.to_string()
}

/// A non-streaming chat request with the client key, on a new client connection.
async fn send_chat(gw: &Gateway) -> std::io::Result<client::Response> {
    client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        chat_body(false),
    )
    .await
}

#[tokio::test]
async fn non_streaming_uses_upstream_key_and_name_and_returns_the_alias() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let resp = send_chat(&gw).await.unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["model"], "gpt-4o");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello! How can I assist you today?"
    );
    assert_eq!(v["usage"]["total_tokens"], 29);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let up = &reqs[0];
    assert_eq!(up.method, "POST");
    assert_eq!(up.path, "/v1/chat/completions");
    assert_eq!(up.header("authorization"), Some("Bearer upstream-key"));
    assert_eq!(up.header("x-entry"), Some("entry-header"));
    let sent = up.json();
    assert_eq!(sent["model"], "openai/gpt-4o");
    assert_eq!(sent["temperature"], 0.2);
    assert_eq!(sent["messages"][1]["content"], "Hello!");
    assert!(sent.get("stream_options").is_none());
}

#[tokio::test]
async fn every_client_key_location_is_accepted_and_bad_keys_get_401() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let body = chat_body(false);
    for headers in [
        vec![("x-api-key", "client-key")],
        vec![("x-goog-api-key", "client-key")],
        vec![("authorization", "Bearer client-key")],
    ] {
        let r = client::send(
            gw.addr(),
            "POST",
            "/v1/chat/completions",
            &headers,
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200, "{headers:?}: {}", r.text());
    }
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions?key=client-key",
        &[],
        body.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let calls = mock.calls();

    let r = client::send(gw.addr(), "POST", "/v1/chat/completions", &[], body.clone())
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    assert_eq!(r.json()["error"]["message"], "missing API key");
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[("authorization", "Bearer nope")],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["message"], "invalid API key");
    let r = client::send(gw.addr(), "GET", "/v1/models", &[("x-api-key", "nope")], "")
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        mock.calls(),
        calls,
        "rejected requests never reach the upstream"
    );
}

#[tokio::test]
async fn streaming_arrives_complete_in_order_with_alias_and_done() {
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: stream_frames(),
        gap: Duration::from_millis(5),
    });
    let gw = Gateway::openai_compat(&mock, "");
    let resp = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        chat_body(true),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    let frames = client::sse_data_frames(&resp.body);
    // The usage-only chunk the gateway asked for is not shown to a client that did not.
    assert_eq!(frames.len(), 5, "{frames:?}");
    assert_eq!(frames.last().unwrap(), "[DONE]");
    let text: String = frames[..4]
        .iter()
        .map(|f| {
            let v: Value = serde_json::from_str(f).unwrap();
            assert_eq!(v["model"], "gpt-4o");
            v["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(text, "Hello!");

    let sent = mock.requests()[0].json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(sent["model"], "openai/gpt-4o");
}

#[tokio::test]
async fn a_client_that_asked_for_usage_gets_the_usage_chunk() {
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: stream_frames(),
        gap: Duration::ZERO,
    });
    let gw = Gateway::openai_compat(&mock, "");
    let mut v: Value = serde_json::from_str(&chat_body(true)).unwrap();
    v["stream_options"] = json!({"include_usage": true});
    let resp = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        v.to_string(),
    )
    .await
    .unwrap();
    let frames = client::sse_data_frames(&resp.body);
    assert_eq!(frames.len(), 6);
    let usage: Value = serde_json::from_str(&frames[4]).unwrap();
    assert_eq!(usage["usage"]["total_tokens"], 21);
    assert_eq!(usage["model"], "gpt-4o");
}

#[tokio::test]
async fn same_name_models_are_forwarded_byte_for_byte() {
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: stream_frames(),
        gap: Duration::ZERO,
    });
    let gw = Gateway::openai_compat(&mock, "");
    let body = r#"{"model":"same-name","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#;
    let resp = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        body,
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(std::str::from_utf8(&resp.body).unwrap(), STREAM);
    assert_eq!(&mock.requests()[0].body[..], body.as_bytes());
}

#[tokio::test]
async fn frames_are_forwarded_before_the_upstream_finishes() {
    // The upstream pauses a long time after the first frame. If the gateway buffered, the
    // client would see nothing until the upstream finished; instead it gets the first frame,
    // hangs up, and the upstream sees its stream aborted.
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: stream_frames(),
        gap: Duration::from_secs(3),
    });
    let gw = Gateway::openai_compat(&mock, "");
    let mut resp = client::send_streaming(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        chat_body(true),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200);
    let (_, first) = resp.chunks.recv().await.expect("first frame");
    let first = String::from_utf8_lossy(&first).to_string();
    assert!(first.starts_with("data: {"), "{first}");
    assert!(first.contains(r#""model":"gpt-4o""#), "{first}");
    drop(resp);
    assert!(
        mock.wait_for(Duration::from_secs(10), |m| m.aborted_streams() == 1),
        "upstream stream was not aborted after the client left"
    );
}

#[tokio::test]
async fn a_vanished_client_leaves_the_server_serving_others() {
    let mock = MockUpstream::start(|r| {
        if r.json()["stream"] == true {
            Reply::Sse {
                frames: stream_frames(),
                gap: Duration::from_millis(500),
            }
        } else {
            Reply::Json {
                status: 200,
                body: COMPLETION.to_string(),
                headers: vec![],
            }
        }
    });
    let gw = Gateway::openai_compat(&mock, "");
    for _ in 0..3 {
        let mut resp = client::send_streaming(
            gw.addr(),
            "POST",
            "/v1/chat/completions",
            &[AUTH, JSON_CT],
            chat_body(true),
        )
        .await
        .unwrap();
        resp.chunks.recv().await.expect("first frame");
        drop(resp);
    }
    assert!(mock.wait_for(Duration::from_secs(10), |m| m.aborted_streams() == 3));
    let r = send_chat(&gw).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["model"], "gpt-4o");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_streams_each_get_their_own_answer() {
    // The mock echoes each request's user message back in its stream.
    let mock = MockUpstream::start(|r| {
        let tag = r.json()["messages"][0]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        Reply::Sse {
            frames: (0..3)
                .map(|i| {
                    format!(
                        "data: {}\n\n",
                        json!({"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"content":format!("{tag}#{i};")}}]})
                    )
                })
                .chain(["data: [DONE]\n\n".to_string()])
                .collect(),
            gap: Duration::from_millis(20),
        }
    });
    let gw = Gateway::openai_compat(&mock, "");
    let addr = gw.addr();
    let mut tasks = Vec::new();
    for n in 0..200 {
        tasks.push(tokio::spawn(async move {
            let body = json!({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":format!("req{n}")}]});
            let resp = client::send(addr, "POST", "/v1/chat/completions", &[AUTH, JSON_CT], body.to_string())
                .await
                .unwrap();
            assert_eq!(resp.status, 200);
            let text: String = client::sse_data_frames(&resp.body)
                .iter()
                .filter(|f| f.as_str() != "[DONE]")
                .map(|f| {
                    let v: Value = serde_json::from_str(f).unwrap();
                    v["choices"][0]["delta"]["content"].as_str().unwrap().to_string()
                })
                .collect();
            assert_eq!(text, format!("req{n}#0;req{n}#1;req{n}#2;"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(mock.calls(), 200);
}

#[tokio::test]
async fn unknown_model_is_404_and_never_sent_upstream() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        r#"{"model":"gpt-unknown","messages":[]}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    let v = r.json();
    assert_eq!(v["error"]["code"], "model_not_found");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("gpt-unknown"));
    // The hidden upstream name of an aliased model is not servable either.
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        r#"{"model":"openai/gpt-4o"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_problem() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    for (body, needle) in [
        (r#"{"model":"gpt-4o","messages":[}"#, "line 1 column"),
        (r#"{"messages":[]}"#, "`model`"),
        (r#"{"model":42}"#, "`model` must be a string"),
        (r#"["not","an","object"]"#, "JSON object"),
        (
            r#"{"model":"gpt-4o","stream":"yes"}"#,
            "`stream` must be a boolean",
        ),
    ] {
        let r = client::send(
            gw.addr(),
            "POST",
            "/v1/chat/completions",
            &[AUTH, JSON_CT],
            body,
        )
        .await
        .unwrap();
        assert_eq!(r.status, 400, "{body}");
        let v = r.json();
        assert_eq!(v["error"]["type"], "invalid_request_error");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  max-body-bytes: 1024\n");
    let big = format!(
        r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "x".repeat(4096)
    );
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        big,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["code"], "request_too_large");
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn upstream_error_status_and_body_pass_through() {
    let mock = MockUpstream::start(|_| {
        Reply::Json {
        status: 429,
        body: r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#.into(),
        headers: vec![],
    }
    });
    let gw = Gateway::openai_compat(&mock, "");
    let r = send_chat(&gw).await.unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["message"], "Rate limit reached");
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    let mock = MockUpstream::start(|_| Reply::Close);
    let gw = Gateway::openai_compat(&mock, "");
    let r = send_chat(&gw).await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"]["type"], "api_error");

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = Gateway::start(&format!(
        "openai-compatibility:\n  - name: dead\n    base-url: http://{closed}/v1\n    models:\n      - name: m\n"
    ));
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[JSON_CT],
        r#"{"model":"m"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 502);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot connect"));
}

#[tokio::test]
async fn upstream_that_never_answers_is_504() {
    let mock = MockUpstream::start(|_| Reply::Hang);
    let gw = Gateway::openai_compat(&mock, "upstream:\n  response-header-timeout-seconds: 1\n");
    let r = send_chat(&gw).await.unwrap();
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no response"));
}

/// The response-head timeout counts from each request's own start, also on a pooled
/// connection whose first request began long enough ago for the allowance to have run out.
#[tokio::test]
async fn head_timeout_counts_from_each_request_on_a_pooled_connection() {
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let mock = MockUpstream::start(move |_| {
        let reply = Reply::json(200, serde_json::from_str(COMPLETION).unwrap());
        match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => reply,
            _ => Reply::Delay(Duration::from_millis(1200), Box::new(reply)),
        }
    });
    let gw = Gateway::openai_compat(
        &mock,
        "workers: 1\nupstream:\n  response-header-timeout-seconds: 2\n",
    );
    let send = || send_chat(&gw);
    assert_eq!(send().await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Answered 2.4 s after the first request began, 1.2 s after its own start.
    let r = send().await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn upstream_dropping_mid_stream_ends_with_an_in_band_error() {
    let frames: Vec<String> = stream_frames().into_iter().take(2).collect();
    let mock = MockUpstream::start(move |_| Reply::SseThenDrop {
        frames: frames.clone(),
        gap: Duration::ZERO,
    });
    let gw = Gateway::openai_compat(&mock, "");
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        chat_body(true),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let frames = client::sse_data_frames(&r.body);
    assert_eq!(frames.len(), 3, "{frames:?}");
    let err: Value = serde_json::from_str(&frames[2]).unwrap();
    assert_eq!(err["error"]["code"], "upstream_stream_error");
}

#[tokio::test]
async fn slow_request_head_gets_408() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  head-read-timeout-seconds: 1\n");
    let out = client::raw_exchange(
        gw.addr(),
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    // Other connections were never affected.
    let r = client::send(gw.addr(), "GET", "/healthz", &[], "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn slow_request_body_gets_408() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  body-read-timeout-seconds: 1\n");
    let head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-key\r\nContent-Length: 100\r\n\r\n{\"model\":";
    let out = client::raw_exchange(gw.addr(), head, Duration::from_secs(10))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
}

#[tokio::test]
async fn huge_headers_get_431() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  max-header-bytes: 8192\n");
    let big = "a".repeat(20_000);
    let r = client::send(gw.addr(), "GET", "/healthz", &[("x-big", big.as_str())], "").await;
    match r {
        Ok(r) => assert_eq!(r.status, 431),
        // The server may close before the client finished writing; that is a rejection too.
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::Other
            ),
            "{e:?}"
        ),
    }
    let r = client::send(gw.addr(), "GET", "/healthz", &[], "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn models_health_root_and_preflight() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let r = client::send(gw.addr(), "GET", "/v1/models", &[AUTH], "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt-4o", "same-name"]);
    assert_eq!(v["data"][0]["owned_by"], "mock");
    assert_eq!(v["data"][0]["object"], "model");

    let r = client::send(gw.addr(), "GET", "/healthz", &[], "")
        .await
        .unwrap();
    assert_eq!((r.status, r.json()["status"].clone()), (200, json!("ok")));
    let r = client::send(gw.addr(), "GET", "/", &[], "").await.unwrap();
    assert!(r.json()["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "POST /v1/chat/completions"));
    let r = client::send(gw.addr(), "HEAD", "/", &[], "").await.unwrap();
    assert_eq!(r.status, 200);
    let r = client::send(
        gw.addr(),
        "OPTIONS",
        "/v1/chat/completions",
        &[("origin", "http://x")],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let r = client::send(gw.addr(), "GET", "/v1/chat/completions", &[AUTH], "")
        .await
        .unwrap();
    assert_eq!(r.status, 405);
    let r = client::send(gw.addr(), "GET", "/nope", &[AUTH], "")
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    let r = client::send(gw.addr(), "POST", "/v1/messages", &[AUTH], "{}")
        .await
        .unwrap();
    assert_eq!(r.status, 400, "a Messages body without a model");
    assert_eq!(
        r.json()["type"],
        "error",
        "Claude clients get Claude's error shape"
    );
}

#[tokio::test]
async fn tls_upstream_trusted_through_config() {
    let (mock, pem) = MockUpstream::start_tls(|_| Reply::Json {
        status: 200,
        body: COMPLETION.to_string(),
        headers: vec![],
    });
    let dir = support::tempdir();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let port = mock.addr().port();
    let gw = Gateway::start(&format!(
        r#"
upstream:
  ca-files: ["{ca}"]
openai-compatibility:
  - name: tls
    base-url: https://localhost:{port}/v1
    models:
      - name: up
        alias: down
"#,
        ca = ca.display()
    ));
    for _ in 0..2 {
        let r = client::send(
            gw.addr(),
            "POST",
            "/v1/chat/completions",
            &[JSON_CT],
            r#"{"model":"down"}"#,
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["model"], "down");
    }
    assert_eq!(mock.calls(), 2);

    // Without the CA the certificate is rejected: a clear 502, not a hang.
    let gw = Gateway::start(&format!(
        "openai-compatibility:\n  - name: tls\n    base-url: https://localhost:{port}/v1\n    models:\n      - name: up\n"
    ));
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[JSON_CT],
        r#"{"model":"up"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 502);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("TLS"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn upstream_connections_are_reused() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "workers: 1\n");
    for _ in 0..5 {
        let r = send_chat(&gw).await.unwrap();
        assert_eq!(r.status, 200);
    }
    assert_eq!(mock.calls(), 5);
    assert_eq!(
        mock.connections_accepted(),
        1,
        "keep-alive pool reuses one connection"
    );
}

/// An upstream that closes a pooled connection instead of answering costs the client
/// nothing: the request goes again once, on a new connection. A new connection that closes
/// is a failure, not retried (`request-retry: 0` keeps the pipeline from retrying either).
#[tokio::test]
async fn a_pooled_connection_closed_by_the_upstream_is_retried_on_a_new_one() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = AtomicUsize::new(0);
    let mock = MockUpstream::start(move |_| match calls.fetch_add(1, Ordering::Relaxed) {
        1 | 3 | 4 => Reply::Close,
        _ => Reply::Json {
            status: 200,
            body: COMPLETION.to_string(),
            headers: vec![],
        },
    });
    let gw = Gateway::openai_compat(&mock, "workers: 1\nrequest-retry: 0\n");
    let send = || send_chat(&gw);
    assert_eq!(send().await.unwrap().status, 200);
    // Call 1 closes the pooled connection; call 2 answers on a new one.
    assert_eq!(send().await.unwrap().status, 200);
    assert_eq!((mock.calls(), mock.connections_accepted()), (3, 2));
    // Call 3 closes the pooled connection, call 4 the new one: that is the end of it.
    assert_eq!(send().await.unwrap().status, 502);
    assert_eq!((mock.calls(), mock.connections_accepted()), (5, 3));
}

#[tokio::test]
async fn graceful_shutdown_lets_a_stream_finish() {
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: stream_frames(),
        gap: Duration::from_millis(200),
    });
    let gw = Gateway::openai_compat(&mock, "");
    let mut resp = client::send_streaming(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        chat_body(true),
    )
    .await
    .unwrap();
    resp.chunks.recv().await.expect("first frame");
    gw.handle().shutdown();
    let mut rest = Vec::new();
    while let Some((_, c)) = resp.chunks.recv().await {
        rest.extend_from_slice(&c);
    }
    let text = String::from_utf8_lossy(&rest);
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    // New connections are refused once shutdown started.
    drop(gw);
    assert_eq!(mock.aborted_streams(), 0);
}

#[test]
fn a_port_in_use_is_a_clear_startup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cfg = cliproxy::config::Config {
        host: "127.0.0.1".into(),
        port: taken.local_addr().unwrap().port(),
        workers: 2,
        ..Default::default()
    };
    let result = cliproxy::server::start(
        cliproxy::snapshot::shared(cfg),
        support::gateway::test_runtime(),
    );
    let err = result.err().expect("binding a taken port must fail");
    assert!(
        err.to_string().starts_with("cannot listen on 127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn a_thinking_suffix_on_the_model_overrides_the_body() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let body = json!({"model": "gpt-4o(high)", "reasoning_effort": "low",
                      "messages": [{"role": "user", "content": "hi"}]});
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "gpt-4o(high)");
    let sent = mock.requests()[0].json();
    assert_eq!(sent["model"], "openai/gpt-4o");
    assert_eq!(sent["reasoning_effort"], "high");

    let body = json!({"model": "gpt-4o(8192)", "messages": [{"role": "user", "content": "hi"}]});
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(mock.requests()[1].json()["reasoning_effort"], "medium");

    let body = json!({"model": "gpt-4o(none)", "reasoning_effort": "high",
                      "messages": [{"role": "user", "content": "hi"}]});
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert!(mock.requests()[2].json().get("reasoning_effort").is_none());
}
