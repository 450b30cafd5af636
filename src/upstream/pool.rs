//! Per-worker keep-alive pool of upstream HTTP/1.1 connections, keyed by scheme, host and
//! port. Single-threaded (`Rc`/`RefCell`): each core has its own, so no lock is taken.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;

/// hyper's request handle for one connection.
pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

struct Idle {
    sender: Sender,
    since: Instant,
}

/// Idle connections per upstream.
pub struct Pool {
    idle: RefCell<HashMap<Rc<str>, Vec<Idle>>>,
    max_idle: usize,
    idle_timeout: Duration,
}

impl Pool {
    /// A pool keeping at most `max_idle` idle connections per upstream for `idle_timeout`.
    pub fn new(max_idle: usize, idle_timeout: Duration) -> Self {
        Pool {
            idle: RefCell::new(HashMap::new()),
            max_idle,
            idle_timeout,
        }
    }

    /// Takes the most recently used live connection to `key`, discarding stale ones.
    pub fn checkout(&self, key: &str) -> Option<Sender> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(key)?;
        while let Some(c) = list.pop() {
            if c.since.elapsed() <= self.idle_timeout && c.sender.is_ready() {
                return Some(c.sender);
            }
        }
        None
    }

    fn checkin(&self, key: Rc<str>, sender: Sender) {
        if self.max_idle == 0 || !sender.is_ready() {
            return;
        }
        let mut idle = self.idle.borrow_mut();
        let list = idle.entry(key).or_default();
        if list.len() >= self.max_idle {
            list.remove(0);
        }
        list.push(Idle {
            sender,
            since: Instant::now(),
        });
    }

    /// Number of idle connections to `key` (for tests and diagnostics).
    pub fn idle_count(&self, key: &str) -> usize {
        self.idle.borrow().get(key).map_or(0, Vec::len)
    }
}

/// A connection lent out for one request. [`Pooled::release`] returns it once the response
/// body was read completely; dropping it instead closes the connection.
pub struct Pooled {
    sender: Sender,
    key: Rc<str>,
    pool: Weak<Pool>,
}

impl Pooled {
    /// Wraps a connection that belongs to `pool`.
    pub fn new(sender: Sender, key: Rc<str>, pool: &Rc<Pool>) -> Self {
        Pooled {
            sender,
            key,
            pool: Rc::downgrade(pool),
        }
    }

    /// Puts the connection back for reuse.
    pub fn release(self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.checkin(self.key, self.sender);
        }
    }
}
