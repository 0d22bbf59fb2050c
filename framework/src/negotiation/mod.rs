//! Content negotiation (DRF's `negotiation.py`): which renderer answers a request, and which
//! parser reads its body.
//!
//! Renderer choice is a pure function of the `Accept` header ([`accept_header`] joins its
//! field lines), the explicit format (a URL suffix, [`split_format_suffix`], or `?format=`,
//! [`query_format`]) and the view's renderer list ([`negotiate`]). Parser choice is by
//! `Content-Type` ([`select_parser`]). A view that answers a whole range (`image/*`) asks
//! [`accepts`] whether its one concrete type is acceptable. See `docs/content-negotiation.md`.
//!
//! ```
//! use std::sync::Arc;
//! use restframe::negotiation::{accept_header, negotiate, query_format, Renderers};
//! use restframe::renderers::{JsonRenderer, Renderer, YamlRenderer};
//!
//! let renderers = Renderers::new([
//!     Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
//!     Arc::new(YamlRenderer::new()),
//! ]);
//! let mut headers = http::HeaderMap::new();
//! headers.append("accept", "application/yaml; q=0.9".parse().unwrap());
//! headers.append("accept", "application/json; q=0.5".parse().unwrap());
//! let format = query_format(Some("page=2"));
//! let chosen = negotiate(accept_header(&headers).as_deref(), format.as_deref(), &renderers).unwrap();
//! assert_eq!(chosen.format(), "yaml");
//! ```

mod accept;
mod format;
mod parser;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::header::ACCEPT;

pub use accept::MediaRange;
use accept::split_essence;
pub(crate) use format::query_format_param;
pub use format::{query_format, split_format_suffix};
pub use parser::select_parser;

use crate::error::ApiError;
use crate::renderers::Renderer;

/// A view's renderers in priority order, prepared once for negotiation: each media type the
/// renderers answer to is split into type and subtype and lower-cased ahead of time, so a
/// request pays only for comparing.
///
/// ```
/// use std::sync::Arc;
/// use restframe::negotiation::Renderers;
/// use restframe::renderers::{JsonRenderer, Renderer, YamlRenderer};
///
/// let renderers = Renderers::new([
///     Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
///     Arc::new(YamlRenderer::new()),
/// ]);
/// assert_eq!(renderers.len(), 2);
/// assert_eq!(renderers[1].format(), "yaml");
/// ```
#[derive(Clone)]
pub struct Renderers {
    list: Arc<[Arc<dyn Renderer>]>,
    /// Per renderer: its media type then its aliases.
    media: Arc<[Box<[SplitType]>]>,
}

/// A media type as lower-case `(type, subtype)`, the subtype whole (`vnd.api+json`).
type SplitType = (Box<str>, Box<str>);

impl Renderers {
    /// Prepares `renderers`, in priority order.
    pub fn new(renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        let list: Arc<[Arc<dyn Renderer>]> = renderers.into_iter().collect();
        let media = list
            .iter()
            .map(|r| {
                std::iter::once(r.media_type())
                    .chain(r.aliases())
                    .map(|m| {
                        let (t, s) = split_essence(m);
                        (t.to_ascii_lowercase().into(), s.to_ascii_lowercase().into())
                    })
                    .collect()
            })
            .collect();
        Self { list, media }
    }

    /// The renderers as a shared slice.
    pub fn shared(&self) -> &Arc<[Arc<dyn Renderer>]> {
        &self.list
    }
}

impl std::ops::Deref for Renderers {
    type Target = [Arc<dyn Renderer>];

    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

impl From<Vec<Arc<dyn Renderer>>> for Renderers {
    fn from(list: Vec<Arc<dyn Renderer>>) -> Self {
        Self::new(list)
    }
}

impl fmt::Debug for Renderers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|r| r.format()))
            .finish()
    }
}

/// The outcome of negotiation: the renderer and the media type the client accepted.
///
/// Handlers see it through `Request::negotiated`, so a view can vary its data by
/// format (DRF's `request.accepted_renderer`).
#[derive(Clone)]
pub struct Negotiated {
    index: usize,
    renderer: Arc<dyn Renderer>,
    /// `type/subtype` accepted; `params` follow after `essence_len`.
    accepted: String,
    essence_len: usize,
}

