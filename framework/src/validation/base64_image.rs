//! [`Base64Image`]: an image sent inside a JSON (or YAML, MessagePack…) document as base64 text
//! or a `data:` URI, checked as an uploaded image is. Clients that cannot send multipart —
//! a profile form posting JSON, a mobile app — send small images this way.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::display::Base64Display;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::image::{image_extension, image_info};
use crate::validation::{FileRules, INVALID_IMAGE_MESSAGE, ValidationErrors};

/// The largest decoded image a [`Base64Image`] takes unless its type says otherwise: 5 MiB.
pub const BASE64_IMAGE_MAX_BYTES: usize = 5 << 20;

/// Standard alphabet, padding optional; stray bits after the last byte ignored, as most
/// decoders do.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// An image decoded from base64 — bare, or a `data:image/png;base64,…` URI — and proved an
/// image by its header: a PNG, JPEG, GIF or WebP (the checks of [`FileRules::image`]), of at
/// most `MAX_BYTES` decoded bytes ([`BASE64_IMAGE_MAX_BYTES`] unless given). Its media type is the
/// one sniffed from its bytes; a data URI that declares another is refused.
///
/// Whitespace and line breaks in the base64 are ignored and padding is optional. As a field of
/// a request's data, a bad image is a 400 under the field's name, with DRF's message:
///
/// ```
/// use restframe::Base64Image;
/// use restframe::parsers::{JsonParser, ParseContext, Parser};
///
/// #[derive(serde::Deserialize, serde::Serialize, Debug)]
/// struct Avatar {
///     data: Base64Image,
/// }
///
/// // A 1×1 PNG.
/// let body = r#"{"data": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg=="}"#;
/// let avatar: Avatar = serde_json::from_str(body).unwrap();
/// assert_eq!(avatar.data.media_type(), "image/png");
/// assert_eq!((avatar.data.width(), avatar.data.height()), (1, 1));
/// assert_eq!(&avatar.data.bytes()[1..4], b"PNG");
/// // It serializes back as a data URI.
/// assert_eq!(serde_json::to_string(&avatar).unwrap(), body.replace(": ", ":"));
///
/// // Through a parser, as `Request::data` reads it: a field error in DRF's shape.
/// let ct = "application/json".parse().unwrap();
/// let svg = r#"{"data": "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="}"#;
/// let parsed = JsonParser::new().parse_bytes(svg.into(), &ParseContext::new(&ct)).unwrap();
/// let err = restframe::ApiError::from(parsed.deserialize::<Avatar>().unwrap_err());
/// assert_eq!(
///     serde_json::to_string(&err).unwrap(),
///     r#"{"data":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}"#
/// );
/// ```
///
/// Another size limit is another type, `Base64Image<{ 512 * 1024 }>`; limits known only at run
/// time, dimensions and narrower types are [`FileRules`], through [`check`](Self::check).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Base64Image<const MAX_BYTES: usize = BASE64_IMAGE_MAX_BYTES> {
    bytes: Vec<u8>,
    media_type: &'static str,
    width: u32,
    height: u32,
}

impl<const MAX_BYTES: usize> Base64Image<MAX_BYTES> {
    /// The largest decoded size this type takes, in bytes.
    pub const LIMIT: usize = MAX_BYTES;

    /// Decodes base64 text or a `data:` URI and checks the image.
    ///
    /// ```
    /// use restframe::validation::{Base64Image, Base64ImageError};
    /// let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg";
    /// let image: Base64Image = Base64Image::decode(png).unwrap(); // no padding: fine
    /// assert_eq!(image.media_type(), "image/png");
    /// let err = <Base64Image>::decode(&format!("data:image/jpeg;base64,{png}")).unwrap_err();
    /// assert_eq!(err.to_string(), "The data URI says image/jpeg, but the image is image/png.");
    /// let err = Base64Image::<16>::decode(png).unwrap_err();
    /// assert_eq!(err, Base64ImageError::TooLarge { max: 16, size: 67 });
    /// ```
    pub fn decode(text: &str) -> Result<Self, Base64ImageError> {
        decode(text, MAX_BYTES).map(Self::from_checked)
    }

