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
//! | `multipart` | [`MultiPartParser`] | `multipart/form-data` (fields and files)      |
//! | `upload`  | [`FileUploadParser`] | any (`*/*`): the raw body is one file        |
//!
//! Malformed input gives a [`ParseError`] with the position the format library reports; nothing
//! panics, and body size and nesting depth are bounded by [`ParserLimits`]. The parsers that build
//! a tree whose size is not tied to the body's (YAML with its aliases, CSV with its header names
//! copied into every row) also bound its memory to 128 times the body's size plus 1 MiB.
//!
//! The two upload parsers stream: each file becomes an [`UploadedFile`], kept in memory while
//! the request's files fit in [`ParserLimits::memory_threshold`] and written to a temporary file
//! chunk by chunk past it, so a multi-GiB upload costs a few chunks of memory. Their files are in [`Parsed::files`];
//! the other fields of a multipart form deserialize like a form's.
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
#[cfg(any(feature = "csv", feature = "yaml"))]
mod budget;
mod depth;
#[cfg(any(feature = "multipart", feature = "upload"))]
mod disposition;
mod document;
mod error;
mod field;
mod filename;
mod text;
mod tree;
#[cfg(any(feature = "multipart", feature = "upload"))]
mod uploaded;

#[cfg(feature = "csv")]
mod csv;
#[cfg(feature = "form")]
mod form;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
#[cfg(feature = "multipart")]
mod multipart;
#[cfg(feature = "upload")]
mod upload;
#[cfg(feature = "xml")]
mod xml;
#[cfg(feature = "yaml")]
mod yaml;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

pub use body::{BodyStream, BoxError, collect, stream_error};
#[cfg(feature = "csv")]
pub use csv::CsvParser;
pub use depth::check_depth;
pub use document::{DataError, Document, Parsed, Visit};
pub use error::{ParseError, ParseErrorKind, Position};
pub use field::{FieldErrors, FieldValue};
pub use filename::sanitize_filename;
#[cfg(feature = "form")]
pub use form::FormParser;
#[cfg(feature = "json")]
pub use json::JsonParser;
pub use mime::Mime;
#[cfg(feature = "msgpack")]
pub use msgpack::MsgPackParser;
#[cfg(feature = "multipart")]
pub use multipart::MultiPartParser;
pub use text::utf8_text;
pub use tree::TextTree;
#[cfg(feature = "upload")]
pub use upload::FileUploadParser;
#[cfg(any(feature = "multipart", feature = "upload"))]
pub use uploaded::{UploadReader, UploadedFile};
#[cfg(feature = "xml")]
pub use xml::XmlParser;
#[cfg(feature = "yaml")]
pub use yaml::YamlParser;

