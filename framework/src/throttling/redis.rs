//! [`RedisThrottleStore`]: throttle histories in Redis, one budget for every instance.
//!
//! Counting is *leased*: above 100 requests per window, an instance reserves a small batch of
//! slots in Redis with one script call and serves them from memory for a short while, so Redis
//! sees one call per batch instead of one per request. Below that, every request is one call,
//! exactly as DRF counts.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

use super::{Rate, ThrottleStore, ThrottleStoreError};
use crate::BoxFuture;

/// DRF's history algorithm on a sorted set, run atomically by Redis (so concurrent requests
/// from several instances never both take the last slot). Scores are the server's clock in
/// microseconds, so instances with skewed clocks still agree.
///
/// One member per *reservation*, not per request: `instance:counter:n` holds `n` slots, scored
/// with the last moment any of them may be used (the server's time plus the lease). A second
/// key holds the running total of slots, so the set stays as small as the number of
/// reservations in the window and nothing is counted member by member.
///
/// KEYS[1]: the log (sorted set). KEYS[2]: the total.
/// ARGV: requests allowed, window (µs), slots wanted, lease (µs), this reservation's member
/// (`instance:counter`, the script appends `:n`), an earlier reservation of this instance
/// whose unused slots go back (or ''), and the member that replaces it (or '' to drop it).
/// Returns `{granted, wait}`: `granted` > 0 slots were recorded, or 0 and the wait in µs.
const HIT_SCRIPT: &str = r"
-- Redis < 5 replicates scripts verbatim, which forbids writes after TIME unless asked for this.
if redis.replicate_commands then redis.replicate_commands() end
local log = KEYS[1]
local total_key = KEYS[2]
local limit = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local member = ARGV[5]
local back = ARGV[6]
local kept = ARGV[7]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
-- `instance:counter:n` holds n slots; anything else (an older format) holds one.
local function slots(m)
  return tonumber(string.match(m, '^[^:]*:[^:]*:(%d+)$')) or 1
end
local total = tonumber(redis.call('GET', total_key) or '')
if total == nil then
  -- First use of the key, or its total was lost: count the log once.
  total = 0
  for _, m in ipairs(redis.call('ZRANGE', log, 0, -1)) do
    total = total + slots(m)
  end
end
-- Reservations whose last slot left the window.
local gone = redis.call('ZRANGEBYSCORE', log, '-inf', now - per)
if #gone > 0 then
  for _, m in ipairs(gone) do
    total = total - slots(m)
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - per)
end
-- The unused slots of this instance's previous lease go back (it can no longer use them).
if back ~= '' then
  local score = redis.call('ZSCORE', log, back)
  if score then
    redis.call('ZREM', log, back)
    total = total - slots(back)
    if kept ~= '' then
      redis.call('ZADD', log, score, kept)
      total = total + slots(kept)
    end
  end
end
if total < 0 then
  total = 0
end
local granted = 0
local wait = 0
if total < limit then
  granted = math.min(want, limit - total)
  redis.call('ZADD', log, now + lease, member .. ':' .. granted)
  total = total + granted
else
  -- Refused: wait until enough of the oldest reservations leave for one slot to free.
  local need = total - limit + 1
  local i = 0
  wait = per
  while need > 0 do
    local entry = redis.call('ZRANGE', log, i, i, 'WITHSCORES')
    if entry[1] == nil then
      break
    end
    need = need - slots(entry[1])
    wait = tonumber(entry[2]) + per - now
    i = i + 1
  end
  if need > 0 then
    wait = per
  end
  if wait < 0 then
    wait = 0
  end
end
-- Both keys live until the newest reservation leaves the window.
local newest = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
if newest[2] == nil then
  redis.call('DEL', log, total_key)
else
  local ttl = math.max(1, math.ceil((tonumber(newest[2]) + per - now) / 1000))
  redis.call('SET', total_key, total, 'PX', ttl)
  redis.call('PEXPIRE', log, ttl)
end
return {granted, wait}
";

/// The longest an instance serves a lease from memory, whatever the window.
const MAX_LEASE: Duration = Duration::from_secs(1);

/// The most keys whose leases an instance keeps in memory.
const MAX_LEASED_KEYS: usize = 10_000;

/// By default a lease holds at most 1/100 of the rate.
const DEFAULT_LEASE_DIVISOR: u32 = 100;

