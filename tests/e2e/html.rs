//! HTML: the browsable API for browsers on every data route, JSON for everyone else, the two
//! templated pages that also answer JSON, HTML error views, and escaping of what users wrote.

use restframe_tests::App;

use crate::{CHROME_PAGE as BROWSER, start};

const XSS: &str = "<script>alert(1)</script>";
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

async fn track(app: &App, title: &str) -> i64 {
    let track = crate::crud::create_track(app, title, "Miles Davis", None).await;
    track["id"].as_i64().unwrap()
}

/// The raw `<script>` never reaches an HTML page; its escaped form does.
fn assert_escaped(page: &str, what: &str) {
    assert!(
        !page.contains(XSS),
        "{what}: the title is raw HTML:\n{page}"
    );
    assert!(
        page.contains(ESCAPED),
        "{what}: the title is missing:\n{page}"
    );
}

#[tokio::test]
async fn a_browser_gets_the_browsable_api_and_curl_gets_json() {
    let app = start();
    let id = track(&app, XSS).await;
    for path in [
        "/api/",
        "/api/tracks/",
        &format!("/api/tracks/{id}/"),
        "/api/schema/",
    ] {
        let page = app.get(path, &[("accept", BROWSER)]).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert_eq!(
            page.header("content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert!(
            page.text().contains("id=\"view-name\""),
            "{path}: {}",
            page.text()
        );
        assert!(page.header("vary").contains("Accept"), "{path}");
        // curl sends `Accept: */*` or none at all: JSON, the first renderer.
        for accept in [None, Some("*/*")] {
            let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
            let data = app.get(path, &headers).await;
            assert_eq!(
                data.header("content-type"),
                "application/json",
                "{path} {accept:?}"
            );
        }
    }
    // `?format=api` and the `.api` suffix ask for it by name.
    let page = app.get("/api/tracks/?format=api", &[]).await;
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let page = app.get(&format!("/api/tracks/{id}.api"), &[]).await;
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    // File and picture routes keep only their bytes and JSON.
    let missing = app.get("/static/missing.png", &[("accept", BROWSER)]).await;
    assert_eq!(missing.header("content-type"), "image/png");
}

#[tokio::test]
async fn the_browsable_api_shows_the_exchange_and_escapes_user_text() {
    let app = start();
    let id = track(&app, XSS).await;
    let list = app.get("/api/tracks/", &[("accept", BROWSER)]).await.text();
    assert_escaped(&list, "list");
    assert!(list.contains("HTTP 200 OK"), "{list}");
    assert!(list.contains("data-format=\"yaml\""), "{list}");
    assert!(list.contains("href=\"/api/tracks/?format=yaml\""), "{list}");
    assert!(list.contains("id=\"raw-form-POST\""), "{list}");
    assert!(
        list.contains("Allowed methods: GET, POST, HEAD, OPTIONS"),
        "{list}"
    );
    let detail = app
        .get(&format!("/api/tracks/{id}/"), &[("accept", BROWSER)])
        .await
        .text();
    assert_escaped(&detail, "detail");
    for form in ["raw-form-PUT", "raw-form-PATCH", "delete-button"] {
        assert!(
            detail.contains(&format!("id=\"{form}\"")),
            "{form}: {detail}"
        );
    }
    // The upload action offers a file input (its GET is a 405, shown as a page).
    let upload = app
        .get(
            &format!("/api/tracks/{id}/upload/take.mp3/"),
            &[("accept", BROWSER)],
        )
        .await;
    assert_eq!(upload.status, 405);
    let upload = upload.text();
    assert!(upload.contains("id=\"file-form-POST\""), "{upload}");
    assert!(upload.contains("type=\"file\""), "{upload}");
    // An error is a page too, with its status.
    let missing = app.get("/api/tracks/999999/", &[("accept", BROWSER)]).await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("HTTP 404 Not Found"),
        "{}",
        missing.text()
    );
    // A page of the unknown path: the router's 404 in the browsable API.
    let nowhere = app.get("/api/nowhere/", &[("accept", BROWSER)]).await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.header("content-type"), "text/html; charset=utf-8");
}

