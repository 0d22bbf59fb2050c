//! A list page through `JsonRenderer`: 100 tracks shaped like the example app's list route
//! (`url`, `id`, `title`, `artist_name`, `release_date`, `duration`, `owner`, `owner_username`,
//! `owner_url`, `file`, `created_at`, `updated_at`; the dates written by chrono through
//! `collect_str`, which costs more than `restframe::{Date, DateTime}`, whose text is written into
//! a buffer and passed to `serialize_str`). Each group compares the renderer's compact
//! path with what it replaced, serde_json's compact serializer plus the non-ASCII post-pass, so
//! the guard stays in place. Run: `cargo bench -p restframe-renderers --bench json`.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use restframe_renderers::{JsonRenderer, RenderContext, Renderer};
use serde::Serialize;

/// A track as the list route writes it.
#[derive(Serialize)]
struct Track {
    url: String,
    id: i64,
    title: String,
    artist_name: String,
    release_date: Option<NaiveDate>,
    duration: Option<String>,
    file: Option<String>,
    owner: Option<i64>,
    owner_username: Option<String>,
    owner_url: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A page of the list route.
#[derive(Serialize)]
struct Page {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Track>,
}

/// 100 tracks; `accented` puts a non-ASCII title on every tenth.
fn page(accented: bool) -> Page {
    let created = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 34, 56)
        .single()
        .expect("a date");
    let results = (1..=100)
        .map(|id| Track {
            url: format!("http://localhost:8000/tracks/{id}/"),
            id,
            title: if accented && id % 10 == 0 {
                format!("Caf\u{e9} Track {id}")
            } else {
                format!("So What (take {id})")
            },
            artist_name: "Miles Davis".into(),
            release_date: NaiveDate::from_ymd_opt(1959, 8, 17),
            duration: Some("545.20".into()),
            file: None,
            owner: Some(1),
            owner_username: Some("admin".into()),
            owner_url: Some("http://localhost:8000/users/1/".into()),
            created_at: created,
            updated_at: created + chrono::Duration::microseconds(123_456 * id),
        })
        .collect();
    Page {
        count: 1000,
        next: Some("http://localhost:8000/tracks/?page=2".into()),
        previous: None,
        results,
    }
}

/// What the compact path did before: serde_json, then every non-ASCII character escaped when
/// the output holds any (a copy of `escape_non_ascii`, which is private).
fn reference(value: &impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, value).expect("JSON");
    if out.is_ascii() {
        return;
    }
    let tail = std::mem::take(out);
    let text = std::str::from_utf8(&tail).expect("UTF-8");
    out.reserve(tail.len() + tail.len() / 2);
    let mut copied = 0;
    for (i, c) in text.char_indices() {
        if !c.is_ascii() {
            out.extend_from_slice(&tail[copied..i]);
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
            copied = i + c.len_utf8();
        }
    }
    out.extend_from_slice(&tail[copied..]);
}

fn list_page(c: &mut Criterion) {
    let renderer = JsonRenderer::new();
    let ctx = RenderContext::default();
    for (name, accented) in [
        ("tracks_page_x100", false),
        ("tracks_page_x100_accented", true),
    ] {
        let page = page(accented);
        let mut ours = Vec::new();
        renderer.render(&page, &ctx, &mut ours).expect("JSON");
        let mut theirs = Vec::new();
        reference(&page, &mut theirs);
        assert_eq!(ours, theirs, "the two paths must write the same bytes");

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(ours.len() as u64));
        let mut out = Vec::with_capacity(ours.len() * 2);
        group.bench_function("json_renderer_compact", |b| {
            b.iter(|| {
                out.clear();
                renderer
                    .render(black_box(&page), &ctx, &mut out)
                    .expect("JSON");
                out.len()
            })
        });
        group.bench_function("serde_json_plus_post_pass", |b| {
            b.iter(|| {
                out.clear();
                reference(black_box(&page), &mut out);
                out.len()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, list_page);
criterion_main!(benches);
