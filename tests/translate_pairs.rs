//! Golden fixtures for every shipped (client format, upstream family) pair, driven through the
//! library functions the server's pipeline calls for each lane (`translate::lane`, the
//! passthrough patches, `encode_upstream_request`, `translate_response`, `Transcoder`,
//! `upstream_error_body`). Layout, naming and comparison rules:
//! `tests/fixtures/translate/README.md`.
//!
//! `BLESS=1 cargo test --test translate_pairs` writes missing or differing expected files and
//! deletes expected files no check reads any more.
//! Blessed files are a proposal: read each one against the target API's documentation before
//! committing it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use serde_json::Value;

use cliproxy::error::Error;
use cliproxy::protocol::Format;
use cliproxy::translate::passthrough::{self, ChatStream, ModelRewrite};
use cliproxy::translate::{self, ClientApi, Lane, Reply, Transcoder};

#[path = "support/pairs.rs"]
mod pairs;

use pairs::{CLIENTS, UPSTREAMS};

/// The model every client asks for (an alias: the gateway answers with it).
const CLIENT_MODEL: &str = "my-model";

/// The response id and time the pipeline would generate (`response_id`); fixed here, so the
/// goldens need no ignore rules. They show up only where the upstream gave no id or time.
const CREATED: u64 = 1_700_000_000;

/// Request scenarios a Gemini client sends to `:streamGenerateContent?alt=sse` (the other
/// clients say `"stream": true` in the body; the test checks that the two agree).
const STREAMED_REQUESTS: [&str; 1] = ["tools"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/translate")
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

fn pair_dir(client: &str, upstream: &str) -> PathBuf {
    root().join(format!("{client}__{upstream}"))
}

fn response_id(client: ClientApi) -> &'static str {
    match client {
        ClientApi::Chat | ClientApi::Completions => "chatcmpl-gateway0001",
        ClientApi::Responses => "resp_gateway0001",
        ClientApi::Messages => "msg_gateway0001",
        ClientApi::Gemini { .. } => "gateway0001",
    }
}

fn reply(client: ClientApi, stream: bool) -> Reply<'static> {
    Reply {
        client,
        model: CLIENT_MODEL,
        id: response_id(client),
        created: CREATED,
        stream,
        // Chat clients in the stream goldens ask for `stream_options.include_usage`, so the
        // usage chunk is part of the spec.
        wants_usage: true,
        tool_names: None,
    }
}

