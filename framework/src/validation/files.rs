//! Validators for uploaded files, in DRF's words: extension allow-list, size limit, the real
//! type sniffed from the first bytes (so a `.mp3` that is a PNG is refused), and images proved
//! by their header (DRF's `ImageField`). Each failure is a message for the file's field:
//! `{"file": ["…"]}`.

use crate::image::{extension_type, image_info, sniff};
use crate::validation::ValidationErrors;
#[cfg(any(feature = "multipart", feature = "upload"))]
use crate::{ApiError, parsers::UploadedFile, upload::UploadedFileExt};

/// How many leading bytes [`FileRules::check`] wants to sniff the type.
pub const SNIFF_BYTES: usize = 8192;

/// How many leading bytes [`FileRules::check`] wants for an image: a JPEG's dimensions come
/// after its metadata (EXIF, ICC profile, thumbnail), which is often longer than
/// [`SNIFF_BYTES`]. [`FileRules::head_bytes`] says which of the two a set of rules needs.
pub const IMAGE_HEAD_BYTES: usize = 256 * 1024;

/// DRF's message for a file that is not an image of an accepted type.
pub const INVALID_IMAGE_MESSAGE: &str =
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

/// Rules for one file field.
///
/// ```
/// use restframe::validation::FileRules;
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
///
/// An image field ([`image`](Self::image)):
///
/// ```
/// use restframe::validation::FileRules;
/// let png: &[u8] = &[
///     0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
///     0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
///     0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
///     0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
///     0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
/// ];
/// let rules = FileRules::new("cover").image().max_dimensions(4096, 4096).max_size(5 << 20);
/// assert!(rules.check("cover.png", png.len() as u64, png).is_ok());
///
/// let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
/// let err = restframe::ApiError::from(rules.check("cover.svg", svg.len() as u64, svg).unwrap_err());
/// assert_eq!(
///     serde_json::to_string(&err).unwrap(),
///     r#"{"cover":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}"#
/// );
/// ```
#[derive(Clone, Debug)]
pub struct FileRules {
    field: String,
    extensions: Vec<String>,
    max_size: Option<u64>,
    media_types: Vec<String>,
    image: bool,
    max_width: Option<u32>,
    max_height: Option<u32>,
}

