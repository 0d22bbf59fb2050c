//! `application/xml`, `text/xml` and `application/*+xml`.

use bytes::Bytes;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::{Mime, ParseContext, ParseError, Parsed, Parser, Position, TextTree};

/// Parses XML in the layout DRF's `XMLRenderer` writes (DRF's former `XMLParser`); also reads
/// `text/xml` and any `application/*+xml` type.
///
/// The root element's content is the document (its name is not checked; DRF writes `<root>`):
///
/// | content                                       | value                               |
/// |-----------------------------------------------|-------------------------------------|
/// | child elements                                | an object keyed by their names      |
/// | child elements all named `<list-item>`        | a list                              |
/// | text (entities unescaped, CDATA allowed)      | a string                            |
/// | nothing or only blanks (`<a/>`, `<a> </a>`)   | null                                |
///
/// Values are text, coerced by the target type (see [`TextTree`]); null reads as an empty list
/// or object where the target asks for one. Attributes, comments and processing instructions
/// are ignored. Refused as malformed: a child name repeated in an object, text mixed with
/// elements, and any DTD (`<!DOCTYPE …>`): only the five predefined entities and numeric
/// character references are expanded, so no entity tricks (billion laughs, external entities)
/// are possible. Nesting deeper than the limit is refused as the elements are read.
///
/// ```
/// use restframe_parsers::{ParseContext, Parser, XmlParser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { id: u32, title: String, tags: Vec<String>, year: Option<u16> }
///
/// let ct = "text/xml".parse().unwrap();
/// let body = r#"<?xml version="1.0" encoding="utf-8"?>
/// <root><id>4</id><title>So What &amp; More</title>
/// <tags><list-item>jazz</list-item><list-item>modal</list-item></tags><year/></root>"#;
/// let parsed = XmlParser::new().parse_bytes(body.into(), &ParseContext::new(&ct)).unwrap();
/// assert_eq!(parsed.deserialize::<Track>().unwrap(), Track {
///     id: 4,
///     title: "So What & More".into(),
///     tags: vec!["jazz".into(), "modal".into()],
///     year: None,
/// });
/// ```
#[derive(Clone, Debug)]
pub struct XmlParser {
    media_type: Mime,
    aliases: [Mime; 1],
}

const FORMAT: &str = "XML";

/// The element name DRF's renderer gives each item of a list.
const LIST_ITEM: &str = "list-item";

impl Default for XmlParser {
    fn default() -> Self {
        Self {
            media_type: crate::static_mime("application/xml"),
            aliases: [crate::static_mime("text/xml")],
        }
    }
}

impl XmlParser {
    /// An XML parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for XmlParser {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn suffix(&self) -> Option<&str> {
        Some("xml")
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let text = crate::utf8_text(FORMAT, &body)?;
        // Positions count from the start of the body, byte-order mark included.
        let base = (body.len() - text.len()) as u64;
        let value = build(text, ctx.limits.max_depth)
            .map_err(|(e, offset)| e.at(Position::offset(base + offset)))?;
        Ok(Parsed::new(TextTree::new(value)))
    }
}

/// An element being read.
struct Frame {
    name: String,
    text: String,
    /// Text came from CDATA or a reference, so even blanks are content.
    significant: bool,
    children: Children,
}

enum Children {
    None,
    List(Vec<Value>),
    Object(Map<String, Value>),
}

