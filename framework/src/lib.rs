#![doc = include_str!("lib.md")]
#![forbid(unsafe_code)]

mod accept;
pub mod base64_image;
mod body;
mod content_type;
mod error;
mod fields;
pub mod file_validators;
pub mod files;
mod format;
pub mod guide;
mod missing;
mod negotiation;
#[cfg(feature = "openapi")]
pub mod openapi;
mod render;
mod request;
mod response;
mod router;
mod serve;
mod settings;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
pub mod storage;
mod validation;
mod view;
mod viewset;

pub use restframe_parsers as parsers;
pub use restframe_renderers as renderers;

pub use accept::MediaRange;
pub use base64_image::Base64Image;
pub use body::Body;
pub use content_type::select_parser;
pub use error::ApiError;
pub use fields::{DATE_FORMAT_MESSAGE, Date, DateError};
pub use format::{query_format, split_format_suffix};
pub use negotiation::{Negotiated, NegotiationError, Renderers, negotiate};
pub use request::{PathParams, Request};
pub use response::Response;
pub use router::{RouteError, Router};
pub use serve::{serve, shutdown_signal};
pub use settings::ApiSettings;
pub use validation::{Validate, ValidationErrors};
pub use view::{ApiView, FormatSuffix, api_view};
pub use viewset::{Action, ListQuery, ModelViewSet, OrderBy, Page, Repository};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
