//! The Google Gemini `generateContent` codec: client requests and upstream responses and
//! streams ⇄ the IR, `countTokens`, schema cleaning for function declarations, and the Cloud
//! Code Assist envelope helpers for the Gemini CLI and Antigravity upstreams. The model is in
//! the URL, never in the body. Pure, no I/O.

mod cli;
mod parts;
mod request;
mod response;
pub mod schema;
mod stream;

#[cfg(test)]
mod tests;

pub use cli::{unwrap_cli_response, wrap_cli_request};
pub use request::{decode_count_tokens, decode_request, encode_request};
pub use response::{decode_response, encode_count_tokens_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};
