//! Requests copied out of hyper's read buffer, so that a request in flight does not keep that
//! buffer alive.
//!
//! hyper parses an HTTP/1 request in place: the URI, each header value and the first body
//! frames are slices of the connection's read buffer (8 KiB). While a request is in flight,
//! hyper reads on to notice a client that hangs up; if the request still holds a slice then,
//! the buffer cannot be reused, so hyper allocates another 8 KiB one, and the first is freed
//! only when the request ends. A create waiting for its group commit held two read buffers
//! that way instead of one. [`serve`](crate::serve) copies what a request that will wait keeps
//! (one with a body, or one waiting for a handler slot): a few hundred bytes, against 8 KiB a
//! connection.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Uri};
use http_body::Frame;

/// Data frames up to this size are copied; bigger ones (uploads) are handed on as they are.
const SMALL_FRAME: usize = 4096;

/// Gives `req` a URI and headers of its own. A value that does not copy (none that hyper
/// parsed) is kept as it is.
pub(crate) fn detach<B>(req: &mut http::Request<B>) {
    if let Ok(uri) = Uri::try_from(req.uri().to_string()) {
        *req.uri_mut() = uri;
    }
    let headers = std::mem::take(req.headers_mut());
    let mut copied = HeaderMap::with_capacity(headers.len());
    let mut last = None;
    for (name, value) in headers {
        if let Some(name) = name {
            last = Some(name);
        }
        let Some(name) = last.clone() else { continue };
        let value = match HeaderValue::from_bytes(value.as_bytes()) {
            Ok(mut copy) => {
                copy.set_sensitive(value.is_sensitive());
                copy
            }
            Err(_) => value,
        };
        copied.append(name, value);
    }
    *req.headers_mut() = copied;
}

/// `frame` with its data copied when it is small.
pub(crate) fn detach_frame(frame: Frame<Bytes>) -> Frame<Bytes> {
    match frame.into_data() {
        Ok(data) if data.len() <= SMALL_FRAME => Frame::data(Bytes::copy_from_slice(&data)),
        Ok(data) => Frame::data(data),
        Err(frame) => frame,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `part` lies inside `buffer`.
    fn inside(buffer: &Bytes, part: &[u8]) -> bool {
        let range = buffer.as_ptr_range();
        range.contains(&part.as_ptr())
    }

    /// A request parsed the way hyper does it: every part a slice of one buffer.
    fn parsed(buffer: &Bytes) -> http::Request<()> {
        let text = std::str::from_utf8(buffer).unwrap_or_default();
        let slice = |s: &str| {
            let start = text.find(s).unwrap_or_default();
            buffer.slice(start..start + s.len())
        };
        let mut req = http::Request::new(());
        *req.uri_mut() = Uri::from_maybe_shared(slice("/api/tracks/?page=2")).unwrap_or_default();
        let mut auth = HeaderValue::from_maybe_shared(slice("Token abc")).unwrap();
        auth.set_sensitive(true);
        let headers = req.headers_mut();
        headers.insert("authorization", auth);
        headers.append(
            "accept",
            HeaderValue::from_maybe_shared(slice("text/csv")).unwrap(),
        );
        headers.append(
            "accept",
            HeaderValue::from_maybe_shared(slice("*/*")).unwrap(),
        );
        headers.insert(
            "x-custom",
            HeaderValue::from_maybe_shared(slice("café")).unwrap(),
        );
        req
    }

    #[test]
    fn a_detached_request_reads_the_same_and_holds_nothing_of_the_buffer() {
        let buffer = Bytes::from_static(
            b"POST /api/tracks/?page=2 HTTP/1.1\r\nauthorization: Token abc\r\n\
              accept: text/csv\r\naccept: */*\r\nx-custom: caf\xc3\xa9\r\n\r\n",
        );
        let mut req = parsed(&buffer);
        let before = req.headers().clone();
        assert!(inside(&buffer, req.uri().path().as_bytes()));

        detach(&mut req);

        assert_eq!(req.uri(), "/api/tracks/?page=2");
        assert!(!inside(&buffer, req.uri().path().as_bytes()));
        assert_eq!(req.headers(), &before);
        let accepts: Vec<_> = req.headers().get_all("accept").iter().collect();
        assert_eq!(accepts, ["text/csv", "*/*"]);
        assert!(req.headers()["authorization"].is_sensitive());
        assert!(!req.headers()["accept"].is_sensitive());
        for value in req.headers().values() {
            assert!(!inside(&buffer, value.as_bytes()), "{value:?} still shared");
        }
    }

    #[test]
    fn small_frames_are_copied_and_big_ones_handed_on() {
        let buffer = Bytes::from(vec![b'x'; 3 * SMALL_FRAME]);
        let small = buffer.slice(0..SMALL_FRAME);
        let big = buffer.slice(0..SMALL_FRAME + 1);

        let Ok(small) = detach_frame(Frame::data(small)).into_data() else {
            panic!("a data frame stays one");
        };
        assert_eq!(small.len(), SMALL_FRAME);
        assert!(!inside(&buffer, &small));

        let Ok(big) = detach_frame(Frame::data(big)).into_data() else {
            panic!("a data frame stays one");
        };
        assert!(inside(&buffer, &big));

        let trailers = detach_frame(Frame::trailers(HeaderMap::new()));
        assert!(trailers.is_trailers());
    }
}
