//! Route reversing (Django's `reverse`, DRF's `reverse(viewname, args, request=request)`): the
//! URL of a named route with its captures filled in, from the router's [`RouteTable`].
//!
//! A viewset registers `{basename}-list`, `{basename}-detail` and `{basename}-{url_name}` for its
//! extra actions, so `req.reverse("track-detail", &["4"])` is
//! `http://host/api/tracks/4/` from any view of the router. The table reverses paths (with the
//! mount prefix); the request makes them absolute (DRF's `request.build_absolute_uri`).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::pattern::FillError;
use super::table::{RouteEntry, RouteTable};
use crate::error::ApiError;
use crate::request::Request;

/// Why a route could not be reversed (Django's `NoReverseMatch`). Each is a mistake in the code
/// that reverses — a misspelt name, the wrong arguments — or a value the route cannot carry; as
/// an [`ApiError`] it is a 500 whose message goes to the log.
///
/// ```
/// use restframe::router::ReverseError;
/// use restframe::{api_view, Request, Response, Router};
///
/// let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
/// let routes = Router::new().route("/tracks/{id}/", "track-detail", [(http::Method::GET, ok)])?.routes();
/// assert_eq!(routes.reverse("track-detail", &["4"]).as_deref(), Ok("/tracks/4/"));
/// assert!(matches!(routes.reverse("trak-detail", &["4"]), Err(ReverseError::UnknownName(_))));
/// assert!(matches!(routes.reverse("track-detail", &[]), Err(ReverseError::WrongArguments { .. })));
/// assert_eq!(
///     routes.reverse("track-detail", &["4", "5"]).unwrap_err().to_string(),
///     "reverse(`track-detail`): the route takes 1 argument (`id`), 2 given",
/// );
/// # Ok::<(), restframe::RouteError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReverseError {
    /// No route has this name.
    UnknownName(String),
    /// Positional arguments: not as many as the route has captures.
    WrongArguments {
        /// The route's name.
        name: String,
        /// Its captures, in order.
        expected: Vec<String>,
        /// How many arguments were given.
        given: usize,
    },
    /// Named arguments: a capture missing, or a name that is no capture (or is given twice).
    WrongKeywords {
        /// The route's name.
        name: String,
        /// Its captures, in order.
        expected: Vec<String>,
        /// The names given, in order.
        given: Vec<String>,
    },
    /// The value does not fit its capture's regex, or would not come back from the URL as given
    /// (a constrained capture takes no percent-escapes), so the URL would not reach the route.
    NoMatch {
        /// The route's name.
        name: String,
        /// The capture.
        capture: String,
        /// Its anchored regex.
        regex: String,
        /// The value given.
        value: String,
    },
    /// The request did not come through a [`crate::Router`], so no route table is at hand.
    NoRouteTable,
}

impl fmt::Display for ReverseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Self::UnknownName(name) => write!(f, "reverse: no route is named `{name}`"),
            Self::WrongArguments {
                name,
                expected,
                given,
            } => {
                let n = expected.len();
                write!(
                    f,
                    "reverse(`{name}`): the route takes {n} argument{}",
                    if n == 1 { "" } else { "s" }
                )?;
                if n > 0 {
                    write!(f, " ({})", list(expected))?;
                }
                write!(f, ", {given} given")
            }
            Self::WrongKeywords {
                name,
                expected,
                given,
            } => {
                let takes = if expected.is_empty() {
                    "no arguments".to_owned()
                } else {
                    format!("the arguments {}", list(expected))
                };
                let given = if given.is_empty() {
                    "none".to_owned()
                } else {
                    list(given)
                };
                write!(
                    f,
                    "reverse(`{name}`): the route takes {takes}, given {given}"
                )
            }
            Self::NoMatch {
                name,
                capture,
                regex,
                value,
            } => write!(
                f,
                "reverse(`{name}`): {value:?} does not fit the capture `{capture}` ({regex})"
            ),
            Self::NoRouteTable => write!(
                f,
                "reverse: the request did not come through a Router, so no route table is at hand"
            ),
        }
    }
}

impl std::error::Error for ReverseError {}

impl From<ReverseError> for ApiError {
    /// A 500: the client reads "A server error occurred.", the log the reason.
    fn from(e: ReverseError) -> Self {
        ApiError::internal(e.to_string())
    }
}

