//! [`MemoryThrottleStore`]: throttle histories in this process.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Rate, ThrottleStore, ThrottleStoreError};
use crate::BoxFuture;

/// The most keys a store keeps unless [`MemoryThrottleStore::with_max_keys`] says otherwise.
const DEFAULT_MAX_KEYS: usize = 100_000;

/// Throttle histories in this process: the default store. Each instance of an app counts on
/// its own; use `RedisThrottleStore` (feature `redis`) for one budget across instances.
///
/// Memory is bounded: histories that have left their window are dropped as the map grows,
/// and when more than `max_keys` keys are live at once the least recently hit are evicted
/// (so those clients start afresh, which errs on the side of letting requests through). A
/// history keeps each request's time, as DRF's does, for a rate of up to 64 requests; above
/// that, requests within 1/64 of the window of each other share one entry (counted from the
/// first), so a key holds at most about 64 entries whatever its rate (DRF's list for
/// `1000/day` holds a thousand). Such requests then leave the window up to 1/64 of it early,
/// which errs on the side of letting requests through.
///
/// ```
/// use restframe::throttling::{MemoryThrottleStore, ThrottleStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryThrottleStore::new();
/// let rate = "1/hour".parse()?;
/// assert_eq!(store.hit("user:7", rate).await?, None);
/// assert!(store.hit("user:7", rate).await?.is_some());
/// assert_eq!(store.hit("user:8", rate).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct MemoryThrottleStore {
    inner: Mutex<Histories>,
}

#[derive(Debug)]
struct Histories {
    map: HashMap<String, History>,
    max_keys: usize,
    /// The map's size at which stale histories are swept next.
    sweep_at: usize,
    /// Bumped on every hit: orders keys by their last hit for eviction.
    tick: u64,
}

/// Past this many requests in a rate, a history groups requests close in time (see
/// [`MemoryThrottleStore`]); at or below it, it keeps each one, as DRF does.
const EXACT_UP_TO: u32 = 64;

#[derive(Debug)]
struct History {
    /// Request times, oldest first, all within the last `per`, each with how many requests
    /// it stands for (1 unless the rate is above [`EXACT_UP_TO`]).
    times: VecDeque<(Instant, u64)>,
    /// How many requests `times` stands for.
    count: u64,
    /// The window of the rate last used with this key: decides when the history is stale.
    per: Duration,
    last_tick: u64,
}

impl History {
    fn new(now: Instant, per: Duration, last_tick: u64) -> Self {
        let mut times = VecDeque::with_capacity(1);
        times.push_back((now, 1));
        Self {
            times,
            count: 1,
            per,
            last_tick,
        }
    }

    /// Drops the times that left the window ending at `now` (DRF: `while history and
    /// history[-1] <= now - duration: history.pop()`).
    fn expire(&mut self, now: Instant) {
        while let Some(&(oldest, n)) = self.times.front() {
            if now.saturating_duration_since(oldest) >= self.per {
                self.times.pop_front();
                self.count -= n;
            } else {
                break;
            }
        }
    }

    /// Records a request at `now` under `rate`: in the newest entry when the rate is above
    /// [`EXACT_UP_TO`] and that entry began less than 1/64 of the window ago.
    fn record(&mut self, rate: Rate, now: Instant) {
        self.count += 1;
        if rate.requests > EXACT_UP_TO
            && let Some((newest, n)) = self.times.back_mut()
            && now.saturating_duration_since(*newest) < rate.per / EXACT_UP_TO
        {
            *n += 1;
            return;
        }
        self.times.push_back((now, 1));
    }
}

impl Default for MemoryThrottleStore {
    fn default() -> Self {
        Self::with_max_keys(DEFAULT_MAX_KEYS)
    }
}

