//! Route patterns: `/api/tracks/{id}/upload/{filename:[A-Za-z0-9_]+\.mp3}/`, compiled once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use regex::Regex;

use super::RouteError;

/// The capture regex when a pattern gives none (DRF's `lookup_value_regex`): no slash, no dot,
/// so a format suffix is never swallowed by a capture.
const DEFAULT_CAPTURE: &str = "[^/.]+";

/// The name of the internal capture for the format suffix.
const FORMAT: &str = "__format";

/// A compiled route pattern.
#[derive(Clone, Debug)]
pub(crate) struct PathPattern {
    source: String,
    /// The pattern with each capture as `{name}` (an OpenAPI path template).
    template: String,
    regex: Regex,
    /// Each capture's name and its own regex, anchored, to check the decoded value against.
    captures: Vec<(String, Regex)>,
    /// Per capture, what its regex says of a [`plain`] value when it is one of
    /// [`SEGMENT_CAPTURES`] (checked without running it: a page's links are many).
    plain_fits: Vec<Option<PlainFit>>,
    /// The text around the captures, one more piece than there are captures: the template is
    /// `pieces[0] {c0} pieces[1] {c1} … pieces[n]`.
    pieces: Vec<String>,
    /// The pattern's text before its first capture (all of it without one), its trailing
    /// slash left out: every path the regex matches starts with it, so a path that does not is
    /// turned away without running the regex (a router tries each route in turn).
    literal: String,
    /// Whether the pattern ends in `/` (and its regex does not take the slash).
    slash: bool,
    /// Whether every capture is a whole segment (`/` before it, `/` or the end after it) of a
    /// regex that matches within one segment ([`SEGMENT_CAPTURES`]): then a value of [`plain`]
    /// characters that its regex matches comes back from the path as given, so
    /// [`fill`](Self::fill) need not match the path again.
    segments: bool,
    /// How to match a path without the regex, for patterns of whole-segment captures that
    /// hold no dot ([`Plain`]); `None` for every other pattern.
    plain: Option<Plain>,
}

/// A pattern that [`PathPattern::matches`] reads without its regex, with the same result: each
/// capture is a whole segment of one of the [`Class`]es (none holds `/` or `.`), so it is the
/// longest run of its characters, and what follows it (`/`, a `.` before a format, the end)
/// can never be part of it.
#[derive(Clone, Debug)]
struct Plain {
    /// Each capture's characters, in order.
    classes: Vec<Class>,
    /// The text after the last capture, the pattern's trailing slash left out.
    tail: String,
    /// The format suffixes the route accepts.
    formats: Vec<String>,
}

/// The characters of a capture regex that [`Plain`] reads by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// [`DEFAULT_CAPTURE`], `[^/.]+`: decoded, it must still hold no `/` and no `.`.
    NoDot,
    /// `[0-9]+` (not `\d+`, which takes every Unicode digit).
    Digits,
    /// `[a-zA-Z0-9_-]+`.
    Word,
}

impl Class {
    fn of(re: &str) -> Option<Self> {
        match re {
            DEFAULT_CAPTURE => Some(Self::NoDot),
            "[0-9]+" => Some(Self::Digits),
            "[a-zA-Z0-9_-]+" => Some(Self::Word),
            _ => None,
        }
    }

    fn takes(self, c: char) -> bool {
        match self {
            Self::NoDot => c != '/' && c != '.',
            Self::Digits => c.is_ascii_digit(),
            Self::Word => c.is_ascii_alphanumeric() || c == '_' || c == '-',
        }
    }
}

/// Capture regexes that match within one segment (no `/`): the default, and the usual id
/// patterns.
const SEGMENT_CAPTURES: [&str; 5] = [DEFAULT_CAPTURE, "[0-9]+", r"\d+", "[^/]+", "[a-zA-Z0-9_-]+"];

/// Whether a [`plain`] value fits one capture regex, without running it.
type PlainFit = fn(&str) -> bool;

/// What the capture regex `re` says of a [`plain`] value, as a plain function, when `re` is one
/// of [`SEGMENT_CAPTURES`].
fn plain_fit(re: &str) -> Option<PlainFit> {
    fn any(_: &str) -> bool {
        true
    }
    fn digits(v: &str) -> bool {
        v.bytes().all(|b| b.is_ascii_digit())
    }
    fn word(v: &str) -> bool {
        !v.contains('~')
    }
    match re {
        // A plain value holds no `/` and no `.`, and only ASCII (so `\d` is `[0-9]`).
        DEFAULT_CAPTURE | "[^/]+" => Some(any),
        "[0-9]+" | r"\d+" => Some(digits),
        "[a-zA-Z0-9_-]+" => Some(word),
        _ => None,
    }
}

