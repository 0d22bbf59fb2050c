//! A list's rows (issue 16): a 100-row page read from SQLite through `SqlRepository` into the
//! model and written as JSON — the row conversion and the rendering of each field (two
//! `DateTime`s and a `Decimal` per row among them). Guards the work per row against a later
//! change that adds to it; `read_rows_and_render_x100` reads the same page as its rows
//! (`Repository::list_rows`) and writes it from them, without models;
//! `read_rows_related_and_render_x100` reads it as rows with each row's owner's username
//! (`SqlRepository::select_related`: one lookup for the page, in its read);
//! `render_rows_x100` writes that page of rows with the JSON renderer, as the app does. Run:
//! `cargo bench -p restframe --features sqlite --bench rows`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use restframe::renderers::{JsonRenderer, RenderContext, Renderer};
use restframe::sql::{Database, SqlRepository};
use restframe::{Date, DateTime, Decimal, ListQuery, Model, OrderBy, Repository};
use serde::{Deserialize, Serialize};

/// A track as the example app stores it.
#[derive(Serialize, Deserialize, Model)]
#[model(table = "bench_track")]
struct Track {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 100)]
    title: String,
    #[field(max_length = 100)]
    artist_name: String,
    release_date: Option<Date>,
    duration: Option<Decimal>,
    #[field(read_only)]
    file: Option<String>,
    owner: Option<i64>,
    #[field(auto_now_add)]
    created_at: DateTime,
    #[field(auto_now)]
    updated_at: DateTime,
    /// The owner's username: read only by the `select_related` repository.
    #[field(computed)]
    #[serde(default)]
    owner_username: Option<String>,
}

/// The tracks' owner.
#[derive(Serialize, Deserialize, Model)]
#[model(table = "bench_user")]
struct User {
    #[field(primary_key, read_only)]
    id: i64,
    username: String,
}

const ROWS: u64 = 100;

fn rows(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let repo = runtime.block_on(async {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        db.create_table::<Track>().await.expect("table");
        db.create_table::<User>().await.expect("table");
        SqlRepository::<User>::new(&db)
            .create(UserInput {
                username: "miles".into(),
            })
            .await
            .expect("a user");
        let repo = SqlRepository::<Track>::new(&db);
        for i in 0..ROWS {
            let input = TrackInput {
                title: format!("Track {i}"),
                artist_name: "Miles Davis".into(),
                release_date: "1959-08-17".parse().ok(),
                duration: "545.20".parse().ok(),
                owner: Some(1),
            };
            repo.create(input).await.expect("a row");
        }
        repo
    });
    let query = ListQuery {
        ordering: vec![OrderBy {
            field: "id".into(),
            descending: false,
        }],
        limit: ROWS,
        ..ListQuery::default()
    };
    let mut group = c.benchmark_group("list_rows");
    group.bench_function("read_and_render_x100", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let page = repo.list(black_box(&query)).await.expect("a page");
                serde_json::to_vec(&page.items).expect("JSON").len()
            })
        })
    });
    // The same page read as its rows (`Repository::list_rows`) and written from them: what a
    // list without hooks, or with `prefetch_rows`, does.
    group.bench_function("read_rows_and_render_x100", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (page, _) = repo
                    .list_rows(black_box(&query))
                    .await
                    .expect("a page")
                    .expect("read as rows");
                serde_json::to_vec(&page).expect("JSON").len()
            })
        })
    });
    // As rows, each with its owner's username: one lookup for the page's one owner.
    let related = repo
        .clone()
        .select_related::<User>("owner", "username", "owner_username")
        .expect("a related column");
    let (shown, _) = runtime
        .block_on(related.list_rows(&query))
        .expect("a page")
        .expect("read as rows");
    let json = serde_json::to_string(&shown).expect("JSON");
    assert_eq!(json.matches(r#""owner_username":"miles""#).count(), 100);
    group.bench_function("read_rows_related_and_render_x100", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (page, _) = related
                    .list_rows(black_box(&query))
                    .await
                    .expect("a page")
                    .expect("read as rows");
                serde_json::to_vec(&page).expect("JSON").len()
            })
        })
    });
    // The same page of rows (with usernames) written as the app writes it: by the JSON
    // renderer's own serializer, not serde_json's.
    let renderer = JsonRenderer::new();
    let ctx = RenderContext::default();
    let mut out = Vec::new();
    renderer.render(&shown, &ctx, &mut out).expect("JSON");
    assert_eq!(out, json.as_bytes(), "both writers write the same bytes");
    group.bench_function("render_rows_x100", |b| {
        b.iter(|| {
            out.clear();
            renderer
                .render(black_box(&shown), &ctx, &mut out)
                .expect("JSON");
            out.len()
        })
    });
    let page = runtime.block_on(repo.list(&query)).expect("a page");
    group.bench_function("render_x100", |b| {
        b.iter(|| {
            serde_json::to_vec(black_box(&page.items))
                .expect("JSON")
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, rows);
criterion_main!(benches);
