//! A short-lived, bounded, in-process cache of token (by key hash) → user, so that a client
//! sending its token on every request does not cost a database read on every request.
//!
//! A revoked token is dropped from the cache of the instance that revoked it once the row is
//! deleted; a deactivated or deleted user's tokens are dropped by that instance as the change
//! is made (a lookup racing with the write may keep the old user up to [`TOKEN_CACHE_TTL`]).
//! Other instances (several behind a load balancer) notice within [`TOKEN_CACHE_TTL`], when
//! their entry expires. That lag is the price of the read saved per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use restframe::auth::Identity;

/// How long a looked-up token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// The most tokens remembered at once (about 100 bytes each).
const MAX_ENTRIES: usize = 10_000;

/// Token key hash → (user, when the entry expires).
#[derive(Clone, Default)]
pub struct IdentityCache {
    entries: Arc<Mutex<HashMap<String, (Identity, Instant)>>>,
}

impl IdentityCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Identity, Instant)>> {
        // A panic while holding this lock leaves a map that is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The user of `key_hash`, if looked up less than [`TOKEN_CACHE_TTL`] ago.
    pub fn get(&self, key_hash: &str) -> Option<Identity> {
        let now = Instant::now();
        let entries = self.lock();
        entries
            .get(key_hash)
            .filter(|(_, expires)| *expires > now)
            .map(|(identity, _)| identity.clone())
    }

    /// Remembers the user of `key_hash` for [`TOKEN_CACHE_TTL`].
    pub fn put(&self, key_hash: &str, identity: Identity) {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, expires)| *expires > now);
            if entries.len() >= MAX_ENTRIES {
                // Still full of live entries: start over rather than grow (they are re-read).
                entries.clear();
            }
        }
        entries.insert(key_hash.to_owned(), (identity, now + TOKEN_CACHE_TTL));
    }

    /// Forgets the token `key_hash` (it was revoked).
    pub fn forget(&self, key_hash: &str) {
        self.lock().remove(key_hash);
    }

    /// Forgets every token of user `id` (deactivated, deleted, or no longer staff).
    pub fn forget_user(&self, id: i64) {
        self.lock().retain(|_, (identity, _)| identity.id != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_until_forgotten_by_key_or_by_user() {
        let cache = IdentityCache::default();
        cache.put("a", Identity::new(1, "ada"));
        cache.put("b", Identity::new(1, "ada"));
        cache.put("c", Identity::new(2, "bob"));
        assert_eq!(cache.get("a").map(|i| i.id), Some(1));
        cache.forget("a");
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some());
        cache.forget_user(1);
        assert!(cache.get("b").is_none());
        assert_eq!(cache.get("c").map(|i| i.username), Some("bob".to_owned()));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = IdentityCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            cache.put(&i.to_string(), Identity::new(1, "ada"));
        }
        assert!(cache.lock().len() <= MAX_ENTRIES);
    }
}
