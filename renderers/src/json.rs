//! `application/json`: compact by default, `indent` parameter, ASCII escaping by default.

use serde::Serialize;
use serde_json::ser::PrettyFormatter;

use crate::{Data, Mime, RenderContext, RenderError, Renderer};

mod compact;
mod escape;

/// Renders JSON (DRF's `JSONRenderer`).
///
/// - compact by default; `Accept: application/json; indent=4` indents by 4, clamped to 0–8;
/// - non-ASCII characters escaped as `\uXXXX` by default; [`JsonRenderer::unicode`] writes UTF-8
///   as is (DRF's `UnicodeJSONRenderer`); U+2028 and U+2029 are always escaped, so the output is
///   also valid JavaScript;
/// - no charset parameter (RFC 8259).
///
/// ```
/// use restframe_renderers::{JsonRenderer, RenderContext, Renderer};
/// let data = serde_json::json!({"title": "Café", "n": [1]});
///
/// let mut out = Vec::new();
/// JsonRenderer::new().render(&data, &RenderContext::default(), &mut out).unwrap();
/// assert_eq!(out, br#"{"title":"Caf\u00e9","n":[1]}"#);
///
/// let ctx = RenderContext::default().with_accepted("application/json", "indent=2");
/// let mut out = Vec::new();
/// JsonRenderer::new().unicode(true).render(&data, &ctx, &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "{\n  \"title\": \"Café\",\n  \"n\": [\n    1\n  ]\n}");
/// ```
#[derive(Clone, Debug)]
pub struct JsonRenderer {
    media_type: Mime,
    options: JsonOptions,
}

/// Settings of a [`JsonRenderer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonOptions {
    /// Write non-ASCII characters as UTF-8 instead of `\uXXXX` escapes.
    pub unicode: bool,
    /// Indentation when the client gives none (`None`: compact).
    pub default_indent: Option<u8>,
}

/// The largest `indent` honoured, as DRF.
const MAX_INDENT: u8 = 8;
const SPACES: &[u8; MAX_INDENT as usize] = b"        ";

impl Default for JsonRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonRenderer {
    /// A compact, ASCII-escaping JSON renderer.
    pub fn new() -> Self {
        Self {
            media_type: mime::APPLICATION_JSON,
            options: JsonOptions::default(),
        }
    }

    /// Writes non-ASCII characters as UTF-8 (`true`) or as `\uXXXX` escapes (`false`, default).
    pub fn unicode(mut self, unicode: bool) -> Self {
        self.options.unicode = unicode;
        self
    }

    /// Indents by `spaces` (clamped to 0–8) when the client's media type has no `indent`.
    pub fn default_indent(mut self, spaces: Option<u8>) -> Self {
        self.options.default_indent = spaces.map(|s| s.min(MAX_INDENT));
        self
    }

    /// Produces another JSON media type, e.g. `application/vnd.api+json`.
    ///
    /// ```
    /// use restframe_renderers::{JsonRenderer, Renderer};
    /// let r = JsonRenderer::new().with_media_type("application/vnd.api+json".parse().unwrap());
    /// assert_eq!(r.media_type().essence_str(), "application/vnd.api+json");
    /// ```
    pub fn with_media_type(mut self, media_type: Mime) -> Self {
        self.media_type = media_type;
        self
    }

    /// The options in force.
    pub fn options(&self) -> JsonOptions {
        self.options
    }

    /// The output style for one request: the options plus the client's `indent`.
    pub(crate) fn style(&self, ctx: &RenderContext<'_>) -> JsonStyle {
        let indent = ctx
            .params()
            .get("indent")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|n| n.clamp(0, i64::from(MAX_INDENT)) as u8)
            .or(self.options.default_indent);
        JsonStyle {
            indent,
            ascii: !self.options.unicode,
        }
    }
}

impl Renderer for JsonRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "json"
    }

    fn charset(&self) -> Option<&'static str> {
        None
    }

    fn render(
        &self,
        data: &dyn Data,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        data.write_json(out, &self.style(ctx))
    }
}

/// How to write one JSON document.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonStyle {
    /// Spaces per level; `None` is compact.
    pub indent: Option<u8>,
    /// Escape every non-ASCII character.
    pub ascii: bool,
}

