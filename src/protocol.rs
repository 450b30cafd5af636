//! Wire formats: the four client APIs' types, their error bodies, SSE framing and the JSON
//! backend. Plain data and (de)serialisation only: no routing, no translation, no I/O.

pub mod claude;
pub mod gemini;
pub mod json;
pub mod openai;
pub mod responses;
pub mod sse;

use bytes::Bytes;
use http::StatusCode;

use crate::error::Error;

/// A wire API, named after the API rather than the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// OpenAI Chat Completions (`/v1/chat/completions`).
    OpenAiChat,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// Anthropic Messages (`/v1/messages`).
    Claude,
    /// Google Gemini (`/v1beta/models/...`).
    Gemini,
}

impl Format {
    /// Renders `err` in this API's own error shape.
    pub fn error_body(self, err: &Error) -> Bytes {
        match self {
            Format::OpenAiChat | Format::OpenAiResponses => openai::error_body(err),
            Format::Claude => claude::error_body(err),
            Format::Gemini => gemini::error_body(err),
        }
    }

    /// Renders `err` as the answer to HTTP `status` when that is not `err.status()` (an
    /// upstream's status passed through): Gemini bodies repeat the status as their `code`;
    /// the other shapes carry no status.
    pub fn error_body_with_status(self, err: &Error, status: StatusCode) -> Bytes {
        match self {
            Format::Gemini => gemini::error_body_with_status(err, status),
            _ => self.error_body(err),
        }
    }

    /// The format whose error shape a client on `path` expects.
    pub fn for_path(path: &str) -> Format {
        if path.starts_with("/v1/messages") {
            Format::Claude
        } else if path.starts_with("/v1beta") || is_gemini_v1_action(path) {
            Format::Gemini
        } else if path.starts_with("/v1/responses") {
            Format::OpenAiResponses
        } else {
            Format::OpenAiChat
        }
    }
}

/// google-genai >= 3 calls `/v1/models/{model}:action`: a Gemini path under `/v1`.
fn is_gemini_v1_action(path: &str) -> bool {
    path.strip_prefix("/v1/models/")
        .is_some_and(|rest| rest.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape_follows_the_path() {
        assert_eq!(Format::for_path("/v1/messages"), Format::Claude);
        assert_eq!(
            Format::for_path("/v1/messages/count_tokens"),
            Format::Claude
        );
        assert_eq!(
            Format::for_path("/v1beta/models/gemini-2.5-pro:generateContent"),
            Format::Gemini
        );
        assert_eq!(
            Format::for_path("/v1/models/gemini-2.5-pro:generateContent"),
            Format::Gemini
        );
        assert_eq!(Format::for_path("/v1/models"), Format::OpenAiChat);
        assert_eq!(Format::for_path("/v1/responses"), Format::OpenAiResponses);
        assert_eq!(Format::for_path("/v1/chat/completions"), Format::OpenAiChat);
    }
}
