//! How a list is cut into pages (DRF's `pagination` module): the [`Pagination`] trait and its
//! three styles, [`PageNumberPagination`] (the default), [`LimitOffsetPagination`] and
//! [`CursorPagination`] (keyset pages behind an opaque, signed `?cursor=`).
//!
//! A style answers two questions of a list request. Before the repository runs: which rows
//! ([`Pagination::window`] turns the query string into a [`Window`]). After: what the answer
//! says of the page ([`Pagination::envelope`] turns what was [`Fetched`] into an [`Envelope`]:
//! the count and the `next`/`previous` links). The viewset then answers DRF's envelope,
//! `{"count", "next", "previous", "results"}`, with the same links in an RFC 8288 `Link`
//! header. With feature `openapi`, [`Pagination::describe_list`] adds the style's query
//! parameters to the list's operation.
//!
//! ```
//! use restframe::pagination::{Envelope, Fetched, Pagination, Window};
//! use restframe::{ApiError, Request};
//!
//! /// The first `n` rows and nothing more: no parameters, no links.
//! struct FirstRows(u64);
//!
//! impl Pagination for FirstRows {
//!     fn window(&self, _req: &Request) -> Result<Window, ApiError> {
//!         Ok(Window::new(0, self.0))
//!     }
//!     fn envelope(&self, _req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError> {
//!         Ok(Envelope::new(fetched.count))
//!     }
//! }
//! # fn f<R: restframe::Repository>(repo: R) -> restframe::ModelViewSet<R> {
//! restframe::ModelViewSet::new("Track", "track", repo).pagination(FirstRows(10))
//! # }
//! ```

mod cursor;
mod versioned;

use std::borrow::Cow;
use std::sync::Arc;

use http::HeaderValue;
use http::header::LINK;
use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::Query;
use crate::settings::ApiSettings;
use crate::{ApiError, Request, Response};

pub use cursor::CursorPagination;
pub use versioned::VersionedPagination;

/// A pagination style (DRF's `BasePagination`): which rows a list request asks for, and what
/// the answer says of the page it got. Set one with [`crate::ModelViewSet::pagination`].
///
/// The module docs show a style written from scratch; [`PageNumberPagination`],
/// [`LimitOffsetPagination`] and [`CursorPagination`] are DRF's three.
pub trait Pagination: Send + Sync + 'static {
    /// The rows `req` asks for, from its query string. An error (say, a page that cannot
    /// exist) is the list's answer; the repository is not asked.
    fn window(&self, req: &Request) -> Result<Window, ApiError>;

    /// What the answer says of the page: the count and the `next` and `previous` URLs. Runs
    /// after the repository, so it may still refuse (a page past the end).
    fn envelope(&self, req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError>;

    /// Whether the envelope carries `count` always, sometimes (a capped count) or never (a
    /// cursor): the document's envelope schema follows it. [`Counts::Always`] by default.
    fn counts(&self) -> Counts {
        Counts::Always
    }

    /// Whether the style imposes its own ordering (a cursor does), so that the list does not
    /// offer `?ordering=`. `false` by default.
    fn orders(&self) -> bool {
        false
    }

    /// The style's query parameters (and the errors they can cause) on the list's operation in
    /// the OpenAPI document (DRF's `get_schema_operation_parameters`). Adds nothing by default.
    #[cfg(feature = "openapi")]
    fn describe_list(&self, doc: crate::openapi::Doc) -> crate::openapi::Doc {
        doc
    }

    /// The styles some API versions use instead of this one (see [`VersionedPagination`]):
    /// each version's document describes its own. None by default.
    fn by_version(&self) -> Vec<(&str, &dyn Pagination)> {
        Vec::new()
    }
}

/// Whether a style's envelope carries `count` (see [`Pagination::counts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counts {
    /// On every page.
    Always,
    /// When it is known (a count capped for big tables, and over its cap).
    Sometimes,
    /// Never (a cursor; a count switched off).
    Never,
}