/// How a [`RedisThrottleStore`] connects and counts: key prefix, timeouts, lease size.
///
/// ```
/// use std::time::Duration;
/// use restframe::throttling::RedisThrottleStoreConfig;
///
/// let config = RedisThrottleStoreConfig::default()
///     .prefix("myapp:throttle:")
///     .connect_timeout(Duration::from_secs(1))
///     .command_timeout(Duration::from_millis(100))
///     .lease_divisor(100); // the default: a lease holds at most 1/100 of the rate
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct RedisThrottleStoreConfig {
    prefix: String,
    connect_timeout: Duration,
    command_timeout: Duration,
    lease_divisor: u32,
}

impl Default for RedisThrottleStoreConfig {
    /// Prefix `restframe:throttle:`, 2 s to connect, 500 ms per command, leases of at most
    /// 1/100 of the rate.
    fn default() -> Self {
        Self {
            prefix: "restframe:throttle:".to_owned(),
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_millis(500),
            lease_divisor: DEFAULT_LEASE_DIVISOR,
        }
    }
}

impl RedisThrottleStoreConfig {
    /// What every Redis key starts with (default `restframe:throttle:`); the throttle's key
    /// follows it.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest wait for a connection, at start and on each reconnection (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest wait for one throttle decision (default 500 ms); past it
    /// [`ThrottleStore::hit`] fails instead of holding the request.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// How finely leases cut a rate (default 100): for `limit` requests per `per`, an
    /// instance reserves at most `limit / divisor` slots in one Redis call and serves them
    /// from memory for at most `per / divisor` (and never more than 1 s). When
    /// `limit / divisor` is below 2, each request is one Redis call, as without leases.
    ///
    /// A larger divisor means more Redis calls and fewer requests refused early; `0` is the
    /// same as [`exact`](Self::exact).
    ///
    /// ```
    /// use restframe::throttling::RedisThrottleStoreConfig;
    /// // Leases of at most 1/1000 of the rate: "100000/hour" reserves 100 slots at a time.
    /// let config = RedisThrottleStoreConfig::default().lease_divisor(1000);
    /// # let _ = config;
    /// ```
    pub fn lease_divisor(mut self, divisor: u32) -> Self {
        self.lease_divisor = divisor;
        self
    }

    /// No leases: every request is one Redis call, whatever the rate (DRF's exact count, at
    /// the cost of a round trip per request).
    ///
    /// ```
    /// use restframe::throttling::RedisThrottleStoreConfig;
    /// let config = RedisThrottleStoreConfig::default().exact();
    /// # let _ = config;
    /// ```
    pub fn exact(self) -> Self {
        self.lease_divisor(0)
    }
}

/// Throttle histories in Redis: several instances of an app connected to the same Redis share
/// one budget per key. Each Redis call is one atomic Lua script over a sorted set (DRF's
/// `SimpleRateThrottle` history), timed by the Redis server's clock; each key expires with its
/// window, so Redis holds nothing stale.
///
/// **Leases.** For a rate of fewer than 200 requests per window (with the default
/// [`lease_divisor`](RedisThrottleStoreConfig::lease_divisor) of 100) every request is one
/// call, as in DRF. Above that, an instance reserves up to `b = limit / 100` slots in one call
/// and serves them from memory for at most `per / 100` (never more than 1 s); a lease starts
/// at one slot and doubles while the key stays busy. Slots are counted in Redis when they are
/// reserved, so no window ever passes more than the rate across all instances; slots an
/// instance has reserved but not yet used may refuse other instances' requests early (at most
/// `b` per instance and key, about 1 % of the rate), and go back with its next reservation.
/// Redis holds one sorted-set member per reservation, so a key's memory is bounded by the
/// reservations in its window, not by the requests.
///
/// The connection is multiplexed and reconnects by itself; every wait (connecting, each
/// decision) has a timeout, after which [`ThrottleStore::hit`] returns an error.
///
/// ```no_run
/// use restframe::throttling::{RedisThrottleStore, ThrottleStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisThrottleStore::connect("redis://127.0.0.1:6379/").await?;
/// if let Some(wait) = store.hit("user:7", "1000/day".parse()?).await? {
///     println!("throttled, retry in {} s", wait.as_secs());
/// }
/// # Ok(())
/// # }
/// ```
pub struct RedisThrottleStore {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
    command_timeout: Duration,
    lease_divisor: u32,
    /// Makes each reservation's sorted-set member unique across instances: random per store.
    instance: String,
    counter: AtomicU64,
    /// Script calls made, for tests and benchmarks.
    calls: AtomicU64,
    leases: Mutex<HashMap<String, KeyState>>,
}