impl RouteTable {
    /// The path of the route named `name` with `args` as its captures, in order (Django's
    /// `reverse(viewname, args=…)`), under the mount prefix: `/api/tracks/4/`.
    ///
    /// Each argument is percent-encoded as a path segment (`/`, `?`, `#`, `%`, spaces and
    /// non-ASCII characters escaped) and must fit its capture: the path matches the route again
    /// with exactly these values, or it is [`ReverseError::NoMatch`]. The path has the pattern's
    /// own trailing slash and never a format suffix.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
    /// let routes = Router::new()
    ///     .mount_prefix("/api")
    ///     .route("/tracks/", "track-list", [(http::Method::GET, ok.clone())])?
    ///     .route("/files/{name}/", "file-detail", [(http::Method::GET, ok)])?
    ///     .routes();
    /// assert_eq!(routes.reverse("track-list", &[]).as_deref(), Ok("/api/tracks/"));
    /// assert_eq!(routes.reverse("file-detail", &["so what?"]).as_deref(), Ok("/api/files/so%20what%3F/"));
    /// // `{name}` takes one segment without dots, as the router matches it.
    /// assert!(routes.reverse("file-detail", &["a/b"]).is_err());
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn reverse(&self, name: &str, args: &[&str]) -> Result<String, ReverseError> {
        let path = self.fill(name, None, |entry| entry.fill(args))?;
        Ok(format!("{}{path}", self.mount_prefix))
    }

    /// [`RouteTable::reverse`] with the captures by name (Django's `reverse(viewname,
    /// kwargs=…)`), in any order; each capture exactly once.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
    /// let routes = Router::new()
    ///     .route("/albums/{album}/tracks/{id}/", "album-track", [(http::Method::GET, ok)])?
    ///     .routes();
    /// let path = routes.reverse_kwargs("album-track", &[("id", "4"), ("album", "kind-of-blue")]);
    /// assert_eq!(path.as_deref(), Ok("/albums/kind-of-blue/tracks/4/"));
    /// assert!(routes.reverse_kwargs("album-track", &[("id", "4")]).is_err());
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn reverse_kwargs(
        &self,
        name: &str,
        kwargs: &[(&str, &str)],
    ) -> Result<String, ReverseError> {
        let path = self.fill(name, None, |entry| entry.fill_kwargs(kwargs))?;
        Ok(format!("{}{path}", self.mount_prefix))
    }

    /// The path of the first route named `name` that `fill` fills (routes may share a name
    /// when their captures differ), else the first one's error. With `version` (a capture and
    /// its value), a route with that capture gets it filled first.
    fn fill(
        &self,
        name: &str,
        version: Option<(&str, &str)>,
        fill: impl Fn(&RouteEntry) -> Result<String, ReverseError>,
    ) -> Result<String, ReverseError> {
        fill_first(name, &self.candidates(name, version), fill)
    }

    /// The routes named `name`, in the order reversing tries them: with `version` (a capture
    /// and its value), those with that capture first, each given the value (DRF's
    /// `URLPathVersioning.reverse`), so the link stays in the request's version.
    fn candidates<'a>(
        &'a self,
        name: &str,
        version: Option<(&str, &str)>,
    ) -> Vec<Cow<'a, RouteEntry>> {
        let has = |entry: &RouteEntry| {
            version.is_some_and(|(capture, _)| entry.captures.iter().any(|(n, _)| n == capture))
        };
        let mut out: Vec<Cow<'a, RouteEntry>> = Vec::new();
        if let Some((capture, value)) = version {
            for entry in self.named(name).filter(|e| has(e)) {
                let mut versioned = entry.clone();
                versioned.version = Some((capture.to_owned(), value.to_owned()));
                out.push(Cow::Owned(versioned));
            }
        }
        out.extend(self.named(name).filter(|e| !has(e)).map(Cow::Borrowed));
        out
    }
}