impl MemoryThrottleStore {
    /// An empty store keeping at most 100,000 keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store keeping at most `max_keys` keys (at least 1).
    ///
    /// ```
    /// use restframe::throttling::MemoryThrottleStore;
    /// let store = MemoryThrottleStore::with_max_keys(10_000);
    /// # let _ = store;
    /// ```
    pub fn with_max_keys(max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        Self {
            inner: Mutex::new(Histories {
                map: HashMap::new(),
                max_keys,
                sweep_at: max_keys.min(1024),
                tick: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Histories> {
        // The map stays consistent even if a holder panicked: every change is one step.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The throttle decision for a request at `now` (the clock is a parameter for the tests).
    fn hit_at(&self, key: &str, rate: Rate, now: Instant) -> Option<Duration> {
        let mut guard = self.lock();
        let h = &mut *guard;
        h.tick += 1;
        let tick = h.tick;
        if let Some(history) = h.map.get_mut(key) {
            history.per = rate.per;
            history.last_tick = tick;
            history.expire(now);
            return admit(history, rate, now);
        }
        if rate.requests == 0 {
            return Some(rate.per);
        }
        if h.map.len() >= h.sweep_at {
            h.make_room(now);
        }
        h.map
            .insert(key.to_owned(), History::new(now, rate.per, tick));
        None
    }

    /// How many keys the store holds now (stale ones included until the next sweep).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }
}

/// DRF's `allow_request` on an expired history: refuse when it is full, else record `now`.
fn admit(history: &mut History, rate: Rate, now: Instant) -> Option<Duration> {
    let limit = u64::from(rate.requests);
    if history.count < limit {
        history.record(rate, now);
        return None;
    }
    // Full: allowed again once `count - limit + 1` requests have left the window, i.e. when
    // the entry holding the one at that position does. With `count == limit` (the usual case:
    // the rate did not change) that is the oldest, and the wait is DRF's
    // `duration - (now - history[-1])`.
    let mut leaving = history.count - limit + 1;
    for &(t, n) in &history.times {
        if n >= leaving {
            return Some(rate.per.saturating_sub(now.saturating_duration_since(t)));
        }
        leaving -= n;
    }
    // `requests == 0` and an empty history: never allowed.
    Some(rate.per)
}

impl Histories {
    /// Makes room for one more key: drops stale histories, then, when still at `max_keys`,
    /// evicts the least recently hit tenth of the keys (at least one).
    fn make_room(&mut self, now: Instant) {
        self.map.retain(|_, history| {
            history.expire(now);
            !history.times.is_empty()
        });
        if self.map.len() >= self.max_keys {
            let mut ticks: Vec<u64> = self.map.values().map(|h| h.last_tick).collect();
            let evict = (self.max_keys / 10).max(1).min(ticks.len());
            let (_, &mut cutoff, _) = ticks.select_nth_unstable(evict - 1);
            self.map.retain(|_, history| history.last_tick > cutoff);
        }
        // Sweep again once the map has doubled (amortised O(1) per hit), never past the cap.
        self.sweep_at = (self.map.len() * 2).clamp(1024.min(self.max_keys), self.max_keys);
    }
}

impl ThrottleStore for MemoryThrottleStore {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        rate: Rate,
    ) -> BoxFuture<'a, Result<Option<Duration>, ThrottleStoreError>> {
        let decision = self.hit_at(key, rate, Instant::now());
        Box::pin(std::future::ready(Ok(decision)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn allows_requests_then_refuses_with_the_wait_for_the_oldest() {
        let store = MemoryThrottleStore::new();
        let rate = Rate::new(3, secs(60));
        let t0 = Instant::now();
        assert_eq!(store.hit_at("k", rate, t0), None);
        assert_eq!(store.hit_at("k", rate, t0 + secs(10)), None);
        assert_eq!(store.hit_at("k", rate, t0 + secs(20)), None);
        assert_eq!(store.hit_at("k", rate, t0 + secs(30)), Some(secs(30)));
        // A refused request is not counted: the wait still runs from the first request.
        assert_eq!(store.hit_at("k", rate, t0 + secs(45)), Some(secs(15)));
        // Exactly one window after the first request, it has left the window (DRF's `<=`).
        assert_eq!(store.hit_at("k", rate, t0 + secs(60)), None);
        assert_eq!(store.hit_at("k", rate, t0 + secs(61)), Some(secs(9)));
    }

    #[tokio::test]
    async fn works_behind_a_shared_trait_object() {
        let store: std::sync::Arc<dyn ThrottleStore> =
            std::sync::Arc::new(MemoryThrottleStore::new());
        let rate = Rate::new(1, secs(60));
        assert_eq!(store.hit("k", rate).await.ok(), Some(None));
        let wait = store.hit("k", rate).await.ok().flatten();
        assert!(wait.is_some_and(|w| w <= secs(60)), "{wait:?}");
    }

    #[test]
    fn keys_have_separate_budgets() {
        let store = MemoryThrottleStore::new();
        let rate = Rate::new(1, secs(1));
        let t0 = Instant::now();
        assert_eq!(store.hit_at("a", rate, t0), None);
        assert_eq!(store.hit_at("b", rate, t0), None);
        assert_eq!(store.hit_at("a", rate, t0), Some(secs(1)));
    }

    #[test]
    fn a_zero_rate_refuses_everything() {
        let store = MemoryThrottleStore::new();
        let rate = Rate::new(0, secs(60));
        let t0 = Instant::now();
        assert_eq!(store.hit_at("k", rate, t0), Some(secs(60)));
        assert_eq!(store.hit_at("k", rate, t0), Some(secs(60)));
        assert_eq!(store.len(), 0, "a refused request leaves nothing behind");
    }

    #[test]
    fn a_lowered_rate_waits_until_the_history_is_under_it() {
        let store = MemoryThrottleStore::new();
        let t0 = Instant::now();
        let high = Rate::new(4, secs(60));
        for i in 0..4 {
            assert_eq!(store.hit_at("k", high, t0 + secs(i)), None);
        }
        // Four times in the window at t0, t0+1, t0+2, t0+3; two allowed: wait until three
        // of them left, i.e. until t0+2 leaves at t0+62.
        let low = Rate::new(2, secs(60));
        assert_eq!(store.hit_at("k", low, t0 + secs(10)), Some(secs(52)));
    }

    #[test]
    fn a_high_rate_keeps_a_bounded_history_and_still_counts_every_request() {
        let store = MemoryThrottleStore::new();
        let rate = Rate::new(10_000, secs(64));
        let t0 = Instant::now();
        // 10,000 requests over 32 s, one every 3.2 ms: all allowed, the next refused.
        let at = |i: u32| t0 + Duration::from_micros(u64::from(i) * 3_200);
        for i in 0..10_000 {
            assert_eq!(store.hit_at("k", rate, at(i)), None, "request {i}");
        }
        let entries = store.lock().map.get("k").map(|h| h.times.len());
        assert!(entries.is_some_and(|n| n <= 33), "{entries:?} entries");
        // The oldest (t0, with the requests of its first second) leaves at t0 + 64 s.
        let wait = store.hit_at("k", rate, at(10_000));
        assert_eq!(wait, Some(secs(64) - Duration::from_micros(32_000_000)));
        // Once the first second's requests have left, about that many are allowed again.
        let later = t0 + secs(65);
        let allowed = (0..1_000)
            .take_while(|_| store.hit_at("k", rate, later).is_none())
            .count();
        assert!((300..=700).contains(&allowed), "{allowed}");
        // A small rate keeps every request: exactly DRF's list.
        let exact = Rate::new(64, secs(64));
        for i in 0..64 {
            assert_eq!(store.hit_at("e", exact, at(i)), None);
        }
        let entries = store.lock().map.get("e").map(|h| h.times.len());
        assert_eq!(entries, Some(64));
    }

    #[test]
    fn stale_histories_are_swept_as_the_map_grows() {
        let store = MemoryThrottleStore::with_max_keys(100_000);
        let rate = Rate::new(5, secs(1));
        let t0 = Instant::now();
        for i in 0..1024 {
            assert_eq!(store.hit_at(&format!("old{i}"), rate, t0), None);
        }
        assert_eq!(store.len(), 1024);
        // Two seconds later every history is stale: the next new key sweeps them.
        assert_eq!(store.hit_at("new", rate, t0 + secs(2)), None);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn the_key_count_is_capped_by_evicting_the_least_recently_hit() {
        let store = MemoryThrottleStore::with_max_keys(100);
        let rate = Rate::new(1, secs(3600));
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(store.hit_at(&format!("k{i}"), rate, t0), None);
        }
        // k0 is hit again (refused) so it is recent; k1..k10 are the oldest.
        assert!(store.hit_at("k0", rate, t0).is_some());
        for i in 100..1000 {
            assert_eq!(store.hit_at(&format!("k{i}"), rate, t0), None);
            assert!(store.len() <= 100);
        }
        // The most recent keys are still counted.
        assert!(store.hit_at("k999", rate, t0).is_some());
        // The first ones were evicted long ago: they start afresh.
        assert_eq!(store.hit_at("k1", rate, t0), None);
    }
}
