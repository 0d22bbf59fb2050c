//! The [`Throttle`] trait (DRF's `BaseThrottle`) and DRF's classes: [`AnonRateThrottle`],
//! [`UserRateThrottle`], [`ScopedRateThrottle`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use super::{Rate, ThrottleStore};
use crate::error::ApiError;
use crate::extensions::ClientAddr;
use crate::request::Request;
use crate::util::BoxFuture;

/// One limit on how often a client may call a view.
///
/// `Ok(None)`: allowed (and counted). `Ok(Some(wait))`: refused; the client may retry after
/// `wait`. A view asks all of its throttles and answers 429 with the longest wait, as DRF.
pub trait Throttle: Send + Sync + 'static {
    /// Whether `req` may go on now.
    fn allow<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Option<Duration>, ApiError>>;
}

/// The parts of `prefix` followed by the client's identity: its address, as the connection
/// gave it (`restframe::serve` records it as a [`ClientAddr`] extension). `X-Forwarded-For` is
/// not trusted: any client can write it. A request without a recorded address (served by
/// another server, or in tests) counts as one client, `unknown`.
fn client_key(prefix: &[&str], req: &Request) -> String {
    // One allocation, long enough for any identity (the longest, an IPv6 network, is 24 bytes).
    let mut key = String::with_capacity(prefix.iter().map(|part| part.len()).sum::<usize>() + 24);
    for part in prefix {
        key.push_str(part);
    }
    match req.extensions().get::<ClientAddr>() {
        Some(addr) => push_address_ident(&mut key, addr.0.ip()),
        None => key.push_str("unknown"),
    }
    key
}

/// Appends an anonymous client's identity: its IPv4 address, or the /64 network of its IPv6
/// address (one host holds a whole /64 and could otherwise change address at every request).
/// An IPv4 address is written octet by octet, not through `fmt`, which each throttled request
/// went through twice per throttle (`cargo bench -p restframe --features auth --bench
/// throttles`).
fn push_address_ident(key: &mut String, ip: std::net::IpAddr) {
    let v4 = match ip {
        std::net::IpAddr::V4(v4) => v4,
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4,
            None => {
                let s = v6.segments();
                // Writing to a `String` cannot fail.
                let _ = write!(key, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]);
                return;
            }
        },
    };
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            key.push('.');
        }
        if octet >= 100 {
            key.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            key.push(char::from(b'0' + octet / 10 % 10));
        }
        key.push(char::from(b'0' + octet % 10));
    }
}

/// A store error lets the request through, logged: a Redis outage must not take the API down.
async fn hit(store: &dyn ThrottleStore, key: &str, rate: Rate) -> Option<Duration> {
    match store.hit(key, rate).await {
        Ok(wait) => wait,
        Err(e) => {
            tracing::warn!(error = %e, key, "throttle store failed; request allowed");
            None
        }
    }
}

/// Anonymous requests at most `rate`, counted per client address (DRF's
/// `AnonRateThrottle`); authenticated requests are not limited by it.
///
/// ```
/// use std::sync::Arc;
/// use restframe::throttling::{AnonRateThrottle, MemoryThrottleStore, UserRateThrottle};
/// let store = Arc::new(MemoryThrottleStore::new());
/// let settings = restframe::ApiSettings::default().throttles([
///     Arc::new(AnonRateThrottle::new("100/min".parse()?, store.clone())) as _,
///     Arc::new(UserRateThrottle::new("1000/min".parse()?, store)) as _,
/// ]);
/// # let _ = settings;
/// # Ok::<(), restframe::throttling::RateError>(())
/// ```
#[derive(Clone)]
pub struct AnonRateThrottle {
    rate: Rate,
    store: Arc<dyn ThrottleStore>,
}

impl AnonRateThrottle {
    /// At most `rate` anonymous requests per address, counted in `store`.
    pub fn new(rate: Rate, store: Arc<dyn ThrottleStore>) -> Self {
        Self { rate, store }
    }
}

impl Throttle for AnonRateThrottle {
    fn allow<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Option<Duration>, ApiError>> {
        Box::pin(async move {
            if req.user().await?.is_authenticated() {
                return Ok(None);
            }
            let key = client_key(&["throttle_anon_"], req);
            Ok(hit(&*self.store, &key, self.rate).await)
        })
    }
}

/// At most `rate` requests per user, or per client address for anonymous requests (DRF's
/// `UserRateThrottle`).
#[derive(Clone)]
pub struct UserRateThrottle {
    rate: Rate,
    store: Arc<dyn ThrottleStore>,
}

impl UserRateThrottle {
    /// At most `rate` requests per user (per address when anonymous), counted in `store`.
    pub fn new(rate: Rate, store: Arc<dyn ThrottleStore>) -> Self {
        Self { rate, store }
    }
}