/// Where a row stands in an ordering: its value of each key as text (a number or boolean as
/// written), `None` for a null. A keyset page starts after one.
pub type Position = Vec<Option<String>>;

/// How a list counts the rows that match (the repository's share of [`Counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Count {
    /// `COUNT(*)` over every matching row (DRF's pages).
    #[default]
    Exact,
    /// No count at all: the cheapest, for big tables and cursors.
    Off,
    /// Counts up to this many rows: past it the count is unknown (`None`), and costs no more
    /// than reading that many index entries however big the table is.
    UpTo(u64),
}

/// The rows a list asks the repository for: its [`crate::ListQuery`]'s window, and for keyset
/// styles the ordering and the position to start after.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// Rows to skip; at most `i64::MAX`, so that it fits a SQL `OFFSET`.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: u64,
    /// How to count the rows that match.
    pub count: Count,
    /// Ask for one row more than `limit`, so that [`Fetched::more`] tells whether rows remain
    /// without a count. The viewset keeps `limit` rows.
    pub peek: bool,
    /// The ordering the style imposes (the list's `?ordering=` is then not read), ending in a
    /// unique field when `after` is used.
    pub ordering: Option<Vec<crate::ordering::OrderBy>>,
    /// Rows strictly after this position of `ordering` (a keyset: one value per key, `None`
    /// for a null), instead of an offset: a page costs the same at any depth.
    pub after: Option<Position>,
    /// The rows were asked for in the reverse of the natural ordering (a cursor's `previous`
    /// page): the viewset turns them back before answering.
    pub reversed: bool,
}

impl Window {
    /// `limit` rows after the first `offset`; an offset beyond `i64::MAX` is cut to it.
    ///
    /// ```
    /// use restframe::pagination::Window;
    /// assert_eq!(Window::new(u64::MAX, 5).offset, i64::MAX as u64);
    /// ```
    pub fn new(offset: u64, limit: u64) -> Self {
        Self {
            offset: offset.min(i64::MAX as u64),
            limit,
            count: Count::Exact,
            peek: false,
            ordering: None,
            after: None,
            reversed: false,
        }
    }

    /// The same window counted as `count` says.
    ///
    /// ```
    /// use restframe::pagination::{Count, Window};
    /// assert_eq!(Window::new(0, 20).counted(Count::Off).count, Count::Off);
    /// ```
    pub fn counted(mut self, count: Count) -> Self {
        self.count = count;
        self.peek = self.peek || count != Count::Exact;
        self
    }

    /// The same window, one row more asked for (see [`Window::peek`]).
    pub fn peeking(mut self) -> Self {
        self.peek = true;
        self
    }
}

/// What the repository returned for a [`Window`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// The window asked for.
    pub window: Window,
    /// How many rows match the filters, over all pages, when counted.
    pub count: Option<u64>,
    /// How many rows this page holds.
    pub len: usize,
    /// Whether rows remain past this page (known when the window peeked, or from the count).
    pub more: bool,
    /// The positions of the page's first and last rows in the window's `ordering` (one value
    /// per key), when it has one and rows.
    pub bounds: Option<(Position, Position)>,
}

impl Fetched {
    /// `len` rows of `count` in all, fetched for `window`.
    pub fn new(window: Window, count: Option<u64>, len: usize) -> Self {
        let more = count.is_some_and(|c| window.offset.saturating_add(len as u64) < c);
        Self {
            window,
            count,
            len,
            more,
            bounds: None,
        }
    }

    /// The same, with whether rows remain past the page.
    pub fn with_more(mut self, more: bool) -> Self {
        self.more = more;
        self
    }

    /// The same, with the positions of the first and last rows.
    pub fn with_bounds(mut self, first: Position, last: Position) -> Self {
        self.bounds = Some((first, last));
        self
    }
}

/// What a page's answer says beside its rows: the count (when the style tells it) and the
/// absolute URLs of the next and previous pages. [`Envelope::into_response`] makes it DRF's
/// `{"count", "next", "previous", "results"}` with a `Link` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    count: Option<u64>,
    next: Option<String>,
    previous: Option<String>,
}

