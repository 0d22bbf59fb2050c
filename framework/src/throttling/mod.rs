//! Throttling: how many requests a client may make in a period, and where the counts live.
//!
//! A [`Rate`] is written as in Django REST framework (`"100/min"`, `"1000/day"`); a
//! [`ThrottleStore`] keeps each key's recent request history, in process
//! ([`MemoryThrottleStore`]) or shared by several instances (`RedisThrottleStore`, feature
//! `redis`).
//!
//! A view's [`Throttle`]s run after authentication and permissions, before the handler; one
//! that refuses makes the request a 429 with `Retry-After` and DRF's "Request was throttled.
//! Expected available in N seconds." ([`crate::ApiError::throttled`]). DRF's classes:
//! [`AnonRateThrottle`] (anonymous requests, by client address), [`UserRateThrottle`] (by
//! user, else by address) and [`ScopedRateThrottle`] (a rate per scope, the scope named by
//! the view or action with `throttle_scope`).

mod memory;
mod rate;
#[cfg(feature = "redis")]
mod redis;
mod store;

pub use memory::MemoryThrottleStore;
pub use rate::{Rate, RateError};
#[cfg(feature = "redis")]
pub use redis::{RedisThrottleStore, RedisThrottleStoreConfig};
pub use store::{ThrottleStore, ThrottleStoreError};

mod classes;

pub(crate) use classes::check_throttles;
pub use classes::{
    AnonRateThrottle, ScopedRateThrottle, Throttle, ThrottleScope, UserRateThrottle,
};
