//! Trusted proxies: whose `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` count.
//!
//! Any client can write these headers, so by default nobody's count: the scheme is the
//! connection's, the host is the request's own `Host`, and the client address is the peer's.
//! Behind a load balancer, name it in [`TrustedProxies`] (on [`crate::ServeOptions`]): only
//! requests whose *peer* (the TCP connection's other end) is one of those addresses have their
//! forwarding headers read. The decision is made once per request, by [`TrustedProxies::apply`]
//! (which `restframe::serve` calls), and recorded as extensions that everything else reads:
//! [`ClientAddr`] (throttles), [`Forwarded`] (`Request::base_url`, the allowed-hosts check, the
//! session cookie's `Secure`).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use crate::extensions::{ClientAddr, Forwarded};

/// The peers whose forwarding headers count: addresses (`127.0.0.1`, `::1`) or networks in CIDR
/// notation (`10.0.0.0/8`, `fd00::/8`). Empty by default: nobody's.
///
/// ```
/// use restframe::TrustedProxies;
/// let proxies: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse()?;
/// assert!(proxies.trusts("10.1.2.3".parse()?));
/// assert!(!proxies.trusts("192.168.0.1".parse()?));
/// assert!(!TrustedProxies::none().trusts("127.0.0.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[Network]>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A `--trusted-proxies` entry that is neither an address nor a CIDR network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyParseError(String);

impl std::fmt::Display for ProxyParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not an IP address or a CIDR network (e.g. 10.0.0.1 or 10.0.0.0/8)",
            self.0
        )
    }
}

impl std::error::Error for ProxyParseError {}

impl FromStr for TrustedProxies {
    type Err = ProxyParseError;

    /// A comma-separated list of addresses and CIDR networks; empty or `none`: nobody.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut networks = Vec::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry.eq_ignore_ascii_case("none") {
                continue;
            }
            let bad = || ProxyParseError(entry.to_owned());
            let (addr, prefix) = match entry.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (entry, None),
            };
            let addr = canonical(
                addr.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .map_err(|_| bad())?,
            );
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            };
            networks.push(Network { addr, prefix });
        }
        Ok(Self(networks.into()))
    }
}

impl TrustedProxies {
    /// Nobody's forwarding headers count (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records who sent `req` and what its trusted proxies said, for everything downstream:
    /// a [`ClientAddr`] (the peer; or, when the peer is trusted, the nearest address in
    /// `X-Forwarded-For` that is not itself a trusted proxy) and, when the peer is trusted, a
    /// [`Forwarded`] with its `X-Forwarded-Proto` and `X-Forwarded-Host`. From an untrusted
    /// peer the three headers are removed, so no code can read them by mistake.
    /// `restframe::serve` calls it on every request; call it yourself when you serve a
    /// restframe router with another server.
    ///
    /// ```
    /// use restframe::TrustedProxies;
    /// use restframe::extensions::{ClientAddr, Forwarded};
    /// let proxies: TrustedProxies = "127.0.0.1".parse()?;
    /// let request = || http::Request::get("/")
    ///     .header("x-forwarded-proto", "https")
    ///     .header("x-forwarded-for", "203.0.113.9, 127.0.0.1")
    ///     .body(()).unwrap();
    ///
    /// let mut from_proxy = request();
    /// proxies.apply(&mut from_proxy, "127.0.0.1:5000".parse()?);
    /// let forwarded = from_proxy.extensions().get::<Forwarded>().unwrap();
    /// assert_eq!(forwarded.proto(), Some("https"));
    /// assert_eq!(from_proxy.extensions().get::<ClientAddr>().unwrap().0.ip().to_string(), "203.0.113.9");
    ///
    /// let mut from_anyone = request();
    /// proxies.apply(&mut from_anyone, "198.51.100.7:5000".parse()?);
    /// assert!(from_anyone.extensions().get::<Forwarded>().is_none());
    /// assert!(from_anyone.headers().get("x-forwarded-proto").is_none());
    /// assert_eq!(from_anyone.extensions().get::<ClientAddr>().unwrap().0.ip().to_string(), "198.51.100.7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply<B>(&self, req: &mut http::Request<B>, peer: SocketAddr) {
        if !self.trusts(peer.ip()) {
            let headers = req.headers_mut();
            for name in ["x-forwarded-proto", "x-forwarded-host", "x-forwarded-for"] {
                headers.remove(name);
            }
            req.extensions_mut().insert(ClientAddr(peer));
            return;
        }
        let headers = req.headers();
        // The last value of each header is the one our proxy wrote (a client may send its own).
        let last = |name: &str| {
            headers
                .get_all(name)
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let forwarded = Forwarded {
            proto: last("x-forwarded-proto").map(|p| p.to_ascii_lowercase()),
            host: last("x-forwarded-host"),
        };
        // Right to left: the first hop that is not one of ours is the client. Only the hops
        // our proxies appended are sure: a hop that does not parse (written by the client, or
        // `ip:port` from some balancer, port stripped first) ends the walk, and the last hop
        // passed (one of ours) stands for the client.
        let all: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let mut client = None;
        let mut last_trusted = None;
        for hop in all.iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            if self.trusts(ip) {
                last_trusted = Some(ip);
            } else {
                client = Some(ip);
                break;
            }
        }
        let client = client
            .or(last_trusted)
            .map_or(peer, |ip| SocketAddr::new(ip, 0));
        req.extensions_mut().insert(ClientAddr(client));
        req.extensions_mut().insert(forwarded);
    }
}

