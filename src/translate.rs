//! Translation between wire formats. Same-format traffic takes the passthrough lane
//! (raw bytes plus targeted patches). Pure: no I/O, no knowledge of providers.

pub mod aggregate;
pub mod claude;
pub mod count;
pub mod gemini;
pub mod ids;
pub mod openai;
pub mod passthrough;
pub mod payload;
pub mod responses;
pub mod thinking;
