//! `text/plain`: a string, number or bool written as its text.

use crate::raw::{self, Accept};
use crate::{Data, Mime, RenderContext, RenderError, Renderer};

/// Renders a single scalar as plain text.
///
/// - a string is written as is, a number or bool as its text (floats as JSON writes them: `1.0`);
/// - `None` and `()` render as an empty body;
/// - a list, map or struct is refused with a server error naming what it got;
/// - [`Renderer::renders_data`] is `false`, so error bodies go to a structured renderer.
///
/// ```
/// use restframe_renderers::{PlainTextRenderer, RenderContext, Renderer};
/// let ctx = RenderContext::default();
///
/// let mut out = Vec::new();
/// PlainTextRenderer::new().render(&"pong", &ctx, &mut out).unwrap();
/// assert_eq!(out, b"pong");
///
/// let err = PlainTextRenderer::new().render(&vec![1], &ctx, &mut Vec::new()).unwrap_err();
/// assert_eq!(err.to_string(), "PlainTextRenderer renders text; got a sequence");
/// ```
#[derive(Clone, Debug)]
pub struct PlainTextRenderer {
    media_type: Mime,
}

impl Default for PlainTextRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl PlainTextRenderer {
    /// A `text/plain; charset=utf-8` renderer.
    pub fn new() -> Self {
        Self {
            media_type: mime::TEXT_PLAIN,
        }
    }
}

impl Renderer for PlainTextRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "txt"
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
        raw::render(data, Accept::Text, out, |what| {
            format!("PlainTextRenderer renders text; got {what}")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::RenderErrorKind;

    fn render(data: &dyn Data) -> Result<String, RenderError> {
        let mut out = Vec::new();
        PlainTextRenderer::new().render(data, &RenderContext::default(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_string_renders_as_is() {
        assert_eq!(render(&"line 1\n<b>&</b>").unwrap(), "line 1\n<b>&</b>");
    }

    #[test]
    fn numbers_and_bools_render_as_their_text() {
        assert_eq!(render(&42_u32).unwrap(), "42");
        assert_eq!(render(&-1.5_f64).unwrap(), "-1.5");
        assert_eq!(render(&true).unwrap(), "true");
    }

    #[test]
    fn null_renders_empty() {
        assert_eq!(render(&serde_json::Value::Null).unwrap(), "");
        assert_eq!(render(&None::<String>).unwrap(), "");
    }

    #[test]
    fn maps_and_lists_are_refused_as_server_errors() {
        let err = render(&BTreeMap::from([("a", 1)])).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Server);
        assert_eq!(err.message(), "PlainTextRenderer renders text; got a map");
        let err = render(&serde_json::json!([1])).unwrap_err();
        assert_eq!(
            err.message(),
            "PlainTextRenderer renders text; got a sequence"
        );
    }

    #[test]
    fn is_utf8_text_that_does_not_render_data() {
        let r = PlainTextRenderer::new();
        assert_eq!(r.media_type().essence_str(), "text/plain");
        assert_eq!(r.charset(), Some("utf-8"));
        assert!(!r.renders_data());
    }
}
