//! Runs negotiation or JSON rendering in a loop, for instruction counts under callgrind, which
//! are repeatable where timings on a shared machine are not. Modes: `negotiate` (Chrome's
//! Accept among 8 renderers), `negotiate-json`, `to-vec` (bare `serde_json::to_vec` of 100
//! tracks), `negotiated-json` (negotiate, then render the same tracks with the chosen renderer):
//! `valgrind --tool=callgrind target/release/examples/negotiate_loop MODE N`; the cost of one
//! iteration is the difference between two N, divided by their difference.
#![allow(missing_docs)]

#[path = "../benches/fixtures/mod.rs"]
mod fixtures;

use std::hint::black_box;

use fixtures::{CHROME, eight_renderers, tracks};
use restframe::negotiation::negotiate;
use restframe::renderers::{Data, RenderContext};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "negotiate".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let renderers = eight_renderers();
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
