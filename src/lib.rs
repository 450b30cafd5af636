//! cliproxy: a thread-per-core AI API gateway. One endpoint that speaks the OpenAI, Anthropic
//! and Gemini APIs in front of many upstream accounts.
//!
//! The core (`config`, `protocol`, `route`, `auth`, `provider`, `translate`) is synchronous and
//! runtime-free; only `server` and `upstream` name an async runtime (monoio or tokio). `control`
//! (the control thread) and `store` (files on disk) do blocking I/O on their own thread.

pub mod auth;
pub mod config;
pub mod control;
pub mod error;
pub mod ir;
pub mod logline;
pub mod protocol;
pub mod provider;
pub mod route;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod translate;
pub mod upstream;
pub mod usage;
