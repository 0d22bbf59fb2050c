//! [`ThrottleStore`]: where throttle histories live.

use std::fmt;
use std::time::Duration;

use super::Rate;
use crate::{BoxError, BoxFuture};

/// Where throttle histories live: in process ([`MemoryThrottleStore`]), or shared by several
/// instances of an app (`RedisThrottleStore`, feature `redis`).
///
/// Every store runs DRF's `SimpleRateThrottle` algorithm: a key's history holds the times of
/// its requests within the last `rate.per`; a request is refused when the history already
/// holds `rate.requests` entries, and may retry when the oldest of them leaves the window.
///
/// ```
/// use std::time::Duration;
/// use restframe::throttling::{MemoryThrottleStore, Rate, ThrottleStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryThrottleStore::new();
/// let rate: Rate = "2/min".parse()?;
/// assert_eq!(store.hit("anon:127.0.0.1", rate).await?, None);
/// assert_eq!(store.hit("anon:127.0.0.1", rate).await?, None);
/// let wait = store.hit("anon:127.0.0.1", rate).await?.expect("the third is refused");
/// assert!(wait <= Duration::from_secs(60));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// [`MemoryThrottleStore`]: super::MemoryThrottleStore
pub trait ThrottleStore: Send + Sync + 'static {
    /// Records one request for `key` under `rate` if it is allowed.
    ///
    /// `Ok(None)`: allowed (and counted). `Ok(Some(wait))`: refused (and not counted); the
    /// next request is allowed after `wait`. `Err`: the store could not answer (a shared
    /// store is unreachable or too slow); the caller decides whether to refuse or allow.
    fn hit<'a>(
        &'a self,
        key: &'a str,
        rate: Rate,
    ) -> BoxFuture<'a, Result<Option<Duration>, ThrottleStoreError>>;
}

/// A throttle store that could not answer, e.g. Redis is down or did not answer in time.
///
/// ```
/// use restframe::throttling::ThrottleStoreError;
/// let err = ThrottleStoreError::new("connection refused");
/// assert_eq!(err.to_string(), "throttle store: connection refused");
/// ```
#[derive(Debug)]
pub struct ThrottleStoreError(BoxError);

impl ThrottleStoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for ThrottleStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "throttle store: {}", self.0)
    }
}

impl std::error::Error for ThrottleStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}
