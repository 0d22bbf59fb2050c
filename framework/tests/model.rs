//! `#[derive(Model)]` end to end on SQLite: a derived model served by a real `ModelViewSet`
//! over a `SqlRepository`, driven through the router without a socket. Create, retrieve,
//! update and patch; every field error at once in JSON, form, YAML, XML and MessagePack
//! bodies, in DRF's words; bodies that are not objects; PATCH null; fields the server sets;
//! the generated schemas; the generated table and its check.
//!
//! Run with `cargo test -p restframe --all-features --test model`.
#![cfg(feature = "sqlite")]
#![cfg(test)]

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::parsers::{FormParser, JsonParser, MsgPackParser, Parser, XmlParser, YamlParser};
use restframe::sql::{Column, ColumnType, Database, SqlRepository, Table};
use restframe::{
    ApiSettings, Choices, Date, DateTime, Decimal, Model, ModelViewSet, Router, Uuid, Validate,
    ValidationErrors,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Choices)]
enum Genre {
    Jazz,
    #[choice("hip-hop")]
    HipHop,
}

/// An ISBN-13 whose check digit is right.
fn isbn_checksum(isbn: &str) -> Result<(), String> {
    let digits: Vec<u32> = isbn.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    if digits.len() == 13 && sum.is_multiple_of(10) {
        Ok(())
    } else {
        Err("Not a valid ISBN-13.".into())
    }
}

/// DRF's `validate()`: a rule across fields.
fn check_book(book: &BookInput) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if book.title == book.artist {
        errors.add("", "The title and the artist must differ.");
    }
    errors.into_result()
}

// `secret` and `file_key` are read from rows only.
#[allow(dead_code)]
#[derive(Debug, Clone, Serialize, Deserialize, Model)]
#[model(table = "model_book", validate = check_book, derive(Debug, Clone))]
struct Book {
    #[field(primary_key, read_only)]
    id: i64,
    /// The book's title.
    #[field(max_length = 100)]
    title: String,
    #[field(max_length = 20)]
    artist: String,
    #[field(min_value = 0, max_value = 10000)]
    pages: i64,
    #[field(default = 3)]
    rating: i32,
    published: Option<Date>,
    #[field(max_digits = 6, decimal_places = 2)]
    price: Decimal,
    #[field(unique)]
    code: Uuid,
    #[field(choices)]
    genre: Option<Genre>,
    #[field(email, allow_blank, default = String::new())]
    contact: String,
    #[field(url)]
    homepage: Option<String>,
    #[field(regex = "^[0-9]{13}$", validator = isbn_checksum)]
    isbn: Option<String>,
    #[field(write_only)]
    #[serde(default, skip_serializing)]
    secret: Option<String>,
    #[field(set_by_server)]
    owner: Option<i64>,
    #[field(auto_now_add)]
    created_at: DateTime,
    #[field(skip)]
    #[serde(default, skip_serializing)]
    file_key: Option<String>,
}

const CODE: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

fn parsers() -> Vec<Arc<dyn Parser>> {
    vec![
        Arc::new(JsonParser::new()),
        Arc::new(FormParser::new()),
        Arc::new(YamlParser::new()),
        Arc::new(XmlParser::new()),
        Arc::new(MsgPackParser::new()),
    ]
}

async fn router() -> (Router, SqlRepository<Book>) {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Book>().await.unwrap();
    db.check_table::<Book>().await.unwrap();
    let repo = SqlRepository::<Book>::new(&db);
    let router = ModelViewSet::new("Book", "book", repo.clone())
        .perform_create(|_, input: &mut BookInput| {
            input.owner = Some(7);
            Ok(())
        })
        .perform_update(|req, input: &mut BookInput| {
            if let Some(current) = req.extensions().get::<Arc<Book>>() {
                input.keep_server_fields(current);
            }
            Ok(())
        })
        .register(
            Router::with_settings(ApiSettings::default().parsers(parsers())),
            "/books/",
        )
        .unwrap();
    (router, repo)
}

