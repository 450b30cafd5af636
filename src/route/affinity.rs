//! Session affinity (opt-in, `routing.session-affinity`): a conversation stays on the slot that
//! last served it while that slot is available, so upstream prompt caches keep working; when
//! the slot is cooling or fails, selection fails over as usual and the pin moves. Pins are
//! shared by every core in a sharded map (touched only when affinity is on), bounded in size,
//! and expire `session-affinity-ttl` after their last use. No I/O; time is passed in.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::table::SlotId;
use crate::protocol::json;

/// A conversation's identity: a hash of the model and what identifies the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey(u64);

impl SessionKey {
    /// A key from the model and any session identifier (for clients with explicit ids).
    pub fn new(model: &str, kind: &str, id: &[u8]) -> SessionKey {
        let mut h = DefaultHasher::new();
        model.hash(&mut h);
        kind.hash(&mut h);
        id.hash(&mut h);
        SessionKey(h.finish())
    }
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    role: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
}

/// The session of an OpenAI chat request for `model`: its `user` field when set, else a hash
/// of the first user message (the same across every turn of a conversation). `None` when the
/// body has neither.
pub fn chat_session(model: &str, body: &[u8]) -> Option<SessionKey> {
    let fields = json::top_level(body, &["user", "messages"]).ok()?;
    if let Some(user) = fields.str(0).filter(|u| !u.trim().is_empty()) {
        return Some(SessionKey::new(model, "user", user.as_bytes()));
    }
    let messages: Vec<Message<'_>> = serde_json::from_str(fields.raw(1)?).ok()?;
    let first = messages
        .iter()
        .find(|m| m.role.as_deref() == Some("user"))?;
    let content = first.content?.get();
    Some(SessionKey::new(
        model,
        "first-user-message",
        content.as_bytes(),
    ))
}

/// Number of independently locked shards.
const SHARDS: usize = 16;
/// Most pins one shard keeps; when full, expired pins are dropped first, then an arbitrary eighth.
const SHARD_CAPACITY: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Pin {
    slot: SlotId,
    /// Nanoseconds after the epoch when the pin lapses.
    expires: u64,
}

/// Session → slot pins, shared across cores.
#[derive(Debug)]
pub struct Affinity {
    epoch: Instant,
    shards: Box<[Mutex<HashMap<SessionKey, Pin>>]>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Affinity {
    /// No pins; expiry times are stored relative to `epoch`.
    pub fn new(epoch: Instant) -> Self {
        Affinity {
            epoch,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn offset(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.epoch))
    }

    fn shard(&self, key: SessionKey) -> Option<&Mutex<HashMap<SessionKey, Pin>>> {
        let i = usize::try_from(key.0 % SHARDS as u64).unwrap_or(0);
        self.shards.get(i)
    }

    /// The slot `key` is pinned to at `now`, if the pin has not lapsed.
    pub fn get(&self, key: SessionKey, now: Instant) -> Option<SlotId> {
        let t = self.offset(now);
        let mut map = self
            .shard(key)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match map.get(&key) {
            Some(pin) if pin.expires > t => Some(pin.slot),
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Pins `key` to `slot` until `now + ttl`.
    pub fn pin(&self, key: SessionKey, slot: SlotId, now: Instant, ttl: Duration) {
        let t = self.offset(now);
        let Some(shard) = self.shard(key) else { return };
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= SHARD_CAPACITY && !map.contains_key(&key) {
            map.retain(|_, p| p.expires > t);
            if map.len() >= SHARD_CAPACITY {
                // Evict a batch, so a shard full of live pins is not rescanned per insert.
                let victims: Vec<SessionKey> =
                    map.keys().take(SHARD_CAPACITY / 8).copied().collect();
                for v in victims {
                    map.remove(&v);
                }
            }
        }
        let expires = t.saturating_add(nanos(ttl));
        map.insert(key, Pin { slot, expires });
    }

    /// Drops `key`'s pin.
    pub fn forget(&self, key: SessionKey) {
        if let Some(shard) = self.shard(key) {
            shard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        }
    }

    /// Number of pins held (expired ones included until they are noticed).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no pin is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(i: usize) -> SlotId {
        SlotId::from_index(i).unwrap()
    }

    #[test]
    fn the_session_is_the_user_field_or_the_first_user_message() {
        let a = chat_session(
            "m",
            br#"{"model":"m","user":"alice","messages":[{"role":"user","content":"hi"}]}"#,
        );
        let a2 = chat_session(
            "m",
            br#"{"model":"m","user":"alice","messages":[{"role":"user","content":"other"}]}"#,
        );
        assert!(a.is_some());
        assert_eq!(a, a2, "the user field wins");
        let turn1 = chat_session(
            "m",
            br#"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"plan a trip"}]}"#,
        );
        let turn2 = chat_session(
            "m",
            br#"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"plan a trip"},
                {"role":"assistant","content":"where to?"},{"role":"user","content":"Rome"}]}"#,
        );
        assert!(turn1.is_some());
        assert_eq!(turn1, turn2, "later turns keep the session");
        let other = chat_session(
            "m",
            br#"{"messages":[{"role":"user","content":"something else"}]}"#,
        );
        assert_ne!(turn1, other);
        let other_model = chat_session(
            "n",
            br#"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"plan a trip"}]}"#,
        );
        assert_ne!(turn1, other_model, "sessions are per model");
        assert_eq!(
            chat_session("m", br#"{"messages":[{"role":"system","content":"x"}]}"#),
            None
        );
        assert_eq!(chat_session("m", br#"{"user":"  ","messages":[]}"#), None);
        assert_eq!(chat_session("m", b"not json"), None);
    }

    #[test]
    fn a_pin_lasts_its_ttl_then_lapses() {
        let t0 = Instant::now();
        let a = Affinity::new(t0);
        let k = SessionKey::new("m", "user", b"alice");
        assert_eq!(a.get(k, t0), None);
        let ttl = Duration::from_secs(3600);
        a.pin(k, slot(3), t0, ttl);
        assert_eq!(a.get(k, t0 + ttl - Duration::from_nanos(1)), Some(slot(3)));
        assert_eq!(a.get(k, t0 + ttl), None);
        assert!(a.is_empty(), "a lapsed pin is dropped when seen");
        a.pin(k, slot(1), t0, ttl);
        a.pin(k, slot(2), t0, ttl);
        assert_eq!(a.get(k, t0), Some(slot(2)), "the latest pin wins");
        a.forget(k);
        assert_eq!(a.get(k, t0), None);
    }

    #[test]
    fn the_map_stays_bounded() {
        let t0 = Instant::now();
        let a = Affinity::new(t0);
        for i in 0..(SHARDS * SHARD_CAPACITY + 5000) {
            let k = SessionKey::new("m", "user", &i.to_le_bytes());
            a.pin(k, slot(0), t0, Duration::from_secs(60));
        }
        assert!(a.len() <= SHARDS * SHARD_CAPACITY);
    }
}