impl FileRules {
    /// No rules yet, for the field `field`.
    pub fn new(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            extensions: Vec::new(),
            max_size: None,
            media_types: Vec::new(),
            image: false,
            max_width: None,
            max_height: None,
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

    /// The file must be an image (DRF's `ImageField`): a PNG, JPEG, GIF or WebP whose header
    /// reads as one ([`image_info`](crate::image::image_info)), else [`INVALID_IMAGE_MESSAGE`]. An extension that names
    /// another of those types (a PNG called `photo.jpg`) is refused too, so the name never
    /// lies about the content; other extensions are left to [`extensions`](Self::extensions).
    pub fn image(mut self) -> Self {
        self.image = true;
        self
    }

    /// The largest width and height in pixels; implies [`image`](Self::image).
    pub fn max_dimensions(mut self, width: u32, height: u32) -> Self {
        self.image = true;
        self.max_width = Some(width);
        self.max_height = Some(height);
        self
    }

    /// The largest size allowed, if any.
    pub fn size_limit(&self) -> Option<u64> {
        self.max_size
    }

    /// How many leading bytes [`check`](Self::check) should be given: [`IMAGE_HEAD_BYTES`]
    /// for an image, else [`SNIFF_BYTES`] (fewer when the file is smaller).
    pub fn head_bytes(&self) -> usize {
        if self.image {
            IMAGE_HEAD_BYTES
        } else {
            SNIFF_BYTES
        }
    }

    /// Checks a file by name, size and first bytes ([`head_bytes`](Self::head_bytes) of them
    /// suffice; when `head` is the whole file, an image is checked to its end); every problem
    /// is reported.
    pub fn check(&self, filename: &str, size: u64, head: &[u8]) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if size == 0 {
            errors.add(&self.field, "The submitted file is empty.");
        }
        let ext = filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if !self.extensions.is_empty() && !self.extensions.contains(&ext) {
            errors.add(
                &self.field,
                format_args!(
                    "File extension \u{201c}{ext}\u{201d} is not allowed. Allowed extensions are: {}.",
                    self.extensions.join(", ")
                ),
            );
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
        if self.image && size > 0 {
            self.check_image(&mut errors, &ext, size, head);
        }
        errors.into_result()
    }

    /// Checks an upload, named by its own [`filename`](UploadedFile::filename): reads the
    /// first bytes it needs (from memory, or from the temporary file it spilled to) and runs
    /// [`check`](Self::check). An image of at most [`max_size`](Self::max_size) bytes is read
    /// whole, so its structure is checked to its end; anything else gives
    /// [`head_bytes`](Self::head_bytes). A failed check is a 400 under the field; failing to
    /// read the file, a 500.
    ///
    /// On success it returns the media type to store and serve it as, whatever the client
    /// claimed: read from the content, and only a type the rules vouched for (the image's type
    /// when the rules check images, the sniffed type when it is on their
    /// [`media_types`](Self::media_types) allow-list), else `application/octet-stream`.
    ///
    /// ```
    /// use restframe::parsers::{FileUploadParser, ParseContext, Parser};
    /// use restframe::validation::FileRules;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let ct = mime::APPLICATION_OCTET_STREAM;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("so_what.mp3");
    /// let body = bytes::Bytes::from_static(b"ID3\x04\x00\x00\x00\x00\x00\x00rest of the tag");
    /// let mut parsed = FileUploadParser::new().parse_bytes(body, &ctx).unwrap();
    /// let file = parsed.take_file("file").unwrap();
    /// let rules = FileRules::new("file").extensions(&["mp3"]).media_types(&["audio/mpeg"]);
    /// assert_eq!(rules.check_upload(&file).await.unwrap(), "audio/mpeg");
    /// let err = FileRules::new("file").extensions(&["wav"]).check_upload(&file).await.unwrap_err();
    /// assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
    ///
    /// // HTML in an upload whose rules allow any content is stored as opaque bytes, never as
    /// // a page the app would serve from its own origin.
    /// let page = bytes::Bytes::from_static(b"<!DOCTYPE html><html><script>alert(1)</script></html>");
    /// let ctx = ParseContext::new(&ct).with_filename_hint("page.html");
    /// let mut parsed = FileUploadParser::new().parse_bytes(page, &ctx).unwrap();
    /// let page = parsed.take_file("file").unwrap();
    /// assert_eq!(FileRules::new("file").check_upload(&page).await.unwrap(), "application/octet-stream");
    /// # });
    /// ```
    #[cfg(any(feature = "multipart", feature = "upload"))]
    pub async fn check_upload(&self, file: &UploadedFile) -> Result<&'static str, ApiError> {
        self.check_upload_as(file, file.filename()).await
    }