async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> (StatusCode, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(Full::new(body.into()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn json(router: &Router, method: Method, uri: &str, body: Value) -> (StatusCode, Value) {
    send(router, method, uri, "application/json", body.to_string()).await
}

fn a_book() -> Value {
    json!({
        "title": "So What",
        "artist": "Miles Davis",
        "pages": 120,
        "published": "1959-08-17",
        "price": "12.50",
        "code": CODE,
        "genre": "hip-hop",
        "homepage": "https://example.org/so-what",
        "isbn": "9780306406157",
        "secret": "psst",
        "owner": 99,
    })
}

#[tokio::test]
async fn create_retrieve_update_and_patch_round_trip() {
    let (router, _) = router().await;
    let (status, book) = json(&router, Method::POST, "/books/", a_book()).await;
    assert_eq!(status, StatusCode::CREATED, "{book}");
    assert_eq!(book["id"], 1);
    assert_eq!(book["price"], "12.50");
    assert_eq!(book["genre"], "hip-hop");
    assert_eq!(book["rating"], 3, "the default");
    assert_eq!(book["contact"], "");
    // Set by the server, not by the client's 99; not shown: the write-only and skipped ones.
    assert_eq!(book["owner"], 7);
    assert!(book.get("secret").is_none() && book.get("file_key").is_none());
    assert!(book["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, got) = json(&router, Method::GET, "/books/1/", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, book);

    let mut replaced = a_book();
    replaced["title"] = json!("Freddie Freeloader");
    replaced["owner"] = json!(5);
    let (status, updated) = json(&router, Method::PUT, "/books/1/", replaced).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["title"], "Freddie Freeloader");
    assert_eq!(updated["owner"], 7, "kept on update");

    let (status, patched) = json(&router, Method::PATCH, "/books/1/", json!({"pages": 9})).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["pages"], 9);
    assert_eq!(patched["title"], "Freddie Freeloader");
    assert_eq!(patched["owner"], 7);
}

#[tokio::test]
async fn patch_null_clears_a_nullable_field_and_is_refused_on_another() {
    let (router, _) = router().await;
    json(&router, Method::POST, "/books/", a_book()).await;
    let (status, body) = json(&router, Method::PATCH, "/books/1/", json!({"title": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"title": ["This field may not be null."]}));
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/books/1/",
        json!({"published": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["published"], Value::Null);
    assert_eq!(body["title"], "So What");
    // A rule on a patched field, and a wrong type, together.
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/books/1/",
        json!({"title": "", "pages": "many"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "title": ["This field may not be blank."],
            "pages": ["A valid integer is required."],
        })
    );
}

/// What every format answers for the same bad body: missing title, null pages, an artist
/// too long, a wrong rating, a bad date, decimal and UUID.
fn every_error(null_pages: &str) -> Value {
    json!({
        "title": ["This field is required."],
        "artist": ["Ensure this field has no more than 20 characters."],
        "pages": [null_pages],
        "rating": ["A valid integer is required."],
        "published": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        "price": ["A valid number is required."],
        "code": ["Must be a valid UUID."],
    })
}

const LONG: &str = "Miles Dewey Davis the Third";

#[tokio::test]
async fn every_field_error_at_once_in_json_yaml_and_msgpack() {
    let (router, _) = router().await;
    let bad = json!({
        "artist": LONG,
        "pages": null,
        "rating": "abc",
        "published": "1959-13-40",
        "price": "twelve",
        "code": "nope",
    });
    let want = every_error("This field may not be null.");
    let (status, body) = json(&router, Method::POST, "/books/", bad.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, want, "JSON");

    let yaml = format!(
        "artist: {LONG}\npages: null\nrating: abc\npublished: 1959-13-40\nprice: twelve\ncode: nope\n"
    );
    let (status, body) = send(&router, Method::POST, "/books/", "application/yaml", yaml).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, want, "YAML");

    let msgpack = rmp_serde::to_vec_named(&bad).unwrap();
    let (status, body) = send(
        &router,
        Method::POST,
        "/books/",
        "application/msgpack",
        msgpack,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, want, "MessagePack");
}

#[tokio::test]
async fn every_field_error_at_once_in_form_and_xml() {
    let (router, _) = router().await;
    // A form has no null: an empty integer is not an integer.
    let form = format!(
        "artist={}&pages=&rating=abc&published=1959-13-40&price=twelve&code=nope",
        LONG.replace(' ', "+")
    );
    let (status, body) = send(
        &router,
        Method::POST,
        "/books/",
        "application/x-www-form-urlencoded",
        form,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, every_error("A valid integer is required."), "form");

    // An empty XML element is null, as DRF's XML parser reads it.
    let xml = format!(
        "<root><artist>{LONG}</artist><pages/><rating>abc</rating>\
         <published>1959-13-40</published><price>twelve</price><code>nope</code></root>"
    );
    let (status, body) = send(&router, Method::POST, "/books/", "application/xml", xml).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, every_error("This field may not be null."), "XML");
}

#[tokio::test]
async fn text_only_formats_coerce_their_strings() {
    let (router, _) = router().await;
    let form = format!(
        "title=So+What&artist=Miles&pages=120&rating=4&published=1959-08-17&price=12.50&code={CODE}\
         &genre=Jazz&homepage="
    );
    let (status, body) = send(
        &router,
        Method::POST,
        "/books/",
        "application/x-www-form-urlencoded",
        form,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["pages"], 120);
    assert_eq!(body["rating"], 4);
    assert_eq!(body["genre"], "Jazz");
    assert_eq!(
        body["homepage"],
        Value::Null,
        "a form's empty text is null where allowed"
    );
}

#[tokio::test]
async fn drf_messages_for_rules_choices_and_validators() {
    let (router, _) = router().await;
    let mut bad = a_book();
    bad["title"] = json!("");
    bad["pages"] = json!(-1);
    bad["price"] = json!("12345.678");
    bad["genre"] = json!("polka");
    bad["contact"] = json!("not an address");
    bad["homepage"] = json!("example.org");
    bad["isbn"] = json!("9780306406158");
    let (status, body) = json(&router, Method::POST, "/books/", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "title": ["This field may not be blank."],
            "pages": ["Ensure this value is greater than or equal to 0."],
            "price": ["Ensure that there are no more than 6 digits in total."],
            "genre": ["\"polka\" is not a valid choice."],
            "contact": ["Enter a valid email address."],
            "homepage": ["Enter a valid URL."],
            "isbn": ["Not a valid ISBN-13."],
        })
    );
    let mut same = a_book();
    same["artist"] = json!("So What");
    let (status, body) = json(&router, Method::POST, "/books/", same).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"non_field_errors": ["The title and the artist must differ."]})
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused_in_drf_words() {
    let (router, _) = router().await;
    for (body, kind) in [
        ("[\"t\", \"a\", null]", "list"),
        ("\"title\"", "str"),
        ("4", "int"),
        ("4.5", "float"),
        ("true", "bool"),
    ] {
        let (status, got) = send(&router, Method::POST, "/books/", "application/json", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            got,
            json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]}),
            "{body}"
        );
    }
    // A map with a number for a key is still an object (the key read as its text), and
    // MessagePack bytes a list: read as far as DRF would, never in serde's words.
    let (status, got) = send(
        &router,
        Method::POST,
        "/books/",
        "application/yaml",
        "1: x\n",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(got["title"], json!(["This field is required."]));
    // `bin 8` of two bytes.
    let bytes = vec![0xc4_u8, 0x02, 0x01, 0x02];
    let (status, got) = send(
        &router,
        Method::POST,
        "/books/",
        "application/msgpack",
        bytes,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        got,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    json(&router, Method::POST, "/books/", a_book()).await;
    let (status, got) = send(
        &router,
        Method::PATCH,
        "/books/1/",
        "application/json",
        "[1]",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        got,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
}

#[tokio::test]
async fn an_empty_body_lists_every_required_field() {
    let (router, _) = router().await;
    let (status, body) = send(&router, Method::POST, "/books/", "application/json", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let required = json!(["This field is required."]);
    assert_eq!(
        body,
        json!({
            "title": required, "artist": required, "pages": required,
            "price": required, "code": required,
        })
    );
}

#[test]
fn the_table_is_declared_from_the_struct() {
    assert_eq!(Book::NAME, "model_book");
    assert_eq!(Book::PRIMARY_KEY, "id");
    let column = |name: &str| *Book::COLUMNS.iter().find(|c| c.name == name).unwrap();
    assert_eq!(
        column("id"),
        Column::new("id", ColumnType::Integer)
            .read_only()
            .primary_key()
    );
    assert_eq!(column("price").ty, ColumnType::Decimal);
    assert_eq!(
        column("code"),
        Column::new("code", ColumnType::Uuid).unique()
    );
    assert_eq!(column("published"), Column::date("published").nullable());
    assert_eq!(column("genre"), Column::text("genre").nullable());
    assert!(column("owner").writable, "set by the server, written by it");
    assert!(!column("file_key").writable);
    assert_eq!(
        column("created_at"),
        Column::new("created_at", ColumnType::DateTime).auto_now_add()
    );
    assert_eq!(Book::COLUMNS.len(), 16);
}

#[tokio::test]
async fn the_generated_table_passes_the_startup_check() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.query(
        &restframe::sql::create_table_sql::<Book>(db.dialect()),
        vec![],
        &[],
    )
    .await
    .unwrap();
    db.check_table::<Book>().await.unwrap();
}

#[test]
fn the_input_validates_what_code_builds() {
    let input = BookInput {
        title: "x".repeat(101),
        artist: "Miles".into(),
        pages: 1,
        rating: 3,
        published: None,
        price: Decimal::new(1250, 2),
        code: Uuid::nil(),
        genre: Some(Genre::Jazz),
        contact: String::new(),
        homepage: None,
        isbn: None,
        secret: None,
        owner: None,
    };
    let errors = input.validate().unwrap_err();
    assert_eq!(
        errors.errors(),
        [(
            "title".to_owned(),
            "Ensure this field has no more than 100 characters.".to_owned()
        )]
    );
    assert_eq!(Genre::CHOICES, ["Jazz", "hip-hop"]);
}

#[cfg(feature = "openapi")]
#[test]
fn the_schemas_tell_the_truth() {
    use utoipa::PartialSchema;
    let model = serde_json::to_value(Book::schema()).unwrap();
    let input = serde_json::to_value(BookInput::schema()).unwrap();
    let patch = serde_json::to_value(BookPatch::schema()).unwrap();
    let p = &input["properties"];
    assert_eq!(p["title"]["minLength"], 1);
    assert_eq!(p["title"]["maxLength"], 100);
    assert_eq!(p["title"]["description"], "The book's title.");
    assert_eq!(p["pages"]["minimum"], 0);
    assert_eq!(p["pages"]["maximum"], 10000);
    assert_eq!(p["published"]["type"], json!(["string", "null"]));
    assert_eq!(p["published"]["format"], "date");
    assert_eq!(p["price"]["format"], "decimal");
    assert_eq!(p["price"]["pattern"], r"^-?[0-9]{1,4}(?:\.[0-9]{1,2})?$");
    assert_eq!(p["homepage"]["pattern"], restframe::__private::URL_PATTERN);
    assert_eq!(p["contact"]["pattern"], restframe::__private::EMAIL_PATTERN);
    assert_eq!(p["code"]["format"], "uuid");
    assert_eq!(p["genre"]["enum"], json!(["Jazz", "hip-hop", null]));
    assert_eq!(p["contact"]["format"], "email");
    assert!(p["contact"].get("minLength").is_none(), "blank allowed");
    assert_eq!(p["homepage"]["format"], "uri");
    assert_eq!(p["isbn"]["pattern"], "^[0-9]{13}$");
    assert_eq!(p["secret"]["writeOnly"], true);
    for hidden in ["id", "owner", "created_at", "file_key"] {
        assert!(p.get(hidden).is_none(), "{hidden} in the input");
    }
    assert_eq!(
        input["required"],
        json!(["title", "artist", "pages", "price", "code"])
    );

    let m = &model["properties"];
    assert_eq!(m["id"]["readOnly"], true);
    assert_eq!(m["owner"]["readOnly"], true);
    assert_eq!(m["created_at"]["readOnly"], true);
    assert_eq!(m["created_at"]["format"], "date-time");
    assert!(m.get("secret").is_none() && m.get("file_key").is_none());

    assert!(patch.get("required").is_none(), "{patch}");
    assert_eq!(patch["properties"]["title"]["maxLength"], 100);
    assert!(
        !patch.to_string().contains("\"default\""),
        "no default in {patch}"
    );
}

/// A write-only field the model never shows: a PATCH of another field keeps it.
#[allow(dead_code)]
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "model_member")]
struct Member {
    #[field(read_only)]
    id: i64,
    #[field(email)]
    email: String,
    #[field(write_only, min_length = 8)]
    #[serde(default, skip_serializing)]
    password: String,
    active: bool,
    // Named like the generated code's own locals.
    #[field(allow_blank, default)]
    body: String,
    errors: Option<i64>,
}

