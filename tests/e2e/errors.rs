//! Every error of a viewset route is a rendered response in the negotiated format: 400 field
//! errors, 404, 405 with `Allow`, 406, 413, 415, 500; and OPTIONS, HEAD and the trailing slash.

use restframe_tests::App;
use serde_json::{Value, json};

use crate::crud::create_track;
use crate::on_every_backend;

on_every_backend!(
    field_errors_are_400_in_the_negotiated_format,
    every_bad_field_at_once_in_every_format,
    bodies_that_are_no_object_get_drfs_message,
    unknown_rows_and_routes_are_404,
    methods_options_head_and_trailing_slash,
    unacceptable_unsupported_and_oversized,
    a_panicking_view_is_a_500_and_the_server_keeps_serving,
);

async fn field_errors_are_400_in_the_negotiated_format(app: &App) {
    // Every validator's message at once.
    let long = "x".repeat(101);
    let r = app
        .post(
            "/api/tracks/",
            "application/json",
            json!({"title": "", "artist_name": long}).to_string(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({
            "title": ["This field may not be blank."],
            "artist_name": ["Ensure this field has no more than 100 characters."]
        })
    );
    // Missing required fields, wrong types and bad dates name the field.
    let missing = app
        .post("/api/tracks/", "application/json", r#"{"title":"x"}"#)
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({"artist_name": ["This field is required."]})
    );
    // Every missing field at once, as DRF, also from a form body.
    let none = app
        .post(
            "/api/tracks/",
            "application/x-www-form-urlencoded",
            "release_date=1959-08-17",
        )
        .await;
    assert_eq!(none.status, 400);
    assert_eq!(
        none.json(),
        json!({"title": ["This field is required."], "artist_name": ["This field is required."]})
    );
    let wrong = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title":5,"artist_name":"y"}"#,
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.json(),
        json!({"title": ["Not a valid string."]}),
        "DRF's words, never serde's"
    );
    let date = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title":"x","artist_name":"y","release_date":"17/08/1959"}"#,
        )
        .await;
    assert_eq!(date.status, 400);
    assert_eq!(
        date.json(),
        json!({"release_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]})
    );
    let not_a_day = app
        .post(
            "/api/tracks/",
            "application/x-www-form-urlencoded",
            "title=x&artist_name=y&release_date=2023-02-29",
        )
        .await;
    assert_eq!(not_a_day.status, 400, "{}", not_a_day.text());
    // Rendered in the negotiated format: XML by Accept, YAML by suffix.
    let xml = app
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "application/json"),
                ("accept", "application/xml"),
            ],
            r#"{"title":"","artist_name":"y"}"#,
        )
        .await;
    assert_eq!(xml.status, 400);
    assert_eq!(xml.header("content-type"), "application/xml; charset=utf-8");
    assert!(
        xml.text()
            .contains("<title><list-item>This field may not be blank.</list-item></title>"),
        "{}",
        xml.text()
    );
    let yaml = app
        .post(
            "/api/tracks.yaml",
            "application/json",
            r#"{"title":"","artist_name":"y"}"#,
        )
        .await;
    assert_eq!(yaml.status, 400);
    assert_eq!(yaml.text(), "title:\n- This field may not be blank.\n");
    // A malformed body is a 400 with the parser's message, nothing stored.
    let malformed = app
        .post("/api/tracks/", "application/json", r#"{"title":"#)
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error"),
        "{}",
        malformed.text()
    );
    assert_eq!(
        app.get("/api/tracks/", &[]).await.json()["count"],
        0,
        "nothing half-written"
    );
}

