//! The Cloud Code Assist (`v1internal`) envelope that Gemini CLI and Antigravity upstreams
//! wrap around Gemini bodies: `{"model","project","request":{…}}` going up and
//! `{"response":{…}}` coming back (per body, or per stream chunk). Thin wrappers so those
//! providers reuse this codec. Pure, no I/O.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Kind};
use crate::protocol::json;

/// Wraps a Gemini request body (`inner`, a JSON object such as [`super::encode_request`]
/// produced) for `v1internal:generateContent`: `{"model":…,"project":…,"request":inner}`.
pub fn wrap_cli_request(inner: &[u8], model: &str, project: &str) -> Vec<u8> {
    let model = json::string_literal(model);
    let project = json::string_literal(project);
    let mut out = Vec::with_capacity(inner.len() + model.len() + project.len() + 32);
    out.extend_from_slice(b"{\"model\":");
    out.extend_from_slice(&model);
    out.extend_from_slice(b",\"project\":");
    out.extend_from_slice(&project);
    out.extend_from_slice(b",\"request\":");
    out.extend_from_slice(inner);
    out.push(b'}');
    out
}

/// The Gemini response inside a `v1internal` answer or stream chunk (`{"response":{…}}`),
/// borrowed from `body`.
///
/// # Errors
/// `UpstreamProtocol` when the body is not JSON or has no `response` object.
pub fn unwrap_cli_response(body: &[u8]) -> Result<&RawValue, Error> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        response: Option<&'a RawValue>,
    }
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            Kind::UpstreamProtocol,
            format!("invalid Cloud Code Assist response: {e}"),
        )
    })?;
    env.response
        .filter(|r| r.get().starts_with('{'))
        .ok_or_else(|| {
            Error::new(
                Kind::UpstreamProtocol,
                "Cloud Code Assist response has no `response` object",
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn wraps_a_request_in_the_envelope() {
        let out = wrap_cli_request(br#"{"contents":[]}"#, "gemini-2.5-pro", "proj-\"1\"");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model": "gemini-2.5-pro", "project": "proj-\"1\"", "request": {"contents": []}})
        );
    }

    #[test]
    fn unwraps_a_response_and_rejects_bodies_without_one() {
        let body = br#"{"response":{"candidates":[]},"traceId":"t"}"#;
        assert_eq!(
            unwrap_cli_response(body).unwrap().get(),
            r#"{"candidates":[]}"#
        );
        for bad in [
            &br#"{"candidates":[]}"#[..],
            b"{\"response\":null}",
            b"[1]",
            b"nope",
        ] {
            let err = unwrap_cli_response(bad).unwrap_err();
            assert_eq!(err.kind, Kind::UpstreamProtocol);
        }
    }
}
