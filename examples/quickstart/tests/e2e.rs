//! The quickstart binary, started on a free loopback port with a fresh SQLite file, over real
//! HTTP: what docs/quickstart.md promises.

use restframe_tests::App;

fn start() -> App {
    App::start_without_auth(env!("CARGO_BIN_EXE_quickstart"), &[])
}

/// Creates the first book, Dune, as JSON.
async fn create_dune(app: &App) -> restframe_tests::Reply {
    app.post(
        "/api/books/",
        "application/json",
        r#"{"title": "Dune", "author": "Frank Herbert"}"#,
    )
    .await
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn books_are_created_listed_and_retrieved_in_several_formats() {
    let app = start();
    let created = create_dune(&app).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(
        created.json(),
        serde_json::json!({"id": 1, "title": "Dune", "author": "Frank Herbert", "cover": null})
    );
    let form = app
        .post(
            "/api/books/",
            "application/x-www-form-urlencoded",
            "title=Emma&author=Jane+Austen",
        )
        .await;
    assert_eq!(form.status, 201, "{}", form.text());

    let list = app
        .get("/api/books/", &[("accept", "application/json")])
        .await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["count"], 2);
    assert_eq!(list["results"][1]["author"], "Jane Austen");

    let yaml = app
        .get("/api/books/", &[("accept", "application/yaml")])
        .await;
    assert_eq!(yaml.status, 200);
    assert!(yaml.header("content-type").starts_with("application/yaml"));
    assert!(yaml.text().contains("title: Dune"), "{}", yaml.text());

    let xml = app.get("/api/books/?format=xml", &[]).await;
    assert_eq!(xml.status, 200);
    assert!(xml.text().contains("<title>Dune</title>"), "{}", xml.text());

    let one = app
        .get("/api/books/1.json", &[("accept", "application/xml")])
        .await;
    assert_eq!(one.status, 200);
    assert!(one.header("content-type").starts_with("application/json"));
    assert_eq!(one.json()["title"], "Dune");
}

#[tokio::test]
async fn an_invalid_book_is_a_400_naming_the_field() {
    let app = start();
    let bad = app
        .post(
            "/api/books/",
            "application/json",
            r#"{"title": "", "author": "Nobody"}"#,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json(),
        serde_json::json!({"title": ["This field may not be blank."]})
    );
}

#[tokio::test]
async fn a_cover_is_checked_stored_and_served() {
    let app = start();
    let created = create_dune(&app).await;
    assert_eq!(created.status, 201);
    let headers = [
        ("content-type", "image/png"),
        ("content-disposition", "attachment; filename=dune.png"),
    ];
    let book = app.send("POST", "/api/books/1/cover/", &headers, PNG).await;
    assert_eq!(book.status, 200, "{}", book.text());
    let cover = book.json()["cover"].as_str().unwrap_or_default().to_owned();
    assert_eq!(cover, "/media/covers/1/dune.png");
    let image = app.get(&cover, &[]).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), "image/png");
    assert_eq!(&image.body[..], PNG);

    let headers = [
        ("content-type", "text/plain"),
        ("content-disposition", "attachment; filename=dune.png"),
    ];
    let text = app
        .send("POST", "/api/books/1/cover/", &headers, "not an image")
        .await;
    assert_eq!(text.status, 400, "{}", text.text());
    let missing = app.send("POST", "/api/books/9/cover/", &headers, PNG).await;
    assert_eq!(missing.status, 404, "{}", missing.text());
}

#[tokio::test]
async fn swagger_ui_and_the_schema_are_served() {
    let app = start();
    // What a browser sends.
    let accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let docs = app.get("/api/docs/", &[("accept", accept)]).await;
    assert_eq!(docs.status, 200);
    assert!(docs.header("content-type").starts_with("text/html"));
    assert!(docs.text().contains("swagger"), "{}", docs.text());

    let schema = app
        .get("/api/schema/", &[("accept", "application/json")])
        .await;
    assert_eq!(schema.status, 200);
    let schema = schema.json();
    assert!(
        schema["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    assert!(schema["paths"]["/api/books/"].is_object(), "{schema}");
    assert!(
        schema["paths"]["/api/books/{id}/cover/"].is_object(),
        "{schema}"
    );
    assert!(
        schema["components"]["schemas"]["Book"].is_object(),
        "{schema}"
    );
}
