//! The scale benchmark of issue 15: one generated `scale_track` table (SQLite or PostgreSQL),
//! served by the same `SqlRepository` under five pagination styles, for `run.sh` to load.
//!
//! ```text
//! scale --db URL [--rows N --seed] [--listen 127.0.0.1:PORT]
//! scale --db URL --cursor-at PAGE --prefix /cursor/
//! ```
//!
//! - `--seed`: drops and creates `scale_track`, fills `--rows` rows in one SQL statement (a
//!   recursive CTE on SQLite, `generate_series` on PostgreSQL), then the ordering indexes of
//!   the example app's migration 0008, then `ANALYZE` (`VACUUM ANALYZE` on PostgreSQL).
//! - `--listen`: serves `/pages/`, `/capped/`, `/nocount/`, `/cursor/` and `/cursor-title/`,
//!   and prints `listening on http://ADDR` once it accepts.
//! - `--cursor-at K --prefix P`: follows `next` from P's first page to its page K with
//!   in-process requests (the cursors are signed with the same fixed key as the server's) and
//!   prints that page's path and query. If the list has fewer pages, it prints the last one and
//!   says so on stderr.
//! - `--explain`: the plan of each statement the routes run (as `framework/src/sql/statement.rs`
//!   writes them, with the parameters bound), SQLite's `EXPLAIN QUERY PLAN` or PostgreSQL's
//!   `EXPLAIN (ANALYZE, BUFFERS)`, and each statement's mean time over 20 runs in process.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use restframe::pagination::Count;
use restframe::sql::{ColumnType, Database, Dialect, SqlRepository, SqlValue};
use restframe::{
    CursorPagination, Date, Model, ModelViewSet, PageNumberPagination, Router, serve,
    shutdown_signal,
};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

/// The benchmark's row: the tracks of the example app, without their owner and files.
#[derive(Clone, Serialize, Deserialize, Model)]
#[model(table = "scale_track")]
pub struct Track {
    #[field(primary_key, read_only)]
    id: i64,
    title: String,
    artist_name: String,
    release_date: Option<Date>,
}