impl Frame {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            text: String::new(),
            significant: false,
            children: Children::None,
        }
    }

    fn has_text(&self) -> bool {
        self.significant || !self.text.bytes().all(|b| b.is_ascii_whitespace())
    }

    fn push_text(&mut self, text: &str, significant: bool) -> Result<(), ParseError> {
        if matches!(self.children, Children::None) {
            self.text.push_str(text);
            self.significant |= significant;
            Ok(())
        } else if significant || !text.bytes().all(|b| b.is_ascii_whitespace()) {
            Err(self.mixed())
        } else {
            // Indentation between child elements.
            Ok(())
        }
    }

    fn mixed(&self) -> ParseError {
        ParseError::malformed(
            FORMAT,
            format_args!("mixed text and elements in <{}>", self.name),
        )
    }

    fn add_child(&mut self, name: String, value: Value) -> Result<(), ParseError> {
        let duplicate =
            |name: &str| ParseError::malformed(FORMAT, format_args!("duplicate element <{name}>"));
        match &mut self.children {
            Children::None if name == LIST_ITEM => self.children = Children::List(vec![value]),
            Children::None => self.children = Children::Object(Map::from_iter([(name, value)])),
            Children::List(items) if name == LIST_ITEM => items.push(value),
            // One `<list-item>` and then another name: an object that has a key "list-item".
            Children::List(items) => match (items.pop(), items.is_empty()) {
                (Some(first), true) => {
                    self.children = Children::Object(Map::from_iter([
                        (LIST_ITEM.to_owned(), first),
                        (name, value),
                    ]));
                }
                _ => return Err(duplicate(LIST_ITEM)),
            },
            Children::Object(map) => {
                if map.contains_key(&name) {
                    return Err(duplicate(&name));
                }
                map.insert(name, value);
            }
        }
        Ok(())
    }

    fn into_value(self) -> Value {
        match self.children {
            Children::None if self.has_text() => Value::String(self.text),
            Children::None => Value::Null,
            Children::List(items) => Value::Array(items),
            Children::Object(map) => Value::Object(map),
        }
    }
}

/// Reads the document with an explicit stack of open elements (no recursion), refusing nesting
/// past `max_depth` as soon as it is seen. Errors come with their byte offset in `text`.
fn build(text: &str, max_depth: usize) -> Result<Value, (ParseError, u64)> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let at = reader.buffer_position();
        let fail = |e: ParseError| (e, at);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Err((ParseError::malformed(FORMAT, e), reader.error_position())),
        };
        match event {
            Event::Start(e) => {
                open(&mut stack, &root, e.name().as_ref(), max_depth).map_err(fail)?
            }
            Event::Empty(e) => {
                open(&mut stack, &root, e.name().as_ref(), max_depth).map_err(fail)?;
                close(&mut stack, &mut root).map_err(fail)?;
            }
            Event::End(_) => close(&mut stack, &mut root).map_err(fail)?,
            Event::Text(t) => match stack.last_mut() {
                Some(frame) => frame.push_text(&t.xml10_content(), false).map_err(fail)?,
                None if t.bytes().all(|b| b.is_ascii_whitespace()) => {}
                None => return Err(fail(outside_root(&root))),
            },
            Event::CData(c) => match stack.last_mut() {
                Some(frame) => frame.push_text(&c.xml10_content(), true).map_err(fail)?,
                None => return Err(fail(outside_root(&root))),
            },
            Event::GeneralRef(r) => {
                let Some(frame) = stack.last_mut() else {
                    return Err(fail(outside_root(&root)));
                };
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => frame.push_text(c.encode_utf8(&mut [0; 4]), true),
                    Ok(None) => match resolve_xml_entity(&r) {
                        Some(s) => frame.push_text(s, true),
                        None => Err(ParseError::malformed(
                            FORMAT,
                            format_args!("unknown entity &{};", &*r),
                        )),
                    },
                    Err(e) => Err(ParseError::malformed(FORMAT, e)),
                };
                resolved.map_err(fail)?;
            }
            Event::DocType(_) => {
                return Err(fail(ParseError::malformed(FORMAT, "DTDs are not accepted")));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    let end = text.len() as u64;
    if let Some(frame) = stack.last() {
        let message = format_args!("unclosed element <{}>", frame.name);
        return Err((ParseError::malformed(FORMAT, message), end));
    }
    root.ok_or_else(|| (ParseError::malformed(FORMAT, "no root element"), end))
}