async fn unknown_rows_and_routes_are_404(app: &App) {
    let track = create_track(app, "So What", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    for path in [
        format!("/api/tracks/{}/", id + 1000),
        "/api/tracks/abc/".into(),
        "/api/tracks/-1/".into(),
        "/api/tracks/1e3/".into(),
        "/api/tracks/99999999999999999999999/".into(),
        "/api/nothing/".into(),
        format!("/api/tracks/{id}.docx"),
    ] {
        let r = app.get(&path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json()["detail"].is_string(), "{path}: {}", r.text());
    }
    let r = app
        .get(
            &format!("/api/tracks/{}/", id + 1000),
            &[("accept", "application/msgpack")],
        )
        .await;
    assert_eq!(r.status, 404);
    let v: Value = rmp_serde::from_slice(&r.body).unwrap();
    assert_eq!(v, json!({"detail": "No such object."}));
    // 404 beats a bad body on a missing row.
    let r = app
        .send_body("PATCH", "/api/tracks/abc/", "application/json", "{")
        .await;
    assert_eq!(r.status, 404);

    // The extra actions of a row: 404 for a missing or junk id before anything else (the body,
    // the file name, the storage), as DRF's `get_object()` does.
    let missing = id + 1000;
    for bad in [missing.to_string(), "abc".into(), "+1".into(), "01".into()] {
        for (method, action, content_type, body) in [
            ("GET", "file/", "", ""),
            ("POST", "upload/so_what.mp3/", "audio/mpeg", "ID3junk"),
            (
                "POST",
                "presigned-url/",
                "application/json",
                r#"{"filename":"a.mp3"}"#,
            ),
            ("POST", "confirm-upload/", "application/json", "{"),
        ] {
            let path = format!("/api/tracks/{bad}/{action}");
            let r = app.send_body(method, &path, content_type, body).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
            assert_eq!(
                r.json(),
                json!({"detail": "No such object."}),
                "{method} {path}"
            );
        }
        let path = format!("/api/users/{bad}/picture/");
        let r = app.get(&path, &[("accept", "application/json")]).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
}

async fn methods_options_head_and_trailing_slash(app: &App) {
    let track = create_track(app, "So What", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let detail = format!("/api/tracks/{id}/");

    let r = app
        .send(
            "DELETE",
            "/api/tracks/",
            &[("accept", "application/yaml")],
            "",
        )
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), "GET, POST, HEAD, OPTIONS");
    assert_eq!(r.text(), "detail: Method \"DELETE\" not allowed.\n");
    let r = app
        .send_body("POST", &detail, "application/json", "{}")
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), "GET, PUT, PATCH, DELETE, HEAD, OPTIONS");

    let r = app.send("OPTIONS", "/api/tracks/", &[], "").await;
    assert_eq!(r.status, 200);
    let meta = r.json();
    assert_eq!(meta["name"], "Track List");
    assert_eq!(
        meta["description"],
        "Tracks of the music catalogue. Anyone may read; a logged-in user creates; the owner \
         (or staff) changes, deletes and uploads."
    );
    assert_eq!(
        meta["renders"],
        json!([
            "application/json",
            "text/html",
            "application/yaml",
            "application/xml",
            "application/msgpack",
            "text/csv",
            "application/javascript"
        ])
    );
    assert_eq!(meta["parses"][0], "application/json");
    assert!(
        meta["parses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "application/x-www-form-urlencoded")
    );
    let r = app
        .send("OPTIONS", &detail, &[("accept", "application/yaml")], "")
        .await;
    assert!(
        r.text().starts_with("name: Track Instance\n"),
        "{}",
        r.text()
    );

    let get = app.get(&detail, &[]).await;
    let head = app.send("HEAD", &detail, &[], "").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), get.body.len().to_string());
    assert_eq!(head.header("content-type"), "application/json");
    let head_list = app.send("HEAD", "/api/tracks/?page=9", &[], "").await;
    assert_eq!(head_list.status, 404);
    assert!(head_list.body.is_empty());

    // Without the trailing slash: served the same (no redirect), suffix or not.
    let without = app.get(&format!("/api/tracks/{id}"), &[]).await;
    assert_eq!(
        (without.status, without.body.clone()),
        (200, get.body.clone())
    );
    assert_eq!(app.get("/api/tracks", &[]).await.json()["count"], 1);
    let r = app
        .post(
            "/api/tracks",
            "application/json",
            r#"{"title":"a","artist_name":"b"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "POST without the slash creates");
    assert_eq!(
        app.get(&format!("/api/tracks/{id}.json/"), &[])
            .await
            .status,
        200,
        "slash after a suffix"
    );
}

