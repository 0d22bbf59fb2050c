//! The `Accept` header, parsed per RFC 9110 §12.5.1 without allocating.

/// One media range of an `Accept` header: `type/subtype; params; q=0.8`.
///
/// ```
/// use restframe::negotiation::MediaRange;
/// let ranges: Vec<_> = MediaRange::parse_all("text/html, application/json; indent=4; q=0.5, bad").collect();
/// assert_eq!(ranges.len(), 2); // `bad` is malformed and skipped
/// assert_eq!((ranges[1].type_, ranges[1].subtype, ranges[1].params), ("application", "json", "indent=4"));
/// assert_eq!(ranges[1].q, 500);
/// assert_eq!(ranges[1].specificity(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaRange<'a> {
    /// The type, `*` for any.
    pub type_: &'a str,
    /// The subtype, `*` for any.
    pub subtype: &'a str,
    /// The parameters other than `q`, as written (`indent=4; charset=utf-8`); empty when none.
    pub params: &'a str,
    /// The weight in thousandths: `q=0.8` is 800; no `q` is 1000; 0 means "not acceptable".
    pub q: u16,
}

impl<'a> MediaRange<'a> {
    /// Parses every well-formed range of an `Accept` header value, in order; malformed ones
    /// (no `/`, `*/json`, a `q` outside 0–1 or with more than three decimals) are skipped.
    pub fn parse_all(header: &'a str) -> impl Iterator<Item = MediaRange<'a>> + 'a {
        split_outside_quotes(header, b',').filter_map(Self::parse)
    }

    /// Parses one range; `None` when malformed.
    pub fn parse(entry: &'a str) -> Option<Self> {
        let entry = entry.trim();
        let (essence, rest) = match entry.find(';') {
            Some(i) => (&entry[..i], &entry[i + 1..]),
            None => (entry, ""),
        };
        let (type_, subtype) = essence.trim().split_once('/')?;
        let (type_, subtype) = (type_.trim(), subtype.trim());
        if !is_token(type_) || !is_token(subtype) || (type_ == "*" && subtype != "*") {
            return None;
        }
        // Parameters before `q` belong to the media type; `q` and anything after it are weight
        // and extensions (RFC 9110 §12.4.2).
        let mut q = 1000;
        let mut params_end = rest.len();
        let mut offset = 0;
        for part in split_outside_quotes(rest, b';') {
            let start = offset;
            offset += part.len() + 1;
            let Some((name, value)) = part.split_once('=') else {
                if part.trim().is_empty() {
                    continue;
                }
                return None;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                q = parse_qvalue(value.trim())?;
                params_end = start;
                break;
            }
        }
        // Empty parameters at either end (`a/b; ; x=1; ;`) are no parameters: they must not
        // make the range more specific.
        let params = rest[..params_end.min(rest.len())]
            .trim_matches(|c: char| c == ';' || c.is_whitespace());
        Some(Self {
            type_,
            subtype,
            params,
            q,
        })
    }

    /// How specific the range is: `*/*` 0, `type/*` 1, `type/sub` 2, `type/sub;params` 3.
    pub fn specificity(&self) -> u8 {
        if self.type_ == "*" {
            0
        } else if self.subtype == "*" {
            1
        } else if self.params.is_empty() {
            2
        } else {
            3
        }
    }

    /// Whether the range has a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.type_ == "*" || self.subtype == "*"
    }

    /// Whether this range covers `media_type` (itself possibly a range, such as `image/*`).
    /// Subtypes compare whole, structured-syntax suffix included (`vnd.api+json`).
    pub fn covers(&self, media_type: &mime::Mime) -> bool {
        let (t, s) = split_essence(media_type);
        self.covers_parts(t, s)
    }

    /// [`MediaRange::covers`] for a media type already split into type and subtype.
    pub(crate) fn covers_parts(&self, type_: &str, subtype: &str) -> bool {
        self.type_ == "*"
            || (same_token(self.type_, type_)
                && (self.subtype == "*" || subtype == "*" || same_token(self.subtype, subtype)))
    }
}

/// Case-insensitive equality, with the (usual) exact match first.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a == b || a.eq_ignore_ascii_case(b))
}

