//! `application/yaml`: YAML 1.2 via `serde_yaml`.

use serde::Serialize;

use crate::{Data, Mime, RenderContext, RenderError, Renderer, as_serialize, static_mime};

/// Renders YAML (DRF's `YAMLRenderer`, from the `djangorestframework-yaml` package).
///
/// Block style, keys in the data's order; charset utf-8. Also answers to the older
/// `application/x-yaml` and `text/yaml`.
///
/// ```
/// use restframe_renderers::{RenderContext, Renderer, YamlRenderer};
/// let data = serde_json::json!({"title": "Blue", "tags": ["jazz", "modal"]});
/// let mut out = Vec::new();
/// YamlRenderer::new().render(&data, &RenderContext::default(), &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "title: Blue\ntags:\n- jazz\n- modal\n");
/// ```
#[derive(Clone, Debug)]
pub struct YamlRenderer {
    media_type: Mime,
    aliases: [Mime; 2],
}

impl Default for YamlRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl YamlRenderer {
    /// An `application/yaml` renderer.
    pub fn new() -> Self {
        Self {
            media_type: static_mime("application/yaml"),
            aliases: [static_mime("application/x-yaml"), static_mime("text/yaml")],
        }
    }
}

impl Renderer for YamlRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn format(&self) -> &str {
        "yaml"
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let start = out.len();
        let result = {
            let mut ser = serde_yaml::Serializer::new(&mut *out);
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

    fn render(data: &dyn Data) -> Result<String, RenderError> {
        let mut out = Vec::new();
        YamlRenderer::new().render(data, &RenderContext::default(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn structs_render_as_block_maps_in_field_order() {
        #[derive(Serialize)]
        struct Track {
            title: &'static str,
            seconds: u32,
            artist: Option<&'static str>,
            live: bool,
        }
        let track = Track {
            title: "So What",
            seconds: 562,
            artist: None,
            live: false,
        };
        assert_eq!(
            render(&track).unwrap(),
            "title: So What\nseconds: 562\nartist: null\nlive: false\n"
        );
    }

    #[test]
    fn strings_that_look_like_other_types_are_quoted() {
        assert_eq!(
            render(&vec!["true", "1", "null", "a: b"]).unwrap(),
            "- 'true'\n- '1'\n- 'null'\n- 'a: b'\n"
        );
    }

    #[test]
    fn round_trips_through_serde_yaml() {
        let v = serde_json::json!({"a": [1, 2.5, null], "b": {"c": "multi\nline"}});
        let back: serde_json::Value = serde_yaml::from_str(&render(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn answers_to_the_older_yaml_media_types_with_utf8() {
        let r = YamlRenderer::new();
        let aliases: Vec<_> = r.aliases().iter().map(|m| m.essence_str()).collect();
        assert_eq!(aliases, ["application/x-yaml", "text/yaml"]);
        assert_eq!(r.charset(), Some("utf-8"));
    }
}
