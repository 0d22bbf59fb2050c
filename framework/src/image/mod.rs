//! Image headers, read without decoding: the type sniffed from the first bytes, and the PNG,
//! JPEG, GIF and WebP headers (one file per format) that prove an image and give its
//! dimensions. The policy built on them — which images a field takes — is
//! `validation::FileRules`.

mod gif;
mod jpeg;
mod png;
mod webp;

/// The image types whose headers are read here (and that an image field accepts); SVG is not
/// one (it is a document that can carry scripts).
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The most pixels an image may declare: Pillow's limit, past which Django's `ImageField`
/// refuses the file as not a valid image (a small file that decodes to gigabytes is a bomb).
pub const MAX_IMAGE_PIXELS: u64 = 178_956_970;

/// The media type the first bytes say the content is, if they say.
///
/// ```
/// assert_eq!(restframe::image::sniff(b"ID3\x03\x00\x00\x00\x00\x00\x00"), Some("audio/mpeg"));
/// assert_eq!(restframe::image::sniff(b"GIF89a\x01\x00"), Some("image/gif"));
/// assert_eq!(restframe::image::sniff(b"hello"), None);
/// ```
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|kind| kind.mime_type())
}

/// The image type of `head`, the start of a file, when its header reads as a PNG, JPEG, GIF
/// or WebP ([`image_info`] with the file's size unknown).
///
/// ```
/// use restframe::image::image_type;
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
/// use restframe::image::image_info;
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
    let (media_type, result) = if data.starts_with(png::SIGNATURE) {
        ("image/png", png::read(&mut cursor, &mut dimensions))
    } else if data.starts_with(&[0xFF, 0xD8]) {
        ("image/jpeg", jpeg::read(&mut cursor, &mut dimensions))
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        ("image/gif", gif::read(&mut cursor, &mut dimensions))
    } else if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        ("image/webp", webp::read(&mut cursor, &mut dimensions))
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
///
/// ```
/// assert_eq!(restframe::image::image_extension("image/jpeg"), "jpg");
/// assert_eq!(restframe::image::image_extension("image/svg+xml"), "");
/// ```
pub fn image_extension(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "",
    }
}

/// The image type an extension (lower case) names, if it names one of [`IMAGE_TYPES`].
pub(crate) fn extension_type(ext: &str) -> Option<&'static str> {
    match ext {
        "png" => Some("image/png"),
        "jpg" | "jpeg" | "jpe" | "jfif" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// Why reading a header stopped.
pub(crate) enum Stop {
    /// The header contradicts itself or the file's size.
    Invalid,
    /// The bytes given end, but the file goes on.
    Short,
}

/// Reads `data`, the first bytes of a file of `total` bytes.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    /// The file's size in bytes.
    pub(crate) total: u64,
}

impl<'a> Cursor<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.pos.checked_add(n).ok_or(Stop::Invalid)?;
        if u64::try_from(end).unwrap_or(u64::MAX) > self.total {
            return Err(Stop::Invalid);
        }
        let bytes = self.data.get(self.pos..end).ok_or(Stop::Short)?;
        self.pos = end;
        Ok(bytes)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Stop> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn be16(&mut self) -> Result<u16, Stop> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn be32(&mut self) -> Result<u32, Stop> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn le16(&mut self) -> Result<u16, Stop> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn le32(&mut self) -> Result<u32, Stop> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}

/// `Some((width, height))`, or invalid when either is zero.
pub(crate) fn nonzero(width: u32, height: u32) -> Result<Option<(u32, u32)>, Stop> {
    if width == 0 || height == 0 {
        Err(Stop::Invalid)
    } else {
        Ok(Some((width, height)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{image_info, image_type};

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
    pub(crate) fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut png = PNG.to_vec();
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = super::png::crc32(!0, &png[12..29]) ^ !0;
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    pub(crate) fn whole(bytes: &[u8]) -> Option<(&'static str, Option<u32>, Option<u32>)> {
        image_info(bytes, bytes.len() as u64).map(|i| (i.media_type(), i.width(), i.height()))
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
    }

    #[test]
    fn a_jpeg_header_past_the_head_is_a_jpeg_of_unknown_size() {
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF];
        big.resize(100, 0);
        let info = image_info(&big, 200_000).unwrap();
        assert_eq!((info.media_type(), info.width()), ("image/jpeg", None));
        // The whole file cut there is truncated.
        assert_eq!(whole(&big), None);
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
