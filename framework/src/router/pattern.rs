//! Route patterns: `/api/tracks/{id}/upload/{filename:[A-Za-z0-9_]+\.mp3}/`, compiled once.

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
        let mut rest = body;
        let mut template = String::new();
        while let Some(open) = rest.find('{') {
            regex.push_str(&regex::escape(&rest[..open]));
            template.push_str(&rest[..open]);
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
            let own = Regex::new(&format!("^(?:{re})$"))
                .map_err(|e| bad(format!("capture `{name}`: {e}")))?;
            regex.push_str(&format!("(?P<{name}>{re})"));
            captures.push((name.to_owned(), own));
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
        if !formats.is_empty() {
            let alternatives: Vec<String> = formats.iter().map(|f| regex::escape(f)).collect();
            regex.push_str(&format!("(?:\\.(?P<{FORMAT}>{}))?", alternatives.join("|")));
        }
        regex.push_str("/?$");
        let regex = Regex::new(&regex).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            source: source.to_owned(),
            template,
            regex,
            captures,
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
    pub(crate) fn matches(&self, path: &str) -> Option<PathMatch> {
        let caps = self.regex.captures(path)?;
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