#[tokio::test]
async fn templated_pages_answer_html_and_json_from_one_view() {
    let app = start();
    let id = track(&app, XSS).await;
    let page = app.get("/tracks/", &[("accept", BROWSER)]).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let html = page.text();
    assert_escaped(&html, "/tracks/");
    assert!(html.contains(&format!("<tr data-id=\"{id}\">")), "{html}");
    assert!(html.contains("Miles Davis"), "{html}");
    // A track with a file links to it.
    let mp3 = crate::uploads::mp3(4096);
    let r = app
        .post(
            &format!("/api/tracks/{id}/upload/so_what.mp3/"),
            "audio/mpeg",
            mp3,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = app.get("/tracks/", &[("accept", BROWSER)]).await.text();
    assert!(
        html.contains(&format!("/api/tracks/{id}/file/\">Download</a>")),
        "{html}"
    );
    // The same view answers JSON.
    for (path, headers) in [
        ("/tracks/", vec![("accept", "application/json")]),
        ("/tracks.json", vec![]),
        ("/tracks/?format=json", vec![]),
    ] {
        let data = app.get(path, &headers).await;
        assert_eq!(data.header("content-type"), "application/json", "{path}");
        let v = data.json();
        assert_eq!(v["count"], 1, "{path}");
        assert_eq!(v["tracks"][0]["title"], XSS, "{path}");
    }
    // An error of the page's view renders the `404.html` template.
    let err = app
        .get("/tracks/?format=nope", &[("accept", BROWSER)])
        .await;
    assert_eq!(err.status, 404);
    assert!(err.text().contains("404: nothing here"), "{}", err.text());
    assert!(
        err.text()
            .contains("Format &quot;nope&quot; is not available here."),
        "{}",
        err.text()
    );
}

#[tokio::test]
async fn the_users_page_embeds_pictures_as_data_uris() {
    let app = start();
    let ids = [
        crate::pictures::user(&app, "ada").await,
        crate::pictures::user(&app, "grace").await,
    ];
    let png = crate::pictures::PNG;
    let r = app
        .send_body(
            "PUT",
            &format!("/api/users/{}/picture/", ids[0]),
            "image/png",
            png.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let html = app.get("/users/", &[("accept", BROWSER)]).await.text();
    assert!(
        html.contains(&format!("src=\"data:image/png;base64,{encoded}\"")),
        "{html}"
    );
    // The user without a picture gets the placeholder.
    assert!(html.contains("src=\"/static/missing.png\""), "{html}");
    let data = app.get("/users.json", &[]).await.json();
    // By name: the harness's superuser is listed too. A page is DRF's envelope.
    assert_eq!(data["count"], 3, "{data}");
    let row = |name: &str| {
        data["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap_or_else(|| panic!("{name} not on the page: {data}"))
            .clone()
    };
    assert_eq!(row("ada")["picture"]["mime_type"], "image/png");
    assert_eq!(row("ada")["picture"]["data"], encoded);
    assert_eq!(row("grace")["picture"], serde_json::Value::Null);
}

#[tokio::test]
async fn debug_mode_adds_detail_to_html_error_pages() {
    // A 405 on `/users/` has no template of its own (`405.html`): `api_exception.html`, with
    // the error body only in debug.
    let quiet = start();
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &["--debug"]);
    for (app, debug) in [(&quiet, false), (&app, true)] {
        let r = app
            .send("POST", "/users/", &[("accept", BROWSER)], "")
            .await;
        assert_eq!(r.status, 405, "{}", r.text());
        let html = r.text();
        assert!(html.contains("id=\"error-status\">405"), "{html}");
        assert_eq!(
            html.contains("id=\"error-debug\""),
            debug,
            "debug {debug}: {html}"
        );
    }
}