    /// Checks bytes already decoded, as [`decode`](Self::decode) does after decoding.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Base64ImageError> {
        check(bytes, MAX_BYTES).map(Self::from_checked)
    }

    fn from_checked(c: Checked) -> Self {
        Self {
            bytes: c.bytes,
            media_type: c.media_type,
            width: c.width,
            height: c.height,
        }
    }

    /// The decoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`, from the bytes themselves.
    pub fn media_type(&self) -> &'static str {
        self.media_type
    }

    /// The usual extension for the type: `png`, `jpg`, `gif` or `webp` (to name a stored file).
    pub fn extension(&self) -> &'static str {
        image_extension(self.media_type)
    }

    /// The width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Checks the image against `rules`, as an upload named `image.{extension}`: a size limit
    /// below the type's, dimensions, media types. Errors are under the rules' field.
    ///
    /// ```
    /// use restframe::Base64Image;
    /// use restframe::validation::FileRules;
    /// let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";
    /// let image: Base64Image = png.parse().unwrap();
    /// assert!(image.check(&FileRules::new("avatar").max_dimensions(64, 64)).is_ok());
    /// let err = image.check(&FileRules::new("avatar").max_size(50)).unwrap_err();
    /// assert_eq!(err.to_string(), "avatar: Ensure this file is no larger than 50 bytes (it is 67).");
    /// ```
    pub fn check(&self, rules: &FileRules) -> Result<(), ValidationErrors> {
        let name = format!("image.{}", self.extension());
        rules.check(&name, self.bytes.len() as u64, &self.bytes)
    }

    /// The image as a `data:` URI with base64 content.
    pub fn to_data_uri(&self) -> String {
        DataUri(self.media_type, &self.bytes).to_string()
    }
}

impl<const MAX_BYTES: usize> fmt::Debug for Base64Image<MAX_BYTES> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Base64Image")
            .field("media_type", &self.media_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl<const MAX_BYTES: usize> FromStr for Base64Image<MAX_BYTES> {
    type Err = Base64ImageError;

    fn from_str(s: &str) -> Result<Self, Base64ImageError> {
        Self::decode(s)
    }
}

impl<const MAX_BYTES: usize> Serialize for Base64Image<MAX_BYTES> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&DataUri(self.media_type, &self.bytes))
    }
}

impl<'de, const MAX_BYTES: usize> Deserialize<'de> for Base64Image<MAX_BYTES> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ImageVisitor<const M: usize>;
        impl<const M: usize> Visitor<'_> for ImageVisitor<M> {
            type Value = Base64Image<M>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image as base64 text or a data: URI")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Base64Image<M>, E> {
                Base64Image::decode(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(ImageVisitor::<MAX_BYTES>)
    }
}

/// Why a text is not a [`Base64Image`]; displays the message a client sees.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base64ImageError {
    /// Not base64 of the standard alphabet, or a `data:` URI that is not `;base64,`.
    NotBase64,
    /// Nothing after decoding.
    Empty,
    /// More decoded bytes than `max`.
    TooLarge {
        /// The limit, in bytes.
        max: usize,
        /// The decoded size, in bytes.
        size: usize,
    },
    /// Not a PNG, JPEG, GIF or WebP, or a corrupt one ([`INVALID_IMAGE_MESSAGE`]).
    NotAnImage,
    /// The data URI declares one type and the bytes are another.
    TypeMismatch {
        /// The data URI's media type, lower case.
        declared: String,
        /// The type sniffed from the bytes.
        found: &'static str,
    },
}

impl fmt::Display for Base64ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBase64 => f.write_str(
                "The image is not valid base64: send base64 text or a data URI such as \
                 data:image/png;base64,iVBORw0KGgo\u{2026}",
            ),
            Self::Empty => f.write_str("The submitted file is empty."),
            Self::TooLarge { max, size } => write!(
                f,
                "Ensure this file is no larger than {max} bytes (it is {size})."
            ),
            Self::NotAnImage => f.write_str(INVALID_IMAGE_MESSAGE),
            Self::TypeMismatch { declared, found } => {
                write!(f, "The data URI says {declared}, but the image is {found}.")
            }
        }
    }
}

impl std::error::Error for Base64ImageError {}

/// A decoded and checked image (the non-generic half of [`Base64Image`]).
struct Checked {
    bytes: Vec<u8>,
    media_type: &'static str,
    width: u32,
    height: u32,
}

fn decode(text: &str, max: usize) -> Result<Checked, Base64ImageError> {
    let text = text.trim_ascii();
    let (declared, payload) = match text.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("data:") => {
            let (header, payload) = text[5..]
                .split_once(',')
                .ok_or(Base64ImageError::NotBase64)?;
            let mut params = header.split(';');
            let declared = params
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !params
                .next_back()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("base64"))
            {
                return Err(Base64ImageError::NotBase64);
            }
            (Some(declared), payload)
        }
        _ => (None, text),
    };
    let compact: std::borrow::Cow<'_, [u8]> = if payload.bytes().any(|b| b.is_ascii_whitespace()) {
        payload
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<_>>()
            .into()
    } else {
        payload.as_bytes().into()
    };
    // The decoded size is known from the length: refuse an oversize image before decoding it.
    let symbols = compact.len() - compact.iter().rev().take_while(|&&b| b == b'=').count();
    let size = match symbols % 4 {
        1 => return Err(Base64ImageError::NotBase64),
        rest => symbols / 4 * 3 + rest.saturating_sub(1),
    };
    if size > max {
        return Err(Base64ImageError::TooLarge { max, size });
    }
    let bytes = LENIENT
        .decode(&compact)
        .map_err(|_| Base64ImageError::NotBase64)?;
    let checked = check(bytes, max)?;
    match declared.as_deref() {
        // `data:;base64,` declares nothing (RFC 2397's text/plain default is never an image).
        None | Some("") => {}
        Some(d) if canonical(d) == checked.media_type => {}
        Some(d) => {
            return Err(Base64ImageError::TypeMismatch {
                declared: d.to_owned(),
                found: checked.media_type,
            });
        }
    }
    Ok(checked)
}

