use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use super::*;
use crate::upstream::pool::Pool;
use crate::upstream::{Response, UpstreamError};

/// An in-memory upstream: each read returns the next scripted piece; after the last one
/// it reports EOF, or never completes when `hang` is set.
struct Replay {
    reads: VecDeque<Vec<u8>>,
    hang: bool,
    fail_write: bool,
}

impl Replay {
    fn new(pieces: Vec<Vec<u8>>) -> Self {
        Replay {
            reads: pieces.into_iter().filter(|p| !p.is_empty()).collect(),
            hang: false,
            fail_write: false,
        }
    }
}

impl Io for Replay {
    async fn read(&mut self, mut buf: BytesMut) -> (io::Result<usize>, BytesMut) {
        match self.reads.pop_front() {
            Some(piece) => {
                buf.extend_from_slice(&piece);
                (Ok(piece.len()), buf)
            }
            None if self.hang => std::future::pending().await,
            None => (Ok(0), buf),
        }
    }

    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        if self.fail_write {
            return (Err(io::ErrorKind::BrokenPipe.into()), buf);
        }
        (Ok(()), buf)
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// Every way to deliver `wire`: whole, split once at each byte, and one byte per read.
fn splits(wire: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut all = vec![vec![wire.to_vec()]];
    for i in 1..wire.len() {
        all.push(vec![wire[..i].to_vec(), wire[i..].to_vec()]);
    }
    all.push(wire.iter().map(|&b| vec![b]).collect());
    all
}

#[derive(Debug, PartialEq)]
struct Outcome {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    reused: bool,
}

/// Sends a request over a scripted connection and reads the response, by chunks
/// (`streamed`) or with `collect`.
async fn exchange_once(
    pieces: Vec<Vec<u8>>,
    head_request: bool,
    streamed: bool,
) -> Result<Outcome, String> {
    let pool = Rc::new(Pool::new(4, Duration::from_secs(60)));
    let mut conn = Conn::new(Transport::Native(Replay::new(pieces)));
    let (head, _) = exchange(&mut conn, b"GET / HTTP/1.1\r\n\r\n".to_vec(), head_request).await;
    let head = head.map_err(|f| f.error.to_string())?;
    let mut resp = Response::new(head, conn, Home::new("k".into(), &pool), "up".into());
    let status = resp.head.status.as_u16();
    let headers = resp
        .head
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = if streamed {
        let mut body = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| resp.poll_chunk(cx)).await {
            let chunk = chunk.map_err(|e| e.to_string())?;
            assert!(!chunk.is_empty());
            body.extend_from_slice(&chunk);
        }
        body
    } else {
        resp.collect(1 << 20)
            .await
            .map_err(|e| e.to_string())?
            .to_vec()
    };
    Ok(Outcome {
        status,
        headers,
        body,
        reused: pool.idle_count("k") == 1,
    })
}

/// The same outcome however `wire` is split, streamed or collected.
fn outcome(wire: &[u8], head_request: bool) -> Result<Outcome, String> {
    let mut first = None;
    for pieces in splits(wire) {
        for streamed in [false, true] {
            let got = block_on(exchange_once(pieces.clone(), head_request, streamed));
            match &first {
                None => first = Some(got),
                Some(f) => assert_eq!(f, &got, "split {pieces:?} streamed {streamed}"),
            }
        }
    }
    first.unwrap()
}

fn ok(wire: &str, head_request: bool) -> Outcome {
    outcome(wire.as_bytes(), head_request).unwrap()
}

fn err(wire: &str) -> String {
    outcome(wire.as_bytes(), false).unwrap_err()
}

#[test]
fn content_length_body_is_reused() {
    let o = ok(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\nhello",
        false,
    );
    assert_eq!(o.status, 200);
    assert_eq!(o.body, b"hello");
    assert!(o.reused);
    assert!(o.headers.contains(&("x-a".into(), "b c".into())));
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let o = ok(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;name=\"v\"\r\nhello\r\n6 ; x\r\n world\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\nB: y\r\n\r\n",
        false,
    );
    assert_eq!(o.body, b"hello world0123456789");
    assert!(o.reused);
}

