use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::Renderer;

/// What a renderer may know of the request and response besides the data.
///
/// Built by the framework after content negotiation; every field borrows, so building one costs
/// nothing. Fields are added over time (the HTML renderers need more), so construct it with
/// [`RenderContext::default`] and the `with_*` methods.
///
/// ```
/// use restframe_renderers::RenderContext;
/// let ctx = RenderContext::default()
///     .with_accepted("application/json", "indent=4")
///     .with_query("callback=cb&page=2")
///     .with_status(201)
///     .with_view_name("Track list");
/// assert_eq!(ctx.params().get("indent"), Some("4"));
/// assert_eq!(ctx.query().get("callback").as_deref(), Some("cb"));
/// assert_eq!(ctx.status(), 201);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RenderContext<'a> {
    accepted: &'a str,
    params: Params<'a>,
    query: Query<'a>,
    status: u16,
    view_name: &'a str,
    template_name: Option<&'a str>,
    page: Option<&'a PageInfo<'a>>,
    credentials: bool,
}

impl Default for RenderContext<'_> {
    fn default() -> Self {
        Self {
            accepted: "",
            params: Params(""),
            query: Query(""),
            status: 200,
            view_name: "",
            template_name: None,
            page: None,
            credentials: false,
        }
    }
}

impl<'a> RenderContext<'a> {
    /// The accepted media type (`type/subtype`, no parameters) and its raw parameter list
    /// (`indent=4; charset=utf-8`), as chosen by negotiation.
    pub fn with_accepted(mut self, essence: &'a str, params: &'a str) -> Self {
        self.accepted = essence;
        self.params = Params(params);
        self
    }

    /// The request's raw query string (without `?`).
    pub fn with_query(mut self, query: &'a str) -> Self {
        self.query = Query(query);
        self
    }

    /// The response status code.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The view's human-readable name.
    pub fn with_view_name(mut self, name: &'a str) -> Self {
        self.view_name = name;
        self
    }

    /// The template chosen for the response, for template renderers.
    pub fn with_template_name(mut self, name: Option<&'a str>) -> Self {
        self.template_name = name;
        self
    }

    /// What an HTML page may show of the exchange; the framework sets it only for renderers
    /// whose [`Renderer::wants_page`] is `true`.
    ///
    /// ```
    /// use restframe_renderers::{PageInfo, RenderContext};
    /// let page = PageInfo::new("GET", "/tracks/?page=2");
    /// let ctx = RenderContext::default().with_page(&page);
    /// assert_eq!(ctx.page().map(|p| p.path), Some("/tracks/?page=2"));
    /// assert!(RenderContext::default().page().is_none());
    /// ```
    pub fn with_page(mut self, page: &'a PageInfo<'a>) -> Self {
        self.page = Some(page);
        self
    }

    /// Whether the request carries credentials (an `Authorization` header or a session cookie)
    /// or was authenticated: set by the framework, so that renderers of public data only
    /// ([`crate::JsonpRenderer`]) can refuse it.
    ///
    /// ```
    /// use restframe_renderers::RenderContext;
    /// assert!(!RenderContext::default().has_credentials());
    /// assert!(RenderContext::default().with_credentials(true).has_credentials());
    /// ```
    pub fn with_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// Whether the request carries credentials (see [`RenderContext::with_credentials`]).
    pub fn has_credentials(&self) -> bool {
        self.credentials
    }

    /// The accepted media type, `type/subtype`; empty when unknown.
    pub fn accepted(&self) -> &'a str {
        self.accepted
    }

    /// The accepted media type's parameters (`indent`, …), `q` excluded or not.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The request's query parameters.
    pub fn query(&self) -> Query<'a> {
        self.query
    }

    /// The response status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The view's human-readable name.
    pub fn view_name(&self) -> &'a str {
        self.view_name
    }

    /// The template chosen for the response, if any.
    pub fn template_name(&self) -> Option<&'a str> {
        self.template_name
    }

    /// The page information, when the framework built one (see [`RenderContext::with_page`]).
    pub fn page(&self) -> Option<&'a PageInfo<'a>> {
        self.page
    }
}

/// What an HTML page may show of the exchange beyond the data.
///
/// The framework builds one only for renderers whose [`Renderer::wants_page`] is `true` (the
/// template and browsable API renderers), so other renderers pay nothing for it. Fields are
/// public; start from [`PageInfo::new`] and set the rest with struct update syntax.
///
/// ```
/// use std::sync::Arc;
/// use restframe_renderers::{JsonRenderer, MethodForm, PageInfo, Renderer, RouteInfo};
///
/// let headers = vec![("Allow".to_owned(), "GET, POST".to_owned())];
/// let renderers: Vec<Arc<dyn Renderer>> = vec![Arc::new(JsonRenderer::new())];
/// let route = RouteInfo {
///     allow: vec!["GET".into(), "POST".into()],
///     forms: vec![MethodForm::new("POST", ["application/json"])],
/// };
/// let page = PageInfo {
///     description: "All the tracks.",
///     headers: &headers,
///     renderers: &renderers,
///     route: Some(&route),
///     ..PageInfo::new("GET", "/api/tracks/?page=2")
/// };
/// assert_eq!(page.method, "GET");
/// assert_eq!(page.view_template, None);
/// ```
#[derive(Clone, Copy)]
pub struct PageInfo<'a> {
    /// The request method, `GET`.
    pub method: &'a str,
    /// The path and query as requested: `/api/tracks/?page=2`.
    pub path: &'a str,
    /// The view's description.
    pub description: &'a str,
    /// Response headers set before rendering (`Allow`, `Link`, `Location`, …). A page renderer
    /// shows its own `Content-Type` and `Vary: Accept` itself.
    pub headers: &'a [(String, String)],
    /// The view's renderers, in priority order.
    pub renderers: &'a [Arc<dyn Renderer>],
    /// What the route allows, when the view is served by a router.
    pub route: Option<&'a RouteInfo>,
    /// The view's own template name, if it has one.
    pub view_template: Option<&'a str>,
    /// Who is logged in, when the view has authenticators (`None` when it has none: there is
    /// nobody to show).
    pub user: Option<PageUser<'a>>,
    /// The methods of [`RouteInfo::forms`] the request's user may not use (the view's
    /// permissions refuse them): their forms are not shown.
    pub denied_methods: &'a [String],
}

