//! End-to-end tests of credential selection, cooldowns, failover and retries through the real
//! server, against loopback mocks that tell keys apart by the `authorization` header they see
//! and count the calls each key got. Every test runs on the runtime and driver of the current
//! leg (see `support::gateway`); none waits more than about a second.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::gateway::Gateway;
use support::{client, MockUpstream, Recorded, Reply};

use support::CHAT_COMPLETION as COMPLETION;
const STREAM: &str = include_str!("fixtures/openai/chat_stream.sse");
const REQUEST: &str = include_str!("fixtures/openai/chat_request.json");

const AUTH: (&str, &str) = ("authorization", "Bearer client-key");
const JSON_CT: (&str, &str) = ("content-type", "application/json");

fn stream_frames() -> Vec<String> {
    STREAM
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| format!("{f}\n\n"))
        .collect()
}

fn chat_body(stream: bool) -> String {
    let mut v: Value = serde_json::from_str(REQUEST).unwrap();
    v["stream"] = json!(stream);
    v.to_string()
}

fn ok() -> Reply {
    Reply::Json {
        status: 200,
        body: COMPLETION.to_string(),
        headers: vec![],
    }
}

fn rate_limited(retry_after: Option<&str>) -> Reply {
    Reply::Json {
        status: 429,
        body: json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})
            .to_string(),
        headers: retry_after
            .map(|v| vec![("retry-after".to_string(), v.to_string())])
            .unwrap_or_default(),
    }
}

/// The upstream key a recorded request carried (`k1`, `k2`, …).
fn key(r: &Recorded) -> &str {
    r.header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("-")
}

fn calls(mock: &MockUpstream, k: &str) -> usize {
    mock.requests().iter().filter(|r| key(r) == k).count()
}

/// One `openai-compatibility` entry serving alias `gpt-4o` as `openai/gpt-4o`, with keys
/// `k1..=kN` (YAML, indented for the list).
fn entry(name: &str, mock: &MockUpstream, keys: usize, extra: &str) -> String {
    let keys: String = (1..=keys)
        .map(|i| format!("      - api-key: k{i}\n"))
        .collect();
    format!(
        "  - name: {name}\n    base-url: {base}/v1\n{extra}    api-key-entries:\n{keys}    models:\n      - name: openai/gpt-4o\n        alias: gpt-4o\n",
        base = mock.base_url()
    )
}

fn gateway(entries: &[String], settings: &str) -> Gateway {
    Gateway::start(&format!(
        "api-keys: [\"client-key\"]\n{settings}\nopenai-compatibility:\n{}",
        entries.concat()
    ))
}

async fn chat(gw: &Gateway, body: String) -> client::Response {
    client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[AUTH, JSON_CT],
        body,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_rate_limited_key_gets_exactly_one_call_and_clients_never_notice() {
    let mock = MockUpstream::start(|r| match key(r) {
        "k2" => rate_limited(Some("60")),
        _ => ok(),
    });
    let gw = gateway(&[entry("mock", &mock, 3, "")], "");
    for i in 0..12 {
        let r = chat(&gw, chat_body(false)).await;
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
        assert_eq!(r.json()["model"], "gpt-4o");
    }
    assert_eq!(calls(&mock, "k2"), 1, "the 429 cooled k2 down for 60 s");
    assert_eq!(calls(&mock, "k1") + calls(&mock, "k3"), 12);
    assert!(calls(&mock, "k1") > 0 && calls(&mock, "k3") > 0);
}

#[tokio::test]
async fn a_cooled_key_is_used_again_once_its_retry_after_has_passed() {
    let k2_calls = Arc::new(AtomicUsize::new(0));
    let seen = k2_calls.clone();
    let mock = MockUpstream::start(move |r| {
        if key(r) == "k2" && seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return rate_limited(Some("1"));
        }
        ok()
    });
    let gw = gateway(&[entry("mock", &mock, 2, "")], "");
    let mut i = 0;
    while k2_calls.load(Ordering::SeqCst) == 0 {
        let r = chat(&gw, chat_body(false)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        i += 1;
        assert!(i < 50, "k2 is never picked");
    }
    // k2 is cooling: for the next requests only k1 answers.
    let before = calls(&mock, "k1");
    for _ in 0..4 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert_eq!(calls(&mock, "k1"), before + 4);
    assert_eq!(calls(&mock, "k2"), 1);
    // After its Retry-After, k2 serves again without any restart or reset.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..8 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert!(
        calls(&mock, "k2") >= 2,
        "k2 was not used after its cooldown"
    );
}