/// What this instance knows locally about one key (leased counting only).
struct KeyState {
    lease: Option<Lease>,
    refusal: Option<Refusal>,
    /// A reservation is in flight: other requests for the key wait for it on `notify`
    /// instead of calling Redis too.
    inflight: bool,
    notify: Arc<Notify>,
    /// Slots to ask for next.
    want: u32,
    touched: Instant,
}

/// Slots reserved in Redis and served from memory.
struct Lease {
    rate: Rate,
    /// `instance:counter`; in Redis the member is `instance:counter:granted`.
    member: String,
    granted: u32,
    used: u32,
    /// No slot is used from this instant on (Redis counts them until it plus the window).
    until: Instant,
}

/// Redis refused a reservation: requests are refused locally until `until`.
struct Refusal {
    rate: Rate,
    until: Instant,
    retry_at: Instant,
}

impl KeyState {
    fn new(now: Instant) -> Self {
        Self {
            lease: None,
            refusal: None,
            inflight: false,
            notify: Arc::new(Notify::new()),
            want: 1,
            touched: now,
        }
    }

    /// Whether the state still means something at `now` (else it may be dropped).
    fn live(&self, now: Instant) -> bool {
        self.inflight
            || self.lease.as_ref().is_some_and(|l| now < l.until)
            || self.refusal.as_ref().is_some_and(|r| now < r.until)
    }
}

/// One reservation to ask Redis for.
struct Ask<'a> {
    /// Slots wanted.
    want: u32,
    /// How long they are served from memory.
    lease: Duration,
    /// `instance:counter`.
    member: &'a str,
    /// The previous lease, whose unused slots go back.
    back: Option<&'a Lease>,
}

/// What a request does after looking at its key's local state.
enum Step {
    Done(Option<Duration>),
    Wait(Pin<Box<OwnedNotified>>),
    Reserve {
        notify: Arc<Notify>,
        want: u32,
        back: Option<Lease>,
    },
}

/// Clears a key's in-flight reservation and wakes its waiters, even when the request that made
/// it is dropped mid-way.
struct InflightGuard<'a> {
    store: &'a RedisThrottleStore,
    key: &'a str,
    notify: Arc<Notify>,
    /// How many waiters to wake: as many as the lease has slots left, plus one to reserve
    /// again if they run out (the rest are woken in turn by later reservations). `None`:
    /// all of them (a refusal, which they read from the key's state).
    wake: Option<u32>,
}

/// Waiters woken at most at once after a grant; the last of them wakes the next ones.
const MAX_WAKE: u32 = 1024;

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        {
            let mut leases = self.store.lock();
            if let Some(state) = leases.get_mut(self.key)
                && Arc::ptr_eq(&state.notify, &self.notify)
            {
                state.inflight = false;
            }
        }
        match self.wake {
            // Each woken waiter that finds no slot reserves again, and wakes the next ones.
            Some(n) => (0..n.clamp(1, MAX_WAKE)).for_each(|_| self.notify.notify_one()),
            None => self.notify.notify_waiters(),
        }
    }
}

impl fmt::Debug for RedisThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisThrottleStore")
            .field("prefix", &self.prefix)
            .field("command_timeout", &self.command_timeout)
            .field("lease_divisor", &self.lease_divisor)
            .finish_non_exhaustive()
    }
}

/// The state of `key`, inserted if new; when the map is full, states that mean nothing any
/// more are dropped first, then the least recently used.
fn state_mut<'m>(
    map: &'m mut HashMap<String, KeyState>,
    key: &str,
    now: Instant,
) -> &'m mut KeyState {
    if !map.contains_key(key) && map.len() >= MAX_LEASED_KEYS {
        map.retain(|_, state| state.live(now));
        if map.len() >= MAX_LEASED_KEYS {
            let oldest = map
                .iter()
                .min_by_key(|(_, state)| state.touched)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
    }
    let state = map
        .entry(key.to_owned())
        .or_insert_with(|| KeyState::new(now));
    state.touched = now;
    state
}

