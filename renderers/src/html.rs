//! `text/html`: a pre-rendered HTML string, written as is.

use crate::raw::{self, Accept};
use crate::{Data, Mime, RenderContext, RenderError, Renderer};

/// Writes a pre-rendered HTML page (DRF's `StaticHTMLRenderer`).
///
/// The data must be a string; it is written as is, without escaping, so it must come from a
/// template engine or other trusted source. Anything else is a server error naming what it got.
/// [`Renderer::renders_data`] is `false`, so error bodies go to a structured renderer.
///
/// ```
/// use restframe_renderers::{RenderContext, Renderer, StaticHtmlRenderer};
/// let mut out = Vec::new();
/// StaticHtmlRenderer::new()
///     .render(&"<h1>Hi</h1>", &RenderContext::default(), &mut out)
///     .unwrap();
/// assert_eq!(out, b"<h1>Hi</h1>");
/// ```
#[derive(Clone, Debug)]
pub struct StaticHtmlRenderer {
    media_type: Mime,
}

impl Default for StaticHtmlRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl StaticHtmlRenderer {
    /// A `text/html; charset=utf-8` renderer.
    pub fn new() -> Self {
        Self {
            media_type: mime::TEXT_HTML,
        }
    }
}

impl Renderer for StaticHtmlRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "html"
    }

    fn renders_data(&self) -> bool {
        false
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        raw::render(data, Accept::String, out, |what| {
            format!("StaticHtmlRenderer renders a pre-rendered HTML string; got {what}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RenderErrorKind;

    fn render(data: &dyn Data) -> Result<Vec<u8>, RenderError> {
        let mut out = Vec::new();
        StaticHtmlRenderer::new().render(data, &RenderContext::default(), &mut out)?;
        Ok(out)
    }

    #[test]
    fn a_string_is_written_without_escaping() {
        let page = String::from("<p class=\"x\">a & b</p>");
        assert_eq!(render(&page).unwrap(), page.as_bytes());
    }

    #[test]
    fn non_string_data_is_a_server_error_naming_it() {
        let err = render(&serde_json::json!({"a": 1})).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Server);
        assert_eq!(
            err.message(),
            "StaticHtmlRenderer renders a pre-rendered HTML string; got a map"
        );
        assert!(
            render(&3)
                .unwrap_err()
                .message()
                .ends_with("got an integer")
        );
        assert!(
            render(&None::<&str>)
                .unwrap_err()
                .message()
                .ends_with("got None")
        );
    }

    #[test]
    fn is_utf8_html_that_does_not_render_data() {
        let r = StaticHtmlRenderer::new();
        assert_eq!(r.media_type().essence_str(), "text/html");
        assert_eq!(r.charset(), Some("utf-8"));
        assert!(!r.renders_data());
    }
}