#[tokio::test]
async fn all_keys_rate_limited_gives_429_with_retry_after_in_openai_shape() {
    let mock = MockUpstream::start(|_| rate_limited(Some("60")));
    let gw = gateway(&[entry("mock", &mock, 3, "")], "max-retry-interval: 1\n");

    // The request that meets the 429s tries every key once and passes the last one through.
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");
    assert_eq!(mock.calls(), 3);
    for k in ["k1", "k2", "k3"] {
        assert_eq!(calls(&mock, k), 1, "{k}");
    }

    // Every key is cooling now: the next requests never reach the upstream.
    for stream in [false, true] {
        let r = chat(&gw, chat_body(stream)).await;
        assert_eq!(r.status, 429, "{}", r.text());
        let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((58..=60).contains(&secs), "{secs}");
        let e = &r.json()["error"];
        assert_eq!(e["code"], "model_cooldown");
        assert_eq!(e["type"], "rate_limit_error");
        assert_eq!(e["model"], "gpt-4o");
        assert_eq!(
            e["message"],
            "All credentials for model gpt-4o are cooling down"
        );
        let reset = e["reset_seconds"].as_u64().unwrap();
        assert!((58..=60).contains(&reset), "{reset}");
        assert!(e["reset_time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(mock.calls(), 3);
}

#[tokio::test]
async fn another_familys_429_reaches_chat_clients_as_a_rate_limit_not_a_cooldown() {
    let mock = MockUpstream::start(|_| {
        Reply::Json {
        status: 429,
        body: json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}})
            .to_string(),
        headers: vec![("retry-after".into(), "30".into())],
    }
    });
    let gw = Gateway::start(&format!(
        "api-keys: [client-key]\nmax-retry-interval: 1\nclaude-api-key:\n  - api-key: sk-up\n    base-url: {}\n    models:\n      - name: claude-sonnet-4-5\n        alias: gpt-4o\n",
        mock.base_url()
    ));

    // The upstream's own 429, in the chat client's shape.
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("30"));
    let e = &r.json()["error"];
    assert_eq!(e["code"], "rate_limit_exceeded");
    assert_eq!(e["type"], "rate_limit_error");
    assert_eq!(
        e["message"],
        "Number of request tokens has exceeded your per-minute rate limit"
    );
    assert!(e.get("reset_seconds").is_none());

    // Then the gateway's own: every credential is cooling.
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "model_cooldown");
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn a_chat_upstreams_429_keeps_its_type_and_code_for_responses_clients() {
    let mock = MockUpstream::start(|_| {
        Reply::Json {
        status: 429,
        body: json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})
            .to_string(),
        headers: vec![],
    }
    });
    let gw = gateway(&[entry("mock", &mock, 1, "")], "max-retry-interval: 1\n");
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/responses",
        &[AUTH, JSON_CT],
        json!({"model": "gpt-4o", "input": "hi"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})
    );
}

#[tokio::test]
async fn a_500_before_the_first_stream_byte_fails_over_invisibly() {
    let mock = MockUpstream::start(|r| match key(r) {
        "k1" => Reply::json(500, json!({"error": {"message": "boom"}})),
        _ => Reply::Sse {
            frames: stream_frames(),
            gap: Duration::ZERO,
        },
    });
    let gw = gateway(
        &[entry("mock", &mock, 2, "")],
        "routing:\n  strategy: fill-first\n",
    );
    for _ in 0..3 {
        let r = chat(&gw, chat_body(true)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream"));
        let frames = client::sse_data_frames(&r.body);
        assert_eq!(frames.last().unwrap(), "[DONE]", "{frames:?}");
        assert!(frames.iter().all(|f| !f.contains("error")), "{frames:?}");
    }
    assert_eq!(calls(&mock, "k1"), 1, "k1 cools for a minute after its 500");
    assert_eq!(calls(&mock, "k2"), 3);
}

#[tokio::test]
async fn an_unreachable_entry_fails_over_to_the_next_one() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mock = MockUpstream::start(|_| ok());
    let dead = format!(
        "  - name: dead\n    base-url: http://{closed}/v1\n    models:\n      - name: openai/gpt-4o\n        alias: gpt-4o\n"
    );
    let gw = gateway(
        &[dead, entry("live", &mock, 1, "")],
        "routing:\n  strategy: ff\n",
    );
    for _ in 0..3 {
        let r = chat(&gw, chat_body(false)).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(mock.calls(), 3);
}

#[tokio::test]
async fn an_invalid_request_error_is_returned_at_once_and_not_retried() {
    let body = json!({"error": {"message": "messages: field required", "type": "invalid_request_error", "code": null}});
    let reply_body = body.clone();
    let mock = MockUpstream::start(move |_| Reply::json(400, reply_body.clone()));
    let gw = gateway(&[entry("mock", &mock, 3, "")], "");
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), body, "the upstream's answer passes through");
    assert_eq!(mock.calls(), 1, "no other key is tried");
    // Nor is the key cooled down: the next request goes upstream again.
    assert_eq!(chat(&gw, chat_body(true)).await.status, 400);
    assert_eq!(mock.calls(), 2);
}

#[tokio::test]
async fn disable_cooling_keeps_hitting_the_failing_key() {
    let mock = MockUpstream::start(|r| match key(r) {
        "k1" => rate_limited(None),
        _ => ok(),
    });
    let gw = gateway(
        &[entry("mock", &mock, 2, "")],
        "disable-cooling: true\nrouting:\n  strategy: fill-first\n",
    );
    for _ in 0..5 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert_eq!(calls(&mock, "k1"), 5);
    assert_eq!(calls(&mock, "k2"), 5);
}

