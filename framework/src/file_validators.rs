//! Validators for uploaded files, in DRF's words: extension allow-list, size limit, the real
//! type sniffed from the first bytes (so a `.mp3` that is a PNG is refused), and images proved
//! by their header (DRF's `ImageField`). Each failure is a message for the file's field:
//! `{"file": ["…"]}`.

use crate::ValidationErrors;

/// How many leading bytes [`FileRules::check`] wants to sniff the type.
pub const SNIFF_BYTES: usize = 8192;

/// How many leading bytes [`FileRules::check`] wants for an image: a JPEG's dimensions come
/// after its metadata (EXIF, ICC profile, thumbnail), which is often longer than
/// [`SNIFF_BYTES`]. [`FileRules::head_bytes`] says which of the two a set of rules needs.
pub const IMAGE_HEAD_BYTES: usize = 256 * 1024;

/// The image types [`FileRules::image`] accepts; SVG is not one (it is a document that can
/// carry scripts).
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// DRF's message for a file that is not an image of an accepted type.
pub const INVALID_IMAGE_MESSAGE: &str =
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

/// The most pixels an image may declare: Pillow's limit, past which Django's `ImageField`
/// refuses the file as not a valid image (a small file that decodes to gigabytes is a bomb).
pub const MAX_IMAGE_PIXELS: u64 = 178_956_970;

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
///
/// An image field ([`image`](Self::image)):
///
/// ```
/// use restframe::file_validators::FileRules;
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
    /// reads as one ([`image_info`]), else [`INVALID_IMAGE_MESSAGE`]. An extension that names
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

/// The image type of `head`, the start of a file, when its header reads as a PNG, JPEG, GIF
/// or WebP ([`image_info`] with the file's size unknown).
///
/// ```
/// use restframe::file_validators::image_type;
/// let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00";
/// assert_eq!(image_type(gif), Some("image/gif"));
/// assert_eq!(image_type(b"GIF89a"), None); // the header is cut short
/// assert_eq!(image_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), None);
/// ```
pub fn image_type(head: &[u8]) -> Option<&'static str> {
    image_info(head, u64::MAX).map(|info| info.media_type())
}

/// What an image's header says: its type and, when read, its dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    media_type: &'static str,
    dimensions: Option<(u32, u32)>,
}

impl ImageInfo {
    /// One of [`IMAGE_TYPES`].
    pub fn media_type(&self) -> &'static str {
        self.media_type
    }

    /// The width in pixels; unknown only for a JPEG whose metadata runs past the bytes given.
    pub fn width(&self) -> Option<u32> {
        self.dimensions.map(|(w, _)| w)
    }

    /// The height in pixels; unknown only for a JPEG whose metadata runs past the bytes given.
    pub fn height(&self) -> Option<u32> {
        self.dimensions.map(|(_, h)| h)
    }

    /// The usual extension for the type: `png`, `jpg`, `gif` or `webp`.
    pub fn extension(&self) -> &'static str {
        image_extension(self.media_type)
    }
}

/// Reads the header of an image of `size` bytes from `head`, its first bytes: `Some` when the
/// content is a PNG, JPEG, GIF or WebP — the type sniffed from the magic bytes, and a header
/// of that type that reads without fault, of at most [`MAX_IMAGE_PIXELS`] — else `None`. SVG,
/// other types, cut-off headers and corrupt ones are `None`.
///
/// When `head` holds the whole file (`head.len() >= size`) the structure is read to its end:
/// every PNG chunk and its CRC up to `IEND`, a JPEG's segments up to the scan, a WebP's RIFF
/// length. When it is a prefix, what it holds is checked and nothing is assumed of the rest.
///
/// ```
/// use restframe::file_validators::image_info;
/// let png: &[u8] = &[
///     0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
///     0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
///     0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
///     0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
///     0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
/// ];
/// let info = image_info(png, png.len() as u64).unwrap();
/// assert_eq!((info.media_type(), info.width(), info.height()), ("image/png", Some(1), Some(1)));
/// // The whole file without its IEND chunk is truncated...
/// assert_eq!(image_info(&png[..57], 57), None);
/// // ...but the same bytes as the start of a larger file are a fine header.
/// assert!(image_info(&png[..57], 4096).is_some());
/// ```
pub fn image_info(head: &[u8], size: u64) -> Option<ImageInfo> {
    let data = &head[..head.len().min(usize::try_from(size).unwrap_or(usize::MAX))];
    let sniffed = sniff(data).filter(|t| IMAGE_TYPES.contains(t))?;
    let mut cursor = Cursor {
        data,
        pos: 0,
        total: size,
    };
    let mut dimensions = None;
    let (media_type, result) = if data.starts_with(PNG_SIGNATURE) {
        ("image/png", png(&mut cursor, &mut dimensions))
    } else if data.starts_with(&[0xFF, 0xD8]) {
        ("image/jpeg", jpeg(&mut cursor, &mut dimensions))
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        ("image/gif", gif(&mut cursor, &mut dimensions))
    } else if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        ("image/webp", webp(&mut cursor, &mut dimensions))
    } else {
        return None;
    };
    let readable = match result {
        Ok(()) => dimensions.is_some(),
        // Only a prefix runs short. A JPEG's dimensions may lie past it; other types have
        // theirs at a fixed place near the start, which a prefix must hold.
        Err(Stop::Short) => dimensions.is_some() || media_type == "image/jpeg",
        Err(Stop::Invalid) => false,
    };
    let pixels = dimensions.map_or(0, |(w, h)| u64::from(w) * u64::from(h));
    (readable && sniffed == media_type && pixels <= MAX_IMAGE_PIXELS).then_some(ImageInfo {
        media_type,
        dimensions,
    })
}