/// A boxed, sendable future, as returned by [`Parser::parse_stream`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Bounds on what a parser accepts; every field has a safe default.
///
/// Memory follows from them: a buffering parser holds the body (at most `max_body_bytes`) and
/// what it builds from it. Where that can grow past the body's size, the YAML and CSV parsers also
/// charge each node they build to an expansion budget of `128 × body length + 1 MiB` bytes (a
/// typical tree takes about 10–20 times its text, a CSV of one-character cells about 75);
/// past it, a document is refused as [`ParseErrorKind::TooLarge`]
/// ([`ParseError::too_expansive`]). The budget follows the body's length, so lowering
/// `max_body_bytes` lowers it too.
///
/// The upload parsers (`multipart/form-data` and raw uploads) do not buffer the body: each file
/// is bounded by `max_file_bytes` and kept in memory only up to `memory_threshold`, past which
/// it is written to a temporary file as it arrives. A multipart body's text fields are bounded
/// one by one by `max_field_bytes` and together by `max_body_bytes` (as Django's
/// `DATA_UPLOAD_MAX_MEMORY_SIZE`, which does not count files), and its parts by `max_parts`.
/// So an upload holds at most `max_body_bytes` of text plus one `memory_threshold` per file in
/// memory, and at most `max_parts × max_file_bytes` on disk; a cap on the whole body belongs to
/// the HTTP layer (tower-http's `RequestBodyLimitLayer`).
///
/// ```
/// use restframe_parsers::ParserLimits;
/// let limits = ParserLimits::default();
/// assert_eq!(limits.max_body_bytes, 2_621_440);
/// assert_eq!(limits.max_depth, 64);
/// assert_eq!(limits.max_file_bytes, 100 * 1024 * 1024);
/// assert_eq!(limits.max_parts, 100);
/// assert_eq!(limits.max_field_bytes, 1024 * 1024);
/// assert_eq!(limits.memory_threshold, 2_621_440);
///
/// let uploads = ParserLimits::default()
///     .max_file_bytes(1 << 30)
///     .max_parts(10)
///     .max_field_bytes(64 * 1024)
///     .memory_threshold(1 << 20);
/// assert_eq!(uploads.max_file_bytes, 1 << 30);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParserLimits {
    /// The largest body a buffering parser reads, in bytes (default 2.5 MiB, as Django's
    /// `DATA_UPLOAD_MAX_MEMORY_SIZE`); for a multipart body, the largest total of its text
    /// fields (files not counted). Past it: [`ParseErrorKind::TooLarge`].
    pub max_body_bytes: usize,
    /// The deepest nesting of lists and objects accepted (default 64). Past it:
    /// [`ParseErrorKind::TooDeep`].
    pub max_depth: usize,
    /// The largest uploaded file, in bytes (default 100 MiB): each file of a multipart body,
    /// or the whole body of a raw upload. Past it: [`ParseErrorKind::TooLarge`].
    pub max_file_bytes: u64,
    /// The most parts a multipart body may have, text fields and files together (default 100,
    /// as Django's `DATA_UPLOAD_MAX_NUMBER_FILES`). Past it: [`ParseErrorKind::TooLarge`].
    pub max_parts: usize,
    /// The largest text field of a multipart body, in bytes (default 1 MiB). Past it:
    /// [`ParseErrorKind::TooLarge`].
    pub max_field_bytes: usize,
    /// How many bytes of a request's uploaded files are kept in memory (default 2.5 MiB, as
    /// Django's `FILE_UPLOAD_MAX_MEMORY_SIZE`): a file that would take the request's files in
    /// memory past it is written to a temporary file as it arrives (see `UploadedFile`). Not
    /// an error.
    pub memory_threshold: usize,
}

impl Default for ParserLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 2_621_440,
            max_depth: 64,
            max_file_bytes: 100 * 1024 * 1024,
            max_parts: 100,
            max_field_bytes: 1024 * 1024,
            memory_threshold: 2_621_440,
        }
    }
}

impl ParserLimits {
    /// Sets the body size limit in bytes.
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().max_body_bytes(1024);
    /// assert_eq!(limits.max_body_bytes, 1024);
    /// ```
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the nesting depth limit.
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().max_depth(8);
    /// assert_eq!(limits.max_depth, 8);
    /// ```
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets the size limit of one uploaded file, in bytes.
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().max_file_bytes(5 << 30);
    /// assert_eq!(limits.max_file_bytes, 5 << 30);
    /// ```
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// Sets the most parts (fields and files) of a multipart body.
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().max_parts(4);
    /// assert_eq!(limits.max_parts, 4);
    /// ```
    pub fn max_parts(mut self, parts: usize) -> Self {
        self.max_parts = parts;
        self
    }

    /// Sets the size limit of one text field of a multipart body, in bytes.
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().max_field_bytes(4096);
    /// assert_eq!(limits.max_field_bytes, 4096);
    /// ```
    pub fn max_field_bytes(mut self, bytes: usize) -> Self {
        self.max_field_bytes = bytes;
        self
    }

    /// Sets the size up to which an uploaded file stays in memory, in bytes (0: every
    /// non-empty file goes to disk).
    ///
    /// ```
    /// let limits = restframe_parsers::ParserLimits::default().memory_threshold(64 * 1024);
    /// assert_eq!(limits.memory_threshold, 65_536);
    /// ```
    pub fn memory_threshold(mut self, bytes: usize) -> Self {
        self.memory_threshold = bytes;
        self
    }
}

