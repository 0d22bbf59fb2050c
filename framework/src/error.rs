//! One error type for every failure a client can see.

use std::fmt;

use http::{HeaderName, HeaderValue, StatusCode};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use std::sync::Arc;

use crate::parsers::{DataError, ParseError, ParseErrorKind, Parser};
use crate::renderers::{RenderError, RenderErrorKind};

/// The code of a renderer's refusal to serve a request ([`RenderErrorKind::Refused`]): a 403
/// that another renderer renders.
pub(crate) const REFUSED: &str = "format_refused";

/// An error answered to the client: a status, a machine-readable code, a `detail` for the client
/// and an `internal` message for the log only (never sent).
///
/// Rendered in the negotiated format like any response: as JSON, `{"detail": "..."}`, or the
/// DRF-shaped field errors of [`ApiError::validation`].
///
/// ```
/// use restframe::ApiError;
/// let e = ApiError::not_found("No track with id 4.");
/// assert_eq!(e.status(), http::StatusCode::NOT_FOUND);
/// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"detail":"No track with id 4."}"#);
///
/// let e = ApiError::internal("database is down: connection refused");
/// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"detail":"A server error occurred."}"#);
/// assert_eq!(e.internal_detail(), Some("database is down: connection refused"));
/// ```
#[derive(Clone, Debug)]
pub struct ApiError(Box<Inner>);

