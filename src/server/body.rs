//! Response bodies the gateway sends: whole buffers, and relayed upstream SSE streams that are
//! patched frame by frame and forwarded as soon as each frame is complete. Also the request
//! log record, which is written exactly once, when the response (or stream) is finished.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::conn::InFlight;
use bytes::BytesMut;

use crate::translate::{self, passthrough, passthrough::ChatStream};
use crate::upstream;
use crate::usage::Tokens;

/// One request's log line, emitted on drop so that it runs exactly once whatever path the
/// request takes (error, full response, finished or abandoned stream). Never holds secrets
/// or bodies.
#[derive(Debug)]
pub struct RequestLog {
    method: http::Method,
    path: String,
    started: Instant,
    /// The model the client asked for.
    pub model: Option<String>,
    /// The upstream entry used.
    pub upstream: Option<String>,
    /// Response status.
    pub status: u16,
    /// Error label when the gateway answered with an error.
    pub error: Option<&'static str>,
    /// Token usage, when the upstream reported it.
    pub tokens: Option<Tokens>,
    /// How a stream ended: `complete`, `client_gone` or `upstream_error`.
    pub stream_end: Option<&'static str>,
    handed_off: bool,
}

impl RequestLog {
    /// Starts timing a request.
    pub fn new(method: http::Method, path: &str) -> Self {
        RequestLog {
            method,
            path: path.to_owned(),
            started: Instant::now(),
            model: None,
            upstream: None,
            status: 0,
            error: None,
            tokens: None,
            stream_end: None,
            handed_off: false,
        }
    }

    /// Moves the record into a new owner (a streaming body) that will finish it; `self`
    /// then writes nothing when dropped.
    pub fn hand_off(&mut self) -> RequestLog {
        self.handed_off = true;
        RequestLog {
            method: self.method.clone(),
            path: std::mem::take(&mut self.path),
            started: self.started,
            model: self.model.take(),
            upstream: self.upstream.take(),
            status: self.status,
            error: self.error,
            tokens: self.tokens,
            stream_end: self.stream_end,
            handed_off: false,
        }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        if self.handed_off {
            return;
        }
        let micros = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let t = self.tokens.unwrap_or_default();
        tracing::info!(
            target: "cliproxy::request",
            method = self.method.as_str(),
            path = self.path.as_str(),
            model = self.model.as_deref().unwrap_or("-"),
            status = self.status,
            latency_ms = %Millis(micros),
            upstream = self.upstream.as_deref().unwrap_or("-"),
            input_tokens = t.input,
            output_tokens = t.output,
            error = self.error.unwrap_or("-"),
            stream = self.stream_end.unwrap_or("-"),
        );
    }
}

/// Microseconds shown as milliseconds with one decimal, rounded (`0.3`), by integer
/// formatting: a float's `{:.1}` costs several times more on every request.
struct Millis(u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = self.0.saturating_add(50) / 100;
        f.write_str(itoa::Buffer::new().format(tenths / 10))?;
        f.write_char('.')?;
        f.write_char(char::from(b'0' + (tenths % 10) as u8))
    }
}

/// The upstream side of a relay: the chunk the pipeline already read (it holds the response
/// head until the upstream's first byte, so a stream that dies first can fail over), then the
/// rest of the upstream body.
struct Source {
    response: upstream::Response,
    first: Option<Bytes>,
}

impl Source {
    fn new(response: upstream::Response) -> Self {
        Source {
            response,
            first: None,
        }
    }

    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, upstream::UpstreamError>>> {
        match self.first.take() {
            Some(chunk) => Poll::Ready(Some(Ok(chunk))),
            None => self.response.poll_chunk(cx),
        }
    }
}

/// A relayed chat-completions SSE stream.
pub struct ChatRelay {
    upstream: Source,
    patch: ChatStream,
    queue: VecDeque<Bytes>,
    scratch: Vec<Bytes>,
    log: RequestLog,
    done: bool,
}

