//! What a handler returns: a status, headers and typed data (rendered later) or raw bytes.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::renderers::{Data, Mime};

/// A handler's response, before rendering.
///
/// Its data stays typed (`Box<dyn Data>`, any `Serialize`) until the negotiated renderer turns it
/// into bytes, so the JSON path never goes through `serde_json::Value`. Raw bytes (an image, a
/// file) carry their own media type and bypass the renderers.
///
/// ```
/// use restframe::Response;
/// #[derive(serde::Serialize)]
/// struct Track { id: u32, title: &'static str }
///
/// let created = Response::new(Track { id: 4, title: "So What" })
///     .with_status(http::StatusCode::CREATED)
///     .with_header(http::header::LOCATION, http::HeaderValue::from_static("/api/tracks/4/"));
/// assert_eq!(created.status(), http::StatusCode::CREATED);
///
/// let png = Response::bytes(vec![0x89, b'P', b'N', b'G'], mime::IMAGE_PNG);
/// assert_eq!(png.content_type(), Some(&mime::IMAGE_PNG));
/// ```
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) payload: Payload,
    pub(crate) template_name: Option<String>,
    pub(crate) content_type: Option<Mime>,
}

pub(crate) enum Payload {
    Empty,
    Data(Box<dyn Data + Send>),
    Bytes(Bytes),
    Stream(crate::Body),
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let payload = match self.payload {
            Payload::Empty => "empty",
            Payload::Data(_) => "data",
            Payload::Bytes(_) => "bytes",
            Payload::Stream(_) => "stream",
        };
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("payload", &payload)
            .field("template_name", &self.template_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Response {
    /// 200 with `data`, rendered by the negotiated renderer.
    pub fn new(data: impl serde::Serialize + Send + 'static) -> Self {
        Self::with_payload(Payload::Data(Box::new(data)))
    }

    /// 200 with raw bytes of type `content_type`, sent as is (no renderer, no charset).
    pub fn bytes(bytes: impl Into<Bytes>, content_type: Mime) -> Self {
        let mut r = Self::with_payload(Payload::Bytes(bytes.into()));
        r.content_type = Some(content_type);
        r
    }

    /// 200 with a streamed body of type `content_type` (a stored file), sent as is. Set
    /// `Content-Length` yourself when you know it.
    pub fn stream(
        stream: impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        content_type: Mime,
    ) -> Self {
        use futures_util::TryStreamExt;
        use http_body_util::BodyExt;
        // A body must be `Sync`; a stream is only ever polled by one task, so `SyncStream`
        // makes it so without a lock.
        let body = http_body_util::StreamBody::new(sync_wrapper::SyncStream::new(
            stream
                .map_ok(http_body::Frame::data)
                .map_err(|e| Box::new(e) as crate::util::BoxError),
        ))
        .boxed();
        let mut r = Self::with_payload(Payload::Stream(body));
        r.content_type = Some(content_type);
        r
    }

    /// An empty body with `status` (204 No Content, say).
    pub fn empty(status: StatusCode) -> Self {
        Self::with_payload(Payload::Empty).with_status(status)
    }

    fn with_payload(payload: Payload) -> Self {
        Self {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            payload,
            template_name: None,
            content_type: None,
        }
    }

    /// Sets the status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a header (replacing one of the same name).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Names the template for template renderers (DRF's `Response(template_name=...)`).
    pub fn with_template(mut self, name: impl Into<String>) -> Self {
        self.template_name = Some(name.into());
        self
    }

    /// Overrides the `Content-Type` the renderer would set (DRF's `content_type=`).
    pub fn with_content_type(mut self, content_type: Mime) -> Self {
        self.content_type = Some(content_type);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers set so far.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Mutable headers.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The explicit content type, if any.
    pub fn content_type(&self) -> Option<&Mime> {
        self.content_type.as_ref()
    }

    /// The template name, if any.
    pub fn template_name(&self) -> Option<&str> {
        self.template_name.as_deref()
    }
}