/// The usual extension of an image type of [`IMAGE_TYPES`] (`""` for another).
pub(crate) fn image_extension(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "",
    }
}

/// The image type an extension (lower case) names, if it names one of [`IMAGE_TYPES`].
fn extension_type(ext: &str) -> Option<&'static str> {
    match ext {
        "png" => Some("image/png"),
        "jpg" | "jpeg" | "jpe" | "jfif" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why reading a header stopped.
enum Stop {
    /// The header contradicts itself or the file's size.
    Invalid,
    /// The bytes given end, but the file goes on.
    Short,
}

/// Reads `data`, the first bytes of a file of `total` bytes.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    total: u64,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.pos.checked_add(n).ok_or(Stop::Invalid)?;
        if u64::try_from(end).unwrap_or(u64::MAX) > self.total {
            return Err(Stop::Invalid);
        }
        let bytes = self.data.get(self.pos..end).ok_or(Stop::Short)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Stop> {
        Ok(self.array::<1>()?[0])
    }

    fn be16(&mut self) -> Result<u16, Stop> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn be32(&mut self) -> Result<u32, Stop> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn le16(&mut self) -> Result<u16, Stop> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn le32(&mut self) -> Result<u32, Stop> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}

fn nonzero(width: u32, height: u32) -> Result<Option<(u32, u32)>, Stop> {
    if width == 0 || height == 0 {
        Err(Stop::Invalid)
    } else {
        Ok(Some((width, height)))
    }
}

/// PNG: the signature, then chunks (length, type, data, CRC) from `IHDR` through `IDAT` to
/// `IEND`, each CRC checked as libpng does.
fn png(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(PNG_SIGNATURE.len())?;
    let mut seen_data = false;
    loop {
        let len = c.be32()?;
        if len > 0x7FFF_FFFF {
            return Err(Stop::Invalid);
        }
        let kind: [u8; 4] = c.array()?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(Stop::Invalid);
        }
        let first = dimensions.is_none();
        if first != (&kind == b"IHDR") {
            return Err(Stop::Invalid);
        }
        let data = c.take(len as usize)?;
        if c.be32()? != crc32(crc32(!0, &kind), data) ^ !0 {
            return Err(Stop::Invalid);
        }
        match &kind {
            b"IHDR" => *dimensions = ihdr(data)?,
            b"IDAT" => seen_data = true,
            b"IEND" if seen_data => return Ok(()),
            b"IEND" => return Err(Stop::Invalid),
            _ => {}
        }
    }
}

/// A PNG's `IHDR`: dimensions up to 2³¹−1, and a bit depth the colour type allows.
fn ihdr(data: &[u8]) -> Result<Option<(u32, u32)>, Stop> {
    let d: &[u8; 13] = data.try_into().map_err(|_| Stop::Invalid)?;
    let width = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let height = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    let [depth, colour, compression, filter, interlace] = [d[8], d[9], d[10], d[11], d[12]];
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !depth_ok
        || compression != 0
        || filter != 0
        || interlace > 1
        || width > 0x7FFF_FFFF
        || height > 0x7FFF_FFFF
    {
        return Err(Stop::Invalid);
    }
    nonzero(width, height)
}