fn open(
    stack: &mut Vec<Frame>,
    root: &Option<Value>,
    name: &str,
    max_depth: usize,
) -> Result<(), ParseError> {
    if let Some(parent) = stack.last_mut() {
        if parent.has_text() {
            return Err(parent.mixed());
        }
        // Blanks before the first child were indentation.
        parent.text.clear();
        // The root's children are one level deep, their children two, …
        if stack.len() > max_depth {
            return Err(ParseError::too_deep(FORMAT, max_depth));
        }
    } else if root.is_some() {
        return Err(ParseError::malformed(FORMAT, "more than one root element"));
    }
    stack.push(Frame::new(name));
    Ok(())
}

fn close(stack: &mut Vec<Frame>, root: &mut Option<Value>) -> Result<(), ParseError> {
    // quick-xml checks that end tags match start tags, so there is a frame to close.
    let Some(frame) = stack.pop() else {
        return Err(ParseError::malformed(FORMAT, "unexpected end tag"));
    };
    let name = frame.name.clone();
    let value = frame.into_value();
    match stack.last_mut() {
        Some(parent) => parent.add_child(name, value),
        None => {
            *root = Some(value);
            Ok(())
        }
    }
}

fn outside_root(root: &Option<Value>) -> ParseError {
    let message = match root {
        Some(_) => "text after the root element",
        None => "text before the root element",
    };
    ParseError::malformed(FORMAT, message)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &str) -> Result<Parsed, ParseError> {
        let ct = "application/xml".parse().unwrap();
        XmlParser::new().parse_bytes(Bytes::from(body.to_owned()), &ParseContext::new(&ct))
    }

    const DRF_TRACK: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<root>
  <id>4</id>
  <title>So What</title>
  <explicit>False</explicit>
  <rating>4.5</rating>
  <artist><name>Miles Davis</name><country></country></artist>
  <tags><list-item>jazz</list-item><list-item>modal</list-item></tags>
