//! `application/msgpack`: MessagePack via `rmp-serde`, structs as maps.

use serde::Serialize;

use crate::{Data, Mime, RenderContext, RenderError, Renderer, as_serialize, static_mime};

/// Renders MessagePack.
///
/// Structs are written as maps keyed by field name (not `rmp-serde`'s default positional
/// arrays), so any client decodes them as objects, as it would the JSON. `bytes::Bytes` becomes
/// a `bin` value. No charset. Also answers to `application/x-msgpack` and
/// `application/vnd.msgpack`.
///
/// ```
/// use restframe_renderers::{MsgPackRenderer, RenderContext, Renderer};
/// let mut out = Vec::new();
/// MsgPackRenderer::new()
///     .render(&serde_json::json!({"a": 1}), &RenderContext::default(), &mut out)
///     .unwrap();
/// assert_eq!(out, b"\x81\xa1a\x01"); // fixmap(1) "a" 1
/// ```
#[derive(Clone, Debug)]
pub struct MsgPackRenderer {
    media_type: Mime,
    aliases: [Mime; 2],
}

impl Default for MsgPackRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgPackRenderer {
    /// An `application/msgpack` renderer.
    pub fn new() -> Self {
        Self {
            media_type: static_mime("application/msgpack"),
            aliases: [
                static_mime("application/x-msgpack"),
                static_mime("application/vnd.msgpack"),
            ],
        }
    }
}

impl Renderer for MsgPackRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn format(&self) -> &str {
        "msgpack"
    }

    fn charset(&self) -> Option<&'static str> {
        None
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let start = out.len();
        let result = {
            let mut ser = rmp_serde::Serializer::new(&mut *out).with_struct_map();
            as_serialize(data).serialize(&mut ser)
        };
        result.map_err(|e| {
            out.truncate(start);
            RenderError::server(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    fn render(data: &dyn Data) -> Vec<u8> {
        let mut out = Vec::new();
        MsgPackRenderer::new()
            .render(data, &RenderContext::default(), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_struct_renders_as_a_map_with_named_keys() {
        #[derive(Serialize)]
        struct Track {
            title: &'static str,
            seconds: u32,
            tags: Vec<&'static str>,
            artist: Option<&'static str>,
        }
        let track = Track {
            title: "So What",
            seconds: 562,
            tags: vec!["jazz"],
            artist: None,
        };
        let back: serde_json::Value = rmp_serde::from_slice(&render(&track)).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"title": "So What", "seconds": 562, "tags": ["jazz"], "artist": null})
        );
    }

    #[test]
    fn bytes_become_a_bin_value() {
        let out = render(&bytes::Bytes::from_static(b"\x00\xff"));
        assert_eq!(out, b"\xc4\x02\x00\xff"); // bin8, length 2
    }

    #[test]
    fn has_no_charset_and_answers_to_the_older_media_types() {
        let r = MsgPackRenderer::new();
        assert_eq!(r.charset(), None);
        let aliases: Vec<_> = r.aliases().iter().map(|m| m.essence_str()).collect();
        assert_eq!(
            aliases,
            ["application/x-msgpack", "application/vnd.msgpack"]
        );
    }
}
