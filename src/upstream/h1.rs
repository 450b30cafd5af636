//! The client side of HTTP/1.1, written against [`Io`]: request serialisation, response-head
//! parsing (httparse) and body framing (RFC 9112 §6), with one reusable read buffer and one
//! reusable write buffer per connection. Body bytes are handed out as slices of the read
//! buffer (`split_to(..).freeze()`), never copied.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};

use super::pool::Home;
use super::stream::{reserve_read, Io, Transport};

/// Largest response head accepted (status line, headers, and any 1xx heads before it).
pub const MAX_HEAD: usize = 64 * 1024;
/// Headers a response head may carry.
const HEADER_SLOTS: usize = 128;
/// Room every read gets at least, and how much the buffer grows by when short of it.
const READ_MIN: usize = 4 * 1024;
const READ_GROW: usize = 16 * 1024;
/// A body of known length is read into one buffer reserved up to this much in advance.
const RESERVE_MAX: usize = 1 << 20;
/// A request buffer grown beyond this by a large body is not kept for the next request.
const KEEP_WRITE_BUF: usize = 64 * 1024;

/// Why an exchange failed at the HTTP level.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The upstream closed the connection before the response head was complete.
    #[error("connection closed before the response head")]
    ClosedBeforeHead,
    /// The upstream closed the connection before the body was complete.
    #[error("connection closed before the response body ended")]
    ClosedInBody,
    /// The response violates HTTP/1.1.
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    /// The body exceeded what the caller collects.
    #[error("response body exceeds {0} bytes")]
    TooLarge(usize),
}

/// One upstream connection: the transport, its read buffer (bytes read but not yet consumed)
/// and its request buffer, both reused from one exchange to the next.
pub struct Conn<S> {
    io: Transport<S>,
    buf: BytesMut,
    out: Vec<u8>,
}

impl<S: Io> Conn<S> {
    /// A fresh connection over `io`.
    pub fn new(io: Transport<S>) -> Self {
        Conn {
            io,
            buf: BytesMut::new(),
            out: Vec::new(),
        }
    }

    /// The request buffer, emptied, for [`encode_request`].
    pub fn take_request_buf(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        out
    }

    /// Gives the request buffer back for the next exchange (dropped when a large body grew it).
    pub fn keep_request_buf(&mut self, out: Vec<u8>) {
        if out.capacity() <= KEEP_WRITE_BUF {
            self.out = out;
        }
    }

    /// The body when it already lies whole in the buffer (a known length), split off; the
    /// framing is then exhausted.
    pub fn whole_body(&mut self, framing: &mut Framing) -> Option<Bytes> {
        let Framing::Length(n) = *framing else {
            return None;
        };
        let n = usize::try_from(n).ok().filter(|&n| n <= self.buf.len())?;
        *framing = Framing::Length(0);
        Some(self.buf.split_to(n).freeze())
    }

