//! [`RedisThrottleStore`]: throttle histories in Redis, one budget for every instance.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Rate, ThrottleStore, ThrottleStoreError};
use crate::BoxFuture;

/// DRF's history algorithm on a sorted set, run atomically by Redis (so concurrent requests
/// from several instances never both take the last slot). Scores are the server's clock in
/// microseconds, so instances with skewed clocks still agree.
///
/// KEYS[1]: the history. ARGV: requests allowed, window (µs), a unique member for this hit.
/// Returns -1 when allowed (and recorded), else the wait in microseconds.
const HIT_SCRIPT: &str = r"
-- Redis < 5 replicates scripts verbatim, which forbids writes after TIME unless asked for this.
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - per)
local len = redis.call('ZCARD', key)
if len < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.max(1, math.ceil(per / 1000)))
  return -1
end
local entry = redis.call('ZRANGE', key, len - limit, len - limit, 'WITHSCORES')
if entry[2] == nil then
  return per
end
local wait = tonumber(entry[2]) + per - now
if wait < 0 then
  wait = 0
end
return wait
";

/// How a [`RedisThrottleStore`] connects: key prefix and timeouts.
///
/// ```
/// use std::time::Duration;
/// use restframe::throttling::RedisThrottleStoreConfig;
///
/// let config = RedisThrottleStoreConfig::default()
///     .prefix("myapp:throttle:")
///     .connect_timeout(Duration::from_secs(1))
///     .command_timeout(Duration::from_millis(100));
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct RedisThrottleStoreConfig {
    prefix: String,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl Default for RedisThrottleStoreConfig {
    /// Prefix `restframe:throttle:`, 2 s to connect, 500 ms per command.
    fn default() -> Self {
        Self {
            prefix: "restframe:throttle:".to_owned(),
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_millis(500),
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
}

/// Throttle histories in Redis: several instances of an app connected to the same Redis share
/// one budget per key. Each decision is one atomic Lua script over a sorted set (DRF's
/// `SimpleRateThrottle` history), timed by the Redis server's clock; each key expires with its
/// window, so Redis holds nothing stale.
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
    /// Makes each hit's sorted-set member unique across instances: random per store.
    instance: String,
    counter: AtomicU64,
}

impl fmt::Debug for RedisThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisThrottleStore")
            .field("prefix", &self.prefix)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
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
            instance: u64::from_le_bytes(id).to_string(),
            counter: AtomicU64::new(0),
        })
    }

    async fn run(&self, key: &str, rate: Rate) -> Result<Option<Duration>, ThrottleStoreError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let per_micros = u64::try_from(rate.per.as_micros()).unwrap_or(u64::MAX);
        let mut conn = self.conn.clone();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!("{}{key}", self.prefix))
            .arg(rate.requests)
            .arg(per_micros)
            .arg(format!("{}:{n}", self.instance));
        let reply: i64 =
            tokio::time::timeout(self.command_timeout, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| {
                    ThrottleStoreError::new(format!(
                        "Redis did not answer within {:?}",
                        self.command_timeout
                    ))
                })?
                .map_err(ThrottleStoreError::new)?;
        Ok(u64::try_from(reply).ok().map(Duration::from_micros))
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