/// Files of `dir` with extension `ext`, by stem, sorted.
fn stems(dir: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// One golden check: what was produced, and the file that says what it must be.
struct Outcome {
    expected: PathBuf,
    actual: Vec<u8>,
    kind: Compare,
}

#[derive(Clone, Copy)]
enum Compare {
    Json,
    Sse,
}

/// Compares every outcome with its expected file (writing it under `BLESS=1`) and fails with
/// the list of every mismatch.
fn check(outcomes: Vec<Outcome>) {
    let mut failures = Vec::new();
    for o in &outcomes {
        let rel = o.expected.strip_prefix(root()).unwrap_or(&o.expected);
        let actual = match parse(&o.actual, o.kind) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: output does not parse: {e}", rel.display()));
                continue;
            }
        };
        let expected = fs::read(&o.expected)
            .ok()
            .map(|b| parse(&b, o.kind).unwrap_or_else(|e| panic!("{}: {e}", rel.display())));
        if expected.as_ref() == Some(&actual) {
            continue;
        }
        if bless() {
            fs::create_dir_all(o.expected.parent().unwrap()).unwrap();
            fs::write(&o.expected, render(&o.actual, &actual, o.kind)).unwrap();
            continue;
        }
        match expected {
            None => failures.push(format!("{}: missing expected file", rel.display())),
            Some(exp) => {
                let (exp, act) = first_difference(&exp, &actual);
                failures.push(format!(
                    "{}: differs\n  expected: {exp}\n  actual:   {act}",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} goldens failed (BLESS=1 rewrites them):\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}

/// A stream or body, parsed for comparison. JSON bodies compare as values. SSE compares event
/// by event: `[event name or null, data as JSON (or as a string when it is not JSON)]`,
/// comment lines as `[":", text]`.
fn parse(bytes: &[u8], kind: Compare) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    match kind {
        Compare::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        Compare::Sse => parse_sse(text),
    }
}

fn parse_sse(text: &str) -> Result<Value, String> {
    let text = text.replace("\r\n", "\n");
    let mut events = Vec::new();
    for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
        let mut name = Value::Null;
        let mut data: Vec<&str> = Vec::new();
        for line in frame.lines() {
            if let Some(comment) = line.strip_prefix(':') {
                events.push(Value::from(vec![":".into(), Value::from(comment.trim())]));
            } else if let Some(v) = line.strip_prefix("event:") {
                name = Value::from(v.trim());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            } else {
                return Err(format!("unexpected SSE line {line:?}"));
            }
        }
        if data.is_empty() && name.is_null() {
            continue;
        }
        let data = data.join("\n");
        let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
        events.push(Value::from(vec![name, data]));
    }
    Ok(Value::Array(events))
}

/// The text of a blessed expected file: JSON pretty-printed, SSE as the bytes on the wire.
fn render(raw: &[u8], parsed: &Value, kind: Compare) -> Vec<u8> {
    match kind {
        Compare::Json => {
            let mut s = serde_json::to_string_pretty(parsed).unwrap();
            s.push('\n');
            s.into_bytes()
        }
        Compare::Sse => raw.to_vec(),
    }
}

/// The first differing element of two parsed goldens (by JSON pointer), for the message.
fn first_difference(exp: &Value, act: &Value) -> (String, String) {
    fn walk(path: &str, a: &Value, b: &Value) -> Option<(String, String)> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().find_map(|k| {
                    let p = format!("{path}/{k}");
                    match (x.get(k), y.get(k)) {
                        (Some(a), Some(b)) => walk(&p, a, b),
                        (a, b) => Some((format!("{p} = {a:?}"), format!("{p} = {b:?}"))),
                    }
                })
            }
            (Value::Array(x), Value::Array(y)) => {
                let found = x
                    .iter()
                    .zip(y)
                    .enumerate()
                    .find_map(|(i, (a, b))| walk(&format!("{path}/{i}"), a, b));
                found.or_else(|| {
                    (x.len() != y.len()).then(|| {
                        (
                            format!("{path}: {} items", x.len()),
                            format!("{path}: {} items", y.len()),
                        )
                    })
                })
            }
            _ => (a != b).then(|| (format!("{path} = {a}"), format!("{path} = {b}"))),
        }
    }
    walk("", exp, act).unwrap_or_default()
}

// ---- The pipeline's steps, per lane ----

/// The upstream body for a client request, as the pipeline builds it (payload rules aside),
/// or the error the client gets instead.
fn upstream_request(
    client: ClientApi,
    upstream: Format,
    upstream_model: &str,
    body: &Bytes,
    stream: bool,
) -> Result<Vec<u8>, Error> {
    Ok(match translate::lane(client, upstream, stream, false) {
        Lane::ChatPassthrough => passthrough::inspect_chat(body)?
            .upstream_body(upstream_model)
            .to_vec(),
        Lane::Passthrough => passthrough::request_body(upstream, body, upstream_model)?.to_vec(),
        Lane::Translated => {
            let ir = translate::decode_request(client, body, CLIENT_MODEL)?;
            translate::encode_upstream_request(&ir, upstream, upstream_model, stream, None)?
        }
    })
}

/// A request the gateway refuses, as the client sees it: the status and the body in the
/// client's error shape (what the pipeline's `error_response` sends).
fn refusal(client: ClientApi, e: &Error) -> Vec<u8> {
    let body: Value = serde_json::from_slice(&client.format().error_body(e)).unwrap();
    serde_json::to_vec(&serde_json::json!({"status": e.status().as_u16(), "body": body})).unwrap()
}