/// What `fill` gives for the first of `entries` it fills, else the first one's error.
fn fill_first<T>(
    name: &str,
    entries: &[Cow<'_, RouteEntry>],
    mut fill: impl FnMut(&RouteEntry) -> Result<T, ReverseError>,
) -> Result<T, ReverseError> {
    let mut first_error = None;
    for entry in entries {
        match fill(entry) {
            Ok(path) => return Ok(path),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| ReverseError::UnknownName(name.to_owned())))
}

/// The URLs of one named route for many objects (the `url` of each row of a page): the route
/// table, scheme, host, mount prefix and version are looked up once, so each URL costs the
/// check of its arguments and one string. Made by [`Request::reverser`] (absolute URLs) or
/// [`Request::path_reverser`] (paths); each URL is what [`Request::reverse`] or
/// [`Request::reverse_path`] gives for the same arguments.
///
/// ```
/// use restframe::{api_view, Request, Response, Router};
/// use http::Method;
///
/// let list = api_view(|req: Request| async move {
///     let links = req.reverser("track-detail")?;
///     let urls = [4, 5].iter().map(|id| links.url(&[&id.to_string()])).collect::<Result<Vec<_>, _>>()?;
///     Ok(Response::new(urls))
/// });
/// let router = Router::new()
///     .route("/tracks/", "track-list", [(Method::GET, list.clone())])?
///     .route("/tracks/{id:[0-9]+}/", "track-detail", [(Method::GET, list)])?;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use http_body_util::BodyExt;
/// use tower::ServiceExt;
/// let req = http::Request::get("/tracks/").header("host", "example.org")
///     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let res = router.oneshot(req).await.unwrap();
/// let body = res.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(&body[..], br#"["http://example.org/tracks/4/","http://example.org/tracks/5/"]"#);
/// # });
/// # Ok::<(), restframe::RouteError>(())
/// ```
#[derive(Debug)]
pub struct Reverser<'r> {
    name: &'r str,
    entries: Vec<Cow<'r, RouteEntry>>,
    /// `scheme://host/mount-prefix`, or the mount prefix alone.
    prefix: String,
    /// About the length of a path: the capacity a URL takes beyond the prefix.
    path_hint: usize,
}

impl Reverser<'_> {
    /// The URL of the route with `args` as its captures, checked as [`Request::reverse`]
    /// checks them; a mistake is the same 500.
    pub fn url(&self, args: &[&str]) -> Result<String, ApiError> {
        // The prefix and the path in one string: the path is written after the prefix, and
        // a route that does not take `args` leaves the string as it was for the next.
        let mut url = String::with_capacity(self.prefix.len() + self.path_hint);
        url.push_str(&self.prefix);
        fill_first(self.name, &self.entries, |e| e.fill_into(&mut url, args))?;
        Ok(url)
    }

    /// [`url`](Self::url) appended to `out` (left as it was on an error): a page's URLs
    /// written into one reused buffer.
    ///
    /// ```
    /// # use restframe::{api_view, Request, Response, Router};
    /// # use http::Method;
    /// # let view = api_view(|req: Request| async move {
    /// let links = req.reverser("track-detail")?;
    /// let mut url = String::from("see ");
    /// links.url_into(&mut url, &["4"])?;
    /// assert_eq!(url, "see http://example.org/tracks/4/");
    /// # Ok(Response::empty(http::StatusCode::NO_CONTENT))
    /// # });
    /// # let router = Router::new()
    /// #     .route("/tracks/{id:[0-9]+}/", "track-detail", [(Method::GET, view)])?;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use tower::ServiceExt;
    /// # let req = http::Request::get("/tracks/1/").header("host", "example.org")
    /// #     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// # let res = router.oneshot(req).await.unwrap();
    /// # assert_eq!(res.status(), 204);
    /// # });
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn url_into(&self, out: &mut String, args: &[&str]) -> Result<(), ApiError> {
        let start = out.len();
        out.push_str(&self.prefix);
        let filled = fill_first(self.name, &self.entries, |e| e.fill_into(out, args));
        if filled.is_err() {
            out.truncate(start);
        }
        Ok(filled?)
    }
}

