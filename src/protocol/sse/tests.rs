#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use super::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Golden streams, written after each provider's documented streaming examples.

const OPENAI: &[u8] = br#"data: {"id":"chatcmpl-AZ1x2y3","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AZ1x2y3","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AZ1x2y3","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"! How can I help \u00e9t\u00e9 \"today\"?\n"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-AZ1x2y3","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

data: {"id":"chatcmpl-AZ1x2y3","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}

data: [DONE]

"#;

const ANTHROPIC: &[u8] = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! Ça va ?"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

"#
.as_bytes();

/// Gemini `streamGenerateContent?alt=sse` ends its lines with `\r\n`.
const GEMINI: &[u8] = b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" quick brown fox\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" jumps.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 5,\"totalTokenCount\": 13},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n";

/// Comments, `id:`/`retry:`, multi-line data, every terminator, blank lines, BOM, a partial tail.
const MIXED: &[u8] = b"\xEF\xBB\xBF: keep-alive\n\n\
retry: 3000\n\n\
id: 42\nevent: update\ndata: line one\ndata: line two\n\n\
: ping\r\r\n\
data: cr only\r\r\
data: mixed\n\r\n\
\n\r\ndata: after blank lines\r\n\n\
data:no space\rdata:  two spaces\r\n\r\n\
data: partial";

const MIXED_FRAMES: &[&[u8]] = &[
    b": keep-alive\n\n",
    b"retry: 3000\n\n",
    b"id: 42\nevent: update\ndata: line one\ndata: line two\n\n",
    b": ping\r\r\n",
    b"data: cr only\r\r",
    b"data: mixed\n\r\n",
    b"\n\r\ndata: after blank lines\r\n\n",
    b"data:no space\rdata:  two spaces\r\n\r\n",
];

const GOLDEN: &[(&str, &[u8])] = &[
    ("openai", OPENAI),
    ("anthropic", ANTHROPIC),
    ("gemini", GEMINI),
    ("mixed", MIXED),
];

// ---------------------------------------------------------------------------------------------
// Helpers

/// Feeds `chunks` in order, draining after each push; returns the frames, the error if one
/// happened, and what `finish` returned.
fn run<'a>(
    max: usize,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Bytes>, Option<SseError>, Option<Bytes>) {
    let mut framer = Framer::with_max_frame(max);
    let mut frames = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(err) => {
                    // Sticky: later calls and pushes change nothing.
                    framer.push(b"data: x\n\n");
                    assert_eq!(framer.next_frame(), Err(err.clone()));
                    return (frames, Some(err), framer.finish());
                }
            }
        }
    }
    (frames, None, framer.finish())
}

fn whole(input: &[u8]) -> (Vec<Bytes>, Option<SseError>, Option<Bytes>) {
    run(DEFAULT_MAX_FRAME, [input])
}

fn split_at(input: &[u8], at: usize) -> [&[u8]; 2] {
    let (a, b) = input.split_at(at);
    [a, b]
}

/// A small deterministic generator, so random chunkings are reproducible without a crate.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn random_chunks(input: &[u8], seed: u64, max_chunk: usize) -> Vec<&[u8]> {
    let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut chunks = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = (1 + rng.below(max_chunk)).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

fn concat(frames: &[Bytes], tail: Option<&Bytes>) -> Vec<u8> {
    let mut out: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    out.extend(tail.into_iter().flat_map(|t| t.iter().copied()));
    out
}

fn strip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(BOM).unwrap_or(input)
}

/// A whole-input framer written the obvious way, to check the incremental one against.
fn oracle(input: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let input = strip_bom(input);
    let mut frames = Vec::new();
    let (mut start, mut pos, mut has_content) = (0, 0, false);
    while let Some(i) = input[pos..].iter().position(|&b| b == b'\n' || b == b'\r') {
        let eol = pos + i;
        let len = match (input[eol], input.get(eol + 1)) {
            (b'\r', Some(b'\n')) => 2,
            (b'\r', None) => break, // undecided until the next byte
            _ => 1,
        };
        let line_is_empty = eol == pos;
        pos = eol + len;
        if !line_is_empty {
            has_content = true;
        } else if has_content {
            frames.push(input[start..pos].to_vec());
            start = pos;
            has_content = false;
        }
    }
    (frames, input[start..].to_vec())
}

// ---------------------------------------------------------------------------------------------
// Framing