impl Envelope {
    /// An envelope with `count` (`None` leaves the key out) and no links.
    pub fn new(count: Option<u64>) -> Self {
        Self {
            count,
            next: None,
            previous: None,
        }
    }

    /// The next page's URL.
    pub fn next(mut self, url: impl Into<String>) -> Self {
        self.next = Some(url.into());
        self
    }

    /// The previous page's URL.
    pub fn previous(mut self, url: impl Into<String>) -> Self {
        self.previous = Some(url.into());
        self
    }

    /// 200 with the envelope around `results`, and `Link: <next>; rel="next", <previous>;
    /// rel="prev"` (RFC 8288) when there is either link.
    ///
    /// ```
    /// use restframe::pagination::Envelope;
    /// let response = Envelope::new(Some(3)).next("http://h/t/?page=2").into_response(vec![1, 2]);
    /// assert_eq!(response.headers()["link"], "<http://h/t/?page=2>; rel=\"next\"");
    /// ```
    pub fn into_response<T: Serialize + Send + 'static>(self, results: Vec<T>) -> Response {
        self.into_response_of(results)
    }

    /// [`into_response`](Self::into_response) with `results` anything that serializes as
    /// the sequence of the page's rows (a [`RowPage`](crate::RowPage), say).
    ///
    /// ```
    /// use restframe::pagination::Envelope;
    /// let response = Envelope::new(Some(2)).into_response_of([1, 2]);
    /// assert_eq!(response.status(), 200);
    /// ```
    pub fn into_response_of<T: Serialize + Send + 'static>(self, results: T) -> Response {
        let link = link_header(self.next.as_deref(), self.previous.as_deref());
        let response = Response::new(PageBody {
            count: self.count,
            next: self.next,
            previous: self.previous,
            results,
        });
        match link {
            Some(link) => response.with_header(LINK, link),
            None => response,
        }
    }
}

/// DRF's paginated envelope; `count` is left out when the style does not tell it.
struct PageBody<T> {
    count: Option<u64>,
    next: Option<String>,
    previous: Option<String>,
    results: T,
}

impl<T: Serialize> Serialize for PageBody<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.count.is_some() { 4 } else { 3 };
        let mut s = serializer.serialize_struct("PageBody", fields)?;
        match self.count {
            Some(count) => s.serialize_field("count", &count)?,
            None => s.skip_field("count")?,
        }
        s.serialize_field("next", &self.next)?;
        s.serialize_field("previous", &self.previous)?;
        s.serialize_field("results", &self.results)?;
        s.end()
    }
}

/// The page size when the client gives none, and the most it may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PageSize {
    default: u64,
    max: u64,
}

impl PageSize {
    fn new(default: u64, max: u64) -> Self {
        Self {
            default: default.max(1),
            max: max.max(1),
        }
    }
}

/// DRF's `PageNumberPagination`, the viewset's default (20 rows, at most 100): `?page=`
/// (1-based; an empty one is page 1) and `?page_size=` (a larger size is capped; one that is
/// not an integer from 1 is a 400 naming it, where DRF would quietly use the default, so that
/// the server takes what the OpenAPI document allows and nothing else). A page that is not a positive integer, past the end, or past
/// what a SQL `OFFSET` can hold is 404 `{"detail": "Invalid page."}`; page 1 of an empty list
/// is an empty page. `next`/`previous` keep every other query parameter in place, and page 1
/// drops `page`.
///
/// ```
/// use restframe::PageNumberPagination;
/// # fn f<R: restframe::Repository>(repo: R) -> restframe::ModelViewSet<R> {
/// restframe::ModelViewSet::new("Track", "track", repo).pagination(PageNumberPagination::new(20, 100))
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageNumberPagination {
    size: PageSize,
    count: Count,
}

impl PageNumberPagination {
    /// Pages of `default` rows unless `?page_size=` asks for another size, up to `max` (both
    /// at least 1).
    pub fn new(default: u64, max: u64) -> Self {
        Self {
            size: PageSize::new(default, max),
            count: Count::Exact,
        }
    }