/// The key every cursor is signed with, in the server and in `--cursor-at` alike.
const CURSOR_KEY: &[u8] = b"restframe scale benchmark (issue 15)";
/// The host the in-process requests name.
const HOST: &str = "scale.invalid";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `--name VALUE`, if given.
fn arg(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

/// The same repository under every style, each at its own prefix.
fn router(db: &Database) -> Result<Router, Error> {
    let repo = SqlRepository::<Track>::new(db);
    let fields = ["title", "artist_name", "release_date", "id"];
    let pages = PageNumberPagination::new(20, 100);
    type Style =
        Box<dyn Fn(ModelViewSet<SqlRepository<Track>>) -> ModelViewSet<SqlRepository<Track>>>;
    let styles: [(&str, &str, Style); 5] = [
        ("/pages/", "pages", Box::new(move |v| v.pagination(pages))),
        (
            "/capped/",
            "capped",
            Box::new(move |v| v.pagination(pages.count(Count::UpTo(1000)))),
        ),
        (
            "/nocount/",
            "nocount",
            Box::new(move |v| v.pagination(pages.count(Count::Off))),
        ),
        (
            "/cursor/",
            "cursor",
            Box::new(|v| v.pagination(CursorPagination::new(20, 100).signing_key(CURSOR_KEY))),
        ),
        (
            "/cursor-title/",
            "cursor-title",
            Box::new(|v| {
                v.pagination(
                    CursorPagination::new(20, 100)
                        .ordering(["title", "id"])
                        .signing_key(CURSOR_KEY),
                )
            }),
        ),
    ];
    let mut router = Router::new();
    for (prefix, basename, style) in styles {
        let viewset = ModelViewSet::new("Track", basename, repo.clone()).ordering_fields(fields);
        router = style(viewset).register(router, prefix)?;
    }
    Ok(router)
}

/// Statements, one at a time (PostgreSQL's extended protocol takes one per query).
async fn run(db: &Database, statements: &[String]) -> Result<(), Error> {
    for sql in statements {
        let t0 = Instant::now();
        db.query(sql, vec![], &[]).await?;
        let head: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let head: String = head.chars().take(70).collect();
        eprintln!("  {:>6.2} s  {head}", t0.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Drops and creates the table, fills `rows` rows in SQL, indexes and analyzes it.
async fn seed(db: &Database, rows: u64) -> Result<(), Error> {
    let t0 = Instant::now();
    run(db, &["DROP TABLE IF EXISTS scale_track".to_owned()]).await?;
    db.create_table::<Track>().await?;
    // Titles: 5,000 distinct values, 200 rows each on 1,000,000 rows; artists: 997; dates over
    // about 25 years, one row in ten without a date.
    let statements: Vec<String> = match db.dialect() {
        Dialect::Sqlite => vec![
            format!(
                "INSERT INTO scale_track (id, title, artist_name, release_date) \
                 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows}) \
                 SELECT i, 'Title ' || (i % 5000), 'Artist ' || (i % 997), \
                 CASE WHEN i % 10 = 0 THEN NULL \
                 ELSE date('1970-01-01', '+' || ((i * 7919) % 9131) || ' days') END FROM s"
            ),
            // As the example app's 0008: SQLite's index carries the rowid (the id) after its
            // columns, so (title) serves `title, id` and `-title, -id`.
            "CREATE INDEX scale_track_title ON scale_track (title)".into(),
            "CREATE INDEX scale_track_artist_name ON scale_track (artist_name)".into(),
            "CREATE INDEX scale_track_release_date ON scale_track (release_date)".into(),
            "ANALYZE".into(),
        ],
        Dialect::Postgres => vec![
            format!(
                "INSERT INTO scale_track (id, title, artist_name, release_date) \
                 SELECT i, 'Title ' || (i % 5000), 'Artist ' || (i % 997), \
                 CASE WHEN i % 10 = 0 THEN NULL \
                 ELSE DATE '1970-01-01' + ((i * 7919) % 9131)::int END \
                 FROM generate_series(1, {rows}::bigint) AS i"
            ),
            "SELECT setval(pg_get_serial_sequence('scale_track', 'id'), \
             (SELECT coalesce(max(id), 0) + 1 FROM scale_track), false)"
                .into(),
            "CREATE INDEX scale_track_title_id ON scale_track (title, id)".into(),
            "CREATE INDEX scale_track_artist_name_id ON scale_track (artist_name, id)".into(),
            "CREATE INDEX scale_track_release_date_id ON scale_track (release_date, id)".into(),
            // VACUUM as well: the visibility map lets COUNT(*) read the primary key's index alone,
            // as it would on a table that autovacuum has visited.
            "VACUUM ANALYZE scale_track".into(),
        ],
    };
    run(db, &statements).await?;
    eprintln!("seeded {rows} rows in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

async fn count(db: &Database) -> Result<i64, Error> {
    let rows = db
        .query(
            "SELECT COUNT(*) FROM scale_track",
            vec![],
            &[ColumnType::Integer],
        )
        .await?;
    match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(n)) => Ok(*n),
        other => Err(format!("COUNT(*) gave {other:?}").into()),
    }
}

/// GET `uri` in process: the status and the JSON body.
async fn get(router: &Router, uri: &str) -> Result<(u16, serde_json::Value), Error> {
    let req = http::Request::get(uri)
        .header("host", HOST)
        .body(String::new())?;
    let res = router.clone().oneshot(req).await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, serde_json::from_slice(&body)?))
}

/// Follows `next` from the first page of `prefix` to page `page` (or the last page).
async fn cursor_at(router: &Router, prefix: &str, page: u64) -> Result<String, Error> {
    let t0 = Instant::now();
    let mut uri = prefix.to_owned();
    let mut at = 1;
    while at < page {
        let (status, body) = get(router, &uri).await?;
        if status != 200 {
            return Err(format!("{uri}: {status} {body}").into());
        }
        let Some(next) = body["next"].as_str() else {
            eprintln!("{prefix} has {at} pages: printing the last one");
            break;
        };
        uri = next
            .strip_prefix(&format!("http://{HOST}"))
            .ok_or_else(|| format!("a next link on another host: {next}"))?
            .to_owned();
        at += 1;
    }
    let (status, body) = get(router, &uri).await?;
    let first = &body["results"][0];
    eprintln!(
        "{prefix} page {at}: {status}, {} rows from id {} (title {}), found in {:.1} s",
        body["results"].as_array().map_or(0, Vec::len),
        first["id"],
        first["title"],
        t0.elapsed().as_secs_f64()
    );
    Ok(uri)
}

/// One statement of a route: what it is for, its text and its parameters.
struct Statement {
    label: &'static str,
    sql: String,
    params: Vec<SqlValue>,
}

/// The statements the routes run, as the repository writes them (`Statements::page_where`,
/// `keyset`, `count_where`, `count_capped`), with page-5,000 positions read from the table.
async fn statements(db: &Database) -> Result<Vec<Statement>, Error> {
    let pg = db.dialect() == Dialect::Postgres;
    let p = |n: usize, ty: &str| {
        if pg {
            format!("${n}::{ty}")
        } else {
            format!("?{n}")
        }
    };
    let select = if pg {
        r#"SELECT "id", "title", "artist_name", "release_date"::text AS "release_date" FROM "scale_track""#
    } else {
        r#"SELECT "id", "title", "artist_name", "release_date" FROM "scale_track""#
    };
    let t = r#""scale_track"."title""#;
    let id = r#""scale_track"."id""#;
    let int = |n: i64| SqlValue::Integer(n);
    // Page 5,000's position: the last row of page 4,999 (20 rows a page) in each ordering.
    let deep_id = db
        .query(
            "SELECT id FROM scale_track ORDER BY id DESC LIMIT 1 OFFSET 99979",
            vec![],
            &[ColumnType::Integer],
        )
        .await?;
    let deep_title = db
        .query(
            "SELECT title, id FROM scale_track ORDER BY title, id LIMIT 1 OFFSET 99979",
            vec![],
            &[ColumnType::Text, ColumnType::Integer],
        )
        .await?;
    let mut out = vec![
        Statement {
            label: "COUNT(*) (/pages/)",
            sql: r#"SELECT COUNT(*) FROM "scale_track""#.into(),
            params: vec![],
        },
        Statement {
            label: "capped COUNT (/capped/)",
            sql: r#"SELECT COUNT(*) FROM (SELECT 1 FROM "scale_track" LIMIT 1001) AS capped"#
                .into(),
            params: vec![],
        },
        Statement {
            label: "page 1, default order (/capped/, /nocount/)",
            sql: format!(
                "{select} ORDER BY {id} ASC LIMIT {} OFFSET {}",
                p(1, "bigint"),
                p(2, "bigint")
            ),
            params: vec![int(21), int(0)],
        },
        Statement {
            label: "page 1, ?ordering=title",
            sql: format!(
                "{select} ORDER BY {t} ASC NULLS LAST, {id} ASC LIMIT {} OFFSET {}",
                p(1, "bigint"),
                p(2, "bigint")
            ),
            params: vec![int(21), int(0)],
        },
        Statement {
            label: "page 1, ?ordering=-title",
            sql: format!(
                "{select} ORDER BY {t} DESC NULLS FIRST, {id} DESC LIMIT {} OFFSET {}",
                p(1, "bigint"),
                p(2, "bigint")
            ),
            params: vec![int(21), int(0)],
        },
        Statement {
            label: "page 5,000 by OFFSET (/pages/?page=5000)",
            sql: format!(
                "{select} ORDER BY {id} ASC LIMIT {} OFFSET {}",
                p(1, "bigint"),
                p(2, "bigint")
            ),
            params: vec![int(20), int(99_980)],
        },
    ];
    if let Some(SqlValue::Integer(after)) = deep_id.first().and_then(|r| r.first()) {
        out.push(Statement {
            label: "cursor page 5,000, -id (/cursor/)",
            sql: format!(
                "{select} WHERE ({id}) < ({}) ORDER BY {id} DESC LIMIT {} OFFSET {}",
                p(1, "bigint"),
                p(2, "bigint"),
                p(3, "bigint")
            ),
            params: vec![int(*after), int(21), int(0)],
        });
    }
    if let Some([title, after]) = deep_title.first().map(Vec::as_slice) {
        out.push(Statement {
            label: "cursor page 5,000, title, id (/cursor-title/)",
            sql: format!(
                "{select} WHERE ({t}, {id}) > ({}, {}) ORDER BY {t} ASC NULLS LAST, {id} ASC LIMIT {} OFFSET {}",
                p(1, "text"),
                p(2, "bigint"),
                p(3, "bigint"),
                p(4, "bigint")
            ),
            params: vec![title.clone(), after.clone(), int(21), int(0)],
        });
    }
    Ok(out)
}

/// Prints each statement's plan and its mean time in process.
async fn explain(db: &Database) -> Result<(), Error> {
    let pg = db.dialect() == Dialect::Postgres;
    for st in statements(db).await? {
        println!("-- {}\n{}", st.label, st.sql);
        if pg {
            let plan = db
                .query(
                    &format!("EXPLAIN (ANALYZE, BUFFERS) {}", st.sql),
                    st.params.clone(),
                    &[ColumnType::Text],
                )
                .await?;
            for row in plan {
                if let Some(SqlValue::Text(line)) = row.first() {
                    println!("   {line}");
                }
            }
        } else {
            let plan = db
                .query(
                    &format!("EXPLAIN QUERY PLAN {}", st.sql),
                    st.params.clone(),
                    &[
                        ColumnType::Integer,
                        ColumnType::Integer,
                        ColumnType::Integer,
                        ColumnType::Text,
                    ],
                )
                .await?;
            for row in plan {
                if let Some(SqlValue::Text(line)) = row.get(3) {
                    println!("   {line}");
                }
            }
        }
        let types = [
            ColumnType::Integer,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
        ];
        let types = if st.sql.starts_with("SELECT COUNT") {
            &types[..1]
        } else {
            &types[..]
        };
        let runs = 20;
        let t0 = Instant::now();
        for _ in 0..runs {
            db.query(&st.sql, st.params.clone(), types).await?;
        }
        println!(
            "   mean of {runs} runs in process: {:.3} ms",
            t0.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Failed requests (a 500's cause) to stderr; the request log (INFO) stays off.
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let url = arg(&args, "--db").ok_or("--db URL is required")?;
    let db = Database::connect(&url).await?;

    if args.iter().any(|a| a == "--seed") {
        let rows: u64 = arg(&args, "--rows")
            .ok_or("--seed needs --rows N")?
            .parse()?;
        seed(&db, rows).await?;
    }
    let rows = count(&db).await?;
    let router = router(&db)?;

    if args.iter().any(|a| a == "--explain") {
        explain(&db).await?;
    } else if let Some(page) = arg(&args, "--cursor-at") {
        let prefix = arg(&args, "--prefix").unwrap_or_else(|| "/cursor/".into());
        println!("{}", cursor_at(&router, &prefix, page.parse()?).await?);
    } else if let Some(listen) = arg(&args, "--listen") {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        println!(
            "listening on http://{} ({rows} rows, {})",
            listener.local_addr()?,
            db.backend_name()
        );
        serve(listener, router, shutdown_signal(), Duration::from_secs(5)).await?;
    }
    db.close().await;
    Ok(())
}
