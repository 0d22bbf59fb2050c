//! A list read as its rows (`Repository::list_rows`, `ModelViewSet::prefetch_rows`) against
//! the same list read into models: the same bytes in every format, for every kind of field,
//! awkward values included; what makes a page fall back to models; and the repository's own
//! `list_rows` where it cannot read rows.
//!
//! Run with `cargo test -p restframe --all-features --test rows`.
#![cfg(feature = "sqlite")]
#![cfg(test)]

use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use restframe::renderers::{
    BrowsableApiRenderer, CsvRenderer, JsonRenderer, JsonpRenderer, MsgPackRenderer, Renderer,
    XmlRenderer, YamlRenderer,
};
use restframe::sql::{Database, SqlRepository, Table};
use restframe::{
    ApiError, ApiSettings, Date, DateTime, Decimal, ListQuery, Model, ModelViewSet, Repository,
    Request, Router, RowPage, Uuid,
};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

/// Every kind of field a row is read as, optional and not, computed and skipped.
#[allow(dead_code)] // `secret` is read from rows only.
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "rows_item")]
struct Item {
    /// A link made by the hook.
    #[field(computed)]
    #[serde(default)]
    link: String,
    #[field(primary_key, read_only)]
    id: i64,
    title: String,
    note: Option<String>,
    score: f64,
    ratio: Option<f64>,
    flag: bool,
    maybe: Option<bool>,
    day: Option<Date>,
    at: DateTime,
    price: Option<Decimal>,
    count: Option<i64>,
    /// Set by the hook on some rows only.
    #[field(computed)]
    #[serde(default)]
    shout: Option<String>,
    /// Stored, never shown.
    #[field(skip)]
    #[serde(default, skip_serializing)]
    secret: Option<String>,
}

/// A field type with no row kind (`Uuid`): its lists read models.
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "rows_keyed")]
struct Keyed {
    #[field(primary_key, read_only)]
    id: i64,
    code: Uuid,
}