/// Writes `value` as JSON in `style`. Monomorphised per value type through [`Data`].
///
/// The compact style (no `indent`) is written by our own serializer ([`compact`]) in one pass:
/// strings are escaped eight bytes at a time, non-ASCII text included, and the bytes are those
/// serde_json's compact serializer plus [`escape_non_ascii`] would write. The pretty style is
/// written by serde_json's pretty formatter; only output holding non-ASCII text is then
/// rewritten, escaping as `style` says. On error `out` is as it was.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    style: &JsonStyle,
) -> Result<(), RenderError> {
    let start = out.len();
    let result = match style.indent {
        None => compact::write(value, out, style.ascii),
        Some(n) => {
            let pretty = PrettyFormatter::with_indent(&SPACES[..usize::from(n)]);
            let result = value.serialize(&mut serde_json::Serializer::with_formatter(
                &mut *out, pretty,
            ));
            if result.is_ok() && !out[start..].is_ascii() {
                escape_non_ascii(out, start, style.ascii);
            }
            result
        }
    };
    if let Err(e) = result {
        out.truncate(start);
        return Err(RenderError::server(e));
    }
    Ok(())
}

/// Rewrites `out[start..]`, serde_json's output, escaping non-ASCII characters as `\uXXXX`
/// (UTF-16 surrogate pairs past the BMP): all of them when `ascii`, else only U+2028 and
/// U+2029. Sound because JSON text is ASCII outside string literals, and an escape means the
/// same character inside one.
#[cold]
fn escape_non_ascii(out: &mut Vec<u8>, start: usize, ascii: bool) {
    let tail = out.split_off(start);
    // serde_json writes UTF-8 only; should that ever fail, leave its output untouched.
    let Ok(text) = std::str::from_utf8(&tail) else {
        out.extend_from_slice(&tail);
        return;
    };
    out.reserve(tail.len() + tail.len() / 2);
    let mut copied = 0;
    for (i, c) in text.char_indices() {
        if (ascii && !c.is_ascii()) || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend_from_slice(&tail[copied..i]);
            escape::write_utf16_escape(out, c);
            copied = i + c.len_utf8();
        }
    }
    out.extend_from_slice(&tail[copied..]);
}

/// Four lower-case hex digits.
fn hex4(unit: u16) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    [12, 8, 4, 0].map(|shift| HEX[usize::from((unit >> shift) & 0xf)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(r: &JsonRenderer, params: &str, data: &dyn Data) -> String {
        let ctx = RenderContext::default().with_accepted("application/json", params);
        let mut out = Vec::new();
        r.render(data, &ctx, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn compact_by_default_and_same_bytes_as_serde_json() {
        let v = serde_json::json!({"a": [1, 2, {"b": null}], "c": "x\"y\n"});
        assert_eq!(
            render(&JsonRenderer::new(), "", &v),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn indent_parameter_is_clamped_to_eight() {
        let v = vec![1];
        assert_eq!(render(&JsonRenderer::new(), "indent=4", &v), "[\n    1\n]");
        assert_eq!(
            render(&JsonRenderer::new(), "indent=99", &v),
            "[\n        1\n]"
        );
        assert_eq!(render(&JsonRenderer::new(), "indent=-3", &v), "[\n1\n]");
        assert_eq!(render(&JsonRenderer::new(), "indent=abc", &v), "[1]");
    }

    #[test]
    fn non_ascii_is_escaped_by_default_including_astral_planes() {
        assert_eq!(
            render(&JsonRenderer::new(), "", &"é🎵"),
            r#""\u00e9\ud83c\udfb5""#
        );
    }

    #[test]
    fn unicode_option_writes_utf8_but_still_escapes_line_separators() {
        let r = JsonRenderer::new().unicode(true);
        assert_eq!(render(&r, "", &"é\u{2028}\u{2029}"), "\"é\\u2028\\u2029\"");
    }

    #[test]
    fn keys_are_escaped_like_values_and_escapes_stay_valid_json() {
        let v = serde_json::json!({"clé": ["naïve \"q\"\\", "\u{1F3B5}"]});
        let out = render(&JsonRenderer::new(), "indent=1", &v);
        assert!(out.is_ascii(), "{out}");
        assert!(out.contains("cl\\u00e9"), "{out}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v);
    }

    #[test]
    fn a_failing_serialize_leaves_the_output_as_it_was() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let mut out = b"keep".to_vec();
        let err = JsonRenderer::new().render(&vec![Fails], &RenderContext::default(), &mut out);
        assert_eq!(err.unwrap_err().message(), "no");
        assert_eq!(out, b"keep");
    }

    #[test]
    fn has_no_charset() {
        assert_eq!(JsonRenderer::new().charset(), None);
    }
}
