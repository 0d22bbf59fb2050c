use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::TextTree;
#[cfg(any(feature = "multipart", feature = "upload"))]
use crate::UploadedFile;

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

/// A parsed request body: deserialize it into a typed value or a dynamic one; with the
/// `multipart` or `upload` feature, also the files it carried ([`Parsed::files`]; none for the
/// other formats).
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
    #[cfg(any(feature = "multipart", feature = "upload"))]
    files: Vec<UploadedFile>,
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Parsed");
        #[cfg(any(feature = "multipart", feature = "upload"))]
        d.field("files", &self.files);
        d.finish_non_exhaustive()
    }
}

impl Parsed {
    /// Wraps a format's document.
    pub fn new(doc: impl Document) -> Self {
        Self {
            doc: Box::new(doc),
            #[cfg(any(feature = "multipart", feature = "upload"))]
            files: Vec::new(),
        }
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

/// The files of an upload (`multipart` or `upload` feature). Other formats have none; the
/// document holds only a multipart body's text fields (a raw upload's is an empty object).
#[cfg(any(feature = "multipart", feature = "upload"))]
impl Parsed {
    /// Adds files to the document: for parsers that receive them.
    ///
    /// ```
    /// use restframe_parsers::Parsed;
    /// let parsed = Parsed::empty().with_files(Vec::new());
    /// assert!(parsed.files().is_empty());
    /// ```
    pub fn with_files(mut self, files: Vec<UploadedFile>) -> Self {
        self.files.extend(files);
        self
    }

    /// The uploaded files, in the order they came.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("cover.png");
    /// let parsed = FileUploadParser::new().parse_bytes("png bytes".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files().len(), 1);
    /// assert_eq!(parsed.files()[0].filename(), "cover.png");
    /// # }
    /// ```
    pub fn files(&self) -> &[UploadedFile] {
        &self.files
    }

    /// The first file sent in field `field_name`.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("cover.png");
    /// let parsed = FileUploadParser::new().parse_bytes("png bytes".into(), &ctx).unwrap();
    /// assert_eq!(parsed.file("file").map(|f| f.size()), Some(9));
    /// assert!(parsed.file("avatar").is_none());
    /// # }
    /// ```
    pub fn file(&self, field_name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field_name() == field_name)
    }

    /// Takes all the files out (to persist them, which needs ownership); afterwards
    /// [`Parsed::files`] is empty.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("cover.png");
    /// let mut parsed = FileUploadParser::new().parse_bytes("png".into(), &ctx).unwrap();
    /// let files = parsed.take_files();
    /// assert_eq!(files.len(), 1);
    /// assert!(parsed.files().is_empty());
    /// # }
    /// ```
    pub fn take_files(&mut self) -> Vec<UploadedFile> {
        std::mem::take(&mut self.files)
    }

    /// Takes out the first file sent in field `field_name`.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("cover.png");
    /// let mut parsed = FileUploadParser::new().parse_bytes("png".into(), &ctx).unwrap();
    /// let file = parsed.take_file("file").unwrap();
    /// assert_eq!(file.filename(), "cover.png");
    /// assert!(parsed.take_file("file").is_none());
    /// # }
    /// ```
    pub fn take_file(&mut self, field_name: &str) -> Option<UploadedFile> {
        let i = self
            .files
            .iter()
            .position(|f| f.field_name() == field_name)?;
        Some(self.files.remove(i))
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

    /// The field errors a type raised with [`FieldErrors`](crate::FieldErrors), each field
    /// named under this error's path (`artist.name` for `name` at `artist`); `None` when the
    /// error is not one of those.
    ///
    /// ```
    /// use restframe_parsers::{FieldErrors, Parsed, TextTree};
    /// #[derive(Debug)]
    /// struct Never;
    /// impl<'de> serde::Deserialize<'de> for Never {
    ///     fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
    ///         Err(serde::de::Error::custom(FieldErrors::from(vec![("a".into(), "Bad.".into())])))
    ///     }
    /// }
    /// let err = Parsed::new(TextTree::new(serde_json::json!({}))).deserialize::<Never>().unwrap_err();
    /// assert_eq!(err.field_errors(), Some(vec![("a".to_owned(), "Bad.".to_owned())]));
    /// ```
    pub fn field_errors(&self) -> Option<Vec<(String, String)>> {
        let errors = crate::FieldErrors::from_message(&self.message)?.into_vec();
        Some(
            errors
                .into_iter()
                .map(
                    |(field, message)| match (self.path.as_str(), field.as_str()) {
                        ("", _) => (field, message),
                        (path, "") => (path.to_owned(), message),
                        (path, _) => (format!("{path}.{field}"), message),
                    },
                )
                .collect(),
        )
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
