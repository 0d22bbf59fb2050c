use std::fmt;

/// Where in the input a format library located an error. Each part is present when the
/// library reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: Option<u64>,
    /// 1-based column.
    pub column: Option<u64>,
    /// 0-based byte offset.
    pub offset: Option<u64>,
}

impl Position {
    /// A line and column.
    pub fn line_column(line: u64, column: u64) -> Self {
        Self {
            line: Some(line),
            column: Some(column),
            offset: None,
        }
    }

    /// A byte offset.
    pub fn offset(offset: u64) -> Self {
        Self {
            line: None,
            column: None,
            offset: Some(offset),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column, self.offset) {
            (Some(l), Some(c), _) => write!(f, "line {l} column {c}"),
            (Some(l), None, _) => write!(f, "line {l}"),
            (None, _, Some(o)) => write!(f, "byte {o}"),
            _ => f.write_str("unknown position"),
        }
    }
}

/// What went wrong while parsing; the framework maps each to a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The body is not valid in its format, or a multipart body has more parts than
    /// [`crate::ParserLimits::max_parts`] (400).
    Malformed,
    /// The body is larger than [`crate::ParserLimits::max_body_bytes`], or the document it
    /// holds would take far more memory than its size (see [`ParseError::too_expansive`]), or
    /// an upload passes one of the upload limits (a file, a field, the text in all) (413).
    TooLarge,
    /// The body nests deeper than [`crate::ParserLimits::max_depth`] (400).
    TooDeep,
    /// The `charset` parameter names an encoding other than UTF-8 (415).
    UnsupportedCharset,
    /// The body stream itself failed (client went away, …) (400).
    Body,
    /// The server could not keep an upload: writing its temporary file failed (disk full,
    /// missing temporary directory, …). Not the client's fault (500); the message is for the
    /// log.
    Io,
}

/// A parser's failure: a kind, a human-readable message and, where known, a position.
///
/// ```
/// use restframe_parsers::{ParseError, ParseErrorKind, Position};
/// let e = ParseError::malformed("JSON", "expected `:`").at(Position::line_column(1, 9));
/// assert_eq!(e.kind(), ParseErrorKind::Malformed);
/// assert_eq!(e.to_string(), "JSON parse error: expected `:` at line 1 column 9");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    format: &'static str,
    message: String,
    position: Option<Position>,
}

impl ParseError {
    /// A new error of `kind` in `format` (`"JSON"`, `"XML"`, …).
    pub fn new(kind: ParseErrorKind, format: &'static str, message: impl fmt::Display) -> Self {
        Self {
            kind,
            format,
            message: message.to_string(),
            position: None,
        }
    }

    /// Malformed input.
    pub fn malformed(format: &'static str, message: impl fmt::Display) -> Self {
        Self::new(ParseErrorKind::Malformed, format, message)
    }

    /// Nested deeper than `limit`.
    pub fn too_deep(format: &'static str, limit: usize) -> Self {
        Self::new(
            ParseErrorKind::TooDeep,
            format,
            format_args!("nesting deeper than {limit} levels"),
        )
    }

    /// Larger than `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            ParseErrorKind::TooLarge,
            "body",
            format_args!("request body larger than {limit} bytes"),
        )
    }

    /// A `format` document whose parsed tree would take more than `limit` bytes of memory: a
    /// small body that expands (YAML aliases, CSV header names copied into every row), refused
    /// as [`ParseErrorKind::TooLarge`].
    ///
    /// ```
    /// use restframe_parsers::{ParseError, ParseErrorKind};
    /// let e = ParseError::too_expansive("YAML", 1_000);
    /// assert_eq!(e.kind(), ParseErrorKind::TooLarge);
    /// assert_eq!(e.to_string(), "YAML document expands past 1000 bytes in memory");
    /// ```
    pub fn too_expansive(format: &'static str, limit: usize) -> Self {
        Self::new(
            ParseErrorKind::TooLarge,
            format,
            format_args!("{format} document expands past {limit} bytes in memory"),
        )
    }

    /// Adds the position of the error.
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// Adds a position when there is one.
    pub fn at_opt(mut self, position: Option<Position>) -> Self {
        self.position = position;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The format's name.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// The message, without format name or position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the error is, when the format library says.
    pub fn position(&self) -> Option<Position> {
        self.position
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ParseErrorKind::TooLarge | ParseErrorKind::Body | ParseErrorKind::Io => {
                f.write_str(&self.message)?
            }
            _ => write!(f, "{} parse error: {}", self.format, self.message)?,
        }
        if let Some(p) = self.position {
            write!(f, " at {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