    /// How pages count their rows: [`Count::Exact`] (the default, DRF's), [`Count::Off`]
    /// (no `count`; `next` is known by reading one row more) or [`Count::UpTo`] (a count
    /// for big tables, left out past its cap). Either of the latter two keeps a page's cost
    /// the same whatever the table's size.
    ///
    /// ```
    /// use restframe::PageNumberPagination;
    /// use restframe::pagination::Count;
    /// let pages = PageNumberPagination::new(20, 100).count(Count::UpTo(10_000));
    /// # let _ = pages;
    /// ```
    pub fn count(mut self, count: Count) -> Self {
        self.count = count;
        self
    }
}

/// What the envelope says of the count for a style counting as `count` does.
fn counts(count: Count) -> Counts {
    match count {
        Count::Exact => Counts::Always,
        Count::UpTo(_) => Counts::Sometimes,
        Count::Off => Counts::Never,
    }
}

impl Default for PageNumberPagination {
    /// 20 rows a page, at most 100.
    fn default() -> Self {
        Self::new(20, 100)
    }
}

impl Pagination for PageNumberPagination {
    fn window(&self, req: &Request) -> Result<Window, ApiError> {
        let (page, size) = window(req.query(), self.size)?;
        // SQL takes a signed 64-bit OFFSET: a page beyond it cannot exist.
        let offset = (page - 1)
            .checked_mul(size)
            .filter(|&o| i64::try_from(o).is_ok())
            .ok_or_else(invalid_page)?;
        Ok(Window::new(offset, size).counted(self.count))
    }

    fn envelope(&self, req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError> {
        let base = req.base_url()?;
        let (offset, limit) = (fetched.window.offset, fetched.window.limit);
        let page = offset.checked_div(limit).unwrap_or(0).saturating_add(1);
        if page > 1 && fetched.len == 0 {
            return Err(invalid_page());
        }
        let (path, query) = (req.uri().path(), req.query());
        let mut envelope = Envelope::new(fetched.count);
        if fetched.more {
            envelope = envelope.next(page_url(&base, path, query, page + 1));
        }
        if page > 1 {
            envelope = envelope.previous(page_url(&base, path, query, page - 1));
        }
        Ok(envelope)
    }

    fn counts(&self) -> Counts {
        counts(self.count)
    }

    #[cfg(feature = "openapi")]
    fn describe_list(&self, doc: crate::openapi::Doc) -> crate::openapi::Doc {
        let PageSize { default, max } = self.size;
        doc.query_schema("page", "A page number (from 1).", positive(), false)
            .query_schema(
                "page_size",
                &format!("Rows per page ({default} by default, at most {max})."),
                positive(),
                false,
            )
            // A page size the document does not allow; a page past the last one.
            .errors([400, 404])
    }
}

/// DRF's `LimitOffsetPagination`: `?limit=` (a larger limit is capped) and `?offset=`, each a
/// 400 naming it when it is not an integer the document allows (DRF falls back to defaults); an offset past the end is an empty
/// page, not a 404, and `next`/`previous` carry `limit` and `offset`.
///
/// ```
/// use restframe::LimitOffsetPagination;
/// # fn f<R: restframe::Repository>(repo: R) -> restframe::ModelViewSet<R> {
/// restframe::ModelViewSet::new("Track", "track", repo).pagination(LimitOffsetPagination::new(50, 500))
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitOffsetPagination {
    size: PageSize,
    count: Count,
}

impl LimitOffsetPagination {
    /// `default` rows unless `?limit=` asks for another number, up to `max` (both at least 1).
    pub fn new(default: u64, max: u64) -> Self {
        Self {
            size: PageSize::new(default, max),
            count: Count::Exact,
        }
    }

    /// How windows count their rows, as [`PageNumberPagination::count`].
    pub fn count(mut self, count: Count) -> Self {
        self.count = count;
        self
    }
}

impl Pagination for LimitOffsetPagination {
    fn window(&self, req: &Request) -> Result<Window, ApiError> {
        let (limit, offset) = limit_offset(req.query(), self.size)?;
        Ok(Window::new(offset, limit).counted(self.count))
    }

