use bytes::BytesMut;

use super::{fixture, golden_json, golden_sse};
use crate::error::Kind;
use crate::ir::{self, Block, BlockKind, Delta, Event, Role, StopReason, Usage};
use crate::translate::openai::{
    decode_completion_request, encode_completion_response, CompletionStreamEncoder,
};

#[test]
fn legacy_prompt_becomes_one_user_message() {
    let req = decode_completion_request(&fixture("completion/basic.json")).unwrap();
    assert_eq!(
        req,
        ir::Request {
            model: "gpt-3.5-turbo-instruct".into(),
            messages: vec![ir::Message {
                role: Role::User,
                content: vec![Block::Text("Say this is a test".into())],
            }],
            sampling: ir::Sampling {
                temperature: Some(0.0),
                max_tokens: Some(7),
                stop: vec!["\n".into()],
                ..ir::Sampling::default()
            },
            ..ir::Request::default()
        }
    );
}

#[test]
fn prompt_forms() {
    let prompt = |p: &str| {
        decode_completion_request(format!(r#"{{"model":"m","prompt":{p}}}"#).as_bytes())
            .map(|r| r.messages[0].content[0].clone())
    };
    assert_eq!(
        prompt(r#"["only one"]"#).unwrap(),
        Block::Text("only one".into())
    );
    assert_eq!(
        prompt(r#""""#).unwrap(),
        Block::Text("Complete this:".into())
    );
    assert_eq!(
        prompt("null").unwrap(),
        Block::Text("Complete this:".into())
    );
    assert_eq!(prompt("[]").unwrap(), Block::Text("Complete this:".into()));
    for (bad, needle) in [
        (r#"["a","b"]"#, "several prompts"),
        ("[1,2,3]", "token-id"),
        ("[[1,2]]", "token-id"),
        ("7", "token-id"),
    ] {
        let err = prompt(bad).unwrap_err();
        assert_eq!(err.kind, Kind::InvalidRequest);
        assert!(err.message.contains(needle), "{bad}: {}", err.message);
    }
}

#[test]
fn options_chat_cannot_honour_are_rejected() {
    for (body, needle) in [
        (r#"{"model":"m","prompt":"x","suffix":"y"}"#, "suffix"),
        (r#"{"model":"m","prompt":"x","echo":true}"#, "echo"),
        (r#"{"model":"m","prompt":"x","best_of":3}"#, "best_of"),
        (r#"{"prompt":"x"}"#, "model"),
        ("{", "invalid completion request"),
    ] {
        let err = decode_completion_request(body.as_bytes()).unwrap_err();
        assert!(err.message.contains(needle), "{body}: {}", err.message);
    }
    assert!(decode_completion_request(
        br#"{"model":"m","prompt":"x","echo":false,"best_of":1,"suffix":""}"#
    )
    .is_ok());
}

#[test]
fn response_is_a_text_completion() {
    let resp = ir::Response {
        id: "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7".into(),
        model: "client-model".into(),
        created: 1_589_478_378,
        content: vec![
            Block::Thinking {
                text: "hidden".into(),
                signature: None,
            },
            Block::Text("\n\nThis is ".into()),
            Block::Text("indeed a test".into()),
        ],
        stop: StopReason::MaxTokens,
        usage: Usage {
            input: 5,
            output: 7,
            ..Usage::default()
        },
    };
    golden_json(
        "completion/response.client.json",
        &encode_completion_response(&resp),
    );
}

#[test]
fn stream_is_text_completion_chunks() {
    let events = [
        Event::Start {
            id: "up".into(),
            model: "upstream".into(),
        },
        Event::BlockStart {
            index: 0,
            kind: BlockKind::Thinking,
        },
        Event::Delta {
            index: 0,
            delta: Delta::Thinking("hmm".into()),
        },
        Event::BlockStop { index: 0 },
        Event::BlockStart {
            index: 1,
            kind: BlockKind::Text,
        },
        Event::Delta {
            index: 1,
            delta: Delta::Text("This is".into()),
        },
        Event::Delta {
            index: 1,
            delta: Delta::Text(" a \"test\"".into()),
        },
        Event::BlockStop { index: 1 },
        Event::Usage(Usage {
            input: 5,
            output: 3,
            ..Usage::default()
        }),
        Event::Finish {
            stop: StopReason::EndTurn,
        },
    ];
    let mut enc =
        CompletionStreamEncoder::new("client-model", "cmpl-1").with_created(1_700_000_000);
    let mut out = BytesMut::new();
    for ev in &events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    enc.finish(&mut out);
    golden_sse("completion/stream.client.sse", &out);

    let mut enc = CompletionStreamEncoder::new("m", "c").with_usage(false);
    let mut out = BytesMut::new();
    for ev in &events {
        enc.push(ev, &mut out);
    }
    enc.finish(&mut out);
    let frames = super::sse_frames(&out);
    assert_eq!(frames.len(), 4, "two text chunks, the finish chunk, [DONE]");
}