/// The client's non-stream answer to an upstream body (an SSE body for Codex).
fn client_response(
    client: ClientApi,
    upstream: Format,
    upstream_model: &str,
    body: Bytes,
) -> Vec<u8> {
    match translate::lane(client, upstream, false, false) {
        Lane::ChatPassthrough => {
            let rewrite = ModelRewrite::new(CLIENT_MODEL, upstream_model);
            passthrough::patch_chat_response(body, &rewrite).0.to_vec()
        }
        Lane::Passthrough => {
            passthrough::response_body(upstream, body, CLIENT_MODEL, upstream_model).to_vec()
        }
        Lane::Translated => {
            let event_stream = upstream == Format::OpenAiResponses;
            translate::translate_response(upstream, &body, event_stream, &reply(client, false))
                .unwrap()
                .0
        }
    }
}

/// The client's stream for an upstream stream delivered in `chunks`.
fn client_stream(
    client: ClientApi,
    upstream: Format,
    upstream_model: &str,
    chunks: &[&[u8]],
) -> Vec<u8> {
    match translate::lane(client, upstream, true, false) {
        Lane::ChatPassthrough => {
            let rewrite = ModelRewrite::new(CLIENT_MODEL, upstream_model);
            let mut relay = ChatStream::new(rewrite, true);
            let mut frames = Vec::new();
            for chunk in chunks {
                relay.push(chunk, &mut frames).unwrap();
            }
            relay.finish(&mut frames);
            frames.concat()
        }
        // Forwarded as it comes, the model name aside.
        Lane::Passthrough => {
            let mut relay = passthrough::RawStream::new(upstream, CLIENT_MODEL, upstream_model);
            let mut out = Vec::new();
            for chunk in chunks {
                out.extend_from_slice(&relay.push(Bytes::copy_from_slice(chunk)).unwrap());
            }
            out.extend_from_slice(&relay.finish());
            out
        }
        Lane::Translated => {
            let mut t = Transcoder::new(upstream, &reply(client, true));
            let mut out = BytesMut::new();
            for chunk in chunks {
                assert!(t.push(chunk, &mut out), "the stream ended early");
            }
            t.finish(&mut out);
            out.to_vec()
        }
    }
}

// ---- Walking the fixtures ----

fn inputs() -> PathBuf {
    root().join("inputs")
}

fn request_outcomes() -> Vec<Outcome> {
    let mut out = Vec::new();
    for (client_name, client) in CLIENTS {
        let dir = inputs().join("client").join(client_name);
        let scenarios = stems(&dir, "json");
        assert!(!scenarios.is_empty(), "no requests in {}", dir.display());
        for scenario in scenarios {
            let body = Bytes::from(fs::read(dir.join(format!("{scenario}.json"))).unwrap());
            let streamed = STREAMED_REQUESTS.contains(&scenario.as_str());
            let stream = match client {
                ClientApi::Gemini { .. } => streamed,
                _ => {
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    let stream = v["stream"] == true;
                    assert_eq!(stream, streamed, "{client_name}/{scenario}: `stream` flag");
                    stream
                }
            };
            for (up_name, upstream, model) in UPSTREAMS {
                let dir = pair_dir(client_name, up_name).join(&scenario);
                let (expected, actual) =
                    match upstream_request(client, upstream, model, &body, stream) {
                        Ok(sent) => (dir.join("upstream_request.json"), sent),
                        Err(e) => (dir.join("request_refused.json"), refusal(client, &e)),
                    };
                out.push(Outcome {
                    expected,
                    actual,
                    kind: Compare::Json,
                });
            }
        }
    }
    out
}