#[test]
fn body_until_eof_is_not_reused() {
    let o = ok(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
        false,
    );
    assert_eq!(o.body, b"all of it");
    assert!(!o.reused);
    // A transfer coding other than chunked last also runs to EOF.
    let o = ok(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw",
        false,
    );
    assert_eq!((o.body.as_slice(), o.reused), (&b"raw"[..], false));
}

#[test]
fn interim_responses_are_skipped() {
    let o = ok(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n\
         HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        false,
    );
    assert_eq!(
        (o.status, o.body.as_slice(), o.reused),
        (201, &b"ok"[..], true)
    );
    assert!(!o.headers.iter().any(|(k, _)| k == "link"));
}

#[test]
fn bodiless_responses() {
    for (wire, head_request) in [
        ("HTTP/1.1 204 No Content\r\n\r\n", false),
        (
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            false,
        ),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
    ] {
        let o = ok(wire, head_request);
        assert_eq!((o.body.len(), o.reused), (0, true), "{wire}");
    }
}

#[test]
fn connections_that_cannot_carry_another_request_are_closed() {
    for wire in [
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        // Both framings: chunked wins, but the connection is not trusted afterwards.
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    ] {
        let o = ok(wire, false);
        assert_eq!((o.body.as_slice(), o.reused), (&b"ok"[..], false), "{wire}");
    }
}

/// Bytes beyond the end of the message, read with it: the connection is not trusted again.
/// (Bytes arriving later are not waited for: no read is issued once a message is complete.)
#[test]
fn bytes_after_the_message_close_the_connection() {
    for wire in [
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nEXTRA",
    ] {
        for streamed in [false, true] {
            let pieces = vec![wire.as_bytes().to_vec()];
            let o = block_on(exchange_once(pieces, false, streamed)).unwrap();
            assert_eq!((o.body.as_slice(), o.reused), (&b"ok"[..], false), "{wire}");
        }
    }
}

#[test]
fn malformed_responses_are_clean_errors() {
    for (wire, want) in [
        ("HTTP/1.1 abc OK\r\n\r\n", "invalid response head"),
        ("hello world\r\n\r\n", "invalid response head"),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 1a\r\n\r\n",
            "content-length",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
            "content-length",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
            "content-length",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
            "closed before the response body",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "invalid chunk size",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n",
            "longer than its size",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            "closed before the response body",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
            "too large",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Len",
            "closed before the response head",
        ),
        (
            "HTTP/1.1 200 OK\r\nX-Bad: a\x7fb\r\nContent-Length: 0\r\n\r\n",
            "invalid",
        ),
    ] {
        let got = err(wire);
        assert!(got.contains(want), "{wire:?}: {got}");
    }
}

#[test]
fn oversized_heads_are_refused() {
    let wire = format!(
        "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
        "a".repeat(MAX_HEAD + 1)
    );
    let got = block_on(exchange_once(vec![wire.into_bytes()], false, false)).unwrap_err();
    assert!(got.contains("too large"), "{got}");
}

#[test]
fn collect_enforces_its_limit() {
    for wire in [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\nhello",
    ] {
        let pieces = vec![wire.as_bytes().to_vec(), b"lo".to_vec()];
        let got = block_on(async {
            let pool = Rc::new(Pool::new(4, Duration::from_secs(60)));
            let mut conn = Conn::new(Transport::Native(Replay::new(pieces)));
            let (head, _) = exchange(&mut conn, Vec::new(), false).await;
            let head = head.map_err(|f| f.error).unwrap();
            let resp = Response::new(head, conn, Home::new("k".into(), &pool), "up".into());
            resp.collect(4).await
        });
        assert!(
            matches!(got, Err(UpstreamError::BodyTooLarge { limit: 4 })),
            "{wire}: {got:?}"
        );
    }
}

/// A streamed chunk is handed out after the one read that brought it, without waiting for
/// the next (SSE must not be held back).
#[test]
fn chunks_are_yielded_after_one_read() {
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let pieces = vec![
        head.as_bytes().to_vec(),
        b"5\r\nhel".to_vec(),
        b"lo\r\n".to_vec(),
    ];
    let waker = futures_util::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut resp = block_on(async {
        let pool = Rc::new(Pool::new(4, Duration::from_secs(60)));
        let mut io = Replay::new(pieces);
        io.hang = true;
        let mut conn = Conn::new(Transport::Native(io));
        let (head, _) = exchange(&mut conn, Vec::new(), false).await;
        let head = head.map_err(|f| f.error).unwrap();
        Response::new(head, conn, Home::new("k".into(), &pool), "up".into())
    });
    let mut next = || match resp.poll_chunk(&mut cx) {
        Poll::Ready(Some(Ok(b))) => Some(b),
        Poll::Pending => None,
        other => panic!("{other:?}"),
    };
    assert_eq!(next().as_deref(), Some(&b"hel"[..]));
    assert_eq!(next().as_deref(), Some(&b"lo"[..]));
    assert_eq!(next(), None);
}

