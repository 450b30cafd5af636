//! Translation between wire formats. Same-format traffic takes the passthrough lane
//! (raw bytes plus targeted patches). Pure: no I/O, no knowledge of providers.

pub mod ids;
pub mod openai;
pub mod passthrough;
pub mod thinking;
