//! The hand-written HTTP/1.1 loop that serves client connections over the runtime's native
//! stream (owned-buffer reads and writes: io_uring or epoll operations on monoio).
//!
//! It serves the common case only: HTTP/1.1 requests whose head parses completely within
//! `limits.max-header-bytes` and [`MAX_HEADERS`] headers, with no `Transfer-Encoding`, no
//! `Expect`, no upgrade, at most one valid `Content-Length`, and a method other than `HEAD` or
//! `CONNECT`. Anything else (HTTP/1.0, chunked request bodies, `Expect: 100-continue`, parse
//! errors, oversized heads) hands the connection to hyper with the bytes already read
//! ([`End::Fallback`]); hyper then serves it to the end.
//!
//! Per connection there is one read buffer and one write buffer, both reused. Request heads
//! and bodies are split off the read buffer without copying; pipelined bytes stay in it and
//! are parsed before the socket is read again. A response goes out in one write when its
//! size is known, otherwise chunked with every body frame written as soon as it is ready.
//! Timers: one per phase (idle, head, body), never one per read.

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Write as _};
use std::mem::MaybeUninit;
use std::ops::Range;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures_util::future::{select, Either};
use futures_util::FutureExt as _;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body::{Body as _, Frame};
use http_body_util::BodyExt as _;

use super::body::Body;
use super::conn::{ConnState, HEAD_TIMEOUT_RESPONSE};
use super::pipeline::{self, ReqBody, Worker};
use crate::config::Limits;
use crate::upstream::stream::{reserve_read, Io};
use crate::upstream::{self, Deadline, Runtime};

/// Most headers a fast-lane request may carry; more go to hyper.
pub const MAX_HEADERS: usize = 64;
/// Initial read buffer, and how much it grows by when short.
const READ_BUF: usize = 16 * 1024;
/// Spare room every read gets.
const MIN_READ: usize = 4 * 1024;
/// Initial write buffer.
const WRITE_BUF: usize = 16 * 1024;
/// Most room reserved for a request body before any of it arrives.
const BODY_RESERVE: usize = 1 << 20;
/// A write buffer grown past this (a large response) is not kept for the next one.
const KEEP_WRITE_BUF: usize = 1 << 20;

/// The answer to a head whose target or header values the `http` types refuse.
const BAD_REQUEST_RESPONSE: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// How the fast lane left a connection.
pub(crate) enum End<S> {
    /// Closed: by the client, a timeout, shutdown, `Connection: close` or an I/O error.
    Closed,
    /// A request the fast lane does not serve: hyper takes over the stream, starting with
    /// the bytes already read.
    Fallback(S, BytesMut),
}

/// A request head the fast lane serves.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    /// Length of the request line and headers, blank line included.
    len: usize,
    method: Method,
    /// Where the request target (origin form) lies in the head.
    target: Range<usize>,
    /// `Content-Length`; 0 when absent.
    body_len: u64,
    /// The client sent `Connection: close`.
    close: bool,
}

/// What the buffered bytes start with.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    /// An incomplete head, still within the size limit.
    Partial,
    /// Something hyper should handle.
    Fallback,
    /// A complete fast-lane head.
    Fast(Head),
}

/// A request header: its name, and where its value lies in the head.
type Field = (HeaderName, Range<usize>);

