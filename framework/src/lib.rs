//! restframe: a Django-REST-framework-style toolkit on hyper and tower.
//!
//! Declare a view with its renderers and parsers; restframe negotiates the format of every
//! response from `Accept`, a URL suffix (`/tracks/4.json`) or `?format=`, parses request bodies
//! by `Content-Type`, and renders every error in the negotiated format.
//!
//! ```
//! use std::sync::Arc;
//! use restframe::{api_view, ApiError, Request, Response};
//! use restframe::renderers::{JsonRenderer, XmlRenderer};
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Track { title: String }
//!
//! let echo = api_view(|mut req: Request| async move {
//!     let track: Track = req.data().await?;
//!     if track.title.is_empty() {
//!         return Err(ApiError::validation([("title", "This field may not be blank.")]));
//!     }
//!     Ok(Response::new(track).with_status(http::StatusCode::CREATED))
//! })
//! .renderers([Arc::new(JsonRenderer::new()) as _, Arc::new(XmlRenderer::new()) as _]);
//! // `echo` is a tower::Service<http::Request<B>>: serve it with hyper (see example-app).
//! # let _ = echo;
//! ```
//!
//! The format crates are re-exported as [`renderers`] and [`parsers`]; their cargo features
//! pass through (`json` by default, `full` for all):
//!
//! | feature | adds |
//! |---|---|
//! | `json` (default) | `JsonRenderer`, `JsonParser` |
//! | `jsonp` | `JsonpRenderer` |
//! | `yaml` | `YamlRenderer`, `YamlParser` |
//! | `xml` | `XmlRenderer`, `XmlParser` |
//! | `msgpack` | `MsgPackRenderer`, `MsgPackParser` |
//! | `csv` | `CsvRenderer`, `CsvParser` |
//! | `form` | `FormParser` |
//! | `multipart`, `upload` | `MultiPartParser`, `FileUploadParser` (streaming uploads), `Request::files` |
//! | `text`, `html`, `binary` | `PlainTextRenderer`, `StaticHtmlRenderer`, `BinaryRenderer` |
//! | `sqlite`, `postgres` | [`sql`]: SQL repositories on SQLite (rusqlite) and PostgreSQL (sqlx) |
#![forbid(unsafe_code)]

mod body;
mod error;
pub mod extensions;
#[cfg(feature = "files")]
pub mod files;
mod host;
#[cfg(feature = "images")]
pub mod image;
mod missing;
pub mod negotiation;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod prelude;
mod render;
mod request;
mod response;
pub mod router;
mod serve;
mod settings;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "storage")]
pub mod storage;
#[cfg(any(feature = "multipart", feature = "upload"))]
pub mod upload;
mod util;
pub mod validation;
mod view;
mod viewset;

pub use restframe_parsers as parsers;
pub use restframe_renderers as renderers;

pub use body::Body;
pub use error::ApiError;
pub use negotiation::Negotiated;
pub use request::{Query, Request};
pub use response::Response;
pub use router::{RouteError, Router};
pub use serve::{serve, shutdown_signal};
pub use settings::ApiSettings;
pub use util::{BoxError, BoxFuture};
#[cfg(feature = "validators")]
pub use validation::Base64Image;
pub use validation::{DATE_FORMAT_MESSAGE, Date, DateError, Validate, ValidationErrors};
pub use view::{ApiView, api_view};
pub use viewset::{
    Action, LimitOffsetPagination, ListQuery, ModelViewSet, OrderBy, Page, PageNumberPagination,
    Pagination, Repository, pagination,
};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/content-negotiation.md")]
mod content_negotiation_guide {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/renderers.md")]
mod renderers_guide {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/parsers.md")]
mod parsers_guide {}

#[cfg(all(doctest, feature = "s3", feature = "files"))]
#[doc = include_str!("../../docs/storage.md")]
mod storage_guide {}

#[cfg(doctest)]
#[doc = include_str!("../../docs/routers.md")]
mod routers_guide {}

#[cfg(all(doctest, feature = "sqlite"))]
#[doc = include_str!("../../docs/viewsets.md")]
mod viewsets_guide {}

#[cfg(all(doctest, feature = "template"))]
#[doc = include_str!("../../docs/exceptions.md")]
mod exceptions_guide {}

#[cfg(all(doctest, feature = "openapi", feature = "sqlite"))]
#[doc = include_str!("../../docs/openapi.md")]
mod openapi_guide {}

#[cfg(all(
    doctest,
    feature = "multipart",
    feature = "upload",
    feature = "files",
    feature = "validators"
))]
#[doc = include_str!("../../docs/uploads.md")]
mod uploads_guide {}