/// JPEG: `SOI`, then marker segments; a frame header (`SOFn`) gives the dimensions and must
/// come before the first scan (`SOS`).
fn jpeg(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(2)?;
    loop {
        if c.u8()? != 0xFF {
            return Err(Stop::Invalid);
        }
        let mut marker = c.u8()?;
        while marker == 0xFF {
            marker = c.u8()?; // fill bytes
        }
        match marker {
            // Standalone markers: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => continue,
            // A second SOI, an end before any scan, a stuffed zero where a marker belongs.
            0x00 | 0xD8 | 0xD9 => return Err(Stop::Invalid),
            _ => {}
        }
        let len = c.be16()?;
        let segment = c.take(usize::from(len.checked_sub(2).ok_or(Stop::Invalid)?))?;
        match marker {
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let &[precision, h0, h1, w0, w1, components, ref rest @ ..] = segment else {
                    return Err(Stop::Invalid);
                };
                if dimensions.is_some()
                    || !(2..=16).contains(&precision)
                    || !(1..=4).contains(&components)
                    || rest.len() < 3 * usize::from(components)
                {
                    return Err(Stop::Invalid);
                }
                *dimensions = nonzero(
                    u32::from(u16::from_be_bytes([w0, w1])),
                    u32::from(u16::from_be_bytes([h0, h1])),
                )?;
            }
            0xDA if dimensions.is_some() => return Ok(()),
            0xDA => return Err(Stop::Invalid),
            _ => {}
        }
    }
}

/// GIF: the header and logical screen descriptor, the global colour table when there is one,
/// then an extension or an image.
fn gif(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(6)?;
    let (width, height) = (c.le16()?, c.le16()?);
    let flags = c.u8()?;
    c.take(2)?; // background colour, aspect ratio
    *dimensions = nonzero(u32::from(width), u32::from(height))?;
    if flags & 0x80 != 0 {
        c.take(3 << ((flags & 0x07) + 1))?;
    }
    match c.u8()? {
        0x21 | 0x2C => Ok(()),
        _ => Err(Stop::Invalid),
    }
}