#[test]
fn golden_streams_frame_as_documented() {
    let (frames, err, tail) = whole(OPENAI);
    assert_eq!((frames.len(), err, tail), (6, None, None));
    assert_eq!(&frames[5][..], b"data: [DONE]\n\n");

    let (frames, err, tail) = whole(ANTHROPIC);
    assert_eq!((frames.len(), err, tail), (8, None, None));
    assert_eq!(
        &frames[2][..],
        b"event: ping\ndata: {\"type\": \"ping\"}\n\n"
    );

    let (frames, err, tail) = whole(GEMINI);
    assert_eq!((frames.len(), err, tail), (3, None, None));
    assert!(frames.iter().all(|f| f.ends_with(b"}\r\n\r\n")));

    let (frames, err, tail) = whole(MIXED);
    assert_eq!(frames, MIXED_FRAMES);
    assert_eq!((err, tail.as_deref()), (None, Some(&b"data: partial"[..])));
}

#[test]
fn golden_streams_match_the_oracle() {
    for (name, input) in GOLDEN {
        let (frames, _, tail) = whole(input);
        let (want, want_tail) = oracle(input);
        assert_eq!(frames, want, "{name}");
        assert_eq!(tail.unwrap_or_default(), want_tail, "{name}");
    }
}

#[test]
fn golden_streams_split_at_every_position_frame_the_same() {
    for (name, input) in GOLDEN {
        let expected = whole(input);
        for at in 0..=input.len() {
            assert_eq!(
                run(DEFAULT_MAX_FRAME, split_at(input, at)),
                expected,
                "{name} at {at}"
            );
        }
    }
}

#[test]
fn golden_streams_fed_byte_by_byte_frame_the_same() {
    for (name, input) in GOLDEN {
        let bytes = input.chunks(1);
        assert_eq!(run(DEFAULT_MAX_FRAME, bytes), whole(input), "{name}");
    }
}

#[test]
fn golden_streams_in_random_chunks_frame_the_same() {
    for (name, input) in GOLDEN {
        let expected = whole(input);
        for seed in 0..200 {
            for max_chunk in [3, 17, 64, 700] {
                let chunks = random_chunks(input, seed, max_chunk);
                assert_eq!(
                    run(DEFAULT_MAX_FRAME, chunks),
                    expected,
                    "{name} seed {seed} max {max_chunk}"
                );
            }
        }
    }
}

#[test]
fn pushing_several_chunks_before_draining_frames_the_same() {
    for (name, input) in GOLDEN {
        let mut framer = Framer::new();
        for chunk in random_chunks(input, 7, 50) {
            framer.push(chunk);
        }
        let mut frames = Vec::new();
        while let Some(frame) = framer.next_frame().unwrap() {
            frames.push(frame);
        }
        assert_eq!((frames, None, framer.finish()), whole(input), "{name}");
    }
}

#[test]
fn frames_and_finish_reproduce_the_input_minus_bom() {
    for (name, input) in GOLDEN {
        let (frames, _, tail) = whole(input);
        assert_eq!(concat(&frames, tail.as_ref()), strip_bom(input), "{name}");
    }
}

#[test]
fn lone_cr_at_the_end_waits_for_the_next_byte() {
    let mut framer = Framer::new();
    framer.push(b"data: a\r\r");
    assert_eq!(
        framer.next_frame(),
        Ok(None),
        "`\\r\\r` could become `\\r\\r\\n`"
    );
    framer.push(b"\n");
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"data: a\r\r\n"[..])
    );

    framer.push(b"data: b\r\r");
    framer.push(b"d");
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"data: b\r\r"[..])
    );
    assert_eq!(framer.next_frame(), Ok(None));
    assert_eq!(framer.finish().as_deref(), Some(&b"d"[..]));
}

#[test]
fn crlf_split_between_chunks_is_one_terminator() {
    let mut framer = Framer::new();
    framer.push(b"data: a\r");
    assert_eq!(framer.next_frame(), Ok(None));
    framer.push(b"\n\r");
    assert_eq!(framer.next_frame(), Ok(None));
    framer.push(b"\n");
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"data: a\r\n\r\n"[..])
    );
}

#[test]
fn bom_split_across_chunks_is_skipped_once() {
    let mut framer = Framer::new();
    framer.push(b"\xEF");
    assert_eq!(framer.next_frame(), Ok(None));
    framer.push(b"\xBB");
    framer.push(b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"data: a\n\n"[..])
    );
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"\xEF\xBB\xBFdata: b\n\n"[..]),
        "only the stream start may carry a BOM"
    );
}