#[test]
fn only_a_connection_that_answered_nothing_may_be_retried() {
    let retryable = |io: Replay| {
        block_on(async {
            let mut conn = Conn::new(Transport::Native(io));
            let (head, _) = exchange(&mut conn, b"GET /".to_vec(), false).await;
            head.err().map(|f| f.retryable)
        })
    };
    let mut dead = Replay::new(Vec::new());
    dead.fail_write = true;
    assert_eq!(retryable(dead), Some(true));
    assert_eq!(retryable(Replay::new(Vec::new())), Some(true));
    assert_eq!(
        retryable(Replay::new(vec![b"HTTP/1.1 2".to_vec()])),
        Some(false)
    );
}

#[test]
fn requests_are_serialised_in_one_buffer() {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Bearer k"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("host", HeaderValue::from_static("ignored"));
    headers.insert("content-length", HeaderValue::from_static("999"));
    headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
    let mut out = Vec::new();
    encode_request(
        &mut out,
        &Method::POST,
        "/v1/chat?x=1",
        "api.example.com:8080",
        &headers,
        b"{}",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /v1/chat?x=1 HTTP/1.1\r\nhost: api.example.com:8080\r\n\
         authorization: Bearer k\r\ncontent-type: application/json\r\n\
         content-length: 2\r\n\r\n{}"
    );
    let mut out = Vec::new();
    encode_request(&mut out, &Method::GET, "/", "h", &HeaderMap::new(), b"");
    assert_eq!(out, b"GET / HTTP/1.1\r\nhost: h\r\n\r\n");
    let mut out = Vec::new();
    encode_request(&mut out, &Method::POST, "/", "h", &HeaderMap::new(), b"");
    assert_eq!(
        out,
        b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"
    );
}

/// Parses one complete head from `wire`.
fn head_of(wire: &str) -> ResponseHead {
    let mut buf = BytesMut::from(wire.as_bytes());
    match parse_head(&mut buf, false) {
        Ok(Some(h)) => h.head,
        Ok(None) => panic!("incomplete head: {wire:?}"),
        Err(e) => panic!("{wire:?}: {e}"),
    }
}

#[test]
fn head_fields_are_read_without_a_header_map() {
    let head = head_of(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\
         retry-after: 7\r\nX-Empty:\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\
         Content-Length: 0\r\n\r\n",
    );
    assert_eq!(head.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(head.version, Version::HTTP_11);
    // Names match whatever their case on the wire.
    assert_eq!(
        head.get(&http::header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    assert_eq!(head.get(&http::header::RETRY_AFTER).unwrap(), "7");
    assert!(head.contains(&HeaderName::from_static("x-empty")));
    assert_eq!(head.get(&HeaderName::from_static("x-empty")).unwrap(), "");
    assert!(head.get(&http::header::ETAG).is_none());
    assert!(!head.contains(&http::header::ETAG));
    // The first of repeated fields; the map keeps them all, in order.
    assert_eq!(head.get(&http::header::SET_COOKIE).unwrap(), "a=1");
    let map = head.headers();
    assert_eq!(map.len(), 6);
    let cookies: Vec<_> = map.get_all(http::header::SET_COOKIE).iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(map["retry-after"], "7");
    assert_eq!(map["x-empty"], "");
}

#[test]
fn head_values_share_the_received_bytes() {
    let mut buf =
        BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let len = buf.len();
    let head = match parse_head(&mut buf, false) {
        Ok(Some(h)) => h.head,
        _ => panic!("head expected"),
    };
    let v = head.get(&http::header::CONTENT_TYPE).unwrap();
    let at = v.as_bytes().as_ptr() as usize;
    assert!(at >= start && at < start + len, "value was copied");
}
