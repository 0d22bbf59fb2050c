//! Validators for uploaded files, in DRF's words: extension allow-list, size limit, and the
//! real type sniffed from the first bytes, so a `.mp3` that is a PNG is refused. Each failure
//! is a message for the file's field: `{"file": ["…"]}`.

use crate::ValidationErrors;

/// How many leading bytes [`FileRules::check`] wants to sniff the type.
pub const SNIFF_BYTES: usize = 8192;

/// Rules for one file field.
///
/// ```
/// use restframe::file_validators::FileRules;
/// let rules = FileRules::new("file").extensions(&["mp3"]).max_size(10 << 20).media_types(&["audio/mpeg"]);
/// let id3 = b"ID3\x04\x00\x00\x00\x00\x00\x00rest of the tag";
/// assert!(rules.check("so_what.mp3", 1234, id3).is_ok());
/// let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
/// let err = restframe::ApiError::from(rules.check("so_what.mp3", 1234, png).unwrap_err());
/// assert_eq!(
///     serde_json::to_string(&err).unwrap(),
///     r#"{"file":["The file's content is image/png, not one of: audio/mpeg."]}"#
/// );
/// ```
#[derive(Clone, Debug)]
pub struct FileRules {
    field: String,
    extensions: Vec<String>,
    max_size: Option<u64>,
    media_types: Vec<String>,
}

impl FileRules {
    /// No rules yet, for the field `field`.
    pub fn new(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            extensions: Vec::new(),
            max_size: None,
            media_types: Vec::new(),
        }
    }

    /// Allowed extensions, without the dot, case-insensitive (DRF's
    /// `FileExtensionValidator`).
    pub fn extensions(mut self, extensions: &[&str]) -> Self {
        self.extensions = extensions.iter().map(|e| e.to_ascii_lowercase()).collect();
        self
    }

    /// The largest size in bytes.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// Media types the content must be, as sniffed from its first bytes.
    pub fn media_types(mut self, media_types: &[&str]) -> Self {
        self.media_types = media_types.iter().map(|m| m.to_ascii_lowercase()).collect();
        self
    }

    /// The largest size allowed, if any.
    pub fn size_limit(&self) -> Option<u64> {
        self.max_size
    }

    /// Checks a file by name, size and first bytes ([`SNIFF_BYTES`] of them suffice); every
    /// problem is reported.
    pub fn check(&self, filename: &str, size: u64, head: &[u8]) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if size == 0 {
            errors.add(&self.field, "The submitted file is empty.");
        }
        if !self.extensions.is_empty() {
            let ext = filename
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            if !self.extensions.contains(&ext) {
                errors.add(
                    &self.field,
                    format_args!(
                        "File extension \u{201c}{ext}\u{201d} is not allowed. Allowed extensions are: {}.",
                        self.extensions.join(", ")
                    ),
                );
            }
        }
        if let Some(max) = self.max_size.filter(|&max| size > max) {
            errors.add(
                &self.field,
                format_args!("Ensure this file is no larger than {max} bytes (it is {size})."),
            );
        }
        if !self.media_types.is_empty() && size > 0 {
            match sniff(head) {
                Some(found) if self.media_types.iter().any(|m| m == found) => {}
                Some(found) => errors.add(
                    &self.field,
                    format_args!(
                        "The file's content is {found}, not one of: {}.",
                        self.media_types.join(", ")
                    ),
                ),
                None => errors.add(
                    &self.field,
                    format_args!(
                        "The file's content is not recognised as one of: {}.",
                        self.media_types.join(", ")
                    ),
                ),
            }
        }
        errors.into_result()
    }
}

/// The media type the first bytes say the content is, if they say.
///
/// ```
/// assert_eq!(restframe::file_validators::sniff(b"ID3\x03\x00\x00\x00\x00\x00\x00"), Some("audio/mpeg"));
/// assert_eq!(restframe::file_validators::sniff(b"GIF89a\x01\x00"), Some("image/gif"));
/// assert_eq!(restframe::file_validators::sniff(b"hello"), None);
/// ```
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|kind| kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::FileRules;

    #[test]
    fn every_problem_is_reported() {
        let rules = FileRules::new("file")
            .extensions(&["mp3"])
            .max_size(10)
            .media_types(&["audio/mpeg"]);
        let errors = rules
            .check("x.wav", 11, b"RIFF\x00\x00\x00\x00WAVEfmt ")
            .unwrap_err();
        assert_eq!(errors.errors().len(), 3, "{errors}");
        // MPEG frame sync without an ID3 tag is an MP3 too.
        assert!(rules.check("x.MP3", 4, &[0xFF, 0xFB, 0x90, 0x00]).is_ok());
        assert!(rules.check("x.mp3", 0, b"").is_err());
    }
}