impl ChatRelay {
    /// Relays `upstream` through `patch`; `log` is finished when the stream ends or is dropped.
    pub fn new(upstream: upstream::Response, patch: ChatStream, log: RequestLog) -> Self {
        ChatRelay {
            upstream: Source::new(upstream),
            patch,
            queue: VecDeque::new(),
            scratch: Vec::new(),
            log,
            done: false,
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        loop {
            if let Some(b) = self.queue.pop_front() {
                return Poll::Ready(Some(b));
            }
            if self.done {
                return Poll::Ready(None);
            }
            let polled = self.upstream.poll_chunk(cx);
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Err(e) = self.patch.push(&chunk, &mut self.scratch) {
                        self.fail(&e.to_string());
                    }
                    self.flush_scratch();
                }
                Poll::Ready(None) => {
                    self.patch.finish(&mut self.scratch);
                    self.flush_scratch();
                    self.done = true;
                    self.log.stream_end = Some("complete");
                    self.log.tokens = self.patch.usage();
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::debug!(error = %e, "upstream stream failed");
                    self.fail("the upstream connection was lost mid-stream");
                }
            }
        }
    }

    /// Starts with a chunk already read from the upstream (the pipeline reads the first one
    /// before committing the response head, so a stream that dies first can fail over).
    pub fn with_first(mut self, chunk: Bytes) -> Self {
        self.upstream.first = Some(chunk);
        self
    }

    /// Moves the frames of one upstream read into the queue as a single chunk: one copy of
    /// small frames is far cheaper than one chunked-encoding frame (and hyper round) each.
    fn flush_scratch(&mut self) {
        match self.scratch.len() {
            0 => {}
            1 => self.queue.extend(self.scratch.drain(..)),
            _ => {
                let len = self.scratch.iter().map(Bytes::len).sum();
                let mut joined = bytes::BytesMut::with_capacity(len);
                for frame in self.scratch.drain(..) {
                    joined.extend_from_slice(&frame);
                }
                self.queue.push_back(joined.freeze());
            }
        }
    }

    /// Ends the stream with an in-band OpenAI error event; headers are long gone.
    fn fail(&mut self, message: &str) {
        let body = serde_json::json!({
            "error": {"message": message, "type": "api_error", "code": "upstream_stream_error"}
        });
        self.queue
            .push_back(Bytes::from(format!("data: {body}\n\n")));
        self.done = true;
        self.log.stream_end = Some("upstream_error");
        self.log.tokens = self.patch.usage();
    }
}

impl Drop for ChatRelay {
    fn drop(&mut self) {
        if self.log.stream_end.is_none() {
            self.log.stream_end = Some("client_gone");
            self.log.tokens = self.patch.usage();
        }
    }
}

/// A stream translated between formats ([`translate::Transcoder`]), one output chunk per
/// upstream read.
pub struct TranslateRelay {
    upstream: Source,
    transcoder: translate::Transcoder,
    log: RequestLog,
    done: bool,
}

impl TranslateRelay {
    /// Relays `upstream` through `transcoder`.
    pub fn new(
        upstream: upstream::Response,
        transcoder: translate::Transcoder,
        log: RequestLog,
    ) -> Self {
        TranslateRelay {
            upstream: Source::new(upstream),
            transcoder,
            log,
            done: false,
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let polled = self.upstream.poll_chunk(cx);
            let Poll::Ready(polled) = polled else {
                return Poll::Pending;
            };
            // Every client frame of one upstream read goes out as one chunk, sized up front
            // (translated frames are rarely more than half again as long as their source).
            let read = match &polled {
                Some(Ok(chunk)) => chunk.len(),
                _ => 0,
            };
            let mut out = BytesMut::with_capacity(read + read / 2 + 512);
            match polled {
                Some(Ok(chunk)) => {
                    if !self.transcoder.push(&chunk, &mut out) {
                        self.end("upstream_error");
                    }
                }
                None => {
                    self.transcoder.finish(&mut out);
                    self.end("complete");
                    return Poll::Ready(Some(out.freeze()));
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "upstream stream failed");
                    self.transcoder
                        .fail("the upstream connection was lost mid-stream", &mut out);
                    self.end("upstream_error");
                }
            }
            self.log.tokens = self.transcoder.usage().as_ref().map(Tokens::from);
            if !out.is_empty() {
                return Poll::Ready(Some(out.freeze()));
            }
        }
    }

    /// Starts with a chunk already read from the upstream.
    pub fn with_first(mut self, chunk: Bytes) -> Self {
        self.upstream.first = Some(chunk);
        self
    }

    fn end(&mut self, how: &'static str) {
        self.done = true;
        self.log.stream_end = Some(how);
        self.log.tokens = self.transcoder.usage().as_ref().map(Tokens::from);
    }
}

