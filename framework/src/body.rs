//! Body types at the HTTP edge.

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyDataStream, BodyExt};

use crate::parsers::{BodyStream, BoxError};

/// The body of every response restframe produces.
pub type Body = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// Adapts any HTTP request body (hyper's `Incoming`, tower-http's `Limited<…>`, …) to the
/// parsers' chunk stream.
pub(crate) fn body_stream<B>(body: B) -> BodyStream<'static>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Box::pin(BodyDataStream::new(body).map_err(Into::into))
}

/// An empty response body.
pub(crate) fn empty() -> Body {
    http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed()
}
