//! Every missing required field at once, as DRF reports them. serde stops at the first missing
//! field; on that error path only, the body is tried again with a stand-in for each missing
//! field found so far, until no further field is missing.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::parsers::Parsed;

/// The field named by serde's `missing field `x`` message at the top level, if that is what
/// `(path, message)` says.
pub(crate) fn missing_field<'a>(path: &str, message: &'a str) -> Option<&'a str> {
    if !path.is_empty() {
        return None;
    }
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The top-level fields `T` requires and `parsed` lacks, starting with `first` (the one serde
/// reported). Best effort: the search stops at anything it cannot see past (a body that is not
/// a map, a present field that does not fit, a field no stand-in fits).
pub(crate) fn all_missing<T: DeserializeOwned>(parsed: &Parsed, first: &str) -> Vec<String> {
    let mut missing = vec![first.to_owned()];
    let Ok(Value::Object(mut map)) = parsed.to_value() else {
        return missing;
    };
    // Stand-ins for the common field types: strings, numbers, booleans, lists, maps, dates.
    let stand_ins = [
        json!(""),
        json!(0),
        json!(false),
        json!([]),
        json!({}),
        json!("2000-01-01"),
    ];
    while missing.len() < 64 {
        let Some(field) = missing.last().cloned() else {
            break;
        };
        let mut next = None;
        for stand_in in &stand_ins {
            map.insert(field.clone(), stand_in.clone());
            match try_fields::<T>(&map) {
                Ok(()) => return missing,
                Err((path, _)) if path == field => continue,
                Err((path, message)) => {
                    next = missing_field(&path, &message).map(str::to_owned);
                    break;
                }
            }
        }
        match next {
            Some(f) if !missing.contains(&f) => missing.push(f),
            _ => break,
        }
    }
    missing
}

fn try_fields<T: DeserializeOwned>(map: &Map<String, Value>) -> Result<(), (String, String)> {
    match serde_path_to_error::deserialize::<_, T>(Value::Object(map.clone())) {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            Err((path, e.into_inner().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::all_missing;
    use crate::Date;
    use crate::parsers::{JsonParser, ParseContext, Parser};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Track {
        title: String,
        artist_name: String,
        year: u16,
        release_date: Date,
        tags: Vec<String>,
        note: Option<String>,
    }

    fn parse(body: &str) -> crate::parsers::Parsed {
        JsonParser::new()
            .parse_bytes(
                body.as_bytes().to_vec().into(),
                &ParseContext::new(&mime::APPLICATION_JSON),
            )
            .unwrap()
    }

    #[test]
    fn finds_every_missing_field_in_order() {
        let parsed = parse(r#"{"artist_name": "x"}"#);
        assert_eq!(
            all_missing::<Track>(&parsed, "title"),
            ["title", "year", "release_date", "tags"]
        );
    }

    #[test]
    fn stops_at_a_present_field_that_does_not_fit() {
        let parsed = parse(r#"{"artist_name": 5}"#);
        assert_eq!(all_missing::<Track>(&parsed, "title"), ["title"]);
    }
}
