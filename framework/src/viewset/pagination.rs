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
    let mut out = form_urlencoded::Serializer::new(String::new());
    let mut placed = false;
    for (k, v) in form_urlencoded::parse(query.as_str().as_bytes()) {
        if k == "page" {
            if !placed && page > 1 {
                out.append_pair("page", &page.to_string());
            }
            placed = true;
        } else {
            out.append_pair(&k, &v);
        }
    }
    if !placed && page > 1 {
        out.append_pair("page", &page.to_string());
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
    fn link_header_names_next_and_prev() {
        assert_eq!(
            link_header(Some("http://h/?page=3"), Some("http://h/")).unwrap(),
            "<http://h/?page=3>; rel=\"next\", <http://h/>; rel=\"prev\""
        );
        assert_eq!(link_header(None, None), None);
    }
}
