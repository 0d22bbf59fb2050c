//! The route table as plain data (DRF's `Route`): what the router serves, for the views that
//! describe it (the API root, the OpenAPI document) and for tests.

use std::collections::HashMap;

use http::Method;

use super::pattern::PathPattern;
use crate::view::ApiView;

/// A snapshot of a router's routes, in registration order, with the router's mount prefix.
///
/// [`Router::routes`](super::Router::routes) returns it, and the router hands it to every view
/// as an `Arc<RouteTable>` request extension, so a view can list or describe the API.
///
/// ```
/// use restframe::{api_view, Request, Response, Router};
/// use http::Method;
///
/// let list = api_view(|_req: Request| async { Ok(Response::new(Vec::<String>::new())) });
/// let detail = api_view(|_req: Request| async { Ok(Response::new("one")) });
/// let router = Router::new()
///     .mount_prefix("/api")
///     .route("/tracks/", "track-list", [(Method::GET, list.clone()), (Method::POST, list)])?
///     .route("/tracks/{id:[0-9]+}/", "track-detail", [(Method::GET, detail)])?;
/// let table = router.routes();
/// assert_eq!(table.mount_prefix(), "/api");
/// let names: Vec<&str> = table.entries().iter().map(|r| r.name()).collect();
/// assert_eq!(names, ["track-list", "track-detail"]);
/// let detail = &table.entries()[1];
/// assert_eq!(detail.template(), "/tracks/{id}/");
/// assert_eq!(detail.captures().collect::<Vec<_>>(), [("id", "^(?:[0-9]+)$")]);
/// assert_eq!(table.entries()[0].methods().len(), 2);
/// # Ok::<(), restframe::RouteError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RouteTable {
    pub(super) mount_prefix: String,
    pub(super) entries: Vec<RouteEntry>,
    /// The indexes of the entries of each name, in registration order, for reversing.
    pub(super) by_name: HashMap<String, Vec<usize>>,
}

impl RouteEntry {
    /// Whether `path` (without the mount prefix) is a path of this route.
    #[cfg(feature = "openapi")]
    pub(crate) fn matches_path(&self, path: &str) -> bool {
        self.compiled.matches(path).is_some()
    }
}

impl RouteTable {
    /// The routes, in registration order.
    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }

    /// Where the router is mounted (`/api`), or `""`.
    pub fn mount_prefix(&self) -> &str {
        &self.mount_prefix
    }

    /// The route named `name`, if any.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
    /// let router = Router::new().route("/tracks/{id}/", "track-detail", [(http::Method::GET, ok)])?;
    /// assert_eq!(router.routes().get("track-detail").map(|r| r.template()), Some("/tracks/{id}/"));
    /// assert!(router.routes().get("track-list").is_none());
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&RouteEntry> {
        self.named(name).next()
    }

    /// Every route named `name`, in registration order: routes may share a name when their
    /// captures differ (a versioned and an unversioned path), as in Django.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a RouteEntry> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.entries.get(i))
    }
}

/// One route: its name, pattern and views by method.
#[derive(Clone)]
pub struct RouteEntry {
    pub(super) name: String,
    pub(super) pattern: String,
    pub(super) template: String,
    pub(super) captures: Vec<(String, String)>,
    pub(super) methods: Vec<(Method, ApiView)>,
    /// The compiled pattern, to reverse the route.
    pub(super) compiled: PathPattern,
    /// While reversing for a versioned request: the version capture and its value.
    pub(super) version: Option<(String, String)>,
    /// Whether this is an API root ([`Router::api_root`](super::Router::api_root)), which
    /// roots do not list.
    pub(super) api_root: bool,
}

impl std::fmt::Debug for RouteEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteEntry")
            .field("name", &self.name)
            .field("pattern", &self.pattern)
            .field(
                "methods",
                &self.methods.iter().map(|(m, _)| m).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl RouteEntry {
    /// The route's name (`track-detail`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pattern as registered (`/tracks/{id:[0-9]+}/`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The pattern as an OpenAPI path template, constraints removed (`/tracks/{id}/`).
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Each capture's name and anchored regex, in order.
    pub fn captures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.captures.iter().map(|(n, r)| (n.as_str(), r.as_str()))
    }

    /// Whether the pattern has captures (a route an API root cannot link to).
    pub fn has_captures(&self) -> bool {
        !self.captures.is_empty()
    }

    /// The views, by method, as registered.
    pub fn methods(&self) -> &[(Method, ApiView)] {
        &self.methods
    }
}