impl RouteEntry {
    fn capture_names(&self) -> Vec<String> {
        self.captures.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The route's path (without the mount prefix) with `args` as its captures (and its
    /// version capture, when it was given one, in its place).
    fn fill(&self, args: &[&str]) -> Result<String, ReverseError> {
        let mut path = String::new();
        self.fill_into(&mut path, args)?;
        Ok(path)
    }

    /// [`fill`](Self::fill) appending the path to `out`, which is left as it was on an error.
    fn fill_into(&self, out: &mut String, args: &[&str]) -> Result<(), ReverseError> {
        let versioned: Vec<&str>;
        let args = if let Some((capture, value)) = &self.version
            && let Some(i) = self.captures.iter().position(|(n, _)| n == capture)
            && args.len() + 1 == self.captures.len()
        {
            let mut all = args.to_vec();
            all.insert(i, value);
            versioned = all;
            &versioned[..]
        } else {
            args
        };
        self.compiled.fill_into(out, args).map_err(|e| match e {
            FillError::Arity(_) => ReverseError::WrongArguments {
                name: self.name.clone(),
                expected: self.capture_names(),
                given: args.len(),
            },
            FillError::NoMatch(i) => {
                let (capture, regex) = self.captures.get(i).cloned().unwrap_or_default();
                ReverseError::NoMatch {
                    name: self.name.clone(),
                    capture,
                    regex,
                    value: args.get(i).map(|v| (*v).to_owned()).unwrap_or_default(),
                }
            }
        })
    }

    /// The route's path with the captures by name.
    fn fill_kwargs(&self, kwargs: &[(&str, &str)]) -> Result<String, ReverseError> {
        let wrong = || ReverseError::WrongKeywords {
            name: self.name.clone(),
            expected: self.capture_names(),
            given: kwargs.iter().map(|(k, _)| (*k).to_owned()).collect(),
        };
        let mut all: Vec<(&str, &str)> = kwargs.to_vec();
        if let Some((capture, value)) = &self.version
            && !kwargs.iter().any(|(k, _)| k == capture)
        {
            all.push((capture, value));
        }
        let kwargs = &all[..];
        if kwargs.len() != self.captures.len() {
            return Err(wrong());
        }
        let args = self
            .captures
            .iter()
            .map(|(capture, _)| {
                let mut given = kwargs.iter().filter(|(k, _)| k == capture);
                match (given.next(), given.next()) {
                    (Some((_, v)), None) => Ok(*v),
                    _ => Err(wrong()),
                }
            })
            .collect::<Result<Vec<&str>, _>>()?;
        self.fill(&args)
    }
}

impl Request {
    /// The absolute URL of the route named `name` with `args` as its captures, from this
    /// request's scheme, host and mount prefix (DRF's `reverse(viewname, args, request=request)`):
    /// `http://example.org/api/tracks/4/`. The route table is the router's that served the
    /// request; see [`RouteTable::reverse`] for how arguments are encoded and checked. A mistake
    /// ([`ReverseError`]) is a 500 whose reason goes to the log; a bad `Host` is the 400 of
    /// [`Request::base_url`].
    ///
    /// A viewset names its routes `{basename}-list`, `{basename}-detail` and
    /// `{basename}-{url_name}` for its extra actions. A request that came with a format suffix
    /// (`/tracks/4.json`) reverses to the plain route.
    ///
    /// ```
    /// use restframe::{api_view, Request, Response, Router};
    /// use http::Method;
    ///
    /// let detail = api_view(|req: Request| async move {
    ///     let id: u64 = req.path("id")?;
    ///     Ok(Response::new(serde_json::json!({
    ///         "id": id,
    ///         "url": req.reverse("track-detail", &[&id.to_string()])?,
    ///         "tracks": req.reverse_path("track-list", &[])?,
    ///     })))
    /// });
    /// let list = api_view(|_req: Request| async { Ok(Response::new(Vec::<u64>::new())) });
    /// let router = Router::new()
    ///     .mount_prefix("/api")
    ///     .route("/tracks/", "track-list", [(Method::GET, list)])?
    ///     .route("/tracks/{id:[0-9]+}/", "track-detail", [(Method::GET, detail)])?;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use http_body_util::BodyExt;
    /// use tower::ServiceExt;
    /// let req = http::Request::get("/tracks/4.json").header("host", "example.org")
    ///     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// let res = router.oneshot(req).await.unwrap();
    /// let body = res.into_body().collect().await.unwrap().to_bytes();
    /// assert_eq!(
    ///     &body[..],
    ///     br#"{"id":4,"url":"http://example.org/api/tracks/4/","tracks":"/api/tracks/"}"#
    /// );
    /// # });
    /// # Ok::<(), restframe::RouteError>(())
    /// ```
    pub fn reverse(&self, name: &str, args: &[&str]) -> Result<String, ApiError> {
        let path = route_table(self)?.fill(name, self.path_version(), |e| e.fill(args))?;
        Ok(format!("{}{path}", self.base_url()?))
    }