    fn envelope(&self, req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError> {
        let base = req.base_url()?;
        let (offset, limit) = (fetched.window.offset, fetched.window.limit);
        let (next, previous) = limit_offset_links(
            &base,
            req.uri().path(),
            req.query(),
            (limit, offset),
            fetched.more,
        );
        Ok(Envelope {
            count: fetched.count,
            next,
            previous,
        })
    }

    fn counts(&self) -> Counts {
        counts(self.count)
    }

    #[cfg(feature = "openapi")]
    fn describe_list(&self, doc: crate::openapi::Doc) -> crate::openapi::Doc {
        let PageSize { default, max } = self.size;
        doc.query_schema(
            "limit",
            &format!("Rows to return ({default} by default, at most {max})."),
            positive(),
            false,
        )
        .query_schema(
            "offset",
            "Rows to skip.",
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .minimum(Some(0)),
            false,
        )
        // A limit or offset the document does not allow.
        .errors([400])
    }
}

/// An integer from 1, for the OpenAPI document.
#[cfg(feature = "openapi")]
fn positive() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(1))
}

/// The 1-based page and its size asked for by `?page=` and `?page_size=`. An empty `?page=` is
/// page 1; a page that is not a positive integer is 404 ("Invalid page."), as DRF; a page size that is not a positive
/// integer falls back to the default, and one above the maximum is capped, as DRF.
fn window(query: Query<'_>, size: PageSize) -> Result<(u64, u64), ApiError> {
    let page = match query.get("page").filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(invalid_page)?,
    };
    let page_size = size_param(query, "page_size", size)?;
    Ok((page, page_size))
}

/// A count parameter (`page_size`, `limit`): absent or empty is `size.default`; above the
/// maximum is the maximum (the document says "at most"); anything that is not an integer from
/// 1 is a 400 naming the parameter, so the server takes exactly what the document allows.
fn size_param(query: Query<'_>, name: &str, size: PageSize) -> Result<u64, ApiError> {
    match integer_param(query, name)? {
        None => Ok(size.default),
        Some(n) if n < 1 => Err(ApiError::validation([(
            name,
            "Ensure this value is greater than or equal to 1.",
        )])),
        Some(n) => Ok(u64::try_from(n).unwrap_or(u64::MAX).min(size.max)),
    }
}

/// An integer query parameter: `None` when absent or empty, a 400 naming it when it is not an
/// integer. Digits past any 64-bit integer read as the largest one.
fn integer_param(query: Query<'_>, name: &str) -> Result<Option<i128>, ApiError> {
    let Some(text) = query.get(name).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation([(
            name,
            "A valid integer is required.",
        )]));
    }
    Ok(Some(text.parse::<i128>().unwrap_or(
        if text.starts_with('-') {
            i128::MIN
        } else {
            i128::MAX
        },
    )))
}

fn invalid_page() -> ApiError {
    ApiError::not_found("Invalid page.")
}

/// The URL of `page` of the list at `base` + `path`, with every other query parameter (sorted
/// by name, as DRF); page 1 drops the parameter, as DRF.
fn page_url(base: &str, path: &str, query: Query<'_>, page: u64) -> String {
    let page = (page > 1).then(|| page.to_string());
    with_params(base, path, query, &[("page", page.as_deref())])
}

/// `?limit=` (the default when absent or empty, capped at the maximum) and `?offset=` (0 when
/// absent or empty; at most `i64::MAX`); anything else than the document allows (an integer
/// from 1, from 0) is a 400 naming the parameter.
fn limit_offset(query: Query<'_>, size: PageSize) -> Result<(u64, u64), ApiError> {
    let limit = size_param(query, "limit", size)?;
    let offset = match integer_param(query, "offset")? {
        None => 0,
        Some(n) if n < 0 => {
            return Err(ApiError::validation([(
                "offset",
                "Ensure this value is greater than or equal to 0.",
            )]));
        }
        Some(n) => u64::try_from(n.min(i128::from(i64::MAX))).unwrap_or(0),
    };
    Ok((limit, offset))
}