#[tokio::test]
async fn a_patch_keeps_a_write_only_field_it_does_not_send() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Member>().await.unwrap();
    let repo = SqlRepository::<Member>::new(&db);
    let router = ModelViewSet::new("Member", "member", repo.clone())
        .register(Router::new(), "/members/")
        .unwrap();
    let (status, body) = json(
        &router,
        Method::POST,
        "/members/",
        json!({"email": "miles@example.org", "password": "kind-of-blue", "active": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"id": 1, "email": "miles@example.org", "active": true, "body": "", "errors": null})
    );
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/members/1/",
        json!({"email": "davis@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    let rows = db
        .query(
            "SELECT password FROM model_member",
            vec![],
            &[ColumnType::Text],
        )
        .await
        .unwrap();
    assert_eq!(
        rows,
        [[restframe::sql::SqlValue::Text("kind-of-blue".into())]]
    );
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/members/1/",
        json!({"password": "short"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"password": ["Ensure this field has at least 8 characters."]})
    );
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn the_viewset_documents_the_derived_schemas() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let router = ModelViewSet::new("Book", "book", SqlRepository::<Book>::new(&db))
        .with_schemas()
        .register(Router::new(), "/books/")
        .unwrap();
    let doc =
        serde_json::to_value(router.openapi(&restframe::openapi::ApiInfo::new("T", "1"))).unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in ["Book", "BookInput", "BookPatch", "PaginatedBookList"] {
        assert!(schemas.get(name).is_some(), "{name} missing");
    }
    let body = |method: &str| {
        doc["paths"]["/books/{id}/"][method]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"]
            .clone()
    };
    assert_eq!(body("patch"), "#/components/schemas/BookPatch");
    assert_eq!(body("put"), "#/components/schemas/BookInput");
}

