//! Runs negotiation or JSON rendering in a loop, for instruction counts under callgrind, which
//! are repeatable where timings on a shared machine are not. Modes: `negotiate` (Chrome's
//! Accept among 8 renderers), `negotiate-json`, `to-vec` (bare `serde_json::to_vec` of 100
//! tracks), `negotiated-json` (negotiate, then render the same tracks with the chosen renderer):
//! `valgrind --tool=callgrind target/release/examples/negotiate_loop MODE N`; the cost of one
//! iteration is the difference between two N, divided by their difference.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use restframe::negotiate;
use restframe::renderers::{
    CsvRenderer, Data, JsonRenderer, JsonpRenderer, MsgPackRenderer, PlainTextRenderer,
    RenderContext, Renderer, StaticHtmlRenderer, XmlRenderer, YamlRenderer,
};
use serde::Serialize;

#[derive(Serialize)]
struct Track {
    id: u64,
    title: String,
    artist_name: String,
    release_date: Option<String>,
    duration_seconds: u32,
    explicit: bool,
}

fn tracks() -> Vec<Track> {
    (0..100)
        .map(|i| Track {
            id: i,
            title: format!("Track number {i}"),
            artist_name: "The Benchmarks".into(),
            release_date: (i % 3 != 0).then(|| "2024-05-17".into()),
            duration_seconds: 180 + i as u32,
            explicit: i % 2 == 0,
        })
        .collect()
}

const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                      image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "negotiate".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let renderers = restframe::Renderers::new([
        Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(MsgPackRenderer::new()),
        Arc::new(CsvRenderer::new()),
        Arc::new(JsonpRenderer::new()),
        Arc::new(PlainTextRenderer::new()),
        Arc::new(StaticHtmlRenderer::new()),
    ]);
    let data = tracks();
    let mut total = 0;
    for _ in 0..n {
        total += match what.as_str() {
            "negotiate" => {
                negotiate(black_box(Some(CHROME)), None, &renderers).map_or(0, |n| n.index())
            }
            "negotiate-json" => negotiate(black_box(Some("application/json")), None, &renderers)
                .map_or(0, |n| n.index()),
            "to-vec" => serde_json::to_vec(black_box(&data)).map_or(0, |v| v.len()),
            "negotiated-json" => {
                let Ok(chosen) = negotiate(black_box(Some("application/json")), None, &renderers)
                else {
                    continue;
                };
                let ctx =
                    RenderContext::default().with_accepted(chosen.media_type(), chosen.params());
                let mut out = Vec::with_capacity(128);
                let data: &dyn Data = black_box(&data);
                chosen
                    .renderer()
                    .render(data, &ctx, &mut out)
                    .map_or(0, |()| out.len())
            }
            other => panic!("unknown mode {other}"),
        };
    }
    println!("{total}");
}