    /// Whether no byte beyond the current message was received.
    pub fn is_drained(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends one read to the buffer, with room for at least `min` bytes; `Ok(0)` is EOF.
    async fn read_more(&mut self, min: usize) -> io::Result<usize> {
        reserve_read(&mut self.buf, min, READ_GROW.max(min));
        let buf = std::mem::take(&mut self.buf);
        let (r, buf) = self.io.read(buf).await;
        self.buf = buf;
        r
    }

    /// [`Conn::read_more`] as an owning future, for [`BodyReader::poll_chunk`].
    async fn fill(mut self) -> (Self, io::Result<usize>) {
        let r = self.read_more(READ_MIN).await;
        (self, r)
    }
}

/// Serialises a request: request line, `host`, the request's headers (its own `host`,
/// `content-length` and `transfer-encoding` replaced), `content-length`, blank line, body.
pub fn encode_request(
    out: &mut Vec<u8>,
    method: &Method,
    path: &str,
    host: &str,
    headers: &HeaderMap,
    body: &[u8],
) {
    encode_with_lines(out, method, path, host, body, |out| {
        encode_header_lines(out, headers)
    });
}

/// As [`encode_request`], with the header lines written by `lines` (no `host`,
/// `content-length` or `transfer-encoding` among them).
pub fn encode_with_lines(
    out: &mut Vec<u8>,
    method: &Method,
    path: &str,
    host: &str,
    body: &[u8],
    lines: impl FnOnce(&mut Vec<u8>),
) {
    out.reserve(256 + path.len() + body.len());
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    lines(out);
    // Like hyper: a bodiless GET/HEAD/CONNECT says nothing about a body.
    let bodiless = body.is_empty()
        && (method == Method::GET || method == Method::HEAD || method == Method::CONNECT);
    if !bodiless {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// `name: value` lines for `headers` in their map order, leaving out `host`,
/// `content-length` and `transfer-encoding` (the request's own framing replaces them).
pub fn encode_header_lines(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        if name == HOST || name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A response head and how its body is framed.
pub struct Head {
    /// Status, version and header fields.
    pub head: ResponseHead,
    /// How the body ends.
    pub framing: Framing,
    /// Whether the connection may carry another request once the body is read.
    pub keep_alive: bool,
}

/// A response head as it arrived: status, version, and the header fields as spans of the head's
/// own bytes. A proxied answer is read for one or two headers, so no `HeaderMap` is built
/// unless one is asked for ([`ResponseHead::headers`]); values share the head's storage.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    /// The status code.
    pub status: StatusCode,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    raw: Bytes,
    /// Name and value of each field, in order, as ranges of `raw`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl ResponseHead {
    /// A head with no header fields.
    pub fn new(status: StatusCode) -> Self {
        ResponseHead {
            status,
            version: Version::HTTP_11,
            raw: Bytes::new(),
            fields: Vec::new(),
        }
    }

    /// The raw values of header `name` (lower-case), in order.
    fn raw_values<'a>(&'a self, name: &'a str) -> impl DoubleEndedIterator<Item = &'a [u8]> + 'a {
        self.fields.iter().filter_map(move |(n, v)| {
            let field = self.raw.get(n.clone())?;
            field
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| self.raw.get(v.clone()).unwrap_or_default())
        })
    }

    /// Whether header `name` is present.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.raw_values(name.as_str()).next().is_some()
    }

    /// The first value of header `name`.
    pub fn get(&self, name: &HeaderName) -> Option<HeaderValue> {
        self.raw_values(name.as_str())
            .next()
            .and_then(|v| self.value(v))
    }

    /// Every header field as a map.
    pub fn headers(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.fields.len());
        for (n, v) in &self.fields {
            let name = self.raw.get(n.clone()).unwrap_or_default();
            let value = self.raw.get(v.clone()).unwrap_or_default();
            if let (Ok(name), Some(value)) = (HeaderName::from_bytes(name), self.value(value)) {
                map.append(name, value);
            }
        }
        map
    }

    /// `part` (a slice of `raw`, or empty) as a header value sharing `raw`'s storage.
    fn value(&self, part: &[u8]) -> Option<HeaderValue> {
        let bytes = if part.is_empty() {
            Bytes::new()
        } else {
            self.raw.slice_ref(part)
        };
        HeaderValue::from_maybe_shared(bytes).ok()
    }
}

/// A failed exchange, and whether it may be retried on another connection: only when the
/// connection died before a single response byte arrived (a pooled connection the upstream
/// closed while it sat idle).
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// Nothing was received, so the request can be sent again elsewhere.
    pub retryable: bool,
}

/// Writes the serialised request `out` and reads the response head; hands `out` back.
pub async fn exchange<S: Io>(
    conn: &mut Conn<S>,
    out: Vec<u8>,
    head_request: bool,
) -> (Result<Head, Failure>, Vec<u8>) {
    let (written, out) = conn.io.write_all(out).await;
    if let Err(e) = written {
        let failure = Failure {
            error: e.into(),
            retryable: true,
        };
        return (Err(failure), out);
    }
    (read_head(conn, head_request).await, out)
}