#[test]
fn bom_prefix_that_is_not_a_bom_is_kept() {
    assert_eq!(whole(b"\xEF\xBBx\n\n").0, [&b"\xEF\xBBx\n\n"[..]]);
    assert_eq!(whole(b"\xEF").2.as_deref(), Some(&b"\xEF"[..]));
}

#[test]
fn leading_blank_lines_join_the_next_frame() {
    let (frames, _, tail) = whole(b"\n\r\n\rdata: a\n\n\n\ndata: b\n\n\n");
    assert_eq!(frames, [&b"\n\r\n\rdata: a\n\n"[..], b"\n\ndata: b\n\n"]);
    assert_eq!(tail, None, "a whitespace-only tail is not flushed");
}

#[test]
fn finish_returns_partial_frames_and_resets() {
    let mut framer = Framer::new();
    framer.push(b"\xEF\xBB\xBFdata: a\n\ndata: half");
    assert!(framer.next_frame().unwrap().is_some());
    assert_eq!(framer.finish().as_deref(), Some(&b"data: half"[..]));
    assert_eq!(framer.finish(), None);
    // A new stream may start with its own BOM.
    framer.push(b"\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(
        framer.next_frame().unwrap().as_deref(),
        Some(&b"data: b\n\n"[..])
    );
    framer.push(b" \t\r\n");
    assert_eq!(framer.finish(), None);
}

#[test]
fn frame_at_the_limit_passes_and_one_byte_more_fails() {
    let frame = b"data: 0123\n\n"; // 12 bytes
    assert_eq!(run(12, [&frame[..]]).0, [&frame[..]]);
    assert_eq!(run(12, frame.chunks(1)).0, [&frame[..]]);
    let too_large = Some(SseError::FrameTooLarge { limit: 11 });
    assert_eq!(run(11, [&frame[..]]).1, too_large);
    assert_eq!(run(11, frame.chunks(1)).1, too_large);
}

#[test]
fn unterminated_frame_past_the_limit_fails_before_its_end() {
    let mut framer = Framer::with_max_frame(100);
    framer.push(b"data: ok\n\n");
    assert!(framer.next_frame().unwrap().is_some());
    framer.push(&[b'x'; 99]);
    assert_eq!(
        framer.next_frame(),
        Ok(None),
        "a 100-byte frame may still end in 1 byte"
    );
    framer.push(b"x");
    assert_eq!(
        framer.next_frame(),
        Err(SseError::FrameTooLarge { limit: 100 })
    );
    assert_eq!(framer.finish(), None);
}

#[test]
fn frames_before_the_oversized_one_come_out_in_any_chunking() {
    let input = b"data: a\n\ndata: b\n\ndata: far too long for the limit\n\ndata: c\n\n";
    let expected = run(20, [&input[..]]);
    assert_eq!(expected.0, [&b"data: a\n\n"[..], b"data: b\n\n"]);
    assert_eq!(expected.1, Some(SseError::FrameTooLarge { limit: 20 }));
    for at in 0..=input.len() {
        assert_eq!(run(20, split_at(input, at)), expected, "at {at}");
    }
}

// ---------------------------------------------------------------------------------------------
// parse

#[test]
fn parse_single_data_line_borrows() {
    let event = parse(b"data: {\"a\":1}\n\n");
    assert!(matches!(event.data, Cow::Borrowed("{\"a\":1}")));
    assert_eq!(
        event,
        Event {
            event: None,
            data: Cow::Borrowed("{\"a\":1}"),
            id: None,
            retry: None,
            is_comment_only: false,
        }
    );
}

#[test]
fn parse_joins_data_lines_with_lf_whatever_the_terminator() {
    assert_eq!(
        parse(b"data: a\r\ndata: b\rdata: c\ndata:\n\n").data,
        "a\nb\nc\n"
    );
    assert_eq!(parse(b"data\ndata\n\n").data, "\n", "two empty data lines");
}

#[test]
fn parse_strips_exactly_one_leading_space() {
    assert_eq!(parse(b"data:x\n\n").data, "x");
    assert_eq!(parse(b"data: x\n\n").data, "x");
    assert_eq!(parse(b"data:  x \n\n").data, " x ");
    assert_eq!(parse(b"data:\tx\n\n").data, "\tx");
    assert_eq!(parse(b"event:  e\n\n").event, Some(" e"));
}

#[test]
fn parse_reads_event_and_id_last_one_wins() {
    let event = parse(b"event: a\nid: 1\nevent: message_start\nid: 2\ndata: {}\n\n");
    assert_eq!((event.event, event.id), (Some("message_start"), Some("2")));
    assert_eq!(
        parse(b"id\n\n").id,
        Some(""),
        "a field without a colon has an empty value"
    );
}

