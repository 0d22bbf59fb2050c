//! The three pagination styles on a `ModelViewSet` over SQLite, through the router without a
//! socket: DRF's cursor pagination (keyset pages behind a signed cursor: every row once in
//! either direction, stable while rows are inserted, tampering refused, nullable and
//! duplicate ordering keys), and page numbers whose count is switched off or capped. The
//! statements each costs are counted, and the document follows each style.
//!
//! Run with `cargo test -p restframe --all-features --test pagination`.
#![cfg(all(feature = "sqlite", feature = "openapi"))]
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use restframe::pagination::Count;
use restframe::sql::{Database, SqlRepository};
use restframe::{
    CursorPagination, Date, Model, ModelViewSet, PageNumberPagination, Pagination, Repository,
    Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower::ServiceExt;

#[derive(Debug, Clone, Serialize, Deserialize, Model)]
#[model(table = "page_song")]
struct Song {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(max_length = 50)]
    title: String,
    released: Option<Date>,
}

struct Fixture {
    db: Database,
    repo: SqlRepository<Song>,
}

/// `n` songs: titles repeat every 4, every third has no release date.
async fn fixture(n: usize) -> Fixture {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Song>().await.unwrap();
    let repo = SqlRepository::<Song>::new(&db);
    for i in 0..n {
        add(&repo, i).await;
    }
    Fixture { db, repo }
}

async fn add(repo: &SqlRepository<Song>, i: usize) {
    let released = (!i.is_multiple_of(3)).then(|| format!("\"2020-01-{:02}\"", 1 + i % 7));
    let body = format!(
        r#"{{"title": "S{}", "released": {}}}"#,
        i % 4,
        released.as_deref().unwrap_or("null")
    );
    repo.create(serde_json::from_str(&body).unwrap())
        .await
        .unwrap();
}

fn songs(repo: &SqlRepository<Song>, pagination: impl Pagination) -> Router {
    ModelViewSet::new("Song", "song", repo.clone())
        .with_schemas()
        .ordering_fields(["title", "released", "id"])
        .filter_fields(["title"])
        .pagination(pagination)
        .register(Router::new(), "/songs/")
        .unwrap()
}

async fn get(router: &Router, uri: &str) -> (StatusCode, Value) {
    let req = http::Request::get(uri)
        .header("host", "music.test")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The path and query of an absolute link, to send again.
fn local(link: &Value) -> Option<String> {
    let link = link.as_str()?;
    Some(link.strip_prefix("http://music.test")?.to_owned())
}

fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

/// Follows `rel` links from `uri` to the end: each page's ids, in order.
async fn walk(router: &Router, uri: &str, rel: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let (status, page) = get(router, &uri).await;
        assert_eq!(status, 200, "{uri}: {page}");
        assert!(page.get("count").is_none(), "a cursor page has no count");
        pages.push(ids(&page));
        next = local(&page[rel]);
        assert!(pages.len() < 100, "the walk does not end");
    }
    pages
}

#[tokio::test]
async fn a_cursor_walks_every_row_once_forward_and_back() {
    let f = fixture(23).await;
    let all: Vec<i64> = (1..=23).rev().collect();
    let router = songs(&f.repo, CursorPagination::new(5, 10));
    let pages = walk(&router, "/songs/", "next").await;
    assert_eq!(pages.concat(), all, "newest first (-id), each once");
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 5, 5, 3]
    );
    // From the last page back to the first: the same pages, in reverse.
    let mut uri = "/songs/".to_owned();
    for _ in 0..4 {
        let (_, page) = get(&router, &uri).await;
        uri = local(&page["next"]).unwrap();
    }
    let (_, last) = get(&router, &uri).await;
    assert_eq!(last["next"], Value::Null);
    let back = walk(&router, &local(&last["previous"]).unwrap(), "previous").await;
    let mut expected = pages[..4].to_vec();
    expected.reverse();
    assert_eq!(back, expected);
    // The first page has no previous; a page reached backwards links forward again.
    let (_, first) = get(&router, "/songs/").await;
    assert_eq!(first["previous"], Value::Null);
    let (_, second) = get(&router, &local(&first["next"]).unwrap()).await;
    let (_, again) = get(&router, &local(&second["previous"]).unwrap()).await;
    assert_eq!(ids(&again), ids(&first));
    assert_eq!(again["previous"], Value::Null, "back at the start");
    assert_eq!(again["next"], first["next"]);
    // `?page_size=` and other parameters are kept in the links.
    let (_, page) = get(&router, "/songs/?page_size=2&title=S1").await;
    assert_eq!(ids(&page), [22, 18]);
    let next = local(&page["next"]).unwrap();
    assert!(
        next.contains("page_size=2") && next.contains("title=S1"),
        "{next}"
    );
    let (_, page) = get(&router, &next).await;
    assert_eq!(ids(&page), [14, 10]);
}

