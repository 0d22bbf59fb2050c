//! Plumbing types the framework's signatures share.
//!
//! They are the same types as the format crates' (`restframe::parsers::BoxError` and
//! `BoxFuture` are aliases of the same shapes), so values pass between them unchanged.

use std::future::Future;
use std::pin::Pin;

/// Any error, boxed: what a body stream or a service may fail with.
///
/// ```
/// let e: restframe::BoxError = "disk full".into();
/// assert_eq!(e.to_string(), "disk full");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed, `Send` future: what trait methods that do async work return.
///
/// ```
/// use restframe::BoxFuture;
/// fn answer() -> BoxFuture<'static, u32> {
///     Box::pin(async { 42 })
/// }
/// # let _ = answer();
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
