//! `text/html` from Jinja templates in a directory (DRF's `TemplateHTMLRenderer`), with HTML
//! error views.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{Environment, ErrorKind, context, path_loader};

use crate::{
    Data, Mime, RenderContext, RenderError, Renderer, as_serialize, escape, filters, status,
};

/// Renders data through a [MiniJinja](https://docs.rs/minijinja) template from a directory
/// (DRF's `TemplateHTMLRenderer`).
///
/// **Template name**, the first one given of: the response's ([`RenderContext::template_name`]),
/// the view's ([`PageInfo::view_template`](crate::PageInfo::view_template)), and the view's
/// default, its name lower-cased with each run of other characters turned into `_` plus `.html`
/// (`Track List` → `track_list.html`). A name that is not in the directory is a server error
/// naming it; there is no fall-through to the next one.
///
/// **Context**: when the data is a map, each key is a variable; the data is also `data`, always.
/// Beside them: `request` (`method`, `path`, empty without a page), `status_code`, and `view`
/// (`name`, `description`). These four win over data keys of the same name (still reachable as
/// `data.view`). Auto-escaping is on for `.html`, `.htm` and `.xml` templates.
///
/// **Error views**: for a status of 400 or more (unless the response names its own template
/// with `Response::with_template`: a form shown again with its errors), the template is
/// `{status}.html`, else
/// `api_exception.html`, else the plain text `404 Not Found`. Their context is `status_code`,
/// `detail` (the error body's `detail` string, else the reason phrase), `request` and `view`;
/// in debug also `data` (the error body) and `debug_detail` (it as indented JSON text).
///
/// **Filters** besides MiniJinja's built-ins: `b64encode` (bytes or text to base64),
/// `b64decode` (base64 to text; an error when invalid) and `data_uri` (bytes or base64 text to
/// a `data:` URI, the media type given, `data_uri("image/svg+xml")`, or sniffed for PNG, JPEG,
/// GIF and WebP). Add your own with [`TemplateHtmlRenderer::configure`].
///
/// Templates are loaded on first use and kept; with [`TemplateHtmlRenderer::debug`] they are
/// re-read whenever the file changes, and template errors carry their source location.
///
/// ```
/// use restframe_renderers::{RenderContext, Renderer, TemplateHtmlRenderer};
///
/// let dir = std::env::temp_dir().join(format!("restframe-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("track.html"), "<h1>{{ title }}</h1><p>{{ view.name }}</p>").unwrap();
///
/// let renderer = TemplateHtmlRenderer::new(&dir);
/// let ctx = RenderContext::default().with_view_name("Track").with_template_name(Some("track.html"));
/// let mut out = Vec::new();
/// renderer.render(&serde_json::json!({"title": "So <What>"}), &ctx, &mut out).unwrap();
/// assert_eq!(out, b"<h1>So &lt;What&gt;</h1><p>Track</p>");
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
#[derive(Clone)]
pub struct TemplateHtmlRenderer {
    media_type: Mime,
    dir: PathBuf,
    debug: bool,
    /// Shared by clones; the builder methods copy it on write.
    env: Arc<Environment<'static>>,
}

