//! What each renderer writes, its parser reads back into the same typed value.
//!
//! Every pair of `restframe-renderers` renderer and parser is tried on each kind of data. Form
//! bodies have no renderer: they are built the way `serde_urlencoded` writes a flat struct
//! (one pair per field, a pair per list item, `None` and empty lists left out).

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use restframe_parsers::{ParseContext, Parser};
use restframe_renderers::{RenderContext, Renderer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A renderer and the parser that reads what it writes.
struct Pair {
    name: &'static str,
    renderer: Box<dyn Renderer>,
    parser: Box<dyn Parser>,
}

// One `push` per format feature, so `vec![]` will not do.
#[allow(clippy::vec_init_then_push)]
fn pairs() -> Vec<Pair> {
    #[allow(unused_mut)]
    let mut pairs: Vec<Pair> = Vec::new();
    #[cfg(feature = "json")]
    pairs.push(Pair {
        name: "json",
        renderer: Box::new(restframe_renderers::JsonRenderer::new()),
        parser: Box::new(restframe_parsers::JsonParser::new()),
    });
    #[cfg(feature = "yaml")]
    pairs.push(Pair {
        name: "yaml",
        renderer: Box::new(restframe_renderers::YamlRenderer::new()),
        parser: Box::new(restframe_parsers::YamlParser::new()),
    });
    #[cfg(feature = "xml")]
    pairs.push(Pair {
        name: "xml",
        renderer: Box::new(restframe_renderers::XmlRenderer::new()),
        parser: Box::new(restframe_parsers::XmlParser::new()),
    });
    #[cfg(feature = "msgpack")]
    pairs.push(Pair {
        name: "msgpack",
        renderer: Box::new(restframe_renderers::MsgPackRenderer::new()),
        parser: Box::new(restframe_parsers::MsgPackParser::new()),
    });
    #[cfg(feature = "csv")]
    pairs.push(Pair {
        name: "csv",
        renderer: Box::new(restframe_renderers::CsvRenderer::new()),
        parser: Box::new(restframe_parsers::CsvParser::new()),
    });
    pairs
}

/// Renders `value` with the pair's renderer and reads it back as a `D`.
fn render_and_parse<S: Serialize, D: DeserializeOwned>(pair: &Pair, value: &S) -> D {
    let mut out = Vec::new();
    pair.renderer
        .render(value, &RenderContext::default(), &mut out)
        .unwrap_or_else(|e| panic!("{}: rendering failed: {e}", pair.name));
    let content_type = pair.renderer.media_type().clone();
    assert!(
        pair.parser.reads(&content_type),
        "{}: the parser does not read {content_type}",
        pair.name
    );
    let shown = String::from_utf8_lossy(&out).into_owned();
    let parsed = pair
        .parser
        .parse_bytes(out.into(), &ParseContext::new(&content_type))
        .unwrap_or_else(|e| panic!("{}: parsing failed: {e}\n{shown}", pair.name));
    parsed
        .deserialize()
        .unwrap_or_else(|e| panic!("{}: deserializing failed: {e}\n{shown}", pair.name))
}

/// Checks one value through every pair. CSV holds a table, so it gets a one-row list.
fn assert_round_trips<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    for pair in pairs() {
        if pair.name == "csv" {
            let back: Vec<T> = render_and_parse(&pair, &[value]);
            assert_eq!(back.len(), 1, "csv");
            assert_eq!(&back[0], value, "csv");
        } else {
            let back: T = render_and_parse(&pair, value);
            assert_eq!(&back, value, "{}", pair.name);
        }
    }
}

/// Checks a list through every pair, CSV included as is.
fn assert_list_round_trips<T>(values: &Vec<T>)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    for pair in pairs() {
        let back: Vec<T> = render_and_parse(&pair, values);
        assert_eq!(&back, values, "{}", pair.name);
    }
}

/// A form body as `serde_urlencoded` writes a flat struct: built with `form_urlencoded`.
#[cfg(feature = "form")]
fn form_body<T: Serialize>(value: &T) -> String {
    use serde_json::Value;

    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(_) | Value::Object(_) => panic!("form bodies are flat: {v}"),
            other => other.to_string(),
        }
    }
    let Value::Object(fields) = serde_json::to_value(value).unwrap() else {
        panic!("a form body is a struct or a map");
    };
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (key, v) in &fields {
        match v {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    form.append_pair(key, &text(item));
                }
            }
            Value::Object(map) if map.is_empty() => {}
            v => {
                form.append_pair(key, &text(v));
            }
        }
    }
    form.finish()
}