/// Whether `value` needs no percent-encoding and holds no dot (which a format suffix or a
/// dot-segment could take): ASCII letters, digits, `-`, `_` and `~`, at least one.
fn plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~'))
}

/// What a matching path yields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathMatch {
    /// `(name, value)` per capture, in pattern order.
    pub(crate) params: Vec<(String, String)>,
    /// The format suffix, when the path had one.
    pub(crate) format: Option<String>,
}

impl PathPattern {
    /// Compiles `source`. `formats` are the suffixes the route accepts (`json`, `yaml`, …): a
    /// path may end in `.{format}` before its optional trailing slash. The trailing slash itself
    /// is optional: `/tracks` and `/tracks/` are the same route.
    pub(crate) fn compile(source: &str, formats: &[&str]) -> Result<Self, RouteError> {
        let bad = |why: String| RouteError::Pattern {
            pattern: source.to_owned(),
            why,
        };
        if !source.starts_with('/') {
            return Err(bad("a pattern starts with `/`".into()));
        }
        let body = source.strip_suffix('/').unwrap_or(source);
        let mut regex = String::from("^");
        let mut captures: Vec<(String, Regex)> = Vec::new();
        let mut plain_fits = Vec::new();
        let mut rest = body;
        let mut template = String::new();
        let mut pieces: Vec<String> = Vec::new();
        let mut segments = true;
        while let Some(open) = rest.find('{') {
            regex.push_str(&regex::escape(&rest[..open]));
            template.push_str(&rest[..open]);
            pieces.push(rest[..open].to_owned());
            let close = matching_brace(&rest[open..])
                .ok_or_else(|| bad(format!("unclosed `{{` at `{}`", &rest[open..])))?;
            let capture = &rest[open + 1..open + close];
            let (name, re) = capture
                .split_once(':')
                .unwrap_or((capture, DEFAULT_CAPTURE));
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(bad(format!(
                    "`{name}` is not a capture name (letters, digits, `_`)"
                )));
            }
            if name.starts_with("__") || captures.iter().any(|(n, _)| n == name) {
                return Err(bad(format!("capture `{name}` is reserved or repeated")));
            }
            let after = &rest[open + close + 1..];
            segments &= SEGMENT_CAPTURES.contains(&re)
                && rest[..open].ends_with('/')
                && (after.is_empty() || after.starts_with('/'));
            let own = Regex::new(&format!("^(?:{re})$"))
                .map_err(|e| bad(format!("capture `{name}`: {e}")))?;
            regex.push_str(&format!("(?P<{name}>{re})"));
            captures.push((name.to_owned(), own));
            plain_fits.push(plain_fit(re));
            template.push('{');
            template.push_str(name);
            template.push('}');
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(bad("unmatched `}`".into()));
        }
        regex.push_str(&regex::escape(rest));
        // What is left of the source, its trailing slash included.
        template.push_str(&source[body.len() - rest.len()..]);
        pieces.push(source[body.len() - rest.len()..].to_owned());
        if !formats.is_empty() {
            let alternatives: Vec<String> = formats.iter().map(|f| regex::escape(f)).collect();
            regex.push_str(&format!("(?:\\.(?P<{FORMAT}>{}))?", alternatives.join("|")));
        }
        // A pattern ending in `/` owns its slash: the path's is taken off before matching (see
        // `matches`), so a capture whose regex takes slashes (`{path:.+}/`) never swallows it.
        // Any other pattern takes an optional slash after it, as it always has.
        let slash = source.ends_with('/');
        regex.push_str(if slash { "$" } else { "/?$" });
        let regex = Regex::new(&regex).map_err(|e| bad(e.to_string()))?;
        let literal = body[..body.find('{').unwrap_or(body.len())].to_owned();
        let classes: Option<Vec<Class>> = captures
            .iter()
            .map(|(_, own)| {
                let re = own.as_str();
                Class::of(re.strip_prefix("^(?:")?.strip_suffix(")$")?)
            })
            .collect();
        // A tail ending in `/` (a pattern ending in `//`) or a format with `/` or `.` in it
        // could let the regex match in more than one way: those keep the regex.
        let plain = classes
            .filter(|_| segments && !rest.ends_with('/'))
            .filter(|_| formats.iter().all(|f| !f.contains(['/', '.'])))
            .map(|classes| Plain {
                classes,
                tail: rest.to_owned(),
                formats: formats.iter().map(|f| (*f).to_owned()).collect(),
            });
        Ok(Self {
            source: source.to_owned(),
            template,
            regex,
            captures,
            plain_fits,
            pieces,
            literal,
            slash,
            segments,
            plain,
        })
    }

    /// The pattern as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The pattern with each capture written `{name}`: `/api/tracks/{id}/`.
    pub(crate) fn template(&self) -> &str {
        &self.template
    }

    /// Each capture's name and its anchored regex (`^(?:[^/.]+)$`).
    pub(crate) fn captures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.captures.iter().map(|(n, r)| (n.as_str(), r.as_str()))
    }

    /// Matches a request path (percent-encoded, as received). Captures are percent-decoded and
    /// must still match their own regex once decoded, so `..%2F..%2Fetc` cannot pass for one
    /// segment, nor `%2E` put a dot into `[^/.]+`; a capture that is not UTF-8 once decoded
    /// matches nothing.
    ///
    /// A slash written `%2F` (as generated clients write one inside a parameter) counts as a
    /// slash only inside a capture whose regex takes slashes (`{key:[a-z0-9/.]+}`): anywhere
    /// else — in the pattern's own text, or in a capture without slashes — it matches nothing,
    /// so `/tracks/1%2Fplay/` never reaches the `play` action of track 1.
    pub(crate) fn matches(&self, path: &str) -> Option<PathMatch> {
        // A `%2F` the literal text would take as its own slash matches nothing, so the path as
        // received starts with the literal whenever its decoded form can match.
        if !path.starts_with(self.literal.as_str()) {
            return None;
        }
        match &self.plain {
            Some(plain) => self.match_plain(plain, path),
            None => self.match_regex(path),
        }
    }

    /// [`matches`](Self::matches) by the regex.
    fn match_regex(&self, path: &str) -> Option<PathMatch> {
        if let Some(found) = self.match_path(path, &[]) {
            return Some(found);
        }
        let (decoded, slashes) = decode_slashes(path)?;
        self.match_path(&decoded, &slashes)
    }

    /// [`matches`](Self::matches) by hand, for a [`Plain`] pattern: what the regex gives, at a
    /// tenth of the cost (the test below compares the two). One trailing slash is optional
    /// (the regex ends in `/?$`, or the path's own slash is taken off first, and no [`Plain`]
    /// pattern can end in one). No capture can hold a `%2F` decoded, so [`match_regex`]'s
    /// second try never matches either.
    ///
    /// [`match_regex`]: Self::match_regex
    fn match_plain(&self, plain: &Plain, path: &str) -> Option<PathMatch> {
        let mut rest = path.strip_suffix('/').unwrap_or(path);
        let mut params = Vec::with_capacity(plain.classes.len());
        for ((class, (name, _)), piece) in
            plain.classes.iter().zip(&self.captures).zip(&self.pieces)
        {
            rest = rest.strip_prefix(piece.as_str())?;
            let end = rest.find(|c| !class.takes(c)).unwrap_or(rest.len());
            let (raw, after) = rest.split_at(end);
            let value = match class {
                Class::NoDot => {
                    let decoded = percent_encoding::percent_decode_str(raw)
                        .decode_utf8()
                        .ok()?;
                    if decoded.contains(['/', '.']) {
                        return None;
                    }
                    decoded.into_owned()
                }
                // Only ASCII letters, digits, `_` and `-`: nothing to decode.
                Class::Digits | Class::Word => raw.to_owned(),
            };
            if value.is_empty() {
                return None;
            }
            params.push((name.clone(), value));
            rest = after;
        }
        let rest = rest.strip_prefix(plain.tail.as_str())?;
        let format = match rest.strip_prefix('.') {
            None if rest.is_empty() => None,
            None => return None,
            Some(suffix) => Some(plain.formats.iter().find(|f| *f == suffix)?.clone()),
        };
        Some(PathMatch { params, format })
    }

    /// [`matches`](Self::matches) on `path`, whose bytes at `slashes` were `%2F`: each of
    /// those must fall inside a capture.
    fn match_path(&self, path: &str, slashes: &[usize]) -> Option<PathMatch> {
        let caps = match path.strip_suffix('/').filter(|_| self.slash) {
            // The pattern's own slash first; a capture may still end in one (`{dir:[a-z]+/}/`).
            Some(bare) => self
                .regex
                .captures(bare)
                .or_else(|| self.regex.captures(path))?,
            None => self.regex.captures(path)?,
        };
        let inside_a_capture = |at: usize| {
            self.captures
                .iter()
                .filter_map(|(name, _)| caps.name(name))
                .any(|m| m.range().contains(&at))
        };
        if !slashes.iter().all(|&at| inside_a_capture(at)) {
            return None;
        }
        let mut params = Vec::with_capacity(self.captures.len());
        for (name, own) in &self.captures {
            let raw = caps.name(name)?.as_str();
            let decoded = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .ok()?;
            if !own.is_match(&decoded) {
                return None;
            }
            params.push((name.clone(), decoded.into_owned()));
        }
        let format = caps.name(FORMAT).map(|m| m.as_str().to_owned());
        Some(PathMatch { params, format })
    }
}