/// Classifies the head at the start of `buf`; for a fast-lane head, `fields` receives its
/// headers.
fn parse_head(buf: &[u8], max_head: usize, fields: &mut Vec<Field>) -> Parsed {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) if n <= max_head => n,
        Ok(httparse::Status::Partial) if buf.len() < max_head => return Parsed::Partial,
        _ => return Parsed::Fallback,
    };
    if req.version != Some(1) {
        return Parsed::Fallback;
    }
    let method = match req.method.map(|m| Method::from_bytes(m.as_bytes())) {
        Some(Ok(m)) if m != Method::HEAD && m != Method::CONNECT => m,
        _ => return Parsed::Fallback,
    };
    let target = match req.path {
        Some(p) if p.starts_with('/') => span(buf, p.as_bytes()),
        _ => return Parsed::Fallback,
    };
    fields.clear();
    let mut body_len = None;
    let mut close = false;
    for h in req.headers.iter() {
        let (name, value) = (h.name.as_bytes(), h.value);
        if !upstream::h1::is_field_value(value) {
            return Parsed::Fallback;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            match (body_len, upstream::h1::parse_length(value.trim_ascii())) {
                (None, Some(n)) => body_len = Some(n),
                _ => return Parsed::Fallback,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
        {
            return Parsed::Fallback;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in upstream::h1::tokens(value) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    return Parsed::Fallback;
                }
            }
        }
        let Ok(name) = HeaderName::from_bytes(name) else {
            return Parsed::Fallback;
        };
        fields.push((name, span(buf, value)));
    }
    Parsed::Fast(Head {
        len,
        method,
        target,
        body_len: body_len.unwrap_or(0),
        close,
    })
}

/// Where `part`, a slice of `base`, lies in it.
fn span(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    start..start.saturating_add(part.len())
}

/// The part of `head` at `r`, sharing its storage (`None` if out of range).
fn share(head: &Bytes, r: Range<usize>) -> Option<Bytes> {
    head.get(r).map(|s| head.slice_ref(s))
}

/// How a response body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// No body (1xx, 204, 304).
    None,
    /// `content-length`, the body in the same write as the head.
    Length(u64),
    /// `transfer-encoding: chunked`, each frame written when ready.
    Chunked,
}

fn framing(status: StatusCode, exact: Option<u64>) -> Framing {
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Framing::None;
    }
    exact.map_or(Framing::Chunked, Framing::Length)
}

