//! What most apps use, in one import: `use restframe::prelude::*;`.
//!
//! ```
//! use restframe::prelude::*;
//!
//! let hello = api_view(|req: Request| async move {
//!     let name = req.query().get("name").unwrap_or_default().into_owned();
//!     Ok(Response::new(format!("hello {name}")))
//! });
//! let router = Router::new().route("/hello/", "hello", [(http::Method::GET, hello)])?;
//! # let _ = router;
//! # Ok::<(), RouteError>(())
//! ```

pub use crate::error::ApiError;
pub use crate::request::Request;
pub use crate::response::Response;
pub use crate::router::{RouteError, Router};
pub use crate::serve::{serve, shutdown_signal};
pub use crate::settings::ApiSettings;
pub use crate::validation::{Validate, ValidationErrors};
pub use crate::view::{ApiView, api_view};
pub use crate::viewset::{Action, ModelViewSet, Repository, StandardAction};

// What an app with uploads, SQL tables and OpenAPI docs adds, each with its feature.
#[cfg(feature = "files")]
pub use crate::files::serve_file;
#[cfg(feature = "openapi")]
pub use crate::openapi::ApiInfo;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use crate::sql::{Column, ColumnType, Database, Migration, SqlRepository, SqlValue, Table};
#[cfg(feature = "storage")]
pub use crate::storage::Storage;
#[cfg(any(feature = "multipart", feature = "upload"))]
pub use crate::upload::UploadedFileExt;
#[cfg(feature = "validators")]
pub use crate::validation::FileRules;
