//! `application/x-www-form-urlencoded`.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::{Mime, ParseContext, ParseError, Parsed, Parser, TextTree};

/// Parses HTML form bodies (DRF's `FormParser`): `title=So+What&tags=jazz&tags=modal`.
///
/// Keys and values are percent-decoded (`+` is a space; a decoded byte sequence that is not
/// UTF-8 is replaced lossily, as browsers do). Each key gives a string; a key sent more than
/// once gives the list of its values, in order. The values are text, coerced to numbers,
/// booleans and options by the target type (see [`TextTree`]); a list field sent once reads as
/// a one-item list, sent empty (`tags=`) as an empty one.
///
/// ```
/// use restframe_parsers::{FormParser, ParseContext, Parser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Search { q: String, page: u32, tags: Vec<String>, year: Option<u16> }
///
/// let ct = mime::APPLICATION_WWW_FORM_URLENCODED;
/// let body = "q=kind+of+blue&page=2&tags=jazz&tags=modal&year=";
/// let parsed = FormParser::new().parse_bytes(body.into(), &ParseContext::new(&ct)).unwrap();
/// assert_eq!(parsed.deserialize::<Search>().unwrap(), Search {
///     q: "kind of blue".into(),
///     page: 2,
///     tags: vec!["jazz".into(), "modal".into()],
///     year: None,
/// });
/// assert_eq!(parsed.to_value().unwrap()["tags"], serde_json::json!(["jazz", "modal"]));
/// ```
#[derive(Clone, Debug, Default)]
pub struct FormParser {
    _private: (),
}

const FORMAT: &str = "form";

impl FormParser {
    /// A form parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for FormParser {
    fn media_type(&self) -> &Mime {
        &mime::APPLICATION_WWW_FORM_URLENCODED
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let text = crate::utf8_text(FORMAT, &body)?;
        let mut map = Map::new();
        let mut lists = false;
        for (key, value) in form_urlencoded::parse(text.as_bytes()) {
            let value = Value::String(value.into_owned());
            match map.get_mut(key.as_ref()) {
                None => {
                    map.insert(key.into_owned(), value);
                }
                Some(Value::Array(values)) => values.push(value),
                Some(first) => {
                    lists = true;
                    let first = first.take();
                    map.insert(key.into_owned(), Value::Array(vec![first, value]));
                }
            }
        }
        // A flat object, or one of lists when a key repeats: depth 1 or 2, known without
        // walking the tree; only a tiny limit can refuse it.
        let depth = if lists { 2 } else { 1 };
        if depth > ctx.limits.max_depth {
            return Err(ParseError::too_deep(FORMAT, ctx.limits.max_depth));
        }
        Ok(Parsed::new(TextTree::new(Value::Object(map))))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &'static str) -> Result<Parsed, ParseError> {
        let ct = mime::APPLICATION_WWW_FORM_URLENCODED;
        FormParser::new().parse_bytes(Bytes::from_static(body.as_bytes()), &ParseContext::new(&ct))
    }

    #[test]
    fn typed_fields_coerce_numbers_bools_and_options() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Track {
            id: u32,
            title: String,
            explicit: bool,
            rating: f32,
            year: Option<u16>,
            label: Option<String>,
        }
        let parsed = parse("id=4&title=So%20What%3F&explicit=on&rating=4.5&year=").unwrap();
        assert_eq!(
            parsed.deserialize::<Track>().unwrap(),
            Track {
                id: 4,
                title: "So What?".into(),
                explicit: true,
                rating: 4.5,
                year: None,
                label: None,
            }
        );
    }

    #[test]
    fn repeated_keys_become_a_list_in_order() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Filters {
            tag: Vec<String>,
            id: Vec<u32>,
            single: Vec<String>,
        }
        let parsed = parse("tag=b&id=3&tag=a&id=1&tag=c&single=x").unwrap();
        assert_eq!(
            parsed.deserialize::<Filters>().unwrap(),
            Filters {
                tag: vec!["b".into(), "a".into(), "c".into()],
                id: vec![3, 1],
                single: vec!["x".into()],
            }
        );
        assert_eq!(
            parsed.to_value().unwrap(),
            json!({"tag": ["b", "a", "c"], "id": ["3", "1"], "single": "x"})
        );
    }

    #[test]
    fn keys_and_values_are_percent_decoded_and_bad_utf8_is_replaced() {
        let parsed = parse("na%C3%AFve+key=caf%C3%A9+%2B+cr%C3%A8me&bad=%FF").unwrap();
        assert_eq!(
            parsed.to_value().unwrap(),
            json!({"naïve key": "café + crème", "bad": "\u{fffd}"})
        );
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        assert_eq!(parse("").unwrap().to_value().unwrap(), json!({}));
    }

    #[test]
    fn raw_bytes_that_are_not_utf8_are_malformed() {
        let ct = mime::APPLICATION_WWW_FORM_URLENCODED;
        let err = FormParser::new()
            .parse_bytes(Bytes::from_static(b"a=\xFF"), &ParseContext::new(&ct))
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position().and_then(|p| p.offset), Some(2));
    }

    #[test]
    fn repeated_keys_count_as_a_level_of_depth() {
        let ct = mime::APPLICATION_WWW_FORM_URLENCODED;
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(1));
        let p = FormParser::new();
        assert!(p.parse_bytes(Bytes::from_static(b"a=1&b=2"), &ctx).is_ok());
        let err = p
            .parse_bytes(Bytes::from_static(b"a=1&a=2"), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    }
}