impl fmt::Debug for Negotiated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Negotiated")
            .field("index", &self.index)
            .field("format", &self.renderer.format())
            .field("accepted", &self.accepted)
            .finish()
    }
}

impl Negotiated {
    /// The chosen renderer.
    pub fn renderer(&self) -> &Arc<dyn Renderer> {
        &self.renderer
    }

    /// The chosen renderer's position in the view's list.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The renderer's format name (`json`, `yaml`, …).
    pub fn format(&self) -> &str {
        self.renderer.format()
    }

    /// The accepted media type's `type/subtype`: the client's when it named one, the renderer's
    /// when the client sent a wildcard.
    pub fn media_type(&self) -> &str {
        &self.accepted[..self.essence_len]
    }

    /// The accepted media type's parameters (`indent=4`), `q` excluded; empty when none.
    pub fn params(&self) -> &str {
        &self.accepted[self.essence_len..]
    }
}

/// Why no renderer could be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NegotiationError {
    /// Nothing in `Accept` matches any renderer (406). Lists the media types on offer.
    NotAcceptable {
        /// The renderers' media types, in the view's order.
        available: Vec<String>,
    },
    /// The explicit format names no renderer of the view (404, as DRF).
    UnknownFormat(String),
}

/// Chooses a renderer.
///
/// - `format` (URL suffix, else `?format=`) restricts the choice to the renderers of that
///   format and always yields one of them, whatever `Accept` says (the `Accept` parameters, such
///   as `indent`, still apply when they match); an unknown format is an error.
/// - Otherwise each renderer gets the weight of the most specific `Accept` range covering it;
///   `q=0` excludes it. The winner has the highest weight, then the most specific range, then
///   comes first in `renderers`.
/// - No `Accept` (or one whose every entry is malformed) selects the first renderer.
///
/// ```
/// use std::sync::Arc;
/// use restframe::renderers::{JsonRenderer, Renderer, YamlRenderer};
/// use restframe::negotiation::negotiate;
///
/// let renderers: Vec<Arc<dyn Renderer>> = vec![Arc::new(JsonRenderer::new()), Arc::new(YamlRenderer::new())];
/// let renderers = renderers.into(); // prepared once per view
/// let chosen = negotiate(Some("application/yaml, application/json;q=0.5"), None, &renderers).unwrap();
/// assert_eq!(chosen.format(), "yaml");
/// let chosen = negotiate(Some("application/yaml"), Some("json"), &renderers).unwrap();
/// assert_eq!(chosen.format(), "json");
/// assert!(negotiate(None, Some("xml"), &renderers).is_err());
/// ```
pub fn negotiate(
    accept: Option<&str>,
    format: Option<&str>,
    renderers: &Renderers,
) -> Result<Negotiated, NegotiationError> {
    let eligible = |r: &Arc<dyn Renderer>| format.is_none_or(|f| r.format() == f);
    if let Some(f) = format
        && !renderers.iter().any(eligible)
    {
        return Err(NegotiationError::UnknownFormat(f.to_owned()));
    }

    let ranges: Vec<MediaRange<'_>> = accept
        .map(|a| MediaRange::parse_all(a).collect())
        .unwrap_or_default();

    // (q, specificity, range) of the best candidate so far; earlier renderers win ties.
    let mut best: Option<(u16, u8, usize, Option<MediaRange<'_>>)> = None;
    for (index, renderer) in renderers.iter().enumerate() {
        if !eligible(renderer) {
            continue;
        }
        let (q, specificity, range) = if ranges.is_empty() {
            (1000, 0, None)
        } else {
            match weigh(&renderers.media[index], &ranges) {
                Some((q, s, r)) if q > 0 => (q, s, Some(r)),
                _ => continue,
            }
        };
        if best.is_none_or(|(bq, bs, _, _)| (q, specificity) > (bq, bs)) {
            best = Some((q, specificity, index, range));
        }
    }

    let (index, range) = match best {
        Some((_, _, index, range)) => (index, range),
        // An explicit format always yields its renderer, with the renderer's own media type.
        None if format.is_some() => match renderers.iter().position(eligible) {
            Some(index) => (index, None),
            // Checked above: an explicit format names at least one renderer.
            None => {
                return Err(NegotiationError::UnknownFormat(
                    format.unwrap_or_default().into(),
                ));
            }
        },
        None => {
            return Err(NegotiationError::NotAcceptable {
                available: renderers
                    .iter()
                    .map(|r| r.media_type().essence_str().to_owned())
                    .collect(),
            });
        }
    };
    let renderer = Arc::clone(&renderers[index]);
    let (accepted, essence_len) = match range {
        Some(r) if !r.is_wildcard() => {
            let mut s = String::with_capacity(r.type_.len() + r.subtype.len() + r.params.len() + 1);
            s.push_str(r.type_);
            s.push('/');
            s.push_str(r.subtype);
            let len = s.len();
            s.push_str(r.params);
            (s, len)
        }
        _ => {
            let s = renderer.media_type().essence_str().to_owned();
            let len = s.len();
            (s, len)
        }
    };
    Ok(Negotiated {
        index,
        renderer,
        accepted,
        essence_len,
    })
}

/// The weight a renderer gets from `Accept`: that of the most specific range covering its media
/// type or one of its aliases (the highest `q` among equally specific ones).
///
/// Range parameters (`indent=4`) are preferences the renderer may honour, so they do not stop a
/// match — except in a `q=0` range, which excludes only the parameterised variant it names; no
/// renderer produces that variant, so such a range excludes nothing.
fn weigh<'a>(media: &[SplitType], ranges: &[MediaRange<'a>]) -> Option<(u16, u8, MediaRange<'a>)> {
    let mut best: Option<(u16, u8, MediaRange<'a>)> = None;
    for (type_, subtype) in media {
        let covering = ranges
            .iter()
            .filter(|r| (r.q != 0 || r.params.is_empty()) && r.covers_parts(type_, subtype));
        for range in covering {
            let s = range.specificity();
            if best.is_none_or(|(bq, bs, _)| (s, range.q) > (bs, bq)) {
                best = Some((range.q, s, *range));
            }
        }
    }
    best
}

/// The `Accept` field value: several field lines combine into one list (RFC 9110 §5.3); a line
/// that is not visible ASCII is ignored.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.append("accept", "text/html".parse().unwrap());
/// headers.append("accept", "application/json".parse().unwrap());
/// assert_eq!(restframe::negotiation::accept_header(&headers).as_deref(), Some("text/html, application/json"));
/// ```
pub fn accept_header(headers: &http::HeaderMap) -> Option<Cow<'_, str>> {
    let mut lines = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let first = lines.next()?;
    match lines.next() {
        None => Some(Cow::Borrowed(first)),
        Some(second) => {
            let mut joined = format!("{first}, {second}");
            for line in lines {
                joined.push_str(", ");
                joined.push_str(line);
            }
            Some(Cow::Owned(joined))
        }
    }
}

