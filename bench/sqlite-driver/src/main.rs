//! A minimal HTTP server over one SQLite table, with the driver chosen at start, to decide
//! between sqlx and rusqlite for restframe's SQLite repository (issue 3).
//!
//! ```text
//! sqlite-driver-bench <sqlx|rusqlite|sqlx-fetch-one|rusqlite-query-row> --db PATH
//!                     [--port P] [--pool N]
//! ```
//!
//! `GET /tracks?page=N` answers a 100-row page as `{"count": …, "results": […]}` (two queries,
//! as a paginated list does); `POST /tracks` with a JSON track inserts it through
//! `INSERT … RETURNING` and answers the new row with 201. The database file is deleted and
//! seeded with 10,000 rows at start.
//!
//! SQLite runs its automatic WAL checkpoint only when `sqlite3_step` returns `SQLITE_DONE`; a
//! statement reset after its first row commits but skips it. `sqlx` and `rusqlite` therefore
//! step `INSERT … RETURNING` to the end; `sqlx-fetch-one` (`fetch_one`) and
//! `rusqlite-query-row` (`query_row`) stop at the row, to show what that does to the WAL.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

const USAGE: &str = "usage: sqlite-driver-bench <sqlx|rusqlite|sqlx-fetch-one|rusqlite-query-row> \
                     --db PATH [--port P] [--pool N]";
const SEED_ROWS: i64 = 10_000;
const PAGE_SIZE: i64 = 100;
const MAX_BODY: usize = 64 * 1024;

const SELECT_PAGE: &str =
    "SELECT id, title, artist_name, release_date FROM track ORDER BY id LIMIT ?1 OFFSET ?2";
const SELECT_COUNT: &str = "SELECT COUNT(*) FROM track";
const INSERT: &str = "INSERT INTO track (title, artist_name, release_date) VALUES (?1, ?2, ?3) \
                      RETURNING id, title, artist_name, release_date";

#[derive(Serialize, sqlx::FromRow)]
struct Track {
    id: i64,
    title: String,
    artist_name: String,
    release_date: Option<String>,
}

#[derive(Deserialize)]
struct NewTrack {
    title: String,
    artist_name: String,
    release_date: Option<String>,
}

#[derive(Serialize)]
struct Page {
    count: i64,
    results: Vec<Track>,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The two drivers under test, behind the same two operations. `first_row_only` reads the
/// `RETURNING` row without stepping the statement to `SQLITE_DONE`.
enum Db {
    Sqlx {
        pool: SqlitePool,
        first_row_only: bool,
    },
    Rusqlite {
        pool: Arc<RusqlitePool>,
        first_row_only: bool,
    },
}

impl Db {
    async fn page(&self, page: i64) -> Result<Page, Error> {
        let offset = (page - 1) * PAGE_SIZE;
        match self {
            Db::Sqlx { pool, .. } => {
                let mut conn = pool.acquire().await?;
                let count: i64 = sqlx::query_scalar(SELECT_COUNT)
                    .fetch_one(&mut *conn)
                    .await?;
                let results = sqlx::query_as::<_, Track>(SELECT_PAGE)
                    .bind(PAGE_SIZE)
                    .bind(offset)
                    .fetch_all(&mut *conn)
                    .await?;
                Ok(Page { count, results })
            }
            Db::Rusqlite { pool, .. } => {
                pool.run(move |conn| {
                    let count = conn
                        .prepare_cached(SELECT_COUNT)?
                        .query_row([], |row| row.get(0))?;
                    let results = conn
                        .prepare_cached(SELECT_PAGE)?
                        .query_map([PAGE_SIZE, offset], track_from_row)?
                        .collect::<Result<_, _>>()?;
                    Ok(Page { count, results })
                })
                .await
            }
        }
    }

