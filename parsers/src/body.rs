use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;

use crate::{ParseError, ParseErrorKind};

/// Any error a body stream may yield.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body as a stream of chunks, as the framework hands it to parsers.
pub type BodyStream<'a> = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'a>>;

/// The error a failed body stream becomes: a [`ParseError`] the stream itself failed with is
/// passed on as it is (so an HTTP layer can say "too large"), anything else is
/// [`ParseErrorKind::Body`].
///
/// ```
/// use restframe_parsers::{stream_error, ParseError, ParseErrorKind};
/// let too_large: restframe_parsers::BoxError = Box::new(ParseError::too_large(10));
/// assert_eq!(stream_error(too_large).kind(), ParseErrorKind::TooLarge);
/// let io: restframe_parsers::BoxError = "connection reset".into();
/// assert_eq!(stream_error(io).kind(), ParseErrorKind::Body);
/// ```
pub fn stream_error(e: BoxError) -> ParseError {
    match e.downcast::<ParseError>() {
        Ok(parse_error) => *parse_error,
        Err(e) => ParseError::new(ParseErrorKind::Body, "body", e),
    }
}

/// Reads a whole body, refusing it as soon as it grows past `limit` bytes (nothing more is
/// read, so a huge body costs at most `limit` bytes of memory).
///
/// ```
/// # futures_executor::block_on(async {
/// use futures_util::stream;
/// use restframe_parsers::{collect, BodyStream, ParseErrorKind};
///
/// let chunks = || -> BodyStream<'static> {
///     Box::pin(stream::iter(vec![Ok("ab".into()), Ok("cd".into())]))
/// };
/// assert_eq!(collect(chunks(), 4).await.unwrap(), "abcd");
/// assert_eq!(collect(chunks(), 3).await.unwrap_err().kind(), ParseErrorKind::TooLarge);
/// # });
/// ```
pub async fn collect(mut body: BodyStream<'_>, limit: usize) -> Result<Bytes, ParseError> {
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(stream_error)?;
        let len = first.as_ref().map_or(0, Bytes::len) + buf.len() + chunk.len();
        if len > limit {
            return Err(ParseError::too_large(limit));
        }
        // The common single-chunk body is passed on without a copy.
        match first.take() {
            None if buf.is_empty() => first = Some(chunk),
            None => buf.extend_from_slice(&chunk),
            Some(f) => {
                buf.extend_from_slice(&f);
                buf.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}