impl Drop for TranslateRelay {
    fn drop(&mut self) {
        if self.log.stream_end.is_none() {
            self.log.stream_end = Some("client_gone");
        }
    }
}

/// A same-family stream (Claude→Claude, Gemini→Gemini, Responses→Codex): the upstream's bytes
/// go to the client as they arrive, the model name patched back to the alias
/// ([`passthrough::RawStream`]).
pub struct RawRelay {
    upstream: Source,
    patch: passthrough::RawStream,
    log: RequestLog,
    done: bool,
}

impl RawRelay {
    /// Forwards `upstream` through `patch`.
    pub fn new(
        upstream: upstream::Response,
        patch: passthrough::RawStream,
        log: RequestLog,
    ) -> Self {
        RawRelay {
            upstream: Source::new(upstream),
            patch,
            log,
            done: false,
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let polled = self.upstream.poll_chunk(cx);
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => match self.patch.push(chunk) {
                    Ok(out) if out.is_empty() => {}
                    Ok(out) => return Poll::Ready(Some(out)),
                    Err(e) => {
                        tracing::debug!(error = %e, "upstream stream broke SSE framing");
                        self.done = true;
                        self.log.stream_end = Some("upstream_error");
                    }
                },
                Poll::Ready(None) => {
                    self.done = true;
                    self.log.stream_end = Some("complete");
                    let rest = self.patch.finish();
                    if !rest.is_empty() {
                        return Poll::Ready(Some(rest));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    // The client's own protocol decides how a cut stream looks; with no
                    // translator in between, ending the body is the honest signal.
                    tracing::debug!(error = %e, "upstream stream failed");
                    self.done = true;
                    self.log.stream_end = Some("upstream_error");
                }
            }
        }
    }

    /// Starts with a chunk already read from the upstream.
    pub fn with_first(mut self, chunk: Bytes) -> Self {
        self.upstream.first = Some(chunk);
        self
    }
}

impl Drop for RawRelay {
    fn drop(&mut self) {
        if self.log.stream_end.is_none() {
            self.log.stream_end = Some("client_gone");
        }
    }
}

enum Inner {
    Full(Option<Bytes>),
    Chat(Box<ChatRelay>),
    Translate(Box<TranslateRelay>),
    Raw(Box<RawRelay>),
}

/// The response body type of every gateway response.
pub struct Body {
    inner: Inner,
    in_flight: Option<InFlight>,
}

impl Body {
    /// A complete body.
    pub fn full(b: impl Into<Bytes>) -> Self {
        let b = b.into();
        Body {
            inner: Inner::Full((!b.is_empty()).then_some(b)),
            in_flight: None,
        }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Body::full(Bytes::new())
    }

    /// A relayed chat stream.
    pub fn chat(relay: ChatRelay) -> Self {
        Body {
            inner: Inner::Chat(Box::new(relay)),
            in_flight: None,
        }
    }

    /// A stream translated between formats.
    pub fn translate(relay: TranslateRelay) -> Self {
        Body {
            inner: Inner::Translate(Box::new(relay)),
            in_flight: None,
        }
    }

    /// A same-family stream forwarded untouched.
    pub fn raw(relay: RawRelay) -> Self {
        Body {
            inner: Inner::Raw(Box::new(relay)),
            in_flight: None,
        }
    }

    /// Keeps the request counted as in flight until the body is finished.
    pub fn attach(&mut self, guard: InFlight) {
        self.in_flight = Some(guard);
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let next = match &mut this.inner {
            Inner::Full(b) => Poll::Ready(b.take()),
            Inner::Chat(relay) => relay.poll_next(cx),
            Inner::Translate(relay) => relay.poll_next(cx),
            Inner::Raw(relay) => relay.poll_next(cx),
        };
        if let Poll::Ready(None) = next {
            this.in_flight = None;
        }
        next.map(|b| b.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.inner, Inner::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Inner::Full(None) => SizeHint::with_exact(0),
            Inner::Chat(_) | Inner::Translate(_) | Inner::Raw(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Millis;

    #[test]
    fn latency_is_milliseconds_with_one_rounded_decimal() {
        for (micros, want) in [
            (0, "0.0"),
            (49, "0.0"),
            (50, "0.1"),
            (1_234, "1.2"),
            (1_250, "1.3"),
            (99_960, "100.0"),
            (u64::MAX, "18446744073709551.6"),
        ] {
            assert_eq!(Millis(micros).to_string(), want, "{micros}");
        }
    }
}