/// `path` with each `%2F` (`%2f`) written as `/`, and where those slashes are; `None` when it
/// has none.
fn decode_slashes(path: &str) -> Option<(String, Vec<usize>)> {
    // Every route that does not match a path comes here: no allocation unless there is one.
    if !path.contains("%2F") && !path.contains("%2f") {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut slashes = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && bytes.get(i + 1) == Some(&b'2')
            && matches!(bytes.get(i + 2), Some(b'F' | b'f'))
        {
            slashes.push(out.len());
            out.push('/');
            i += 3;
        } else {
            let next = path[i..].chars().next()?;
            out.push(next);
            i += next.len_utf8();
        }
    }
    (!slashes.is_empty()).then_some((out, slashes))
}

/// What a path segment may hold as it is (RFC 3986's `pchar`, as Django's `reverse` keeps it):
/// unreserved characters, sub-delimiters, `:` and `@`. Everything else is percent-encoded —
/// `/`, `?`, `#`, `%`, spaces, controls and every non-ASCII byte among them.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Why values could not fill a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FillError {
    /// The pattern has this many captures, not as many as there are values.
    Arity(usize),
    /// The value for the capture at this index does not fit it, or would not come back from
    /// the path as given.
    NoMatch(usize),
}

impl PathPattern {
    /// About the length of a filled path: the pattern's own text and 20 bytes per capture (an
    /// integer key's digits), for a buffer's capacity.
    pub(crate) fn len_hint(&self) -> usize {
        self.pieces.iter().map(String::len).sum::<usize>() + 20 * self.captures.len()
    }

