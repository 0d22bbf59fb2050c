//! Profile pictures in the database: raw, multipart and base64 uploads, served with caching,
//! negotiated between the image and JSON, a placeholder redirect, and deleted with the user.

use base64::Engine;
use restframe_tests::App;
use serde_json::json;

use crate::{CHROME_PAGE, start};

/// A valid 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

const CHROME_IMG: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

pub(crate) async fn user(app: &App, name: &str) -> i64 {
    let r = app
        .post(
            "/api/users/",
            "application/json",
            json!({
                "username": name,
                "email": format!("{name}@example.org"),
                "password": format!("{name}-password"),
            })
            .to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn pictures_upload_serve_negotiate_and_cascade() {
    let app = start();
    let id = user(&app, "ada").await;
    let url = format!("/api/users/{id}/picture/");

    // None yet: a redirect to the placeholder, which the app serves.
    let r = app.get(&url, &[]).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), "/static/missing.png");
    let missing = app.get("/static/missing.png", &[]).await;
    assert_eq!(
        (missing.status, missing.header("content-type")),
        (200, "image/png")
    );
    assert!(missing.body.starts_with(b"\x89PNG"));

    // Raw PNG body.
    let r = app.send_body("PUT", &url, "image/png", PNG.to_vec()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["mime_type"], "image/png");
    assert_eq!(r.json()["size"], PNG.len());

    // Served as the image, no charset, with validators; 304 on a match.
    let img = app.get(&url, &[]).await;
    assert_eq!(img.status, 200);
    assert_eq!(img.header("content-type"), "image/png");
    assert_eq!(img.body.as_ref(), PNG);
    assert_eq!(img.header("x-content-type-options"), "nosniff");
    let etag = img.header("etag").to_owned();
    assert_eq!(app.get(&url, &[("if-none-match", &etag)]).await.status, 304);
    let modified = img.header("last-modified").to_owned();
    assert_eq!(
        app.get(&url, &[("if-modified-since", &modified)])
            .await
            .status,
        304
    );

    // Negotiation: a browser's image and page Accepts get the PNG; webp alone is 406; JSON
    // by Accept or suffix gets the description with the data.
    for accept in [CHROME_IMG, CHROME_PAGE] {
        let r = app.get(&url, &[("accept", accept)]).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (200, "image/png"),
            "{accept}"
        );
    }
    let r = app.get(&url, &[("accept", "image/webp")]).await;
    assert_eq!(r.status, 406, "{}", r.text());
    for r in [
        app.get(&url, &[("accept", "application/json")]).await,
        app.get(&format!("/api/users/{id}/picture.json"), &[]).await,
    ] {
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["mime_type"], "image/png");
        assert_eq!(v["size"], PNG.len());
        // RFC 3339 in UTC, as every datetime of the API (DRF's ISO 8601), within the last minute.
        let at: restframe::DateTime = v["last_updated"].as_str().unwrap().parse().unwrap();
        assert!(v["last_updated"].as_str().unwrap().ends_with('Z'));
        let age = restframe::DateTime::now().unix_timestamp() - at.unix_timestamp();
        assert!((0..60).contains(&age), "last_updated {at} is {age} s old");
        let data = base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data, PNG);
    }

    // JSON base64 (a data URI), replacing it with a GIF.
    let b64 = base64::engine::general_purpose::STANDARD.encode(GIF);
    let r = app
        .send_body(
            "PUT",
            &url,
            "application/json",
            json!({"data": format!("data:image/gif;base64,{b64}")}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let img = app.get(&url, &[]).await;
    assert_eq!(
        (img.header("content-type"), img.body.as_ref()),
        ("image/gif", GIF)
    );
    assert_ne!(img.header("etag"), etag);

    // Multipart field `file`.
    let boundary = "XyZ";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
    body.extend_from_slice(PNG);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .send_body(
            "PUT",
            &url,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.get(&url, &[]).await.header("content-type"), "image/png");

    // Not an image: refused on the field.
    let r = app
        .send_body(
            "PUT",
            &url,
            "image/png",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["file"].is_array(), "{}", r.text());
    let r = app
        .send_body(
            "PUT",
            &url,
            "application/json",
            r#"{"data": "not base64!"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["data"][0]
            .as_str()
            .unwrap()
            .contains("not valid base64"),
        "{}",
        r.text()
    );
    let truncated = base64::engine::general_purpose::STANDARD.encode(&PNG[..40]);
    let r = app
        .send_body(
            "PUT",
            &url,
            "application/json",
            json!({"data": truncated}).to_string(),
        )
        .await;
    assert_eq!(
        r.status,
        400,
        "a truncated PNG is not an image: {}",
        r.text()
    );
    assert!(
        r.json()["data"][0]
            .as_str()
            .unwrap()
            .starts_with("Upload a valid image.")
    );
    assert_eq!(
        app.get(&url, &[]).await.body.as_ref(),
        PNG,
        "the last good picture stays"
    );

    // Deleting the user deletes the picture (cascade): the user is gone, and a new user with
    // the same id would have none.
    assert_eq!(app.delete(&format!("/api/users/{id}/")).await.status, 204);
    assert_eq!(app.get(&url, &[]).await.status, 404);
    let count = rusqlite_count(&app);
    assert_eq!(count, 0, "the blob row went with its user");
}

/// Rows left in `user_picture`, read straight from the app's SQLite file.
fn rusqlite_count(app: &App) -> i64 {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM user_picture').fetchone()[0])"])
        .arg(app.dir().join("db.sqlite3"))
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(-1)
}
