//! `text/html`: DRF's browsable API, a self-contained page per response with the content, the
//! exchange, links to the other formats and forms for the other methods.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::Serialize;
use serde_json::ser::PrettyFormatter;

use crate::{
    Data, Mime, PageInfo, PageUser, RenderContext, RenderError, Renderer, as_serialize, escape,
    status,
};

/// The page template and its parts, embedded so the renderer needs no files or network.
const TEMPLATES: &[(&str, &str)] = &[
    ("api.html", include_str!("browsable/api.html")),
    ("forms.html", include_str!("browsable/forms.html")),
];

/// Renders any response as an HTML page for people (DRF's `BrowsableAPIRenderer`).
///
/// The page is self-contained (inline style and script, no external assets) and shows:
///
/// - the view's name (`<h1 id="view-name">`) and description;
/// - the request line, and the response's status line and headers (`<div id="response-info">`),
///   with the `Content-Type` of the content shown and `Vary: Accept`;
/// - the content (`<pre id="response-content">`), rendered by the view's first renderer that is
///   not `text/html` and renders data (DRF's default renderer), JSON indented by 4, or by
///   [`BrowsableApiRenderer::content_renderer`]; `http(s)` URLs in it are links. Should that
///   renderer fail, the content is shown as indented JSON;
/// - links to every other format of the URL (`<nav id="format-links">`, `?format=` set, other
///   query parameters kept), each `<a rel="alternate" data-format="json">json</a>`, and a GET link;
/// - the allowed methods (`<div id="allowed-methods">`);
/// - `Next`/`Previous` links (`<nav id="pagination">`) when the data has `next`/`previous` URLs;
/// - per `POST`, `PUT` or `PATCH` of the route, a raw-content form (`<form id="raw-form-POST"
///   data-method="POST">` with `<select name="_content_type">` and `<textarea name="_content">`,
///   prefilled for `PUT`/`PATCH` with the current object as JSON), and a file form
///   (`<form id="file-form-POST">`) when the method takes a file upload; for `DELETE`, a
///   `<button id="delete-button">`. Forms are sent with `fetch` and the response replaces the
///   page; after a successful `DELETE` the browser goes to the parent URL. A method of
///   [`PageInfo::denied_methods`](crate::PageInfo::denied_methods) (the view's permissions
///   refuse it to this user) gets no form;
/// - who is logged in (`<span id="current-user">`: the username, or "not logged in
///   (anonymous)"), when [`PageInfo::user`](crate::PageInfo::user) says (the view has
///   authenticators), and with it, when configured, a `Log in` link
///   ([`BrowsableApiRenderer::login_url`]) or a `Log out` button
///   ([`BrowsableApiRenderer::logout_url`]).
///
/// The page's script sends the `csrftoken` cookie's value as the `X-CSRFToken` header with every
/// request of an unsafe method (`POST`, `PUT`, `PATCH`, `DELETE`), as session authentication
/// asks.
///
/// Error responses get the same page with the error as content. Without a
/// [`PageInfo`](crate::PageInfo) (no framework), the page has the content only.
/// Everything from the data or the request is escaped.
///
/// ```
/// use restframe_renderers::{BrowsableApiRenderer, RenderContext, Renderer};
///
/// let mut out = Vec::new();
/// let ctx = RenderContext::default().with_view_name("Track");
/// BrowsableApiRenderer::new()
///     .render(&serde_json::json!({"title": "<Blue>"}), &ctx, &mut out)
///     .unwrap();
/// let page = String::from_utf8(out).unwrap();
/// assert!(page.contains(r#"<h1 id="view-name">Track</h1>"#));
/// assert!(page.contains("&quot;title&quot;: &quot;&lt;Blue&gt;&quot;"));
/// ```
#[derive(Clone)]
pub struct BrowsableApiRenderer {
    media_type: Mime,
    content_renderer: Option<Arc<dyn Renderer>>,
    login_url: Option<String>,
    logout_url: Option<String>,
    env: Arc<Environment<'static>>,
}

