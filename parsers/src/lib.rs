//! Request-body parsers for restframe: each turns the bytes of one media type into data.
//!
//! A parser declares the media type it reads and turns a (streaming) body into a [`Parsed`]
//! document, which then deserializes into any typed value or into a dynamic
//! [`serde_json::Value`] (DRF's `request.data`). This crate knows nothing of HTTP routing:
//! choosing a parser by `Content-Type` lives in `restframe`.
//!
//! | feature   | parser          | media type                                        |
//! |-----------|-----------------|---------------------------------------------------|
//! | `json`    | [`JsonParser`] (default) | `application/json`, `application/*+json` |
//! | `form`    | [`FormParser`]  | `application/x-www-form-urlencoded`               |
//! | `yaml`    | [`YamlParser`]  | `application/yaml`, `application/*+yaml`          |
//! | `xml`     | [`XmlParser`]   | `application/xml`, `text/xml`, `application/*+xml`|
//! | `msgpack` | [`MsgPackParser`] | `application/msgpack`, `application/x-msgpack`  |
//! | `csv`     | [`CsvParser`]   | `text/csv`                                        |
//!
//! Malformed input gives a [`ParseError`] with the position the format library reports; nothing
//! panics, and body size and nesting depth are bounded by [`ParserLimits`].
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "json")] {
//! use restframe_parsers::{JsonParser, ParseContext, Parser};
//!
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Track { title: String }
//!
//! let ct: mime::Mime = "application/json".parse().unwrap();
//! let ctx = ParseContext::new(&ct);
//! let parsed = JsonParser::new()
//!     .parse_bytes(r#"{"title": "So What"}"#.into(), &ctx)
//!     .unwrap();
//! assert_eq!(parsed.deserialize::<Track>().unwrap(), Track { title: "So What".into() });
//! assert_eq!(parsed.to_value().unwrap()["title"], "So What");
//!
//! let err = JsonParser::new().parse_bytes("{\"title\": ".into(), &ctx).unwrap_err();
//! assert_eq!(err.position().and_then(|p| p.line), Some(1));
//! # }
//! ```
#![forbid(unsafe_code)]

mod body;
mod depth;
mod document;
mod error;
mod text;
mod tree;

#[cfg(feature = "csv")]
mod csv;
#[cfg(feature = "form")]
mod form;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
#[cfg(feature = "xml")]
mod xml;
#[cfg(feature = "yaml")]
mod yaml;

use std::future::Future;
use std::pin::Pin;

pub use body::{BodyStream, BoxError, collect};
#[cfg(feature = "csv")]
pub use csv::CsvParser;
pub use depth::check_depth;
pub use document::{DataError, Document, Parsed};
pub use error::{ParseError, ParseErrorKind, Position};
#[cfg(feature = "form")]
pub use form::FormParser;
#[cfg(feature = "json")]
pub use json::JsonParser;
pub use mime::Mime;
#[cfg(feature = "msgpack")]
pub use msgpack::MsgPackParser;
pub use text::utf8_text;
pub use tree::TextTree;
#[cfg(feature = "xml")]
pub use xml::XmlParser;
#[cfg(feature = "yaml")]
pub use yaml::YamlParser;

/// A boxed, sendable future, as returned by [`Parser::parse_stream`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Bounds on what a parser accepts; every field has a safe default.
///
/// ```
/// let limits = restframe_parsers::ParserLimits::default();
/// assert_eq!(limits.max_body_bytes, 2_621_440);
/// assert_eq!(limits.max_depth, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParserLimits {
    /// The largest body a buffering parser reads, in bytes (default 2.5 MiB, as Django's
    /// `DATA_UPLOAD_MAX_MEMORY_SIZE`). Past it: [`ParseErrorKind::TooLarge`].
    pub max_body_bytes: usize,
    /// The deepest nesting of lists and objects accepted (default 64). Past it:
    /// [`ParseErrorKind::TooDeep`].
    pub max_depth: usize,
}

impl Default for ParserLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 2_621_440,
            max_depth: 64,
        }
    }
}

impl ParserLimits {
    /// Sets the body size limit in bytes.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the nesting depth limit.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// What a parser knows of the request: its `Content-Type` and the limits in force.
#[derive(Clone, Copy, Debug)]
pub struct ParseContext<'a> {
    /// The request's `Content-Type`, parameters included.
    pub content_type: &'a Mime,
    /// The limits in force for this view.
    pub limits: ParserLimits,
}

impl<'a> ParseContext<'a> {
    /// A context with default limits.
    pub fn new(content_type: &'a Mime) -> Self {
        Self {
            content_type,
            limits: ParserLimits::default(),
        }
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: ParserLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Turns a request body of one media type into a [`Parsed`] document.
///
/// Buffering parsers implement [`Parser::parse_bytes`] only; the default
/// [`Parser::parse_stream`] checks the charset, reads the body up to
/// [`ParserLimits::max_body_bytes`] and calls it. Streaming parsers (multipart, raw uploads)
/// override `parse_stream`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a restframe parser",
    label = "implement `restframe_parsers::Parser` for this type"
)]
pub trait Parser: Send + Sync + 'static {
    /// The media type read, e.g. `application/json`.
    fn media_type(&self) -> &Mime;

    /// Further media types read (e.g. `text/xml`).
    fn aliases(&self) -> &[Mime] {
        &[]
    }

    /// A structured-syntax suffix read from any type (`json` reads `application/problem+json`).
    fn suffix(&self) -> Option<&str> {
        None
    }

    /// Whether the format is text, so the `charset` parameter applies (only UTF-8 is read).
    fn is_text(&self) -> bool {
        true
    }

    /// Whether this parser reads a body of type `content_type`: its media type or an alias
    /// (type and subtype, parameters ignored), or the structured-syntax suffix.
    fn reads(&self, content_type: &Mime) -> bool {
        let same =
            |m: &Mime| m.type_() == content_type.type_() && m.subtype() == content_type.subtype();
        same(self.media_type())
            || self.aliases().iter().any(same)
            || matches!((self.suffix(), content_type.suffix()), (Some(a), Some(b)) if a == b.as_str())
    }

    /// Parses a whole body.
    fn parse_bytes(&self, body: bytes::Bytes, ctx: &ParseContext<'_>)
    -> Result<Parsed, ParseError>;

    /// Parses a streaming body. By default: check the charset, buffer up to the size limit, then
    /// [`Parser::parse_bytes`].
    fn parse_stream<'a>(
        &'a self,
        body: BodyStream<'a>,
        ctx: ParseContext<'a>,
    ) -> BoxFuture<'a, Result<Parsed, ParseError>> {
        Box::pin(async move {
            if self.is_text() {
                text::check_charset(ctx.content_type)?;
            }
            let bytes = collect(body, ctx.limits.max_body_bytes).await?;
            self.parse_bytes(bytes, &ctx)
        })
    }
}

/// Parses a static media type; for parser constructors, whose inputs are literals.
#[cfg(any(feature = "yaml", feature = "xml", feature = "msgpack"))]
pub(crate) fn static_mime(s: &'static str) -> Mime {
    match s.parse() {
        Ok(m) => m,
        // Only reachable with a malformed literal in this crate, which the tests would catch.
        Err(_) => mime::APPLICATION_OCTET_STREAM,
    }
}