/// A serde attribute the rows path does not reproduce: its lists read models.
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "rows_sparse")]
struct Sparse {
    #[field(primary_key, read_only)]
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Rows with awkward values: escapes, non-ASCII, U+2028, empty text, signs, scales, extremes,
/// a time stored with an offset, nulls everywhere they may be.
const ROWS: &str = r#"
INSERT INTO rows_item (id, title, note, score, ratio, flag, maybe, day, at, price, count, secret) VALUES
 (1, 'Blue "Train"', 'a\b', 1.5, NULL, 1, NULL, '1957-09-15', '2026-12-04T01:23:44.123456Z', '12.50', 7, 's'),
 (2, '', NULL, -0.0, 1e300, 0, 1, NULL, '2026-01-01T10:00:00+02:00', '-0.010', NULL, NULL),
 (3, 'ünïcode ✓ ' || char(8232) || ' tab' || char(9), '', 3, -2.25, 5, 0, '2020-02-29', '0001-01-01T00:00:00Z', '1000', -9223372036854775808, NULL),
 (4, '<xml> & "csv",field', 'line
break', 0.1, 0.30000000000000004, 0, NULL, '9999-12-31', '9999-12-31T23:59:59.999999Z', '0', 9223372036854775807, NULL),
 (5, 'plain', 'x', 2, 3, 1, 1, '1959-08-17', '2026-12-04T01:23:44Z', '545.200', 0, 'hidden')
"#;

/// What the hooks show: each row's `link` from its id; `shout`, the title in capitals, on odd
/// ids only.
fn link(id: i64) -> String {
    format!("https://example.org/items/{id}/")
}

async fn show(_req: &Request, items: &mut [Item]) -> Result<(), ApiError> {
    for item in items {
        item.link = link(item.id);
        if item.id % 2 == 1 {
            item.shout = Some(item.title.to_uppercase());
        }
    }
    Ok(())
}

async fn show_rows(_req: &Request, page: &mut RowPage) -> Result<(), ApiError> {
    let (id, title) = (page.field("id").unwrap(), page.field("title").unwrap());
    let (link_field, shout) = (page.field("link").unwrap(), page.field("shout").unwrap());
    for row in 0..page.len() {
        let n = page.integer(row, id).unwrap();
        page.set_text(row, link_field, &link(n))?;
        if n % 2 == 1 {
            let loud = page.text(row, title).unwrap().to_uppercase();
            page.set_text(row, shout, &loud)?;
        }
    }
    Ok(())
}

fn renderers() -> Vec<Arc<dyn Renderer>> {
    vec![
        Arc::new(JsonRenderer::new()),
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(MsgPackRenderer::new()),
        Arc::new(CsvRenderer::new()),
        Arc::new(JsonpRenderer::new()),
        Arc::new(BrowsableApiRenderer::new()),
    ]
}

/// Two routers on one database: the list read into models (`prefetch` alone), and read as
/// rows (`prefetch_rows` as well).
async fn routers() -> (Router, Router, SqlRepository<Item>) {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Item>().await.unwrap();
    db.query(ROWS, vec![], &[]).await.unwrap();
    let repo = SqlRepository::<Item>::new(&db);
    let settings = || ApiSettings::default().renderers(renderers());
    let models = ModelViewSet::new("Item", "item", repo.clone())
        .prefetch(|req, items| Box::pin(show(req, items)))
        .ordering_fields(["title", "id"])
        .filter_fields(["flag"])
        .register(Router::with_settings(settings()), "/items/")
        .unwrap();
    let rows = ModelViewSet::new("Item", "item", repo.clone())
        .prefetch(|req, items| Box::pin(show(req, items)))
        .prefetch_rows(|req, page| Box::pin(show_rows(req, page)))
        .ordering_fields(["title", "id"])
        .filter_fields(["flag"])
        .register(Router::with_settings(settings()), "/items/")
        .unwrap();
    (models, rows, repo)
}

/// A page of the first ten rows.
fn first_ten() -> ListQuery {
    ListQuery {
        limit: 10,
        ..ListQuery::default()
    }
}

async fn get(router: &Router, uri: &str, accept: &str) -> (u16, Vec<u8>) {
    let req = http::Request::get(uri)
        .header("host", "testserver")
        .header("accept", accept)
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

/// Checks that `models` and `rows` answer each of `uris` alike, status and bytes, in every
/// format.
async fn same_in_every_format(models: &Router, rows: &Router, uris: &[&str]) {
    let accepts = [
        "application/json",
        "application/json; indent=2",
        "application/yaml",
        "application/xml",
        "application/msgpack",
        "text/csv",
        "application/javascript",
        "text/html",
    ];
    let mut compared = 0;
    for uri in uris {
        for accept in accepts {
            let (a_status, a) = get(models, uri, accept).await;
            let (b_status, b) = get(rows, uri, accept).await;
            assert_eq!(
                a_status,
                200,
                "{uri} {accept}: {}",
                String::from_utf8_lossy(&a)
            );
            assert_eq!(b_status, a_status, "{uri} {accept}");
            assert_eq!(
                String::from_utf8_lossy(&b),
                String::from_utf8_lossy(&a),
                "{uri} {accept}"
            );
            assert_eq!(b, a, "{uri} {accept}");
            compared += 1;
        }
    }
    assert_eq!(compared, uris.len() * accepts.len());
}

#[tokio::test]
async fn a_list_read_as_rows_is_the_list_read_as_models_in_every_format() {
    let (models, rows, repo) = routers().await;
    // The rows path is taken: the repository reads this model's rows.
    let query = first_ten();
    assert!(repo.list_rows(&query).await.unwrap().is_some());
    same_in_every_format(
        &models,
        &rows,
        &[
            "/items/",
            "/items/?page=2&page_size=2",
            "/items/?ordering=-title",
            "/items/?flag=true",
            "/items/?page_size=1&page=5",
            "/items/?callback=cb",
        ],
    )
    .await;
    // What the rows showed, read back: the hook's fields, the skipped one absent, the time
    // stored with an offset shown in UTC, a decimal as stored.
    let (_, body) = get(&rows, "/items/?page_size=2", "application/json").await;
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let first = &page["results"][0];
    assert_eq!(first["link"], "https://example.org/items/1/");
    assert_eq!(first["shout"], "BLUE \"TRAIN\"");
    assert!(first.get("secret").is_none());
    assert_eq!(first["price"], "12.50");
    let second = &page["results"][1];
    assert_eq!(second["shout"], serde_json::Value::Null);
    assert_eq!(second["at"], "2026-01-01T08:00:00.000000Z");
    assert_eq!(page["count"], 5);
}

/// Runs `sql`, then checks that the first ten rows no longer read as rows.
async fn make_unfit(repo: &SqlRepository<Item>, sql: &str) {
    repo.database().query(sql, vec![], &[]).await.unwrap();
    assert!(
        repo.list_rows(&first_ten()).await.unwrap().is_none(),
        "unfit after {sql}"
    );
}

#[tokio::test]
async fn a_row_that_does_not_read_as_its_model_falls_back_to_models() {
    let (models, rows, repo) = routers().await;
    // Text where the model reads an integer: the models' read fails, and so does the list.
    make_unfit(&repo, "UPDATE rows_item SET count = 'seven' WHERE id = 3").await;
    let (a, _) = get(&models, "/items/", "application/json").await;
    let (b, _) = get(&rows, "/items/", "application/json").await;
    assert_eq!((a, b), (500, 500));
    // A page without that row reads as rows again.
    let (status, body) = get(&rows, "/items/?page_size=2", "application/json").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // A date the model cannot read, likewise.
    make_unfit(
        &repo,
        "UPDATE rows_item SET count = 1, day = '2021-02-29' WHERE id = 3",
    )
    .await;
    let (a, _) = get(&models, "/items/", "application/json").await;
    let (b, _) = get(&rows, "/items/", "application/json").await;
    assert_eq!((a, b), (500, 500));
    // Text that is not UTF-8 (row 3 fit again): a title cut inside a character, alone or
    // completed by the next cell (`C3` then `A9` would be "é" together; each alone is not
    // UTF-8), and a last cell cut short. Models read it lossily, and so does the list: from
    // models.
    repo.database()
        .query("UPDATE rows_item SET day = NULL WHERE id = 3", vec![], &[])
        .await
        .unwrap();
    assert!(repo.list_rows(&first_ten()).await.unwrap().is_some());
    for (title, note) in [("X'C3'", "'x'"), ("X'C3'", "X'A9'"), ("'t'", "X'61C3'")] {
        make_unfit(
            &repo,
            &format!(
                "UPDATE rows_item SET day = NULL, title = CAST({title} AS TEXT), \
                 note = CAST({note} AS TEXT) WHERE id = 5"
            ),
        )
        .await;
        let uri = "/items/?page=2&page_size=4";
        let (a, b) = (
            get(&models, uri, "application/json").await,
            get(&rows, uri, "application/json").await,
        );
        assert_eq!((a.0, b.0), (200, 200), "{title} {note}");
        assert_eq!(b.1, a.1, "{title} {note}");
        let body = String::from_utf8_lossy(&b.1);
        assert!(body.contains("\\ufffd"), "{title} {note}: {body}");
    }
}

#[tokio::test]
async fn a_declined_page_is_read_as_models() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Item>().await.unwrap();
    db.query(ROWS, vec![], &[]).await.unwrap();
    let repo = SqlRepository::<Item>::new(&db);
    let router = ModelViewSet::new("Item", "item", repo)
        .prefetch(|req, items| Box::pin(show(req, items)))
        .prefetch_rows(|_req, page| {
            Box::pin(async move {
                page.decline();
                Ok(())
            })
        })
        .register(Router::new(), "/items/")
        .unwrap();
    let (status, body) = get(&router, "/items/", "application/json").await;
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // `prefetch` showed it.
    assert_eq!(page["results"][0]["link"], "https://example.org/items/1/");
}

#[tokio::test]
async fn models_the_rows_cannot_show_keep_the_model_path() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Keyed>().await.unwrap();
    db.create_table::<Sparse>().await.unwrap();
    assert!(Keyed::SHOWN.is_some(), "the derive writes what it shows");
    assert!(
        Sparse::SHOWN.is_none(),
        "skip_serializing_if is not the plain derive"
    );
    let query = first_ten();
    let keyed = SqlRepository::<Keyed>::new(&db);
    assert!(keyed.list_rows(&query).await.unwrap().is_none());
    let sparse = SqlRepository::<Sparse>::new(&db);
    assert!(sparse.list_rows(&query).await.unwrap().is_none());
    db.query("INSERT INTO rows_sparse (note) VALUES (NULL)", vec![], &[])
        .await
        .unwrap();
    let page = sparse.list(&query).await.unwrap();
    assert_eq!(serde_json::to_string(&page.items).unwrap(), r#"[{"id":1}]"#);
}

#[tokio::test]
async fn a_hook_sets_only_what_the_model_could_hold() {
    let (_, _, repo) = routers().await;
    let query = first_ten();
    let (mut page, count) = repo.list_rows(&query).await.unwrap().unwrap();
    assert_eq!((page.len(), count), (5, Some(5)));
    let (id, note, link) = (
        page.field("id").unwrap(),
        page.field("note").unwrap(),
        page.field("link").unwrap(),
    );
    assert!(page.field("secret").is_none(), "not shown");
    assert!(page.set_text(0, id, "1").is_err(), "an integer field");
    assert!(page.set_null(0, link).is_err(), "not an Option");
    assert!(page.set_text(9, link, "x").is_err(), "no such row");
    page.set_null(0, note).unwrap();
    assert_eq!(page.text(0, note), None);
    assert_eq!(page.text(1, note), None);
    assert_eq!(page.text(2, note), Some(""));
    assert_eq!(page.integer(4, id), Some(5));
}

/// A row another table's rows point at (no foreign key: a key may point at nothing).
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "rows_maker")]
struct Maker {
    #[field(primary_key, read_only)]
    id: i64,
    name: Option<String>,
    since: Option<Date>,
}