/// Serialises a response head into `out`. Framing headers are the loop's own: any the
/// response carries are left out.
fn write_head(
    out: &mut Vec<u8>,
    status: StatusCode,
    headers: &HeaderMap,
    framing: Framing,
    close: bool,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name == header::CONNECTION
            || name == header::DATE
        {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::None => {}
        Framing::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    push_date(out);
    out.extend_from_slice(b"\r\n");
}

/// Appends one body frame as a chunk (empty frames are skipped: a zero-size chunk ends the body).
fn push_chunk(out: &mut Vec<u8>, frame: Frame<Bytes>) {
    if let Ok(data) = frame.into_data() {
        if !data.is_empty() {
            let _ = write!(out, "{:x}\r\n", data.len());
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\r\n");
        }
    }
}

thread_local! {
    /// The `date` value and the second it was formatted for.
    static DATE: Cell<(u64, [u8; 29])> = const { Cell::new((u64::MAX, [0; 29])) };
}

/// Appends a `date` header (IMF-fixdate), formatted at most once a second per thread.
fn push_date(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (cached, mut text) = DATE.get();
    if cached != secs {
        let mut w: &mut [u8] = &mut text;
        let _ = write!(w, "{}", httpdate::HttpDate::from(now));
        DATE.set((secs, text));
    }
    out.extend_from_slice(b"date: ");
    out.extend_from_slice(&text);
    out.extend_from_slice(b"\r\n");
}

/// What reading a request head ended with.
enum HeadRead {
    Head(Head),
    Fallback,
    Closed,
}

/// One client connection: the stream and its reused buffers.
struct Conn<S> {
    io: S,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    fields: Vec<Field>,
}

impl<S: Io> Conn<S> {
    /// One read into the read buffer; `Ok(0)` is end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        reserve_read(&mut self.rbuf, MIN_READ, READ_BUF);
        let (r, buf) = self.io.read(std::mem::take(&mut self.rbuf)).await;
        self.rbuf = buf;
        r
    }

    /// Writes the write buffer out and empties it.
    async fn flush(&mut self) -> io::Result<()> {
        let (r, mut buf) = self.io.write_all(std::mem::take(&mut self.wbuf)).await;
        buf.clear();
        if buf.capacity() > KEEP_WRITE_BUF {
            buf = Vec::with_capacity(WRITE_BUF);
        }
        self.wbuf = buf;
        r
    }

    /// Writes a canned response (best effort: the connection closes next).
    async fn send_canned(&mut self, bytes: &[u8]) {
        self.wbuf.clear();
        self.wbuf.extend_from_slice(bytes);
        let _ = self.flush().await;
    }

    /// Between requests: waits for the next request's first bytes; `false` when the client
    /// closed, `idle` passed, or `stop` (the connection's shutdown listener) completed.
    ///
    /// `timer` is the connection's idle timer, kept across requests.
    async fn await_request<R: Runtime, F: Future<Output = ()>>(
        &mut self,
        rt: &R,
        idle: Option<Duration>,
        timer: &mut Deadline,
        stop: Pin<&mut F>,
    ) -> bool {
        let read = pin!(self.fill());
        let waiting = select(read, stop);
        let got =
            |r: Either<(io::Result<usize>, _), _>| matches!(r, Either::Left((Ok(n), _)) if n > 0);
        match idle {
            None => got(waiting.await),
            Some(idle) => timer.within(rt, idle, waiting).await.is_some_and(got),
        }
    }

    /// Reads until a head is complete, hyper must take over, or the stream ends.
    async fn read_head(&mut self, max_head: usize) -> HeadRead {
        loop {
            match parse_head(&self.rbuf, max_head, &mut self.fields) {
                Parsed::Fast(h) => return HeadRead::Head(h),
                Parsed::Fallback => return HeadRead::Fallback,
                Parsed::Partial => {}
            }
            if !matches!(self.fill().await, Ok(n) if n > 0) {
                return HeadRead::Closed;
            }
        }
    }

    /// Reads until `need` bytes are buffered; `false` if the stream ended first. Room for a
    /// large body is reserved as it arrives, not up front on the client's word.
    async fn read_body(&mut self, need: usize) -> bool {
        let missing = need.saturating_sub(self.rbuf.len());
        self.rbuf.reserve(missing.min(BODY_RESERVE));
        while self.rbuf.len() < need {
            if !matches!(self.fill().await, Ok(n) if n > 0) {
                return false;
            }
        }
        true
    }

    /// Splits the head off the read buffer and builds the request's target and headers from
    /// it without copying. `None` when the `http` types refuse them.
    fn take_head(&mut self, head: &Head) -> Option<(Uri, HeaderMap)> {
        let bytes = self.rbuf.split_to(head.len.min(self.rbuf.len())).freeze();
        let uri = Uri::from_maybe_shared(share(&bytes, head.target.clone())?).ok()?;
        let mut map = HeaderMap::with_capacity(self.fields.len());
        for (name, range) in self.fields.drain(..) {
            map.append(
                name,
                HeaderValue::from_maybe_shared(share(&bytes, range)?).ok()?,
            );
        }
        Some((uri, map))
    }

    /// Moves every body frame that is ready right now into the write buffer; `true` once
    /// the body has ended.
    fn take_ready(&mut self, body: &mut Body) -> bool {
        loop {
            match body.frame().now_or_never() {
                None => return false,
                Some(None) => return true,
                Some(Some(Ok(frame))) => push_chunk(&mut self.wbuf, frame),
                Some(Some(Err(never))) => match never {},
            }
        }
    }

    /// Writes `resp`: with a known size, head and body in one write; otherwise chunked, the
    /// head with whatever the body has ready, then each frame as soon as it arrives.
    async fn respond(&mut self, resp: Response<Body>, close: bool) -> io::Result<()> {
        let (parts, mut body) = resp.into_parts();
        let framing = framing(parts.status, body.size_hint().exact());
        self.wbuf.clear();
        write_head(&mut self.wbuf, parts.status, &parts.headers, framing, close);
        match framing {
            Framing::None => self.flush().await,
            Framing::Length(_) => {
                while let Some(frame) = body.frame().await {
                    let Ok(frame) = frame;
                    if let Ok(data) = frame.into_data() {
                        self.wbuf.extend_from_slice(&data);
                    }
                }
                self.flush().await
            }
            Framing::Chunked => {
                let mut ended = self.take_ready(&mut body);
                loop {
                    if ended {
                        self.wbuf.extend_from_slice(b"0\r\n\r\n");
                    }
                    if !self.wbuf.is_empty() {
                        self.flush().await?;
                    }
                    if ended {
                        return Ok(());
                    }
                    match body.frame().await {
                        None => ended = true,
                        Some(Ok(frame)) => {
                            push_chunk(&mut self.wbuf, frame);
                            ended = self.take_ready(&mut body);
                        }
                        Some(Err(never)) => match never {},
                    }
                }
            }
        }
    }

    /// Serves one parsed request; `Ok(true)` when the connection stays open.
    async fn serve_one<R: Runtime<Stream = S>>(
        &mut self,
        w: &Rc<Worker<R>>,
        state: &Rc<ConnState>,
        head: Head,
        limits: &Limits,
    ) -> io::Result<bool> {
        let Some((uri, headers)) = self.take_head(&head) else {
            self.send_canned(BAD_REQUEST_RESPONSE).await;
            return Ok(false);
        };
        let max = limits.max_body_bytes;
        let need = match usize::try_from(head.body_len) {
            Ok(n) if n <= max => n,
            _ => {
                let e = pipeline::body_too_large(max);
                let resp = pipeline::refuse(&head.method, uri.path(), &e);
                self.respond(resp, true).await?;
                return Ok(false);
            }
        };
        if self.rbuf.len() < need {
            let read = self.read_body(need);
            match upstream::timeout(&w.rt, limits.body_read_timeout(), read).await {
                Some(true) => {}
                Some(false) => return Ok(false),
                None => {
                    let e = pipeline::body_timeout(limits.body_read_timeout_seconds);
                    let resp = pipeline::refuse(&head.method, uri.path(), &e);
                    self.respond(resp, true).await?;
                    return Ok(false);
                }
            }
        }
        let body = self.rbuf.split_to(need.min(self.rbuf.len())).freeze();
        let mut req = Request::new(ReqBody::Full(body));
        *req.method_mut() = head.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        let resp = match pipeline::handle(w.clone(), state.clone(), req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
        let close = head.close || w.shutdown.is_triggered();
        self.respond(resp, close).await?;
        Ok(!close)
    }
}

/// Serves `io` until it closes, or until a request needs hyper ([`End::Fallback`]).
pub(crate) async fn serve<R: Runtime>(
    w: &Rc<Worker<R>>,
    state: &Rc<ConnState>,
    io: R::Stream,
) -> End<R::Stream> {
    let limits = w.shared.load().config.limits;
    let mut c = Conn {
        io,
        rbuf: BytesMut::with_capacity(READ_BUF),
        wbuf: Vec::with_capacity(WRITE_BUF),
        fields: Vec::new(),
    };
    // One shutdown listener for the connection's life, polled only between requests.
    let mut stop = pin!(w.shutdown.wait());
    let mut idle_timer = Deadline::default();
    loop {
        if c.rbuf.is_empty() {
            let idle = limits.idle_timeout();
            if !c
                .await_request(&w.rt, idle, &mut idle_timer, stop.as_mut())
                .await
            {
                return End::Closed;
            }
        }
        let max_head = limits.max_header_bytes;
        let head = match parse_head(&c.rbuf, max_head, &mut c.fields) {
            Parsed::Fast(h) => HeadRead::Head(h),
            Parsed::Fallback => HeadRead::Fallback,
            Parsed::Partial => {
                let read = c.read_head(max_head);
                match upstream::timeout(&w.rt, limits.head_read_timeout(), read).await {
                    Some(r) => r,
                    None => {
                        c.send_canned(HEAD_TIMEOUT_RESPONSE).await;
                        return End::Closed;
                    }
                }
            }
        };
        let head = match head {
            HeadRead::Head(h) => h,
            HeadRead::Fallback => return End::Fallback(c.io, c.rbuf),
            HeadRead::Closed => return End::Closed,
        };
        match c.serve_one(w, state, head, &limits).await {
            Ok(true) => {}
            Ok(false) => return End::Closed,
            Err(e) => {
                tracing::debug!(error = %e, "client connection ended with an error");
                return End::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    const MAX: usize = 8192;

    fn classify(raw: &[u8]) -> Parsed {
        parse_head(raw, MAX, &mut Vec::new())
    }

    fn is_fast(raw: &[u8]) -> bool {
        matches!(classify(raw), Parsed::Fast(_))
    }

    #[test]
    fn heads_that_take_the_fast_lane() {
        let cases: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
            b"OPTIONS /v1/models HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
            b"DELETE /x HTTP/1.1\r\nConnection: close\r\n\r\n",
        ];
        for raw in cases {
            assert!(is_fast(raw), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn heads_that_go_to_hyper() {
        let big = format!("GET / HTTP/1.1\r\nx-big: {}\r\n\r\n", "a".repeat(MAX));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: v\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        let cases: Vec<&[u8]> = vec![
            b"GET / HTTP/1.0\r\n\r\n",
            b"HEAD / HTTP/1.1\r\n\r\n",
            b"CONNECT x:443 HTTP/1.1\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: keep-alive, upgrade\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n",
            b"\x00\x01garbage\r\n\r\n",
            big.as_bytes(),
            many.as_bytes(),
        ];
        for raw in cases {
            assert_eq!(
                classify(raw),
                Parsed::Fallback,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn an_incomplete_head_over_the_limit_goes_to_hyper() {
        let partial = format!("GET / HTTP/1.1\r\nx-big: {}", "a".repeat(MAX));
        assert_eq!(classify(partial.as_bytes()), Parsed::Fallback);
        assert_eq!(classify(b"GET / HTTP/1.1\r\nx-big: aaa"), Parsed::Partial);
    }

    const PIPELINED: &[u8] = b"POST /v1/chat/completions?k=v HTTP/1.1\r\nHost: example\r\nAuthorization: Bearer k\r\nX-Custom-Thing: a, b\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}GET /next HTTP/1.1\r\n\r\n";

    /// Feeds `raw` split at `at` as two reads and serves the first request's parts.
    fn parse_split(raw: &[u8], at: usize) -> (Head, Uri, HeaderMap, Bytes, BytesMut) {
        let mut c = Conn {
            io: (),
            rbuf: BytesMut::new(),
            wbuf: Vec::new(),
            fields: Vec::new(),
        };
        c.rbuf.extend_from_slice(&raw[..at]);
        let head = match parse_head(&c.rbuf, MAX, &mut c.fields) {
            Parsed::Fast(h) => h,
            Parsed::Partial => {
                c.rbuf.extend_from_slice(&raw[at..]);
                match parse_head(&c.rbuf, MAX, &mut c.fields) {
                    Parsed::Fast(h) => h,
                    other => panic!("split at {at}: {other:?}"),
                }
            }
            Parsed::Fallback => panic!("split at {at}: fallback"),
        };
        if c.rbuf.len() < raw.len() {
            c.rbuf.extend_from_slice(&raw[at.max(c.rbuf.len())..]);
        }
        let (uri, headers) = c.take_head(&head).unwrap();
        let body = c.rbuf.split_to(head.body_len as usize).freeze();
        (head, uri, headers, body, c.rbuf)
    }

    #[test]
    fn request_parses_identically_at_every_split() {
        for at in 0..=PIPELINED.len() {
            let (head, uri, headers, body, rest) = parse_split(PIPELINED, at);
            assert_eq!(head.method, Method::POST, "split at {at}");
            assert!(head.close);
            assert_eq!(uri.path(), "/v1/chat/completions");
            assert_eq!(uri.query(), Some("k=v"));
            assert_eq!(headers.len(), 5);
            assert_eq!(headers["authorization"], "Bearer k");
            assert_eq!(headers["x-custom-thing"], "a, b");
            assert_eq!(headers["host"], "example");
            assert_eq!(&body[..], b"{\"a\":1}");
            assert_eq!(&rest[..], b"GET /next HTTP/1.1\r\n\r\n");
            assert!(is_fast(&rest));
        }
    }

    impl Io for () {
        async fn read(&mut self, buf: BytesMut) -> (io::Result<usize>, BytesMut) {
            (Ok(0), buf)
        }
        async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
            (Ok(()), buf)
        }
    }

    fn head_text(status: StatusCode, framing: Framing, close: bool) -> String {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("content-length", HeaderValue::from_static("999"));
        let mut out = Vec::new();
        write_head(&mut out, status, &h, framing, close);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn response_heads_frame_bodies() {
        let t = head_text(StatusCode::OK, Framing::Length(12), false);
        assert!(t.starts_with("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"));
        assert!(t.contains("\r\ncontent-length: 12\r\n"), "{t}");
        assert!(
            !t.contains("999") && !t.contains("transfer-encoding") && !t.contains("connection")
        );
        assert!(t.ends_with("\r\n\r\n"));
        let date = t.lines().find_map(|l| l.strip_prefix("date: ")).unwrap();
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");

        let t = head_text(StatusCode::OK, Framing::Chunked, true);
        assert!(t.contains("\r\ntransfer-encoding: chunked\r\n"), "{t}");
        assert!(t.contains("\r\nconnection: close\r\n"), "{t}");
        assert!(!t.contains("content-length"));

        let t = head_text(StatusCode::from_u16(599).unwrap(), Framing::None, false);
        assert!(t.starts_with("HTTP/1.1 599 \r\n"), "{t}");
        assert!(!t.contains("content-length") && !t.contains("transfer-encoding"));
    }

    #[test]
    fn framing_follows_status_and_size() {
        assert_eq!(framing(StatusCode::OK, Some(3)), Framing::Length(3));
        assert_eq!(framing(StatusCode::OK, Some(0)), Framing::Length(0));
        assert_eq!(framing(StatusCode::OK, None), Framing::Chunked);
        assert_eq!(framing(StatusCode::NO_CONTENT, Some(0)), Framing::None);
        assert_eq!(framing(StatusCode::NOT_MODIFIED, None), Framing::None);
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Records every write.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Io for Writes {
        async fn read(&mut self, buf: BytesMut) -> (io::Result<usize>, BytesMut) {
            (Ok(0), buf)
        }
        async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
            self.0.push(buf.clone());
            (Ok(()), buf)
        }
    }

    fn conn() -> Conn<Writes> {
        Conn {
            io: Writes::default(),
            rbuf: BytesMut::new(),
            wbuf: Vec::new(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn a_sized_response_is_one_write() {
        let mut c = conn();
        let resp = Response::new(Body::full(Bytes::from_static(b"{\"ok\":true}")));
        block_on(c.respond(resp, false)).unwrap();
        assert_eq!(c.io.0.len(), 1);
        let t = String::from_utf8(c.io.0[0].clone()).unwrap();
        assert!(t.contains("content-length: 11\r\n"), "{t}");
        assert!(t.ends_with("\r\n\r\n{\"ok\":true}"), "{t}");
    }

    #[test]
    fn an_empty_sized_response_has_a_zero_length() {
        let mut c = conn();
        block_on(c.respond(Response::new(Body::empty()), true)).unwrap();
        let t = String::from_utf8(c.io.0.concat()).unwrap();
        assert!(
            t.contains("content-length: 0\r\n") && t.ends_with("\r\n\r\n"),
            "{t}"
        );
        assert!(t.contains("connection: close\r\n"));
    }

    #[test]
    fn chunks_are_framed() {
        let mut out = Vec::new();
        push_chunk(&mut out, Frame::data(Bytes::from_static(b"data: x\n\n")));
        push_chunk(&mut out, Frame::data(Bytes::new()));
        push_chunk(&mut out, Frame::data(Bytes::from(vec![b'a'; 26])));
        let want = format!("9\r\ndata: x\n\n\r\n1a\r\n{}\r\n", "a".repeat(26));
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}