/// Boxed so `Result<T, ApiError>` stays one pointer wide on the error side.
#[derive(Clone, Debug)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    detail: String,
    body: Option<Value>,
    internal: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code,
            detail: detail.into(),
            body: None,
            internal: None,
            headers: Vec::new(),
        }))
    }

    /// 400: a request the server cannot act on.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 400: a body that is not valid in its format (DRF's `ParseError`).
    pub fn parse_error(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parse_error", detail)
    }

    /// 400 with DRF-shaped field errors: `{"field": ["message"], "non_field_errors": ["..."]}`.
    ///
    /// ```
    /// use restframe::ApiError;
    /// let e = ApiError::validation([("title", "This field is required."), ("", "Bad pair.")]);
    /// assert_eq!(
    ///     serde_json::to_string(&e).unwrap(),
    ///     r#"{"title":["This field is required."],"non_field_errors":["Bad pair."]}"#
    /// );
    /// ```
    pub fn validation<'a>(errors: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut map = serde_json::Map::new();
        for (field, message) in errors {
            let key = if field.is_empty() {
                "non_field_errors"
            } else {
                field
            };
            if let Value::Array(list) = map.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                list.push(Value::String(message.to_owned()));
            }
        }
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid", "Invalid input.");
        e.0.body = Some(Value::Object(map));
        e
    }

    /// 409 with DRF-shaped field errors: a request valid in itself that conflicts with the
    /// stored rows (a value a unique column already holds). The body is DRF's 400 body; the
    /// status says that the same request may succeed once the data changes.
    ///
    /// ```
    /// use restframe::ApiError;
    /// let e = ApiError::conflict([("username", "This field must be unique.")]);
    /// assert_eq!(e.status(), http::StatusCode::CONFLICT);
    /// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"username":["This field must be unique."]}"#);
    /// ```
    pub fn conflict<'a>(errors: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut e = Self::validation(errors);
        e.0.status = StatusCode::CONFLICT;
        e.0.code = "unique";
        e
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 405, for a method the view does not allow.
    pub fn method_not_allowed(method: &http::Method) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("Method \"{method}\" not allowed."),
        )
    }

    /// 406, listing the media types on offer.
    pub fn not_acceptable(available: Vec<String>) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            "Could not satisfy the request Accept header.",
        );
        e.0.body = Some(serde_json::json!({"detail": e.0.detail, "available": available}));
        e
    }

    /// 401: the request carries no credentials (DRF's `NotAuthenticated`). The view adds
    /// `WWW-Authenticate` from its first authenticator, or answers 403 when that one has no
    /// challenge to offer (a cookie session), as DRF decides.
    ///
    /// ```
    /// let e = restframe::ApiError::not_authenticated();
    /// assert_eq!(e.status(), 401);
    /// assert_eq!(e.detail(), "Authentication credentials were not provided.");
    /// ```
    pub fn not_authenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided.",
        )
    }

    /// 401: the credentials are wrong (DRF's `AuthenticationFailed`, "Invalid token."); 403
    /// under the same rule as [`ApiError::not_authenticated`].
    pub fn authentication_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication_failed", detail)
    }

    /// 403: the user may not do this (DRF's `PermissionDenied`); `None` gives DRF's message.
    ///
    /// ```
    /// let e = restframe::ApiError::permission_denied(None);
    /// assert_eq!(e.status(), 403);
    /// assert_eq!(e.detail(), "You do not have permission to perform this action.");
    /// ```
    pub fn permission_denied(detail: Option<&str>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            detail.unwrap_or("You do not have permission to perform this action."),
        )
    }

    /// 429 (DRF's `Throttled`): with the wait, rounded up to whole seconds, in `Retry-After`
    /// and in the message.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = restframe::ApiError::throttled(Some(Duration::from_millis(41_200)));
    /// assert_eq!(e.status(), 429);
    /// assert_eq!(e.detail(), "Request was throttled. Expected available in 42 seconds.");
    /// assert_eq!(e.headers()[0].1, "42");
    /// ```
    pub fn throttled(wait: Option<std::time::Duration>) -> Self {
        let Some(wait) = wait else {
            return Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Request was throttled.",
            );
        };
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let unit = if secs == 1 { "second" } else { "seconds" };
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            format!("Request was throttled. Expected available in {secs} {unit}."),
        )
        .with_header(http::header::RETRY_AFTER, HeaderValue::from(secs))
    }

    /// Whether this is [`ApiError::not_authenticated`] or [`ApiError::authentication_failed`]:
    /// the errors DRF answers with a challenge.
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn is_authentication_error(&self) -> bool {
        matches!(self.0.code, "not_authenticated" | "authentication_failed")
    }

    /// The same error with another status (an authentication error without a challenge is a
    /// 403).
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.0.status = status;
        self
    }

    /// 413.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail)
    }

    /// 415, listing the media types `parsers` read.
    pub fn unsupported_media_type(content_type: &str, parsers: &[Arc<dyn Parser>]) -> Self {
        let supported: Vec<&str> = parsers
            .iter()
            .map(|p| p.media_type().essence_str())
            .collect();
        let detail = if content_type.is_empty() {
            "Missing Content-Type header for a request body.".to_owned()
        } else {
            format!("Unsupported media type \"{content_type}\" in request.")
        };
        let mut e = Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            detail,
        );
        e.0.body = Some(serde_json::json!({"detail": e.0.detail, "supported": supported}));
        e
    }

    /// 500. `internal` goes to the log; the client reads a generic message.
    pub fn internal(internal: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            "A server error occurred.",
        );
        e.0.internal = Some(internal.into());
        e
    }

    /// Adds a message for the log only.
    pub fn with_internal(mut self, internal: impl Into<String>) -> Self {
        self.0.internal = Some(internal.into());
        self
    }

    /// Adds a response header (`Allow` on a 405, `Retry-After` on a 503, …).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// The response headers added with [`ApiError::with_header`].
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.0.headers
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The machine-readable code (`not_found`, `parse_error`, …).
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The message for the client.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The message for the log, if any.
    pub fn internal_detail(&self) -> Option<&str> {
        self.0.internal.as_deref()
    }
}

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.body {
            Some(body) => body.serialize(s),
            None => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("detail", &self.0.detail)?;
                map.end()
            }
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status, self.0.detail)?;
        if let Some(internal) = &self.0.internal {
            write!(f, " ({internal})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        match e.kind() {
            ParseErrorKind::TooLarge => Self::payload_too_large(e.to_string()),
            // Writing an upload's temporary file failed: the server's fault, told to the log.
            ParseErrorKind::Io => Self::internal(e.to_string()),
            ParseErrorKind::UnsupportedCharset => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                e.to_string(),
            ),
            _ => Self::parse_error(e.to_string()),
        }
    }
}