    /// Appends to `out` (a URL's scheme, host and prefix, say) the path that matches this
    /// pattern with `values` as its captures, in order (Django's `reverse`): each value
    /// percent-encoded as a path segment, the pattern's own form of the trailing slash, no
    /// format suffix. The path must match the pattern again with exactly these values, or it is
    /// an error (Django checks the same): a value its capture's regex refuses, or one that only
    /// fits once decoded (a constrained capture takes no escapes). On an error `out` is left as
    /// it was.
    pub(crate) fn fill_into(&self, out: &mut String, values: &[&str]) -> Result<(), FillError> {
        if values.len() != self.captures.len() {
            return Err(FillError::Arity(self.captures.len()));
        }
        let fits = |(i, (v, (_, own))): (usize, (&&str, &(String, Regex)))| match self
            .plain_fits
            .get(i)
            .copied()
            .flatten()
        {
            Some(fit) if plain(v) => fit(v),
            _ => own.is_match(v),
        };
        if let Some(i) = values
            .iter()
            .zip(&self.captures)
            .enumerate()
            .position(|c| !fits(c))
        {
            return Err(FillError::NoMatch(i));
        }
        let start = out.len();
        out.reserve(
            self.pieces.iter().map(String::len).sum::<usize>()
                + values.iter().map(|v| v.len()).sum::<usize>(),
        );
        // Whole segments of plain values, which their regexes matched: the path parses back
        // segment by segment into the same values, undecoded and without a format suffix.
        if self.segments && values.iter().all(|v| plain(v)) {
            for (piece, value) in self.pieces.iter().zip(values) {
                out.push_str(piece);
                out.push_str(value);
            }
            if let Some(last) = self.pieces.last() {
                out.push_str(last);
            }
            return Ok(());
        }
        for (piece, value) in self.pieces.iter().zip(values) {
            out.push_str(piece);
            // A whole segment of dots would be a dot-segment, which clients resolve away.
            match *value {
                "." => out.push_str("%2E"),
                ".." => out.push_str("%2E%2E"),
                v => out.extend(utf8_percent_encode(v, SEGMENT)),
            }
        }
        if let Some(last) = self.pieces.last() {
            out.push_str(last);
        }
        let checked = self.check_back(&out[start..], values);
        if checked.is_err() {
            out.truncate(start);
        }
        checked
    }

