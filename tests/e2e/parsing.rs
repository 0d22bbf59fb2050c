//! Request bodies over HTTP: every parser, 415, 400 with a position, 413, charsets.

use crate::start;

#[tokio::test]
async fn every_format_is_parsed_and_echoed_as_json() {
    let app = start();
    let bodies: [(&str, Vec<u8>); 6] = [
        (
            "application/json",
            br#"{"title":"So What","year":1959}"#.to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"title=So+What&year=1959".to_vec(),
        ),
        ("application/yaml", b"title: So What\nyear: 1959\n".to_vec()),
        (
            "application/xml",
            b"<?xml version=\"1.0\"?><root><title>So What</title><year>1959</year></root>".to_vec(),
        ),
        (
            "application/msgpack",
            rmp_serde::to_vec_named(&serde_json::json!({"title": "So What", "year": 1959}))
                .unwrap(),
        ),
        ("text/csv", b"title,year\r\nSo What,1959\r\n".to_vec()),
    ];
    for (content_type, body) in bodies {
        let r = app.post("/api/echo/", content_type, body).await;
        assert_eq!(r.status, 200, "{content_type}: {}", r.text());
        let v = r.json();
        let v = if content_type == "text/csv" {
            v[0].clone()
        } else {
            v
        };
        assert_eq!(v["title"], "So What", "{content_type}");
    }
}

/// A CSV body is a table: a create of one row takes that row, with CSV's text read by the
/// field types (an empty cell is null); a table of two rows is no object.
#[tokio::test]
async fn a_csv_row_creates_a_track() {
    let app = start();
    let r = app
        .post(
            "/api/tracks/",
            "text/csv",
            "title,artist_name,release_date,duration\r\nSo What,Miles Davis,,545.20\r\n",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let track = r.json();
    assert_eq!(track["title"], "So What");
    assert_eq!(track["release_date"], serde_json::Value::Null);
    assert_eq!(track["duration"], "545.20");
    let r = app
        .post(
            "/api/tracks/",
            "text/csv",
            "title,artist_name\r\na,b\r\nc,d\r\n",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
}

#[tokio::test]
async fn a_structured_suffix_reaches_its_parser() {
    let app = start();
    let r = app
        .post("/api/echo/", "application/problem+json", r#"{"title":"x"}"#)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["title"], "x");
}

#[tokio::test]
async fn an_unknown_content_type_is_415_in_the_negotiated_format() {
    let app = start();
    let r = app
        .send(
            "POST",
            "/api/echo/",
            &[
                ("content-type", "text/plain"),
                ("accept", "application/yaml"),
            ],
            "hi",
        )
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    assert!(
        r.text().contains("Unsupported media type \"text/plain\""),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_body_without_content_type_is_415_but_an_empty_one_is_empty_data() {
    let app = start();
    let r = app.send("POST", "/api/echo/", &[], "{}").await;
    assert_eq!(r.status, 415);
    let r = app.send("POST", "/api/echo/", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "null");
}

#[tokio::test]
async fn malformed_bodies_are_400_with_the_position() {
    let app = start();
    let r = app
        .post("/api/echo/", "application/json", "{\"a\": [1,,]}")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["detail"],
        "JSON parse error: expected value at line 1 column 10"
    );
    let r = app
        .post("/api/echo/", "application/xml", "<root><a></root>")
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("XML parse error"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_non_utf8_charset_is_refused_with_415() {
    let app = start();
    let r = app
        .post("/api/echo/", "application/json; charset=latin-1", "{}")
        .await;
    assert_eq!(r.status, 415);
    assert!(r.json()["detail"].as_str().unwrap().contains("latin-1"));
}

#[tokio::test]
async fn an_oversized_body_is_413_in_the_negotiated_format() {
    let app = start();
    let big = format!("[{}1]", "1,".repeat(1_500_000));
    let r = app
        .send(
            "POST",
            "/api/echo/",
            &[
                ("content-type", "application/json"),
                ("accept", "application/xml"),
            ],
            big,
        )
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("content-type"), "application/xml; charset=utf-8");
    assert!(
        r.text().contains("larger than 2621440 bytes"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn deep_nesting_is_refused_not_a_crash() {
    let app = start();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = app.post("/api/echo/", "application/json", deep).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("nesting deeper than 64")
    );
    // Still serving.
    assert_eq!(app.get("/api/hello/", &[]).await.status, 200);
}