#[tokio::test]
async fn a_cursor_is_stable_while_rows_are_inserted() {
    let f = fixture(12).await;
    let router = songs(&f.repo, CursorPagination::new(4, 10).ordering(["id"]));
    let (_, first) = get(&router, "/songs/").await;
    assert_eq!(ids(&first), [1, 2, 3, 4]);
    let next = local(&first["next"]).unwrap();
    // Inserted between two requests: neither repeats nor skips a row of the walk.
    for i in 12..20 {
        add(&f.repo, i).await;
    }
    let rest = walk(&router, &next, "next").await.concat();
    assert_eq!(rest, (5..=20).collect::<Vec<_>>());
    // Newest first, rows inserted ahead of the walk do not push rows back into it.
    let router = router_newest(&f.repo);
    let (_, first) = get(&router, "/songs/").await;
    assert_eq!(ids(&first), [20, 19, 18, 17]);
    for i in 20..30 {
        add(&f.repo, i).await;
    }
    let (_, second) = get(&router, &local(&first["next"]).unwrap()).await;
    assert_eq!(ids(&second), [16, 15, 14, 13]);
}

fn router_newest(repo: &SqlRepository<Song>) -> Router {
    songs(repo, CursorPagination::new(4, 10))
}

#[tokio::test]
async fn a_cursor_over_nullable_and_repeated_keys_meets_every_row_in_order() {
    let f = fixture(23).await;
    for ordering in [
        ["released", "id"],
        ["-released", "-id"],
        ["title", "-id"],
        ["-released", "id"],
    ] {
        // The order an offset listing gives, all on one page.
        let offset = songs(&f.repo, PageNumberPagination::new(100, 100));
        let (_, whole) = get(&offset, &format!("/songs/?ordering={}", ordering.join(","))).await;
        let cursor = songs(&f.repo, CursorPagination::new(4, 4).ordering(ordering));
        let pages = walk(&cursor, "/songs/", "next").await;
        // `?ordering=` is the cursor's own, whatever the query says.
        let offered = walk(&cursor, "/songs/?ordering=-title", "next").await;
        assert_eq!(pages, offered, "{ordering:?}");
        assert_eq!(pages.concat(), ids(&whole), "{ordering:?}");
        assert_eq!(pages.len(), 6, "pages of 4");
    }
}

#[tokio::test]
async fn an_altered_cursor_is_404_invalid_cursor() {
    let f = fixture(10).await;
    let router = songs(&f.repo, CursorPagination::new(3, 10).signing_key(b"one"));
    let (_, first) = get(&router, "/songs/").await;
    let next = local(&first["next"]).unwrap();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();
    let mut altered = cursor.clone().into_bytes();
    altered[2] = if altered[2] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let other_key = router_with_key(&f.repo, b"two");
    let other_order = songs(
        &f.repo,
        CursorPagination::new(3, 10)
            .signing_key(b"one")
            .ordering(["id"]),
    );
    for (router, uri) in [
        (&router, format!("/songs/?cursor={altered}")),
        (&router, "/songs/?cursor=junk".to_owned()),
        (&router, format!("/songs/?cursor={}", "A".repeat(5000))),
        (&other_key, format!("/songs/?cursor={cursor}")),
        (&other_order, format!("/songs/?cursor={cursor}")),
    ] {
        let (status, body) = get(router, &uri).await;
        assert_eq!(status, 404, "{uri}");
        assert_eq!(body, serde_json::json!({"detail": "Invalid cursor"}));
    }
    // The same key on another instance reads it: cursors cross a load balancer.
    let twin = router_with_key(&f.repo, b"one");
    let (status, page) = get(&twin, &next).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), [7, 6, 5]);
    // An empty cursor is the first page.
    let (_, page) = get(&router, "/songs/?cursor=").await;
    assert_eq!(ids(&page), [10, 9, 8]);
}

fn router_with_key(repo: &SqlRepository<Song>, key: &[u8]) -> Router {
    songs(repo, CursorPagination::new(3, 10).signing_key(key))
}

#[tokio::test]
async fn a_cursor_page_costs_one_statement_without_offset_or_count() {
    let f = fixture(30).await;
    let router = songs(&f.repo, CursorPagination::new(5, 10));
    let before = f.db.statements_run();
    let pages = walk(&router, "/songs/", "next").await;
    assert_eq!(pages.len(), 6);
    assert_eq!(f.db.statements_run() - before, 6, "one statement a page");
}

