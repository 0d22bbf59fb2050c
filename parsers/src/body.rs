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

/// Runs a parse over a body that is already in memory (for [`crate::Parser::parse_bytes`] of a
/// streaming parser): such a future is only ever pending when it woke itself (to yield between
/// chunks), so it is polled again at once; pending without a wake-up would wait forever, and
/// is an error instead.
#[cfg(feature = "multipart")]
pub(crate) fn block_on_ready<T>(
    fut: impl std::future::Future<Output = Result<T, ParseError>>,
) -> Result<T, ParseError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Woken(AtomicBool);
    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Release);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.store(true, Ordering::Release);
        }
    }

    let woken = Arc::new(Woken(AtomicBool::new(false)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending if woken.0.swap(false, Ordering::AcqRel) => continue,
            Poll::Pending => {
                return Err(ParseError::new(
                    ParseErrorKind::Body,
                    "body",
                    "the body stream stalled",
                ));
            }
        }
    }
}