#[tokio::test]
async fn a_credentials_own_disable_cooling_overrides_the_global_setting() {
    // `flaky` (key f1) always answers 429 and is tried first; `steady` (key s1) answers.
    let mock = MockUpstream::start(|r| match key(r) {
        "f1" => rate_limited(None),
        _ => ok(),
    });
    let entries = |flaky_cooling: &str| {
        format!(
            "  - name: flaky\n    base-url: {base}/v1\n    disable-cooling: {flaky_cooling}\n    api-key-entries: [{{api-key: f1}}]\n    models: [{{name: openai/gpt-4o, alias: gpt-4o}}]\n  - name: steady\n    base-url: {base}/v1\n    api-key-entries: [{{api-key: s1}}]\n    models: [{{name: openai/gpt-4o, alias: gpt-4o}}]\n",
            base = mock.base_url()
        )
    };
    let fill_first = "routing:\n  strategy: fill-first\n";

    // Cooling is on, but `flaky` opts out: every request tries it, then fails over.
    let gw = gateway(&[entries("true")], fill_first);
    for _ in 0..4 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert_eq!((calls(&mock, "f1"), calls(&mock, "s1")), (4, 4));
    drop(gw);

    // Cooling is off, but `flaky` opts in: its first 429 cools it down.
    let gw = gateway(
        &[entries("false")],
        &format!("disable-cooling: true\n{fill_first}"),
    );
    for _ in 0..4 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert_eq!((calls(&mock, "f1"), calls(&mock, "s1")), (5, 8));
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_within_max_retry_interval() {
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    let mock = MockUpstream::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            rate_limited(Some("1"))
        } else {
            ok()
        }
    });
    let gw = gateway(&[entry("mock", &mock, 1, "")], "max-retry-interval: 2\n");
    let started = Instant::now();
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(mock.calls(), 2);
}

#[tokio::test]
async fn a_cooling_higher_priority_entry_falls_back_to_the_next_tier() {
    let primary = MockUpstream::start(|_| rate_limited(Some("60")));
    let backup = MockUpstream::start(|_| ok());
    let gw = gateway(
        &[
            entry("primary", &primary, 2, "    priority: 10\n"),
            entry("backup", &backup, 1, ""),
        ],
        "",
    );
    for _ in 0..6 {
        assert_eq!(chat(&gw, chat_body(false)).await.status, 200);
    }
    assert_eq!(primary.calls(), 2, "each primary key once, then it cools");
    assert_eq!(backup.calls(), 6);
}

#[tokio::test]
async fn force_model_prefix_serves_only_the_prefixed_name() {
    let mock = MockUpstream::start(|_| ok());
    let gw = gateway(
        &[entry("mock", &mock, 1, "    prefix: team-a\n")],
        "force-model-prefix: true\n",
    );
    let mut body: Value = serde_json::from_str(&chat_body(false)).unwrap();
    body["model"] = json!("team-a/gpt-4o");
    let r = chat(&gw, body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "team-a/gpt-4o");
    assert_eq!(
        mock.requests()[0].json()["model"],
        "openai/gpt-4o",
        "the prefix is not sent upstream"
    );
    let r = chat(&gw, chat_body(false)).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn session_affinity_keeps_a_conversation_on_one_key() {
    let mock = MockUpstream::start(|_| ok());
    let gw = gateway(
        &[entry("mock", &mock, 3, "")],
        "routing:\n  session-affinity: true\n",
    );
    let mut body: Value = serde_json::from_str(&chat_body(false)).unwrap();
    body["user"] = json!("alice");
    for _ in 0..6 {
        assert_eq!(chat(&gw, body.to_string()).await.status, 200);
    }
    let used: Vec<usize> = ["k1", "k2", "k3"].iter().map(|k| calls(&mock, k)).collect();
    assert!(
        used.contains(&6),
        "one key served the whole session: {used:?}"
    );
}

#[tokio::test]
async fn a_stream_that_dies_before_its_first_byte_fails_over_invisibly() {
    // k1 answers 200 with SSE headers, then hangs up before sending a single frame.
    let mock = MockUpstream::start(|r| match key(r) {
        "k1" => Reply::SseThenDrop {
            frames: Vec::new(),
            gap: Duration::ZERO,
        },
        _ => Reply::Sse {
            frames: stream_frames(),
            gap: Duration::ZERO,
        },
    });
    let gw = gateway(
        &[entry("mock", &mock, 2, "")],
        "routing:\n  strategy: fill-first\n",
    );
    let r = chat(&gw, chat_body(true)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let frames = client::sse_data_frames(&r.body);
    assert_eq!(frames.last().unwrap(), "[DONE]", "{frames:?}");
    assert!(frames.iter().all(|f| !f.contains("error")), "{frames:?}");
    assert_eq!(calls(&mock, "k1"), 1);
    assert_eq!(calls(&mock, "k2"), 1);
}
