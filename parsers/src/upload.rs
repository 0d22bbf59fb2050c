//! Raw uploads: the whole body is one file, of any media type.

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::disposition::Disposition;
use crate::uploaded::Spool;
use crate::{
    BodyStream, BoxFuture, Mime, ParseContext, ParseError, Parsed, Parser, TextTree,
    same_media_type, sanitize_filename, stream_error,
};

const FORMAT: &str = "upload";

/// The field a raw upload's file is filed under, as DRF's `request.data['file']`.
const FIELD: &str = "file";

/// Reads a raw body as one file (DRF's `FileUploadParser`): `PUT /avatars/me.png` with the
/// image as the body.
///
/// Its media type is `*/*`, and it [reads](Parser::reads) any `Content-Type` (or, made with
/// [`FileUploadParser::accepting`], the types of one range such as `image/*`). When choosing
/// a parser, one whose media type or alias names the `Content-Type` exactly wins wherever it
/// is listed; after that the first parser in the list that reads the type does. So list this
/// one last when `application/problem+json` should still reach the JSON parser.
///
/// The file's name comes from [`ParseContext::filename_hint`] (a URL capture, as DRF's
/// `filename` keyword), else from [`ParseContext::content_disposition`] (`filename*`,
/// RFC 8187, preferred over `filename`), sanitised ([`crate::sanitize_filename`]); with none,
/// the body is refused unread as [`ParseErrorKind::Malformed`](crate::ParseErrorKind) (400).
/// Its media type is the request's `Content-Type`; its field is `file`. The bytes are hashed
/// and counted as they arrive, kept in memory up to
/// [`ParserLimits::memory_threshold`](crate::ParserLimits::memory_threshold) and written chunk
/// by chunk to a temporary file in [`ParseContext::temp_dir`] past it; past
/// [`ParserLimits::max_file_bytes`](crate::ParserLimits::max_file_bytes) reading stops with
/// [`ParseErrorKind::TooLarge`](crate::ParseErrorKind) (413) and the temporary file is
/// deleted. The document itself is an empty object.
///
/// ```
/// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
///
/// let ct: mime::Mime = "audio/flac".parse().unwrap();
/// let ctx = ParseContext::new(&ct)
///     .with_content_disposition("attachment; filename=\"a.flac\"; filename*=UTF-8''%C3%A9t%C3%A9.flac");
/// let parsed = FileUploadParser::new().parse_bytes("fLaC...".into(), &ctx).unwrap();
/// let file = parsed.file("file").unwrap();
/// assert_eq!(file.filename(), "été.flac");
/// assert_eq!(file.content_type().essence_str(), "audio/flac");
/// assert_eq!(parsed.to_value().unwrap(), serde_json::json!({}));
///
/// let err = FileUploadParser::new().parse_bytes("x".into(), &ParseContext::new(&ct)).unwrap_err();
/// assert!(err.message().starts_with("Missing filename."));
/// ```
#[derive(Clone, Debug)]
pub struct FileUploadParser {
    media_type: Mime,
    default_filename: Option<String>,
}

impl Default for FileUploadParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FileUploadParser {
    /// A raw upload parser for any media type (`*/*`).
    ///
    /// ```
    /// use restframe_parsers::{FileUploadParser, Parser};
    /// let p = FileUploadParser::new();
    /// assert_eq!(p.media_type(), &mime::STAR_STAR);
    /// assert!(p.reads(&mime::IMAGE_PNG));
    /// assert!(p.reads(&mime::APPLICATION_JSON));
    /// ```
    pub fn new() -> Self {
        Self::accepting(mime::STAR_STAR)
    }

    /// A raw upload parser for one media type or one range of them (`image/*`); parameters
    /// are ignored.
    ///
    /// ```
    /// use restframe_parsers::{FileUploadParser, Parser};
    /// let images = FileUploadParser::accepting(mime::IMAGE_STAR);
    /// assert!(images.reads(&mime::IMAGE_PNG));
    /// assert!(images.reads(&"image/svg+xml".parse().unwrap()));
    /// assert!(!images.reads(&mime::TEXT_PLAIN));
    /// let pdf = FileUploadParser::accepting("application/pdf".parse().unwrap());
    /// assert!(pdf.reads(&"application/pdf".parse().unwrap()));
    /// assert!(!pdf.reads(&mime::APPLICATION_OCTET_STREAM));
    /// ```
    pub fn accepting(media_type: Mime) -> Self {
        Self {
            media_type,
            default_filename: None,
        }
    }

    /// The name to give a body that names itself neither in the URL nor in a
    /// `Content-Disposition` (a profile picture `PUT` as a plain `image/png`, say), instead of
    /// refusing it.
    ///
    /// ```
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let parser = FileUploadParser::accepting(mime::IMAGE_STAR).default_filename("picture");
    /// let parsed = parser.parse_bytes("x".into(), &ParseContext::new(&ct)).unwrap();
    /// assert_eq!(parsed.files()[0].filename(), "picture");
    /// ```
    pub fn default_filename(mut self, name: &str) -> Self {
        self.default_filename = sanitize_filename(name);
        self
    }

