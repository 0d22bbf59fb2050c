//! Throttling: how many requests a client may make in a period, and where the counts live.
//!
//! A [`Rate`] is written as in Django REST framework (`"100/min"`, `"1000/day"`); a
//! [`ThrottleStore`] keeps each key's recent request history, in process
//! ([`MemoryThrottleStore`]) or shared by several instances (`RedisThrottleStore`, feature
//! `redis`).

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