impl TemplateHtmlRenderer {
    /// A renderer of the templates in `dir`, cached once loaded, debug off.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let mut env = Environment::new();
        env.set_loader(path_loader(dir.clone()));
        env.set_auto_reload(false);
        env.set_formatter(escape::format_value);
        filters::register(&mut env);
        Self {
            media_type: mime::TEXT_HTML,
            dir,
            debug: false,
            env: Arc::new(env),
        }
    }

    /// Debug mode: templates are re-read when their file changes, template errors carry their
    /// source location, and error views get `data` and `debug_detail`. Off by default; keep it
    /// off in production.
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        let env = Arc::make_mut(&mut self.env);
        env.set_auto_reload(debug);
        env.set_debug(debug);
        self
    }

    /// Changes the template environment: add filters, functions, globals.
    ///
    /// ```
    /// use restframe_renderers::TemplateHtmlRenderer;
    /// let renderer = TemplateHtmlRenderer::new("templates").configure(|env| {
    ///     env.add_filter("shout", |s: String| s.to_uppercase());
    ///     env.add_global("site", "Music");
    /// });
    /// # let _ = renderer;
    /// ```
    pub fn configure(mut self, f: impl FnOnce(&mut Environment<'static>)) -> Self {
        f(Arc::make_mut(&mut self.env));
        self
    }

    /// The template directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether debug mode is on.
    pub fn is_debug(&self) -> bool {
        self.debug
    }

    fn render_page(
        &self,
        data: Value,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let name = template_name(ctx).ok_or_else(|| {
            RenderError::server(
                "TemplateHtmlRenderer has no template name: set one on the response or the \
                 view, or give the view a name",
            )
        })?;
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| self.template_error(&name, &e))?;
        let mut vars: Vec<(Value, Value)> = Vec::new();
        if data.kind() == ValueKind::Map {
            for key in data.try_iter().map_err(RenderError::server)? {
                let value = data.get_item(&key).map_err(RenderError::server)?;
                vars.push((key, value));
            }
        }
        vars.extend(common_vars(ctx));
        vars.push(("data".into(), data));
        write(&template, Value::from_pairs(vars), out).map_err(|e| self.template_error(&name, &e))
    }

    fn render_error(
        &self,
        data: Value,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let status_code = ctx.status();
        let detail = match data
            .get_attr("detail")
            .ok()
            .as_ref()
            .and_then(Value::as_str)
        {
            Some(detail) => detail.to_owned(),
            None => match data.as_str() {
                Some(detail) => detail.to_owned(),
                None => status::reason(status_code).to_owned(),
            },
        };
        let debug_detail = self
            .debug
            .then(|| serde_json::to_string_pretty(&data).unwrap_or_else(|e| e.to_string()));
        for name in [
            format!("{status_code}.html"),
            "api_exception.html".to_owned(),
        ] {
            let template = match self.env.get_template(&name) {
                Ok(template) => template,
                Err(e) if e.kind() == ErrorKind::TemplateNotFound => continue,
                Err(e) => return Err(self.template_error(&name, &e)),
            };
            let mut vars = common_vars(ctx);
            vars.push(("detail".into(), Value::from(detail.as_str())));
            if let Some(debug_detail) = &debug_detail {
                vars.push(("debug_detail".into(), Value::from(debug_detail.as_str())));
                vars.push(("data".into(), data.clone()));
            }
            return write(&template, Value::from_pairs(vars), out)
                .map_err(|e| self.template_error(&name, &e));
        }
        out.extend_from_slice(format!("{status_code} {}", status::reason(status_code)).as_bytes());
        if let Some(debug_detail) = debug_detail {
            out.extend_from_slice(b"\n\n");
            out.extend_from_slice(escape::html_escape(&debug_detail).as_bytes());
        }
        Ok(())
    }

    fn template_error(&self, name: &str, e: &minijinja::Error) -> RenderError {
        if e.kind() == ErrorKind::TemplateNotFound && e.name().is_none_or(|n| n == name) {
            return RenderError::server(format!(
                "template `{name}` not found in {}",
                self.dir.display()
            ));
        }
        if self.debug {
            RenderError::server(format!("template `{name}`: {e}{}", e.display_debug_info()))
        } else {
            RenderError::server(format!("template `{name}`: {e}"))
        }
    }
}

impl fmt::Debug for TemplateHtmlRenderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateHtmlRenderer")
            .field("dir", &self.dir)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

impl Renderer for TemplateHtmlRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "html"
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
        let data = to_value(data)?;
        // DRF renders the exception template for errors only: a response of 400 or more that
        // names its own template (a form shown again with its errors) is a page.
        if ctx.status() >= 400 && ctx.template_name().is_none() {
            self.render_error(data, ctx, out)
        } else {
            self.render_page(data, ctx, out)
        }
    }
}

/// The data as a template value; a failing `Serialize` is a server error.
pub(crate) fn to_value(data: &dyn Data) -> Result<Value, RenderError> {
    let value = Value::from(Serde(as_serialize(data)));
    if value.kind() == ValueKind::Invalid {
        return Err(RenderError::server(format!(
            "the data cannot be serialized: {value}"
        )));
    }
    Ok(value)
}

