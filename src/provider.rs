//! Upstream kinds: for each, how to build the upstream request (URL, headers, auth) from an
//! already-translated body. Pure: no I/O, no runtime.

pub mod openai_compat;
