use std::fmt;

/// Whose fault a [`RenderError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// The request cannot be rendered as asked (a malformed JSONP callback): a 400.
    Client,
    /// The data cannot be rendered by this renderer at all (a map given to a binary renderer):
    /// a bug in the view, a 500.
    Server,
    /// This data cannot be represented in this format (a key that is no XML name, a control
    /// character XML cannot hold, a table too large for CSV): the client should ask for another
    /// format, a 406 rendered by another renderer.
    Unrepresentable,
    /// This format is not served to this request, whatever the data (JSONP to a request with
    /// credentials): a 403 rendered by another renderer.
    Refused,
}

/// A renderer's failure, with a message a person can act on.
///
/// ```
/// use restframe_renderers::{RenderError, RenderErrorKind};
/// let e = RenderError::client("callback must be a JavaScript identifier");
/// assert_eq!(e.kind(), RenderErrorKind::Client);
/// assert_eq!(e.to_string(), "callback must be a JavaScript identifier");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    kind: RenderErrorKind,
    message: String,
}

impl RenderError {
    /// The client asked for something that cannot be rendered (400).
    pub fn client(message: impl fmt::Display) -> Self {
        Self {
            kind: RenderErrorKind::Client,
            message: message.to_string(),
        }
    }

    /// The data cannot be rendered by this renderer (500).
    pub fn server(message: impl fmt::Display) -> Self {
        Self {
            kind: RenderErrorKind::Server,
            message: message.to_string(),
        }
    }

    /// This data has no representation in this format (406).
    pub fn unrepresentable(message: impl fmt::Display) -> Self {
        Self {
            kind: RenderErrorKind::Unrepresentable,
            message: message.to_string(),
        }
    }

    /// This format is not served to this request (403), whatever the data.
    ///
    /// ```
    /// use restframe_renderers::{RenderError, RenderErrorKind};
    /// let e = RenderError::refused("served to anonymous requests only");
    /// assert_eq!(e.kind(), RenderErrorKind::Refused);
    /// ```
    pub fn refused(message: impl fmt::Display) -> Self {
        Self {
            kind: RenderErrorKind::Refused,
            message: message.to_string(),
        }
    }

    /// Whose fault it is.
    pub fn kind(&self) -> RenderErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}
