//! cliproxy library.

pub mod config;
pub mod protocol;
