//! Any Accept header, format and Content-Type: negotiation and parser choice never panic.
use std::sync::Arc;

use restframe::negotiation::{
    MediaRange, Renderers, negotiate, query_format, select_parser, split_format_suffix,
};
use restframe::parsers::{JsonParser, Parser, XmlParser, YamlParser};
use restframe::renderers::{
    BinaryRenderer, JsonRenderer, JsonpRenderer, Renderer, XmlRenderer, YamlRenderer,
};

/// One run: the input's valid UTF-8 prefix is `accept\npath\nquery`.
pub fn run(data: &[u8]) {
    let input = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut parts = input.splitn(3, '\n');
    let accept = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let query = parts.next();
    let renderers = Renderers::new([
        Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(JsonpRenderer::new()),
        Arc::new(BinaryRenderer::new(
            "image/*".parse().expect("literal"),
            "img",
        )),
    ]);
    for range in MediaRange::parse_all(accept) {
        assert!(range.q <= 1000);
        let _ = range.specificity();
    }
    let (_, suffix) = split_format_suffix(path, &renderers);
    let from_query = query_format(query);
    let format = suffix.or(from_query.as_deref());
    if let Ok(n) = negotiate(Some(accept), format, &renderers) {
        assert!(n.index() < renderers.len());
        let _ = (n.media_type(), n.params());
    }
    let parsers: Vec<Arc<dyn Parser>> = vec![
        Arc::new(JsonParser::new()),
        Arc::new(YamlParser::new()),
        Arc::new(XmlParser::new()),
    ];
    let _ = select_parser(accept, &parsers);
}
