//! Self-test of the shared integration-test support code: the client against the mock upstream,
//! one test per feature, so both stay trustworthy for the gateway's own integration tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::json;
use support::{raw_exchange, send, send_streaming, sse_data_frames, MockUpstream, Recorded, Reply};

/// Long enough for any async effect on a loaded CI machine; only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

fn ok_json(_: &Recorded) -> Reply {
    Reply::json(200, json!({"ok": true}))
}

#[tokio::test]
async fn json_reply_is_served_and_the_request_is_recorded() {
    let mock = MockUpstream::start(|request| {
        let echoed = request.json()["model"].clone();
        Reply::Json {
            status: 201,
            body: json!({"model": echoed}).to_string(),
            headers: vec![("x-upstream".to_owned(), "mock".to_owned())],
        }
    });

    let response = send(
        mock.addr(),
        "POST",
        "/v1/chat/completions?trace=1",
        &[("Authorization", "Bearer sk-test"), ("X-Multi", "a")],
        r#"{"model":"gpt-test"}"#,
    )
    .await
    .unwrap();

    assert_eq!(response.status, 201);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    assert_eq!(response.header("x-upstream"), Some("mock"));
    assert_eq!(response.json(), json!({"model": "gpt-test"}));
    assert_eq!(response.text(), r#"{"model":"gpt-test"}"#);

    assert_eq!(mock.calls(), 1);
    let recorded = &mock.requests()[0];
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/v1/chat/completions?trace=1");
    assert_eq!(recorded.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(
        recorded.header("HOST"),
        Some(mock.addr().to_string().as_str())
    );
    assert!(recorded
        .headers
        .contains(&("x-multi".to_owned(), "a".to_owned())));
    assert_eq!(recorded.json(), json!({"model": "gpt-test"}));
}

#[tokio::test]
async fn json_content_type_can_be_overridden_and_raw_replies_are_verbatim() {
    let mock = MockUpstream::start(|request| match request.path.as_str() {
        "/json" => Reply::Json {
            status: 200,
            body: "{}".to_owned(),
            headers: vec![(
                "content-type".to_owned(),
                "application/problem+json".to_owned(),
            )],
        },
        _ => Reply::Raw {
            status: 503,
            body: Bytes::from_static(b"\x00not json"),
            headers: vec![("retry-after".to_owned(), "7".to_owned())],
        },
    });

    let json = send(mock.addr(), "GET", "/json", &[], "").await.unwrap();
    assert_eq!(
        json.header("content-type"),
        Some("application/problem+json")
    );

    let raw = send(mock.addr(), "GET", "/raw", &[("host", "example.test")], "")
        .await
        .unwrap();
    assert_eq!(raw.status, 503);
    assert_eq!(raw.header("retry-after"), Some("7"));
    assert_eq!(raw.header("content-type"), None);
    assert_eq!(&raw.body[..], b"\x00not json");
    assert_eq!(mock.requests()[1].header("host"), Some("example.test"));
    assert_eq!(
        mock.connections_accepted(),
        2,
        "send opens a connection per call"
    );
}

#[tokio::test]
async fn keep_alive_serves_two_requests_on_one_connection() {
    let mock = MockUpstream::start(|request| Reply::json(200, json!({"path": request.path})));
    let stream = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(connection);

    for path in ["/first", "/second"] {
        sender.ready().await.unwrap();
        let request = hyper::Request::get(path)
            .header("host", "upstream.test")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()["path"],
            path
        );
    }

    assert_eq!(mock.calls(), 2);
    assert_eq!(mock.connections_accepted(), 1);
    assert_eq!(mock.open_connections(), 1);
    drop(sender);
    driver.await.unwrap().unwrap();
    assert!(mock.wait_for(PATIENCE, |m| m.open_connections() == 0));
}

#[tokio::test]
async fn sse_frames_arrive_as_separate_chunks_in_order() {
    let frames = [
        "data: {\"n\":1}\n\n",
        "event: ping\ndata: {\"n\":2}\n\n",
        "data: [DONE]\n\n",
    ];
    let mock = MockUpstream::start(move |_| Reply::Sse {
        frames: frames.iter().map(|frame| frame.to_string()).collect(),
        gap: Duration::from_millis(30),
    });

    let mut response = send_streaming(mock.addr(), "POST", "/v1/stream", &[], "{}")
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));

    let mut received = Vec::new();
    while let Some(chunk) = response.chunks.recv().await {
        received.push(chunk);
    }
    let texts: Vec<&[u8]> = received.iter().map(|(_, chunk)| &chunk[..]).collect();
    let expected: Vec<&[u8]> = frames.iter().map(|frame| frame.as_bytes()).collect();
    assert_eq!(texts, expected, "one chunk per frame, in order");
    assert!(received.windows(2).all(|pair| pair[0].0 <= pair[1].0));
    assert!(response.try_collect().await.unwrap().is_empty());
    assert_eq!(mock.aborted_streams(), 0);
}