/// Reads and parses the response head, skipping interim (1xx) responses.
async fn read_head<S: Io>(conn: &mut Conn<S>, head_request: bool) -> Result<Head, Failure> {
    let mut received = !conn.buf.is_empty();
    let fail = |error, received: bool| Failure {
        error,
        retryable: !received,
    };
    loop {
        if !conn.buf.is_empty() {
            match parse_head(&mut conn.buf, head_request).map_err(|e| fail(e, true))? {
                Some(head) => return Ok(head),
                None if conn.buf.len() > MAX_HEAD => {
                    return Err(fail(Error::Malformed("response head too large"), true))
                }
                None => {}
            }
        }
        match conn.read_more(READ_MIN).await {
            Ok(0) => return Err(fail(Error::ClosedBeforeHead, received)),
            Ok(_) => received = true,
            Err(e) => return Err(fail(e.into(), received)),
        }
    }
}

/// Parses the final response head at the start of `buf` and consumes it, dropping any
/// interim heads before it; `None` while it is incomplete.
fn parse_head(buf: &mut BytesMut, head_request: bool) -> Result<Option<Head>, Error> {
    loop {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
        let mut res = httparse::Response::new(&mut []);
        let len = match httparse::ParserConfig::default()
            .parse_response_with_uninit_headers(&mut res, buf, &mut slots)
        {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Error::Malformed("too many response headers"))
            }
            Err(_) => return Err(Error::Malformed("invalid response head")),
        };
        if len > MAX_HEAD {
            return Err(Error::Malformed("response head too large"));
        }
        let code = res.code.unwrap_or(0);
        let status =
            StatusCode::from_u16(code).map_err(|_| Error::Malformed("invalid status code"))?;
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::Malformed("unexpected 101 Switching Protocols"));
        }
        if status.is_informational() {
            buf.advance(len);
            continue;
        }
        let version = if res.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        // Header positions, so the values can share the head's bytes once it is split off.
        let base = buf.as_ptr() as usize;
        let mut fields = Vec::with_capacity(res.headers.len());
        for h in res.headers.iter() {
            if !is_field_value(h.value) {
                return Err(Error::Malformed("invalid header value"));
            }
            fields.push((span_of(base, h.name.as_bytes()), span_of(base, h.value)));
        }
        let head = ResponseHead {
            status,
            version,
            raw: buf.split_to(len).freeze(),
            fields,
        };
        let framing = Framing::of(status, head_request, &head)?;
        // Both framings at once: chunked wins, but the connection is not trusted afterwards.
        let ambiguous = head.contains(&TRANSFER_ENCODING) && head.contains(&CONTENT_LENGTH);
        let close = version != Version::HTTP_11
            || framing.is_eof()
            || ambiguous
            || has_token(&head, &CONNECTION, "close");
        return Ok(Some(Head {
            head,
            framing,
            keep_alive: !close,
        }));
    }
}

/// Where `part` (a slice of the buffer starting at address `base`) lies in it; empty when
/// it is not inside (httparse may return a detached empty slice for an empty value).
fn span_of(base: usize, part: &[u8]) -> Range<usize> {
    match (part.as_ptr() as usize).checked_sub(base) {
        Some(start) if !part.is_empty() => start..start + part.len(),
        _ => 0..0,
    }
}

/// Whether a comma-separated header `name` lists `token` (case-insensitively).
fn has_token(head: &ResponseHead, name: &HeaderName, token: &str) -> bool {
    head.raw_values(name.as_str())
        .any(|v| tokens(v).any(|t| t.eq_ignore_ascii_case(token.as_bytes())))
}