#[test]
fn parse_ignores_ids_with_nul() {
    assert_eq!(parse(b"id: 1\nid: a\0b\n\n").id, Some("1"));
}

#[test]
fn parse_retry_needs_only_ascii_digits() {
    assert_eq!(parse(b"retry: 3000\n\n").retry, Some(3000));
    assert_eq!(
        parse(b"retry: 1\nretry: x\n\n").retry,
        Some(1),
        "an invalid retry is ignored"
    );
    for bad in [
        &b"retry: -1"[..],
        b"retry: +1",
        b"retry: 1.5",
        b"retry: 1 ",
        b"retry:",
        b"retry",
    ] {
        assert_eq!(parse(bad).retry, None, "{:?}", String::from_utf8_lossy(bad));
    }
    assert_eq!(
        parse(b"retry: 99999999999999999999999\n\n").retry,
        None,
        "overflow"
    );
}

#[test]
fn parse_field_names_are_case_sensitive_and_unknown_ones_ignored() {
    let event = parse(b"Data: no\nEVENT: no\nfoo: bar\ndata : no\n\n");
    assert_eq!(event.event, None);
    assert_eq!(event.data, "");
    assert!(!event.is_comment_only, "unknown fields are still fields");
}

#[test]
fn parse_comments() {
    let keep_alive = parse(b": keep-alive\r\n\r\n");
    assert!(keep_alive.is_comment_only);
    assert_eq!(keep_alive.data, "");
    assert!(parse(b"").is_comment_only);
    assert!(parse(b"\n\n:a\n:b\n\n").is_comment_only);
    let event = parse(b": note\ndata: x\n:data: y\n\n");
    assert_eq!((event.data.as_ref(), event.is_comment_only), ("x", false));
}

#[test]
fn parse_value_keeps_later_colons() {
    assert_eq!(parse(b"data: a: b:c\n\n").data, "a: b:c");
}

#[test]
fn parse_invalid_utf8_is_lossy() {
    let event = parse(b"event: e\xFF\nid: \xC3\ndata: ok \xFF end\ndata: \xE2\x82\n\n");
    assert_eq!(event.event, Some("\u{FFFD}"));
    assert_eq!(event.id, Some("\u{FFFD}"));
    assert_eq!(event.data, "ok \u{FFFD} end\n\u{FFFD}");
    assert_eq!(parse(b"data: \xFF").data, "\u{FFFD}");
}

#[test]
fn parse_unterminated_remainder() {
    assert_eq!(parse(b"event: x\ndata: partial").data, "partial");
}

#[test]
fn parse_golden_streams() {
    let frames = whole(ANTHROPIC).0;
    let events: Vec<_> = frames.iter().map(|f| parse(f)).collect();
    assert_eq!(events[0].event, Some("message_start"));
    assert_eq!(events[2].event, Some("ping"));
    assert_eq!(events[2].data, "{\"type\": \"ping\"}");
    assert!(events.iter().all(|e| matches!(e.data, Cow::Borrowed(_))));

    let frames = whole(GEMINI).0;
    assert!(parse(&frames[2]).data.ends_with("\"gemini-2.0-flash\"}"));

    let frames = whole(OPENAI).0;
    assert_eq!(parse(&frames[5]).data, "[DONE]");

    let events: Vec<_> = MIXED_FRAMES.iter().map(|f| parse(f)).collect();
    assert!(events[0].is_comment_only);
    assert_eq!(events[1].retry, Some(3000));
    assert_eq!(
        (events[2].id, events[2].event, events[2].data.as_ref()),
        (Some("42"), Some("update"), "line one\nline two")
    );
    assert!(events[3].is_comment_only);
    assert_eq!(events[4].data, "cr only");
    assert_eq!(events[6].data, "after blank lines");
    assert_eq!(events[7].data, "no space\n two spaces");
}

// ---------------------------------------------------------------------------------------------
// encode

fn encoded(event: Option<&str>, data: &str) -> BytesMut {
    let mut out = BytesMut::new();
    encode(event, data, &mut out);
    out
}

#[test]
fn encode_writes_event_then_one_data_line_per_line() {
    assert_eq!(&encoded(None, "{}")[..], b"data: {}\n\n");
    assert_eq!(
        &encoded(Some("message_start"), "a\nb")[..],
        b"event: message_start\ndata: a\ndata: b\n\n"
    );
    assert_eq!(&encoded(None, "")[..], b"data: \n\n");
    assert_eq!(
        &encoded(None, "a\r\nb\rc\n")[..],
        b"data: a\ndata: b\ndata: c\ndata: \n\n"
    );
}

