//! `multipart/form-data`: text fields and streamed files.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use serde_json::{Map, Value};

use crate::disposition::Disposition;
use crate::uploaded::Spool;
use crate::{
    BodyStream, BoxError, BoxFuture, Mime, ParseContext, ParseError, ParseErrorKind, Parsed,
    Parser, Position, TextTree, sanitize_filename, stream_error,
};

const FORMAT: &str = "multipart";

/// The most bytes read without reaching part content: a preamble, a boundary line and part
/// headers. Past it the body is not multipart as this parser reads it; this bounds what the
/// `multer` crate buffers while it looks for a boundary or the end of the headers.
const MAX_OVERHEAD: usize = 64 * 1024;

/// Parses `multipart/form-data` bodies (DRF's `MultiPartParser`), as they stream.
///
/// A part whose `Content-Disposition` has a `filename` (or `filename*`) parameter is a file: it
/// becomes an [`UploadedFile`](crate::UploadedFile) in [`Parsed::files`], named by its
/// sanitised filename ([`crate::sanitize_filename`]) and typed by the part's `Content-Type`
/// (`application/octet-stream` when absent). The bytes are hashed and counted as they arrive,
/// kept in memory while all of the request's in-memory files fit in
/// [`ParserLimits::memory_threshold`](crate::ParserLimits::memory_threshold), and otherwise
/// written chunk by chunk to a temporary file in [`ParseContext::temp_dir`] (see
/// `UploadedFile` for the blocking writes). The other parts are text fields: the document is
/// an object of them, a name sent more than once giving the list of its values, coerced by the
/// target type as a form's are ([`TextTree`]).
///
/// As Django does, a part without a `name`, and a file whose name is empty once sanitised (a
/// file input left empty sends `filename=""`), are read and dropped.
///
/// Limits ([`ParserLimits`](crate::ParserLimits)), each a [`ParseErrorKind::TooLarge`] (413)
/// past which reading stops and every temporary file written so far is deleted:
/// `max_parts`, `max_file_bytes` per file, `max_field_bytes` per text field, and
/// `max_body_bytes` for all text fields together. A `Content-Type` without a `boundary`, or a
/// body that is not well-formed multipart, is [`ParseErrorKind::Malformed`] (400).
///
/// ```
/// use restframe_parsers::{MultiPartParser, ParseContext, Parser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { title: String, year: u16 }
///
/// let body = "--XyZ\r\n\
///     Content-Disposition: form-data; name=\"title\"\r\n\r\n\
///     So What\r\n\
///     --XyZ\r\n\
///     Content-Disposition: form-data; name=\"year\"\r\n\r\n\
///     1959\r\n\
///     --XyZ\r\n\
///     Content-Disposition: form-data; name=\"cover\"; filename=\"../cover.png\"\r\n\
///     Content-Type: image/png\r\n\r\n\
///     \u{89}PNG...\r\n\
///     --XyZ--\r\n";
/// let ct = "multipart/form-data; boundary=XyZ".parse().unwrap();
/// let parsed = MultiPartParser::new().parse_bytes(body.into(), &ParseContext::new(&ct)).unwrap();
/// assert_eq!(parsed.deserialize::<Track>().unwrap(), Track { title: "So What".into(), year: 1959 });
/// let cover = parsed.file("cover").unwrap();
/// assert_eq!(cover.filename(), "cover.png");
/// assert_eq!(cover.content_type(), &mime::IMAGE_PNG);
/// assert_eq!(cover.bytes().unwrap().as_ref(), "\u{89}PNG...".as_bytes());
/// ```
#[derive(Clone, Debug, Default)]
pub struct MultiPartParser {
    _private: (),
}

impl MultiPartParser {
    /// A multipart parser.
    ///
    /// ```
    /// use restframe_parsers::{MultiPartParser, Parser};
    /// assert_eq!(MultiPartParser::new().media_type(), &mime::MULTIPART_FORM_DATA);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for MultiPartParser {
    fn carries_files(&self) -> bool {
        true
    }

    fn media_type(&self) -> &Mime {
        &mime::MULTIPART_FORM_DATA
    }