/// Rows with two columns of their maker read with them (`select_related`), one of them
/// (`since`) not shown by the page's key being hidden.
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "rows_made")]
struct Made {
    #[field(primary_key, read_only)]
    id: i64,
    title: String,
    maker: Option<i64>,
    #[field(computed)]
    #[serde(default)]
    maker_name: Option<String>,
    #[field(computed)]
    #[serde(default)]
    maker_since: Option<Date>,
}

#[tokio::test]
async fn related_columns_read_with_a_page_of_rows_are_those_read_with_models() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Maker>().await.unwrap();
    db.create_table::<Made>().await.unwrap();
    for sql in [
        r#"INSERT INTO rows_maker (id, name, since) VALUES
         (1, 'Blue "Note"', '1939-01-06'), (2, 'ünïcode ✓ ' || char(8232), NULL), (3, NULL, '2000-02-29')"#,
        "INSERT INTO rows_maker (id, name) VALUES (4, 'four')",
        "INSERT INTO rows_made (id, title, maker) VALUES
         (1, 'a', 1), (2, 'b', 2), (3, 'c', NULL), (4, 'd', 99), (5, 'e', 1), (6, 'f', 3),
         (7, 'g', 4)",
    ] {
        db.query(sql, vec![], &[]).await.unwrap();
    }
    let repo = SqlRepository::<Made>::new(&db)
        .select_related::<Maker>("maker", "name", "maker_name")
        .and_then(|r| r.select_related::<Maker>("maker", "since", "maker_since"))
        .unwrap();
    // Five keys (1, 2, 3, 4, 99): one page statement, and one lookup per related column for
    // the whole page.
    let before = db.statements_run();
    let (page, count) = repo.list_rows(&first_ten()).await.unwrap().unwrap();
    assert_eq!(db.statements_run() - before, 3);
    assert_eq!((page.len(), count), (7, Some(7)));
    let models = repo.list(&first_ten()).await.unwrap();
    assert_eq!(
        serde_json::to_string(&page).unwrap(),
        serde_json::to_string(&models.items).unwrap()
    );
    let name = page.field("maker_name").unwrap();
    assert_eq!(page.text(0, name), Some("Blue \"Note\""));
    assert_eq!(page.text(2, name), None, "no key");
    assert_eq!(page.text(3, name), None, "a key with no row");
    assert_eq!(page.text(4, name), Some("Blue \"Note\""));
    let settings = || ApiSettings::default().renderers(renderers());
    let viewset = |name: &'static str| {
        ModelViewSet::new(name, "made", repo.clone()).ordering_fields(["title", "id"])
    };
    let as_models = viewset("Made")
        .prefetch(|_, _| Box::pin(async { Ok(()) }))
        .register(Router::with_settings(settings()), "/made/")
        .unwrap();
    let as_rows = viewset("Made")
        .register(Router::with_settings(settings()), "/made/")
        .unwrap();
    let uris = [
        "/made/",
        "/made/?ordering=-title",
        "/made/?page_size=2&page=2",
        "/made/?page_size=1&page=4",
    ];
    same_in_every_format(&as_models, &as_rows, &uris).await;
    // Two keys (1, 2) and a key with no row (99): looked up one by one, per column.
    db.query(
        "UPDATE rows_made SET maker = 1 WHERE maker IN (3, 4)",
        vec![],
        &[],
    )
    .await
    .unwrap();
    let before = db.statements_run();
    let (page, _) = repo.list_rows(&first_ten()).await.unwrap().unwrap();
    assert_eq!(db.statements_run() - before, 1 + 2 * 3);
    assert_eq!(page.text(5, name), Some("Blue \"Note\""));
    same_in_every_format(&as_models, &as_rows, &uris).await;
    // A page without a key reads nothing more.
    db.query("UPDATE rows_made SET maker = NULL", vec![], &[])
        .await
        .unwrap();
    let before = db.statements_run();
    let (page, _) = repo.list_rows(&first_ten()).await.unwrap().unwrap();
    assert_eq!(db.statements_run() - before, 1);
    assert_eq!(page.text(0, name), None);
}
