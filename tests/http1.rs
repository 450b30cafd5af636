//! The client side of HTTP/1.1 on raw connections: pipelining, keep-alive, `Connection:
//! close`, the requests hyper takes over (chunked bodies, `Expect: 100-continue`, HTTP/1.0,
//! even mid-connection), and the 413/408 answers in the path's API shape. Every test runs on
//! the runtime and driver of the current leg (see `support::gateway`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use support::gateway::Gateway;
use support::{MockUpstream, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::CHAT_COMPLETION as COMPLETION;
const CHAT: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#;
/// Long enough never to fire on a slow machine: a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(20);

/// A `POST /v1/chat/completions` with a `Content-Length` body.
fn chat_request(extra_headers: &str) -> String {
    format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-key\r\nContent-Type: application/json\r\n{extra_headers}Content-Length: {}\r\n\r\n{CHAT}",
        CHAT.len()
    )
}

/// One parsed response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A raw client connection that reads responses one at a time.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        Conn {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads more; `false` at end of stream.
    async fn fill(&mut self) -> bool {
        let n = tokio::time::timeout(PATIENCE, self.stream.read_buf(&mut self.buf))
            .await
            .expect("the server answers")
            .unwrap_or(0);
        n > 0
    }

    /// Reads the next response (a `Content-Length` or chunked body).
    async fn response(&mut self) -> Resp {
        let (status, headers, head_len) = loop {
            let mut hs = [httparse::EMPTY_HEADER; 32];
            let mut r = httparse::Response::new(&mut hs);
            if let httparse::Status::Complete(n) = r.parse(&self.buf).unwrap() {
                let headers = r
                    .headers
                    .iter()
                    .map(|h| {
                        let v = String::from_utf8_lossy(h.value).into_owned();
                        (h.name.to_ascii_lowercase(), v)
                    })
                    .collect::<Vec<_>>();
                break (r.code.unwrap(), headers, n);
            }
            assert!(
                self.fill().await,
                "connection closed before a response head"
            );
        };
        self.buf.drain(..head_len);
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if status == 100 {
            return resp;
        }
        if resp.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    assert!(self.fill().await, "connection closed inside a chunk");
                };
                let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
                while self.buf.len() < line_end + 2 + size + 2 {
                    assert!(self.fill().await, "connection closed inside a chunk");
                }
                resp.body
                    .extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    return resp;
                }
            }
        }
        let len: usize = resp
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        while self.buf.len() < len {
            assert!(self.fill().await, "connection closed inside a body");
        }
        resp.body = self.buf.drain(..len).collect();
        resp
    }

    /// `GET /healthz` on this connection answers 200.
    async fn healthz(&mut self) {
        self.send(b"GET /healthz HTTP/1.1\r\n\r\n").await;
        assert_eq!(self.response().await.status, 200);
    }

    /// Whether the server closes the connection with nothing more to say.
    async fn closed(&mut self) -> bool {
        !self.fill().await && self.buf.is_empty()
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    let mut batch = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    batch.push_str(&chat_request(""));
    batch.push_str("GET /v1/models HTTP/1.1\r\nAuthorization: Bearer client-key\r\n\r\n");
    batch.push_str("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n");
    c.send(batch.as_bytes()).await;
    let r = c.response().await;
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("ok")));
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["model"], "gpt-4o");
    let r = c.response().await;
    assert_eq!((r.status, r.json()["object"].as_str()), (200, Some("list")));
    let r = c.response().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed().await);
    assert_eq!(mock.calls(), 1);
    assert_eq!(mock.requests()[0].json()["model"], "openai/gpt-4o");
}

#[tokio::test]
async fn keep_alive_reuses_the_connection() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    for _ in 0..3 {
        c.send(chat_request("").as_bytes()).await;
        let r = c.response().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["model"], "gpt-4o");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(r.header("connection").is_none());
        let date = r.header("date").expect("a date header");
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
    }
    assert_eq!(mock.calls(), 3);
}

#[tokio::test]
async fn a_head_arriving_in_pieces_is_served() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    let req = chat_request("");
    for piece in req.as_bytes().chunks(7) {
        c.send(piece).await;
        c.stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let r = c.response().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(mock.requests()[0].json()["messages"][0]["content"], "hi");
}

#[tokio::test]
async fn connection_close_is_honoured() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    c.send(chat_request("Connection: close\r\n").as_bytes())
        .await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed().await);
}

#[tokio::test]
async fn a_chunked_request_body_is_read() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    // A fast-lane request first: hyper takes over mid-connection.
    c.healthz().await;
    let (a, b) = CHAT.split_at(10);
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-key\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    c.send(req.as_bytes()).await;
    let r = c.response().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(mock.requests()[0].json()["messages"][0]["content"], "hi");
    // hyper keeps the connection alive too.
    c.healthz().await;
}