/// A model with fields that are no columns: filled per response.
#[derive(Serialize, Deserialize, Model)]
#[model(table = "computed_album")]
struct Album {
    #[field(computed)]
    #[serde(default)]
    url: String,
    #[field(read_only)]
    id: i64,
    #[field(max_length = 50)]
    title: String,
    #[field(computed)]
    #[serde(default)]
    artist_name: Option<String>,
}

#[tokio::test]
async fn computed_fields_are_no_columns_and_read_only_in_the_schema() {
    let names: Vec<&str> = Album::COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, ["id", "title"]);
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Album>().await.unwrap();
    db.check_table::<Album>().await.unwrap();
    // A row reads into the model with the computed fields at their defaults.
    let albums = SqlRepository::<Album>::new(&db);
    let input: AlbumInput =
        serde_json::from_value(json!({"title": "Kind of Blue", "url": "x", "artist_name": "y"}))
            .unwrap();
    let album = restframe::Repository::create(&albums, input).await.unwrap();
    assert_eq!(
        (album.url.as_str(), album.artist_name.as_deref()),
        ("", None)
    );
    #[cfg(feature = "openapi")]
    {
        use utoipa::PartialSchema;
        let model = serde_json::to_value(Album::schema()).unwrap();
        assert_eq!(model["properties"]["url"]["readOnly"], true);
        assert_eq!(model["properties"]["artist_name"]["readOnly"], true);
        let input = serde_json::to_value(AlbumInput::schema()).unwrap();
        assert!(input["properties"].get("url").is_none(), "{input}");
        let patch = serde_json::to_value(AlbumPatch::schema()).unwrap();
        assert!(patch["properties"].get("artist_name").is_none(), "{patch}");
    }
}