impl RedisThrottleStore {
    /// Connects to the Redis at `url` (`redis://[:password@]host:port/[db]`) with the default
    /// [`RedisThrottleStoreConfig`].
    ///
    /// # Errors
    ///
    /// A malformed URL, or no connection within the connect timeout.
    pub async fn connect(url: &str) -> Result<Self, ThrottleStoreError> {
        Self::connect_with(url, RedisThrottleStoreConfig::default()).await
    }

    /// Connects to the Redis at `url` with `config`.
    ///
    /// # Errors
    ///
    /// A malformed URL, or no connection within the connect timeout.
    pub async fn connect_with(
        url: &str,
        config: RedisThrottleStoreConfig,
    ) -> Result<Self, ThrottleStoreError> {
        let client = redis::Client::open(url).map_err(ThrottleStoreError::new)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.command_timeout))
            // Reconnect in the background a few times, quickly; a request never waits on it
            // longer than the command timeout.
            .set_number_of_retries(2)
            .set_max_delay(config.connect_timeout);
        // The manager's own timeout is per attempt; this one bounds the whole first connect.
        let conn = tokio::time::timeout(
            config.connect_timeout,
            ConnectionManager::new_with_config(client, manager_config),
        )
        .await
        .map_err(|_| {
            ThrottleStoreError::new(format!(
                "no connection to Redis within {:?}",
                config.connect_timeout
            ))
        })?
        .map_err(ThrottleStoreError::new)?;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| ThrottleStoreError::new(e.to_string()))?;
        Ok(Self {
            conn,
            script: redis::Script::new(HIT_SCRIPT),
            prefix: config.prefix,
            command_timeout: config.command_timeout,
            lease_divisor: config.lease_divisor,
            instance: u64::from_le_bytes(id).to_string(),
            counter: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            leases: Mutex::new(HashMap::new()),
        })
    }

    /// How many script calls this store has made to Redis (for tests and benchmarks).
    #[doc(hidden)]
    pub fn redis_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, KeyState>> {
        // A panic elsewhere while holding the lock leaves the map consistent enough.
        self.leases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The most slots one lease holds for `rate` (1: no leasing) and how long it is served.
    fn lease_for(&self, rate: Rate) -> (u32, Duration) {
        if self.lease_divisor == 0 {
            return (1, Duration::ZERO);
        }
        let batch = rate.requests / self.lease_divisor;
        if batch < 2 {
            return (1, Duration::ZERO);
        }
        (batch, (rate.per / self.lease_divisor).min(MAX_LEASE))
    }

    fn timed_out(&self) -> ThrottleStoreError {
        ThrottleStoreError::new(format!(
            "Redis did not answer within {:?}",
            self.command_timeout
        ))
    }

    /// One script call: reserves up to `want` slots (leased `lease` long), giving back the
    /// unused slots of `back`. Returns the slots granted, or 0 and the wait.
    async fn reserve(
        &self,
        key: &str,
        rate: Rate,
        ask: Ask<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<(u32, Duration), ThrottleStoreError> {
        let Ask {
            want,
            lease,
            member,
            back,
        } = ask;
        self.calls.fetch_add(1, Ordering::Relaxed);
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let (back_member, kept_member) = match back {
            Some(l) if l.used < l.granted => (
                format!("{}:{}", l.member, l.granted),
                if l.used > 0 {
                    format!("{}:{}", l.member, l.used)
                } else {
                    String::new()
                },
            ),
            _ => (String::new(), String::new()),
        };
        let mut conn = self.conn.clone();
        let mut invocation = self.script.prepare_invoke();
        invocation
            // `{key}` is a Redis Cluster hash tag: both keys of the script in one slot.
            .key(format!("{}{{{key}}}", self.prefix))
            .key(format!("{}{{{key}}}#total", self.prefix))
            .arg(rate.requests)
            .arg(micros(rate.per))
            .arg(want)
            .arg(micros(lease))
            .arg(member)
            .arg(back_member)
            .arg(kept_member);
        let (granted, wait): (i64, i64) =
            tokio::time::timeout_at(deadline, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| self.timed_out())?
                .map_err(ThrottleStoreError::new)?;
        Ok((
            u32::try_from(granted).unwrap_or(0),
            Duration::from_micros(u64::try_from(wait).unwrap_or(0)),
        ))
    }

    fn next_member(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}:{n}", self.instance)
    }

    async fn run(&self, key: &str, rate: Rate) -> Result<Option<Duration>, ThrottleStoreError> {
        let deadline = tokio::time::Instant::now() + self.command_timeout;
        let (batch, lease) = self.lease_for(rate);
        if batch == 1 {
            // Exact: one call per request, each its own reservation of one slot.
            let member = self.next_member();
            let (granted, wait) = self
                .reserve(
                    key,
                    rate,
                    Ask {
                        want: 1,
                        lease: Duration::ZERO,
                        member: &member,
                        back: None,
                    },
                    deadline,
                )
                .await?;
            return Ok((granted == 0).then_some(wait));
        }
        let mut woken = false;
        loop {
            match self.step(key, rate, batch, woken) {
                Step::Done(decision) => return Ok(decision),
                Step::Wait(notified) => {
                    tokio::time::timeout_at(deadline, notified)
                        .await
                        .map_err(|_| self.timed_out())?;
                    woken = true;
                }
                Step::Reserve { notify, want, back } => {
                    // Until the reservation is through (a failure, or this request dropped):
                    // wake one waiter, to try again.
                    let mut guard = InflightGuard {
                        store: self,
                        key,
                        notify,
                        wake: Some(1),
                    };
                    let member = self.next_member();
                    let sent = Instant::now();
                    let result = self
                        .reserve(
                            key,
                            rate,
                            Ask {
                                want,
                                lease,
                                member: &member,
                                back: back.as_ref(),
                            },
                            deadline,
                        )
                        .await;
                    let decision = result.map(|(granted, wait)| {
                        let now = Instant::now();
                        let mut leases = self.lock();
                        let state = state_mut(&mut leases, key, now);
                        if granted > 0 {
                            guard.wake = Some(granted);
                            state.want = want;
                            state.lease = Some(Lease {
                                rate,
                                member,
                                granted,
                                used: 1,
                                // From before the call: never later than Redis's own count.
                                until: sent + lease,
                            });
                            None
                        } else {
                            guard.wake = None;
                            state.refusal = Some(Refusal {
                                rate,
                                until: (now + wait).min(sent + lease),
                                retry_at: now + wait,
                            });
                            Some(wait)
                        }
                    });
                    drop(guard);
                    return decision;
                }
            }
        }
    }

    /// Under the lock, without waiting: serve from the lease, refuse from a recent refusal,
    /// wait for a reservation in flight, or make one.
    ///
    /// A request `woken` from waiting that takes a slot wakes the next waiter while slots are
    /// left, so a lease larger than the waiters woken at once still serves them all.
    fn step(&self, key: &str, rate: Rate, batch: u32, woken: bool) -> Step {
        let now = Instant::now();
        let mut leases = self.lock();
        let state = state_mut(&mut leases, key, now);
        if let Some(lease) = state.lease.as_mut()
            && lease.rate == rate
            && now < lease.until
            && lease.used < lease.granted
        {
            lease.used += 1;
            if woken && lease.used < lease.granted {
                state.notify.notify_one();
            }
            return Step::Done(None);
        }
        if let Some(refusal) = &state.refusal
            && refusal.rate == rate
            && now < refusal.until
        {
            return Step::Done(Some(refusal.retry_at.saturating_duration_since(now)));
        }
        if state.inflight {
            // Queued under the lock, so the reservation's wake-up cannot be missed.
            let mut notified = Box::pin(Arc::clone(&state.notify).notified_owned());
            notified.as_mut().enable();
            return Step::Wait(notified);
        }
        let back = state.lease.take();
        state.refusal = None;
        let want = match &back {
            // Spent: the key is busy, ask for twice as much.
            Some(l) if l.used >= l.granted => state.want.saturating_mul(2),
            // Expired part-used: ask for what it used.
            Some(l) => l.used,
            None => state.want,
        }
        .clamp(1, batch);
        state.inflight = true;
        Step::Reserve {
            notify: Arc::clone(&state.notify),
            want,
            back,
        }
    }
}

impl ThrottleStore for RedisThrottleStore {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        rate: Rate,
    ) -> BoxFuture<'a, Result<Option<Duration>, ThrottleStoreError>> {
        Box::pin(self.run(key, rate))
    }
}
