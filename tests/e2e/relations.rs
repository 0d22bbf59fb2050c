//! A track's `url`, its owner as a key, a username and a hyperlink, its duration (a decimal)
//! and its timestamps; a user's `url` and `date_joined`; on SQLite and PostgreSQL.

use restframe_tests::App;
use serde_json::{Value, json};

use crate::on_every_backend;

on_every_backend!(
    a_track_links_itself_and_its_owner,
    a_list_shows_every_owner,
    a_list_shows_each_track_as_its_detail_does,
    durations_round_trip_as_decimal_strings_and_bad_ones_are_400,
    timestamps_are_set_by_the_server,
);

fn datetime(v: &Value) -> restframe::DateTime {
    let text = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert!(text.ends_with('Z'), "RFC 3339 in UTC: {text}");
    text.parse()
        .unwrap_or_else(|e| panic!("not RFC 3339: {text}: {e}"))
}

async fn a_track_links_itself_and_its_owner(app: &App) {
    let (ada_id, ada_token) = app.create_user("ada", "ada-password").await;
    let ada = app.as_token(&ada_token);
    let r = ada
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title":"Blue in Green","artist_name":"Bill Evans"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_i64().expect("id");
    let base = app.base();
    assert_eq!(created["url"], format!("{base}/api/tracks/{id}/"));
    assert_eq!(created["owner"], ada_id);
    assert_eq!(created["owner_username"], "ada");
    assert_eq!(created["owner_url"], format!("{base}/api/users/{ada_id}/"));

    // Anonymous readers see the same links; each leads where it says.
    let r = app
        .anonymous()
        .get(&format!("/api/tracks/{id}/"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let track = r.json();
    assert_eq!(track["url"], created["url"]);
    assert_eq!(track["owner_url"], created["owner_url"]);
    let me = app
        .send_to_url("GET", track["url"].as_str().expect("url"), "")
        .await;
    assert_eq!(me.json()["title"], "Blue in Green");
    let owner = ada
        .get(
            &format!("/api/users/{ada_id}/"),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    assert_eq!(owner.json()["username"], "ada");
    assert_eq!(owner.json()["url"], created["owner_url"]);
    datetime(&owner.json()["date_joined"]);

    // Under a format suffix the links stay the routes' own.
    let r = app
        .anonymous()
        .get(&format!("/api/tracks/{id}.json"), &[])
        .await;
    assert_eq!(r.json()["url"], created["url"], "{}", r.text());

    // The owner's username follows a change of username.
    let r = ada
        .send(
            "PATCH",
            &format!("/api/users/{ada_id}/"),
            &[("content-type", "application/json")],
            r#"{"username":"ada_lovelace"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .anonymous()
        .get(&format!("/api/tracks/{id}/"), &[])
        .await;
    assert_eq!(r.json()["owner_username"], "ada_lovelace");
}

async fn a_list_shows_every_owner(app: &App) {
    let mut owners = Vec::new();
    for name in ["bea", "cy", "dee"] {
        let (id, token) = app.create_user(name, &format!("{name}-password")).await;
        for n in 0..3 {
            let body = json!({"title": format!("{name} {n}"), "artist_name": name});
            let r = app
                .as_token(&token)
                .post("/api/tracks/", "application/json", body.to_string())
                .await;
            assert_eq!(r.status, 201, "{}", r.text());
        }
        owners.push((id, name));
    }
    let r = app
        .anonymous()
        .get("/api/tracks/?page_size=100&ordering=id", &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.json();
    let rows = page["results"].as_array().expect("results");
    assert_eq!(rows.len(), 9, "{page}");
    for row in rows {
        let (id, name) = owners
            .iter()
            .find(|(id, _)| row["owner"] == *id)
            .unwrap_or_else(|| panic!("an unknown owner: {row}"));
        assert_eq!(row["owner_username"], *name, "{row}");
        assert_eq!(
            row["owner_url"],
            format!("{}/api/users/{id}/", app.base()),
            "{row}"
        );
        assert_eq!(
            row["url"],
            format!("{}/api/tracks/{}/", app.base(), row["id"]),
            "{row}"
        );
    }
}

/// A list page (on SQLite read straight from its rows, `tracks::show_rows`) against each
/// track's detail (read into a model, `tracks::show`): the same object, field for field, for
/// tracks with and without a duration, a release date, an uploaded file (an absolute URL) and
/// an owner (one whose user was deleted).
async fn a_list_shows_each_track_as_its_detail_does(app: &App) {
    let (_, ada) = app.create_user("ada_rows", "ada-password").await;
    let (gone_id, gone) = app.create_user("gone_rows", "gone-password").await;
    let bodies = [
        (
            &ada,
            json!({"title": "Blue \"in\" Green ✓", "artist_name": "Bill Evans",
            "duration": "545.20", "release_date": "1959-08-17"}),
        ),
        (
            &ada,
            json!({"title": "So What", "artist_name": "Miles Davis"}),
        ),
        (
            &gone,
            json!({"title": "Orphan", "artist_name": "Nobody", "duration": "1"}),
        ),
    ];
    let mut ids = Vec::new();
    for (token, body) in bodies {
        let r = app
            .as_token(token)
            .post("/api/tracks/", "application/json", body.to_string())
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_i64().expect("id"));
    }
    let r = app
        .as_token(&ada)
        .send(
            "POST",
            &format!("/api/tracks/{}/upload/take.mp3/", ids[0]),
            &[("content-type", "audio/mpeg")],
            crate::uploads::mp3(2048),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .as_token(&gone)
        .send("DELETE", &format!("/api/users/{gone_id}/"), &[], "")
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = app
        .anonymous()
        .get(
            &format!(
                "/api/tracks/?id__in={},{},{}&ordering=id",
                ids[0], ids[1], ids[2]
            ),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.json();
    let rows = page["results"].as_array().expect("results");
    assert_eq!(rows.len(), 3, "{page}");
    for (row, id) in rows.iter().zip(&ids) {
        let detail = app
            .anonymous()
            .get(
                &format!("/api/tracks/{id}/"),
                &[("accept", "application/json")],
            )
            .await;
        assert_eq!(detail.status, 200, "{}", detail.text());
        assert_eq!(*row, detail.json());
    }
    assert_eq!(
        rows[0]["file"],
        format!("{}/api/tracks/{}/file/", app.base(), ids[0])
    );
    assert_eq!(rows[0]["duration"], "545.20");
    assert_eq!(rows[2]["owner"], Value::Null, "the owner was deleted");
    assert_eq!(rows[2]["owner_username"], Value::Null);
}

async fn durations_round_trip_as_decimal_strings_and_bad_ones_are_400(app: &App) {
    let r = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title":"So What","artist_name":"Miles Davis","duration":"545.20"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(r.json()["duration"], "545.20");
    // A number is refused, as the schema (a string) says: a float may already have lost
    // digits. (DRF's DecimalField takes one.)
    let path = format!("/api/tracks/{id}/");
    for (content_type, body) in [
        ("application/json", r#"{"duration": 61.5}"#),
        ("application/yaml", "duration: 61.5"),
    ] {
        let r = app
            .send("PATCH", &path, &[("content-type", content_type)], body)
            .await;
        assert_eq!(r.status, 400, "{content_type}: {}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"duration": ["A decimal is written as a string, such as \"545.20\"."]}),
            "{content_type}"
        );
    }
    let r = app.get(&path, &[("accept", "application/json")]).await;
    assert_eq!(r.json()["duration"], "545.20");
    // YAML carries it too.
    let r = app
        .send(
            "PATCH",
            &path,
            &[("content-type", "application/yaml")],
            "duration: '7.250'",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["duration"], "7.250");

    for (body, message) in [
        (r#"{"duration":"abc"}"#, "A valid number is required."),
        (
            r#"{"duration":"1.2345"}"#,
            "Ensure that there are no more than 3 decimal places.",
        ),
        (
            r#"{"duration":"1234567.5"}"#,
            "Ensure that there are no more than 6 digits before the decimal point.",
        ),
        (
            r#"{"duration":"-1"}"#,
            "Ensure this value is greater than or equal to 0.",
        ),
    ] {
        let r = app
            .send(
                "PATCH",
                &path,
                &[("content-type", "application/json")],
                body,
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json(), json!({"duration": [message]}), "{body}");
    }
    // Null clears it.
    let r = app
        .send(
            "PATCH",
            &path,
            &[("content-type", "application/json")],
            r#"{"duration":null}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["duration"], Value::Null);
}

async fn timestamps_are_set_by_the_server(app: &App) {
    let before = restframe::DateTime::now();
    let r = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title":"Naima","artist_name":"John Coltrane",
                "created_at":"2001-01-01T00:00:00Z","updated_at":"2001-01-01T00:00:00Z"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_i64().expect("id");
    let created_at = datetime(&created["created_at"]);
    let updated_at = datetime(&created["updated_at"]);
    // Read-only: what the client sent is ignored. The database's clock is a little coarser
    // than ours (milliseconds on SQLite), so allow it that.
    let slack = restframe::DateTime::from_unix(before.unix_timestamp() - 1).expect("a time");
    assert!(created_at >= slack, "{created_at} < {before}");
    assert!(updated_at >= created_at, "{updated_at} < {created_at}");

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = app
        .send(
            "PUT",
            &format!("/api/tracks/{id}/"),
            &[("content-type", "application/json")],
            r#"{"title":"Naima (live)","artist_name":"John Coltrane"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let put = r.json();
    assert_eq!(put["created_at"], created["created_at"], "created_at stays");
    assert!(
        datetime(&put["updated_at"]) > updated_at,
        "updated_at moves: {put}"
    );
}
