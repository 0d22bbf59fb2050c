//! `application/xml`: DRF's XML layout (`<root>`, elements named by key, `<list-item>`).

use serde_json::Value;

use crate::{Data, Mime, RenderContext, RenderError, Renderer, as_serialize, static_mime};

/// Renders XML in the layout of DRF's `XMLRenderer` (from `djangorestframework-xml`).
///
/// - `<?xml version="1.0" encoding="utf-8"?>` and a newline, then one `<root>` element;
/// - a map or struct becomes child elements named by its keys, in order;
/// - a list becomes repeated `<list-item>` elements;
/// - null, and an empty map or list, become an empty element written as `<k></k>` (as DRF),
///   never the self-closing `<k/>`;
/// - booleans are `true`/`false`, numbers their JSON text, strings escaped (`&lt;`, `&amp;`,
///   `&gt;`, `&quot;`, `&apos;`, and `&#13;` so a carriage return survives parsing).
///
/// - a character XML 1.0 cannot carry at all — a control character other than tab, newline
///   and carriage return (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F), or one of the
///   non-characters U+FFFE and U+FFFF — is **replaced by U+FFFD** (`�`, the replacement
///   character). XML 1.0 has no escape for them (`&#1;` is not well-formed either), so one
///   stored control character must not make every page holding that row unrenderable: the page
///   is served with the replacement in its place, and JSON still shows the exact value.
///
/// The data goes through [`serde_json::Value`] first. A key that is not an XML element name
/// (empty, starting with a digit, `-` or `.`, or containing a space, `<`, `:`, …) cannot be
/// represented and is refused with
/// [`RenderErrorKind::Unrepresentable`](crate::RenderErrorKind::Unrepresentable), which the
/// framework answers with a 406 rendered by another renderer (the data may well come from the
/// client, so it is not a server error); the message names the key (cut short past 64
/// characters). Nothing is left in the output buffer when rendering is refused.
///
/// ```
/// use restframe_renderers::{RenderContext, Renderer, XmlRenderer};
/// let data = serde_json::json!({"title": "Tom & Jerry", "tags": ["a", "b"], "artist": null});
/// let mut out = Vec::new();
/// XmlRenderer::new().render(&data, &RenderContext::default(), &mut out).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<root><title>Tom &amp; Jerry</title>\
///      <tags><list-item>a</list-item><list-item>b</list-item></tags><artist></artist></root>"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct XmlRenderer {
    media_type: Mime,
    aliases: [Mime; 1],
}

impl Default for XmlRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlRenderer {
    /// An `application/xml` renderer.
    pub fn new() -> Self {
        Self {
            media_type: static_mime("application/xml"),
            aliases: [mime::TEXT_XML],
        }
    }
}

impl Renderer for XmlRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn format(&self) -> &str {
        "xml"
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let value = serde_json::to_value(as_serialize(data)).map_err(RenderError::server)?;
        let start = out.len();
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let result = element(out, "root", &value);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

/// Writes `<name>value</name>`; `name` is already known to be valid.
fn element(out: &mut Vec<u8>, name: &str, value: &Value) -> Result<(), RenderError> {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    content(out, value)?;
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    Ok(())
}

/// Writes the content of one element.
fn content(out: &mut Vec<u8>, value: &Value) -> Result<(), RenderError> {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => text(out, s),
        Value::Array(items) => {
            for item in items {
                element(out, "list-item", item)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if !is_element_name(key) {
                    return Err(RenderError::unrepresentable(format!(
                        "the key {} cannot be represented as XML: an XML element name starts \
                         with a letter or `_` and holds only letters, digits, `_`, `-` and `.`",
                        quoted_key(key)
                    )));
                }
                element(out, key, item)?;
            }
        }
    }
    Ok(())
}

