//! Benchmarks of the targets: negotiation under 2 µs; the negotiated JSON path within
//! 10% of bare `serde_json::to_vec`. Run: `cargo bench -p restframe --bench negotiation`.
#![allow(missing_docs)]

mod fixtures;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fixtures::{CHROME, eight_renderers, tracks};
use restframe::negotiation::negotiate;
use restframe::renderers::{Data, JsonRenderer, RenderContext, Renderer};

fn negotiation(c: &mut Criterion) {
    let renderers = eight_renderers();
    c.bench_function("negotiate", |b| {
        b.iter(|| negotiate(black_box(Some(CHROME)), None, black_box(&renderers)))
    });
}

fn render_json(c: &mut Criterion) {
    let data = tracks();
    let renderer: Arc<dyn Renderer> = Arc::new(JsonRenderer::new());
    let ctx = RenderContext::default().with_accepted("application/json", "");
    let mut group = c.benchmark_group("render_json");
    group.bench_function("serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&data)))
    });
    group.bench_function("json_renderer", |b| {
        b.iter(|| {
            // The same starting capacity as serde_json::to_vec.
            let mut out = Vec::with_capacity(128);
            let data: &dyn Data = black_box(&data);
            renderer.render(data, &ctx, &mut out).map(|()| out)
        })
    });
    // What a request pays: negotiate among eight renderers, then render with the winner.
    let renderers = eight_renderers();
    group.bench_function("negotiated_json_renderer", |b| {
        b.iter(|| {
            let chosen = negotiate(black_box(Some("application/json")), None, &renderers)
                .map_err(|_| "not acceptable")?;
            let ctx = RenderContext::default().with_accepted(chosen.media_type(), chosen.params());
            let mut out = Vec::with_capacity(128);
            let data: &dyn Data = black_box(&data);
            chosen
                .renderer()
                .render(data, &ctx, &mut out)
                .map_err(|_| "render")?;
            Ok::<_, &str>(out)
        })
    });
    group.finish();
}

criterion_group!(benches, negotiation, render_json);
criterion_main!(benches);
