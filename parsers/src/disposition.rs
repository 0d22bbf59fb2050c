//! `Content-Disposition` parameters (RFC 6266 for a response or a raw upload, RFC 7578 for a
//! multipart part), with RFC 8187 extended values (`filename*=UTF-8''caf%C3%A9.txt`).

use percent_encoding::percent_decode_str;

/// The parameters of one `Content-Disposition` value, names lower-cased, in order.
#[derive(Debug, Default)]
pub(crate) struct Disposition {
    params: Vec<(String, String)>,
}

impl Disposition {
    /// Reads the parameters after the disposition type. Lenient, as browsers and old clients
    /// are: unquoted values run to the next `;`; in a quoted value only `\"` and `\\` are
    /// escapes, so an old browser's `filename="C:\path\a.txt"` keeps its backslashes (and then
    /// loses its directory part to [`crate::sanitize_filename`]).
    pub(crate) fn parse(value: &str) -> Self {
        let mut params = Vec::new();
        // The disposition type (`form-data`, `attachment`) comes first, unless a sloppy client
        // sent parameters only.
        let mut rest = match value.split_once(';') {
            Some((first, after)) if !first.contains('=') => after,
            Some(_) => value,
            None if value.contains('=') => value,
            None => "",
        };
        loop {
            rest = rest.trim_start_matches(|c: char| c == ';' || c.is_ascii_whitespace());
            if rest.is_empty() {
                break;
            }
            let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
            let name = rest[..name_end].trim().to_ascii_lowercase();
            rest = &rest[name_end..];
            let Some(after_eq) = rest.strip_prefix('=') else {
                continue; // a parameter without a value says nothing
            };
            let after_eq = after_eq.trim_start();
            let (value, after) = match after_eq.strip_prefix('"') {
                Some(quoted) => unquote(quoted),
                None => {
                    let end = after_eq.find(';').unwrap_or(after_eq.len());
                    (after_eq[..end].trim_end().to_owned(), &after_eq[end..])
                }
            };
            params.push((name, value));
            rest = after;
        }
        Self { params }
    }

    /// The first value of parameter `name` (lower case).
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `name` parameter: a multipart part's field name.
    #[cfg_attr(not(feature = "multipart"), allow(dead_code))]
    pub(crate) fn name(&self) -> Option<&str> {
        self.get("name")
    }

    /// Whether a filename is given at all (even empty, as a browser sends for a file input left
    /// empty): in a multipart body, what makes a part a file.
    #[cfg_attr(not(feature = "multipart"), allow(dead_code))]
    pub(crate) fn has_filename(&self) -> bool {
        self.get("filename").is_some() || self.get("filename*").is_some()
    }

    /// The filename as sent, not yet sanitised: `filename*` when it decodes (UTF-8 or
    /// ISO-8859-1), else `filename`.
    pub(crate) fn filename(&self) -> Option<String> {
        self.get("filename*")
            .and_then(decode_ext_value)
            .or_else(|| self.get("filename").map(str::to_owned))
    }
}

/// A quoted string's value and what follows its closing quote (the rest of the input when it
/// is never closed).
fn unquote(quoted: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = quoted.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &quoted[i + 1..]),
            '\\' => match chars.peek() {
                Some(&(_, next @ ('"' | '\\'))) => {
                    value.push(next);
                    chars.next();
                }
                _ => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    (value, "")
}

/// An RFC 8187 `ext-value`: `charset'language'percent-encoded`. UTF-8 and ISO-8859-1 are read
/// (RFC 8187 requires the first; RFC 5987 allowed the second); anything else is `None`.
fn decode_ext_value(value: &str) -> Option<String> {
    let value = value.trim_matches('"');
    let mut parts = value.splitn(3, '\'');
    let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_filename_quoted_or_not_in_any_order() {
        let d = Disposition::parse(r#"form-data; name="avatar"; filename="me.png""#);
        assert_eq!(d.name(), Some("avatar"));
        assert_eq!(d.filename().as_deref(), Some("me.png"));
        let d = Disposition::parse("form-data; filename=me.png; name=avatar");
        assert_eq!(d.name(), Some("avatar"));
        assert_eq!(d.filename().as_deref(), Some("me.png"));
        let d = Disposition::parse(r#"form-data; NAME = "a;b" ; Filename="x;y.txt""#);
        assert_eq!(d.name(), Some("a;b"));
        assert_eq!(d.filename().as_deref(), Some("x;y.txt"));
    }

    #[test]
    fn filename_star_is_preferred_and_decoded() {
        let d = Disposition::parse(
            r#"attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20caf%C3%A9.txt"#,
        );
        assert_eq!(d.filename().as_deref(), Some("naïve café.txt"));
        // Before or after `filename`, any case, with a language tag.
        let d = Disposition::parse("attachment; FILENAME*=utf-8'fr'%E2%82%AC.txt; filename=e.txt");
        assert_eq!(d.filename().as_deref(), Some("€.txt"));
        let d = Disposition::parse("attachment; filename*=iso-8859-1''caf%E9.txt");
        assert_eq!(d.filename().as_deref(), Some("café.txt"));
    }

    #[test]
    fn an_undecodable_filename_star_falls_back_to_filename() {
        for value in [
            "attachment; filename*=UTF-8''%FF%FE.txt; filename=plain.txt",
            "attachment; filename*=koi8-r''x.txt; filename=plain.txt",
            "attachment; filename*=no-quotes.txt; filename=plain.txt",
        ] {
            let d = Disposition::parse(value);
            assert_eq!(d.filename().as_deref(), Some("plain.txt"), "{value}");
        }
        assert_eq!(
            Disposition::parse("attachment; filename*=UTF-8''%FF").filename(),
            None
        );
    }

    #[test]
    fn quoted_strings_unescape_quotes_only() {
        let d = Disposition::parse(r#"form-data; name="f"; filename="C:\dir\say \"hi\".txt""#);
        assert_eq!(d.filename().as_deref(), Some(r#"C:\dir\say "hi".txt"#));
        let d = Disposition::parse(r#"form-data; filename="a\\b"; name="n""#);
        assert_eq!(d.filename().as_deref(), Some(r"a\b"));
        assert_eq!(d.name(), Some("n"));
        // Never closed: the rest of the value.
        let d = Disposition::parse(r#"form-data; name="open"#);
        assert_eq!(d.name(), Some("open"));
    }

    #[test]
    fn empty_filenames_and_missing_types() {
        let d = Disposition::parse(r#"form-data; name="file"; filename="""#);
        assert!(d.has_filename());
        assert_eq!(d.filename().as_deref(), Some(""));
        let d = Disposition::parse(r#"form-data; name="title""#);
        assert!(!d.has_filename());
        assert_eq!(
            Disposition::parse("filename=a.txt").filename().as_deref(),
            Some("a.txt")
        );
        assert_eq!(Disposition::parse("attachment").filename(), None);
        assert_eq!(Disposition::parse("").filename(), None);
        assert_eq!(Disposition::parse("attachment; filename").filename(), None);
    }
}
