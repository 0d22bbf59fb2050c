//! `application/javascript`: JSON wrapped in a callback call, for JSONP clients.

use crate::{Data, JsonRenderer, Mime, RenderContext, RenderError, Renderer, static_mime};

/// The callback name used when the request gives none (as DRF).
const DEFAULT_CALLBACK: &str = "callback";

/// Why a request with credentials gets no JSONP.
const CREDENTIALS_REFUSED: &str =
    "JSONP is served to anonymous requests only; ask for JSON, or send no credentials.";

/// Renders JSONP: `callback(<json>);` (DRF's `JSONPRenderer`).
///
/// - the callback name comes from the `callback` query parameter, `callback` by default;
/// - it must be a dotted JavaScript identifier path (`cb`, `my.ns.cb`, `$_1`): ASCII letters,
///   digits, `_` and `$`, no segment starting with a digit, no empty segment. Anything else is
///   refused by [`Renderer::check`] as the client's error (400) before the handler runs, and
///   again by [`Renderer::render`];
/// - the JSON is written by a [`JsonRenderer`] (the `indent` parameter works; U+2028 and U+2029
///   are escaped, so the output is valid JavaScript);
/// - also answers to `text/javascript` (RFC 9239's preferred name); charset utf-8.
///
/// JSONP lets any site read the response (a `<script>` tag sends the visitor's cookies): it is
/// [`Renderer::anonymous_only`], and both [`Renderer::check`] and [`Renderer::render`] refuse
/// a request with credentials ([`RenderContext::has_credentials`]) as forbidden (403): the
/// request is valid, this representation is just not served to it.
/// Offer it only on views of public data.
///
/// ```
/// use restframe_renderers::{JsonpRenderer, RenderContext, RenderErrorKind, Renderer};
/// let ctx = RenderContext::default().with_query("callback=app.load");
/// let mut out = Vec::new();
/// JsonpRenderer::new().render(&vec![1, 2], &ctx, &mut out).unwrap();
/// assert_eq!(out, b"app.load([1,2]);");
///
/// let bad = RenderContext::default().with_query("callback=alert(1)//");
/// assert_eq!(JsonpRenderer::new().check(&bad).unwrap_err().kind(), RenderErrorKind::Client);
///
/// let signed_in = RenderContext::default().with_credentials(true);
/// assert_eq!(JsonpRenderer::new().check(&signed_in).unwrap_err().kind(), RenderErrorKind::Refused);
/// ```
#[derive(Clone, Debug)]
pub struct JsonpRenderer {
    media_type: Mime,
    aliases: [Mime; 1],
    json: JsonRenderer,
}

impl Default for JsonpRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonpRenderer {
    /// A JSONP renderer around a default (compact, ASCII-escaping) [`JsonRenderer`].
    pub fn new() -> Self {
        Self {
            media_type: static_mime("application/javascript"),
            aliases: [static_mime("text/javascript")],
            json: JsonRenderer::new(),
        }
    }

    /// Writes the JSON with `json`'s options (unicode, default indent).
    pub fn with_json(mut self, json: JsonRenderer) -> Self {
        self.json = json;
        self
    }

    /// The callback this request asks for, validated; a request with credentials is refused.
    fn callback<'a>(ctx: &RenderContext<'a>) -> Result<std::borrow::Cow<'a, str>, RenderError> {
        if ctx.has_credentials() {
            return Err(RenderError::refused(CREDENTIALS_REFUSED));
        }
        let callback = ctx
            .query()
            .get("callback")
            .unwrap_or(std::borrow::Cow::Borrowed(DEFAULT_CALLBACK));
        if is_callback_name(&callback) {
            Ok(callback)
        } else {
            Err(RenderError::client(
                "the JSONP `callback` parameter must be a JavaScript identifier or a dotted path \
                 of them (ASCII letters, digits, `_` and `$`, not starting with a digit), \
                 such as `cb` or `app.handlers.load`",
            ))
        }
    }
}

/// Whether `name` matches `^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`.
fn is_callback_name(name: &str) -> bool {
    name.split('.').all(|segment| {
        let mut bytes = segment.bytes();
        let is_start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b == b'$';
        bytes.next().is_some_and(is_start) && bytes.all(|b| is_start(b) || b.is_ascii_digit())
    })
}

impl Renderer for JsonpRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn format(&self) -> &str {
        "jsonp"
    }

    fn check(&self, ctx: &RenderContext<'_>) -> Result<(), RenderError> {
        Self::callback(ctx).map(drop)
    }

    fn anonymous_only(&self) -> bool {
        true
    }

    fn render(
        &self,
        data: &dyn Data,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let callback = Self::callback(ctx)?;
        let start = out.len();
        out.extend_from_slice(callback.as_bytes());
        out.push(b'(');
        if let Err(e) = data.write_json(out, &self.json.style(ctx)) {
            out.truncate(start);
            return Err(e);
        }
        out.extend_from_slice(b");");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RenderErrorKind;

    fn render(query: &str, data: &dyn Data) -> Result<String, RenderError> {
        let ctx = RenderContext::default().with_query(query);
        let mut out = Vec::new();
        JsonpRenderer::new().render(data, &ctx, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn check(query: &str) -> Result<(), RenderError> {
        JsonpRenderer::new().check(&RenderContext::default().with_query(query))
    }

    #[test]
    fn default_callback_is_callback() {
        assert_eq!(
            render("", &serde_json::json!({"a": 1})).unwrap(),
            r#"callback({"a":1});"#
        );
        assert!(check("page=2").is_ok());
    }

    #[test]
    fn custom_dotted_callback_is_used() {
        assert_eq!(
            render("callback=my.ns.cb", &true).unwrap(),
            "my.ns.cb(true);"
        );
        assert_eq!(render("callback=%24_1", &1).unwrap(), "$_1(1);");
        assert!(check("callback=my.ns.cb").is_ok());
    }

    #[test]
    fn rejects_callbacks_that_are_not_identifier_paths() {
        for bad in [
            "alert(1)//",
            "a..b",
            "1abc",
            "",
            "a.",
            ".a",
            "a b",
            "caf\u{e9}",
            "a-b",
        ] {
            let query = format!("callback={}", bad.replace(' ', "+"));
            let err = check(&query).unwrap_err();
            assert_eq!(err.kind(), RenderErrorKind::Client, "{bad:?}");
            assert!(err.message().contains("JavaScript identifier"), "{bad:?}");
            assert_eq!(render(&query, &1).unwrap_err(), err, "{bad:?}");
        }
    }

    #[test]
    fn honours_indent_and_json_options() {
        let ctx = RenderContext::default().with_accepted("application/javascript", "indent=1");
        let mut out = Vec::new();
        let r = JsonpRenderer::new().with_json(JsonRenderer::new().unicode(true));
        r.render(&vec!["é"], &ctx, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "callback([\n \"é\"\n]);");
    }

    #[test]
    fn is_utf8_javascript_also_answering_to_text_javascript() {
        let r = JsonpRenderer::new();
        assert_eq!(r.media_type().essence_str(), "application/javascript");
        assert_eq!(r.aliases()[0].essence_str(), "text/javascript");
        assert_eq!(r.charset(), Some("utf-8"));
        assert_eq!(r.format(), "jsonp");
    }
}