async fn unacceptable_unsupported_and_oversized(app: &App) {
    let r = app.get("/api/tracks/", &[("accept", "image/png")]).await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(
        r.json()["detail"],
        "Could not satisfy the request Accept header."
    );
    assert_eq!(r.json()["available"][1], "text/html");
    assert_eq!(r.json()["available"][2], "application/yaml");

    let r = app
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "text/plain"),
                ("accept", "application/xml"),
            ],
            "title",
        )
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(r.header("content-type"), "application/xml; charset=utf-8");
    assert!(r.text().contains("Unsupported media type"), "{}", r.text());

    let huge = format!(
        r#"{{"title":"{}","artist_name":"x"}}"#,
        "a".repeat(3 * 1024 * 1024)
    );
    let r = app.post("/api/tracks/", "application/json", huge).await;
    assert_eq!(r.status, 413);
    assert!(r.json()["detail"].is_string(), "{}", r.text());
    assert_eq!(app.get("/api/tracks/", &[]).await.json()["count"], 0);
}

async fn a_panicking_view_is_a_500_and_the_server_keeps_serving(app: &App) {
    for accept in ["application/json", "application/yaml"] {
        let r = app.get("/api/test/panic/", &[("accept", accept)]).await;
        assert_eq!(r.status, 500);
        assert!(
            !r.text().contains("on purpose"),
            "no internals leak: {}",
            r.text()
        );
        assert!(
            r.text().contains("A server error occurred."),
            "{}",
            r.text()
        );
    }
    create_track(app, "Still here", "Miles Davis", None).await;
    assert_eq!(app.get("/api/tracks/", &[]).await.json()["count"], 1);
}

/// A create with a missing title, a null artist, a bad date and a bad decimal: every field's
/// error in one 400, in DRF's words, whatever the body's format. (Track has no UUID field;
/// `framework/tests/model.rs` checks one alongside these through a derived model.)
async fn every_bad_field_at_once_in_every_format(app: &App) {
    let expected = json!({
        "title": ["This field is required."],
        "artist_name": ["This field may not be null."],
        "release_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        "duration": ["A valid number is required."],
    });
    let object = json!({"artist_name": null, "release_date": "17/08/1959", "duration": "long"});
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", object.to_string().into_bytes()),
        (
            "application/yaml",
            b"artist_name: null\nrelease_date: 17/08/1959\nduration: long\n".to_vec(),
        ),
        (
            "application/msgpack",
            rmp_serde::to_vec_named(&object).unwrap(),
        ),
        (
            "application/xml",
            b"<root><artist_name/><release_date>17/08/1959</release_date><duration>long</duration></root>"
                .to_vec(),
        ),
    ];
    for (content_type, body) in bodies {
        let r = app.post("/api/tracks/", content_type, body).await;
        assert_eq!(r.status, 400, "{content_type}: {}", r.text());
        assert_eq!(r.json(), expected, "{content_type}");
    }
    // A form cannot send null: an empty artist is blank there.
    let r = app
        .post(
            "/api/tracks/",
            "application/x-www-form-urlencoded",
            "artist_name=&release_date=17%2F08%2F1959&duration=long",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let body = r.json();
    assert_eq!(body["title"], expected["title"], "{body}");
    assert_eq!(body["release_date"], expected["release_date"], "{body}");
    assert_eq!(body["duration"], expected["duration"], "{body}");
    assert!(body["artist_name"].is_array(), "{body}");
}

/// DRF's `{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}`, never
/// a track made from an array by position.
async fn bodies_that_are_no_object_get_drfs_message(app: &App) {
    for (content_type, body, kind) in [
        ("application/json", br#"["t", "a", null]"#.to_vec(), "list"),
        (
            "application/msgpack",
            rmp_serde::to_vec(&json!(["t", "a", null])).unwrap(),
            "list",
        ),
        ("application/json", br#""a track""#.to_vec(), "str"),
        ("application/json", b"42".to_vec(), "int"),
    ] {
        let r = app.post("/api/tracks/", content_type, body).await;
        assert_eq!(r.status, 400, "{content_type} {kind}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]}),
            "{content_type} {kind}"
        );
    }
    let list = app.get("/api/tracks/", &[]).await.json();
    assert_eq!(list["count"], 0, "nothing was created: {list}");
}
