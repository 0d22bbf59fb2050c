//! Raw bytes under any concrete or wildcard media type (`image/png`, `image/*`, …).

use crate::raw::{self, Accept};
use crate::{Data, Mime, RenderContext, RenderError, Renderer};

/// Writes raw bytes, such as a stored file, under a media type of your choice.
///
/// - the data must serialize with `serialize_bytes`, as [`bytes::Bytes`] does (also
///   `Option<Bytes>` when `Some`, and newtypes around it); a `Vec<u8>` or `&[u8]` serializes as a
///   sequence of numbers and is refused with a hint to wrap it in `Bytes`;
/// - the media type may be a range such as `image/*`: the response then carries the concrete
///   type the view gives;
/// - no charset, ever, even under a `text/*` range: binary means the bytes are not reinterpreted;
/// - [`Renderer::renders_data`] is `false`, so error bodies go to a structured renderer.
///
/// ```
/// use bytes::Bytes;
/// use restframe_renderers::{BinaryRenderer, RenderContext, Renderer};
///
/// let images = BinaryRenderer::new("image/*".parse().unwrap(), "img");
/// assert_eq!(images.format(), "img");
/// assert_eq!(images.charset(), None);
///
/// let mut out = Vec::new();
/// let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n");
/// images.render(&png, &RenderContext::default(), &mut out).unwrap();
/// assert_eq!(out, png);
///
/// let err = images.render(&vec![1_u8], &RenderContext::default(), &mut out).unwrap_err();
/// assert!(err.to_string().contains("bytes::Bytes"));
/// ```
#[derive(Clone, Debug)]
pub struct BinaryRenderer {
    media_type: Mime,
    format: String,
}

impl BinaryRenderer {
    /// A renderer of raw bytes under `media_type` (concrete or a range such as `image/*`), chosen
    /// by the URL suffix or `?format=` `format`. Parse the media type with `str::parse`, which
    /// reports a malformed one instead of panicking.
    pub fn new(media_type: Mime, format: impl Into<String>) -> Self {
        Self {
            media_type,
            format: format.into(),
        }
    }

    /// `application/octet-stream`, format `bin`.
    pub fn octet_stream() -> Self {
        Self::new(mime::APPLICATION_OCTET_STREAM, "bin")
    }
}

impl Renderer for BinaryRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        &self.format
    }

    fn charset(&self) -> Option<&'static str> {
        None
    }

    fn renders_data(&self) -> bool {
        false
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        raw::render(data, Accept::Bytes, out, |what| {
            let hint = if what == "a sequence" {
                " (a Vec<u8> or &[u8] serializes as a sequence of numbers: wrap it in bytes::Bytes)"
            } else {
                ""
            };
            format!("BinaryRenderer renders raw bytes (e.g. bytes::Bytes); got {what}{hint}")
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde::Serialize;

    use super::*;
    use crate::RenderErrorKind;

    fn render(r: &BinaryRenderer, data: &dyn Data) -> Result<Vec<u8>, RenderError> {
        let mut out = Vec::new();
        r.render(data, &RenderContext::default(), &mut out)?;
        Ok(out)
    }

    #[test]
    fn bytes_pass_through_unchanged() {
        let data = Bytes::from_static(&[0, 159, 146, 150, 255]);
        assert_eq!(
            render(&BinaryRenderer::octet_stream(), &data).unwrap(),
            data
        );
        assert_eq!(
            render(&BinaryRenderer::octet_stream(), &Some(data.clone())).unwrap(),
            data
        );
    }

    #[test]
    fn a_struct_is_refused_with_a_message_naming_it() {
        #[derive(Serialize)]
        struct Track {
            title: &'static str,
        }
        let err = render(&BinaryRenderer::octet_stream(), &Track { title: "x" }).unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Server);
        assert_eq!(
            err.message(),
            "BinaryRenderer renders raw bytes (e.g. bytes::Bytes); got the struct `Track`"
        );
    }

    #[test]
    fn a_vec_of_u8_is_refused_with_a_hint_to_use_bytes() {
        let err = render(&BinaryRenderer::octet_stream(), &vec![1_u8, 2]).unwrap_err();
        assert!(err.message().contains("got a sequence"), "{err}");
        assert!(err.message().contains("wrap it in bytes::Bytes"), "{err}");
    }

    #[test]
    fn has_no_charset_even_under_a_text_range() {
        let r = BinaryRenderer::new("text/*".parse().unwrap(), "raw");
        assert_eq!(r.charset(), None);
        assert_eq!(r.media_type().as_ref(), "text/*");
        assert!(!r.renders_data());
        assert_eq!(BinaryRenderer::octet_stream().format(), "bin");
    }
}
