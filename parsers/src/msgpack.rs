//! `application/msgpack`, `application/x-msgpack` and `application/vnd.msgpack`.

use std::io::{Cursor, ErrorKind};

use bytes::Bytes;
use rmp_serde::decode::Error as DecodeError;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::{Document, Mime, ParseContext, ParseError, Parsed, Parser, Position, Visit};

/// Parses MessagePack (binary: no charset); also reads `application/x-msgpack` and
/// `application/vnd.msgpack`.
///
/// The body must be exactly one MessagePack value. It is checked once for structure and depth
/// when parsed, so malformed input is reported with its byte offset; typed deserialization then
/// reads straight from the bytes. Maps with string keys read into structs; declared lengths are
/// never trusted for allocation, so a tiny body announcing four billion items is simply
/// malformed. Nesting is limited to [`ParserLimits::max_depth`](crate::ParserLimits), and
/// never past 1024 levels (rmp-serde's own default).
///
/// ```
/// use restframe_parsers::{MsgPackParser, ParseContext, Parser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { id: u32, title: String }
///
/// let ct = "application/msgpack".parse().unwrap();
/// // {"id": 4, "title": "So What"}
/// let body = b"\x82\xa2id\x04\xa5title\xa7So What";
/// let parsed = MsgPackParser::new()
///     .parse_bytes(body.as_slice().into(), &ParseContext::new(&ct))
///     .unwrap();
/// assert_eq!(parsed.deserialize::<Track>().unwrap(), Track { id: 4, title: "So What".into() });
///
/// let err = MsgPackParser::new()
///     .parse_bytes(b"\x92\x01".as_slice().into(), &ParseContext::new(&ct))
///     .unwrap_err();
/// assert_eq!(err.position().and_then(|p| p.offset), Some(2));
/// ```
#[derive(Clone, Debug)]
pub struct MsgPackParser {
    media_type: Mime,
    aliases: [Mime; 2],
}

const FORMAT: &str = "MessagePack";

/// rmp-serde's own default depth limit; deeper would risk the stack, whatever the setting.
const MAX_SUPPORTED_DEPTH: usize = 1024;

impl Default for MsgPackParser {
    fn default() -> Self {
        Self {
            media_type: crate::static_mime("application/msgpack"),
            aliases: [
                crate::static_mime("application/x-msgpack"),
                crate::static_mime("application/vnd.msgpack"),
            ],
        }
    }
}

impl MsgPackParser {
    /// A MessagePack parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for MsgPackParser {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn is_text(&self) -> bool {
        false
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let max_depth = ctx.limits.max_depth.min(MAX_SUPPORTED_DEPTH);
        let mut de = rmp_serde::Deserializer::new(Cursor::new(&body[..]));
        de.set_max_depth(depth_counter(max_depth));
        let result = IgnoredAny::deserialize(&mut de);
        let consumed = de.position();
        match result {
            Err(DecodeError::DepthLimitExceeded) => Err(ParseError::too_deep(FORMAT, max_depth)),
            Err(e) => {
                Err(ParseError::malformed(FORMAT, describe(&e)).at(Position::offset(consumed)))
            }
            Ok(IgnoredAny) if consumed < body.len() as u64 => Err(ParseError::malformed(
                FORMAT,
                "trailing bytes after the value",
            )
            .at(Position::offset(consumed))),
            Ok(IgnoredAny) => Ok(Parsed::new(MsgPackDocument {
                bytes: body,
                max_depth,
            })),
        }
    }
}

/// rmp-serde counts down from its setting and fails on reaching zero, so `n` levels take `n + 1`.
fn depth_counter(max_depth: usize) -> usize {
    max_depth.saturating_add(1)
}

/// rmp-serde's messages, with the I/O wording of a truncated body made plain.
fn describe(e: &DecodeError) -> String {
    match e {
        DecodeError::InvalidMarkerRead(io) | DecodeError::InvalidDataRead(io)
            if io.kind() == ErrorKind::UnexpectedEof =>
        {
            "unexpected end of input".to_owned()
        }
        e => e.to_string(),
    }
}

