//! Tracks and users, created, read, replaced, patched and deleted in every format, on SQLite
//! and PostgreSQL.

use restframe_tests::App;
use serde_json::{Value, json};

use crate::on_every_backend;

on_every_backend!(
    create_in_every_request_format,
    read_back_in_every_response_format,
    update_patch_and_delete,
    users_have_unique_usernames,
);

/// One track as each parser's body.
fn bodies(title: &str) -> Vec<(&'static str, Vec<u8>)> {
    let fields =
        json!({"title": title, "artist_name": "Miles Davis", "release_date": "1959-08-17"});
    vec![
        ("application/json", serde_json::to_vec(&fields).unwrap()),
        (
            "application/x-www-form-urlencoded",
            format!("title={}&artist_name=Miles+Davis&release_date=1959-08-17", title.replace(' ', "+"))
                .into_bytes(),
        ),
        ("application/yaml", serde_yaml::to_string(&fields).unwrap().into_bytes()),
        (
            "application/xml",
            format!(
                "<?xml version=\"1.0\"?><root><title>{title}</title><artist_name>Miles Davis</artist_name>\
                 <release_date>1959-08-17</release_date></root>"
            )
            .into_bytes(),
        ),
        ("application/msgpack", rmp_serde::to_vec_named(&fields).unwrap()),
    ]
}