/// The parts of `prefix` followed by `user:<id>` for a user, `ip:<address>` otherwise.
async fn user_key(prefix: [&str; 3], req: &Request) -> Result<String, ApiError> {
    Ok(match req.user().await?.id() {
        Some(id) => {
            let mut key = prefix.concat();
            // Writing to a `String` cannot fail.
            let _ = write!(key, "user:{id}");
            key
        }
        None => client_key(&[prefix[0], prefix[1], prefix[2], "ip:"], req),
    })
}

impl Throttle for UserRateThrottle {
    fn allow<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Option<Duration>, ApiError>> {
        Box::pin(async move {
            let key = user_key(["throttle_user_", "", ""], req).await?;
            Ok(hit(&*self.store, &key, self.rate).await)
        })
    }
}

/// The throttle scope of a view or action (DRF's `throttle_scope`), set with
/// `ApiView::throttle_scope`; [`ScopedRateThrottle`] reads it from the request extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleScope(pub Arc<str>);

/// A rate per scope (DRF's `ScopedRateThrottle` with `DEFAULT_THROTTLE_RATES`): a view or
/// action that names a scope (`ApiView::throttle_scope("uploads")`) is limited to that
/// scope's rate, per user (per address when anonymous); views without a scope, or with a
/// scope that has no rate, are not limited by it.
///
/// ```
/// use std::sync::Arc;
/// use restframe::throttling::{MemoryThrottleStore, ScopedRateThrottle};
/// let scoped = ScopedRateThrottle::new(Arc::new(MemoryThrottleStore::new()))
///     .rate("uploads", "60/min".parse()?);
/// let settings = restframe::ApiSettings::default().throttles([Arc::new(scoped) as _]);
/// # let _ = settings;
/// # Ok::<(), restframe::throttling::RateError>(())
/// ```
#[derive(Clone)]
pub struct ScopedRateThrottle {
    rates: HashMap<Arc<str>, Rate>,
    store: Arc<dyn ThrottleStore>,
}

impl ScopedRateThrottle {
    /// No scope limited yet; counts in `store`.
    pub fn new(store: Arc<dyn ThrottleStore>) -> Self {
        Self {
            rates: HashMap::new(),
            store,
        }
    }

    /// Limits `scope` to `rate`.
    pub fn rate(mut self, scope: &str, rate: Rate) -> Self {
        self.rates.insert(Arc::from(scope), rate);
        self
    }
}

impl Throttle for ScopedRateThrottle {
    fn allow<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Option<Duration>, ApiError>> {
        Box::pin(async move {
            let Some(ThrottleScope(scope)) = req.extensions().get::<ThrottleScope>() else {
                return Ok(None);
            };
            let Some(rate) = self.rates.get(scope) else {
                return Ok(None);
            };
            // `throttle_scope_…`, not DRF's `throttle_{scope}_…`: a scope named `user` or
            // `anon` must not share its history with the user or anonymous throttle.
            let key = user_key(["throttle_scope_", scope, "_"], req).await?;
            Ok(hit(&*self.store, &key, *rate).await)
        })
    }
}

/// Asks every throttle (each counts the request it allows) and refuses with the longest wait
/// (DRF's `check_throttles`).
pub(crate) async fn check_throttles(
    throttles: &[Arc<dyn Throttle>],
    req: &Request,
) -> Result<(), ApiError> {
    let mut longest: Option<Duration> = None;
    for t in throttles {
        if let Some(wait) = t.allow(req).await? {
            longest = Some(longest.map_or(wait, |l| l.max(wait)));
        }
    }
    match longest {
        Some(wait) => Err(ApiError::throttled(Some(wait))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::push_address_ident;

    fn address_ident(ip: std::net::IpAddr) -> String {
        let mut ident = String::new();
        push_address_ident(&mut ident, ip);
        ident
    }

    /// Every octet is written as `Ipv4Addr`'s own `Display` writes it.
    #[test]
    fn an_ipv4_address_is_written_as_it_displays() {
        for octet in 0..=u8::MAX {
            for ip in [
                std::net::Ipv4Addr::new(octet, 0, 255, octet),
                std::net::Ipv4Addr::new(9, octet, octet, 10),
            ] {
                assert_eq!(address_ident(ip.into()), ip.to_string());
            }
        }
    }

    #[test]
    fn anonymous_clients_are_counted_by_ipv4_address_or_ipv6_network() {
        let ident = |s: &str| address_ident(s.parse().unwrap_or_else(|e| panic!("{s}: {e}")));
        assert_eq!(ident("192.0.2.7"), "192.0.2.7");
        assert_eq!(ident("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(ident("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(ident("2001:db8:1:2:ffff:1:2:3"), ident("2001:db8:1:2::9"));
        assert_ne!(ident("2001:db8:1:3::1"), ident("2001:db8:1:2::1"));
    }
}