/// What a parser knows of the request: its `Content-Type`, the limits in force and, for the
/// upload parsers, where a file's name may come from and where to spill large files.
///
/// The HTTP layer fills it; this crate reads no header itself. `FileUploadParser`'s
/// filename comes from `filename_hint` (DRF's `filename` URL capture), else from the
/// `Content-Disposition` header value passed as `content_disposition`.
///
/// ```
/// use std::path::Path;
/// use restframe_parsers::{ParseContext, ParserLimits};
///
/// let ct: mime::Mime = "image/png".parse().unwrap();
/// let ctx = ParseContext::new(&ct)
///     .with_limits(ParserLimits::default().max_file_bytes(10 << 20))
///     .with_filename_hint("avatar.png")
///     .with_content_disposition("attachment; filename=\"photo.png\"")
///     .with_temp_dir(Path::new("/var/tmp"));
/// assert_eq!(ctx.filename_hint, Some("avatar.png"));
/// assert_eq!(ctx.temp_dir, Some(Path::new("/var/tmp")));
/// assert_eq!(ParseContext::new(&ct).temp_dir, None); // the system's temporary directory
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ParseContext<'a> {
    /// The request's `Content-Type`, parameters included.
    pub content_type: &'a Mime,
    /// The limits in force for this view.
    pub limits: ParserLimits,
    /// A filename the caller already knows, e.g. from the URL (`/uploads/{filename}`); the raw
    /// upload parser prefers it to `content_disposition`. Sanitised before use.
    pub filename_hint: Option<&'a str>,
    /// The request's `Content-Disposition` header value, where the raw upload parser finds a
    /// filename (`filename*` preferred over `filename`).
    pub content_disposition: Option<&'a str>,
    /// Where uploaded files past [`ParserLimits::memory_threshold`] are written; `None`: the
    /// system's temporary directory ([`std::env::temp_dir`]).
    pub temp_dir: Option<&'a Path>,
}

impl<'a> ParseContext<'a> {
    /// A context with default limits, no filename hint, no `Content-Disposition` and the
    /// system's temporary directory.
    ///
    /// ```
    /// let ct = mime::APPLICATION_JSON;
    /// let ctx = restframe_parsers::ParseContext::new(&ct);
    /// assert_eq!(ctx.limits, restframe_parsers::ParserLimits::default());
    /// assert_eq!(ctx.filename_hint, None);
    /// ```
    pub fn new(content_type: &'a Mime) -> Self {
        Self {
            content_type,
            limits: ParserLimits::default(),
            filename_hint: None,
            content_disposition: None,
            temp_dir: None,
        }
    }