    /// The sanitised filename, from the hint or the `Content-Disposition`, else the default.
    fn filename(&self, ctx: &ParseContext<'_>) -> Result<String, ParseError> {
        ctx.filename_hint
            .and_then(sanitize_filename)
            .or_else(|| {
                let disposition = Disposition::parse(ctx.content_disposition?);
                sanitize_filename(&disposition.filename()?)
            })
            .or_else(|| self.default_filename.clone())
            .ok_or_else(|| {
                ParseError::malformed(
                    FORMAT,
                    "Missing filename. Request should include a Content-Disposition header \
                     with a filename parameter.",
                )
            })
    }

    fn spool<'a>(&self, ctx: &ParseContext<'a>) -> Result<Spool<'a>, ParseError> {
        Ok(Spool::new(
            FORMAT,
            FIELD.to_owned(),
            self.filename(ctx)?,
            ctx.content_type.clone(),
            ctx,
            ctx.limits.memory_threshold,
        ))
    }
}

impl Parser for FileUploadParser {
    fn carries_files(&self) -> bool {
        true
    }

    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    /// Binary: the `charset` parameter is the file's business, not checked.
    fn is_text(&self) -> bool {
        false
    }

    /// Any type for `*/*`, the type's subtypes for `type/*`, else the same media type.
    fn reads(&self, content_type: &Mime) -> bool {
        let mine = &self.media_type;
        if mine.type_() == mime::STAR {
            true
        } else if mine.subtype() == mime::STAR {
            mine.type_()
                .as_str()
                .eq_ignore_ascii_case(content_type.type_().as_str())
        } else {
            same_media_type(mine, content_type)
        }
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let mut spool = self.spool(ctx)?;
        spool.write(&body)?;
        parsed(spool)
    }

    fn parse_stream<'a>(
        &'a self,
        mut body: BodyStream<'a>,
        ctx: ParseContext<'a>,
    ) -> BoxFuture<'a, Result<Parsed, ParseError>> {
        Box::pin(async move {
            let mut spool = self.spool(&ctx)?;
            while let Some(chunk) = body.next().await {
                spool.write(&chunk.map_err(stream_error)?)?;
            }
            parsed(spool)
        })
    }
}

fn parsed(spool: Spool<'_>) -> Result<Parsed, ParseError> {
    Ok(Parsed::new(TextTree::new(Value::Object(Map::new()))).with_files(vec![spool.finish()?]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn upload(ctx: &ParseContext<'_>, body: &'static str) -> Result<Parsed, ParseError> {
        FileUploadParser::new().parse_bytes(Bytes::from_static(body.as_bytes()), ctx)
    }

    #[test]
    fn the_hint_wins_over_the_content_disposition() {
        let ct = mime::IMAGE_PNG;
        let ctx = ParseContext::new(&ct)
            .with_filename_hint("from-url.png")
            .with_content_disposition("attachment; filename=header.png");
        assert_eq!(
            upload(&ctx, "x").unwrap().files()[0].filename(),
            "from-url.png"
        );
        // A hint with nothing usable in it falls back to the header.
        let ctx = ctx.with_filename_hint("../");
        assert_eq!(
            upload(&ctx, "x").unwrap().files()[0].filename(),
            "header.png"
        );
    }

    #[test]
    fn filename_star_wins_over_filename_and_both_are_sanitised() {
        let ct = mime::TEXT_PLAIN;
        let ctx = ParseContext::new(&ct).with_content_disposition(
            "attachment; filename=\"plain.txt\"; filename*=UTF-8''..%2F..%2Fna%C3%AFve.txt",
        );
        assert_eq!(
            upload(&ctx, "x").unwrap().files()[0].filename(),
            "naïve.txt"
        );
        let ctx = ParseContext::new(&ct)
            .with_content_disposition(r#"attachment; filename="C:\tmp\..\x.txt""#);
        assert_eq!(upload(&ctx, "x").unwrap().files()[0].filename(), "x.txt");
    }

    #[test]
    fn no_usable_filename_is_malformed() {
        let ct = mime::TEXT_PLAIN;
        for ctx in [
            ParseContext::new(&ct),
            ParseContext::new(&ct).with_content_disposition("attachment"),
            ParseContext::new(&ct).with_content_disposition("attachment; filename=\"..\""),
            ParseContext::new(&ct).with_filename_hint(""),
        ] {
            let err = upload(&ctx, "x").unwrap_err();
            assert_eq!(err.kind(), ParseErrorKind::Malformed);
        }
    }

    #[test]
    fn the_content_type_is_the_requests_parameters_included() {
        let ct: Mime = "text/plain; charset=latin1".parse().unwrap();
        let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
        let parsed = upload(&ctx, "x").unwrap();
        assert_eq!(parsed.files()[0].content_type(), &ct);
    }

    #[test]
    fn the_file_limit_applies_to_the_whole_body() {
        let ct = mime::TEXT_PLAIN;
        let ctx = ParseContext::new(&ct)
            .with_filename_hint("a.txt")
            .with_limits(ParserLimits::default().max_file_bytes(3));
        assert!(upload(&ctx, "abc").is_ok());
        let err = upload(&ctx, "abcd").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        assert_eq!(err.to_string(), "file \"a.txt\" larger than 3 bytes");
    }

    #[test]
    fn wildcard_ranges_read_their_type_only() {
        let audio = FileUploadParser::accepting("audio/*".parse().unwrap());
        assert!(audio.reads(&"AUDIO/FLAC".parse().unwrap()));
        assert!(!audio.reads(&"video/mp4".parse().unwrap()));
        assert!(FileUploadParser::new().reads(&"x-custom/thing".parse().unwrap()));
    }
}
