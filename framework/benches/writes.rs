//! Concurrent creates on a SQLite file (issue 16): 32 at once through `SqlRepository`, each
//! answered once committed. SQLite's writer thread commits those that arrive together in one
//! transaction (group commit) and no connection of the process waits in SQLite's busy handler;
//! this guards both. Run: `cargo bench -p restframe --features sqlite --bench writes`.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use restframe::sql::{Database, SqlRepository};
use restframe::{Model, Repository};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Model)]
#[model(table = "bench_write")]
struct Note {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 100)]
    title: String,
}

/// Creates at once.
const AT_ONCE: usize = 32;

fn writes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("restframe-bench-writes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}", dir.join("writes.sqlite3").display());
    let repo = runtime.block_on(async {
        let db = Database::connect(&url).await.expect("sqlite");
        db.create_table::<Note>().await.expect("table");
        SqlRepository::<Note>::new(&db)
    });
    let mut group = c.benchmark_group("sqlite_writes");
    group.bench_function("create_32_at_once", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let creates = (0..AT_ONCE).map(|i| {
                    let repo = repo.clone();
                    tokio::spawn(async move {
                        repo.create(NoteInput {
                            title: format!("note {i}"),
                        })
                        .await
                        .map(|n| n.id)
                    })
                });
                for create in futures_util::future::join_all(creates).await {
                    create.expect("a task").expect("a create");
                }
            })
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, writes);
criterion_main!(benches);