/// Writes escaped character data; each character XML 1.0 cannot carry becomes U+FFFD.
fn text(out: &mut Vec<u8>, s: &str) {
    if s.chars().all(is_xml_char) {
        out.extend_from_slice(quick_xml::escape::escape(s).as_bytes());
    } else {
        let carried: String = s
            .chars()
            .map(|c| {
                if is_xml_char(c) {
                    c
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect();
        out.extend_from_slice(quick_xml::escape::escape(&carried).as_bytes());
    }
}

/// `key` quoted for an error message, cut short past 64 characters so a huge key does not make a
/// huge message.
fn quoted_key(key: &str) -> String {
    const SHOWN: usize = 64;
    match key.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &key[..cut]),
        None => format!("{key:?}"),
    }
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML 1.0's `Name` production, without `:` (a colon would declare a namespace prefix).
fn is_element_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// XML 1.0 (fifth edition) `NameStartChar`, without `:`.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (fifth edition) `NameChar`, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;
    use crate::RenderErrorKind;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

    fn render(data: &dyn Data) -> Result<String, RenderError> {
        let mut out = Vec::new();
        XmlRenderer::new().render(data, &RenderContext::default(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn nested_maps_lists_and_nulls_follow_drf_layout() {
        let data = serde_json::json!({
            "count": 2,
            "results": [
                {"id": 1, "live": true, "artist": {"name": "Miles"}},
                {"id": 2.5, "live": false, "artist": null, "tags": [], "meta": {}},
            ],
        });
        assert_eq!(
            render(&data).unwrap(),
            format!(
                "{DECL}<root><count>2</count><results>\
                 <list-item><id>1</id><live>true</live><artist><name>Miles</name></artist></list-item>\
                 <list-item><id>2.5</id><live>false</live><artist></artist><tags></tags><meta></meta></list-item>\
                 </results></root>"
            )
        );
    }

    #[test]
    fn struct_fields_become_elements_in_declaration_order() {
        #[derive(Serialize)]
        struct Track {
            zeta: u8,
            alpha: u8,
        }
        assert_eq!(
            render(&Track { zeta: 1, alpha: 2 }).unwrap(),
            format!("{DECL}<root><zeta>1</zeta><alpha>2</alpha></root>")
        );
    }

    #[test]
    fn top_level_scalars_and_lists_sit_in_root() {
        assert_eq!(render(&"x").unwrap(), format!("{DECL}<root>x</root>"));
        assert_eq!(render(&()).unwrap(), format!("{DECL}<root></root>"));
        assert_eq!(
            render(&vec![1, 2]).unwrap(),
            format!("{DECL}<root><list-item>1</list-item><list-item>2</list-item></root>")
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            render(&serde_json::json!({"t": "<a href=\"x\">&'\r</a>"})).unwrap(),
            format!(
                "{DECL}<root><t>&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#13;&lt;/a&gt;</t></root>"
            )
        );
    }

    #[test]
    fn a_key_that_is_not_an_element_name_is_unrepresentable_naming_it() {
        for key in ["", "1st", "-a", ".a", "two words", "a<b", "ns:a", "a&b"] {
            let mut out = b"kept".to_vec();
            let data = serde_json::json!({"ok": {key: 1}});
            let err = XmlRenderer::new()
                .render(&data, &RenderContext::default(), &mut out)
                .unwrap_err();
            assert_eq!(err.kind(), RenderErrorKind::Unrepresentable, "{key:?}");
            assert!(err.message().contains(&format!("{key:?}")), "{err}");
            assert!(
                err.message().contains("cannot be represented as XML"),
                "{err}"
            );
            assert_eq!(out, b"kept", "nothing half-written for {key:?}");
        }
        for key in ["_a", "a-b.c", "Café", "xmlish", "a1"] {
            assert!(render(&serde_json::json!({key: 1})).is_ok(), "{key:?}");
        }
    }

    #[test]
    fn a_client_echoed_key_starting_with_a_digit_is_unrepresentable_not_a_server_error() {
        let err = render(&serde_json::json!({"1st": 1})).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert_eq!(
            err.message(),
            "the key \"1st\" cannot be represented as XML: an XML element name starts with a \
             letter or `_` and holds only letters, digits, `_`, `-` and `.`"
        );
    }

    #[test]
    fn a_huge_bad_key_is_cut_short_in_the_message() {
        let key = format!("1{}", "é".repeat(100_000));
        let err = render(&serde_json::json!({key.as_str(): 1})).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert!(
            err.message().contains(&format!("\"1{}\"…", "é".repeat(63))),
            "{err}"
        );
        assert!(err.message().len() < 400, "{}", err.message().len());
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced_not_refused() {
        for (data, shown) in [
            (
                serde_json::json!({"a": "\u{1}"}),
                "<root><a>\u{FFFD}</a></root>",
            ),
            (
                serde_json::json!("a\u{1b}<b\u{0}"),
                "<root>a\u{FFFD}&lt;b\u{FFFD}</root>",
            ),
            (
                serde_json::json!(["\u{FFFE}\u{FFFF}\t\n"]),
                "<root><list-item>\u{FFFD}\u{FFFD}\t\n</list-item></root>",
            ),
        ] {
            assert_eq!(render(&data).unwrap(), format!("{DECL}{shown}"), "{data}");
        }
        // What is written parses back as XML.
        let xml = render(&serde_json::json!({"t": "x\u{1}\u{8}\u{b}\u{c}\u{1f}y"})).unwrap();
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {xml}"),
            }
        }
        assert!(
            xml.contains("x\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}y"),
            "{xml}"
        );
    }

    #[test]
    fn is_utf8_and_answers_to_text_xml() {
        let r = XmlRenderer::new();
        assert_eq!(r.charset(), Some("utf-8"));
        assert_eq!(r.aliases()[0].essence_str(), "text/xml");
    }
}