/// Whether a request with these headers accepts `media_type`, weighed as [`negotiate`] weighs a
/// renderer: the most specific `Accept` range that covers it decides, and `q=0` refuses; no
/// (or no well-formed) `Accept` accepts anything, and a malformed `media_type` is refused. For
/// a view whose renderer answers a whole range (`image/*`) and that must check the one type it
/// has before answering with it.
///
/// ```
/// use restframe::negotiation::accepts;
///
/// let mut headers = http::HeaderMap::new();
/// assert!(accepts(&headers, "image/webp"));
/// headers.insert("accept", "image/*, image/webp;q=0".parse().unwrap());
/// assert!(accepts(&headers, "image/png"));
/// assert!(!accepts(&headers, "image/webp"));
/// assert!(!accepts(&headers, "application/json"));
/// ```
pub fn accepts(headers: &http::HeaderMap, media_type: &str) -> bool {
    let Some(accept) = accept_header(headers) else {
        return true;
    };
    let ranges: Vec<MediaRange<'_>> = MediaRange::parse_all(&accept).collect();
    if ranges.is_empty() {
        return true;
    }
    let Ok(target) = media_type.parse::<mime::Mime>() else {
        return false;
    };
    let (type_, subtype) = split_essence(&target);
    weigh(&[(type_.into(), subtype.into())], &ranges).is_some_and(|(q, _, _)| q > 0)
}

