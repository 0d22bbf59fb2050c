//! Choosing a parser by the request's `Content-Type` (DRF's `select_parser`).

use std::sync::Arc;

use crate::error::ApiError;
use crate::parsers::{Mime, Parser, same_media_type};

/// Chooses the parser for a body of type `content_type` among the view's `parsers`: the first
/// whose media type or alias matches, else the first whose structured-syntax suffix matches
/// (`application/problem+json` → JSON). None matches, or the header is malformed → 415 listing
/// what the view parses.
///
/// ```
/// use std::sync::Arc;
/// use restframe::parsers::{JsonParser, Parser, YamlParser};
/// use restframe::negotiation::select_parser;
///
/// let parsers: Vec<Arc<dyn Parser>> = vec![Arc::new(JsonParser::new()), Arc::new(YamlParser::new())];
/// let (p, ct) = select_parser("application/problem+json; charset=utf-8", &parsers).unwrap();
/// assert_eq!(p.media_type().essence_str(), "application/json");
/// assert_eq!(ct.get_param("charset").unwrap(), "utf-8");
/// assert_eq!(select_parser("text/csv", &parsers).err().map(|e| e.status()), Some(http::StatusCode::UNSUPPORTED_MEDIA_TYPE));
/// ```
pub fn select_parser<'p>(
    content_type: &str,
    parsers: &'p [Arc<dyn Parser>],
) -> Result<(&'p Arc<dyn Parser>, Mime), ApiError> {
    let unsupported = || ApiError::unsupported_media_type(content_type, parsers);
    let mime: Mime = content_type.parse().map_err(|_| unsupported())?;
    let exact = |p: &&Arc<dyn Parser>| {
        let same = |m: &Mime| same_media_type(m, &mime);
        same(p.media_type()) || p.aliases().iter().any(same)
    };
    let parser = parsers
        .iter()
        .find(exact)
        .or_else(|| parsers.iter().find(|p| p.reads(&mime)))
        .ok_or_else(unsupported)?;
    Ok((parser, mime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parsers::{CsvParser, FormParser, JsonParser, MsgPackParser, XmlParser, YamlParser};

    fn all() -> Vec<Arc<dyn Parser>> {
        vec![
            Arc::new(JsonParser::new()),
            Arc::new(FormParser::new()),
            Arc::new(YamlParser::new()),
            Arc::new(XmlParser::new()),
            Arc::new(MsgPackParser::new()),
            Arc::new(CsvParser::new()),
        ]
    }

    fn chosen(ct: &str) -> String {
        match select_parser(ct, &all()) {
            Ok((p, _)) => p.media_type().essence_str().to_owned(),
            Err(e) => e.status().as_u16().to_string(),
        }
    }

    #[test]
    fn each_media_type_reaches_its_parser() {
        assert_eq!(chosen("application/json"), "application/json");
        assert_eq!(
            chosen("application/x-www-form-urlencoded"),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(chosen("application/yaml"), "application/yaml");
        assert_eq!(chosen("application/xml"), "application/xml");
        assert_eq!(chosen("text/xml; charset=utf-8"), "application/xml");
        assert_eq!(chosen("application/x-msgpack"), "application/msgpack");
        assert_eq!(chosen("text/csv"), "text/csv");
    }

    #[test]
    fn structured_syntax_suffixes_reach_their_parser() {
        assert_eq!(chosen("application/problem+json"), "application/json");
        assert_eq!(chosen("application/vnd.api+json"), "application/json");
        assert_eq!(chosen("application/atom+xml"), "application/xml");
        assert_eq!(chosen("application/openapi+yaml"), "application/yaml");
    }

    #[test]
    fn subtypes_compare_whole_before_the_suffix_is_tried() {
        assert_eq!(chosen("application/json+xml"), "application/xml");
        assert_eq!(chosen("application/msgpack+json"), "application/json");
        assert_eq!(chosen("APPLICATION/JSON"), "application/json");
    }

    #[test]
    fn unknown_or_malformed_content_types_are_415() {
        assert_eq!(chosen("text/plain"), "415");
        assert_eq!(chosen("application/pdf"), "415");
        assert_eq!(chosen("not a media type"), "415");
        assert_eq!(chosen(""), "415");
    }

    #[test]
    fn the_415_lists_what_the_view_parses() {
        let Err(e) = select_parser("text/plain", &all()) else {
            panic!("text/plain has no parser");
        };
        let body = serde_json::to_value(&e).unwrap();
        assert_eq!(body["supported"][0], "application/json");
        assert_eq!(
            body["detail"],
            "Unsupported media type \"text/plain\" in request."
        );
    }
}
