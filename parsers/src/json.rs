//! `application/json` and `application/*+json`.

use bytes::Bytes;
use serde::de::IgnoredAny;

use crate::depth::json_depth_within;
use crate::{Document, Mime, ParseContext, ParseError, Parsed, Parser, Position, Visit};

/// Parses JSON (DRF's `JSONParser`); also reads any `application/*+json` type, such as
/// `application/problem+json`.
///
/// The body is checked once for syntax and depth when parsed, so malformed input is reported
/// with its line and column; typed deserialization then reads straight from the bytes.
///
/// ```
/// use restframe_parsers::{JsonParser, ParseContext, Parser};
/// let ct = "application/problem+json".parse().unwrap();
/// assert!(JsonParser::new().reads(&ct));
/// let parsed = JsonParser::new().parse_bytes(r#"{"n": 1}"#.into(), &ParseContext::new(&ct)).unwrap();
/// assert_eq!(parsed.to_value().unwrap(), serde_json::json!({"n": 1}));
/// ```
#[derive(Clone, Debug, Default)]
pub struct JsonParser {
    _private: (),
}

const FORMAT: &str = "JSON";

impl JsonParser {
    /// A JSON parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for JsonParser {
    fn media_type(&self) -> &Mime {
        &mime::APPLICATION_JSON
    }

    fn suffix(&self) -> Option<&str> {
        Some("json")
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let text = crate::utf8_text(FORMAT, &body)?;
        if !json_depth_within(text.as_bytes(), ctx.limits.max_depth) {
            return Err(ParseError::too_deep(FORMAT, ctx.limits.max_depth));
        }
        serde_json::from_str::<IgnoredAny>(text).map_err(syntax_error)?;
        let start = body.len() - text.len();
        Ok(Parsed::new(JsonDocument(body.slice(start..))))
    }
}

fn syntax_error(e: serde_json::Error) -> ParseError {
    // serde_json's Display appends the position; keep the bare message and a structured one.
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    let position =
        (e.line() > 0).then(|| Position::line_column(e.line() as u64, e.column() as u64));
    ParseError::malformed(FORMAT, message).at_opt(position)
}

/// Well-formed JSON, deserialized straight from its bytes.
struct JsonDocument(Bytes);

impl Document for JsonDocument {
    fn deserialize_with(&self, visit: &mut Visit<'_>) -> Result<(), erased_serde::Error> {
        let mut de = serde_json::Deserializer::from_slice(&self.0);
        // The syntax and depth were checked already; the recursion limit stays on as a backstop.
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))?;
        de.end().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &'static str) -> Result<Parsed, ParseError> {
        let ct = mime::APPLICATION_JSON;
        JsonParser::new().parse_bytes(Bytes::from_static(body.as_bytes()), &ParseContext::new(&ct))
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let err = parse("{\n  \"a\": [1, 2,,]\n}").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position(), Some(Position::line_column(2, 14)));
        assert_eq!(err.message(), "expected value");
        assert_eq!(
            err.to_string(),
            "JSON parse error: expected value at line 2 column 14"
        );
    }

    #[test]
    fn trailing_garbage_is_malformed() {
        assert_eq!(parse("{} x").unwrap_err().message(), "trailing characters");
    }

    #[test]
    fn depth_limit_is_a_setting() {
        let ct = mime::APPLICATION_JSON;
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(2));
        let p = JsonParser::new();
        assert!(p.parse_bytes(Bytes::from_static(b"[[1]]"), &ctx).is_ok());
        let err = p
            .parse_bytes(Bytes::from_static(b"[[[1]]]"), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
        // Far past serde_json's own limit: refused by ours, no stack overflow.
        let deep = "[".repeat(100_000);
        let err = JsonParser::new()
            .parse_bytes(Bytes::from(deep), &ParseContext::new(&ct))
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let parsed = parse("\u{feff}[1]").unwrap();
        assert_eq!(parsed.deserialize::<Vec<u8>>().unwrap(), vec![1]);
    }
}