    /// Binary: a `charset` parameter of the body means nothing (each part may name its own).
    fn is_text(&self) -> bool {
        false
    }

    /// Parses a body already in memory (files past the threshold still go to disk).
    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let stream: BodyStream<'_> =
            Box::pin(futures_util::stream::iter(std::iter::once(Ok(body))));
        crate::body::block_on_ready(parse(stream, *ctx))
    }

    fn parse_stream<'a>(
        &'a self,
        body: BodyStream<'a>,
        ctx: ParseContext<'a>,
    ) -> BoxFuture<'a, Result<Parsed, ParseError>> {
        Box::pin(parse(body, ctx))
    }
}

async fn parse(body: BodyStream<'_>, ctx: ParseContext<'_>) -> Result<Parsed, ParseError> {
    let limits = ctx.limits;
    let boundary = boundary(ctx.content_type)?;
    let stalled = Arc::new(AtomicUsize::new(0));
    let mut multipart = multer::Multipart::new(
        Paced {
            inner: body,
            pause: false,
            stalled: stalled.clone(),
        },
        boundary,
    );
    let progress = || stalled.store(0, Ordering::Relaxed);

    let mut fields = Map::new();
    let mut repeated = false;
    let mut text_bytes = 0usize;
    let mut files = Vec::new();
    let mut memory_left = limits.memory_threshold;
    let mut parts = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(multer_error)? {
        progress();
        parts += 1;
        // Too many fields is a bad request, not a large one (Django's `TooManyFieldsSent`):
        // the document's `maxProperties` says the bound.
        if parts > limits.max_parts {
            return Err(ParseError::new(
                ParseErrorKind::Malformed,
                FORMAT,
                format_args!("more than {} parts in a multipart body", limits.max_parts),
            ));
        }
        let disposition = field
            .headers()
            .get("content-disposition")
            .map(|v| Disposition::parse(&String::from_utf8_lossy(v.as_bytes())))
            .unwrap_or_default();
        let is_file = disposition.has_filename();
        let filename = disposition.filename();
        let (Some(name), filename) = (
            disposition.name(),
            filename.as_deref().and_then(sanitize_filename),
        ) else {
            // Unnamed: nothing to file it under. Read past it, within the limits.
            let limit = if is_file {
                limits.max_file_bytes
            } else {
                limits.max_field_bytes as u64
            };
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                progress();
                size += chunk.len() as u64;
                if size > limit {
                    return Err(part_too_large("part", "", limit));
                }
            }
            continue;
        };
        let name = name.to_owned();

        if is_file {
            let Some(filename) = filename else {
                // No usable name: a file input left empty, or only dots and slashes.
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                    progress();
                    size += chunk.len() as u64;
                    if size > limits.max_file_bytes {
                        return Err(part_too_large("file", &name, limits.max_file_bytes));
                    }
                }
                continue;
            };
            let content_type = field
                .content_type()
                .cloned()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM);
            let mut spool = Spool::new(FORMAT, name, filename, content_type, &ctx, memory_left);
            while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                progress();
                spool.write(&chunk)?;
            }
            let file = spool.finish()?;
            memory_left = memory_left.saturating_sub(file.bytes().map_or(0, Bytes::len));
            files.push(file);
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                progress();
                if text.len() + chunk.len() > limits.max_field_bytes {
                    return Err(part_too_large(
                        "field",
                        &name,
                        limits.max_field_bytes as u64,
                    ));
                }
                text_bytes += chunk.len();
                if text_bytes > limits.max_body_bytes {
                    return Err(ParseError::new(
                        ParseErrorKind::TooLarge,
                        FORMAT,
                        format_args!(
                            "form fields larger than {} bytes in total",
                            limits.max_body_bytes
                        ),
                    ));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|e| {
                ParseError::malformed(FORMAT, format_args!("field {name:?} is not UTF-8 text"))
                    .at(Position::offset(e.utf8_error().valid_up_to() as u64))
            })?;
            insert(&mut fields, name, text, &mut repeated);
        }
    }
    // A flat object, or one of lists when a name repeats (as the form parser's).
    let depth = if repeated { 2 } else { 1 };
    if depth > limits.max_depth {
        return Err(ParseError::too_deep(FORMAT, limits.max_depth));
    }
    Ok(Parsed::new(TextTree::new(Value::Object(fields))).with_files(files))
}