/// Who a page's request is from (see [`PageInfo::user`]).
///
/// ```
/// use restframe_renderers::PageUser;
/// assert_eq!(PageUser::User("alice").name(), "alice");
/// assert_eq!(PageUser::Anonymous.name(), "anonymous");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageUser<'a> {
    /// Nobody is authenticated.
    Anonymous,
    /// An authenticated user, by username.
    User(&'a str),
}

impl<'a> PageUser<'a> {
    /// The username, or `anonymous`.
    pub fn name(&self) -> &'a str {
        match self {
            Self::Anonymous => "anonymous",
            Self::User(name) => name,
        }
    }
}

impl<'a> PageInfo<'a> {
    /// A page for `method` on `path` (path and query); every other field empty.
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            description: "",
            headers: &[],
            renderers: &[],
            route: None,
            view_template: None,
            user: None,
            denied_methods: &[],
        }
    }
}

impl Default for PageInfo<'_> {
    /// A `GET` of `/`.
    fn default() -> Self {
        Self::new("GET", "/")
    }
}

impl fmt::Debug for PageInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let formats: Vec<&str> = self.renderers.iter().map(|r| r.format()).collect();
        f.debug_struct("PageInfo")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("description", &self.description)
            .field("headers", &self.headers)
            .field("renderers", &formats)
            .field("route", &self.route)
            .field("view_template", &self.view_template)
            .finish()
    }
}

/// What a route allows: its methods and, per unsafe method, the body it accepts.
///
/// ```
/// use restframe_renderers::{MethodForm, RouteInfo};
/// let route = RouteInfo {
///     allow: vec!["GET".into(), "PUT".into(), "DELETE".into()],
///     forms: vec![
///         MethodForm::new("PUT", ["application/json"]),
///         MethodForm::new("DELETE", [] as [&str; 0]),
///     ],
/// };
/// assert_eq!(route.form("put").map(|f| f.media_types.len()), Some(1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteInfo {
    /// The allowed methods, e.g. `["GET", "POST", "HEAD", "OPTIONS"]`.
    pub allow: Vec<String>,
    /// One form per method that takes a body or changes state (`POST`, `PUT`, `PATCH`, `DELETE`).
    pub forms: Vec<MethodForm>,
}

impl RouteInfo {
    /// The form for `method` (case-insensitive), if any.
    pub fn form(&self, method: &str) -> Option<&MethodForm> {
        self.forms
            .iter()
            .find(|f| f.method.eq_ignore_ascii_case(method))
    }
}

/// The body one method of a route accepts.
///
/// ```
/// use restframe_renderers::MethodForm;
/// let form = MethodForm::new("POST", ["application/json", "multipart/form-data"])
///     .with_file_field("file");
/// assert_eq!(form.file_field.as_deref(), Some("file"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodForm {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The media types its parsers accept, in order: `application/json`,
    /// `application/x-www-form-urlencoded`, `multipart/form-data`, `*/*`, …
    pub media_types: Vec<String>,
    /// The multipart field of a file upload (`Some("file")`), when the method takes one.
    pub file_field: Option<String>,
}

impl MethodForm {
    /// A form for `method` accepting `media_types`, without a file upload.
    pub fn new<I, S>(method: impl Into<String>, media_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            method: method.into(),
            media_types: media_types.into_iter().map(Into::into).collect(),
            file_field: None,
        }
    }

    /// Marks the form as taking a multipart file upload in field `name`.
    pub fn with_file_field(mut self, name: impl Into<String>) -> Self {
        self.file_field = Some(name.into());
        self
    }
}

/// A media type's parameter list, as written: `indent=4; charset="utf-8"`.
///
/// ```
/// use restframe_renderers::Params;
/// let p = Params::new(r#"indent=4; Charset="utf-8""#);
/// assert_eq!(p.get("indent"), Some("4"));
/// assert_eq!(p.get("charset"), Some("utf-8"));
/// assert_eq!(p.get("q"), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'a>(&'a str);

impl<'a> Params<'a> {
    /// Wraps a raw parameter list.
    pub fn new(raw: &'a str) -> Self {
        Self(raw)
    }

    /// The raw list.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Iterates `(name, value)` pairs; names as written, values unquoted.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0.split(';').filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim(), v))
        })
    }

    /// The value of parameter `name` (case-insensitive), if present.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// A raw query string with percent-decoding accessors.
///
/// ```
/// use restframe_renderers::Query;
/// let q = Query::new("callback=my.cb&x=a%20b");
/// assert_eq!(q.get("x").as_deref(), Some("a b"));
/// assert_eq!(q.get("missing"), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<'a>(&'a str);

impl<'a> Query<'a> {
    /// Wraps a raw query string (without the leading `?`).
    pub fn new(raw: &'a str) -> Self {
        Self(raw)
    }

    /// The raw query string.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The first value of `name`, percent-decoded.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        form_urlencoded::parse(self.0.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}
