//! End-to-end tests of `proxy-url`: requests through the real server reach the loopback mock
//! upstream through loopback CONNECT and SOCKS5 proxies (`support::proxy`), which record what
//! they were asked for. Covers the global and per-key settings, `direct`, credentials, TLS on
//! either hop, and failures (dead proxy, refused credentials, silent proxy).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::time::Duration;

use support::gateway::Gateway;
use support::proxy::Attempt;
use support::{client, MockUpstream, Reply, TestProxy};

use support::CHAT_COMPLETION as COMPLETION;
const JSON_CT: (&str, &str) = ("content-type", "application/json");

/// A gateway with one openai-compatibility entry at `base` serving `down` as `up`, its single
/// key carrying `key_proxy` (empty = unset), plus top-level `extra` YAML.
fn gateway(base: &str, key_proxy: &str, extra: &str) -> Gateway {
    Gateway::start(&format!(
        r#"
{extra}
openai-compatibility:
  - name: mock
    base-url: {base}/v1
    api-key-entries:
      - api-key: upstream-key
        proxy-url: "{key_proxy}"
    models:
      - name: up
        alias: down
"#
    ))
}

async fn chat(gw: &Gateway) -> client::Response {
    client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[JSON_CT],
        r#"{"model":"down","messages":[{"role":"user","content":"hi"}]}"#,
    )
    .await
    .unwrap()
}

fn assert_ok(r: &client::Response) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "down");
}

/// Writes PEM files and returns the YAML list of their paths for `upstream.ca-files`.
fn ca_files(pems: &[&str]) -> String {
    let dir = support::tempdir();
    let paths: Vec<String> = pems
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            let path = dir.join(format!("ca{i}.pem"));
            std::fs::write(&path, pem).unwrap();
            format!("\"{}\"", path.display())
        })
        .collect();
    format!("[{}]", paths.join(", "))
}

/// A port on 127.0.0.1 where nothing listens.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn global_http_proxy_carries_requests_and_the_tunnel_is_pooled() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::connect();
    // One worker, so both requests share one pool.
    let gw = gateway(
        &mock.base_url(),
        "",
        &format!("workers: 1\nproxy-url: http://{}", proxy.addr()),
    );
    assert_ok(&chat(&gw).await);
    assert_ok(&chat(&gw).await);
    assert_eq!(mock.calls(), 2);
    assert_eq!(
        proxy.attempts(),
        [Attempt {
            target: mock.addr().to_string(),
            credentials: None,
        }]
    );
    assert_eq!(proxy.tunnels(), 1, "the second request reuses the tunnel");
    assert_eq!(mock.connections_accepted(), 1);
    let up = &mock.requests()[0];
    assert_eq!(up.path, "/v1/chat/completions");
    assert_eq!(up.header("authorization"), Some("Bearer upstream-key"));
}

