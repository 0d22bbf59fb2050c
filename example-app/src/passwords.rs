//! Passwords: Argon2 hashes, made and checked on blocking threads, a bounded number at once.

use std::sync::Arc;
use std::time::Duration;

use restframe::ApiError;
use restframe::auth::{generate_key, hash_password, verify_password};
use tokio::sync::Semaphore;

/// How many Argon2 hashes run at once: each takes ~20 MiB and tens of milliseconds, so a burst
/// of logins queues instead of exhausting memory and every core.
const CONCURRENT_HASHES: usize = 2;

/// The longest wait for a hashing slot; past it the request is refused, not held.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// Argon2 hashing and verification, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    /// A hash verified when the username is unknown, so that an unknown user costs what a
    /// wrong password does (no username probing by timing).
    decoy: Arc<str>,
}

impl Passwords {
    /// A pool of [`CONCURRENT_HASHES`] hashing slots.
    pub fn new() -> Result<Self, ApiError> {
        let decoy = hash_password(&generate_key())
            .map_err(|e| ApiError::internal(format!("password hash: {e}")))?;
        Ok(Self {
            slots: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            decoy: decoy.into(),
        })
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(HASH_WAIT, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Too many logins at once; try again.",
            )),
        }
    }

    /// The Argon2 hash of `password`, computed on a blocking thread.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let _slot = self.slot().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ApiError::internal(format!("password hash task: {e}")))?
            .map_err(|e| ApiError::internal(format!("password hash: {e}")))
    }

    /// [`Passwords::hash`] from synchronous code on the runtime (a viewset hook): the worker
    /// thread hands its other tasks over while it waits.
    pub fn hash_blocking(&self, password: &str) -> Result<String, ApiError> {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(self.hash(password))
        })
    }

    /// Whether `password` matches `stored` (or, with no stored hash, the decoy: always
    /// false, in the same time).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, ApiError> {
        let _slot = self.slot().await?;
        let (password, found) = (password.to_owned(), stored.is_some());
        let stored = stored.map_or_else(|| self.decoy.to_string(), str::to_owned);
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .map_err(|e| ApiError::internal(format!("password check task: {e}")))?;
        Ok(ok && found)
    }
}