#[tokio::test]
async fn expect_continue_is_answered() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-key\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        CHAT.len()
    );
    c.send(head.as_bytes()).await;
    assert_eq!(c.response().await.status, 100);
    c.send(CHAT.as_bytes()).await;
    let r = c.response().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["model"], "gpt-4o");
}

#[tokio::test]
async fn http_1_0_is_answered_and_closed() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    c.send(b"GET /healthz HTTP/1.0\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert!(c.closed().await);
}

#[tokio::test]
async fn head_requests_are_answered() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    c.send(b"HEAD /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
        .await;
    let mut all = Vec::new();
    while c.fill().await {}
    all.extend_from_slice(&c.buf);
    let text = String::from_utf8_lossy(&all);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "no body: {text}");
}

/// Sends `request` (a head and part of its body), expects `status` with `connection: close`
/// and then the close; returns the error body.
async fn refused(gw: &Gateway, request: &[u8], status: u16) -> Value {
    let mut c = Conn::open(gw.addr()).await;
    c.send(request).await;
    let r = c.response().await;
    assert_eq!(r.status, status);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed().await);
    r.json()
}

#[tokio::test]
async fn an_oversized_body_gets_413_in_the_path_shape_and_a_close() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  max-body-bytes: 1024\n");
    let req = b"POST /v1/messages HTTP/1.1\r\nAuthorization: Bearer client-key\r\nContent-Length: 5000\r\n\r\n{\"model\":";
    let v = refused(&gw, req, 413).await;
    assert_eq!(v["type"], "error", "Anthropic shape: {v}");
    assert_eq!(v["error"]["type"], "request_too_large");
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn a_slow_body_gets_408_in_the_path_shape_and_a_close() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  body-read-timeout-seconds: 1\n");
    let req = b"POST /v1beta/models/gpt-4o:generateContent HTTP/1.1\r\nAuthorization: Bearer client-key\r\nContent-Length: 100\r\n\r\n{";
    let v = refused(&gw, req, 408).await;
    assert_eq!(v["error"]["code"], 408, "Gemini shape: {v}");
    assert_eq!(v["error"]["status"], "DEADLINE_EXCEEDED");
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn a_streamed_response_is_chunked_frame_by_frame() {
    let mock = MockUpstream::start(|_| {
        Reply::sse_data([
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"content":"a"}}]}"#,
            "[DONE]",
        ])
    });
    let gw = Gateway::openai_compat(&mock, "");
    let mut c = Conn::open(gw.addr()).await;
    let body = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer client-key\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    c.send(req.as_bytes()).await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let frames = support::sse_data_frames(&r.body);
    assert_eq!(
        frames.last().map(String::as_str),
        Some("[DONE]"),
        "{frames:?}"
    );
    assert!(frames[0].contains(r#""model":"gpt-4o""#), "{frames:?}");
    // The connection is reusable after a stream.
    c.healthz().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_quietly() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  idle-timeout-seconds: 1\n");
    let mut c = Conn::open(gw.addr()).await;
    c.healthz().await;
    assert!(c.closed().await, "closed without another byte");
}

/// The idle timer is kept per connection: when it comes due after newer activity, the
/// connection stays open and the time left is counted from the last request.
#[tokio::test]
async fn the_idle_timeout_counts_from_the_last_request() {
    let mock = MockUpstream::chat_completion();
    let gw = Gateway::openai_compat(&mock, "limits:\n  idle-timeout-seconds: 2\n");
    let mut c = Conn::open(gw.addr()).await;
    c.healthz().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.healthz().await;
    // Past the first request's deadline, well within the second's.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.healthz().await;
    assert!(c.closed().await, "closed once idle for the whole timeout");
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_then_closes() {
    let mock = MockUpstream::start(|_| {
        Reply::Delay(
            Duration::from_millis(300),
            Box::new(Reply::Json {
                status: 200,
                body: COMPLETION.to_string(),
                headers: vec![],
            }),
        )
    });
    let gw = Gateway::openai_compat(&mock, "");
    let mut idle = Conn::open(gw.addr()).await;
    idle.healthz().await;
    let mut busy = Conn::open(gw.addr()).await;
    busy.send(chat_request("").as_bytes()).await;
    assert!(mock.wait_for(PATIENCE, |m| m.calls() == 1));
    gw.handle().shutdown();
    let r = busy.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["model"], "gpt-4o");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(busy.closed().await);
    assert!(idle.closed().await);
}
