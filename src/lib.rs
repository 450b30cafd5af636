//! cliproxy library.
