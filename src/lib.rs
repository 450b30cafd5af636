//! cliproxy library.

pub mod config;
