//! Routing: the endpoint table, the model table (client-visible model id → credential slots),
//! credential selection, cooldowns, upstream-failure classification, failover and session
//! affinity. Pure: no I/O, never names a runtime; time is always passed in (`now: Instant`).

mod affinity;
pub mod classify;
mod cooldown;
mod failover;
mod select;
mod table;

use http::Method;

use crate::protocol::Format;

pub use affinity::{chat_session, Affinity, SessionKey};
pub use classify::{Outcome, Penalty, Reason};
pub use cooldown::{CooldownView, Cooldowns};
pub use failover::{Exhausted, Failover, Policy, Step};
pub use select::{pick, Cursors, Tried};
pub use table::{Listed, Route, Slot, SlotId, Table};

/// What a request asks the gateway to do, decided from method and path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /healthz`.
    Health,
    /// `GET /`: names the server and its endpoints.
    Root,
    /// `GET /v1/models`.
    Models,
    /// `POST /v1/chat/completions`.
    ChatCompletions,
    /// `OPTIONS` on any path: CORS preflight.
    Preflight,
}

impl Endpoint {
    /// Whether the endpoint needs a client key.
    pub fn needs_auth(self) -> bool {
        matches!(self, Endpoint::Models | Endpoint::ChatCompletions)
    }
}

/// Why a (method, path) pair has no endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEndpoint {
    /// The path is served, but not with this method.
    Method,
    /// The path is not served.
    Path,
}

/// The public paths, for `GET /` and for 405 decisions.
pub const PATHS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
];

/// Maps a request line to an endpoint.
pub fn endpoint(method: &Method, path: &str) -> Result<Endpoint, NoEndpoint> {
    if method == Method::OPTIONS {
        return Ok(Endpoint::Preflight);
    }
    let found = match path {
        "/" => Some((Method::GET, Endpoint::Root)),
        "/healthz" => Some((Method::GET, Endpoint::Health)),
        "/v1/models" => Some((Method::GET, Endpoint::Models)),
        "/v1/chat/completions" => Some((Method::POST, Endpoint::ChatCompletions)),
        _ => None,
    };
    match found {
        Some((m, e)) if m == method || (m == Method::GET && method == Method::HEAD) => Ok(e),
        Some(_) => Err(NoEndpoint::Method),
        None => Err(NoEndpoint::Path),
    }
}

/// The client format an endpoint speaks.
pub fn format_of(endpoint: Endpoint, path: &str) -> Format {
    match endpoint {
        Endpoint::ChatCompletions => Format::OpenAiChat,
        _ => Format::for_path(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(endpoint(&Method::GET, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(endpoint(&Method::HEAD, "/"), Ok(Endpoint::Root));
        assert_eq!(
            endpoint(&Method::POST, "/v1/chat/completions"),
            Ok(Endpoint::ChatCompletions)
        );
        assert_eq!(
            endpoint(&Method::GET, "/v1/chat/completions"),
            Err(NoEndpoint::Method)
        );
        assert_eq!(endpoint(&Method::GET, "/nope"), Err(NoEndpoint::Path));
        assert_eq!(
            endpoint(&Method::OPTIONS, "/anything"),
            Ok(Endpoint::Preflight)
        );
        assert!(Endpoint::ChatCompletions.needs_auth());
        assert!(!Endpoint::Health.needs_auth());
    }
}
