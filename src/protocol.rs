//! Wire protocols spoken to clients and upstreams: framing and wire types.
//! Pure code over bytes and values: no I/O, no runtime, no knowledge of `translate` or `provider`.

pub mod sse;