/// One `X-Forwarded-For` hop: an IP address, bracketed or not, with or without a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::{TrustedProxies, parse_hop};

    #[test]
    fn hops_parse_with_or_without_ports() {
        for (hop, ip) in [
            ("203.0.113.5", "203.0.113.5"),
            (" 203.0.113.5:4711", "203.0.113.5"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            assert_eq!(parse_hop(hop), ip.parse().ok(), "{hop}");
        }
        for bad in ["x", "", "unknown", "1.2.3"] {
            assert_eq!(parse_hop(bad), None, "{bad}");
        }
    }

    #[test]
    fn networks_match_by_prefix() {
        let p: TrustedProxies = "10.0.0.0/8, ::1, fd00::/8".parse().unwrap();
        for ok in ["10.255.0.1", "::1", "fd12::1", "::ffff:10.0.0.1"] {
            assert!(p.trusts(ok.parse().unwrap()), "{ok}");
        }
        for no in ["11.0.0.1", "::2", "127.0.0.1"] {
            assert!(!p.trusts(no.parse().unwrap()), "{no}");
        }
        assert!(
            "0.0.0.0/0"
                .parse::<TrustedProxies>()
                .unwrap()
                .trusts("1.2.3.4".parse().unwrap())
        );
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("example.com".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    /// The client address behind a trusted proxy: the first untrusted hop from the right; a
    /// client's own junk on the left neither hides it nor picks another.
    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        use crate::extensions::ClientAddr;
        let p: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        let peer: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let client = |xff: &str| {
            let mut req = http::Request::builder()
                .header("x-forwarded-for", xff)
                .body(())
                .unwrap();
            p.apply(&mut req, peer);
            req.extensions()
                .get::<ClientAddr>()
                .unwrap()
                .0
                .ip()
                .to_string()
        };
        assert_eq!(client("203.0.113.5"), "203.0.113.5");
        assert_eq!(client("x, 203.0.113.5"), "203.0.113.5");
        assert_eq!(client("1.2.3.4, 203.0.113.5, 10.0.0.7"), "203.0.113.5");
        assert_eq!(client("203.0.113.5:4711"), "203.0.113.5");
        assert_eq!(client("x, 10.0.0.7"), "10.0.0.7");
        assert_eq!(client("garbage"), "127.0.0.1");
    }
}