#[tokio::test]
async fn streaming_goes_through_the_proxy() {
    let mock = MockUpstream::start(|_| {
        Reply::sse_data([
            r#"{"id":"c","object":"chat.completion.chunk","model":"up","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
            "[DONE]",
        ])
    });
    let proxy = TestProxy::socks5();
    let gw = gateway(&mock.base_url(), &format!("socks5h://{}", proxy.addr()), "");
    let r = client::send(
        gw.addr(),
        "POST",
        "/v1/chat/completions",
        &[JSON_CT],
        r#"{"model":"down","stream":true,"messages":[]}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let frames = support::sse_data_frames(&r.body);
    assert!(
        frames
            .first()
            .is_some_and(|f| f.contains(r#""model":"down""#)),
        "{frames:?}"
    );
    assert_eq!(frames.last().map(String::as_str), Some("[DONE]"));
    assert_eq!(proxy.tunnels(), 1);
}

#[tokio::test]
async fn socks5_with_credentials_resolves_the_target_locally() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::socks5_with_auth("user", "p@ss:w");
    let base = format!("http://localhost:{}", mock.addr().port());
    let url = format!("socks5://user:p%40ss%3Aw@{}", proxy.addr());
    let gw = gateway(&base, &url, "");
    assert_ok(&chat(&gw).await);
    assert_eq!(proxy.tunnels(), 1);
    let attempts = proxy.attempts();
    // `localhost` may resolve to ::1 first; the mock only listens on 127.0.0.1, so the gateway
    // moves on to the next address through a fresh proxy connection.
    let last = attempts.last().unwrap();
    assert_eq!(last.target, mock.addr().to_string());
    assert_eq!(last.credentials.as_deref(), Some("user:p@ss:w"));
    for a in &attempts {
        assert!(!a.target.starts_with("localhost"), "{a:?}");
    }
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn socks5h_sends_the_host_name() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::socks5();
    let base = format!("http://localhost:{}", mock.addr().port());
    let gw = gateway(&base, "", &format!("proxy-url: socks5h://{}", proxy.addr()));
    assert_ok(&chat(&gw).await);
    assert_eq!(
        proxy.attempts(),
        [Attempt {
            target: format!("localhost:{}", mock.addr().port()),
            credentials: None,
        }]
    );
    assert_eq!(proxy.tunnels(), 1);
}

#[tokio::test]
async fn key_direct_bypasses_the_global_proxy() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::connect();
    let global = format!("proxy-url: http://{}", proxy.addr());
    for direct in ["direct", "NONE"] {
        let gw = gateway(&mock.base_url(), direct, &global);
        assert_ok(&chat(&gw).await);
    }
    assert_eq!(mock.calls(), 2);
    assert_eq!(proxy.connections(), 0);
    assert_eq!(proxy.tunnels(), 0);
}

#[tokio::test]
async fn key_proxy_wins_over_the_global_proxy() {
    let mock = MockUpstream::chat_completion();
    let global = TestProxy::connect();
    let own = TestProxy::socks5();
    let gw = gateway(
        &mock.base_url(),
        &format!("socks5://{}", own.addr()),
        &format!("proxy-url: http://{}", global.addr()),
    );
    assert_ok(&chat(&gw).await);
    assert_eq!(own.tunnels(), 1);
    assert_eq!(global.connections(), 0);
}

#[tokio::test]
async fn connect_proxy_credentials_are_sent_and_refusal_is_a_502() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::connect_with_auth("alice", "s3cret");
    let good = format!("http://alice:s3cret@{}", proxy.addr());
    let gw = gateway(&mock.base_url(), &good, "");
    assert_ok(&chat(&gw).await);
    assert_eq!(
        proxy.attempts()[0].credentials.as_deref(),
        Some("alice:s3cret")
    );
    assert_eq!(proxy.tunnels(), 1);

    // Wrong password: the client gets a 502 naming the proxy and the status, never the secret.
    let bad = format!("http://alice:wr0ng@{}", proxy.addr());
    let gw = gateway(&mock.base_url(), &bad, "");
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("proxy http://{}", proxy.addr())),
        "{message}"
    );
    assert!(message.contains("407"), "{message}");
    assert!(
        !message.contains("wr0ng") && !message.contains("alice"),
        "{message}"
    );
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn socks5_refused_credentials_are_a_502() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::socks5_with_auth("user", "right");
    let gw = gateway(
        &mock.base_url(),
        &format!("socks5h://user:wrong@{}", proxy.addr()),
        "",
    );
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("rejected the credentials"), "{message}");
    assert!(!message.contains("wrong"), "{message}");
    assert_eq!(proxy.tunnels(), 0);
    assert_eq!(mock.calls(), 0);

    // No credentials at all: the proxy offers no acceptable method.
    let gw = gateway(&mock.base_url(), &format!("socks5://{}", proxy.addr()), "");
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.text().contains("requires a user name and password"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn dead_proxy_is_a_502_naming_the_proxy() {
    let mock = MockUpstream::chat_completion();
    let port = dead_port();
    for scheme in ["http", "https", "socks5", "socks5h"] {
        let gw = gateway(
            &mock.base_url(),
            "",
            &format!("proxy-url: {scheme}://user:pw@127.0.0.1:{port}"),
        );
        let r = chat(&gw).await;
        assert_eq!(r.status, 502, "{scheme}: {}", r.text());
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!(
                "cannot connect to proxy {scheme}://127.0.0.1:{port}"
            )),
            "{message}"
        );
        assert!(!message.contains("user:pw"), "{message}");
    }
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn proxy_that_cannot_reach_the_target_is_a_502() {
    let port = dead_port();
    let base = format!("http://127.0.0.1:{port}");
    let connect = TestProxy::connect();
    let gw = gateway(&base, &format!("http://{}", connect.addr()), "");
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("status 502"), "{}", r.text());

    let socks = TestProxy::socks5();
    let gw = gateway(&base, &format!("socks5://{}", socks.addr()), "");
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("connection refused"), "{}", r.text());
}

#[tokio::test]
async fn silent_proxy_hits_the_connect_timeout() {
    let mock = MockUpstream::chat_completion();
    let proxy = TestProxy::silent();
    let gw = gateway(
        &mock.base_url(),
        "",
        &format!(
            "proxy-url: socks5://{}\nupstream:\n  connect-timeout-seconds: 1",
            proxy.addr()
        ),
    );
    let r = tokio::time::timeout(Duration::from_secs(10), chat(&gw))
        .await
        .expect("the gateway answers within its connect timeout");
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(proxy.connections(), 1);
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn tls_upstream_through_a_connect_proxy() {
    let (mock, pem) = MockUpstream::start_tls(|_| Reply::Json {
        status: 200,
        body: COMPLETION.to_string(),
        headers: vec![],
    });
    let proxy = TestProxy::connect();
    let base = format!("https://localhost:{}", mock.addr().port());
    let gw = gateway(
        &base,
        "",
        &format!(
            "proxy-url: http://{}\nupstream:\n  ca-files: {}",
            proxy.addr(),
            ca_files(&[&pem])
        ),
    );
    assert_ok(&chat(&gw).await);
    assert_eq!(
        proxy.attempts(),
        [Attempt {
            target: format!("localhost:{}", mock.addr().port()),
            credentials: None,
        }]
    );
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn https_proxy_with_tls_upstream() {
    let (mock, upstream_pem) = MockUpstream::start_tls(|_| Reply::Json {
        status: 200,
        body: COMPLETION.to_string(),
        headers: vec![],
    });
    let (proxy, proxy_pem) = TestProxy::connect_tls();
    let base = format!("https://localhost:{}", mock.addr().port());
    let gw = gateway(
        &base,
        &format!("https://localhost:{}", proxy.addr().port()),
        &format!(
            "upstream:\n  ca-files: {}",
            ca_files(&[&upstream_pem, &proxy_pem])
        ),
    );
    assert_ok(&chat(&gw).await);
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(mock.calls(), 1);

    // Without trusting the proxy's CA, the TLS handshake with the proxy fails: a clear 502.
    let gw = gateway(
        &base,
        &format!("https://localhost:{}", proxy.addr().port()),
        &format!("upstream:\n  ca-files: {}", ca_files(&[&upstream_pem])),
    );
    let r = chat(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.text().contains(&format!(
            "TLS handshake with proxy https://localhost:{}",
            proxy.addr().port()
        )),
        "{}",
        r.text()
    );
    assert_eq!(mock.calls(), 1);
}
