//! Validation of input beyond its types: DRF-shaped field errors.

use std::fmt;

use crate::ApiError;

/// The pattern an email address must match (Django's `EmailValidator`, simplified); written
/// for both the `regex` crate and ECMA-262, so a schema's `pattern` can say it.
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

/// The pattern of a text with no NUL character (U+0000), which no text a SQL repository stores
/// or filters on may hold ("Null characters are not allowed."): the schema of a text field or
/// query parameter that has no pattern of its own says it, for both the `regex` crate and
/// ECMA-262.
///
/// ```
/// let re = regex::Regex::new(restframe::validation::NUL_FREE_PATTERN).unwrap();
/// assert!(re.is_match("So What") && re.is_match(""));
/// assert!(!re.is_match("a\0b"));
/// ```
pub const NUL_FREE_PATTERN: &str = r"^[^\x00]*$";

/// Checks a deserialized input, collecting every problem (not just the first), as DRF's
/// serializers do. Types are already checked by deserialization; this is for lengths, ranges,
/// formats and cross-field rules.
///
/// ```
/// use restframe::{Validate, ValidationErrors};
///
/// #[derive(serde::Deserialize)]
/// struct NewTrack { title: String, artist_name: String }
///
/// impl Validate for NewTrack {
///     fn validate(&self) -> Result<(), ValidationErrors> {
///         let mut errors = ValidationErrors::new();
///         errors.length("title", &self.title, 1, 100);
///         errors.length("artist_name", &self.artist_name, 1, 100);
///         errors.into_result()
///     }
/// }
///
/// let bad = NewTrack { title: String::new(), artist_name: "x".repeat(101) };
/// let err = restframe::ApiError::from(bad.validate().unwrap_err());
/// assert_eq!(
///     serde_json::to_string(&err).unwrap(),
///     r#"{"title":["This field may not be blank."],"artist_name":["Ensure this field has no more than 100 characters."]}"#
/// );
/// ```
pub trait Validate {
    /// Every problem with `self`, by field; `Ok` when there is none.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }
}

/// Field errors collected by [`Validate::validate`]; an empty field name is a
/// `non_field_errors` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<(String, String)>);

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an error for `field` (`""` for the input as a whole).
    pub fn add(&mut self, field: &str, message: impl fmt::Display) {
        self.0.push((field.to_owned(), message.to_string()));
    }

    /// Checks that `value`, unless empty, is an email address (DRF's `EmailField`, matching
    /// [`EMAIL_PATTERN`]), with DRF's message.
    ///
    /// ```
    /// let mut errors = restframe::ValidationErrors::new();
    /// errors.email("email", "ada@example.org");
    /// errors.email("contact", "ada at example");
    /// let e = errors.into_result().unwrap_err();
    /// assert_eq!(e.to_string(), "contact: Enter a valid email address.");
    /// ```
    pub fn email(&mut self, field: &str, value: &str) {
        static EMAIL: std::sync::LazyLock<Option<regex::Regex>> =
            std::sync::LazyLock::new(|| regex::Regex::new(EMAIL_PATTERN).ok());
        if !value.is_empty() && !EMAIL.as_ref().is_some_and(|re| re.is_match(value)) {
            self.add(field, "Enter a valid email address.");
        }
    }

    /// Checks that `value` has `min..=max` characters, with DRF's messages.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n == 0 && min > 0 {
            self.add(field, "This field may not be blank.");
        } else if n < min {
            self.add(
                field,
                format_args!("Ensure this field has at least {min} characters."),
            );
        } else if n > max {
            self.add(
                field,
                format_args!("Ensure this field has no more than {max} characters."),
            );
        }
    }

    /// Whether no error was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The `(field, message)` pairs.
    pub fn errors(&self) -> &[(String, String)] {
        &self.0
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::validation(e.0.iter().map(|(f, m)| (f.as_str(), m.as_str())))
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, message)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