impl Default for BrowsableApiRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl BrowsableApiRenderer {
    /// A `text/html; charset=utf-8` renderer of format `api`.
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates are part of this crate; a syntax error is caught by its tests, and
            // would surface as a render error naming the template.
            let _ = env.add_template(name, source);
        }
        env.set_formatter(escape::format_value);
        Self {
            media_type: mime::TEXT_HTML,
            content_renderer: None,
            login_url: None,
            logout_url: None,
            env: Arc::new(env),
        }
    }

    /// Renders the content with `renderer` instead of the view's default renderer.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use restframe_renderers::{BrowsableApiRenderer, JsonRenderer};
    /// let api = BrowsableApiRenderer::new()
    ///     .content_renderer(Arc::new(JsonRenderer::new().unicode(true)));
    /// # let _ = api;
    /// ```
    pub fn content_renderer(mut self, renderer: Arc<dyn Renderer>) -> Self {
        self.content_renderer = Some(renderer);
        self
    }

    /// Links the page of an anonymous user to the login page at `path` (DRF's
    /// `rest_framework:login`): `<a id="login-link" href="{path}?next={page}">Log in</a>`, the
    /// page's path and query percent-encoded as `next`, so that logging in comes back here.
    ///
    /// Shown only when the view has authenticators ([`PageInfo::user`] is set) and nobody is
    /// logged in.
    ///
    /// ```
    /// use restframe_renderers::{BrowsableApiRenderer, PageInfo, PageUser, RenderContext, Renderer};
    ///
    /// let api = BrowsableApiRenderer::new().login_url("/api/auth/login/");
    /// let page = PageInfo {
    ///     user: Some(PageUser::Anonymous),
    ///     ..PageInfo::new("GET", "/api/tracks/?page=2")
    /// };
    /// let mut out = Vec::new();
    /// api.render(&serde_json::json!([]), &RenderContext::default().with_page(&page), &mut out)
    ///     .unwrap();
    /// let html = String::from_utf8(out).unwrap();
    /// assert!(html.contains(
    ///     r#"<a id="login-link" href="/api/auth/login/?next=/api/tracks/%3Fpage%3D2">Log in</a>"#
    /// ));
    /// ```
    pub fn login_url(mut self, path: impl Into<String>) -> Self {
        self.login_url = Some(path.into());
        self
    }

    /// Gives the page of a logged-in user a `Log out` button that `POST`s to `path` (DRF's
    /// `rest_framework:logout`), with the CSRF token, then goes back to the page:
    /// `<form id="logout-form" class="logout-form" data-method="POST" data-url="{path}"
    /// data-next="{page}">`, `page` being the page's path and query.
    ///
    /// Shown only when the view has authenticators ([`PageInfo::user`] is set) and someone is
    /// logged in.
    ///
    /// ```
    /// use restframe_renderers::{BrowsableApiRenderer, PageInfo, PageUser, RenderContext, Renderer};
    ///
    /// let api = BrowsableApiRenderer::new().logout_url("/api/auth/logout/");
    /// let page = PageInfo {
    ///     user: Some(PageUser::User("alice")),
    ///     ..PageInfo::new("GET", "/api/tracks/")
    /// };
    /// let mut out = Vec::new();
    /// api.render(&serde_json::json!([]), &RenderContext::default().with_page(&page), &mut out)
    ///     .unwrap();
    /// let html = String::from_utf8(out).unwrap();
    /// assert!(html.contains(
    ///     r#"<form id="logout-form" class="logout-form" data-method="POST" data-url="/api/auth/logout/" data-next="/api/tracks/">"#
    /// ));
    /// assert!(html.contains("X-CSRFToken"));
    /// ```
    pub fn logout_url(mut self, path: impl Into<String>) -> Self {
        self.logout_url = Some(path.into());
        self
    }

    /// The renderer of the content: the configured one, else DRF's default renderer.
    fn pick_content_renderer<'r>(
        &'r self,
        page: Option<&'r PageInfo<'_>>,
    ) -> Option<&'r dyn Renderer> {
        if let Some(r) = &self.content_renderer {
            return Some(r.as_ref());
        }
        page?
            .renderers
            .iter()
            .find(|r| {
                r.media_type().essence_str() != "text/html" && r.renders_data() && !r.wants_page()
            })
            .map(|r| r.as_ref())
    }

    /// The content as text, and the `Content-Type` it is shown as.
    fn content(
        &self,
        data: &dyn Data,
        json: Option<&serde_json::Value>,
        ctx: &RenderContext<'_>,
    ) -> Result<(String, String), RenderError> {
        if let Some(renderer) = self.pick_content_renderer(ctx.page()) {
            let media_type = renderer.media_type();
            let ctx = ctx.with_accepted(media_type.essence_str(), "indent=4");
            let mut out = Vec::new();
            if renderer.render(data, &ctx, &mut out).is_ok()
                && let Ok(text) = String::from_utf8(out)
            {
                let content_type = match renderer.charset() {
                    Some(charset) if media_type.get_param(mime::CHARSET).is_none() => {
                        format!("{media_type}; charset={charset}")
                    }
                    _ => media_type.to_string(),
                };
                return Ok((text, content_type));
            }
        }
        let json = json.ok_or_else(|| {
            RenderError::server("BrowsableApiRenderer: the data cannot be serialized as JSON")
        })?;
        Ok((pretty_json(json)?, "application/json".to_owned()))
    }
}