/// A checked MessagePack value, deserialized straight from its bytes.
struct MsgPackDocument {
    bytes: Bytes,
    max_depth: usize,
}

impl Document for MsgPackDocument {
    fn deserialize_with(&self, visit: &mut Visit<'_>) -> Result<(), erased_serde::Error> {
        let mut de = rmp_serde::Deserializer::from_read_ref(self.bytes.as_ref());
        // Checked already; kept on as a backstop.
        de.set_max_depth(depth_counter(self.max_depth));
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
        let ct = "application/msgpack".parse().unwrap();
        MsgPackParser::new().parse_bytes(Bytes::copy_from_slice(body), &ParseContext::new(&ct))
    }

    #[test]
    fn media_types_and_aliases_are_read_and_binary() {
        let p = MsgPackParser::new();
        for ct in [
            "application/msgpack",
            "application/x-msgpack",
            "application/vnd.msgpack",
        ] {
            assert!(p.reads(&ct.parse().unwrap()), "{ct}");
        }
        // The subtype is `msgpack+json`, JSON by its suffix: not MessagePack.
        assert!(!p.reads(&"application/msgpack+json".parse().unwrap()));
        assert!(!p.is_text());
    }

    #[test]
    fn string_keyed_maps_read_into_structs_and_values() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Artist {
            name: String,
            country: Option<String>,
        }
        // {"name": "Beyoncé", "country": nil}
        let body = b"\x82\xa4name\xa8Beyonc\xc3\xa9\xa7country\xc0";
        let parsed = parse(body).unwrap();
        assert_eq!(
            parsed.deserialize::<Artist>().unwrap(),
            Artist {
                name: "Beyoncé".into(),
                country: None
            }
        );
        assert_eq!(
            parsed.to_value().unwrap(),
            json!({"name": "Beyoncé", "country": null})
        );
    }

    #[test]
    fn truncated_input_is_malformed_at_its_end() {
        // A 3-item array with 2 items.
        let err = parse(b"\x93\x01\x02").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.message(), "unexpected end of input");
        assert_eq!(err.position(), Some(Position::offset(3)));
        assert_eq!(parse(b"").unwrap_err().kind(), ParseErrorKind::Malformed);
        assert_eq!(
            parse(b"\xc1").unwrap_err().kind(),
            ParseErrorKind::Malformed
        );
    }

    #[test]
    fn trailing_bytes_are_malformed() {
        let err = parse(b"\x01\x02").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.message(), "trailing bytes after the value");
        assert_eq!(err.position(), Some(Position::offset(1)));
    }

    #[test]
    fn huge_declared_lengths_in_a_tiny_body_fail_fast() {
        let started = Instant::now();
        // array32, map32, str32 and bin32 announcing 2^32 - 1 entries or bytes.
        for body in [
            &b"\xdd\xff\xff\xff\xff\x01"[..],
            b"\xdf\xff\xff\xff\xff\x01\x02",
            b"\xdb\xff\xff\xff\xffabc",
            b"\xc6\xff\xff\xff\xffabc",
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.kind(), ParseErrorKind::Malformed, "{body:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn depth_limit_is_a_setting() {
        let ct = "application/msgpack".parse().unwrap();
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(2));
        let p = MsgPackParser::new();
        let ok = p
            .parse_bytes(Bytes::from_static(b"\x91\x91\x01"), &ctx)
            .unwrap();
        assert_eq!(ok.to_value().unwrap(), json!([[1]]));
        let err = p
            .parse_bytes(Bytes::from_static(b"\x91\x91\x91\x01"), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
        // Far deeper than the default limit: refused, no stack overflow.
        let deep = vec![0x91; 100_000];
        assert_eq!(parse(&deep).unwrap_err().kind(), ParseErrorKind::TooDeep);
    }
}
