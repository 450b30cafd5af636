//! Incremental Server-Sent Events framing: push upstream bytes, take raw frames, parse or encode one event.
//! The frames never depend on how the input was chunked, and they are zero-copy `Bytes` slices.
//! No I/O, no runtime and no JSON knowledge: payloads stay opaque text for the stream decoders.
//! Spec: <https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>

use std::borrow::Cow;

use bytes::{Buf, Bytes, BytesMut};

/// The UTF-8 byte order mark, which the spec skips once at the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Stands in for an `event` or `id` value that is not valid UTF-8. It matches no event type we
/// know, so such an event is ignored as unknown instead of falling back to the default `message`.
const INVALID_UTF8: &str = "\u{FFFD}";

/// The largest frame [`Framer::new`] buffers: far above any real event, small enough that a
/// broken upstream that never sends a blank line cannot take all memory.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// What went wrong while framing an upstream stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A frame grew past the limit before its terminating blank line arrived.
    #[error("SSE frame exceeds the {limit}-byte limit before its terminating blank line")]
    FrameTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
}

/// Splits an upstream byte stream into raw SSE frames (one event each).
///
/// A frame is every byte up to and including the blank line that ends it (`\n\n`, `\r\n\r\n`,
/// `\r\r` or a mix such as `\n\r\n`), exactly as received, so the passthrough lane can forward it
/// untouched. Blank lines before an event (which carry nothing) are kept at the front of the next
/// frame rather than dropped, so concatenating every frame and [`Framer::finish`] reproduces the
/// input, minus a leading byte order mark. Frames are zero-copy slices of the framer's buffer.
/// Bytes are scanned once: a partial frame is not rescanned when more bytes arrive.
#[derive(Debug)]
pub struct Framer {
    /// Bytes received and not yet returned; the current frame starts at index 0.
    buf: BytesMut,
    /// How far into `buf` the current frame has been scanned.
    scan: usize,
    /// The byte at `scan` starts a line (nothing of the current line was scanned yet).
    at_line_start: bool,
    /// The current frame holds a non-empty line, so the next blank line ends it.
    has_content: bool,
    /// The stream start has been checked for a byte order mark.
    bom_checked: bool,
    /// A frame longer than this (terminator included) is an error.
    max_frame: usize,
    /// A frame was too large: the stream is broken and further input is dropped.
    failed: bool,
}

/// Where scanning the buffered bytes for the end of the current frame stopped.
enum Scan {
    /// The current frame ends at this offset (exclusive, terminating blank line included).
    Frame(usize),
    /// No complete frame yet; when it completes, it will be at least this long.
    More { min_len: usize },
}

impl Framer {
    /// A framer for a new stream, with the [`DEFAULT_MAX_FRAME`] limit.
    pub fn new() -> Self {
        Self::with_max_frame(DEFAULT_MAX_FRAME)
    }