    /// [`check_upload`](Self::check_upload) under another name than the client gave: the one
    /// it will be stored under, say from the URL.
    #[cfg(any(feature = "multipart", feature = "upload"))]
    pub async fn check_upload_as(
        &self,
        file: &UploadedFile,
        filename: &str,
    ) -> Result<&'static str, ApiError> {
        let size = file.size();
        let wanted = match self.max_size {
            Some(max) if self.image && size <= max => usize::try_from(size).unwrap_or(usize::MAX),
            _ => self.head_bytes(),
        };
        let head = file.head(wanted).await?;
        self.check(filename, size, &head)?;
        Ok(self.checked_type(&head))
    }

    /// The type a checked file is stored and served as: only a type the rules vouched for — an
    /// image they checked, or a sniffed type on their allow-list — and
    /// `application/octet-stream` for anything else, so that content the rules did not ask
    /// for (HTML sniffed in an "any file" upload) is never served as itself.
    #[cfg(any(feature = "multipart", feature = "upload"))]
    fn checked_type(&self, head: &[u8]) -> &'static str {
        let image = if self.image {
            crate::image::image_type(head)
        } else {
            None
        };
        image
            .or_else(|| sniff(head).filter(|found| self.media_types.iter().any(|m| m == found)))
            .unwrap_or("application/octet-stream")
    }

    fn check_image(&self, errors: &mut ValidationErrors, ext: &str, size: u64, head: &[u8]) {
        let Some(info) = image_info(head, size) else {
            errors.add(&self.field, INVALID_IMAGE_MESSAGE);
            return;
        };
        let found = info.media_type();
        if extension_type(ext).is_some_and(|named| named != found) {
            errors.add(
                &self.field,
                format_args!(
                    "File extension \u{201c}{ext}\u{201d} does not match the file's content, which is {found}."
                ),
            );
        }
        if self.max_width.is_none() && self.max_height.is_none() {
            return;
        }
        let (Some(width), Some(height)) = (info.width(), info.height()) else {
            errors.add(
                &self.field,
                format_args!(
                    "The image's dimensions are not in its first {} bytes: remove some of its metadata.",
                    head.len()
                ),
            );
            return;
        };
        if let Some(max) = self.max_width.filter(|&max| width > max) {
            errors.add(
                &self.field,
                format_args!(
                    "Ensure this image is no more than {max} pixels wide (it is {width})."
                ),
            );
        }
        if let Some(max) = self.max_height.filter(|&max| height > max) {
            errors.add(
                &self.field,
                format_args!(
                    "Ensure this image is no more than {max} pixels high (it is {height})."
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FileRules, INVALID_IMAGE_MESSAGE};
    use crate::image::tests::{GIF, PNG, jpeg, webp};

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
        assert_eq!(rules.head_bytes(), super::SNIFF_BYTES);
    }

    #[test]
    fn reads_png_jpeg_gif_and_webp_headers() {
        let rules = FileRules::new("image").image();
        for (name, bytes) in [
            ("a.png", PNG.to_vec()),
            ("a.jpeg", jpeg()),
            ("a.gif", GIF.to_vec()),
            ("a.webp", webp()),
        ] {
            let result = rules.check(name, bytes.len() as u64, &bytes);
            assert!(result.is_ok(), "{name}: {result:?}");
        }
        assert_eq!(rules.head_bytes(), super::IMAGE_HEAD_BYTES);
    }

    #[test]
    fn svg_and_other_files_are_not_images() {
        let rules = FileRules::new("avatar").image();
        for (name, bytes) in [
            (
                "a.svg",
                &br#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#[..],
            ),
            (
                "a.svg",
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
            ),
            ("a.png", b"not an image at all"),
            (
                "a.bmp",
                b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00",
            ),
            ("a.pdf", b"%PDF-1.7\n"),
        ] {
            let errors = rules.check(name, bytes.len() as u64, bytes).unwrap_err();
            assert_eq!(
                errors.errors(),
                [("avatar".to_owned(), INVALID_IMAGE_MESSAGE.to_owned())],
                "{name}"
            );
        }
    }

    #[test]
    fn truncated_and_corrupt_images_are_refused() {
        let rules = FileRules::new("image").image();
        let errors = rules.check("a.png", 57, &PNG[..57]).unwrap_err();
        assert_eq!(errors.errors()[0].1, INVALID_IMAGE_MESSAGE);
    }

    #[test]
    fn a_jpeg_header_past_the_head_is_a_jpeg_of_unknown_size() {
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF];
        big.resize(100, 0);
        // Dimension limits cannot be checked then, and say so.
        let rules = FileRules::new("photo").max_dimensions(100, 100);
        let errors = rules.check("a.jpg", 200_000, &big).unwrap_err();
        assert!(errors.errors()[0].1.contains("dimensions"), "{errors}");
    }

    #[test]
    fn an_extension_naming_another_image_type_is_refused() {
        let rules = FileRules::new("cover")
            .extensions(&["png", "jpg", "jpeg"])
            .image();
        let errors = rules.check("photo.jpg", PNG.len() as u64, PNG).unwrap_err();
        assert_eq!(
            errors.errors()[0].1,
            "File extension \u{201c}jpg\u{201d} does not match the file's content, which is image/png."
        );
        let jpeg = jpeg();
        assert!(rules.check("photo.JPEG", jpeg.len() as u64, &jpeg).is_ok());
        // An extension that names no image type is left to `extensions`.
        let loose = FileRules::new("cover").image();
        assert!(loose.check("cover.bin", PNG.len() as u64, PNG).is_ok());
        assert!(loose.check("cover", PNG.len() as u64, PNG).is_ok());
    }

    #[test]
    fn dimension_limits() {
        let rules = FileRules::new("icon").max_dimensions(2, 1);
        assert!(rules.check("a.gif", GIF.len() as u64, GIF).is_ok());
        let jpeg = jpeg();
        let errors = rules.check("a.jpg", jpeg.len() as u64, &jpeg).unwrap_err();
        assert_eq!(
            errors.errors(),
            [
                (
                    "icon".to_owned(),
                    "Ensure this image is no more than 2 pixels wide (it is 3).".to_owned()
                ),
                (
                    "icon".to_owned(),
                    "Ensure this image is no more than 1 pixels high (it is 2).".to_owned()
                ),
            ]
        );
    }
}
