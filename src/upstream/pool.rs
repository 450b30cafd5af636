//! Per-worker keep-alive pool of upstream HTTP/1.1 connections, keyed by scheme, host, port
//! and proxy. Single-threaded (`Rc`/`RefCell`): each core has its own, so no lock is taken.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

struct Idle<C> {
    conn: C,
    since: Instant,
}

/// Idle connections per upstream. Keys are upstream URLs from the config, never a client's
/// words, so the map uses a fast non-keyed hash.
pub struct Pool<C> {
    idle: RefCell<FxHashMap<Rc<str>, Vec<Idle<C>>>>,
    max_idle: usize,
    idle_timeout: Duration,
}

impl<C> Pool<C> {
    /// A pool keeping at most `max_idle` idle connections per upstream for `idle_timeout`.
    pub fn new(max_idle: usize, idle_timeout: Duration) -> Self {
        Pool {
            idle: RefCell::new(FxHashMap::default()),
            max_idle,
            idle_timeout,
        }
    }

    /// Takes the most recently used connection to `key`, discarding expired ones. It may
    /// still have been closed by the upstream while idle; the caller finds out on use.
    pub fn checkout(&self, key: &str) -> Option<C> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(key)?;
        while let Some(c) = list.pop() {
            if c.since.elapsed() <= self.idle_timeout {
                return Some(c.conn);
            }
        }
        None
    }

    fn checkin(&self, key: Rc<str>, conn: C) {
        if self.max_idle == 0 {
            return;
        }
        let mut idle = self.idle.borrow_mut();
        let list = idle.entry(key).or_default();
        // The list is oldest first: expired connections are closed here rather than
        // lingering until the next checkout.
        let now = Instant::now();
        let expired = list
            .iter()
            .take_while(|c| now.saturating_duration_since(c.since) > self.idle_timeout)
            .count();
        list.drain(..expired);
        if list.len() >= self.max_idle {
            list.remove(0);
        }
        list.push(Idle { conn, since: now });
    }

    /// Number of idle connections to `key` (for tests and diagnostics).
    pub fn idle_count(&self, key: &str) -> usize {
        self.idle.borrow().get(key).map_or(0, Vec::len)
    }
}

/// Where a lent-out connection goes back to. [`Home::release`] returns it once the response
/// body was read completely; dropping the connection instead closes it.
pub struct Home<C> {
    key: Rc<str>,
    pool: Weak<Pool<C>>,
}

impl<C> Home<C> {
    /// The slot for connections to `key` in `pool`.
    pub fn new(key: Rc<str>, pool: &Rc<Pool<C>>) -> Self {
        Home {
            key,
            pool: Rc::downgrade(pool),
        }
    }

    /// Puts `conn` back for reuse.
    pub fn release(self, conn: C) {
        if let Some(pool) = self.pool.upgrade() {
            pool.checkin(self.key, conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_max_idle_and_hands_out_the_newest() {
        let pool = Rc::new(Pool::new(2, Duration::from_secs(60)));
        for n in 1..=3 {
            Home::new("k".into(), &pool).release(n);
        }
        assert_eq!(pool.idle_count("k"), 2);
        assert_eq!(pool.checkout("k"), Some(3));
        assert_eq!(pool.checkout("k"), Some(2));
        assert_eq!(pool.checkout("k"), None);
        assert_eq!(pool.checkout("other"), None);
    }

    #[test]
    fn expired_and_disabled_pools_hand_out_nothing() {
        let pool = Rc::new(Pool::new(2, Duration::ZERO));
        Home::new("k".into(), &pool).release(1);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(pool.checkout("k"), None);
        let off = Rc::new(Pool::new(0, Duration::from_secs(60)));
        Home::new("k".into(), &off).release(1);
        assert_eq!(off.idle_count("k"), 0);
    }
}
