//! The bookshop binary on a free loopback port with a fresh SQLite file, over real HTTP: the
//! tables come from the declarations, the ISBN is checked, every bad field is named at once,
//! the author is a foreign key, and lists filter, search, order and show each book's author.

use restframe_tests::App;
use serde_json::{Value, json};

fn start() -> App {
    App::start_without_auth(env!("CARGO_BIN_EXE_bookshop"), &[])
}

async fn create(app: &App, path: &str, body: Value) -> Value {
    let r = app.post(path, "application/json", body.to_string()).await;
    assert_eq!(r.status, 201, "{path} {body}: {}", r.text());
    r.json()
}

fn titles(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|b| b["title"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_bookshop_from_two_declarations() {
    let app = start();
    let herbert = create(&app, "/api/authors/", json!({"name": "Frank Herbert"})).await;
    let le_guin = create(&app, "/api/authors/", json!({"name": "Ursula K. Le Guin"})).await;
    let dune = create(
        &app,
        "/api/books/",
        json!({"title": "Dune", "isbn": "978-0-441-17271-9", "price": "9.99",
               "published": "1965-08-01", "author": herbert["id"]}),
    )
    .await;
    assert_eq!(dune["price"], "9.99", "a decimal is a string, as DRF's");
    assert_eq!(dune["author_name"], "Frank Herbert");
    create(
        &app,
        "/api/books/",
        json!({"title": "The Dispossessed", "isbn": "9780061054884", "price": "12.5",
               "author": le_guin["id"]}),
    )
    .await;

    // Every bad field at once, in DRF's words; the ISBN's checksum and uniqueness.
    let r = app
        .post(
            "/api/books/",
            "application/json",
            json!({"title": "", "isbn": "978-0-441-17271-8", "price": "-1", "published": "soon"})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({
            "title": ["This field may not be blank."],
            "isbn": ["The ISBN's check digit is wrong."],
            "price": ["Ensure this value is greater than or equal to 0."],
            "published": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            "author": ["This field is required."],
        })
    );
    let again = app
        .post(
            "/api/books/",
            "application/json",
            json!({"title": "Dune", "isbn": "978-0-441-17271-9", "price": "1", "author": 1})
                .to_string(),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(
        again.json(),
        json!({"isbn": ["This field must be unique."]})
    );

    // The author is a foreign key: one that does not exist is named, and an author with
    // books cannot be deleted (`on_delete = restrict`).
    let nobody = app
        .post(
            "/api/books/",
            "application/json",
            json!({"title": "Nobody's", "isbn": "9780306406157", "price": "1", "author": 999})
                .to_string(),
        )
        .await;
    assert_eq!(nobody.status, 400, "{}", nobody.text());
    assert_eq!(
        nobody.json(),
        json!({"author": ["Invalid pk \"999\" - object does not exist."]})
    );
    let path = format!("/api/authors/{}/", herbert["id"]);
    let kept = app.delete(&path).await;
    assert_eq!(kept.status, 409, "{}", kept.text());
    assert_eq!(app.get(&path, &[]).await.status, 200);

    // Filters, search, ordering; each book shows its author's name.
    let page = app.get("/api/books/?price__lte=10", &[]).await.json();
    assert_eq!(titles(&page), ["Dune"]);
    let page = app
        .get("/api/books/?published__isnull=true", &[])
        .await
        .json();
    assert_eq!(titles(&page), ["The Dispossessed"]);
    let page = app.get("/api/books/?search=dispossessed", &[]).await.json();
    assert_eq!(titles(&page), ["The Dispossessed"]);
    let page = app.get("/api/books/?ordering=-price", &[]).await.json();
    assert_eq!(titles(&page), ["The Dispossessed", "Dune"]);
    assert_eq!(page["results"][0]["author_name"], "Ursula K. Le Guin");
    assert_eq!(page["count"], 2);
    let r = app.get("/api/books/?price__gte=cheap", &[]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"price__gte": ["A valid number is required."]})
    );

    // The document describes the constraints.
    let schema = app.get("/api/schema/", &[]).await.json();
    let isbn = &schema["components"]["schemas"]["BookInput"]["properties"]["isbn"];
    assert_eq!(isbn["maxLength"], 17, "{isbn}");
}
