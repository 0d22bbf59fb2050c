//! A page's count on a big table (issues 15 and 16): 20 rows of 1,000,000, counted exactly
//! (`COUNT(*)` over the table), up to 1,000 rows (`Count::UpTo`, what a capped page number
//! pagination asks for), or not at all. Guards the capped count: it must stay near the
//! uncounted page, and far below the exact one, however big the table. Run:
//! `cargo bench -p restframe --features sqlite --bench count`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use restframe::pagination::Count;
use restframe::sql::{Database, Migration, SqlRepository};
use restframe::{ListQuery, Model, OrderBy, Repository};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Model)]
#[model(table = "bench_count")]
struct Row {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 100)]
    title: String,
}

const ROWS: u64 = 1_000_000;

const TABLE: &[Migration] = &[Migration::same(
    1,
    "1,000,000 rows",
    "CREATE TABLE bench_count (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
     INSERT INTO bench_count (id, title) SELECT i, 'Track ' || i FROM n;",
)];

fn count(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let repo = runtime.block_on(async {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        db.migrate(TABLE).await.expect("the table");
        SqlRepository::<Row>::new(&db)
    });
    let mut group = c.benchmark_group("count_1m");
    for (name, count, expected) in [
        ("exact", Count::Exact, Some(ROWS)),
        ("up_to_1000", Count::UpTo(1000), None),
        ("off", Count::Off, None),
    ] {
        let query = ListQuery {
            ordering: vec![OrderBy {
                field: "id".into(),
                descending: false,
            }],
            limit: 20,
            count,
            ..ListQuery::default()
        };
        let page = runtime.block_on(repo.list(&query)).expect("a page");
        assert_eq!((page.items.len(), page.count), (20, expected), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime
                    .block_on(repo.list(black_box(&query)))
                    .expect("a page")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, count);
criterion_main!(benches);