/// The comma-separated tokens of a header value, trimmed. The client side (`server::h1`)
/// reads `Connection` with it too.
pub(crate) fn tokens(value: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

/// Whether a header value holds only what HTTP allows there (tab, visible ASCII, obs-text),
/// the rule `HeaderValue` applies. The client side (`server::h1`) checks requests with it too.
pub(crate) fn is_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// How a response body ends (RFC 9112 §6.3).
#[derive(Debug)]
pub enum Framing {
    /// Exactly this many bytes remain.
    Length(u64),
    /// Chunked transfer coding.
    Chunked(Chunked),
    /// Everything until the upstream closes the connection.
    Eof,
}

/// One step of body decoding.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Body bytes (never empty).
    Data(Bytes),
    /// The buffer holds no more of the body; read on.
    More,
    /// The body is complete.
    Done,
}

impl Framing {
    /// The framing of a response to a request with `head_request` (a `HEAD` request).
    fn of(status: StatusCode, head_request: bool, head: &ResponseHead) -> Result<Framing, Error> {
        if head_request
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return Ok(Framing::Length(0));
        }
        if head.contains(&TRANSFER_ENCODING) {
            let last = head
                .raw_values(TRANSFER_ENCODING.as_str())
                .filter_map(|v| tokens(v).next_back())
                .next_back();
            return Ok(match last {
                Some(t) if t.eq_ignore_ascii_case(b"chunked") => Framing::Chunked(Chunked::new()),
                _ => Framing::Eof,
            });
        }
        let mut length = None;
        for v in head.raw_values(CONTENT_LENGTH.as_str()) {
            for part in tokens(v) {
                let n = parse_length(part).ok_or(Error::Malformed("invalid content-length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(Error::Malformed("conflicting content-length values"));
                }
                length = Some(n);
            }
        }
        Ok(length.map_or(Framing::Eof, Framing::Length))
    }

    fn is_eof(&self) -> bool {
        matches!(self, Framing::Eof)
    }

    /// Takes the next piece of body from `buf`.
    pub fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
        match self {
            Framing::Length(0) => Ok(Step::Done),
            Framing::Length(_) | Framing::Eof if buf.is_empty() => Ok(Step::More),
            Framing::Length(rest) => {
                let n = usize::try_from(*rest).unwrap_or(usize::MAX).min(buf.len());
                *rest -= n as u64;
                Ok(Step::Data(buf.split_to(n).freeze()))
            }
            Framing::Eof => Ok(Step::Data(buf.split().freeze())),
            Framing::Chunked(c) => c.step(buf),
        }
    }

    /// The end of the stream arrived: fine only for a body that runs to EOF.
    fn at_eof(&self) -> Result<(), Error> {
        match self {
            Framing::Eof => Ok(()),
            _ => Err(Error::ClosedInBody),
        }
    }
}

/// A content-length value: ASCII digits only (no sign), fitting in a u64. The client side
/// (`server::h1`) reads requests' lengths with it too.
pub(crate) fn parse_length(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    /// Hex digits of a chunk size.
    Size,
    /// A chunk extension, skipped up to CR.
    Ext,
    /// LF ending a size line.
    SizeLf,
    /// Chunk data.
    Data,
    /// CR after chunk data.
    DataCr,
    /// LF after chunk data.
    DataLf,
    /// The start of a trailer line, or the CR of the final blank line.
    TrailerStart,
    /// A trailer field, skipped up to LF.
    TrailerLine,
    /// LF of the final blank line.
    EndLf,
    /// The body is complete.
    Done,
}

/// An incremental decoder of the chunked transfer coding: input may be split at any byte.
/// Chunk extensions and trailer fields are skipped.
#[derive(Debug)]
pub struct Chunked {
    state: ChunkState,
    /// The chunk size being read, then the data left in the chunk.
    size: u64,
    digits: u8,
}