/// The template to render, as documented on [`TemplateHtmlRenderer`].
fn template_name<'a>(ctx: &RenderContext<'a>) -> Option<Cow<'a, str>> {
    if let Some(name) = ctx.template_name() {
        return Some(Cow::Borrowed(name));
    }
    if let Some(name) = ctx.page().and_then(|p| p.view_template) {
        return Some(Cow::Borrowed(name));
    }
    default_template_name(ctx.view_name()).map(Cow::Owned)
}

/// `Track List` → `track_list.html`; `None` for a name without letters or digits.
fn default_template_name(view_name: &str) -> Option<String> {
    let mut stem = String::with_capacity(view_name.len());
    for c in view_name.chars() {
        if c.is_alphanumeric() {
            stem.extend(c.to_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('_') {
            stem.push('_');
        }
    }
    let stem = stem.trim_end_matches('_');
    (!stem.is_empty()).then(|| format!("{stem}.html"))
}

/// `request`, `status_code` and `view`, shared by pages and error views.
fn common_vars(ctx: &RenderContext<'_>) -> Vec<(Value, Value)> {
    let page = ctx.page();
    vec![
        (
            "request".into(),
            context! {
                method => page.map_or("", |p| p.method),
                path => page.map_or("", |p| p.path),
            },
        ),
        ("status_code".into(), Value::from(ctx.status())),
        (
            "view".into(),
            context! {
                name => ctx.view_name(),
                description => page.map_or("", |p| p.description),
            },
        ),
    ]
}

/// Renders into `out`, leaving it as it was on failure.
fn write(
    template: &minijinja::Template<'_, '_>,
    vars: Value,
    out: &mut Vec<u8>,
) -> Result<(), minijinja::Error> {
    let start = out.len();
    template
        .render_captured_to(vars, &mut *out)
        .map(drop)
        .inspect_err(|_| out.truncate(start))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{PageInfo, RenderErrorKind};
    use serde_json::json;

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new(files: &[(&str, &str)]) -> Self {
            let dir = Dir(tempfile::tempdir().unwrap());
            for (name, source) in files {
                dir.write(name, source);
            }
            dir
        }

        fn write(&self, name: &str, source: &str) {
            std::fs::write(self.0.path().join(name), source).unwrap();
        }

        fn renderer(&self) -> TemplateHtmlRenderer {
            TemplateHtmlRenderer::new(self.0.path())
        }
    }

    fn render(
        r: &TemplateHtmlRenderer,
        data: &dyn Data,
        ctx: &RenderContext<'_>,
    ) -> Result<String, RenderError> {
        let mut out = Vec::new();
        r.render(data, ctx, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    const NAMES: &[(&str, &str)] = &[
        ("response.html", "response"),
        ("view.html", "view"),
        ("track_list.html", "default"),
    ];

    #[test]
    fn the_response_template_comes_first() {
        let dir = Dir::new(NAMES);
        let page = PageInfo {
            view_template: Some("view.html"),
            ..PageInfo::default()
        };
        let ctx = RenderContext::default()
            .with_view_name("Track List")
            .with_template_name(Some("response.html"))
            .with_page(&page);
        assert_eq!(
            render(&dir.renderer(), &json!({}), &ctx).unwrap(),
            "response"
        );
    }

    #[test]
    fn then_the_view_template_then_the_view_default() {
        let dir = Dir::new(NAMES);
        let page = PageInfo {
            view_template: Some("view.html"),
            ..PageInfo::default()
        };
        let ctx = RenderContext::default().with_view_name("Track List");
        assert_eq!(
            render(&dir.renderer(), &json!({}), &ctx.with_page(&page)).unwrap(),
            "view"
        );
        assert_eq!(
            render(&dir.renderer(), &json!({}), &ctx).unwrap(),
            "default"
        );
    }

    #[test]
    fn a_missing_template_is_a_server_error_naming_it_without_fall_through() {
        let dir = Dir::new(NAMES);
        let ctx = RenderContext::default()
            .with_view_name("Track List")
            .with_template_name(Some("missing.html"));
        let err = render(&dir.renderer(), &json!({}), &ctx).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Server);
        assert!(
            err.message()
                .starts_with("template `missing.html` not found in "),
            "{err}"
        );

        let err = render(&dir.renderer(), &json!({}), &RenderContext::default()).unwrap_err();
        assert!(err.message().contains("no template name"), "{err}");
    }

    #[test]
    fn default_names_are_lower_snake_case() {
        assert_eq!(
            default_template_name("Track List").as_deref(),
            Some("track_list.html")
        );
        assert_eq!(
            default_template_name(" Track -- Detail! ").as_deref(),
            Some("track_detail.html")
        );
        assert_eq!(
            default_template_name("API Root").as_deref(),
            Some("api_root.html")
        );
        assert_eq!(default_template_name("--"), None);
    }

    #[test]
    fn map_keys_are_variables_and_data_request_status_and_view_are_always_there() {
        let dir = Dir::new(&[(
            "t.html",
            "{{ title }}|{{ data.title }}|{{ data[1] }}|{{ request.method }} {{ request.path }}|\
             {{ status_code }}|{{ view.name }}: {{ view.description }}|{{ data.view }}",
        )]);
        let page = PageInfo {
            description: "One track.",
            ..PageInfo::new("GET", "/tracks/1/")
        };
        let ctx = RenderContext::default()
            .with_view_name("Track")
            .with_template_name(Some("t.html"))
            .with_page(&page);
        let data = json!({"title": "Blue", "view": "shadowed"});
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "Blue|Blue||GET /tracks/1/|200|Track: One track.|shadowed"
        );
        let list = vec!["a", "b"];
        assert_eq!(
            render(&dir.renderer(), &list, &ctx).unwrap(),
            "||b|GET /tracks/1/|200|Track: One track.|"
        );
    }

    #[test]
    fn everything_user_supplied_is_escaped() {
        let dir = Dir::new(&[("t.html", "<p title=\"{{ title }}\">{{ title }}</p>")]);
        let ctx = RenderContext::default().with_template_name(Some("t.html"));
        let out = render(
            &dir.renderer(),
            &json!({"title": "<script>alert(1)</script>\""}),
            &ctx,
        )
        .unwrap();
        assert_eq!(
            out,
            "<p title=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;\">\
             &lt;script&gt;alert(1)&lt;/script&gt;&quot;</p>"
        );
    }

    #[test]
    fn bytes_data_renders_as_a_data_uri() {
        #[derive(serde::Serialize)]
        struct Profile {
            avatar: bytes::Bytes,
            raw: Vec<u8>,
        }
        let dir = Dir::new(&[(
            "t.html",
            "<img src=\"{{ avatar|data_uri }}\"><img src=\"{{ raw|data_uri('image/x-icon') }}\">",
        )]);
        let ctx = RenderContext::default().with_template_name(Some("t.html"));
        let data = Profile {
            avatar: bytes::Bytes::from_static(b"GIF89a\x01"),
            raw: vec![0, 1],
        };
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "<img src=\"data:image/gif;base64,R0lGODlhAQ==\"><img src=\"data:image/x-icon;base64,AAE=\">"
        );
    }

    #[test]
    fn error_views_try_the_status_template_then_api_exception_then_plain_text() {
        // An error names no template of its own (a response that does is a page: see
        // `a_4xx_response_naming_its_template_is_a_page_not_an_error_view`).
        let ctx = RenderContext::default().with_status(404);
        let data = json!({"detail": "No track <4>."});

        let dir = Dir::new(&[
            ("404.html", "404 page: {{ detail }} ({{ status_code }})"),
            (
                "api_exception.html",
                "generic: {{ detail }} ({{ status_code }})",
            ),
        ]);
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "404 page: No track &lt;4&gt;. (404)"
        );

        let dir = Dir::new(&[(
            "api_exception.html",
            "generic: {{ detail }} ({{ status_code }})",
        )]);
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "generic: No track &lt;4&gt;. (404)"
        );

        let dir = Dir::new(&[]);
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "404 Not Found"
        );
        assert_eq!(
            render(&dir.renderer(), &data, &ctx.with_status(503)).unwrap(),
            "503 Service Unavailable"
        );
    }

    #[test]
    fn a_4xx_response_naming_its_template_is_a_page_not_an_error_view() {
        let dir = Dir::new(&[
            ("login.html", "form again: {{ error }}"),
            ("400.html", "error view"),
        ]);
        let data = json!({"error": "Unable to log in."});
        let named = RenderContext::default()
            .with_status(400)
            .with_template_name(Some("login.html"));
        assert_eq!(
            render(&dir.renderer(), &data, &named).unwrap(),
            "form again: Unable to log in."
        );
        let error = RenderContext::default().with_status(400);
        assert_eq!(
            render(&dir.renderer(), &data, &error).unwrap(),
            "error view"
        );
    }

    #[test]
    fn error_views_show_the_error_data_only_in_debug() {
        let dir = Dir::new(&[(
            "400.html",
            "{{ detail }}|{{ debug_detail is defined }}|{% if data %}{{ data.title[0] }}{% endif %}",
        )]);
        let ctx = RenderContext::default().with_status(400);
        let data = json!({"title": ["This field is required."]});
        assert_eq!(
            render(&dir.renderer(), &data, &ctx).unwrap(),
            "Bad Request|False|"
        );
        assert_eq!(
            render(&dir.renderer().debug(true), &data, &ctx).unwrap(),
            "Bad Request|True|This field is required."
        );

        let dir = Dir::new(&[]);
        let out = render(&dir.renderer().debug(true), &json!({"detail": "<x>"}), &ctx).unwrap();
        assert!(out.starts_with("400 Bad Request\n\n{"), "{out}");
        assert!(out.contains("&lt;x&gt;"), "{out}");
    }

    #[test]
    fn a_broken_error_template_is_a_server_error() {
        let dir = Dir::new(&[("500.html", "{% if %}")]);
        let err = render(
            &dir.renderer(),
            &json!({}),
            &RenderContext::default().with_status(500),
        )
        .unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Server);
        assert!(err.message().starts_with("template `500.html`: "), "{err}");
    }

    #[test]
    fn templates_are_cached_unless_debug_reloads_them() {
        let dir = Dir::new(&[("t.html", "one")]);
        let ctx = RenderContext::default().with_template_name(Some("t.html"));
        let cached = dir.renderer();
        let reloading = dir.renderer().debug(true);
        assert_eq!(render(&cached, &json!({}), &ctx).unwrap(), "one");
        assert_eq!(render(&reloading, &json!({}), &ctx).unwrap(), "one");
        dir.write("t.html", "second");
        assert_eq!(render(&cached, &json!({}), &ctx).unwrap(), "one");
        assert_eq!(render(&reloading, &json!({}), &ctx).unwrap(), "second");
    }

    #[test]
    fn a_failed_render_leaves_the_output_untouched() {
        let dir = Dir::new(&[("t.html", "start {{ 1 / 0 }}")]);
        let ctx = RenderContext::default().with_template_name(Some("t.html"));
        let mut out = b"keep".to_vec();
        let err = dir
            .renderer()
            .render(&json!({}), &ctx, &mut out)
            .unwrap_err();
        assert!(err.message().starts_with("template `t.html`: "), "{err}");
        assert_eq!(out, b"keep");
    }

    #[test]
    fn configure_adds_filters() {
        let dir = Dir::new(&[("t.html", "{{ title|shout }}")]);
        let r = dir
            .renderer()
            .configure(|env| env.add_filter("shout", |s: String| s.to_uppercase()));
        let ctx = RenderContext::default().with_template_name(Some("t.html"));
        assert_eq!(render(&r, &json!({"title": "hi"}), &ctx).unwrap(), "HI");
    }

    #[test]
    fn is_utf8_html_that_renders_data_and_wants_a_page() {
        let r = TemplateHtmlRenderer::new("templates");
        assert_eq!(r.media_type().essence_str(), "text/html");
        assert_eq!(r.format(), "html");
        assert_eq!(r.charset(), Some("utf-8"));
        assert!(r.renders_data());
        assert!(r.wants_page());
    }
}
