//! Body types at the HTTP edge.

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyDataStream, BodyExt, LengthLimitError};

use crate::parsers::{BodyStream, ParseError, ParseErrorKind};
use crate::util::BoxError;

/// The body of every response restframe produces.
pub type Body = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// Adapts any HTTP request body (hyper's `Incoming`, tower-http's `Limited<…>`, …) to the
/// parsers' chunk stream. A body cut off by a size limit (`http_body_util::Limited`, which
/// tower-http's `RequestBodyLimitLayer` uses) fails with a "too large" [`ParseError`], so it is
/// answered 413 in the negotiated format like the parsers' own limit.
pub(crate) fn body_stream<B>(body: B) -> BodyStream<'static>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Box::pin(BodyDataStream::new(body).map_err(|e| {
        let e: BoxError = e.into();
        if e.is::<LengthLimitError>() {
            let too_large = ParseError::new(
                ParseErrorKind::TooLarge,
                "body",
                "Request body larger than the server accepts.",
            );
            Box::new(too_large) as BoxError
        } else {
            e
        }
    }))
}

/// An empty response body.
pub(crate) fn empty() -> Body {
    http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed()
}