impl fmt::Debug for BrowsableApiRenderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowsableApiRenderer")
            .field(
                "content_renderer",
                &self
                    .content_renderer
                    .as_ref()
                    .map(|r| r.format().to_owned()),
            )
            .field("login_url", &self.login_url)
            .field("logout_url", &self.logout_url)
            .finish_non_exhaustive()
    }
}

impl Renderer for BrowsableApiRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "api"
    }

    fn wants_page(&self) -> bool {
        true
    }

    fn render(
        &self,
        data: &dyn Data,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let json = serde_json::to_value(as_serialize(data)).ok();
        let (content, content_type) = self.content(data, json.as_ref(), ctx)?;
        let model = Model::new(self, ctx, json.as_ref(), content_type)?;
        let vars = context! {
            content => Value::from_safe_string(linkify(&content)),
            ..Value::from(Serde(&model))
        };
        let template = self
            .env
            .get_template("api.html")
            .map_err(|e| RenderError::server(format!("browsable API template: {e}")))?;
        let start = out.len();
        template
            .render_captured_to(vars, &mut *out)
            .map(drop)
            .map_err(|e| {
                out.truncate(start);
                RenderError::server(format!("browsable API template: {e}"))
            })
    }
}

/// Everything the page shows but the content.
#[derive(Serialize)]
struct Model<'a> {
    view_name: &'a str,
    description: &'a str,
    /// The request line, when there is a page.
    request: Option<RequestLine<'a>>,
    status_line: String,
    headers: Vec<(String, String)>,
    formats: Vec<FormatLink>,
    allow: Vec<&'a str>,
    next: Option<&'a str>,
    previous: Option<&'a str>,
    forms: Vec<Form>,
    delete: Option<Delete>,
    /// Who is logged in, when the view has authenticators.
    user: Option<&'a str>,
    /// Nobody is (the view has authenticators, and none found a user).
    anonymous: bool,
    /// The `Log in` link's `href`, for an anonymous user.
    login: Option<String>,
    /// The `Log out` button, for a logged-in user.
    logout: Option<Logout<'a>>,
}

#[derive(Serialize)]
struct Logout<'a> {
    /// Where the form posts.
    url: &'a str,
    /// Where the browser goes once logged out.
    next: &'a str,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    method: &'a str,
    path: &'a str,
}

#[derive(Serialize)]
struct FormatLink {
    format: String,
    href: String,
}

