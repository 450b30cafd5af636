//! cliproxy library.

pub mod protocol;