    /// [`Request::reverse`] with the captures by name, in any order (DRF's
    /// `reverse(viewname, kwargs=…, request=request)`); see [`RouteTable::reverse_kwargs`].
    ///
    /// ```
    /// # use restframe::{ApiError, Request};
    /// # fn f(req: &Request) -> Result<String, ApiError> {
    /// req.reverse_kwargs("album-track", &[("album", "kind-of-blue"), ("id", "4")])
    /// # }
    /// ```
    pub fn reverse_kwargs(&self, name: &str, kwargs: &[(&str, &str)]) -> Result<String, ApiError> {
        let path = route_table(self)?.fill(name, self.path_version(), |e| e.fill_kwargs(kwargs))?;
        Ok(format!("{}{path}", self.base_url()?))
    }

    /// [`Request::reverse`] without scheme and host: the path under the mount prefix
    /// (`/api/tracks/4/`, Django's `reverse` without a request). See [`Request::reverse`] for an
    /// example.
    pub fn reverse_path(&self, name: &str, args: &[&str]) -> Result<String, ApiError> {
        let table = route_table(self)?;
        let path = table.fill(name, self.path_version(), |e| e.fill(args))?;
        Ok(format!("{}{path}", table.mount_prefix))
    }

    /// A [`Reverser`] of the route named `name`: absolute URLs, as [`Request::reverse`] gives
    /// them, for many arguments at the cost of one lookup. A bad `Host` is the 400 of
    /// [`Request::base_url`]; an unknown name shows when a URL is asked for.
    ///
    /// ```
    /// # use restframe::{ApiError, Request};
    /// # fn f(req: &Request, ids: &[i64]) -> Result<Vec<String>, ApiError> {
    /// let links = req.reverser("track-detail")?;
    /// ids.iter().map(|id| links.url(&[&id.to_string()])).collect()
    /// # }
    /// ```
    pub fn reverser<'r>(&'r self, name: &'r str) -> Result<Reverser<'r>, ApiError> {
        let entries = route_table(self)?.candidates(name, self.path_version());
        Ok(Reverser {
            name,
            path_hint: path_hint(&entries),
            entries,
            prefix: self.base_url()?,
        })
    }

    /// [`Request::reverser`] for paths under the mount prefix, as [`Request::reverse_path`]
    /// gives them.
    ///
    /// ```
    /// # use restframe::{ApiError, Request};
    /// # fn f(req: &Request) -> Result<String, ApiError> {
    /// req.path_reverser("track-detail")?.url(&["4"])
    /// # }
    /// ```
    pub fn path_reverser<'r>(&'r self, name: &'r str) -> Result<Reverser<'r>, ApiError> {
        let table = route_table(self)?;
        let entries = table.candidates(name, self.path_version());
        Ok(Reverser {
            name,
            path_hint: path_hint(&entries),
            entries,
            prefix: table.mount_prefix.clone(),
        })
    }

    /// The URL-path version's capture and this request's value of it (see
    /// [`crate::versioning::URLPathVersioning`]), for reversing into the same version.
    pub(crate) fn path_version(&self) -> Option<(&str, &str)> {
        let capture = self
            .extensions()
            .get::<crate::versioning::RequestVersion>()?
            .path_capture
            .as_deref()?;
        Some((capture, self.path_param(capture)?))
    }
}

/// The capacity a [`Reverser`]'s URL takes beyond its prefix: the first route's path.
fn path_hint(entries: &[Cow<'_, RouteEntry>]) -> usize {
    entries.first().map_or(0, |e| e.compiled.len_hint())
}

/// The route table the router handed the request.
fn route_table(req: &Request) -> Result<&RouteTable, ReverseError> {
    req.extensions()
        .get::<Arc<RouteTable>>()
        .map(|t| &**t)
        .ok_or(ReverseError::NoRouteTable)
}