#[test]
fn encode_never_lets_an_event_name_break_the_frame() {
    assert_eq!(
        &encoded(Some("a\nb\r\nc"), "x")[..],
        b"event: a b  c\ndata: x\n\n"
    );
}

#[test]
fn encode_appends() {
    let mut out = BytesMut::from(&b"data: 1\n\n"[..]);
    encode(None, "2", &mut out);
    assert_eq!(&out[..], b"data: 1\n\ndata: 2\n\n");
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Bytes that hit the interesting cases often: terminators, colons, field names, BOM bytes.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(b"\n".to_vec()),
        3 => Just(b"\r".to_vec()),
        2 => Just(b"\r\n".to_vec()),
        2 => Just(b"data: ".to_vec()),
        1 => Just(b"event:".to_vec()),
        1 => Just(b"id: ".to_vec()),
        1 => Just(b"retry:".to_vec()),
        1 => Just(b":".to_vec()),
        1 => Just(BOM.to_vec()),
        1 => Just(b" ".to_vec()),
        4 => prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn chunkings(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..8).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts
    })
}

fn cut<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain([input.len()].iter()) {
        let c = c.clamp(start, input.len());
        chunks.push(&input[start..c]);
        start = c;
    }
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_frame_like_the_oracle_in_any_chunking(
        (input, cuts) in sse_bytes().prop_flat_map(|v| { let n = v.len(); (Just(v), chunkings(n)) })
    ) {
        let expected = whole(&input);
        prop_assert_eq!(&run(DEFAULT_MAX_FRAME, cut(&input, &cuts)), &expected);
        prop_assert_eq!(&run(DEFAULT_MAX_FRAME, input.chunks(1)), &expected);

        let (frames, err, tail) = expected;
        prop_assert_eq!(err, None);
        let (want, want_rest) = oracle(&input);
        prop_assert_eq!(&frames, &want);
        // Frames + finish give the input back; finish drops only a whitespace-only remainder.
        let rest = match &tail {
            Some(tail) => tail.to_vec(),
            None => { prop_assert!(want_rest.iter().all(u8::is_ascii_whitespace)); want_rest }
        };
        prop_assert_eq!(concat(&frames, None).into_iter().chain(rest).collect::<Vec<_>>(), strip_bom(&input));
        for frame in &frames {
            parse(frame);
        }
        if let Some(tail) = &tail {
            parse(tail);
        }
    }

    #[test]
    fn frame_too_large_is_independent_of_chunking(
        (input, cuts) in sse_bytes().prop_flat_map(|v| { let n = v.len(); (Just(v), chunkings(n)) }),
        max in 3usize..40, // no frame is shorter than `x\n\n`
    ) {
        let expected = run(max, [&input[..]]);
        prop_assert_eq!(&run(max, cut(&input, &cuts)), &expected);
        prop_assert_eq!(&run(max, input.chunks(1)), &expected);
        let (frames, err, _) = expected;
        let (want, want_rest) = oracle(&input);
        prop_assert!(frames.iter().all(|f| f.len() <= max));
        // The frames are the oracle's up to the first one over the limit; the error comes
        // exactly when a frame, finished or not, is known to be over the limit.
        let ok = want.iter().take_while(|f| f.len() <= max).count();
        prop_assert_eq!(&frames[..], &want[..ok]);
        let over = ok < want.len() || want_rest.len() > max
            || (want_rest.len() == max && !want_rest.ends_with(b"\r"));
        prop_assert_eq!(err.is_some(), over);
    }

    #[test]
    fn parse_never_panics(frame in prop::collection::vec(any::<u8>(), 0..200)) {
        let event = parse(&frame);
        prop_assert!(event.data.len() <= frame.len() * 3);
    }

    #[test]
    fn encode_then_frame_then_parse_round_trips(
        event in proptest::option::of("[a-z_]{1,20}"),
        data in "(\\PC|\n|\r){0,64}",
    ) {
        let bytes = encoded(event.as_deref(), &data).freeze();
        let (frames, err, tail) = whole(&bytes);
        prop_assert_eq!((&frames[..], err, tail), (&[bytes.clone()][..], None, None));
        let parsed = parse(&frames[0]);
        let normalized = data.replace("\r\n", "\n").replace('\r', "\n");
        prop_assert_eq!(parsed.event, event.as_deref());
        prop_assert_eq!(parsed.data, normalized);
        prop_assert!(!parsed.is_comment_only);
    }
}