/// Checks a flat value through a form body and the form parser.
fn assert_form_round_trips<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    #[cfg(feature = "form")]
    {
        let body = form_body(value);
        let content_type = mime::APPLICATION_WWW_FORM_URLENCODED;
        let parsed = restframe_parsers::FormParser::new()
            .parse_bytes(body.clone().into(), &ParseContext::new(&content_type))
            .unwrap();
        let back: T = parsed
            .deserialize()
            .unwrap_or_else(|e| panic!("form: deserializing failed: {e}\n{body}"));
        assert_eq!(&back, value, "form");
    }
    #[cfg(not(feature = "form"))]
    let _ = value;
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Artist {
    name: String,
    country: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Track {
    id: u32,
    title: String,
    explicit: bool,
    rating: f64,
    artist: Artist,
    tags: Vec<String>,
    released: NaiveDate,
    added_at: DateTime<Utc>,
}

fn track(id: u32, title: &str, artist: &str, country: Option<&str>) -> Track {
    Track {
        id,
        title: title.into(),
        explicit: id.is_multiple_of(2),
        rating: 4.5,
        artist: Artist {
            name: artist.into(),
            country: country.map(Into::into),
        },
        tags: vec!["jazz".into(), "modal".into()],
        released: NaiveDate::from_ymd_opt(1959, 8, 17).unwrap(),
        added_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap(),
    }
}

#[test]
fn nested_structs_round_trip() {
    // Form bodies are flat: they have no nested structs.
    assert_round_trips(&track(4, "So What", "Miles Davis", Some("US")));
}

#[test]
fn unicode_round_trips() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Text {
        title: String,
        tags: Vec<String>,
    }
    let text = Text {
        title: "Beyoncé — 🎵 Ünïcødé".into(),
        tags: vec!["日本語".into(), "Ελληνικά".into(), "emoji 🎶🎸".into()],
    };
    assert_round_trips(&text);
    assert_form_round_trips(&text);
    let mut track = track(
        1,
        "Beyoncé — 🎵 Ünïcødé",
        "Björk Guðmundsdóttir",
        Some("Ísland"),
    );
    track.tags = vec!["ünïcødé".into()];
    assert_round_trips(&track);
}

#[test]
fn empty_lists_and_objects_round_trip() {
    #[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
    struct Nothing {}
    // CSV writes no column for an empty list or map, and a form body no pair: those fields read
    // back as missing, hence `#[serde(default)]`. (XML writes an empty element, which reads back
    // as empty; JSON, YAML and MessagePack carry empty containers as such.)
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Empties {
        id: u32,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        extra: BTreeMap<String, String>,
        #[serde(default)]
        nothing: Nothing,
    }
    let empties = Empties {
        id: 7,
        tags: vec![],
        extra: BTreeMap::new(),
        nothing: Nothing {},
    };
    assert_round_trips(&empties);
    assert_form_round_trips(&empties);
    // An empty list of rows: `[]`, an empty `<root>`, or a CSV body of no bytes at all.
    assert_list_round_trips::<Track>(&vec![]);
}

#[test]
fn null_round_trips() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Nulls {
        id: u32,
        label: Option<String>,
        year: Option<u16>,
        artist: Option<Artist>,
    }
    let nulls = Nulls {
        id: 3,
        label: None,
        year: None,
        artist: None,
    };
    assert_round_trips(&nulls);
    assert_form_round_trips(&nulls);
    assert_round_trips(&track(5, "Untitled", "Anonymous", None));
    assert_round_trips(&Nulls {
        id: 3,
        label: Some("Blue Note".into()),
        year: Some(1959),
        artist: Some(Artist {
            name: "Miles Davis".into(),
            country: None,
        }),
    });
}

#[test]
fn dates_round_trip() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Dates {
        released: NaiveDate,
        added_at: DateTime<Utc>,
        played_at: Vec<DateTime<Utc>>,
    }
    let dates = Dates {
        released: NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        added_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 15).unwrap()
            + chrono::Duration::milliseconds(250),
        played_at: vec![
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(),
        ],
    };
    assert_round_trips(&dates);
    assert_form_round_trips(&dates);
}

#[test]
fn a_list_of_structs_round_trips() {
    // The CSV case: one row per track. (Lists of different lengths in different rows would
    // come back padded with empty strings, since CSV gives every row every column.)
    let tracks = vec![
        track(1, "So What", "Miles Davis", Some("US")),
        track(2, "Jóga", "Björk", Some("IS")),
        track(3, "Teardrop, \"live\"", "Massive Attack", None),
    ];
    assert_list_round_trips(&tracks);
}

#[test]
#[cfg(feature = "full")]
fn every_format_is_tried() {
    let names: Vec<_> = pairs().iter().map(|p| p.name).collect();
    assert_eq!(names, ["json", "yaml", "xml", "msgpack", "csv"]);
}