#[derive(Serialize)]
struct Form {
    method: String,
    media_types: Vec<String>,
    content: String,
    file_field: Option<String>,
}

#[derive(Serialize)]
struct Delete {
    parent: String,
}

impl<'a> Model<'a> {
    fn new(
        renderer: &'a BrowsableApiRenderer,
        ctx: &RenderContext<'a>,
        json: Option<&'a serde_json::Value>,
        content_type: String,
    ) -> Result<Self, RenderError> {
        let status = ctx.status();
        let page = ctx.page();
        let mut model = Model {
            view_name: ctx.view_name(),
            description: page.map_or("", |p| p.description),
            request: page.map(|p| RequestLine {
                method: p.method,
                path: p.path,
            }),
            status_line: format!("HTTP {status} {}", status::reason(status)),
            headers: Vec::new(),
            formats: Vec::new(),
            allow: Vec::new(),
            next: link_field(json, "next"),
            previous: link_field(json, "previous"),
            forms: Vec::new(),
            delete: None,
            user: page.and_then(|p| p.user).map(|u| u.name()),
            anonymous: page.and_then(|p| p.user) == Some(PageUser::Anonymous),
            login: None,
            logout: None,
        };
        let Some(page) = page else {
            model.headers.push(("Content-Type".into(), content_type));
            return Ok(model);
        };
        match page.user {
            Some(PageUser::Anonymous) => {
                model.login = renderer
                    .login_url
                    .as_deref()
                    .map(|login| login_href(login, page.path));
            }
            Some(PageUser::User(_)) => {
                model.logout = renderer.logout_url.as_deref().map(|url| Logout {
                    url,
                    next: page.path,
                });
            }
            None => {}
        }
        let route = page.route;
        model.allow = route.map_or_else(Vec::new, |r| r.allow.iter().map(String::as_str).collect());
        model.headers = page.headers.to_vec();
        let has = |headers: &[(String, String)], name: &str| {
            headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !model.allow.is_empty() && !has(&model.headers, "allow") {
            model.headers.push(("Allow".into(), model.allow.join(", ")));
        }
        model.headers.push(("Content-Type".into(), content_type));
        // The framework sends `Vary: Accept` when the view has a choice of renderers.
        if page.renderers.len() > 1 && !has(&model.headers, "vary") {
            model.headers.push(("Vary".into(), "Accept".into()));
        }
        model.formats = page
            .renderers
            .iter()
            .filter(|r| !is_same(r.as_ref(), renderer) && r.format() != renderer.format())
            .map(|r| FormatLink {
                format: r.format().to_owned(),
                href: format_url(page.path, renderer.format(), r.format()),
            })
            .collect();
        let object_2xx =
            (200..300).contains(&ctx.status()) && json.is_some_and(serde_json::Value::is_object);
        // A form the user may not use is not shown (DRF's `show_form_for_method`).
        let allowed = |method: &str| {
            !page
                .denied_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
        };
        for form in route.map_or(&[][..], |r| &r.forms[..]) {
            let method = form.method.to_ascii_uppercase();
            if !allowed(&method) {
                continue;
            }
            match method.as_str() {
                "POST" | "PUT" | "PATCH" => {
                    let content = match (method.as_str(), json) {
                        ("PUT" | "PATCH", Some(json)) if object_2xx => pretty_json(json)?,
                        _ => String::new(),
                    };
                    model.forms.push(Form {
                        method,
                        media_types: form
                            .media_types
                            .iter()
                            // Text goes in a textarea: not multipart, nor a range of file
                            // types (`*/*`, `image/*`) that only a file input can fill.
                            .filter(|m| m.as_str() != "multipart/form-data" && !m.contains('*'))
                            .cloned()
                            .collect(),
                        content,
                        file_field: form.file_field.clone(),
                    });
                }
                "DELETE" => {
                    model.delete = Some(Delete {
                        parent: parent_url(page.path),
                    });
                }
                _ => {}
            }
        }
        Ok(model)
    }
}

/// Whether `other` is this very renderer (the framework passes the view's own `Arc`s).
fn is_same(other: &dyn Renderer, this: &BrowsableApiRenderer) -> bool {
    std::ptr::addr_eq(
        other as *const dyn Renderer,
        this as *const BrowsableApiRenderer,
    )
}

/// `data[field]` when it is a link a page may follow: an `http(s)` URL or a relative one.
fn link_field<'a>(json: Option<&'a serde_json::Value>, field: &str) -> Option<&'a str> {
    let url = json?.get(field)?.as_str()?;
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let safe = lower.starts_with("http://")
        || lower.starts_with("https://")
        // A path of this site; `//host` and `/\host` would be another site.
        || (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"))
        || url.starts_with('?');
    safe.then_some(url)
}

