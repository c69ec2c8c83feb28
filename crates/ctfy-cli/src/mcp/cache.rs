//! `ctfy mcp --http` without a configured token: one platform client per bearer token, kept
//! for the token's next requests so that each agent reuses its connection pool instead of
//! opening a new one (and a new TLS session) on every call.

use std::collections::VecDeque;
use std::sync::Mutex;

use ctfy::PlatformClient;
use sha2::{Digest as _, Sha256};

use super::ClientFor;
use crate::exit::CliError;

/// How many tokens' clients `ctfy mcp --http` keeps.
pub(crate) const CLIENTS_KEPT: usize = 64;

/// A token's key in the cache: its SHA-256, so the token itself is never stored here.
type Key = [u8; 32];

/// Clients by token, at most `capacity` of them; the least recently used goes first.
pub(crate) struct ClientCache {
    make: ClientFor,
    capacity: usize,
    /// Least recently used first.
    entries: Mutex<VecDeque<(Key, PlatformClient)>>,
}

impl ClientCache {
    /// A cache building the clients it lacks with `make`, holding at most `capacity` (at
    /// least one).
    pub(crate) fn new(make: ClientFor, capacity: usize) -> Self {
        Self {
            make,
            capacity: capacity.max(1),
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The client of `token`: the kept one, or a new one (which is then kept, in place of
    /// the least recently used when the cache is full).
    pub(crate) fn get(&self, token: &str) -> Result<PlatformClient, CliError> {
        let key: Key = Sha256::digest(token.as_bytes()).into();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = entries.iter().position(|(k, _)| *k == key)
            && let Some(hit) = entries.remove(i)
        {
            let client = hit.1.clone();
            entries.push_back(hit);
            return Ok(client);
        }
        let client = (self.make)(token)?;
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back((key, client.clone()));
        Ok(client)
    }

    /// How many clients are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCache")
            .field("kept", &self.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A cache of `capacity` whose maker counts the clients it builds.
    fn counting(capacity: usize) -> (ClientCache, Arc<AtomicUsize>) {
        let built = Arc::new(AtomicUsize::new(0));
        let counter = built.clone();
        let make: ClientFor = Arc::new(move |token: &str| {
            counter.fetch_add(1, Ordering::SeqCst);
            PlatformClient::builder("http://127.0.0.1:9")
                .token(token)
                .build()
                .map_err(|e| CliError::Usage(e.to_string()))
        });
        (ClientCache::new(make, capacity), built)
    }

    #[test]
    fn one_client_per_token() {
        let (cache, built) = counting(CLIENTS_KEPT);
        cache.get("token-a").unwrap();
        cache.get("token-a").unwrap();
        assert_eq!(
            built.load(Ordering::SeqCst),
            1,
            "the same token reuses its client"
        );
        cache.get("token-b").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 2, "two tokens, two clients");
        cache.get("token-a").unwrap();
        cache.get("token-b").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 2);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_bound_holds_and_the_least_recently_used_goes() {
        let (cache, built) = counting(2);
        cache.get("a").unwrap();
        cache.get("b").unwrap();
        cache.get("a").unwrap(); // a is now the most recently used
        cache.get("c").unwrap(); // b goes
        assert_eq!(cache.len(), 2);
        assert_eq!(built.load(Ordering::SeqCst), 3);
        cache.get("a").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 3, "a was kept");
        cache.get("b").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 4, "b was dropped");
        for i in 0..100 {
            cache.get(&format!("t{i}")).unwrap();
            assert!(cache.len() <= 2);
        }
    }

    #[test]
    fn debug_shows_no_token() {
        let (cache, _) = counting(4);
        cache.get("secret-token-value").unwrap();
        let shown = format!("{cache:?}");
        assert!(!shown.contains("secret-token-value"), "{shown}");
        assert!(shown.contains("kept: 1"), "{shown}");
    }
}
