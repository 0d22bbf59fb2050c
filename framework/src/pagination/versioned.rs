//! A pagination style per API version (DRF's `pagination_class` chosen by
//! `request.version`): [`VersionedPagination`].

use std::sync::Arc;

use super::{Counts, Envelope, Fetched, Pagination, Window};
use crate::{ApiError, Request};

/// One style for most versions and others for some: `/api/v1/tracks/` in pages,
/// `/api/v2/tracks/` behind cursors. The request's [`Request::version`] picks the style.
///
/// A document of one API version (see [`crate::versioning`]) describes that version's style;
/// any other, the default.
///
/// ```
/// use restframe::pagination::VersionedPagination;
/// use restframe::{CursorPagination, PageNumberPagination};
/// let style = VersionedPagination::new(PageNumberPagination::default())
///     .version(["v2", "2"], CursorPagination::new(20, 100));
/// # let _ = style;
/// ```
#[derive(Clone)]
pub struct VersionedPagination {
    default: Arc<dyn Pagination>,
    by_version: Vec<(String, Arc<dyn Pagination>)>,
}

impl std::fmt::Debug for VersionedPagination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionedPagination")
            .field(
                "versions",
                &self.by_version.iter().map(|(v, _)| v).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl VersionedPagination {
    /// `default` for every version not named.
    pub fn new(default: impl Pagination) -> Self {
        Self {
            default: Arc::new(default),
            by_version: Vec::new(),
        }
    }

    /// `style` for each of `versions`.
    pub fn version<'a>(
        mut self,
        versions: impl IntoIterator<Item = &'a str>,
        style: impl Pagination,
    ) -> Self {
        let style: Arc<dyn Pagination> = Arc::new(style);
        for v in versions {
            self.by_version.push((v.to_owned(), Arc::clone(&style)));
        }
        self
    }

    fn style(&self, req: &Request) -> &dyn Pagination {
        let version = req.version();
        self.by_version
            .iter()
            .find(|(v, _)| Some(v.as_str()) == version)
            .map_or(&*self.default, |(_, style)| &**style)
    }
}

impl Pagination for VersionedPagination {
    fn window(&self, req: &Request) -> Result<Window, ApiError> {
        self.style(req).window(req)
    }

    fn envelope(&self, req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError> {
        self.style(req).envelope(req, fetched)
    }

    fn counts(&self) -> Counts {
        self.default.counts()
    }

    fn orders(&self) -> bool {
        self.default.orders()
    }

    fn by_version(&self) -> Vec<(&str, &dyn Pagination)> {
        self.by_version
            .iter()
            .map(|(v, style)| (v.as_str(), &**style))
            .collect()
    }

    #[cfg(feature = "openapi")]
    fn describe_list(&self, doc: crate::openapi::Doc) -> crate::openapi::Doc {
        self.default.describe_list(doc)
    }
}