    /// Replaces the limits.
    ///
    /// ```
    /// use restframe_parsers::{ParseContext, ParserLimits};
    /// let ct = mime::APPLICATION_JSON;
    /// let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(2));
    /// assert_eq!(ctx.limits.max_depth, 2);
    /// ```
    pub fn with_limits(mut self, limits: ParserLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the filename hint (say, a `{filename}` URL capture) for a raw upload.
    ///
    /// ```
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = restframe_parsers::ParseContext::new(&ct).with_filename_hint("cover.png");
    /// assert_eq!(ctx.filename_hint, Some("cover.png"));
    /// ```
    pub fn with_filename_hint(mut self, filename: &'a str) -> Self {
        self.filename_hint = Some(filename);
        self
    }

    /// Sets the request's `Content-Disposition` header value, for a raw upload's filename.
    ///
    /// ```
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = restframe_parsers::ParseContext::new(&ct)
    ///     .with_content_disposition("attachment; filename*=UTF-8''caf%C3%A9.png");
    /// assert!(ctx.content_disposition.is_some());
    /// ```
    pub fn with_content_disposition(mut self, value: &'a str) -> Self {
        self.content_disposition = Some(value);
        self
    }

    /// Sets the directory uploaded files are spilled to past the memory threshold. Put it on
    /// the same filesystem as where files are finally kept, so that
    /// `UploadedFile::persist` is a rename, not a copy.
    ///
    /// ```
    /// let ct = mime::IMAGE_PNG;
    /// let dir = std::env::temp_dir();
    /// let ctx = restframe_parsers::ParseContext::new(&ct).with_temp_dir(&dir);
    /// assert_eq!(ctx.temp_dir, Some(dir.as_path()));
    /// ```
    pub fn with_temp_dir(mut self, dir: &'a Path) -> Self {
        self.temp_dir = Some(dir);
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

    /// Whether the body carries files rather than data: `multipart/form-data` and raw uploads
    /// answer `true`. The OpenAPI document describes such bodies as binary (a file picker in
    /// Swagger UI) instead of with the request's data schema.
    fn carries_files(&self) -> bool {
        false
    }

    /// Whether this parser reads a body of type `content_type`: its media type or an alias
    /// (type and whole subtype, parameters ignored: see [`same_media_type`]), or a type with its
    /// structured-syntax suffix (`application/problem+json` for JSON; but
    /// `application/json+xml` is XML, not JSON).
    fn reads(&self, content_type: &Mime) -> bool {
        let same = |m: &Mime| same_media_type(m, content_type);
        same(self.media_type())
            || self.aliases().iter().any(same)
            || matches!(
                (self.suffix(), content_type.suffix()),
                (Some(a), Some(b)) if b.as_str().eq_ignore_ascii_case(a)
            )
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

/// Whether `a` and `b` name the same media type: the same type and the same *whole* subtype,
/// structured-syntax suffix included, compared case-insensitively; parameters are ignored.
///
/// Unlike comparing [`Mime::subtype`] (which stops at the `+`), `application/json+xml` is not
/// `application/json`.
///
/// ```
/// use restframe_parsers::same_media_type;
/// let json: mime::Mime = "application/json".parse().unwrap();
/// assert!(same_media_type(&json, &"application/json; charset=utf-8".parse().unwrap()));
/// assert!(!same_media_type(&json, &"application/json+xml".parse().unwrap()));
/// assert!(!same_media_type(&json, &"application/problem+json".parse().unwrap()));
/// ```
pub fn same_media_type(a: &Mime, b: &Mime) -> bool {
    fn parts(m: &Mime) -> (&str, &str) {
        let essence = m.essence_str();
        essence.split_once('/').unwrap_or((essence, ""))
    }
    let ((a_type, a_subtype), (b_type, b_subtype)) = (parts(a), parts(b));
    a_type.eq_ignore_ascii_case(b_type) && a_subtype.eq_ignore_ascii_case(b_subtype)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mime(s: &str) -> Mime {
        s.parse().unwrap()
    }

    #[test]
    fn same_media_type_compares_the_whole_subtype() {
        assert!(same_media_type(
            &mime("application/json"),
            &mime("Application/JSON; charset=utf-8")
        ));
        assert!(!same_media_type(
            &mime("application/json"),
            &mime("application/json+xml")
        ));
        assert!(!same_media_type(
            &mime("application/json+xml"),
            &mime("application/json")
        ));
        assert!(!same_media_type(
            &mime("application/problem+json"),
            &mime("application/json")
        ));
        assert!(same_media_type(
            &mime("application/problem+json"),
            &mime("application/problem+json")
        ));
        assert!(!same_media_type(
            &mime("text/json"),
            &mime("application/json")
        ));
    }

    #[test]
    #[cfg(all(feature = "json", feature = "xml"))]
    fn a_subtype_before_a_suffix_does_not_name_the_parser() {
        let json = JsonParser::new();
        let xml = XmlParser::new();
        let ct = mime("application/json+xml");
        assert!(!json.reads(&ct));
        assert!(xml.reads(&ct));
        let ct = mime("application/xml+json");
        assert!(json.reads(&ct));
        assert!(!xml.reads(&ct));
    }

    #[test]
    #[cfg(feature = "json")]
    fn the_structured_syntax_suffix_is_still_read() {
        let json = JsonParser::new();
        for ct in [
            "application/json",
            "application/vnd.api+json",
            "application/problem+json; charset=utf-8",
        ] {
            assert!(json.reads(&mime(ct)), "{ct}");
        }
        assert!(!json.reads(&mime("application/jsonx")));
    }
}