/// Upstream inputs, `(upstream, scenario, body)`: the streams (`.sse`), or the non-stream
/// answers (`.json`; Codex answers only in streams, so its `.sse` files serve, all but the
/// stream-only `error` scenario).
fn upstream_inputs(streams: bool) -> Vec<(usize, String, Bytes)> {
    let mut out = Vec::new();
    for (i, (up_name, upstream, _)) in UPSTREAMS.iter().enumerate() {
        let dir = inputs().join("upstream").join(up_name);
        let ext = if streams || *upstream == Format::OpenAiResponses {
            "sse"
        } else {
            "json"
        };
        for scenario in stems(&dir, ext) {
            if !streams && scenario == "error" {
                continue;
            }
            let body = fs::read(dir.join(format!("{scenario}.{ext}"))).unwrap();
            out.push((i, scenario, Bytes::from(body)));
        }
    }
    out
}

/// What every client gets for every upstream answer (`streams`: for every upstream stream).
fn answer_outcomes(streams: bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (i, scenario, body) in upstream_inputs(streams) {
        let (up_name, upstream, model) = UPSTREAMS[i];
        for (client_name, client) in CLIENTS {
            let dir = pair_dir(client_name, up_name).join(&scenario);
            out.push(if streams {
                Outcome {
                    expected: dir.join("stream.sse"),
                    actual: client_stream(client, upstream, model, &[&body]),
                    kind: Compare::Sse,
                }
            } else {
                Outcome {
                    expected: dir.join("response.json"),
                    actual: client_response(client, upstream, model, body.clone()),
                    kind: Compare::Json,
                }
            });
        }
    }
    out
}

fn error_outcomes() -> Vec<Outcome> {
    let mut out = Vec::new();
    for (up_name, upstream, _) in UPSTREAMS {
        let dir = inputs().join("upstream").join(up_name).join("errors");
        let statuses = stems(&dir, "json");
        assert!(!statuses.is_empty(), "no errors in {}", dir.display());
        for status in statuses {
            let code: u16 = status
                .parse()
                .expect("error files are named by HTTP status");
            let status_code = StatusCode::from_u16(code).unwrap();
            let body = fs::read(dir.join(format!("{status}.json"))).unwrap();
            for (client_name, client) in CLIENTS {
                let rendered =
                    translate::upstream_error_body(client.format(), upstream, status_code, &body);
                out.push(Outcome {
                    expected: pair_dir(client_name, up_name)
                        .join("errors")
                        .join(format!("{status}.json")),
                    actual: rendered.map_or_else(|| body.clone(), |b| b.to_vec()),
                    kind: Compare::Json,
                });
            }
        }
    }
    out
}

// ---- Tests ----

#[test]
fn requests_translate_as_the_goldens_say() {
    check(request_outcomes());
}

#[test]
fn responses_translate_as_the_goldens_say() {
    check(answer_outcomes(false));
}

#[test]
fn streams_translate_as_the_goldens_say() {
    check(answer_outcomes(true));
}

#[test]
fn upstream_errors_reach_clients_as_the_goldens_say() {
    check(error_outcomes());
}

/// Stream output does not depend on how the upstream's bytes arrive: every two-piece split
/// of every upstream stream, and byte-by-byte delivery, give the same client bytes.
#[test]
fn streams_do_not_depend_on_chunking() {
    for (i, scenario, body) in upstream_inputs(true) {
        let (up_name, upstream, model) = UPSTREAMS[i];
        for (client_name, client) in CLIENTS {
            let whole = client_stream(client, upstream, model, &[&body]);
            for cut in 1..body.len() {
                let (a, b) = body.split_at(cut);
                let split = client_stream(client, upstream, model, &[a, b]);
                assert!(
                    split == whole,
                    "{client_name}__{up_name}/{scenario}: split at byte {cut} changes the output"
                );
            }
            let bytes: Vec<&[u8]> = body.chunks(1).collect();
            assert!(
                client_stream(client, upstream, model, &bytes) == whole,
                "{client_name}__{up_name}/{scenario}: byte-by-byte delivery changes the output"
            );
        }
    }
}

