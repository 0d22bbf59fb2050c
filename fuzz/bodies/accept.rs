//! Any `Accept` header (one or several field lines) and media type: parsing never panics, every
//! range it yields is well-formed and reads back as itself once written out, and `accepts` and
//! `accept_header` agree with it.

use http::header::{ACCEPT, HeaderMap, HeaderValue};
use restframe::negotiation::{MediaRange, accept_header, accepts};
use restframe::parsers::Mime;

/// One run: the input's valid UTF-8 prefix is `accept\nmedia type`; a `\r` in `accept` splits it
/// into several `Accept` field lines.
pub fn run(data: &[u8]) {
    let input = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    };
    let (accept, media_type) = input
        .split_once('\n')
        .unwrap_or((input, "application/json"));

    for range in MediaRange::parse_all(accept) {
        check(&range);
    }

    let mut headers = HeaderMap::new();
    for line in accept.split('\r') {
        if let Ok(v) = HeaderValue::from_str(line) {
            headers.append(ACCEPT, v);
        }
    }
    let joined = accept_header(&headers);
    let ranges: Vec<MediaRange<'_>> = joined
        .as_deref()
        .map(|a| MediaRange::parse_all(a).collect())
        .unwrap_or_default();
    for range in &ranges {
        check(range);
    }
    for target in [
        media_type,
        "application/json",
        "text/html",
        "image/png",
        "application/vnd.api+json",
    ] {
        let ok = accepts(&headers, target);
        if ranges.is_empty() {
            assert!(ok, "no well-formed range accepts anything, {target:?} too");
        }
        // A range naming exactly this type, with the highest weight among those covering it,
        // decides: here, only the simple cases are checked.
        if ok && target.parse::<Mime>().is_err() {
            assert!(
                ranges.is_empty(),
                "a malformed media type {target:?} is refused"
            );
        }
    }
}

/// A parsed range is well-formed and reads back as itself.
fn check(range: &MediaRange<'_>) {
    assert!(range.q <= 1000, "q = {}", range.q);
    assert!(!range.type_.is_empty() && !range.subtype.is_empty());
    assert!(range.type_ != "*" || range.subtype == "*", "{range:?}");
    assert!(range.specificity() <= 3);
    assert_eq!(
        range.is_wildcard(),
        range.type_ == "*" || range.subtype == "*"
    );
    let mut written = format!("{}/{}", range.type_, range.subtype);
    if !range.params.is_empty() {
        written.push_str("; ");
        written.push_str(range.params);
    }
    if range.q != 1000 {
        written.push_str(&format!("; q={}.{:03}", range.q / 1000, range.q % 1000));
    }
    assert_eq!(
        MediaRange::parse(&written).as_ref(),
        Some(range),
        "{written:?} does not read back"
    );
    if !range.is_wildcard()
        && let Ok(m) = format!("{}/{}", range.type_, range.subtype).parse::<Mime>()
    {
        assert!(range.covers(&m), "{range:?} does not cover its own type");
    }
}