#[tokio::test]
async fn sse_data_reply_round_trips_through_sse_data_frames() {
    let mock = MockUpstream::start(|_| Reply::sse_data([r#"{"a":1}"#, "[DONE]"]));
    let body = send_streaming(mock.addr(), "GET", "/", &[], "")
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(sse_data_frames(&body), [r#"{"a":1}"#, "[DONE]"]);

    let plain = MockUpstream::start(|_| Reply::sse(["data: x\n\n", "data: y\n\n"]));
    let response = send(plain.addr(), "GET", "/", &[], "").await.unwrap();
    assert_eq!(sse_data_frames(&response.body), ["x", "y"]);
}

#[test]
fn sse_data_frames_follows_the_sse_parsing_rules() {
    let body = b": comment\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\n\
data:no-space\n\nid: 7\n\ndata: line one\ndata: line two\n\n\
data: unterminated";
    assert_eq!(
        sse_data_frames(body),
        [r#"{"a":1}"#, "no-space", "line one\nline two"]
    );
    assert!(sse_data_frames(b"").is_empty());
}

#[tokio::test]
async fn sse_then_drop_ends_the_client_body_early_with_an_error() {
    let mock = MockUpstream::start(|_| Reply::SseThenDrop {
        frames: vec!["data: 1\n\n".to_owned(), "data: 2\n\n".to_owned()],
        // No gap: the hardest case for flushing every frame before hanging up.
        gap: Duration::ZERO,
    });

    let buffered = send(mock.addr(), "GET", "/", &[], "").await;
    assert!(
        buffered.is_err(),
        "a truncated chunked body must fail: {buffered:?}"
    );

    let mut streaming = send_streaming(mock.addr(), "GET", "/", &[], "")
        .await
        .unwrap();
    let mut received = Vec::new();
    while let Some((_, chunk)) = streaming.chunks.recv().await {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(
        sse_data_frames(&received),
        ["1", "2"],
        "frames are flushed before the hang-up"
    );
    assert!(streaming.try_collect().await.is_err());
    assert_eq!(
        mock.aborted_streams(),
        0,
        "the mock hung up, not the client"
    );
    assert!(mock.wait_for(PATIENCE, |m| m.open_connections() == 0));
}

// Runs on the default current-thread runtime on purpose: dropping the response must hang up
// without the runtime running again, so blocking in `wait_for` right after is fine.
#[tokio::test]
async fn client_dropping_mid_stream_counts_as_an_aborted_stream() {
    let mock = MockUpstream::start(|_| Reply::Sse {
        frames: (0..30).map(|n| format!("data: {n}\n\n")).collect(),
        gap: Duration::from_secs(1),
    });

    let mut response = send_streaming(mock.addr(), "GET", "/", &[], "")
        .await
        .unwrap();
    let (_, first) = response.chunks.recv().await.unwrap();
    assert_eq!(&first[..], b"data: 0\n\n");
    assert_eq!(mock.aborted_streams(), 0);
    drop(response);

    assert!(mock.wait_for(PATIENCE, |m| m.aborted_streams() == 1));
    assert!(mock.wait_for(PATIENCE, |m| m.open_connections() == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_records_the_request_and_notices_the_client_leaving() {
    let mock = MockUpstream::start(|_| Reply::Hang);
    let request = tokio::spawn(send(mock.addr(), "POST", "/hang", &[], "{}"));

    assert!(
        mock.wait_for(PATIENCE, |m| m.calls() == 1),
        "recorded before any reply"
    );
    assert_eq!(mock.open_connections(), 1);
    assert!(!request.is_finished());
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());

    assert!(mock.wait_for(PATIENCE, |m| m.open_connections() == 0));
    assert_eq!(
        mock.aborted_streams(),
        0,
        "only SSE replies count as streams"
    );
}

#[tokio::test]
async fn close_drops_the_connection_without_a_response() {
    let mock = MockUpstream::start(|_| Reply::Close);

    assert!(send(mock.addr(), "GET", "/", &[], "").await.is_err());

    let request = b"GET / HTTP/1.1\r\nhost: upstream.test\r\n\r\n";
    let answer = raw_exchange(mock.addr(), request, PATIENCE).await.unwrap();
    assert!(
        answer.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(mock.calls(), 2);
}

#[tokio::test]
async fn delay_waits_then_sends_the_inner_reply() {
    let mock = MockUpstream::start(|request| {
        let ok_json_reply = ok_json(request);
        Reply::Delay(
            Duration::from_millis(20),
            Box::new(Reply::Delay(Duration::ZERO, Box::new(ok_json_reply))),
        )
    });
    let response = send(mock.addr(), "GET", "/", &[], "").await.unwrap();
    assert_eq!(response.json(), json!({"ok": true}));
}

#[tokio::test]
async fn raw_exchange_reads_until_close_or_timeout() {
    let mock = MockUpstream::start(ok_json);

    let request = b"GET /raw HTTP/1.1\r\nhost: upstream.test\r\nconnection: close\r\n\r\n";
    let answer = raw_exchange(mock.addr(), request, PATIENCE).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"ok":true}"#), "{answer}");

    // A partial head stalls: the mock waits for the rest, so the read runs into the timeout.
    let stalled = raw_exchange(
        mock.addr(),
        b"GET / HTTP/1.1\r\nhost: x",
        Duration::from_millis(50),
    )
    .await
    .unwrap();
    assert!(stalled.is_empty());
    assert_eq!(mock.calls(), 1);
    assert_eq!(mock.connections_accepted(), 2);
}

#[tokio::test]
async fn tls_mock_is_trusted_through_the_returned_pem() {
    let (mock, ca_pem) = MockUpstream::start_tls(ok_json);
    assert_eq!(
        mock.base_url(),
        format!("https://127.0.0.1:{}", mock.addr().port())
    );

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    for server_name in ["localhost", "127.0.0.1"] {
        let tcp = tokio::net::TcpStream::connect(mock.addr()).await.unwrap();
        let name = ServerName::try_from(server_name).unwrap().to_owned();
        let tls = connector.connect(name, tcp).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::post("/v1/messages")
            .header("host", server_name)
            .body(Full::new(Bytes::from_static(b"{\"tls\":true}")))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"ok":true}"#);
    }

    assert_eq!(mock.calls(), 2);
    assert_eq!(mock.requests()[1].json(), json!({"tls": true}));
    assert_eq!(mock.connections_accepted(), 2);
}

#[test]
fn mock_works_without_any_runtime_and_reports_plain_http() {
    let mock = MockUpstream::start(ok_json);
    assert_eq!(mock.base_url(), format!("http://{}", mock.addr()));
    assert!(mock.addr().ip().is_loopback());
    assert_ne!(mock.addr().port(), 0);
    assert_eq!(mock.calls(), 0);
    assert!(!mock.wait_for(Duration::from_millis(20), |m| m.calls() > 0));

    let mut stream = std::net::TcpStream::connect(mock.addr()).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /sync HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert_eq!(mock.requests()[0].path, "/sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_mock_closes_its_live_connections() {
    let mock = MockUpstream::start(|_| Reply::Hang);
    let request = tokio::spawn(send(mock.addr(), "GET", "/", &[], ""));
    assert!(mock.wait_for(PATIENCE, |m| m.calls() == 1));

    drop(mock);

    assert!(
        request.await.unwrap().is_err(),
        "the hung request fails once the mock is gone"
    );
}