/// JSON indented by 4, UTF-8 as is.
fn pretty_json(json: &serde_json::Value) -> Result<String, RenderError> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(b"    "));
    json.serialize(&mut ser).map_err(RenderError::server)?;
    String::from_utf8(out).map_err(RenderError::server)
}

/// `path` (with query) as format `format`: `?format=` set, other query parameters kept as
/// written, and this renderer's own `.{own}` suffix dropped (a suffix would win over the query).
fn format_url(path: &str, own: &str, format: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    // The router takes `/tracks/4.api` and `/tracks/4.api/` alike; the suffix would win over
    // `?format=`, so it goes, the trailing slash stays.
    let (body, slash) = match path.strip_suffix('/') {
        Some(body) => (body, "/"),
        None => (path, ""),
    };
    let mut url = match body
        .strip_suffix(own)
        .and_then(|p| p.strip_suffix('.'))
        .filter(|p| !p.is_empty() && !p.ends_with('/'))
    {
        Some(stem) => format!("{stem}{slash}"),
        None => path.to_owned(),
    };
    url.push('?');
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        let key: String = form_urlencoded::parse(key.as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        if key != "format" {
            url.push_str(pair);
            url.push('&');
        }
    }
    url.push_str("format=");
    url.extend(form_urlencoded::byte_serialize(format.as_bytes()));
    url
}

/// The login link of the page at `path`: `login?next=path`, `path` percent-encoded.
fn login_href(login: &str, path: &str) -> String {
    let mut href = login.to_owned();
    href.push(if login.contains('?') { '&' } else { '?' });
    href.push_str("next=");
    for &b in path.as_bytes() {
        // RFC 3986's unreserved characters, and `/` (allowed in a query, and kept so that the
        // link reads as a path); everything else, `?`, `&`, `=`, `+`, `%` and `#` included, is
        // encoded.
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            href.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            href.push('%');
            href.push(char::from(HEX[usize::from(b >> 4)]));
            href.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    href
}

/// The list a detail URL belongs to: `/tracks/4/?x=1` → `/tracks/`.
fn parent_url(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/"),
        None => "/".to_owned(),
    }
}

/// HTML-escapes `text` and makes each `http(s)://` URL in it a link. The URL is taken from the
/// escaped text and ends before whitespace or an escaped quote or angle bracket, so it cannot
/// leave the `href` attribute.
fn linkify(text: &str) -> String {
    let escaped = escape::html_escape(text);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(start) = find_url(rest) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = url_end(tail);
        let url = &tail[..end];
        out.push_str("<a href=\"");
        out.push_str(url);
        out.push_str("\" rel=\"nofollow\">");
        out.push_str(url);
        out.push_str("</a>");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn find_url(text: &str) -> Option<usize> {
    let http = text.find("http://");
    let https = text.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Where a URL starting `text` (escaped) ends.
fn url_end(text: &str) -> usize {
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b if b.is_ascii_whitespace() => return i,
            b'&' if text[i..].starts_with("&amp;") => i += "&amp;".len(),
            b'&' | b'<' | b'>' | b'"' | b'\'' | b'\\' => return i,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests;
