//! Token usage as the gateway records it, independent of any wire format.
//! Pure values; aggregation and persistence come with the usage statistics work.

/// Token counts of one request. `None` when the upstream did not report a figure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Prompt tokens, including cached ones.
    pub input: u64,
    /// Completion tokens, including reasoning ones.
    pub output: u64,
    /// Prompt tokens served from the provider's cache.
    pub cached: u64,
    /// Completion tokens spent on reasoning.
    pub reasoning: u64,
    /// Total as reported (input + output when the upstream gives none).
    pub total: u64,
}

impl From<&crate::ir::Usage> for Tokens {
    /// The log's view of IR usage: cache reads count as cached, and the total is input plus
    /// output.
    fn from(u: &crate::ir::Usage) -> Self {
        Tokens {
            input: u.input,
            output: u.output,
            cached: u.cache_read,
            reasoning: u.reasoning,
            total: u.total(),
        }
    }
}
