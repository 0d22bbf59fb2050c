//! Any body, in any format: parsing, deserializing into a typed value and into a dynamic one,
//! then rendering that value in every format, must never panic.
use std::sync::Arc;

use restframe::parsers::{
    CsvParser, FormParser, JsonParser, MsgPackParser, ParseContext, Parser, ParserLimits,
    XmlParser, YamlParser,
};
use restframe::renderers::{
    CsvRenderer, JsonRenderer, MsgPackRenderer, RenderContext, Renderer, XmlRenderer, YamlRenderer,
};

#[derive(serde::Deserialize, serde::Serialize, Debug)]
#[allow(dead_code)]
struct Track {
    id: Option<u32>,
    title: String,
    tags: Vec<String>,
    artist: Option<Artist>,
    explicit: Option<bool>,
}

#[derive(serde::Deserialize, serde::Serialize, Debug)]
#[allow(dead_code)]
struct Artist {
    name: String,
}

/// One run: the first byte picks the parser, the rest is the body.
pub fn run(input: &[u8]) {
    let Some((&which, body)) = input.split_first() else {
        return;
    };
    let parsers: [(Arc<dyn Parser>, &str); 6] = [
        (Arc::new(JsonParser::new()), "application/json"),
        (
            Arc::new(FormParser::new()),
            "application/x-www-form-urlencoded",
        ),
        (Arc::new(YamlParser::new()), "application/yaml"),
        (Arc::new(XmlParser::new()), "application/xml"),
        (Arc::new(MsgPackParser::new()), "application/msgpack"),
        (Arc::new(CsvParser::new()), "text/csv"),
    ];
    let (parser, ct) = &parsers[usize::from(which) % parsers.len()];
    let ct: restframe::parsers::Mime = ct.parse().expect("literal");
    // A small body limit keeps each run fast; the depth limit stays the default.
    let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_body_bytes(64 * 1024));
    let Ok(parsed) = parser.parse_bytes(bytes::Bytes::copy_from_slice(body), &ctx) else {
        return;
    };
    let _ = parsed.deserialize::<Track>();
    let _ = parsed.deserialize::<Vec<Track>>();
    let Ok(value) = parsed.to_value() else {
        return;
    };
    let renderers: [Arc<dyn Renderer>; 5] = [
        Arc::new(JsonRenderer::new()),
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(MsgPackRenderer::new()),
        Arc::new(CsvRenderer::new()),
    ];
    for r in &renderers {
        let mut out = Vec::new();
        let _ = r.render(&value, &RenderContext::default(), &mut out);
    }
}