/// A field error in DRF's words: a missing field is reported under its own name as "This field
/// is required.", and the parser's position suffix (`at line 1 column 9`) is dropped, since the
/// field name says where.
impl From<DataError> for ApiError {
    fn from(e: DataError) -> Self {
        // Every field's errors at once, from a type that checks field by field (a `Model`'s
        // inputs).
        if let Some(errors) = e.field_errors() {
            return Self::validation(errors.iter().map(|(f, m)| (f.as_str(), m.as_str())));
        }
        let message = strip_position(e.message());
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            let path = match e.path() {
                "" => field.to_owned(),
                parent => format!("{parent}.{field}"),
            };
            return Self::validation([(path.as_str(), "This field is required.")]);
        }
        Self::validation([(e.path(), drf_wording(message))])
    }
}

/// DRF's message for a value of the wrong type, in place of serde's wording (`invalid type:
/// string "x", expected i64`); any other message as it is.
fn drf_wording(message: &str) -> &str {
    let Some(expected) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected ").map(|(_, e)| e))
    else {
        return message;
    };
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "isize"
        | "usize" | "an integer" => "A valid integer is required.",
        "f32" | "f64" | "a number" => "A valid number is required.",
        // DRF's DecimalField message (`validation::DECIMAL_INVALID_MESSAGE`, which depends on
        // this module).
        e if e.starts_with("a Decimal type") => "A valid number is required.",
        "a boolean" => "Must be a valid boolean.",
        "a string" | "a borrowed string" => "Not a valid string.",
        _ => message,
    }
}

/// `message` without a trailing ` at line N column M`.
fn strip_position(message: &str) -> &str {
    let Some((head, tail)) = message.rsplit_once(" at line ") else {
        return message;
    };
    let is_position = tail.split_once(" column ").is_some_and(|(l, c)| {
        !l.is_empty() && !c.is_empty() && (l.to_owned() + c).bytes().all(|b| b.is_ascii_digit())
    });
    if is_position { head } else { message }
}

impl From<RenderError> for ApiError {
    fn from(e: RenderError) -> Self {
        match e.kind() {
            RenderErrorKind::Client => Self::bad_request(e.message()),
            RenderErrorKind::Unrepresentable => {
                Self::new(StatusCode::NOT_ACCEPTABLE, "not_representable", e.message())
            }
            RenderErrorKind::Refused => Self::new(StatusCode::FORBIDDEN, REFUSED, e.message()),
            _ => Self::internal(format!("render error: {e}")),
        }
    }
}

/// An I/O failure is the server's: a 500 whose `detail` stays generic, the error itself in
/// `internal` for the log.
///
/// ```
/// let e = restframe::ApiError::from(std::io::Error::other("disk full"));
/// assert_eq!(e.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
/// assert_eq!(e.detail(), "A server error occurred.");
/// assert_eq!(e.internal_detail(), Some("disk full"));
/// ```
impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::internal(e.to_string())
    }
}

#[cfg(test)]
mod drf_wording_tests {
    use super::drf_wording;

    #[test]
    fn serde_type_errors_get_drf_messages() {
        for (serde, drf) in [
            (
                "invalid type: string \"soon\", expected u16",
                "A valid integer is required.",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "Not a valid string.",
            ),
            (
                "invalid type: string \"x\", expected a boolean",
                "Must be a valid boolean.",
            ),
            (
                "invalid value: string \"abc\", expected a Decimal type representing a fixed-point number",
                "A valid number is required.",
            ),
            (
                "invalid type: map, expected f64",
                "A valid number is required.",
            ),
            // Anything else stays as it is.
            ("Date has wrong format.", "Date has wrong format."),
            (
                "invalid type: integer `5`, expected an image as base64 text",
                "invalid type: integer `5`, expected an image as base64 text",
            ),
        ] {
            assert_eq!(drf_wording(serde), drf, "{serde}");
        }
    }
}