/// The `boundary` parameter, which RFC 2046 allows 1 to 70 characters long.
fn boundary(content_type: &Mime) -> Result<String, ParseError> {
    match content_type.get_param(mime::BOUNDARY) {
        Some(b) if (1..=70).contains(&b.as_str().len()) => Ok(b.as_str().to_owned()),
        Some(_) => Err(ParseError::malformed(
            FORMAT,
            "the boundary parameter must be 1 to 70 characters long",
        )),
        None => Err(ParseError::malformed(
            FORMAT,
            "missing boundary: send Content-Type: multipart/form-data; boundary=...",
        )),
    }
}

/// Adds a text field; a name sent again turns its value into the list of its values.
fn insert(fields: &mut Map<String, Value>, name: String, text: String, repeated: &mut bool) {
    let value = Value::String(text);
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, value);
        }
        Some(Value::Array(values)) => values.push(value),
        Some(first) => {
            *repeated = true;
            let first = first.take();
            fields.insert(name, Value::Array(vec![first, value]));
        }
    }
}

fn part_too_large(what: &str, name: &str, limit: u64) -> ParseError {
    ParseError::new(
        ParseErrorKind::TooLarge,
        FORMAT,
        format_args!("{what} {name:?} larger than {limit} bytes"),
    )
}

/// `multer`'s errors as ours: a failed body stream keeps its own error (so a size limit of the
/// HTTP layer stays a 413), anything else is malformed input.
fn multer_error(e: multer::Error) -> ParseError {
    match e {
        multer::Error::StreamReadFailed(e) => stream_error(e),
        e => ParseError::malformed(FORMAT, e),
    }
}

/// The body as `multer` reads it: one chunk per poll, and an error once [`MAX_OVERHEAD`] bytes
/// have been read without part content coming out.
///
/// `multer` reads its stream until it is pending, so a body whose chunks are all ready (in
/// memory, or arriving faster than they are handled) would be buffered whole. Yielding after
/// each chunk (pending, with the task woken at once) lets the parser take every chunk as it
/// comes, and the `stalled` count — reset by the parser on each part and each chunk of content
/// — bounds what `multer` holds while it looks for a boundary or the end of part headers.
struct Paced<'a> {
    inner: BodyStream<'a>,
    pause: bool,
    stalled: Arc<AtomicUsize>,
}

