//! The credentials loaded from `auth-dir` that need an access token, and their current tokens.
//! The control thread mints tokens and publishes them here; workers read them lock-free (one
//! `ArcSwap` load) and, when a token is missing, expired or refused, ask the control thread for
//! a new one over a channel and await the answer without blocking their core.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use super::file::VertexFile;
use crate::config::Secret;

/// An access token and when it stops being usable.
#[derive(Debug)]
pub struct Token {
    value: Secret,
    issued_at: Instant,
    expires_at: Instant,
    generation: u64,
}

/// Tokens this close to expiry are no longer handed out: a request sent with one could arrive
/// after it expired. Short-lived tokens use a quarter of their lifetime instead.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

impl Token {
    /// The bearer token.
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// Which token this is for its credential: 1 for the first minted, then counting up.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When the token expires.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// Whether a request sent at `now` may still use it.
    pub fn is_usable(&self, now: Instant) -> bool {
        let lifetime = self.expires_at.saturating_duration_since(self.issued_at);
        now + EXPIRY_MARGIN.min(lifetime / 4) < self.expires_at
    }
}

/// One credential with its current token.
#[derive(Debug)]
pub struct Account {
    /// The credential as read from its file.
    pub file: VertexFile,
    /// The file name relative to `auth-dir`: the credential's id in labels and logs.
    pub name: String,
    token: ArcSwapOption<Token>,
}

impl Account {
    /// A credential with no token yet.
    pub fn new(name: String, file: VertexFile) -> Account {
        Account {
            file,
            name,
            token: ArcSwapOption::empty(),
        }
    }

    /// The current token if a request sent at `now` may use it.
    pub fn token(&self, now: Instant) -> Option<Arc<Token>> {
        self.token.load_full().filter(|t| t.is_usable(now))
    }

    /// The generation of the current token, usable or not (0 when none was minted).
    pub fn generation(&self) -> u64 {
        self.token.load().as_ref().map_or(0, |t| t.generation)
    }

    /// Publishes a token minted at `now`, valid for `lifetime`; returns its generation.
    pub fn publish(&self, value: Secret, now: Instant, lifetime: Duration) -> u64 {
        let generation = self.generation() + 1;
        self.token.store(Some(Arc::new(Token {
            value,
            issued_at: now,
            expires_at: now + lifetime,
            generation,
        })));
        generation
    }
}

/// Why no fresh token could be had. The message names the credential's file and what went
/// wrong, never key or token material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RefreshError {
    /// The token endpoint refused the credential (a 4xx answer): retrying soon will not help.
    pub refused: bool,
    /// What happened.
    pub message: String,
}

impl RefreshError {
    /// A failure that may pass (network, timeout, the loop being busy or gone).
    pub fn transient(message: impl Into<String>) -> RefreshError {
        RefreshError {
            refused: false,
            message: message.into(),
        }
    }
}

/// A message to the control thread's refresh loop.
#[derive(Debug)]
pub enum Request {
    /// "The token of account `account` with generation `stale` is missing, expired or was
    /// refused: get a newer one and tell me." Answered at once when a newer token exists.
    Refresh {
        /// Index in [`Accounts::list`].
        account: usize,
        /// The generation the asker saw (0 for none).
        stale: u64,
        /// Where the answer goes.
        reply: flume::Sender<Result<(), RefreshError>>,
    },
    /// Stop the loop.
    Stop,
}

/// Every token-bearing credential, in load order, plus the channel to the refresh loop.
#[derive(Debug)]
pub struct Accounts {
    list: Vec<Account>,
    requests: flume::Sender<Request>,
}

impl Accounts {
    /// Wraps `list`; the receiver is for the control thread's refresh loop.
    pub fn new(list: Vec<Account>) -> (Arc<Accounts>, flume::Receiver<Request>) {
        let (requests, rx) = flume::unbounded();
        (Arc::new(Accounts { list, requests }), rx)
    }

    /// No credentials (and nobody listening).
    pub fn empty() -> Arc<Accounts> {
        Accounts::new(Vec::new()).0
    }

    /// Every credential, indexed as slots refer to them.
    pub fn list(&self) -> &[Account] {
        &self.list
    }

    /// The credential at `index`.
    pub fn get(&self, index: usize) -> Option<&Account> {
        self.list.get(index)
    }

    /// Asks the refresh loop for a token newer than `stale`; the answer arrives on the returned
    /// receiver. Never blocks. `None` when the refresh loop has stopped.
    pub fn request_refresh(
        &self,
        account: usize,
        stale: u64,
    ) -> Option<flume::Receiver<Result<(), RefreshError>>> {
        let (reply, answer) = flume::bounded(1);
        self.requests
            .send(Request::Refresh {
                account,
                stale,
                reply,
            })
            .ok()?;
        Some(answer)
    }

    /// Tells the refresh loop to stop (at its next wake-up).
    pub fn stop(&self) {
        let _ = self.requests.send(Request::Stop);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::file::{self, AuthFile};
    use crate::auth::vertex::tests::sa_json;

    pub(crate) fn account(name: &str) -> Account {
        let bytes =
            serde_json::to_vec(&serde_json::json!({"type":"vertex","service_account":sa_json()}))
                .unwrap();
        let Ok(AuthFile::Vertex(f)) = file::parse(&bytes) else {
            panic!("test file parses")
        };
        Account::new(name.into(), *f)
    }

    #[test]
    fn tokens_are_published_with_growing_generations_and_expire() {
        let a = account("vertex-p.json");
        let t0 = Instant::now();
        assert!(a.token(t0).is_none());
        assert_eq!(a.generation(), 0);
        assert_eq!(
            a.publish(Secret::new("t1"), t0, Duration::from_secs(3600)),
            1
        );
        let t = a.token(t0).unwrap();
        assert_eq!(t.value().expose(), "t1");
        assert_eq!(t.generation(), 1);
        assert!(a.token(t0 + Duration::from_secs(3595)).is_none(), "margin");
        assert!(a.token(t0 + Duration::from_secs(3600)).is_none());
        assert_eq!(a.publish(Secret::new("t2"), t0, Duration::from_secs(60)), 2);
        assert_eq!(a.generation(), 2);
        assert!(!format!("{a:?}").contains("t2"));
    }

    #[test]
    fn refresh_requests_reach_the_loop_until_it_is_gone() {
        let (accounts, rx) = Accounts::new(vec![account("a.json")]);
        let answer = accounts.request_refresh(0, 0).unwrap();
        let Ok(Request::Refresh {
            account,
            stale,
            reply,
        }) = rx.try_recv()
        else {
            panic!("a refresh request")
        };
        assert_eq!((account, stale), (0, 0));
        reply.send(Ok(())).unwrap();
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
        accounts.stop();
        assert!(matches!(rx.try_recv(), Ok(Request::Stop)));
        drop(rx);
        assert!(accounts.request_refresh(0, 0).is_none());
    }
}