impl Chunked {
    fn new() -> Self {
        Chunked {
            state: ChunkState::Size,
            size: 0,
            digits: 0,
        }
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
        loop {
            match self.state {
                ChunkState::Done => return Ok(Step::Done),
                ChunkState::Data => {
                    if buf.is_empty() {
                        return Ok(Step::More);
                    }
                    let n = usize::try_from(self.size)
                        .unwrap_or(usize::MAX)
                        .min(buf.len());
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = ChunkState::DataCr;
                    }
                    return Ok(Step::Data(buf.split_to(n).freeze()));
                }
                _ => {}
            }
            let mut used = 0;
            for &b in buf.iter() {
                used += 1;
                self.state = self.control(b)?;
                if matches!(self.state, ChunkState::Data | ChunkState::Done) {
                    break;
                }
            }
            buf.advance(used);
            if !matches!(self.state, ChunkState::Data | ChunkState::Done) {
                return Ok(Step::More);
            }
        }
    }

    /// The state after control byte `b` (anything outside chunk data).
    fn control(&mut self, b: u8) -> Result<ChunkState, Error> {
        use ChunkState::*;
        let bad = |what| Err(Error::Malformed(what));
        Ok(match (self.state, b) {
            (Size, _) if b.is_ascii_hexdigit() => {
                self.digits += 1;
                if self.digits > 15 {
                    return bad("chunk size too large");
                }
                let d = (b as char).to_digit(16).unwrap_or(0);
                self.size = self.size * 16 + u64::from(d);
                Size
            }
            (Size, b';' | b' ' | b'\t') if self.digits > 0 => Ext,
            (Size, b'\r') if self.digits > 0 => SizeLf,
            (Size, _) => return bad("invalid chunk size"),
            (Ext, b'\r') => SizeLf,
            (Ext, b'\n') => return bad("invalid chunk extension"),
            (Ext, _) => Ext,
            (SizeLf, b'\n') if self.size == 0 => TrailerStart,
            (SizeLf, b'\n') => Data,
            (SizeLf, _) => return bad("invalid chunk size line"),
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => {
                self.size = 0;
                self.digits = 0;
                Size
            }
            (DataCr | DataLf, _) => return bad("chunk data longer than its size"),
            (TrailerStart, b'\r') => EndLf,
            (TrailerLine, b'\n') => TrailerStart,
            (TrailerStart, b'\n') => return bad("invalid end of chunked body"),
            (TrailerStart | TrailerLine, _) => TrailerLine,
            (EndLf, b'\n') => Done,
            (EndLf, _) => return bad("invalid end of chunked body"),
            (Data | Done, _) => self.state,
        })
    }
}

/// The body of a response that was not complete with its head. It holds the connection
/// until the body ends, then releases it to its pool when it can carry another request;
/// dropping it early closes the connection.
pub struct BodyReader<S: Io> {
    conn: Option<Conn<S>>,
    /// A read in flight for [`BodyReader::poll_chunk`]; it owns the connection meanwhile.
    reading: Option<Fill<S>>,
    framing: Framing,
    keep_alive: bool,
    home: Option<Home<Conn<S>>>,
}

/// A read in flight that owns its connection and hands it back.
type Fill<S> = Pin<Box<dyn Future<Output = (Conn<S>, io::Result<usize>)>>>;

/// What the buffered bytes give next.
enum Next {
    Chunk(Bytes),
    End,
    Read,
}

impl<S: Io> BodyReader<S> {
    /// Reads the body of `head` from `conn`, which goes back to `home` when reusable.
    pub fn new(conn: Conn<S>, framing: Framing, keep_alive: bool, home: Home<Conn<S>>) -> Self {
        BodyReader {
            conn: Some(conn),
            reading: None,
            framing,
            keep_alive,
            home: Some(home),
        }
    }

