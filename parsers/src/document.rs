use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::TextTree;

/// The callback a [`Document`] drives: it receives a deserializer over the whole document.
pub type Visit<'a> =
    dyn FnMut(&mut dyn erased_serde::Deserializer<'_>) -> Result<(), erased_serde::Error> + 'a;

/// A parsed body, in whatever form its format keeps best, that can drive a deserializer.
///
/// Self-describing formats (JSON, YAML, MessagePack) keep their bytes and deserialize straight
/// from them; text-only formats (XML, form, CSV) keep a [`TextTree`] whose strings are coerced
/// to numbers and booleans where the target type asks for them.
pub trait Document: Send + Sync + 'static {
    /// Calls `visit` with a deserializer over the whole document and passes on its result; also
    /// fails when the format finds trailing garbage after `visit` is done.
    fn deserialize_with(&self, visit: &mut Visit<'_>) -> Result<(), erased_serde::Error>;
}

/// A parsed request body: deserialize it into a typed value or a dynamic one.
///
/// ```
/// use restframe_parsers::Parsed;
///
/// // An empty body (no Content-Type, no bytes) is empty data: an empty object, `None`, `[]`.
/// let empty = Parsed::empty();
/// assert_eq!(empty.deserialize::<Option<u32>>().unwrap(), None);
/// assert_eq!(empty.to_value().unwrap(), serde_json::json!(null));
/// #[derive(serde::Deserialize, Default, Debug, PartialEq)]
/// #[serde(default)]
/// struct Filters { artist: Option<String> }
/// assert_eq!(empty.deserialize::<Filters>().unwrap(), Filters::default());
/// ```
pub struct Parsed {
    doc: Box<dyn Document>,
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed").finish_non_exhaustive()
    }
}

impl Parsed {
    /// Wraps a format's document.
    pub fn new(doc: impl Document) -> Self {
        Self { doc: Box::new(doc) }
    }

    /// The empty body.
    pub fn empty() -> Self {
        Self::new(TextTree::new(Value::Null))
    }

    /// Deserializes into `T`. A failure names the path of the field at fault (`artist.name`,
    /// `tags[2]`; empty for the whole document), so views can answer DRF-shaped field errors.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        let mut out = None;
        let mut path = String::new();
        let result =
            self.doc.deserialize_with(
                &mut |de| match serde_path_to_error::deserialize::<_, T>(de) {
                    Ok(v) => {
                        out = Some(v);
                        Ok(())
                    }
                    Err(e) => {
                        path = e.path().to_string();
                        Err(e.into_inner())
                    }
                },
            );
        match (result, out) {
            (Ok(()), Some(v)) => Ok(v),
            (Err(e), _) => Err(DataError {
                path: if path == "." { String::new() } else { path },
                message: e.to_string(),
            }),
            (Ok(()), None) => Err(DataError {
                path: String::new(),
                message: "the document was not read".into(),
            }),
        }
    }

    /// The document as a dynamic value (DRF's `request.data`). Text-only formats give strings
    /// for their scalars.
    pub fn to_value(&self) -> Result<Value, DataError> {
        self.deserialize()
    }
}

/// Well-formed data that does not fit the target type: the field path and what is wrong.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use restframe_parsers::{JsonParser, ParseContext, Parser};
/// #[derive(serde::Deserialize, Debug)]
/// #[allow(dead_code)]
/// struct Track { title: String, artist: Artist }
/// #[derive(serde::Deserialize, Debug)]
/// #[allow(dead_code)]
/// struct Artist { name: String }
///
/// let ct = "application/json".parse().unwrap();
/// let parsed = JsonParser::new()
///     .parse_bytes(r#"{"title": "x", "artist": {"name": 5}}"#.into(), &ParseContext::new(&ct))
///     .unwrap();
/// let err = parsed.deserialize::<Track>().unwrap_err();
/// assert_eq!(err.path(), "artist.name");
/// assert!(err.message().starts_with("invalid type: integer `5`, expected a string"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    path: String,
    message: String,
}

impl DataError {
    /// The dotted path of the field at fault; empty for the document itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DataError {}