/// Creates a track from JSON and returns it.
pub(crate) async fn create_track(
    app: &App,
    title: &str,
    artist: &str,
    date: Option<&str>,
) -> Value {
    let body = json!({"title": title, "artist_name": artist, "release_date": date});
    let r = app
        .post("/api/tracks/", "application/json", body.to_string())
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn create_in_every_request_format(app: &App) {
    for (i, (content_type, body)) in bodies("So What").into_iter().enumerate() {
        let title = format!("So What {i}");
        let body = String::from_utf8_lossy(&body)
            .replace("So What", &title)
            .replace("So+What", &title.replace(' ', "+"));
        let body = if content_type == "application/msgpack" {
            // Binary: rebuild rather than patch the bytes.
            rmp_serde::to_vec_named(
                &json!({"title": title, "artist_name": "Miles Davis", "release_date": "1959-08-17"}),
            )
            .unwrap()
        } else {
            body.into_bytes()
        };
        let r = app.post("/api/tracks/", content_type, body).await;
        assert_eq!(r.status, 201, "{content_type}: {}", r.text());
        let track = r.json();
        assert_eq!(track["title"], title.as_str(), "{content_type}");
        assert_eq!(track["artist_name"], "Miles Davis", "{content_type}");
        assert_eq!(track["release_date"], "1959-08-17", "{content_type}");
        assert_eq!(track["file"], Value::Null, "{content_type}");
        assert!(track["id"].as_i64().unwrap() > 0, "{content_type}");
        // The row is really stored: read it back by id.
        let id = track["id"].as_i64().unwrap();
        let back = app.get(&format!("/api/tracks/{id}/"), &[]).await;
        assert_eq!(back.json(), track, "{content_type}");
    }
    let list = app.get("/api/tracks/", &[]).await.json();
    assert_eq!(list["count"], 5);
}

async fn read_back_in_every_response_format(app: &App) {
    let track = create_track(app, "Blue in Green", "Miles Davis", Some("1959-08-17")).await;
    let id = track["id"].as_i64().unwrap();
    assert!(track["owner"].is_i64(), "{track}");
    let formats = [
        ("application/json", "json", "application/json"),
        (
            "application/yaml",
            "yaml",
            "application/yaml; charset=utf-8",
        ),
        ("application/xml", "xml", "application/xml; charset=utf-8"),
        ("application/msgpack", "msgpack", "application/msgpack"),
        ("text/csv", "csv", "text/csv; charset=utf-8"),
    ];
    for (accept, suffix, content_type) in formats {
        let by_accept = app
            .get(&format!("/api/tracks/{id}/"), &[("accept", accept)])
            .await;
        let by_suffix = app.get(&format!("/api/tracks/{id}.{suffix}"), &[]).await;
        let by_query = app
            .get(&format!("/api/tracks/{id}/?format={suffix}"), &[])
            .await;
        for r in [&by_accept, &by_suffix, &by_query] {
            assert_eq!(r.status, 200, "{accept}: {}", r.text());
            assert_eq!(r.header("content-type"), content_type);
            assert_eq!(
                r.body, by_accept.body,
                "{accept}: suffix, query and Accept agree"
            );
        }
        let decoded: Value = match suffix {
            "json" => by_accept.json(),
            "yaml" => serde_yaml::from_slice(&by_accept.body).unwrap(),
            "msgpack" => rmp_serde::from_slice(&by_accept.body).unwrap(),
            "xml" => {
                let text = by_accept.text();
                for element in [
                    format!("<id>{id}</id>"),
                    "<title>Blue in Green</title>".into(),
                    "<artist_name>Miles Davis</artist_name>".into(),
                    "<release_date>1959-08-17</release_date>".into(),
                ] {
                    assert!(text.contains(&element), "{element} in {text}");
                }
                continue;
            }
            _ => {
                let text = by_accept.text();
                let mut lines = text.lines();
                const COLUMNS: [&str; 12] = [
                    "url",
                    "id",
                    "title",
                    "artist_name",
                    "release_date",
                    "duration",
                    "file",
                    "owner",
                    "owner_username",
                    "owner_url",
                    "created_at",
                    "updated_at",
                ];
                assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
                // The JSON's values, in the same order (null is empty); the owner is the
                // harness's superuser, who created it.
                let cells: Vec<String> = COLUMNS
                    .iter()
                    .map(|c| match &track[*c] {
                        Value::Null => String::new(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                assert_eq!(lines.next().map(str::to_owned), Some(cells.join(",")));
                assert!(track["owner_username"].is_string(), "{track}");
                continue;
            }
        };
        assert_eq!(decoded, track, "{accept}");
    }
    // The list's CSV is its rows only, by suffix on the list route too.
    let csv = app.get("/api/tracks.csv", &[]).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.text()
            .starts_with("url,id,title,artist_name,release_date,duration,file,owner,"),
        "{}",
        csv.text()
    );
    assert!(!csv.text().contains("count"), "{}", csv.text());
    // JSONP only when asked by name, and only anonymously (an authenticated JSONP read would
    // hand the caller's data to any page that includes it).
    let jsonp = app
        .anonymous()
        .get(&format!("/api/tracks/{id}/?format=jsonp&callback=cb"), &[])
        .await;
    assert_eq!(jsonp.status, 200, "{}", jsonp.text());
    assert_eq!(
        jsonp.header("content-type"),
        "application/javascript; charset=utf-8"
    );
    assert!(jsonp.text().starts_with("cb({\"url\":"), "{}", jsonp.text());
    // With credentials it is refused as forbidden (the request is valid; this format is just
    // not served to it), in JSON, never as JSONP.
    let refused = app
        .get(&format!("/api/tracks/{id}/?format=jsonp&callback=cb"), &[])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.header("content-type"), "application/json");
    assert!(
        refused.text().contains("anonymous requests only"),
        "{}",
        refused.text()
    );
    let any = app
        .get(&format!("/api/tracks/{id}/"), &[("accept", "*/*")])
        .await;
    assert_eq!(any.header("content-type"), "application/json");
}

async fn update_patch_and_delete(app: &App) {
    let track = create_track(app, "Freddie", "Miles Davis", Some("1959-08-17")).await;
    let id = track["id"].as_i64().unwrap();
    let url = format!("/api/tracks/{id}/");

    // PUT replaces the writable fields; read-only ones in the body are ignored.
    let put = app
        .send_body(
            "PUT",
            &url,
            "application/yaml",
            "id: 999\nfile: http://evil.example/x.mp3\ntitle: Freddie Freeloader\nartist_name: Miles Davis Sextet\n",
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let put = put.json();
    assert_eq!(put["id"], id);
    assert_eq!(put["file"], Value::Null);
    assert_eq!(put["title"], "Freddie Freeloader");
    assert_eq!(
        put["release_date"],
        Value::Null,
        "PUT without the date clears it"
    );

    // PATCH in XML changes one field.
    let patch = app
        .send_body(
            "PATCH",
            &url,
            "application/xml",
            "<root><release_date>1959-03-02</release_date></root>",
        )
        .await;
    assert_eq!(patch.status, 200, "{}", patch.text());
    assert_eq!(patch.json()["release_date"], "1959-03-02");
    assert_eq!(patch.json()["title"], "Freddie Freeloader");

    // PATCH with an explicit null clears a nullable field; other fields stay.
    let patch = app
        .send_body(
            "PATCH",
            &url,
            "application/json",
            r#"{"release_date": null}"#,
        )
        .await;
    assert_eq!(patch.status, 200, "{}", patch.text());
    assert_eq!(patch.json()["release_date"], Value::Null);
    assert_eq!(patch.json()["artist_name"], "Miles Davis Sextet");

    // A null for a field that is not nullable is DRF's 400, in every format, and changes
    // nothing.
    for (content_type, body) in [
        ("application/json", br#"{"title": null}"#.to_vec()),
        (
            "application/yaml",
            b"title: null\nartist_name: null\n".to_vec(),
        ),
        (
            "application/msgpack",
            rmp_serde::to_vec_named(&json!({"title": null})).unwrap(),
        ),
    ] {
        let null = app.send_body("PATCH", &url, content_type, body).await;
        assert_eq!(null.status, 400, "{content_type}: {}", null.text());
        assert_eq!(
            null.json()["title"],
            json!(["This field may not be null."]),
            "{content_type}"
        );
    }
    assert_eq!(
        app.get(&url, &[]).await.json()["artist_name"],
        "Miles Davis Sextet"
    );

    // A PATCH that would make the row invalid is refused and changes nothing.
    let bad = app
        .send_body(
            "PATCH",
            &url,
            "application/msgpack",
            rmp_serde::to_vec_named(&json!({"title": ""})).unwrap(),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json(),
        json!({"title": ["This field may not be blank."]})
    );
    assert_eq!(
        app.get(&url, &[]).await.json()["title"],
        "Freddie Freeloader"
    );

    // DELETE: 204 with no body, then 404 for every method.
    let gone = app.delete(&url).await;
    assert_eq!(gone.status, 204);
    assert!(gone.body.is_empty());
    assert_eq!(app.get(&url, &[]).await.status, 404);
    assert_eq!(app.delete(&url).await.status, 404);
    let put_again = app
        .send_body(
            "PUT",
            &url,
            "application/json",
            r#"{"title":"x","artist_name":"y"}"#,
        )
        .await;
    assert_eq!(put_again.status, 404);
}

async fn users_have_unique_usernames(app: &App) {
    let r = app
        .post(
            "/api/users/",
            "application/x-www-form-urlencoded",
            "username=ada&email=ada%40example.com&password=ada-password",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let ada = r.json();
    assert_eq!(ada["username"], "ada");
    assert_eq!(ada["email"], "ada@example.com");
    assert!(ada.get("password").is_none(), "{ada}");

    let again = app
        .send(
            "POST",
            "/api/users/",
            &[
                ("content-type", "application/json"),
                ("accept", "application/yaml"),
            ],
            r#"{"username":"ada","password":"another-password"}"#,
        )
        .await;
    // A taken username is a conflict with the stored rows (409), in DRF's words.
    assert_eq!(again.status, 409);
    assert_eq!(again.text(), "username:\n- This field must be unique.\n");

    let bad = app
        .post(
            "/api/users/",
            "application/json",
            r#"{"username":"a b","email":"nope","password":"a-b-password"}"#,
        )
        .await;
    assert_eq!(bad.status, 400);
    let errors = bad.json();
    assert!(
        errors["username"][0]
            .as_str()
            .unwrap()
            .starts_with("Enter a valid username.")
    );
    assert_eq!(errors["email"], json!(["Enter a valid email address."]));

    let id = ada["id"].as_i64().unwrap();
    let cleared = app
        .send_body(
            "PATCH",
            &format!("/api/users/{id}/"),
            "application/json",
            r#"{"email":null}"#,
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    let mut cleared = cleared.json();
    let joined = cleared
        .as_object_mut()
        .and_then(|o| o.remove("date_joined"))
        .expect("date_joined");
    assert!(
        joined.as_str().is_some_and(|t| t.ends_with('Z')),
        "{joined}"
    );
    assert_eq!(
        cleared,
        json!({
            "url": format!("{}/api/users/{id}/", app.base()),
            "id": id,
            "username": "ada",
            "email": null,
            "is_staff": false,
            "is_active": true,
        })
    );
}
