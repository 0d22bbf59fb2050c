use std::borrow::Cow;

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