    /// Decodes what is buffered; releases the connection when the body is complete.
    fn decode(&mut self) -> Result<Next, Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Next::End);
        };
        match self.framing.step(&mut conn.buf) {
            Ok(Step::Data(b)) => Ok(Next::Chunk(b)),
            Ok(Step::More) => Ok(Next::Read),
            Ok(Step::Done) => {
                self.finish();
                Ok(Next::End)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    /// The body is complete: the connection goes back to its pool if nothing follows it.
    fn finish(&mut self) {
        if let (Some(conn), Some(home)) = (self.conn.take(), self.home.take()) {
            if self.keep_alive && conn.buf.is_empty() {
                home.release(conn);
            }
        }
    }

    /// Accounts for a read's result; EOF ends an EOF-framed body and fails any other.
    fn after_read(&mut self, r: io::Result<usize>) -> Result<(), Error> {
        match r {
            Ok(0) => {
                self.conn = None;
                self.framing.at_eof()
            }
            Ok(_) => Ok(()),
            Err(e) => {
                self.conn = None;
                Err(e.into())
            }
        }
    }

    /// The next chunk, as soon as one read delivers it; `None` at the end.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        loop {
            if let Some(fut) = self.reading.as_mut() {
                let (conn, r) = ready!(fut.as_mut().poll(cx));
                self.reading = None;
                self.conn = Some(conn);
                if let Err(e) = self.after_read(r) {
                    return Poll::Ready(Some(Err(e)));
                }
            }
            match self.decode() {
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(Next::Chunk(b)) => return Poll::Ready(Some(Ok(b))),
                Ok(Next::End) => return Poll::Ready(None),
                Ok(Next::Read) => {
                    if let Some(conn) = self.conn.take() {
                        self.reading = Some(Box::pin(conn.fill()));
                    }
                }
            }
        }
    }

    /// Reads the rest of the body (at most `limit` bytes).
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, Error> {
        if let Some(fut) = self.reading.take() {
            let (conn, r) = fut.await;
            self.conn = Some(conn);
            self.after_read(r)?;
        }
        if let Framing::Length(rest) = self.framing {
            return self.collect_length(rest, limit).await;
        }
        let mut first: Option<Bytes> = None;
        let mut more = BytesMut::new();
        let mut total = 0usize;
        loop {
            match self.decode()? {
                Next::Chunk(b) => {
                    total += b.len();
                    if total > limit {
                        return Err(Error::TooLarge(limit));
                    }
                    match first.take() {
                        None if more.is_empty() => first = Some(b),
                        f => {
                            if let Some(f) = f {
                                more.extend_from_slice(&f);
                            }
                            more.extend_from_slice(&b);
                        }
                    }
                }
                Next::End => return Ok(first.unwrap_or_else(|| more.freeze())),
                Next::Read => {
                    let r = match self.conn.as_mut() {
                        Some(conn) => conn.read_more(READ_MIN).await,
                        None => return Ok(first.unwrap_or_else(|| more.freeze())),
                    };
                    self.after_read(r)?;
                }
            }
        }
    }

    /// A body of `rest` more bytes, read into one buffer and split off whole.
    async fn collect_length(mut self, rest: u64, limit: usize) -> Result<Bytes, Error> {
        let rest = usize::try_from(rest).unwrap_or(usize::MAX);
        if rest == 0 {
            self.finish();
            return Ok(Bytes::new());
        }
        if rest > limit {
            return Err(Error::TooLarge(limit));
        }
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Err(Error::ClosedInBody);
            };
            if conn.buf.len() >= rest {
                let body = conn.buf.split_to(rest).freeze();
                self.framing = Framing::Length(0);
                self.finish();
                return Ok(body);
            }
            let missing = (rest - conn.buf.len()).min(RESERVE_MAX);
            let r = conn.read_more(missing).await;
            self.after_read(r)?;
        }
    }
}

/// A response body in flight, whatever the connection's stream type: what
/// [`super::Response`] holds.
pub trait Source {
    /// See [`BodyReader::poll_chunk`].
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>>;
    /// See [`BodyReader::collect`].
    fn collect(
        self: Box<Self>,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Bytes, Error>>>>;
}

impl<S: Io> Source for BodyReader<S> {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        BodyReader::poll_chunk(self, cx)
    }

    fn collect(
        self: Box<Self>,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Bytes, Error>>>> {
        Box::pin(BodyReader::collect(*self, limit))
    }
}

#[cfg(test)]
#[path = "h1/tests.rs"]
mod tests;