/// What an account's owner is: the table a foreign key points at.
#[allow(dead_code)]
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "model_owner")]
struct Holder {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(ordering_index)]
    name: String,
}

/// Django's model defaults (`db_default`), a nullable column whose inputs refuse null
/// (`allow_null = false`), a pattern with its own message, and a foreign key.
#[allow(dead_code)]
#[derive(Debug, Serialize, Deserialize, Model)]
#[model(table = "model_account")]
struct Account {
    #[field(primary_key, read_only)]
    id: i64,
    #[field(regex = r"^[a-z]+$", regex_message = "Lower-case letters only.")]
    handle: String,
    #[field(db_default = true)]
    active: bool,
    #[field(read_only, db_default = 3)]
    level: i64,
    #[field(write_only, allow_null = false, min_length = 4)]
    #[serde(default, skip_serializing)]
    secret: Option<String>,
    #[field(references = Holder, on_delete = cascade, index)]
    holder: i64,
}

#[test]
fn defaults_indexes_and_foreign_keys_are_declared() {
    use restframe::sql::{ColumnDefault, Dialect, ForeignKey, Index, OnDelete};
    let column = |name: &str| Account::COLUMNS.iter().find(|c| c.name == name).unwrap();
    assert_eq!(column("active").default, Some(ColumnDefault::Boolean(true)));
    assert_eq!(column("level").default, Some(ColumnDefault::Integer(3)));
    assert!(column("secret").nullable && column("secret").writable);
    assert_eq!(
        column("holder").references,
        Some(ForeignKey {
            table: "model_owner",
            column: "id",
            on_delete: OnDelete::Cascade
        })
    );
    assert_eq!(column("holder").index, Some(Index::Column));
    assert_eq!(Holder::COLUMNS[1].index, Some(Index::Ordering));
    let sql = restframe::sql::Schema::new()
        .table::<Holder>()
        .table::<Account>()
        .sql_for(Dialect::Postgres);
    for part in [
        r#""active" BOOLEAN NOT NULL DEFAULT (TRUE)"#,
        r#""holder" BIGINT NOT NULL REFERENCES "model_owner" ("id") ON DELETE CASCADE"#,
        r#"CREATE INDEX IF NOT EXISTS "model_owner_name_id" ON "model_owner" ("name", "id")"#,
        r#"CREATE INDEX IF NOT EXISTS "model_account_holder" ON "model_account" ("holder")"#,
    ] {
        assert!(sql.contains(part), "{part} in\n{sql}");
    }
    // The inputs: a value left to the column's default is an `Option`; a nullable column
    // whose inputs refuse null is not.
    let input = AccountInput {
        handle: "ann".into(),
        active: None,
        secret: "abcd".into(),
        holder: 1,
    };
    assert!(input.validate().is_ok());
    let patch = AccountPatch {
        secret: Some("abcd".into()),
        ..Default::default()
    };
    assert_eq!(patch.secret.as_deref(), Some("abcd"));
}

