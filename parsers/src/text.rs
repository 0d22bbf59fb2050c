use crate::{Mime, ParseError, ParseErrorKind, Position};

/// Refuses a `charset` parameter other than UTF-8 (or its subset US-ASCII).
pub(crate) fn check_charset(content_type: &Mime) -> Result<(), ParseError> {
    match content_type.get_param(mime::CHARSET) {
        None => Ok(()),
        Some(cs) if cs == mime::UTF_8 || cs.as_str().eq_ignore_ascii_case("us-ascii") => Ok(()),
        Some(cs) => Err(ParseError::new(
            ParseErrorKind::UnsupportedCharset,
            "charset",
            format_args!("unsupported charset \"{cs}\": send the body as UTF-8"),
        )),
    }
}

/// The body as UTF-8 text, a leading byte-order mark removed; invalid UTF-8 is a
/// [`ParseErrorKind::Malformed`] error at the offending byte.
///
/// ```
/// use restframe_parsers::utf8_text;
/// assert_eq!(utf8_text("XML", b"\xEF\xBB\xBF<root/>").unwrap(), "<root/>");
/// let err = utf8_text("XML", b"ab\xFF").unwrap_err();
/// assert_eq!(err.position().and_then(|p| p.offset), Some(2));
/// ```
pub fn utf8_text<'a>(format: &'static str, body: &'a [u8]) -> Result<&'a str, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    std::str::from_utf8(body).map_err(|e| {
        ParseError::malformed(format, "invalid UTF-8").at(Position::offset(e.valid_up_to() as u64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_ascii_charsets_are_read_others_refused() {
        let ok = |s: &str| check_charset(&s.parse().unwrap()).is_ok();
        assert!(ok("application/json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("application/json; charset=UTF-8"));
        assert!(ok("text/csv; charset=us-ascii"));
        let err = check_charset(&"text/csv; charset=latin-1".parse().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::UnsupportedCharset);
        assert!(err.to_string().contains("latin-1"));
    }
}