</root>"#;

    #[test]
    fn media_types_aliases_and_suffix_are_read() {
        let p = XmlParser::new();
        for ct in ["application/xml", "text/xml", "application/atom+xml"] {
            assert!(p.reads(&ct.parse().unwrap()), "{ct}");
        }
    }

    #[test]
    fn drf_layout_reads_into_a_typed_struct() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Artist {
            name: String,
            country: Option<String>,
        }
        #[derive(Deserialize, Debug, PartialEq)]
        struct Track {
            id: u32,
            title: String,
            explicit: bool,
            rating: f64,
            artist: Artist,
            tags: Vec<String>,
        }
        assert_eq!(
            parse(DRF_TRACK).unwrap().deserialize::<Track>().unwrap(),
            Track {
                id: 4,
                title: "So What".into(),
                explicit: false,
                rating: 4.5,
                artist: Artist {
                    name: "Miles Davis".into(),
                    country: None
                },
                tags: vec!["jazz".into(), "modal".into()],
            }
        );
    }

    #[test]
    fn drf_layout_reads_into_a_dynamic_value_of_strings() {
        assert_eq!(
            parse(DRF_TRACK).unwrap().to_value().unwrap(),
            json!({
                "id": "4",
                "title": "So What",
                "explicit": "False",
                "rating": "4.5",
                "artist": {"name": "Miles Davis", "country": null},
                "tags": ["jazz", "modal"],
            })
        );
    }

    #[test]
    fn list_items_make_lists_even_of_one_or_nested() {
        let body = "<root><list-item><list-item>1</list-item></list-item><list-item/></root>";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!([["1"], null])
        );
        let one = "<root><a><list-item>x</list-item></a></root>";
        assert_eq!(parse(one).unwrap().to_value().unwrap(), json!({"a": ["x"]}));
        // `list-item` next to another name is just a key.
        let mixed = "<root><list-item>x</list-item><b>y</b></root>";
        assert_eq!(
            parse(mixed).unwrap().to_value().unwrap(),
            json!({"list-item": "x", "b": "y"})
        );
    }

    #[test]
    fn empty_elements_are_null_and_read_as_empty_or_none() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct T {
            a: Option<u8>,
            b: Vec<String>,
            c: String,
            d: std::collections::BTreeMap<String, String>,
        }
        let parsed = parse("<root><a/><b></b><c>\n  </c><d/></root>").unwrap();
        assert_eq!(
            parsed.to_value().unwrap(),
            json!({"a": null, "b": null, "c": null, "d": null})
        );
        assert_eq!(
            parsed.deserialize::<T>().unwrap(),
            T {
                a: None,
                b: vec![],
                c: String::new(),
                d: Default::default()
            }
        );
        assert_eq!(parse("<root/>").unwrap().to_value().unwrap(), json!(null));
    }

    #[test]
    fn text_is_unescaped_and_cdata_and_blanks_by_reference_are_kept() {
        let body = "<root><a>Tom &amp; Jerry &lt;3 &#233;&#x1F3B5;</a>\
                    <b><![CDATA[<not> & markup]]></b><c>&#32;</c><d> x </d></root>";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!({"a": "Tom & Jerry <3 é🎵", "b": "<not> & markup", "c": " ", "d": " x "})
        );
    }

    #[test]
    fn unclosed_and_mismatched_tags_are_malformed_with_an_offset() {
        let err = parse("<root><a>1</a><b>2</root>").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position(), Some(Position::offset(18)));
        assert!(err.message().contains("</b>"), "{err}");

        let err = parse("<root><a>1</a>").unwrap_err();
        assert_eq!(err.message(), "unclosed element <root>");
        assert_eq!(err.position(), Some(Position::offset(14)));

        let err = parse("<root><a").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position(), Some(Position::offset(6)));
    }

    #[test]
    fn offsets_count_the_byte_order_mark() {
        let err = parse("\u{feff}<root><a>1</a>").unwrap_err();
        assert_eq!(err.position(), Some(Position::offset(17)));
    }

    #[test]
    fn structure_errors_are_malformed() {
        let cases = [
            ("<root><a>1</a><a>2</a></root>", "duplicate element <a>"),
            (
                "<root><list-item/><list-item/><b/></root>",
                "duplicate element <list-item>",
            ),
            ("<root>text<a/></root>", "mixed text and elements in <root>"),
            ("<root><a/>text</root>", "mixed text and elements in <root>"),
            (
                "<root><a/><![CDATA[ ]]></root>",
                "mixed text and elements in <root>",
            ),
            ("<root/><root/>", "more than one root element"),
            ("<root/>tail", "text after the root element"),
            ("", "no root element"),
            ("<root>&nbsp;</root>", "unknown entity &nbsp;"),
        ];
        for (body, message) in cases {
            let err = parse(body).unwrap_err();
            assert_eq!(err.kind(), ParseErrorKind::Malformed, "{body}");
            assert_eq!(err.message(), message, "{body}");
        }
    }

    #[test]
    fn doctype_is_refused() {
        let body = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<root>&lol2;</root>"#;
        let err = parse(body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.message(), "DTDs are not accepted");
        assert_eq!(err.position(), Some(Position::offset(22)));
    }

    #[test]
    fn depth_limit_is_a_setting_and_checked_while_reading() {
        let ct = "application/xml".parse().unwrap();
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(2));
        let p = XmlParser::new();
        let ok = p.parse_bytes(Bytes::from_static(b"<root><a><b>1</b></a></root>"), &ctx);
        assert_eq!(ok.unwrap().to_value().unwrap(), json!({"a": {"b": "1"}}));
        let err = p
            .parse_bytes(Bytes::from_static(b"<root><a><b><c/></b></a></root>"), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
        // Far deeper than any stack would take, and never closed: refused early, no overflow.
        let deep = "<a>".repeat(200_000);
        assert_eq!(parse(&deep).unwrap_err().kind(), ParseErrorKind::TooDeep);
    }
}
