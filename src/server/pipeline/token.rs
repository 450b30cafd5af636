//! Access tokens on the request path: a service-account slot takes its credential's published
//! token, or asks the control thread for one and awaits it without blocking the core.

use std::sync::Arc;
use std::time::Instant;

use super::Worker;
use crate::auth::accounts::{RefreshError, Token};
use crate::error::{Error, Kind};
use crate::snapshot::Snapshot;
use crate::upstream::{self, Runtime};

/// How long a request waits for the control thread to mint a token.
const TOKEN_WAIT: std::time::Duration = std::time::Duration::from_secs(45);

/// The access token for the service account at `index`: the published one, or a new one from
/// the control thread when there is none yet or it expired. The wait does not block the core.
pub(super) async fn account_token<R: Runtime>(
    w: &Worker<R>,
    snap: &Snapshot,
    index: usize,
) -> Result<Arc<Token>, RefreshError> {
    let account = snap
        .accounts
        .get(index)
        .ok_or_else(|| RefreshError::transient("routing table out of date"))?;
    if let Some(t) = account.token(Instant::now()) {
        return Ok(t);
    }
    refresh_token(w, snap, index, account.generation()).await?;
    account
        .token(Instant::now())
        .ok_or_else(|| RefreshError::transient("the new access token is already expired"))
}

/// Asks the control thread for a token newer than generation `stale` and waits for it.
pub(super) async fn refresh_token<R: Runtime>(
    w: &Worker<R>,
    snap: &Snapshot,
    index: usize,
    stale: u64,
) -> Result<(), RefreshError> {
    let answer = snap
        .accounts
        .request_refresh(index, stale)
        .ok_or_else(|| RefreshError::transient("the token refresh loop is not running"))?;
    match upstream::timeout(&w.rt, Some(TOKEN_WAIT), answer.recv_async()).await {
        Some(Ok(result)) => result,
        Some(Err(_)) => Err(RefreshError::transient("the token refresh loop stopped")),
        None => Err(RefreshError::transient("no access token in time")),
    }
}

/// What the client hears when a service account has no token; the control thread's log says why.
pub(super) fn token_error(label: &str) -> Error {
    Error::new(
        Kind::UpstreamUnavailable,
        format!("no access token could be obtained for Vertex credential {label}"),
    )
}