    /// Whether `path`, filled from `values`, matches this pattern again with exactly them.
    fn check_back(&self, path: &str, values: &[&str]) -> Result<(), FillError> {
        let back = self.matches(path).ok_or(FillError::NoMatch(0))?;
        if back.format.is_some() {
            return Err(FillError::NoMatch(values.len().saturating_sub(1)));
        }
        if let Some(i) = back
            .params
            .iter()
            .zip(values)
            .position(|((_, got), want)| got != want)
        {
            return Err(FillError::NoMatch(i));
        }
        Ok(())
    }
}

/// The length up to the `}` closing the `{` at the start of `s`, nested braces counted (so
/// regex quantifiers such as `{2,4}` work inside a capture).
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> Option<PathMatch> {
        PathPattern::compile(pattern, &["json", "yaml"])
            .unwrap()
            .matches(path)
    }

    #[test]
    fn templates_and_captures() {
        let p =
            PathPattern::compile("/api/tracks/{id}/upload/{name:[a-z]{2,4}\\.mp3}/", &[]).unwrap();
        assert_eq!(p.template(), "/api/tracks/{id}/upload/{name}/");
        let caps: Vec<_> = p.captures().collect();
        assert_eq!(
            caps,
            [("id", "^(?:[^/.]+)$"), ("name", "^(?:[a-z]{2,4}\\.mp3)$")]
        );
        assert_eq!(
            PathPattern::compile("/static/a.png", &[])
                .unwrap()
                .template(),
            "/static/a.png"
        );
    }

    #[test]
    fn an_encoded_slash_counts_only_inside_a_capture_that_takes_slashes() {
        let key = "/media/{key:[A-Za-z0-9_][A-Za-z0-9_./-]*}";
        for path in [
            "/media/tracks/4/a.mp3",
            "/media/tracks%2F4%2Fa.mp3",
            "/media/tracks%2f4/a.mp3",
        ] {
            assert_eq!(
                m(key, path).map(|p| p.params),
                Some(params(&[("key", "tracks/4/a.mp3")])),
                "{path}"
            );
        }
        // Not in the pattern's own text, nor in a capture without slashes.
        assert_eq!(m("/tracks/{id}/play/", "/tracks/1%2Fplay/"), None);
        assert_eq!(m("/tracks/{id}/", "/tracks/1%2F2/"), None);
        assert_eq!(m("/media/{key:[a-z/]+}", "%2Fmedia/ab"), None);
        assert_eq!(m("/api/tracks/{id}/", "/api%2Ftracks/4/"), None);
        assert_eq!(m("/api/tracks/", "/api%2Ftracks/"), None);
        // A trailing %2F is not the pattern's own slash.
        assert_eq!(m("/files/{name:[a-z]+}/", "/files/ab%2F"), None);
        // Other escapes are decoded once, as before.
        assert_eq!(
            m(key, "/media/a%252Fb").map(|p| p.params),
            None,
            "%25 is a literal percent sign, which the key does not take"
        );
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_trailing_slash_is_optional_and_suffixes_replace_it() {
        for path in ["/api/tracks/", "/api/tracks"] {
            assert_eq!(
                m("/api/tracks/", path),
                Some(PathMatch::default()),
                "{path}"
            );
        }
        for path in ["/api/tracks.json", "/api/tracks.json/"] {
            assert_eq!(
                m("/api/tracks/", path).unwrap().format.as_deref(),
                Some("json")
            );
        }
        assert_eq!(m("/api/tracks/", "/api/tracks.pdf"), None);
        assert_eq!(m("/api/tracks/", "/api/tracks//"), None);
        assert_eq!(m("/api/tracks/", "/api/trackss/"), None);
    }

    #[test]
    fn captures_default_to_one_segment_without_dots() {
        let hit = m("/api/tracks/{id}/", "/api/tracks/42.yaml").unwrap();
        assert_eq!(hit.params, params(&[("id", "42")]));
        assert_eq!(hit.format.as_deref(), Some("yaml"));
        assert_eq!(m("/api/tracks/{id}/", "/api/tracks/4/2/"), None);
        assert_eq!(m("/api/tracks/{id}/", "/api/tracks/4.pdf/"), None);
    }

    #[test]
    fn regex_constrained_captures_may_hold_dots_and_braces() {
        let p = "/api/tracks/{id:[0-9]{1,9}}/upload/{filename:[A-Za-z0-9_]+\\.mp3}/";
        let hit = m(p, "/api/tracks/7/upload/so_what.mp3/").unwrap();
        assert_eq!(
            hit.params,
            params(&[("id", "7"), ("filename", "so_what.mp3")])
        );
        assert_eq!(hit.format, None);
        let hit = m(p, "/api/tracks/7/upload/so_what.mp3.json").unwrap();
        assert_eq!(hit.format.as_deref(), Some("json"));
        assert_eq!(m(p, "/api/tracks/7/upload/so_what.wav/"), None);
        assert_eq!(m(p, "/api/tracks/x/upload/a.mp3/"), None);
    }

    #[test]
    fn the_root_pattern_matches_with_or_without_suffix() {
        assert!(m("/", "/").is_some());
        assert_eq!(
            m("/api/", "/api.json").unwrap().format.as_deref(),
            Some("json")
        );
    }

    #[test]
    fn decoded_captures_must_still_fit_their_regex() {
        assert_eq!(
            m("/files/{name}/", "/files/so%20what/").unwrap().params,
            params(&[("name", "so what")])
        );
        for sneaky in [
            "/files/..%2F..%2Fetc/",
            "/files/%2E%2E/",
            "/files/a%2Eb/",
            "/files/%FF/",
        ] {
            assert_eq!(m("/files/{name}/", sneaky), None, "{sneaky}");
        }
        let p = "/up/{filename:[A-Za-z0-9_]+\\.mp3}/";
        assert!(m(p, "/up/a_b.mp3/").is_some());
        // Matching is on the path as sent, so a constrained capture takes no escapes at all.
        assert_eq!(m(p, "/up/a%5Fb.mp3/"), None);
        assert_eq!(m(p, "/up/a%2F.mp3/"), None);
    }

    fn fill(pattern: &str, values: &[&str]) -> Result<String, FillError> {
        PathPattern::compile(pattern, &["json", "yaml"])
            .unwrap()
            .fill_to_string(values)
    }

    impl PathPattern {
        fn fill_to_string(&self, values: &[&str]) -> Result<String, FillError> {
            let mut path = String::new();
            self.fill_into(&mut path, values).map(|()| path)
        }
    }

    #[test]
    fn filling_appends_and_leaves_the_buffer_as_it_was_on_an_error() {
        let p = PathPattern::compile("/t/{id:[0-9]+}/", &["json"]).unwrap();
        let mut url = String::from("http://h/api");
        p.fill_into(&mut url, &["42"]).unwrap();
        assert_eq!(url, "http://h/api/t/42/");
        let mut url = String::from("http://h/api");
        // Refused by the regex before anything is written; refused once written (it fits
        // decoded, but the path as sent has an escape its regex refuses); the wrong arity.
        assert_eq!(p.fill_into(&mut url, &["x"]), Err(FillError::NoMatch(0)));
        let c = PathPattern::compile("/c/{code:[a-z ]+}/", &["json"]).unwrap();
        assert_eq!(c.fill_into(&mut url, &["a b"]), Err(FillError::NoMatch(0)));
        assert_eq!(p.fill_into(&mut url, &[]), Err(FillError::Arity(1)));
        assert_eq!(url, "http://h/api");
    }

    #[test]
    fn filling_encodes_segments_and_keeps_the_patterns_slash() {
        assert_eq!(fill("/api/tracks/", &[]).as_deref(), Ok("/api/tracks/"));
        assert_eq!(fill("/", &[]).as_deref(), Ok("/"));
        assert_eq!(fill("/static/a.png", &[]).as_deref(), Ok("/static/a.png"));
        assert_eq!(fill("/t/{id}/", &["42"]).as_deref(), Ok("/t/42/"));
        assert_eq!(
            fill("/a/{x}/b/{y:[0-9]{1,3}}", &["so what?", "7"]).as_deref(),
            Ok("/a/so%20what%3F/b/7")
        );
        let cases = [
            ("é#%", "%C3%A9%23%25"),
            ("a/b", "a%2Fb"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("a..b", "a..b"),
            ("k=v;w,x+y:z@h!$&'()*~", "k=v;w,x+y:z@h!$&'()*~"),
            ("<>\"`{}|^\\ \t", "%3C%3E%22%60%7B%7D%7C%5E%5C%20%09"),
            ("x.json", "x.json"),
        ];
        for (value, encoded) in cases {
            let path = fill("/files/{path:.+}/", &[value]);
            assert_eq!(path, Ok(format!("/files/{encoded}/")), "{value}");
            let back = m("/files/{path:.+}/", &format!("/files/{encoded}/")).unwrap();
            assert_eq!(back.params, params(&[("path", value)]), "{value}");
        }
    }

    #[test]
    fn a_capture_taking_slashes_leaves_the_trailing_one() {
        for path in ["/files/a/b/", "/files/a/b"] {
            assert_eq!(
                m("/files/{path:.+}/", path).unwrap().params,
                params(&[("path", "a/b")]),
                "{path}"
            );
        }
        assert_eq!(
            m("/files/{path:.+}/", "/files/a/b//").unwrap().params,
            params(&[("path", "a/b/")])
        );
        // Without a slash of its own, a pattern takes an optional one after it, as always.
        let key = "/media/{key:[a-z][a-z./]*}";
        assert_eq!(
            m(key, "/media/a/b.png").unwrap().params,
            params(&[("key", "a/b.png")])
        );
        assert_eq!(
            m(key, "/media/a/b.png/").unwrap().params,
            params(&[("key", "a/b.png/")])
        );
        assert_eq!(
            m("/{index:(index\\.html)?}", "/").unwrap().params,
            params(&[("index", "")])
        );
        assert_eq!(
            m("/d/{dir:[a-z]+/}/", "/d/x/").unwrap().params,
            params(&[("dir", "x/")])
        );
    }

    #[test]
    fn a_plain_value_fits_a_usual_capture_as_its_regex_says() {
        let mut values: Vec<String> = ["4", "0042", "abc", "a-b_c", "a~b", "~", "-", "_", "A9"]
            .map(String::from)
            .to_vec();
        // Every plain byte alone and around a digit.
        for b in (0u8..128).filter(|b| plain(&char::from(*b).to_string())) {
            let c = char::from(b);
            values.extend([c.to_string(), format!("1{c}"), format!("{c}1")]);
        }
        for re in SEGMENT_CAPTURES {
            let fit = plain_fit(re).unwrap();
            let own = Regex::new(&format!("^(?:{re})$")).unwrap();
            for v in values.iter().filter(|v| plain(v)) {
                assert_eq!(fit(v), own.is_match(v), "{re} on {v:?}");
            }
        }
        assert!(plain_fit("[a-z]+").is_none());
        // Filling takes the same decisions through either path.
        assert_eq!(fill("/t/{id:[0-9]+}/", &["42"]).unwrap(), "/t/42/");
        assert!(matches!(
            fill("/t/{id:[0-9]+}/", &["4a"]),
            Err(FillError::NoMatch(0))
        ));
        assert!(matches!(
            fill("/t/{id:[0-9]+}/", &["٤"]),
            Err(FillError::NoMatch(0))
        ));
        assert_eq!(fill(r"/t/{id:\d+}/", &["42"]).unwrap(), "/t/42/");
        assert_eq!(fill("/t/{id}/", &["a~b"]).unwrap(), "/t/a~b/");
        assert!(matches!(
            fill("/t/{id:[a-zA-Z0-9_-]+}/", &["a~b"]),
            Err(FillError::NoMatch(0))
        ));
    }

    #[test]
    fn filling_refuses_values_that_would_not_come_back() {
        assert_eq!(fill("/t/{id}/", &[]), Err(FillError::Arity(1)));
        assert_eq!(fill("/t/", &["1"]), Err(FillError::Arity(0)));
        // The default capture takes no slash, no dot, nothing empty.
        for bad in ["4/5", "4.json", "", "."] {
            assert_eq!(
                fill("/t/{id}/", &[bad]),
                Err(FillError::NoMatch(0)),
                "{bad}"
            );
        }
        assert_eq!(
            fill("/t/{id:[0-9]+}/{name}/", &["1", "a.b"]),
            Err(FillError::NoMatch(1))
        );
        // It fits once decoded, but the path as sent would need an escape its regex refuses.
        assert_eq!(
            fill("/c/{code:[a-z ]+}/", &["a b"]),
            Err(FillError::NoMatch(0))
        );
        assert_eq!(fill("/c/{code:[a-z ]+}/", &["ab"]).as_deref(), Ok("/c/ab/"));
    }

    #[test]
    fn whole_segment_captures_of_plain_values_skip_the_second_match_and_agree_with_it() {
        let patterns = [
            ("/t/{id}/", true),
            ("/api/v/{version}/t/{id:[0-9]+}/play/", true),
            ("/t/{id:\\d+}", true),
            ("/f/{name:[^/]+}/", true),
            // Not whole segments, or a regex that may take a slash: always matched again.
            ("/t/{id}.x/", false),
            ("/t/x{id}/", false),
            ("/f/{path:.+}/", false),
            ("/t/{a}-{b}/", false),
        ];
        for (source, segments) in patterns {
            let pattern = PathPattern::compile(source, &["json"]).unwrap();
            assert_eq!(pattern.segments, segments, "{source}");
            let n = pattern.captures.len();
            for value in ["4", "abc-DEF_9~", "kind-of-blue"] {
                let values = vec![value; n];
                let filled = pattern.fill_to_string(&values);
                if let Ok(path) = &filled {
                    // What the fast path gives is what the route reads back.
                    let back = pattern.matches(path).unwrap();
                    let got: Vec<&str> = back.params.iter().map(|(_, v)| v.as_str()).collect();
                    assert_eq!(
                        (got, back.format),
                        (values.clone(), None),
                        "{source} {path}"
                    );
                }
            }
        }
        assert_eq!(
            fill("/t/{id:[0-9]+}/", &["abc"]),
            Err(FillError::NoMatch(0))
        );
        assert!(!plain("a.b") && !plain("") && !plain("a%20") && !plain("é"));
    }

    /// The hand matcher gives what the regex gives, over every path of up to three segments
    /// from pieces that hit each of its cases (encoded dots and slashes, suffixes, Unicode,
    /// empty segments, a doubled slash).
    #[test]
    fn plain_patterns_match_by_hand_as_their_regex_does() {
        let patterns = [
            ("/t/{id}/", true),
            ("/t/{id:[0-9]+}/", true),
            ("/t/{id:[a-zA-Z0-9_-]+}", true),
            ("/api/{version}/t/{pk}/play/", true),
            ("/{a}/{b}", true),
            ("/t/{id}/x", true),
            ("/t/", true),
            ("/t", true),
            ("/", true),
            // The regex: a capture that may hold a dot or a Unicode digit, not a whole
            // segment, or a pattern ending in two slashes.
            ("/t/{id:[^/]+}/", false),
            ("/t/{id:\\d+}/", false),
            ("/t/x{id}/", false),
            ("/t/{id}//", false),
        ];
        let pieces = [
            "", "t", "api", "v1", "play", "x", "1", "42", "a.json", "4.json", "4.yaml", "4.xml",
            "4.", ".json", "json", "%2E", "%2F", "1%2F2", "%2e1", "ab-C_9", "a~b", "é", "%C3%A9",
            "%FF", "٣",
        ];
        let mut paths = vec![String::new(), "/".to_owned(), "//".to_owned()];
        for a in pieces {
            paths.push(format!("/{a}"));
            for b in pieces {
                paths.push(format!("/{a}/{b}"));
                for c in pieces {
                    paths.push(format!("/{a}/{b}/{c}"));
                    paths.push(format!("/api/{a}/t/{b}/{c}"));
                }
            }
        }
        let with_slash: Vec<String> = paths.iter().map(|p| format!("{p}/")).collect();
        let mut matched = 0;
        for (source, by_hand) in patterns {
            let pattern = PathPattern::compile(source, &["json", "yaml"]).unwrap();
            assert_eq!(pattern.plain.is_some(), by_hand, "{source}");
            let Some(plain) = &pattern.plain else {
                continue;
            };
            for path in paths.iter().chain(&with_slash) {
                let regex = pattern.match_regex(path);
                assert_eq!(pattern.match_plain(plain, path), regex, "{source} {path}");
                matched += usize::from(regex.is_some());
            }
        }
        // Enough of the paths match for the comparison to mean something.
        assert!(matched > 1000, "{matched}");
    }

    #[test]
    fn bad_patterns_are_errors_not_panics() {
        for bad in [
            "api/x",
            "/a/{id",
            "/a/id}/",
            "/a/{}/",
            "/a/{i-d}/",
            "/a/{id}/{id}/",
            "/a/{__format}/",
            "/a/{id:[}/",
        ] {
            assert!(PathPattern::compile(bad, &[]).is_err(), "{bad}");
        }
    }
}
