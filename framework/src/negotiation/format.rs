//! The explicit format of a request: a URL suffix (`/tracks/4.json`) or `?format=`.

use std::borrow::Cow;
use std::sync::Arc;

use crate::renderers::Renderer;

/// Splits a trailing `.{format}` off `path` when it names one of `renderers`' formats;
/// otherwise the path is left whole (so `/files/song.mp3` stays a path when no renderer has
/// format `mp3`). A trailing slash after the suffix is allowed (`/tracks.json/`).
///
/// ```
/// use std::sync::Arc;
/// use restframe::renderers::{JsonRenderer, Renderer};
/// use restframe::negotiation::split_format_suffix;
///
/// let rs: Vec<Arc<dyn Renderer>> = vec![Arc::new(JsonRenderer::new())];
/// assert_eq!(split_format_suffix("/tracks/4.json", &rs), ("/tracks/4", Some("json")));
/// assert_eq!(split_format_suffix("/tracks.json/", &rs), ("/tracks", Some("json")));
/// assert_eq!(split_format_suffix("/files/song.mp3", &rs), ("/files/song.mp3", None));
/// assert_eq!(split_format_suffix("/tracks/", &rs), ("/tracks/", None));
/// ```
pub fn split_format_suffix<'a>(
    path: &'a str,
    renderers: &[Arc<dyn Renderer>],
) -> (&'a str, Option<&'a str>) {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let Some(dot) = trimmed.rfind('.') else {
        return (path, None);
    };
    let (stem, format) = (&trimmed[..dot], &trimmed[dot + 1..]);
    if format.contains('/') || stem.is_empty() || stem.ends_with('/') {
        return (path, None);
    }
    if renderers.iter().any(|r| r.format() == format) {
        (stem, Some(format))
    } else {
        (path, None)
    }
}

/// The `format` query parameter, percent-decoded, if present and non-empty.
///
/// ```
/// assert_eq!(restframe::negotiation::query_format(Some("page=2&format=yaml")).as_deref(), Some("yaml"));
/// assert_eq!(restframe::negotiation::query_format(Some("format=")), None);
/// assert_eq!(restframe::negotiation::query_format(None), None);
/// ```
pub fn query_format(query: Option<&str>) -> Option<Cow<'_, str>> {
    query_format_param(query).filter(|v| !v.is_empty())
}

/// The `format` query parameter, percent-decoded, if present: empty when it has no value.
pub(crate) fn query_format_param(query: Option<&str>) -> Option<Cow<'_, str>> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v)
}