/// The next and previous URLs of a limit/offset window, as DRF builds them.
fn limit_offset_links(
    base: &str,
    path: &str,
    query: Query<'_>,
    (limit, offset): (u64, u64),
    more: bool,
) -> (Option<String>, Option<String>) {
    let limit_text = limit.to_string();
    let next = offset.checked_add(limit).filter(|_| more).map(|n| {
        let n = n.to_string();
        with_params(
            base,
            path,
            query,
            &[("limit", Some(&limit_text)), ("offset", Some(&n))],
        )
    });
    let previous = (offset > 0).then(|| {
        let back = offset.saturating_sub(limit);
        let back = (back > 0).then(|| back.to_string());
        with_params(
            base,
            path,
            query,
            &[("limit", Some(&limit_text)), ("offset", back.as_deref())],
        )
    });
    (next, previous)
}

/// `base` + `path` with the query's parameters, each of `params` set (replacing every value it
/// had) or removed (`None`), sorted by name as DRF's `replace_query_param` and
/// `remove_query_param` sort them (`urlencode(sorted(parse_qs(query).items()))`): the values of
/// a repeated parameter stay together, in the order they came. The same page has one URL,
/// whatever the order the client wrote its query in, and a link is DRF's, byte for byte.
fn with_params(
    base: &str,
    path: &str,
    query: Query<'_>,
    params: &[(&str, Option<&str>)],
) -> String {
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        form_urlencoded::parse(query.as_str().as_bytes())
            .filter(|(k, _)| !params.iter().any(|(name, _)| name == k))
            .collect();
    pairs.extend(
        params
            .iter()
            .filter_map(|&(name, value)| Some((Cow::Borrowed(name), Cow::Borrowed(value?)))),
    );
    // Stable: a repeated parameter's values keep their order.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// `Link: <next>; rel="next", <previous>; rel="prev"` (RFC 8288), when there is either.
fn link_header(next: Option<&str>, previous: Option<&str>) -> Option<HeaderValue> {
    let links: Vec<String> = [(next, "next"), (previous, "prev")]
        .into_iter()
        .filter_map(|(url, rel)| Some(format!("<{}>; rel=\"{rel}\"", url?)))
        .collect();
    if links.is_empty() {
        return None;
    }
    HeaderValue::from_str(&links.join(", ")).ok()
}

/// The paginator as a setting: the default of every viewset under these settings.
impl ApiSettings {
    /// How every viewset under these settings cuts its lists into pages, unless it says
    /// otherwise (DRF's `DEFAULT_PAGINATION_CLASS` and `PAGE_SIZE`; the default is
    /// [`PageNumberPagination`], 20 rows a page and at most 100).
    ///
    /// ```
    /// use restframe::{ApiSettings, LimitOffsetPagination, Router};
    /// let router = Router::with_settings(
    ///     ApiSettings::default().pagination(LimitOffsetPagination::new(50, 500)),
    /// );
    /// # let _ = router;
    /// ```
    pub fn pagination(self, pagination: impl Pagination) -> Self {
        let paginator: Arc<dyn Pagination> = Arc::new(pagination);
        self.set_paginator(Arc::new(paginator))
    }

    /// The paginator viewsets use (see [`ApiSettings::pagination`]).
    pub fn paginator(&self) -> Arc<dyn Pagination> {
        self.paginator_slot()
            .and_then(|slot| slot.downcast_ref::<Arc<dyn Pagination>>())
            .map_or_else(
                || Arc::new(PageNumberPagination::default()) as _,
                Arc::clone,
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: PageSize = PageSize {
        default: 20,
        max: 100,
    };

    #[test]
    fn pages_and_sizes_follow_drf() {
        assert_eq!(window(Query::new(""), SIZE).unwrap(), (1, 20));
        assert_eq!(
            window(Query::new("page=3&page_size=5"), SIZE).unwrap(),
            (3, 5)
        );
        assert_eq!(window(Query::new("page_size=500"), SIZE).unwrap(), (1, 100));
        assert_eq!(
            window(Query::new("page_size=99999999999999999999999"), SIZE).unwrap(),
            (1, 100)
        );
        assert_eq!(window(Query::new("page="), SIZE).unwrap(), (1, 20));
        assert_eq!(window(Query::new("page_size="), SIZE).unwrap(), (1, 20));
        // What the document does not allow is refused, naming the parameter.
        for (bad, message) in [
            (
                "page_size=0",
                "Ensure this value is greater than or equal to 1.",
            ),
            (
                "page_size=-3",
                "Ensure this value is greater than or equal to 1.",
            ),
            ("page_size=x", "A valid integer is required."),
            ("page_size=1.5", "A valid integer is required."),
            ("page_size=-", "A valid integer is required."),
        ] {
            let e = window(Query::new(bad), SIZE).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
            assert_eq!(
                serde_json::to_value(&e).unwrap(),
                serde_json::json!({"page_size": [message]}),
                "{bad}"
            );
        }
        for bad in ["page=0", "page=-1", "page=x", "page=99999999999999999999"] {
            assert_eq!(
                window(Query::new(bad), SIZE).unwrap_err().status(),
                404,
                "{bad}"
            );
        }
    }

    #[test]
    fn page_urls_sort_parameters_as_drf() {
        let q = Query::new("page_size=100&artist_name=Miles%20Davis&page=2&ordering=-title");
        assert_eq!(
            page_url("http://h", "/api/tracks/", q, 3),
            "http://h/api/tracks/?artist_name=Miles+Davis&ordering=-title&page=3&page_size=100"
        );
        assert_eq!(
            page_url("http://h", "/api/tracks/", q, 1),
            "http://h/api/tracks/?artist_name=Miles+Davis&ordering=-title&page_size=100"
        );
        assert_eq!(
            page_url("http://h", "/t/", Query::new(""), 2),
            "http://h/t/?page=2"
        );
        // A repeated parameter: its values together, in their order; every `page` replaced.
        let q = Query::new("tag=b&page=2&x&tag=a&page=7");
        assert_eq!(
            page_url("http://h", "/t/", q, 3),
            "http://h/t/?page=3&tag=b&tag=a&x="
        );
    }

    #[test]
    fn limit_offset_follows_drf() {
        assert_eq!(limit_offset(Query::new(""), SIZE).unwrap(), (20, 0));
        assert_eq!(
            limit_offset(Query::new("limit=5&offset=10"), SIZE).unwrap(),
            (5, 10)
        );
        assert_eq!(
            limit_offset(Query::new("limit=500&offset=&x=1"), SIZE).unwrap(),
            (100, 0)
        );
        for (bad, field) in [
            ("limit=0", "limit"),
            ("limit=x", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
        ] {
            let e = limit_offset(Query::new(bad), SIZE).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
            assert!(serde_json::to_value(&e).unwrap()[field].is_array(), "{bad}");
        }
        let q = Query::new("ordering=title&offset=10&limit=5");
        assert_eq!(
            limit_offset_links("http://h", "/t/", q, (5, 10), true),
            (
                Some("http://h/t/?limit=5&offset=15&ordering=title".into()),
                Some("http://h/t/?limit=5&offset=5&ordering=title".into())
            )
        );
        assert_eq!(
            limit_offset_links("http://h", "/t/", Query::new("offset=3"), (5, 3), false),
            (None, Some("http://h/t/?limit=5".into()))
        );
        assert_eq!(
            limit_offset_links("http://h", "/t/", Query::new(""), (5, 0), false),
            (None, None)
        );
    }

    #[test]
    fn link_header_names_next_and_prev() {
        assert_eq!(
            link_header(Some("http://h/?page=3"), Some("http://h/")).unwrap(),
            "<http://h/?page=3>; rel=\"next\", <http://h/>; rel=\"prev\""
        );
        assert_eq!(link_header(None, None), None);
    }
}