/// A media type's `type` and whole `subtype` (mime's `subtype()` stops at a `+suffix`).
pub(crate) fn split_essence(media_type: &mime::Mime) -> (&str, &str) {
    let essence = media_type.essence_str();
    essence.split_once('/').unwrap_or((essence, ""))
}

/// RFC 9110 `qvalue`: `0(.ddd)?` or `1(.000)?`, as thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TOKEN[usize::from(b)])
}

/// RFC 9110 `tchar`, as a lookup table.
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    table
};

/// Splits on `sep`, except inside double-quoted strings.
fn split_outside_quotes(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    // Quoted parameter values are rare; without them a plain (memchr-accelerated) split does.
    let quoted = s.as_bytes().contains(&b'"');
    let mut plain = (!quoted).then(|| s.split(char::from(sep)));
    let mut careful = quoted.then(|| split_quoted(s, sep));
    std::iter::from_fn(move || match (&mut plain, &mut careful) {
        (Some(p), _) => p.next(),
        (_, Some(c)) => c.next(),
        _ => None,
    })
}

/// The byte-by-byte split for strings with quotes.
fn split_quoted(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if start > bytes.len() {
            return None;
        }
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if escaped {
                escaped = false;
            } else if in_quotes && b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == sep && !in_quotes {
                let part = &s[start..i - 1];
                start = i;
                return Some(part);
            }
        }
        let part = &s[start..];
        start = bytes.len() + 1;
        Some(part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Option<MediaRange<'_>> {
        MediaRange::parse(s)
    }

    #[test]
    fn q_values_follow_the_rfc_grammar() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0.8"), Some(800));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.123"), Some(123));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
        assert_eq!(parse_qvalue("2"), None);
        assert_eq!(parse_qvalue("abc"), None);
        assert_eq!(parse_qvalue(""), None);
    }

    #[test]
    fn params_before_q_are_kept_and_extensions_after_q_dropped() {
        let r = one("application/json ; indent=4 ; q=0.9 ; ext=1").unwrap();
        assert_eq!(r.params, "indent=4");
        assert_eq!(r.q, 900);
        let r = one("text/html;level=1").unwrap();
        assert_eq!((r.params, r.q), ("level=1", 1000));
    }

    #[test]
    fn empty_params_at_either_end_are_dropped() {
        // Found by the `accept` fuzz target: `; ;` left a `;` that counted as a parameter.
        for s in [
            "text/html; ;",
            "text/html;;",
            "text/html ; ; ; q=0.5",
            "text/html;",
        ] {
            let r = one(s).unwrap();
            assert_eq!((r.params, r.specificity()), ("", 2), "{s}");
        }
        assert_eq!(one("a/b;;x=1; ;").unwrap().params, "x=1");
        assert_eq!(one("a/b; x=1; ; y=2 ;").unwrap().params, "x=1; ; y=2");
    }

    #[test]
    fn malformed_entries_are_skipped() {
        let all: Vec<_> =
            MediaRange::parse_all("json, */json, a/b;q=7, /x, x/, text/plain;;, , a/b;foo")
                .collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].subtype, "plain");
    }

    #[test]
    fn quoted_commas_do_not_split_entries() {
        let all: Vec<_> = MediaRange::parse_all(r#"a/b; x="1,2", c/d"#).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].params, r#"x="1,2""#);
    }

    #[test]
    fn wildcards_cover_what_they_should() {
        let png: mime::Mime = "image/png".parse().unwrap();
        let any_image: mime::Mime = "image/*".parse().unwrap();
        assert!(one("image/*").unwrap().covers(&png));
        assert!(one("*/*").unwrap().covers(&png));
        assert!(one("IMAGE/PNG").unwrap().covers(&png));
        assert!(!one("image/webp").unwrap().covers(&png));
        assert!(one("image/webp").unwrap().covers(&any_image));
        assert!(!one("text/*").unwrap().covers(&any_image));
    }

    #[test]
    fn subtypes_compare_whole_with_their_suffix() {
        let api_json: mime::Mime = "application/vnd.api+json".parse().unwrap();
        assert!(one("application/vnd.api+json").unwrap().covers(&api_json));
        assert!(!one("application/vnd.api").unwrap().covers(&api_json));
        assert!(!one("application/json").unwrap().covers(&api_json));
    }
}
