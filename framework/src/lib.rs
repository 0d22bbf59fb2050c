#![doc = include_str!("lib.md")]
#![forbid(unsafe_code)]

#[cfg(feature = "auth")]
pub mod auth;
mod body;
mod detach;
mod error;
pub mod extensions;
#[cfg(feature = "files")]
pub mod files;
pub mod guide;
mod host;
#[cfg(feature = "images")]
pub mod image;
mod listen;
mod missing;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod model;
pub mod negotiation;
#[cfg(feature = "openapi")]
pub mod openapi;
mod ordering;
pub mod pagination;
#[cfg(feature = "auth")]
pub mod permissions;
#[cfg(feature = "auth")]
mod policy;
pub mod prelude;
mod proxy;
mod render;
mod request;
mod response;
pub mod router;
mod rows;
mod runtime;
mod serve;
mod settings;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "storage")]
pub mod storage;
#[cfg(feature = "auth")]
pub mod throttling;
#[cfg(any(feature = "multipart", feature = "upload"))]
pub mod upload;
mod util;
pub mod validation;
pub mod versioning;
mod view;
mod viewset;

pub use restframe_parsers as parsers;
pub use restframe_renderers as renderers;

pub use body::Body;
pub use error::ApiError;
pub use listen::{LISTEN_BACKLOG, listen};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[doc(hidden)]
pub use model::private as __private;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use model::{Choices, Model};
pub use negotiation::Negotiated;
pub use proxy::{ProxyParseError, TrustedProxies};
pub use request::{Query, Request};
pub use response::Response;
pub use router::{ReverseError, RouteError, Router};
pub use rows::{RowField, RowPage};
pub use runtime::{IO_EVENTS_PER_BUSY_TICK, IO_EVENTS_PER_TICK, runtime_builder};
pub use serve::{
    BodyReadTimeout, MIN_BODY_PROGRESS, REQUEST_ID_HEADER, RequestBody, ServeOptions, serve,
    serve_with, shutdown_signal,
};
pub use settings::ApiSettings;
pub use util::{BoxError, BoxFuture};
#[cfg(feature = "validators")]
pub use validation::Base64Image;
pub use validation::{DATE_FORMAT_MESSAGE, Date, DateError, Validate, ValidationErrors};
pub use validation::{
    DATETIME_FORMAT_MESSAGE, DECIMAL_INVALID_MESSAGE, DateTime, DateTimeError, Decimal,
    UUID_INVALID_MESSAGE, Uuid, decimal_rules, parse_decimal, parse_uuid,
};
pub use view::{ApiView, api_view};
pub use viewset::{
    Action, Condition, CursorPagination, ISNULL_INVALID_MESSAGE, LimitOffsetPagination, ListQuery,
    Lookup, MAX_IN_VALUES, MAX_SEARCH_TERMS, ModelViewSet, OrderBy, Page, PageNumberPagination,
    Pagination, Repository, Search, StandardAction,
};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
