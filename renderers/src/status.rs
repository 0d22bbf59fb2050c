//! Reason phrases of the status codes an HTML page names (`404 Not Found`).

/// The canonical reason phrase of `status` (the `http` crate's), or a class name such as
/// `Client Error` for codes without one.
pub(crate) fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or(match status {
            100..=199 => "Informational",
            200..=299 => "Success",
            300..=399 => "Redirection",
            400..=499 => "Client Error",
            _ => "Server Error",
        })
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn common_codes_have_their_canonical_phrase_and_others_their_class() {
        assert_eq!(reason(200), "OK");
        assert_eq!(reason(404), "Not Found");
        assert_eq!(reason(415), "Unsupported Media Type");
        assert_eq!(reason(499), "Client Error");
        assert_eq!(reason(599), "Server Error");
    }
}