/// WebP: a RIFF container that fits the file, then a `VP8 ` (lossy), `VP8L` (lossless) or
/// `VP8X` (extended) chunk with the dimensions.
fn webp(c: &mut Cursor<'_>, dimensions: &mut Option<(u32, u32)>) -> Result<(), Stop> {
    c.take(4)?;
    let riff = c.le32()?;
    c.take(4)?;
    if riff < 4 + 8 || u64::from(riff) + 8 > c.total {
        return Err(Stop::Invalid);
    }
    let kind: [u8; 4] = c.array()?;
    let len = c.le32()?;
    if u64::from(len) + 12 > u64::from(riff) {
        return Err(Stop::Invalid);
    }
    *dimensions = match &kind {
        b"VP8 " => {
            let &[tag, _, _, 0x9D, 0x01, 0x2A, w0, w1, h0, h1] = c.take(10)? else {
                return Err(Stop::Invalid);
            };
            if tag & 1 != 0 {
                return Err(Stop::Invalid); // not a key frame
            }
            nonzero(
                u32::from(u16::from_le_bytes([w0, w1]) & 0x3FFF),
                u32::from(u16::from_le_bytes([h0, h1]) & 0x3FFF),
            )?
        }
        b"VP8L" => {
            if c.u8()? != 0x2F {
                return Err(Stop::Invalid);
            }
            let bits = c.le32()?;
            if bits >> 29 != 0 {
                return Err(Stop::Invalid); // version
            }
            nonzero((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)?
        }
        b"VP8X" => {
            let &[_, _, _, _, w0, w1, w2, h0, h1, h2] = c.take(10)? else {
                return Err(Stop::Invalid);
            };
            nonzero(
                u32::from_le_bytes([w0, w1, w2, 0]) + 1,
                u32::from_le_bytes([h0, h1, h2, 0]) + 1,
            )?
        }
        _ => return Err(Stop::Invalid),
    };
    Ok(())
}

/// CRC-32 (ISO-HDLC, PNG's) table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Continues a CRC-32 over `bytes` (start with `!0`, finish with `^ !0`).
fn crc32(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{FileRules, INVALID_IMAGE_MESSAGE, image_info, image_type};

    /// A 1×1 RGBA PNG.
    pub(crate) const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    /// A JPEG header as cameras write it: SOI, a JFIF APP0, a quantisation table, a 3×2
    /// baseline frame, a scan header, two bytes of scan and EOI.
    pub(crate) fn jpeg() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(b"\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        j.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
        j.extend_from_slice(&[1; 64]);
        j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01]);
        j.extend_from_slice(&[0x01, 0x11, 0x00]);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
        j
    }

    /// A 2×1 GIF89a with a two-colour global table and one image.
    pub(crate) const GIF: &[u8] = b"GIF89a\x02\x00\x01\x00\x80\x00\x00\
        \x00\x00\x00\xff\xff\xff\
        ,\x00\x00\x00\x00\x02\x00\x01\x00\x00\x02\x02\x44\x01\x00;";

    /// A lossless 5×7 WebP header (the bitstream after it is not decoded).
    pub(crate) fn webp() -> Vec<u8> {
        let bits: u32 = 4 | (6 << 14);
        let mut w = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0e\x00\x00\x00\x2f".to_vec();
        w.extend_from_slice(&bits.to_le_bytes());
        w.extend_from_slice(&[0; 9]);
        w
    }

    /// The 1×1 PNG with another width and height in its IHDR (and the CRC to match).
    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut png = PNG.to_vec();
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = super::crc32(!0, &png[12..29]) ^ !0;
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn whole(bytes: &[u8]) -> Option<(&'static str, Option<u32>, Option<u32>)> {
        image_info(bytes, bytes.len() as u64).map(|i| (i.media_type(), i.width(), i.height()))
    }

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
        assert_eq!(whole(PNG), Some(("image/png", Some(1), Some(1))));
        assert_eq!(whole(&jpeg()), Some(("image/jpeg", Some(3), Some(2))));
        assert_eq!(whole(GIF), Some(("image/gif", Some(2), Some(1))));
        assert_eq!(whole(&webp()), Some(("image/webp", Some(5), Some(7))));

        let mut lossy = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00".to_vec();
        lossy.extend_from_slice(&[0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x10, 0x00, 0x20, 0x00]);
        lossy.extend_from_slice(&[0; 4]);
        assert_eq!(whole(&lossy), Some(("image/webp", Some(16), Some(32))));

        let mut extended = b"RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00".to_vec();
        extended.extend_from_slice(&[0x10, 0, 0, 0, 0xFF, 0x03, 0x00, 0x1F, 0x00, 0x00]);
        assert_eq!(whole(&extended), Some(("image/webp", Some(1024), Some(32))));

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
        // Cut inside IHDR: refused whether or not the file is said to go on.
        assert_eq!(whole(&PNG[..20]), None);
        assert_eq!(image_info(&PNG[..20], 1000), None);
        // Without IEND: a truncated file, though a fine prefix.
        assert_eq!(whole(&PNG[..PNG.len() - 12]), None);
        assert!(image_info(&PNG[..PNG.len() - 12], 1000).is_some());
        // A flipped bit in the IHDR fails its CRC.
        let mut flipped = PNG.to_vec();
        flipped[18] ^= 0x40;
        assert_eq!(whole(&flipped), None);
        // Zero width; a frame after the scan began; a GIF's colour table cut off.
        assert_eq!(whole(&png_of(0, 1)), None);
        let jpeg = jpeg();
        let scan = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        assert_eq!(whole(&jpeg[..scan]), None);
        assert_eq!(whole(&GIF[..15]), None);
        // A WebP whose RIFF length says more than the file holds.
        let w = webp();
        assert_eq!(whole(&w[..w.len() - 1]), None);
        // A PNG that declares 100000 × 100000 pixels: a decompression bomb.
        assert_eq!(image_info(&png_of(100_000, 100_000), 1 << 20), None);
        assert!(image_info(&png_of(10_000, 10_000), 1 << 20).is_some());

        let rules = FileRules::new("image").image();
        let errors = rules.check("a.png", 57, &PNG[..57]).unwrap_err();
        assert_eq!(errors.errors()[0].1, INVALID_IMAGE_MESSAGE);
    }

    #[test]
    fn a_jpeg_header_past_the_head_is_a_jpeg_of_unknown_size() {
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF];
        big.resize(100, 0);
        let info = image_info(&big, 200_000).unwrap();
        assert_eq!((info.media_type(), info.width()), ("image/jpeg", None));
        // Dimension limits cannot be checked then, and say so.
        let rules = FileRules::new("photo").max_dimensions(100, 100);
        let errors = rules.check("a.jpg", 200_000, &big).unwrap_err();
        assert!(errors.errors()[0].1.contains("dimensions"), "{errors}");
        // The whole file cut there is truncated.
        assert_eq!(whole(&big), None);
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

    #[test]
    fn image_type_reads_a_prefix() {
        assert_eq!(image_type(PNG), Some("image/png"));
        assert_eq!(image_type(&PNG[..33]), Some("image/png"));
        assert_eq!(image_type(&jpeg()[..4]), Some("image/jpeg"));
        assert_eq!(image_type(&webp()), Some("image/webp"));
        assert_eq!(image_type(b"\x89PNG"), None);
        assert_eq!(image_type(b""), None);
    }
}
