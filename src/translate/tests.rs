//! Tests of the per-pair chain's own pieces: thinking suffixes, upstream error bodies, and
//! the response-id rule streams and whole answers share.

mod suffix_tests {
    use crate::translate::*;

    #[test]
    fn thinking_suffixes() {
        let (m, r) = split_thinking_suffix("gemini-2.5-pro(8192)");
        assert_eq!(m, "gemini-2.5-pro");
        let r = r.unwrap();
        assert_eq!((r.budget, r.effort), (Some(8192), Some(ir::Effort::Medium)));
        let (m, r) = split_thinking_suffix("claude-sonnet-4(high)");
        assert_eq!(m, "claude-sonnet-4");
        assert_eq!(r.unwrap().effort, Some(ir::Effort::High));
        assert_eq!(split_thinking_suffix("m(none)").1.unwrap().budget, Some(0));
        assert_eq!(
            split_thinking_suffix("m(-1)").1.unwrap().effort,
            Some(ir::Effort::Auto)
        );
        for whole in ["plain", "m(bogus)", "(high)", "m(high", "vendor/m(x)"] {
            assert_eq!(split_thinking_suffix(whole), (whole, None), "{whole}");
        }
    }
}

mod error_tests {
    use crate::translate::*;

    fn rendered(client: Format, upstream: Format, status: u16, body: &str) -> serde_json::Value {
        let status = StatusCode::from_u16(status).unwrap();
        let out = upstream_error_body(client, upstream, status, body.as_bytes()).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn upstream_errors_keep_their_status_in_gemini_bodies() {
        let overloaded =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        for (status, name) in [
            (529, "UNAVAILABLE"),
            (503, "UNAVAILABLE"),
            (500, "INTERNAL"),
            (403, "UNAUTHENTICATED"),
            (429, "RESOURCE_EXHAUSTED"),
        ] {
            let v = rendered(Format::Gemini, Format::Claude, status, overloaded);
            assert_eq!(v["error"]["code"], status, "{status}");
            assert_eq!(v["error"]["status"], name, "{status}");
            assert_eq!(v["error"]["message"], "Overloaded");
        }
        let v = rendered(
            Format::OpenAiChat,
            Format::Gemini,
            500,
            r#"{"error":{"message":"boom"}}"#,
        );
        assert_eq!(v["error"]["type"], "server_error");
        let v = rendered(
            Format::Claude,
            Format::Gemini,
            502,
            "<html>bad gateway</html>",
        );
        assert_eq!(v["error"]["type"], "api_error");
        assert_eq!(v["error"]["message"], "upstream answered 502 Bad Gateway");
    }

    #[test]
    fn an_upstream_429_is_a_rate_limit_not_the_gateways_cooldown() {
        let claude =
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
        for client in [Format::OpenAiChat, Format::OpenAiResponses] {
            let v = rendered(client, Format::Claude, 429, claude);
            assert_eq!(v["error"]["code"], "rate_limit_exceeded", "{client:?}");
            assert_eq!(v["error"]["type"], "rate_limit_error");
            assert_eq!(v["error"]["message"], "slow down");
            assert!(v["error"].get("reset_seconds").is_none());
        }
        let v = rendered(
            Format::Claude,
            Format::Gemini,
            429,
            r#"{"error":{"message":"q"}}"#,
        );
        assert_eq!(v["error"]["type"], "rate_limit_error");
        let v = rendered(
            Format::Gemini,
            Format::OpenAiChat,
            429,
            r#"{"error":{"message":"q"}}"#,
        );
        assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    }

    #[test]
    fn chat_and_responses_errors_keep_type_code_and_param() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let v = rendered(Format::OpenAiResponses, Format::OpenAiChat, 429, quota);
        assert_eq!(v["error"]["code"], "insufficient_quota");
        assert_eq!(v["error"]["type"], "insufficient_quota");
        let bad = r#"{"error":{"message":"bad","type":"invalid_request_error","param":"input[1]","code":"invalid_value"},"extra":1}"#;
        let v = rendered(Format::OpenAiChat, Format::OpenAiResponses, 400, bad);
        assert_eq!(
            v,
            serde_json::json!({"error":{"message":"bad","type":"invalid_request_error","param":"input[1]","code":"invalid_value"}})
        );
        // Not an OpenAI error object: re-rendered from the status.
        for body in [r#"{"error":"plain"}"#, "<html>", r#"{"error":{"code":5}}"#] {
            let v = rendered(Format::OpenAiChat, Format::OpenAiResponses, 400, body);
            assert_eq!(v["error"]["type"], "invalid_request_error", "{body}");
            assert!(v["error"]["message"].is_string(), "{body}");
        }
    }

    #[test]
    fn same_format_errors_pass_through() {
        let status = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(
            upstream_error_body(Format::Claude, Format::Claude, status, b"{}"),
            None
        );
    }
}

mod id_tests {
    use crate::translate::*;

    const CLAUDE_STREAM: &str = concat!(
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_up\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n",
    );

    const CLAUDE_ANSWER: &str = r#"{"id":"msg_up","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}}"#;

    fn reply(client: ClientApi, stream: bool) -> Reply<'static> {
        Reply {
            client,
            model: "alias",
            id: "gw-id",
            created: 1,
            stream,
            wants_usage: false,
            tool_names: None,
        }
    }

    fn stream(client: ClientApi, input: &str) -> String {
        let mut t = Transcoder::new(Format::Claude, &reply(client, true));
        let mut out = BytesMut::new();
        assert!(t.push(input.as_bytes(), &mut out));
        t.finish(&mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn streams_and_whole_answers_carry_the_upstreams_id() {
        let clients = [
            ClientApi::Chat,
            ClientApi::Completions,
            ClientApi::Responses,
            ClientApi::Gemini { json_array: false },
        ];
        for client in clients {
            let streamed = stream(client, CLAUDE_STREAM);
            assert!(streamed.contains("msg_up"), "{client:?}: {streamed}");
            assert!(!streamed.contains("gw-id"), "{client:?}: {streamed}");
            let (whole, _) = translate_response(
                Format::Claude,
                CLAUDE_ANSWER.as_bytes(),
                false,
                &reply(client, false),
            )
            .unwrap();
            let whole = String::from_utf8(whole).unwrap();
            assert!(whole.contains("msg_up"), "{client:?}: {whole}");
        }
    }

    #[test]
    fn the_gateways_id_stands_in_when_the_upstream_gives_none() {
        let no_id = CLAUDE_STREAM.replace("\"id\":\"msg_up\",", "");
        let streamed = stream(ClientApi::Chat, &no_id);
        assert!(streamed.contains("\"id\":\"gw-id\""), "{streamed}");
        let early_error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n";
        let streamed = stream(ClientApi::Responses, early_error);
        assert!(streamed.contains("\"id\":\"gw-id\""), "{streamed}");
        let whole = CLAUDE_ANSWER.replace("\"id\":\"msg_up\",", "");
        let (whole, _) = translate_response(
            Format::Claude,
            whole.as_bytes(),
            false,
            &reply(ClientApi::Chat, false),
        )
        .unwrap();
        assert!(String::from_utf8(whole)
            .unwrap()
            .contains("\"id\":\"gw-id\""));
    }
}