    /// A framer for a new stream whose frames may be at most `max` bytes long, terminator included.
    pub fn with_max_frame(max: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            scan: 0,
            at_line_start: true,
            has_content: false,
            bom_checked: false,
            max_frame: max,
            failed: false,
        }
    }

    /// Appends the next chunk of the upstream body. Chunks may split lines, line terminators and
    /// even the byte order mark anywhere. After [`SseError::FrameTooLarge`] the chunk is dropped.
    ///
    /// The chunk is copied. A zero-copy path that sliced frames straight out of a `Bytes` chunk
    /// when nothing was buffered was measured with `benches/sse.rs` and dropped: it gained
    /// nothing on one-event reads and made 16 KiB and 1,460-byte reads about 20 % slower.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed {
            return;
        }
        self.buf.extend_from_slice(chunk);
        if !self.bom_checked {
            self.skip_bom();
        }
    }

    /// The next complete frame, including its terminating blank line, or `None` until more
    /// bytes are pushed. Call it until it returns `None` after each [`Framer::push`].
    ///
    /// # Errors
    /// [`SseError::FrameTooLarge`] once the current frame is known to be longer than the limit,
    /// whether or not its end has arrived. The error is sticky: the buffered bytes are released,
    /// later pushes are dropped and every later call returns the same error.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, SseError> {
        if self.failed {
            return Err(self.too_large());
        }
        if !self.bom_checked {
            // The first bytes may still turn out to be a byte order mark.
            return Ok(None);
        }
        match self.scan() {
            Scan::Frame(end) if end <= self.max_frame => {
                let frame = self.buf.split_to(end).freeze();
                self.scan = 0;
                self.at_line_start = true;
                self.has_content = false;
                Ok(Some(frame))
            }
            Scan::More { min_len } if min_len <= self.max_frame => Ok(None),
            Scan::Frame(_) | Scan::More { .. } => {
                self.failed = true;
                self.buf = BytesMut::new();
                self.scan = 0;
                Err(self.too_large())
            }
        }
    }

    /// Ends the stream: returns what is left of an unterminated frame when it holds anything but
    /// whitespace, for callers that want to flush it, and resets the framer for a new stream.
    ///
    /// Drain [`Framer::next_frame`] first: this returns every byte still buffered. A frame whose
    /// last byte is a `\r` also ends up here, because only the next byte could tell whether that
    /// `\r` began a `\r\n`. Returns `None` after [`SseError::FrameTooLarge`].
    pub fn finish(&mut self) -> Option<Bytes> {
        let rest = std::mem::take(&mut self.buf).freeze();
        *self = Self::with_max_frame(self.max_frame);
        if rest.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(rest)
        }
    }

    fn too_large(&self) -> SseError {
        SseError::FrameTooLarge {
            limit: self.max_frame,
        }
    }

    /// Drops a byte order mark at the start of the stream once enough bytes have arrived to tell.
    fn skip_bom(&mut self) {
        let n = self.buf.len().min(BOM.len());
        if self.buf.get(..n) != BOM.get(..n) {
            self.bom_checked = true;
        } else if n == BOM.len() {
            self.buf.advance(n);
            self.bom_checked = true;
        }
        // Otherwise the buffer is a strict prefix of the mark: wait for more bytes.
    }

    /// Scans the unscanned bytes of the current frame for the blank line that ends it.
    fn scan(&mut self) -> Scan {
        let buf: &[u8] = &self.buf;
        loop {
            let rest = buf.get(self.scan..).unwrap_or_default();
            let Some(i) = memchr::memchr2(b'\n', b'\r', rest) else {
                if !rest.is_empty() {
                    self.at_line_start = false;
                }
                self.scan = buf.len();
                // A frame has begun: at least one line terminator is still to come.
                let min_len = if buf.is_empty() { 0 } else { buf.len() + 1 };
                return Scan::More { min_len };
            };
            if i > 0 {
                self.at_line_start = false;
            }
            let pos = self.scan + i;
            let terminator = match (buf.get(pos), buf.get(pos + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\r'), None) => {
                    // `\r` or the first half of `\r\n`: decide when the next byte arrives.
                    // This `\r` may itself end the frame, hence a minimum of the current length.
                    self.scan = pos;
                    return Scan::More { min_len: buf.len() };
                }
                _ => 1,
            };
            let end = pos + terminator;
            self.scan = end;
            if !self.at_line_start {
                self.has_content = true;
            } else if self.has_content {
                return Scan::Frame(end);
            }
            // A blank line before any content is kept at the front of the frame.
            self.at_line_start = true;
        }
    }
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

/// A parsed view of one raw frame, borrowing from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The last `event:` value, if any. `None` means the spec's default type, `message`.
    /// A value that is not valid UTF-8 reads as `"\u{FFFD}"`, which matches no known event.
    pub event: Option<&'a str>,
    /// The `data:` lines joined with `\n`: borrowed when there is one valid UTF-8 line,
    /// lossily decoded otherwise. Empty when the frame has no `data:` line.
    pub data: Cow<'a, str>,
    /// The last `id:` value without a NUL byte, if any (`"\u{FFFD}"` when not valid UTF-8).
    pub id: Option<&'a str>,
    /// The last `retry:` value made only of ASCII digits that fits a `u64`, in milliseconds.
    pub retry: Option<u64>,
    /// The frame has no field line, only comments (`: keep-alive`) and blank lines.
    pub is_comment_only: bool,
}

/// Parses one raw frame as a single event, following the WHATWG event-stream rules.
///
/// Lines end with `\r\n`, `\n` or `\r`; a last line without a terminator still counts, so the
/// remainder from [`Framer::finish`] parses too. `field: value` loses one leading space from the
/// value, a line without a colon is a field with an empty value, a line starting with `:` is a
/// comment, unknown fields are ignored and blank lines are skipped. Never panics.
pub fn parse(frame: &[u8]) -> Event<'_> {
    let mut event = None;
    let mut id = None;
    let mut retry = None;
    let mut data = Data::None;
    let mut is_comment_only = true;
    for line in (Lines { rest: frame }) {
        if line.is_empty() || line.first() == Some(&b':') {
            continue;
        }
        is_comment_only = false;
        let (name, value) = match memchr::memchr(b':', line).and_then(|c| line.split_at_checked(c))
        {
            Some((name, colon_value)) => {
                let value = colon_value.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => data.push(value),
            b"event" => event = Some(text(value)),
            b"id" if !value.contains(&0) => id = Some(text(value)),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Ok(ms) = text(value).parse() {
                    retry = Some(ms);
                }
            }
            _ => {}
        }
    }
    Event {
        event,
        data: data.finish(),
        id,
        retry,
        is_comment_only,
    }
}