#[tokio::test]
async fn a_model_default_is_taken_on_create_and_kept_by_an_update_that_leaves_it_out() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let schema = restframe::sql::Schema::new()
        .table::<Holder>()
        .table::<Account>();
    db.create_or_upgrade(&schema, &[]).await.unwrap();
    db.query("INSERT INTO model_owner (name) VALUES ('ann')", vec![], &[])
        .await
        .unwrap();
    let router = ModelViewSet::new("Account", "account", SqlRepository::<Account>::new(&db))
        .register(Router::new(), "/accounts/")
        .unwrap();
    let (status, body) = json(
        &router,
        Method::POST,
        "/accounts/",
        json!({"handle": "ann", "secret": "abcd", "holder": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"id": 1, "handle": "ann", "active": true, "level": 3, "holder": 1})
    );
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/accounts/1/",
        json!({"active": false}),
    )
    .await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(false)));
    // PUT without `active` keeps it; with it, writes it.
    let put = json!({"handle": "ann", "secret": "efgh", "holder": 1});
    let (status, body) = json(&router, Method::PUT, "/accounts/1/", put).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(false)));
    let put = json!({"handle": "ann", "secret": "efgh", "holder": 1, "active": true});
    let (status, body) = json(&router, Method::PUT, "/accounts/1/", put).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(true)));
    // Null is refused where the inputs take none, although the column holds it.
    let (status, body) = json(
        &router,
        Method::POST,
        "/accounts/",
        json!({"handle": "Ann\u{0}", "secret": null, "holder": 1, "active": null}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "handle": ["Null characters are not allowed.", "Lower-case letters only."],
            "secret": ["This field may not be null."],
            "active": ["This field may not be null."],
        })
    );
    let (status, body) = json(
        &router,
        Method::POST,
        "/accounts/",
        json!({"handle": "bob", "holder": 1}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"secret": ["This field is required."]})
        )
    );
    let (status, body) = json(
        &router,
        Method::PATCH,
        "/accounts/1/",
        json!({"secret": null}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"secret": ["This field may not be null."]})
        )
    );
    // The foreign key: deleting the owner deletes the account.
    db.query("DELETE FROM model_owner WHERE id = 1", vec![], &[])
        .await
        .unwrap();
    let (status, _) = json(&router, Method::GET, "/accounts/1/", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[cfg(feature = "openapi")]
#[test]
fn model_defaults_and_refused_nulls_in_the_schemas() {
    use utoipa::PartialSchema;
    let input = serde_json::to_value(AccountInput::schema()).unwrap();
    let required: Vec<&str> = input["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["handle", "secret", "holder"]);
    assert_eq!(input["properties"]["active"]["type"], "boolean");
    assert_eq!(input["properties"]["secret"]["type"], "string");
    assert_eq!(input["properties"]["secret"]["writeOnly"], true);
    let patch = serde_json::to_value(AccountPatch::schema()).unwrap();
    assert_eq!(patch["properties"]["secret"]["type"], "string");
    let model = serde_json::to_value(Account::schema()).unwrap();
    assert!(model["properties"].get("secret").is_none());
}