#[tokio::test]
async fn page_numbers_without_a_count_or_with_a_capped_one() {
    let f = fixture(23).await;
    let off = songs(
        &f.repo,
        PageNumberPagination::new(10, 100).count(Count::Off),
    );
    let before = f.db.statements_run();
    let (_, page) = get(&off, "/songs/").await;
    assert_eq!(f.db.statements_run() - before, 1, "no COUNT(*)");
    assert!(page.get("count").is_none());
    assert_eq!(ids(&page), (1..=10).collect::<Vec<_>>());
    assert!(local(&page["next"]).unwrap().contains("page=2"));
    let (_, page3) = get(&off, "/songs/?page=3").await;
    assert_eq!(ids(&page3), [21, 22, 23]);
    assert_eq!(page3["next"], Value::Null, "known by reading one row more");
    assert!(local(&page3["previous"]).unwrap().contains("page=2"));
    // A page that ends exactly at the last row: no next.
    let (_, page) = get(&off, "/songs/?page_size=23").await;
    assert_eq!(ids(&page).len(), 23);
    assert_eq!(page["next"], Value::Null);
    let (status, body) = get(&off, "/songs/?page=4").await;
    assert_eq!(
        (status.as_u16(), body["detail"].as_str()),
        (404, Some("Invalid page."))
    );

    let capped = songs(
        &f.repo,
        PageNumberPagination::new(10, 100).count(Count::UpTo(20)),
    );
    let (_, page) = get(&capped, "/songs/").await;
    assert!(page.get("count").is_none(), "23 rows: past the cap");
    assert!(page["next"].is_string());
    let (_, page) = get(&capped, "/songs/?title=S1").await;
    assert_eq!(page["count"], 6, "under the cap: exact");
    let (_, page) = get(&capped, "/songs/?page=3").await;
    assert_eq!(ids(&page), [21, 22, 23]);
    assert_eq!(page["next"], Value::Null);
}

#[tokio::test]
async fn a_counted_page_is_one_statement_and_an_empty_one_is_counted_apart() {
    let f = fixture(23).await;
    for count in [Count::Exact, Count::UpTo(100)] {
        let router = songs(&f.repo, PageNumberPagination::new(10, 100).count(count));
        let before = f.db.statements_run();
        let (_, page) = get(&router, "/songs/?page=3").await;
        assert_eq!(
            f.db.statements_run() - before,
            1,
            "the count in the page's statement"
        );
        assert_eq!(
            (page["count"].as_u64(), ids(&page)),
            (Some(23), vec![21, 22, 23])
        );
        // Filtered: the count's placeholders are the page's first ones.
        let (_, page) = get(&router, "/songs/?title=S1&ordering=-id&page_size=4").await;
        assert_eq!(
            (page["count"].as_u64(), ids(&page)),
            (Some(6), vec![22, 18, 14, 10])
        );
        // No row to carry the count: counted apart, with the page again, in one transaction.
        let before = f.db.statements_run();
        let (_, page) = get(&router, "/songs/?title=none").await;
        assert_eq!(f.db.statements_run() - before, 3);
        assert_eq!((page["count"].as_u64(), ids(&page)), (Some(0), vec![]));
        let (status, body) = get(&router, "/songs/?page=4").await;
        assert_eq!(
            (status.as_u16(), body["detail"].as_str()),
            (404, Some("Invalid page."))
        );
    }
}

#[tokio::test]
async fn the_document_follows_each_style() {
    let f = fixture(0).await;
    let doc = |router: Router| {
        serde_json::to_value(router.openapi(&restframe::openapi::ApiInfo::new("T", "1"))).unwrap()
    };
    let params = |doc: &Value| -> Vec<String> {
        doc["paths"]["/songs/"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = |doc: &Value| -> String {
        doc["paths"]["/songs/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let cursor = doc(songs(&f.repo, CursorPagination::new(5, 10)));
    assert!(params(&cursor).contains(&"cursor".to_owned()));
    assert!(
        !params(&cursor).contains(&"ordering".to_owned()),
        "the cursor orders"
    );
    assert_eq!(page(&cursor), "PaginatedSongCursorList");
    let schema = &cursor["components"]["schemas"]["PaginatedSongCursorList"];
    assert!(schema["properties"].get("count").is_none());
    assert!(cursor["paths"]["/songs/"]["get"]["responses"]["404"].is_object());

    let counted = doc(songs(&f.repo, PageNumberPagination::default()));
    assert!(params(&counted).contains(&"ordering".to_owned()));
    assert_eq!(page(&counted), "PaginatedSongList");
    let schema = &counted["components"]["schemas"]["PaginatedSongList"];
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&"count".into())
    );

    let capped = doc(songs(
        &f.repo,
        PageNumberPagination::default().count(Count::UpTo(1000)),
    ));
    assert_eq!(page(&capped), "PaginatedSongCappedList");
    let schema = &capped["components"]["schemas"]["PaginatedSongCappedList"];
    assert!(schema["properties"]["count"].is_object());
    assert!(
        !schema["required"]
            .as_array()
            .unwrap()
            .contains(&"count".into())
    );
}