impl From<NegotiationError> for ApiError {
    fn from(e: NegotiationError) -> Self {
        match e {
            NegotiationError::NotAcceptable { available } => Self::not_acceptable(available),
            NegotiationError::UnknownFormat(f) => {
                Self::not_found(format!("Format \"{f}\" is not available here."))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The negotiation table: one test per row of the issue's list and then some.
    use std::sync::Arc;

    use super::*;
    use crate::renderers::{
        BinaryRenderer, CsvRenderer, JsonRenderer, JsonpRenderer, MsgPackRenderer,
        PlainTextRenderer, StaticHtmlRenderer, XmlRenderer, YamlRenderer,
    };

    const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                          image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

    fn api() -> Vec<Arc<dyn Renderer>> {
        vec![
            Arc::new(JsonRenderer::new()),
            Arc::new(YamlRenderer::new()),
            Arc::new(XmlRenderer::new()),
            Arc::new(MsgPackRenderer::new()),
            Arc::new(CsvRenderer::new()),
            Arc::new(JsonpRenderer::new()),
        ]
    }

    fn pick(accept: Option<&str>, format: Option<&str>, rs: &[Arc<dyn Renderer>]) -> String {
        match negotiate(accept, format, &Renderers::new(rs.to_vec())) {
            Ok(n) => format!("{} {}{}", n.format(), n.media_type(), n.params()),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn no_accept_header_selects_the_first_renderer() {
        assert_eq!(pick(None, None, &api()), "json application/json");
    }

    #[test]
    fn star_star_selects_the_first_renderer() {
        assert_eq!(pick(Some("*/*"), None, &api()), "json application/json");
    }

    #[test]
    fn chromes_accept_prefers_xml_at_q_0_9_over_json_at_0_8() {
        assert_eq!(pick(Some(CHROME), None, &api()), "xml application/xml");
    }

    #[test]
    fn chromes_accept_selects_html_when_a_view_has_it() {
        let mut rs = api();
        rs.push(Arc::new(StaticHtmlRenderer::new()));
        assert_eq!(pick(Some(CHROME), None, &rs), "html text/html");
    }

    #[test]
    fn q_zero_excludes_a_renderer_even_under_a_wildcard() {
        assert_eq!(
            pick(Some("application/json;q=0, */*"), None, &api()),
            "yaml application/yaml"
        );
        assert!(pick(Some("application/json;q=0"), None, &api()).starts_with("NotAcceptable"));
    }

    #[test]
    fn q_outranks_renderer_order() {
        assert_eq!(
            pick(Some("application/json;q=0.5, text/csv;q=0.9"), None, &api()),
            "csv text/csv"
        );
    }

    #[test]
    fn equal_q_falls_back_to_renderer_order() {
        assert_eq!(
            pick(Some("text/csv, application/yaml"), None, &api()),
            "yaml application/yaml"
        );
    }

    #[test]
    fn specificity_breaks_ties_at_equal_q() {
        // application/* (1) and application/yaml (2) at the same q: the concrete one wins.
        assert_eq!(
            pick(Some("application/*, application/yaml"), None, &api()),
            "yaml application/yaml"
        );
        // A range with parameters is more specific than the same range without.
        assert_eq!(
            pick(
                Some("application/yaml, application/json;indent=2"),
                None,
                &api()
            ),
            "json application/jsonindent=2"
        );
    }

    #[test]
    fn the_most_specific_range_sets_the_weight() {
        // */* would give JSON q=1, but the JSON range itself says 0.1.
        assert_eq!(
            pick(Some("*/*, application/json;q=0.1"), None, &api()),
            "yaml application/yaml"
        );
    }

    #[test]
    fn a_parameterised_q_zero_excludes_only_that_variant() {
        assert_eq!(
            pick(Some("application/json;indent=4;q=0, */*"), None, &api()),
            "json application/json"
        );
    }

    #[test]
    fn indent_parameter_reaches_the_renderer() {
        let n = negotiate(Some("application/json; indent=4"), None, &api().into()).unwrap();
        assert_eq!(
            (n.media_type(), n.params()),
            ("application/json", "indent=4")
        );
    }

    #[test]
    fn application_star_selects_the_first_application_renderer() {
        let rs: Vec<Arc<dyn Renderer>> = vec![
            Arc::new(CsvRenderer::new()),
            Arc::new(YamlRenderer::new()),
            Arc::new(JsonRenderer::new()),
        ];
        assert_eq!(
            pick(Some("application/*"), None, &rs),
            "yaml application/yaml"
        );
    }

    #[test]
    fn image_star_selects_a_png_renderer_with_its_own_type() {
        let rs: Vec<Arc<dyn Renderer>> = vec![
            Arc::new(JsonRenderer::new()),
            Arc::new(BinaryRenderer::new(mime::IMAGE_PNG, "png")),
        ];
        assert_eq!(pick(Some("image/*"), None, &rs), "png image/png");
        assert_eq!(
            pick(
                Some("image/avif,image/webp,image/apng,image/*,*/*;q=0.8"),
                None,
                &rs
            ),
            "png image/png"
        );
        assert!(pick(Some("image/webp"), None, &rs).starts_with("NotAcceptable"));
    }

    #[test]
    fn a_wildcard_renderer_takes_the_clients_concrete_type() {
        let rs: Vec<Arc<dyn Renderer>> = vec![Arc::new(BinaryRenderer::new(
            "image/*".parse().unwrap(),
            "img",
        ))];
        assert_eq!(pick(Some("image/webp"), None, &rs), "img image/webp");
    }

    #[test]
    fn msgpack_answers_its_alias() {
        assert_eq!(
            pick(Some("application/x-msgpack"), None, &api()),
            "msgpack application/x-msgpack"
        );
    }

    #[test]
    fn an_explicit_format_beats_a_conflicting_accept() {
        assert_eq!(
            pick(Some("application/yaml"), Some("json"), &api()),
            "json application/json"
        );
        assert_eq!(pick(Some("text/html"), Some("csv"), &api()), "csv text/csv");
    }

    #[test]
    fn an_explicit_format_keeps_matching_accept_parameters() {
        assert_eq!(
            pick(Some("application/json; indent=2"), Some("json"), &api()),
            "json application/jsonindent=2"
        );
    }

    #[test]
    fn jsonp_is_only_chosen_when_asked_for() {
        assert_eq!(pick(Some("*/*"), None, &api()), "json application/json");
        assert_eq!(
            pick(Some("application/javascript"), None, &api()),
            "jsonp application/javascript"
        );
        assert_eq!(
            pick(None, Some("jsonp"), &api()),
            "jsonp application/javascript"
        );
    }

    #[test]
    fn an_unknown_format_is_not_found() {
        assert_eq!(
            negotiate(None, Some("pdf"), &api().into()).unwrap_err(),
            NegotiationError::UnknownFormat("pdf".into())
        );
    }

    #[test]
    fn nothing_acceptable_lists_what_is_available() {
        let err = negotiate(Some("text/html, image/*"), None, &api().into()).unwrap_err();
        assert_eq!(
            err,
            NegotiationError::NotAcceptable {
                available: [
                    "application/json",
                    "application/yaml",
                    "application/xml",
                    "application/msgpack",
                    "text/csv",
                    "application/javascript"
                ]
                .map(String::from)
                .to_vec()
            }
        );
    }

    #[test]
    fn malformed_entries_are_skipped_not_fatal() {
        assert_eq!(
            pick(
                Some("garbage, text/csv;q=oops, application/yaml"),
                None,
                &api()
            ),
            "yaml application/yaml"
        );
        // Nothing well-formed at all: as if there were no Accept header.
        assert_eq!(pick(Some("garbage"), None, &api()), "json application/json");
    }

    #[test]
    fn text_plain_is_a_renderer_like_any_other() {
        let rs: Vec<Arc<dyn Renderer>> = vec![
            Arc::new(JsonRenderer::new()),
            Arc::new(PlainTextRenderer::new()),
        ];
        assert_eq!(pick(Some("text/*"), None, &rs), "txt text/plain");
    }
}