/// The standard name of an image type, for the aliases clients send.
fn canonical(media_type: &str) -> &str {
    match media_type {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        other => other,
    }
}

fn check(bytes: Vec<u8>, max: usize) -> Result<Checked, Base64ImageError> {
    if bytes.is_empty() {
        return Err(Base64ImageError::Empty);
    }
    if bytes.len() > max {
        return Err(Base64ImageError::TooLarge {
            max,
            size: bytes.len(),
        });
    }
    let info = image_info(&bytes, bytes.len() as u64).ok_or(Base64ImageError::NotAnImage)?;
    // The whole file was read, so its dimensions are known.
    let (Some(width), Some(height)) = (info.width(), info.height()) else {
        return Err(Base64ImageError::NotAnImage);
    };
    Ok(Checked {
        media_type: info.media_type(),
        bytes,
        width,
        height,
    })
}

/// Writes `data:{type};base64,{bytes}` without building the base64 first.
struct DataUri<'a>(&'static str, &'a [u8]);

impl fmt::Display for DataUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "data:{};base64,{}",
            self.0,
            Base64Display::new(self.1, &STANDARD)
        )
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{BASE64_IMAGE_MAX_BYTES, Base64Image, Base64ImageError};
    use crate::image::tests::{GIF, PNG, jpeg, webp};
    use crate::parsers::{JsonParser, ParseContext, Parser};
    use crate::validation::{FileRules, INVALID_IMAGE_MESSAGE};

    fn b64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    #[test]
    fn bare_base64_and_data_uris_decode() {
        let bare: Base64Image = Base64Image::decode(&b64(PNG)).unwrap();
        assert_eq!(bare.bytes(), PNG);
        assert_eq!(
            (bare.media_type(), bare.extension(), bare.width()),
            ("image/png", "png", 1)
        );
        let uri: Base64Image = format!("data:image/png;base64,{}", b64(PNG))
            .parse()
            .unwrap();
        assert_eq!(uri, bare);
        assert_eq!(uri.clone().into_bytes(), PNG);
        // Case, parameters, padding and whitespace are all tolerated.
        let loose = format!(
            "  DATA:Image/PNG;name=a.png;BASE64,{}\n",
            b64(PNG).trim_end_matches('=')
        );
        let wrapped: String = b64(PNG)
            .as_bytes()
            .chunks(20)
            .map(|c| format!("{}\r\n ", std::str::from_utf8(c).unwrap()))
            .collect();
        for text in [loose, wrapped, format!("data:;base64,{}", b64(PNG))] {
            let image: Base64Image = text.parse().unwrap();
            assert_eq!(image.bytes(), PNG, "{text}");
        }
        for (bytes, media_type) in [
            (jpeg(), "image/jpeg"),
            (GIF.to_vec(), "image/gif"),
            (webp(), "image/webp"),
        ] {
            let image: Base64Image = Base64Image::decode(&b64(&bytes)).unwrap();
            assert_eq!(image.media_type(), media_type);
        }
        let jpg: Base64Image = format!("data:image/jpg;base64,{}", b64(&jpeg()))
            .parse()
            .unwrap();
        assert_eq!(jpg.media_type(), "image/jpeg");
    }

    #[test]
    fn bad_base64_is_refused() {
        for text in [
            "not base64!",
            "iVBORw0KGgo=AAAA",
            "iVBORw0KG",
            "data:image/png,%89PNG",
            "data:image/png;base64",
            "iVBORw0K-_",
        ] {
            assert_eq!(
                text.parse::<Base64Image>(),
                Err(Base64ImageError::NotBase64),
                "{text}"
            );
        }
        assert_eq!("".parse::<Base64Image>(), Err(Base64ImageError::Empty));
        assert_eq!(
            "data:image/png;base64,".parse::<Base64Image>(),
            Err(Base64ImageError::Empty)
        );
    }

    #[test]
    fn svg_and_corrupt_images_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#;
        for text in [
            b64(svg),
            format!("data:image/svg+xml;base64,{}", b64(svg)),
            b64(&PNG[..40]),
            b64(b"hello world"),
        ] {
            assert_eq!(
                text.parse::<Base64Image>(),
                Err(Base64ImageError::NotAnImage),
                "{text}"
            );
        }
        assert_eq!(
            Base64ImageError::NotAnImage.to_string(),
            INVALID_IMAGE_MESSAGE
        );
    }

    #[test]
    fn a_data_uri_must_declare_the_real_type() {
        let err = format!("data:image/gif;base64,{}", b64(PNG))
            .parse::<Base64Image>()
            .unwrap_err();
        assert_eq!(
            err,
            Base64ImageError::TypeMismatch {
                declared: "image/gif".into(),
                found: "image/png"
            }
        );
        assert_eq!(
            err.to_string(),
            "The data URI says image/gif, but the image is image/png."
        );
        assert!(
            format!("data:text/plain;base64,{}", b64(PNG))
                .parse::<Base64Image>()
                .is_err()
        );
    }

    #[test]
    fn too_large_is_refused_before_decoding() {
        assert_eq!(Base64Image::<BASE64_IMAGE_MAX_BYTES>::LIMIT, 5 << 20);
        let err = Base64Image::<66>::decode(&b64(PNG)).unwrap_err();
        assert_eq!(err, Base64ImageError::TooLarge { max: 66, size: 67 });
        assert_eq!(
            err.to_string(),
            "Ensure this file is no larger than 66 bytes (it is 67)."
        );
        assert!(Base64Image::<67>::decode(&b64(PNG)).is_ok());
        // Far too large, and not even base64 past the start: the length alone refuses it.
        let huge = "A".repeat(8 << 20);
        assert!(matches!(
            Base64Image::<BASE64_IMAGE_MAX_BYTES>::decode(&huge),
            Err(Base64ImageError::TooLarge { size, .. }) if size == 6 << 20
        ));
        assert_eq!(
            Base64Image::<66>::from_bytes(PNG.to_vec()),
            Err(Base64ImageError::TooLarge { max: 66, size: 67 })
        );
    }

    #[test]
    fn rules_check_a_decoded_image() {
        let image: Base64Image = Base64Image::from_bytes(jpeg()).unwrap();
        assert!(image.check(&FileRules::new("photo").image()).is_ok());
        let errors = image
            .check(&FileRules::new("photo").media_types(&["image/png"]))
            .unwrap_err();
        assert_eq!(
            errors.errors()[0].1,
            "The file's content is image/jpeg, not one of: image/png."
        );
    }

    #[derive(serde::Deserialize, serde::Serialize, Debug)]
    struct Avatar {
        name: String,
        data: Base64Image<1024>,
    }

    fn from_json(body: &str) -> Result<Avatar, crate::ApiError> {
        let ct = "application/json".parse().unwrap();
        let parsed = JsonParser::new()
            .parse_bytes(body.to_owned().into(), &ParseContext::new(&ct))
            .unwrap();
        parsed.deserialize::<Avatar>().map_err(Into::into)
    }

    #[test]
    fn errors_are_under_the_field() {
        let body = |data: &str| format!(r#"{{"name": "me", "data": "{data}"}}"#);
        let ok = from_json(&body(&format!("data:image/png;base64,{}", b64(PNG)))).unwrap();
        assert_eq!(ok.data.bytes(), PNG);
        // And back: the data URI, padded.
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(
            json["data"],
            format!("data:image/png;base64,{}", b64(PNG)).as_str()
        );

        for (data, message) in [
            (b64(b"<svg/>"), INVALID_IMAGE_MESSAGE.to_owned()),
            (
                format!("data:image/webp;base64,{}", b64(PNG)),
                "The data URI says image/webp, but the image is image/png.".to_owned(),
            ),
            (
                b64(&[0; 2000]),
                "Ensure this file is no larger than 1024 bytes (it is 2000).".to_owned(),
            ),
        ] {
            let err = from_json(&body(&data)).unwrap_err();
            assert_eq!(
                serde_json::to_value(&err).unwrap(),
                serde_json::json!({ "data": [message] }),
            );
        }
        let err = from_json(r#"{"name": "me", "data": 5}"#).unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "data": ["invalid type: integer `5`, expected an image as base64 text or a data: URI"]
            }),
        );
    }

    #[test]
    fn debug_does_not_print_the_bytes() {
        let image: Base64Image = Base64Image::from_bytes(PNG.to_vec()).unwrap();
        assert_eq!(
            format!("{image:?}"),
            r#"Base64Image { media_type: "image/png", width: 1, height: 1, len: 67 }"#
        );
    }
}
