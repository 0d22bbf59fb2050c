//! What the router hands to the view it calls, in the request's extensions.
//!
//! A `Router` that matches a request inserts these before it calls the view; a
//! view served on its own (without a router) finds none of them and works from the URI alone.
//! They are axum's `NestedPath` ([`MountPrefix`]), `MatchedPath` ([`MatchedRoute`]) and path
//! captures ([`PathParams`]), plus the format suffix the router stripped ([`FormatSuffix`]).
//! Handlers usually reach them through `Request` (`path_param`, `path`, `base_url`); middleware
//! and tests can read them directly:
//!
//! ```
//! use restframe::extensions::{MatchedRoute, PathParams};
//! use restframe::{api_view, Request, Response, Router};
//! use http::Method;
//!
//! let detail = api_view(|req: Request| async move {
//!     let route = req.extensions().get::<MatchedRoute>().map(|r| r.name().to_owned());
//!     let params = req.extensions().get::<PathParams>().map(|p| p.0.len());
//!     Ok(Response::new(serde_json::json!({"route": route, "captures": params})))
//! });
//! let router = Router::new().route("/tracks/{id}/", "track-detail", [(Method::GET, detail)])?;
//! # let _ = router;
//! # Ok::<(), restframe::RouteError>(())
//! ```
//!
//! The router also hands every view its route table, as an `Arc<router::RouteTable>`
//! extension (DRF's `Route` list, as plain data).

use std::sync::Arc;

/// Where the router is mounted (`/api` when an axum app nests it there, axum's `NestedPath`):
/// incoming paths arrive without it, and absolute links get it back. Set by
/// `Router::mount_prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountPrefix(pub(crate) Arc<str>);

impl MountPrefix {
    /// The prefix: `/api`, never ending in `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The route that matched (axum's `MatchedPath`): its pattern as registered and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedRoute {
    pub(crate) pattern: Arc<str>,
    pub(crate) name: Arc<str>,
}

impl MatchedRoute {
    /// The pattern as registered: `/api/tracks/{id:[0-9]+}/`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The route's name: `track-detail`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The captures of the route that matched, as `(name, value)`, percent-decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams(pub Vec<(String, String)>);

impl PathParams {
    /// The value captured as `name`.
    ///
    /// ```
    /// let params = restframe::extensions::PathParams(vec![("id".into(), "4".into())]);
    /// assert_eq!(params.get("id"), Some("4"));
    /// assert_eq!(params.get("pk"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the router found at the end of the path: the format suffix, or `None` when there was
/// none. A view that finds this does not look at the path itself; `?format=` still applies
/// when there is no suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatSuffix(pub Option<String>);

/// The address of the client (axum's `ConnectInfo`), as `restframe::serve` records it on every
/// request; throttles count anonymous clients by its IP. It is the connection's peer, unless
/// that peer is a trusted proxy ([`crate::TrustedProxies`]): then it is the nearest
/// `X-Forwarded-For` hop that is not itself a trusted proxy (with port 0). From anyone else,
/// `X-Forwarded-For` is not read, since any client can write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::SocketAddr);

/// What a trusted proxy said about the original request: its `X-Forwarded-Proto` and
/// `X-Forwarded-Host`. Recorded by [`crate::TrustedProxies::apply`] only for requests whose peer
/// is a trusted proxy; `Request::base_url`, the router's allowed-hosts check and the session
/// cookie's `Secure` read it, never the headers themselves.
///
/// ```
/// let forwarded = restframe::extensions::Forwarded::new(Some("https"), Some("api.example.com"));
/// assert_eq!(forwarded.proto(), Some("https"));
/// assert_eq!(forwarded.host(), Some("api.example.com"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    pub(crate) proto: Option<String>,
    pub(crate) host: Option<String>,
}

impl Forwarded {
    /// What a trusted proxy reported: the scheme (lowercased) and the host.
    pub fn new(proto: Option<&str>, host: Option<&str>) -> Self {
        Self {
            proto: proto.map(str::to_ascii_lowercase),
            host: host.map(str::to_owned),
        }
    }

    /// The original scheme (`https`), from `X-Forwarded-Proto`.
    pub fn proto(&self) -> Option<&str> {
        self.proto.as_deref()
    }

    /// The original host (`api.example.com`), from `X-Forwarded-Host`.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
}

/// Where a view's uploads spill to disk (see `ApiView::upload_dir`).
#[derive(Clone, Debug)]
pub(crate) struct UploadDir(pub(crate) Arc<std::path::Path>);

/// What HTML pages show of the matched route: allowed methods, and the forms that may be sent.
#[derive(Clone, Debug)]
pub(crate) struct RouteForms(pub(crate) Arc<crate::renderers::RouteInfo>);

/// Shared state given with `with_state` (to a view, or to a router, which hands its own to
/// every view as this extension): one `Arc` per type.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedState(Arc<http::Extensions>);

impl SharedState {
    /// This state with `value` added (replacing one of the same type).
    pub(crate) fn with<T: std::any::Any + Send + Sync>(mut self, value: T) -> Self {
        Arc::make_mut(&mut self.0).insert(Arc::new(value));
        self
    }

    /// The state of type `T`, if given.
    pub(crate) fn get<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.0.get::<Arc<T>>().cloned()
    }

    /// Whether no state was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