/// Appends one event to `out`: `event: X\n` when there is a type, one `data: ` line per line of
/// `data`, then the blank line that ends the frame.
///
/// Any `\r\n`, `\n` or `\r` in `data` starts a new `data:` line, so [`parse`] gives `data` back
/// with line breaks normalized to `\n`. Line breaks in `event` would end the field early and
/// corrupt the stream, so they are written as spaces.
pub fn encode(event: Option<&str>, data: &str, out: &mut BytesMut) {
    let extra = event.map_or(0, |name| name.len() + 8);
    out.reserve(data.len() + extra + 8);
    encode_event_line(event, out);
    let mut rest = data.as_bytes();
    loop {
        out.extend_from_slice(b"data: ");
        let Some((line, tail)) =
            memchr::memchr2(b'\n', b'\r', rest).and_then(|i| rest.split_at_checked(i))
        else {
            out.extend_from_slice(rest);
            out.extend_from_slice(b"\n\n");
            return;
        };
        out.extend_from_slice(line);
        out.extend_from_slice(b"\n");
        let terminator = if tail.starts_with(b"\r\n") { 2 } else { 1 };
        rest = tail.get(terminator..).unwrap_or_default();
    }
}

/// Appends the `event: X` line of a frame when there is a type (line breaks written as
/// spaces, as [`encode`] does), then `data: `: the caller writes a single-line payload and
/// ends the frame with `\n\n`. For encoders that serialise straight into the output.
pub fn encode_head(event: Option<&str>, out: &mut BytesMut) {
    encode_event_line(event, out);
    out.extend_from_slice(b"data: ");
}

fn encode_event_line(event: Option<&str>, out: &mut BytesMut) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        let mut rest = name.as_bytes();
        while let Some((head, tail)) =
            memchr::memchr2(b'\n', b'\r', rest).and_then(|i| rest.split_at_checked(i))
        {
            out.extend_from_slice(head);
            out.extend_from_slice(b" ");
            rest = tail.get(1..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        out.extend_from_slice(b"\n");
    }
}

/// A field value as text; see [`INVALID_UTF8`].
fn text(value: &[u8]) -> &str {
    std::str::from_utf8(value).unwrap_or(INVALID_UTF8)
}

/// A `data:` line as text. `from_utf8` validates ASCII a word at a time, much faster than
/// `String::from_utf8_lossy`, which is kept for the invalid case.
fn lossy(line: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(line) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(line),
    }
}

/// The `data:` lines seen so far; one line stays borrowed.
enum Data<'a> {
    None,
    One(&'a [u8]),
    Many(String),
}

impl<'a> Data<'a> {
    fn push(&mut self, line: &'a [u8]) {
        match self {
            Data::None => *self = Data::One(line),
            Data::One(first) => {
                let mut joined = String::with_capacity(first.len() + line.len() + 1);
                joined.push_str(&lossy(first));
                joined.push('\n');
                joined.push_str(&lossy(line));
                *self = Data::Many(joined);
            }
            Data::Many(joined) => {
                joined.push('\n');
                joined.push_str(&lossy(line));
            }
        }
    }

    fn finish(self) -> Cow<'a, str> {
        match self {
            Data::None => Cow::Borrowed(""),
            Data::One(line) => lossy(line),
            Data::Many(joined) => Cow::Owned(joined),
        }
    }
}

/// The lines of a frame without their terminators (`\r\n`, `\n` or `\r`).
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((line, tail)) =
            memchr::memchr2(b'\n', b'\r', self.rest).and_then(|i| self.rest.split_at_checked(i))
        else {
            return Some(std::mem::take(&mut self.rest));
        };
        let terminator = if tail.starts_with(b"\r\n") { 2 } else { 1 };
        self.rest = tail.get(terminator..).unwrap_or_default();
        Some(line)
    }
}

#[cfg(test)]
mod tests;