    async fn insert(&self, new: NewTrack) -> Result<Track, Error> {
        match self {
            Db::Sqlx {
                pool,
                first_row_only,
            } => {
                let query = sqlx::query_as::<_, Track>(INSERT)
                    .bind(new.title)
                    .bind(new.artist_name)
                    .bind(new.release_date);
                if *first_row_only {
                    Ok(query.fetch_one(pool).await?)
                } else {
                    // fetch_all steps to SQLITE_DONE, which runs the automatic checkpoint.
                    let mut rows = query.fetch_all(pool).await?;
                    rows.pop()
                        .ok_or_else(|| "INSERT … RETURNING gave no row".into())
                }
            }
            Db::Rusqlite {
                pool,
                first_row_only,
            } => {
                let first_row_only = *first_row_only;
                pool.run(move |conn| {
                    let mut statement = conn.prepare_cached(INSERT)?;
                    let params = (new.title, new.artist_name, new.release_date);
                    if first_row_only {
                        return statement.query_row(params, track_from_row);
                    }
                    // Step to SQLITE_DONE, which runs the automatic checkpoint.
                    let mut rows = statement.query_map(params, track_from_row)?;
                    let track = rows.next().ok_or(rusqlite::Error::QueryReturnedNoRows)??;
                    rows.try_for_each(|row| row.map(drop))?;
                    Ok(track)
                })
                .await
            }
        }
    }
}

fn track_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Track> {
    Ok(Track {
        id: row.get(0)?,
        title: row.get(1)?,
        artist_name: row.get(2)?,
        release_date: row.get(3)?,
    })
}

/// N rusqlite connections; a semaphore permit guarantees one is free in the vector, and the
/// blocking work runs on tokio's blocking threads.
struct RusqlitePool {
    connections: Mutex<Vec<rusqlite::Connection>>,
    permits: Arc<Semaphore>,
}

impl RusqlitePool {
    fn open(path: &Path, size: usize) -> rusqlite::Result<Self> {
        let connections = (0..size)
            .map(|_| {
                let conn = rusqlite::Connection::open(path)?;
                conn.busy_timeout(Duration::from_secs(5))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn.set_prepared_statement_cache_capacity(16);
                Ok(conn)
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(Self {
            connections: Mutex::new(connections),
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, Error>
    where
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits).acquire_owned().await?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let lease = Lease {
                conn: pool.lock().pop(),
                pool: &pool,
            };
            let conn = lease.conn.as_ref().ok_or("connection pool is empty")?;
            Ok(f(conn)?)
        })
        .await?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<rusqlite::Connection>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Puts the connection back even when the closure panics.
struct Lease<'a> {
    conn: Option<rusqlite::Connection>,
    pool: &'a RusqlitePool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().push(conn);
        }
    }
}

/// Creates the table in a fresh file and inserts the seed rows in one transaction.
fn seed(path: &Path) -> rusqlite::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(
        "CREATE TABLE track (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         artist_name TEXT NOT NULL, release_date TEXT NULL)",
    )?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO track (id, title, artist_name, release_date) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for id in 1..=SEED_ROWS {
            let date = (id % 5 != 0)
                .then(|| format!("{}-{:02}-{:02}", 1960 + id % 60, 1 + id % 12, 1 + id % 28));
            insert.execute((
                id,
                format!("Track {id}"),
                format!("Artist {}", id % 97),
                date,
            ))?;
        }
    }
    tx.commit()
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn detail(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "detail": message }).to_string();
    json(status, body.into_bytes())
}

fn page_number(query: Option<&str>) -> Option<i64> {
    let Some(query) = query else { return Some(1) };
    match query.split('&').find_map(|pair| pair.strip_prefix("page=")) {
        None => Some(1),
        Some(value) => value
            .parse()
            .ok()
            .filter(|page| (1..=i64::MAX / PAGE_SIZE).contains(page)),
    }
}

async fn handle(db: Arc<Db>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/tracks" {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let result = match *request.method() {
        Method::GET => {
            let Some(page) = page_number(request.uri().query()) else {
                return detail(StatusCode::BAD_REQUEST, "Invalid page.");
            };
            db.page(page)
                .await
                .and_then(|page| Ok(json(StatusCode::OK, serde_json::to_vec(&page)?)))
        }
        Method::POST => {
            let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => return detail(StatusCode::BAD_REQUEST, "Unreadable body."),
            };
            let new: NewTrack = match serde_json::from_slice(&body) {
                Ok(new) => new,
                Err(error) => return detail(StatusCode::BAD_REQUEST, &error.to_string()),
            };
            db.insert(new)
                .await
                .and_then(|track| Ok(json(StatusCode::CREATED, serde_json::to_vec(&track)?)))
        }
        _ => return detail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed."),
    };
    result.unwrap_or_else(|error| {
        eprintln!("request failed: {error}");
        detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
    })
}

struct Args {
    driver: String,
    db: PathBuf,
    port: u16,
    pool: usize,
}

fn parse_args() -> Result<Args, String> {
    let usage = USAGE;
    let mut args = std::env::args().skip(1);
    let driver = args.next().ok_or(usage)?;
    let (mut db, mut port, mut pool) = (None, 0, 4);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        match flag.as_str() {
            "--db" => db = Some(PathBuf::from(value)),
            "--port" => port = value.parse().map_err(|_| usage)?,
            "--pool" => pool = value.parse().map_err(|_| usage)?,
            _ => return Err(usage.into()),
        }
    }
    Ok(Args {
        driver,
        db: db.ok_or(usage)?,
        port,
        pool,
    })
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|usage| {
        eprintln!("{usage}");
        std::process::exit(2);
    });
    seed(&args.db).expect("seeding the database");

    let db = match args.driver.as_str() {
        "sqlx" | "sqlx-fetch-one" => {
            let options = SqliteConnectOptions::new()
                .filename(&args.db)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .min_connections(args.pool as u32)
                .max_connections(args.pool as u32)
                .connect_with(options)
                .await
                .expect("opening the sqlx pool");
            Db::Sqlx {
                pool,
                first_row_only: args.driver == "sqlx-fetch-one",
            }
        }
        "rusqlite" | "rusqlite-query-row" => Db::Rusqlite {
            pool: Arc::new(RusqlitePool::open(&args.db, args.pool).expect("opening the pool")),
            first_row_only: args.driver == "rusqlite-query-row",
        },
        other => {
            eprintln!("unknown driver {other}: {USAGE}");
            std::process::exit(2);
        }
    };
    let db = Arc::new(db);

    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port)))
        .await
        .expect("binding the listener");
    let address = listener.local_addr().expect("reading the bound address");
    println!("listening on http://{address} with {}", args.driver);

    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let db = Arc::clone(&db);
                async move { Ok::<_, Infallible>(handle(db, request).await) }
            });
            // Errors here are clients going away (wrk closing its connections at the end).
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    if let Db::Sqlx { pool, .. } = &*db {
        pool.close().await;
    }
}
