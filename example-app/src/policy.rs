//! The app's request policy, DRF's `DEFAULT_*` settings: who is asking (token or session
//! authentication), what they may do (read for all, write when authenticated, change
//! only one's own rows) and how often (anonymous, user and upload rates, counted in memory or
//! in Redis).

use std::sync::Arc;

use restframe::ApiSettings;
use restframe::auth::{Authenticator, SessionAuthentication, TokenAuthentication};
use restframe::permissions::{IsAuthenticatedOrReadOnly, Permission};
use restframe::throttling::{
    AnonRateThrottle, MemoryThrottleStore, Rate, RedisThrottleStore, RedisThrottleStoreConfig,
    ScopedRateThrottle, Throttle, ThrottleStore,
};

use crate::credentials::Credentials;

/// The throttle scope of uploads (track files, presigned URLs and their confirmation, user
/// pictures).
pub const UPLOADS: &str = "uploads";

/// A throttle rate from the command line: DRF's `N/period`, or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateFlag(pub Option<Rate>);

/// Parses `100/min` (DRF's syntax) or `off`.
pub fn parse_rate(s: &str) -> Result<RateFlag, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(RateFlag(None));
    }
    s.parse::<Rate>()
        .map(|r| RateFlag(Some(r)))
        .map_err(|e| format!("{e} (or `off`)"))
}

/// What the throttles are set to.
pub struct Throttling {
    /// Anonymous requests, per client address.
    pub anon: RateFlag,
    /// Authenticated requests, per user.
    pub user: RateFlag,
    /// Uploads, per user (per address when anonymous).
    pub uploads: RateFlag,
    /// Where the counts live: `memory` (this process) or `redis` (shared by every instance).
    pub store: String,
    /// The Redis server, for `store == "redis"`.
    pub redis_url: String,
    /// What every Redis key starts with.
    pub redis_prefix: String,
}

/// The throttles' store.
pub async fn throttle_store(t: &Throttling) -> Result<Arc<dyn ThrottleStore>, String> {
    if t.store == "redis" {
        let config = RedisThrottleStoreConfig::default().prefix(t.redis_prefix.clone());
        let store = RedisThrottleStore::connect_with(&t.redis_url, config)
            .await
            // The URL may hold a password: the caller names it, redacted.
            .map_err(|e| format!("{e}; start it or pass --redis-url"))?;
        Ok(Arc::new(store))
    } else {
        Ok(Arc::new(MemoryThrottleStore::new()))
    }
}

/// The app's default policy, every view's unless it sets its own: token, session and basic
/// authentication; read for anyone, write when authenticated; the anonymous, user and upload
/// rates.
pub fn settings(
    credentials: &Credentials,
    throttling: &Throttling,
    store: &Arc<dyn ThrottleStore>,
) -> ApiSettings {
    let shared = Arc::new(credentials.clone());
    // No BasicAuthentication: it would check a password (Argon2, tens of milliseconds) on
    // every request, and a failed authentication is answered before the throttles count it, so
    // Basic would be an unthrottled password-guessing oracle. Passwords are checked only by the
    // token and login views, which the anonymous rate limits.
    let authenticators: [Arc<dyn Authenticator>; 2] = [
        // First: a 401 says `WWW-Authenticate: Token`.
        Arc::new(TokenAuthentication::shared(shared.clone())),
        Arc::new(SessionAuthentication::shared(shared)),
    ];
    let mut throttles: Vec<Arc<dyn Throttle>> = Vec::new();
    if let Some(rate) = throttling.anon.0 {
        throttles.push(Arc::new(AnonRateThrottle::new(rate, Arc::clone(store))));
    }
    if let Some(rate) = throttling.user.0 {
        throttles.push(Arc::new(restframe::throttling::UserRateThrottle::new(
            rate,
            Arc::clone(store),
        )));
    }
    if let Some(rate) = throttling.uploads.0 {
        throttles.push(Arc::new(
            ScopedRateThrottle::new(Arc::clone(store)).rate(UPLOADS, rate),
        ));
    }
    ApiSettings::default()
        .authenticators(authenticators)
        .permissions([Arc::new(IsAuthenticatedOrReadOnly) as Arc<dyn Permission>])
        .throttles(throttles)
}
