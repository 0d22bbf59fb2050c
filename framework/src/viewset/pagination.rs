//! Page-number pagination in DRF's shape, with RFC 8288 `Link` headers.

use http::HeaderValue;
use serde::Serialize;

use crate::ApiError;
use crate::renderers::Query;

/// DRF's paginated envelope.
#[derive(Serialize)]
pub(crate) struct PageBody<T> {
    pub(crate) count: u64,
    pub(crate) next: Option<String>,
    pub(crate) previous: Option<String>,
    pub(crate) results: Vec<T>,
}

/// Page size settings: the default and the most a client may ask for with `?page_size=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageSize {
    pub(crate) default: u64,
    pub(crate) max: u64,
}

/// The 1-based page and its size asked for by `?page=` and `?page_size=`. An empty `?page=` is
/// page 1; a page that is not a positive integer is 404 ("Invalid page."), as DRF; a page size that is not a positive
/// integer falls back to the default, and one above the maximum is capped, as DRF.
pub(crate) fn window(query: Query<'_>, size: PageSize) -> Result<(u64, u64), ApiError> {
    let page = match query.get("page").filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(invalid_page)?,
    };
    let page_size = query
        .get("page_size")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s >= 1)
        .map_or(size.default, |s| s.min(size.max));
    Ok((page, page_size))
}

pub(crate) fn invalid_page() -> ApiError {
    ApiError::not_found("Invalid page.")
}

/// The URL of `page` of the list at `base` + `path`, keeping every other query parameter in
/// its place; page 1 drops the parameter, as DRF.
pub(crate) fn page_url(base: &str, path: &str, query: Query<'_>, page: u64) -> String {
    let page = (page > 1).then(|| page.to_string());
    with_params(base, path, query, &[("page", page.as_deref())])
}

/// How a list is cut into pages: DRF's `PageNumberPagination` (`?page=&page_size=`) or
/// `LimitOffsetPagination` (`?limit=&offset=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `?page=` (1-based) and `?page_size=`; a page past the end is 404.
    PageNumber(PageSize),
    /// `?limit=` and `?offset=`; an offset past the end is an empty page.
    LimitOffset(PageSize),
}

/// `?limit=` (default when absent or not a positive integer, capped at the maximum) and
/// `?offset=` (0 when absent or not a non-negative integer; at most `i64::MAX`), as DRF.
pub(crate) fn limit_offset(query: Query<'_>, size: PageSize) -> (u64, u64) {
    let limit = query
        .get("limit")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s >= 1)
        .map_or(size.default, |s| s.min(size.max));
    let offset = query
        .get("offset")
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(0, |o| o.min(i64::MAX as u64));
    (limit, offset)
}

/// The next and previous URLs of a limit/offset window, as DRF builds them.
pub(crate) fn limit_offset_links(
    base: &str,
    path: &str,
    query: Query<'_>,
    (limit, offset): (u64, u64),
    count: u64,
) -> (Option<String>, Option<String>) {
    let limit_text = limit.to_string();
    let next = offset.checked_add(limit).filter(|&n| n < count).map(|n| {
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

/// `base` + `path` with the query's parameters in place, each of `params` set (at its first
/// occurrence, or appended) or removed (`None`).
fn with_params(
    base: &str,
    path: &str,
    query: Query<'_>,
    params: &[(&str, Option<&str>)],
) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let mut placed = vec![false; params.len()];
    for (k, v) in form_urlencoded::parse(query.as_str().as_bytes()) {
        match params.iter().position(|(name, _)| *name == k) {
            Some(i) => {
                if !placed[i]
                    && let Some(value) = params[i].1
                {
                    out.append_pair(&k, value);
                }
                placed[i] = true;
            }
            None => {
                out.append_pair(&k, &v);
            }
        }
    }
    for (i, (name, value)) in params.iter().enumerate() {
        if let (false, Some(value)) = (placed[i], value) {
            out.append_pair(name, value);
        }
    }
    let query = out.finish();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// `Link: <next>; rel="next", <previous>; rel="prev"` (RFC 8288), when there is either.
pub(crate) fn link_header(next: Option<&str>, previous: Option<&str>) -> Option<HeaderValue> {
    let links: Vec<String> = [(next, "next"), (previous, "prev")]
        .into_iter()
        .filter_map(|(url, rel)| Some(format!("<{}>; rel=\"{rel}\"", url?)))
        .collect();
    if links.is_empty() {
        return None;
    }
    HeaderValue::from_str(&links.join(", ")).ok()
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
        assert_eq!(window(Query::new("page_size=0"), SIZE).unwrap(), (1, 20));
        assert_eq!(window(Query::new("page_size=x"), SIZE).unwrap(), (1, 20));
        assert_eq!(window(Query::new("page="), SIZE).unwrap(), (1, 20));
        for bad in ["page=0", "page=-1", "page=x", "page=99999999999999999999"] {
            assert_eq!(
                window(Query::new(bad), SIZE).unwrap_err().status(),
                404,
                "{bad}"
            );
        }
    }

    #[test]
    fn page_urls_keep_other_parameters_in_place() {
        let q = Query::new("artist_name=Miles%20Davis&page=2&ordering=-title");
        assert_eq!(
            page_url("http://h", "/api/tracks/", q, 3),
            "http://h/api/tracks/?artist_name=Miles+Davis&page=3&ordering=-title"
        );
        assert_eq!(
            page_url("http://h", "/api/tracks/", q, 1),
            "http://h/api/tracks/?artist_name=Miles+Davis&ordering=-title"
        );
        assert_eq!(
            page_url("http://h", "/t/", Query::new(""), 2),
            "http://h/t/?page=2"
        );
    }

    #[test]
    fn limit_offset_follows_drf() {
        assert_eq!(limit_offset(Query::new(""), SIZE), (20, 0));
        assert_eq!(limit_offset(Query::new("limit=5&offset=10"), SIZE), (5, 10));
        assert_eq!(
            limit_offset(Query::new("limit=500&offset=-1"), SIZE),
            (100, 0)
        );
        assert_eq!(limit_offset(Query::new("limit=0&offset=x"), SIZE), (20, 0));
        let q = Query::new("ordering=title&offset=10&limit=5");
        assert_eq!(
            limit_offset_links("http://h", "/t/", q, (5, 10), 30),
            (
                Some("http://h/t/?ordering=title&offset=15&limit=5".into()),
                Some("http://h/t/?ordering=title&offset=5&limit=5".into())
            )
        );
        assert_eq!(
            limit_offset_links("http://h", "/t/", Query::new("offset=3"), (5, 3), 8),
            (None, Some("http://h/t/?limit=5".into()))
        );
        assert_eq!(
            limit_offset_links("http://h", "/t/", Query::new(""), (5, 0), 5),
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