/// Gemini clients that stream without `alt=sse` get a JSON array of the same chunks
/// (Google's default framing): the SSE goldens' data, element by element. Gemini → Gemini in
/// this framing goes through the IR, so its output is a re-encoding: it must keep the
/// upstream's content, checked by decoding both.
#[test]
fn gemini_json_array_streams_match_sse() {
    let array_client = ClientApi::Gemini { json_array: true };
    for (i, scenario, body) in upstream_inputs(true) {
        let (up_name, upstream, model) = UPSTREAMS[i];
        let array = client_stream(array_client, upstream, model, &[&body]);
        let array: Value = serde_json::from_slice(&array)
            .unwrap_or_else(|e| panic!("gemini__{up_name}/{scenario}: not a JSON array: {e}"));
        let sse_client = CLIENTS[3].1;
        let sse = client_stream(sse_client, upstream, model, &[&body]);
        let events = parse_sse(std::str::from_utf8(&sse).unwrap()).unwrap();
        let data: Vec<Value> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[1].clone())
            .collect();
        if upstream == Format::Gemini {
            // Passthrough SSE vs the IR's re-encoding: the same content, not the same chunks.
            let events_of = |frames: &[Value]| {
                let mut text = String::new();
                for f in frames {
                    text.push_str(&format!("data: {f}\n\n"));
                }
                translate::decode_stream_body(Format::Gemini, text.as_bytes())
                    .unwrap_or_else(|e| vec![cliproxy::ir::Event::Error { message: e.message }])
            };
            // A failed stream fails both ways; the IR re-wraps the error's message. Both
            // name the client's model in `modelVersion` and keep the upstream's `responseId`.
            let agg = |frames: &[Value]| {
                translate::aggregate::aggregate(
                    &events_of(frames),
                    translate::family(Format::Gemini),
                )
                .map_err(|_| ())
            };
            assert_eq!(
                agg(array.as_array().unwrap()),
                agg(&data),
                "gemini__gemini/{scenario}: the JSON-array stream changes the content"
            );
        } else {
            assert_eq!(
                array,
                Value::Array(data),
                "gemini__{up_name}/{scenario}: JSON-array framing differs from SSE"
            );
        }
    }
}

/// Every pair has its directory, and every file under the pair directories is a golden some
/// check reads (a renamed or deleted input leaves no stale expectation behind).
#[test]
fn no_pair_is_missing_and_no_golden_is_orphaned() {
    let mut expected: BTreeSet<PathBuf> = BTreeSet::new();
    for outcomes in [
        request_outcomes(),
        answer_outcomes(false),
        answer_outcomes(true),
        error_outcomes(),
    ] {
        expected.extend(outcomes.into_iter().map(|o| o.expected));
    }
    let mut on_disk = BTreeSet::new();
    let mut stack = Vec::new();
    for (client, _) in CLIENTS {
        for (upstream, _, _) in UPSTREAMS {
            let dir = pair_dir(client, upstream);
            assert!(dir.is_dir(), "missing pair directory {}", dir.display());
            stack.push(dir);
        }
    }
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                on_disk.insert(path);
            }
        }
    }
    let orphans: Vec<_> = on_disk.difference(&expected).collect();
    if bless() {
        for orphan in &orphans {
            fs::remove_file(orphan).unwrap();
            // Drops the scenario directory when it was the last file in it.
            let _ = fs::remove_dir(orphan.parent().unwrap());
        }
    } else {
        assert!(orphans.is_empty(), "goldens no check reads: {orphans:#?}");
    }
    let entries: BTreeSet<String> = fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut known: BTreeSet<String> = ["inputs", "README.md"].map(String::from).into();
    for (client, _) in CLIENTS {
        for (upstream, _, _) in UPSTREAMS {
            known.insert(format!("{client}__{upstream}"));
        }
    }
    let unknown: Vec<_> = entries.difference(&known).collect();
    assert!(unknown.is_empty(), "unexpected entries: {unknown:?}");
}