impl Stream for Paced<'_> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pause {
            this.pause = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if this.stalled.load(Ordering::Relaxed) > MAX_OVERHEAD {
            let e = ParseError::malformed(
                FORMAT,
                format_args!("no part boundary or end of part headers within {MAX_OVERHEAD} bytes"),
            );
            return Poll::Ready(Some(Err(Box::new(e))));
        }
        let next = this.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            this.pause = true;
            this.stalled.fetch_add(chunk.len(), Ordering::Relaxed);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(boundary: &str) -> Mime {
        format!("multipart/form-data; boundary={boundary}")
            .parse()
            .unwrap()
    }

    fn parse_str(body: &str) -> Result<Parsed, ParseError> {
        let ct = ct("b");
        MultiPartParser::new().parse_bytes(
            Bytes::copy_from_slice(body.as_bytes()),
            &ParseContext::new(&ct),
        )
    }

    fn part(headers: &str, content: &str) -> String {
        format!("--b\r\n{headers}\r\n\r\n{content}\r\n")
    }

    #[test]
    fn repeated_names_become_lists_in_order() {
        let body = [
            part("Content-Disposition: form-data; name=\"tag\"", "jazz"),
            part("Content-Disposition: form-data; name=\"id\"", "4"),
            part("Content-Disposition: form-data; name=\"tag\"", "modal"),
            "--b--\r\n".into(),
        ]
        .concat();
        let parsed = parse_str(&body).unwrap();
        assert_eq!(
            parsed.to_value().unwrap(),
            serde_json::json!({"tag": ["jazz", "modal"], "id": "4"})
        );
        assert!(parsed.files().is_empty());
    }

    #[test]
    fn unnamed_parts_and_empty_file_inputs_are_dropped() {
        let body = [
            part("Content-Disposition: form-data", "who am I"),
            part(
                "Content-Disposition: form-data; name=\"avatar\"; filename=\"\"\r\nContent-Type: application/octet-stream",
                "",
            ),
            part("Content-Disposition: form-data; name=\"dots\"; filename=\"..\"", "x"),
            part("Content-Disposition: form-data; name=\"title\"", "kept"),
            "--b--\r\n".into(),
        ]
        .concat();
        let parsed = parse_str(&body).unwrap();
        assert_eq!(
            parsed.to_value().unwrap(),
            serde_json::json!({"title": "kept"})
        );
        assert!(parsed.files().is_empty());
    }

    #[test]
    fn a_file_without_content_type_is_octet_stream() {
        let body = [
            part(
                "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"",
                "\u{0}\u{1}",
            ),
            "--b--\r\n".into(),
        ]
        .concat();
        let parsed = parse_str(&body).unwrap();
        let f = parsed.file("f").unwrap();
        assert_eq!(f.content_type(), &mime::APPLICATION_OCTET_STREAM);
        assert_eq!(f.bytes().unwrap().as_ref(), b"\0\x01");
    }

    #[test]
    fn a_quoted_boundary_is_read() {
        let ct: Mime = "multipart/form-data; boundary=\"a b\"".parse().unwrap();
        let body = "--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--a b--\r\n";
        let parsed = MultiPartParser::new()
            .parse_bytes(body.into(), &ParseContext::new(&ct))
            .unwrap();
        assert_eq!(parsed.to_value().unwrap(), serde_json::json!({"x": "1"}));
    }

    #[test]
    fn boundaries_of_the_wrong_length_are_malformed() {
        let long = "x".repeat(71);
        let err = MultiPartParser::new()
            .parse_bytes(Bytes::new(), &ParseContext::new(&ct(&long)))
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert!(err.message().contains("1 to 70"), "{err}");
    }

    #[test]
    fn text_that_is_not_utf8_is_malformed_at_its_offset() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nab\xff\r\n--b--\r\n";
        let ct = ct("b");
        let err = MultiPartParser::new()
            .parse_bytes(Bytes::from_static(body), &ParseContext::new(&ct))
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position().and_then(|p| p.offset), Some(2));
        assert!(err.message().contains("\"t\""), "{err}");
    }

    #[test]
    fn a_preamble_that_never_reaches_a_boundary_is_refused_early() {
        let ct = ct("b");
        let chunks = (0..1000).map(|_| Ok(Bytes::from(vec![b'x'; 8192])));
        let read = Arc::new(AtomicUsize::new(0));
        let counted = {
            let read = read.clone();
            chunks.inspect(move |_| {
                read.fetch_add(1, Ordering::Relaxed);
            })
        };
        let body: BodyStream<'_> = Box::pin(futures_util::stream::iter(counted));
        let err = futures_executor::block_on(
            MultiPartParser::new().parse_stream(body, ParseContext::new(&ct)),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert!(err.message().contains("no part boundary"), "{err}");
        // Stopped after about 64 KiB, not at the end of the 8 MB body.
        assert!(read.load(Ordering::Relaxed) <= 10, "{read:?}");
    }

    #[test]
    fn repeated_names_count_as_a_level_of_depth() {
        let body = [
            part("Content-Disposition: form-data; name=\"a\"", "1"),
            part("Content-Disposition: form-data; name=\"a\"", "2"),
            "--b--\r\n".into(),
        ]
        .concat();
        let ct = ct("b");
        let ctx = ParseContext::new(&ct).with_limits(crate::ParserLimits::default().max_depth(1));
        let err = MultiPartParser::new()
            .parse_bytes(Bytes::from(body), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    }
}
