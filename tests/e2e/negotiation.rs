//! Content negotiation over HTTP: Accept, suffixes, `?format=`, 404, 406, headers.

use crate::{CHROME_PAGE as CHROME, start};

#[tokio::test]
async fn no_accept_gets_json_without_charset_and_vary_accept() {
    let app = start();
    let r = app.get("/api/hello/", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("vary"), "Accept");
    assert_eq!(r.json()["format"], "json");
}

#[tokio::test]
async fn each_format_by_accept_has_its_content_type() {
    let app = start();
    for (accept, content_type) in [
        ("application/yaml", "application/yaml; charset=utf-8"),
        ("application/xml", "application/xml; charset=utf-8"),
        ("application/msgpack", "application/msgpack"),
        ("application/x-msgpack", "application/msgpack"),
        ("text/csv", "text/csv; charset=utf-8"),
    ] {
        let r = app.get("/api/hello/", &[("accept", accept)]).await;
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(r.header("content-type"), content_type, "{accept}");
    }
    // JSONP is offered on the tracks list and detail only, and only to anonymous callers.
    let r = app
        .anonymous()
        .get("/api/tracks/", &[("accept", "application/javascript")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        "application/javascript; charset=utf-8"
    );
    for caller in [app.anonymous(), app.admin()] {
        let r = caller
            .get("/api/hello/", &[("accept", "application/javascript")])
            .await;
        assert_eq!(r.status, 406, "{}", r.text());
    }
    // Never to an authenticated caller: its data must not reach a cross-site <script>. The
    // request is valid; this format is just not served to it (403).
    let r = app
        .get("/api/tracks/", &[("accept", "application/javascript")])
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("content-type"), "application/json");
}

#[tokio::test]
async fn bodies_decode_in_their_format() {
    let app = start();
    let yaml: serde_json::Value =
        serde_yaml::from_slice(&app.get("/api/hello.yaml", &[]).await.body).unwrap();
    assert_eq!(yaml["format"], "yaml");
    let msgpack: serde_json::Value =
        rmp_serde::from_slice(&app.get("/api/hello.msgpack", &[]).await.body).unwrap();
    assert_eq!(msgpack["format"], "msgpack");
    let xml = app.get("/api/hello.xml", &[]).await.text();
    assert!(
        xml.contains("<root><message>Hello from restframe</message><format>xml</format>"),
        "{xml}"
    );
    let csv = app.get("/api/hello.csv", &[]).await.text();
    assert_eq!(
        csv,
        "message,format,accepted\r\nHello from restframe,csv,text/csv\r\n"
    );
    let jsonp = app
        .anonymous()
        .get("/api/tracks/?format=jsonp&callback=app.cb", &[])
        .await
        .text();
    assert!(
        jsonp.starts_with("app.cb({") && jsonp.ends_with("});"),
        "{jsonp}"
    );
    // Not offered on other routes.
    let r = app
        .anonymous()
        .get("/api/hello/?format=jsonp&callback=app.cb", &[])
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.json()["detail"],
        "Format \"jsonp\" is not available here."
    );
}

#[tokio::test]
async fn chrome_gets_the_browsable_api_over_xml_at_q_0_9() {
    let app = start();
    let r = app.get("/api/hello/", &[("accept", CHROME)]).await;
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    // Without `text/html`, the XML it also takes.
    let r = app
        .get(
            "/api/hello/",
            &[("accept", "application/xml;q=0.9, */*;q=0.8")],
        )
        .await;
    assert_eq!(r.header("content-type"), "application/xml; charset=utf-8");
}

#[tokio::test]
async fn q_values_and_q_zero_are_honoured() {
    let app = start();
    let r = app
        .get(
            "/api/hello/",
            &[("accept", "application/json;q=0.4, text/csv;q=0.9")],
        )
        .await;
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    let r = app
        .get("/api/hello/", &[("accept", "application/json;q=0, */*")])
        .await;
    // JSON refused, anything else taken: the next renderer, the browsable API.
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
}

#[tokio::test]
async fn indent_parameter_indents_json() {
    let app = start();
    let r = app
        .get("/api/hello/", &[("accept", "application/json; indent=2")])
        .await;
    assert!(r.text().starts_with("{\n  \"message\""), "{}", r.text());
}

#[tokio::test]
async fn suffix_and_query_format_beat_a_conflicting_accept() {
    let app = start();
    let yaml = [("accept", "application/yaml")];
    let r = app.get("/api/hello.json", &yaml).await;
    assert_eq!(r.header("content-type"), "application/json");
    let r = app.get("/api/hello/?format=csv", &yaml).await;
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    // The suffix wins over ?format=.
    let r = app.get("/api/hello.xml?format=csv", &yaml).await;
    assert_eq!(r.header("content-type"), "application/xml; charset=utf-8");
    // A trailing slash after the suffix is fine.
    let r = app.get("/api/hello.json/", &[]).await;
    assert_eq!(r.header("content-type"), "application/json");
}

#[tokio::test]
async fn an_unknown_format_is_404_rendered_as_json() {
    let app = start();
    let r = app
        .get("/api/hello/?format=pdf", &[("accept", "application/yaml")])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.json()["detail"], "Format \"pdf\" is not available here.");
    // An empty one is no format the document lists either.
    let r = app.get("/api/hello/?format=", &[]).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["detail"], "Format \"\" is not available here.");
}

#[tokio::test]
async fn page_sizes_the_document_forbids_are_400_naming_the_parameter() {
    let app = start();
    for (query, message) in [
        (
            "page_size=0",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            "page_size=-1",
            "Ensure this value is greater than or equal to 1.",
        ),
        ("page_size=ten", "A valid integer is required."),
    ] {
        let r = app.get(&format!("/api/tracks/?{query}"), &[]).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"page_size": [message]}),
            "{query}"
        );
    }
    // Empty is absent; above the maximum is the maximum, as the document says.
    for query in ["page_size=", "page_size=1000"] {
        let r = app.get(&format!("/api/tracks/?{query}"), &[]).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
    }
}

#[tokio::test]
async fn nothing_acceptable_is_406_listing_the_media_types() {
    let app = start();
    let r = app
        .get("/api/hello/", &[("accept", "image/webp, application/pdf")])
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), "application/json");
    let body = r.json();
    assert_eq!(body["available"][0], "application/json");
    // Every renderer but JSONP, which only the tracks routes offer.
    assert_eq!(body["available"].as_array().unwrap().len(), 6, "{body}");
    assert!(
        !body["available"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "application/javascript"),
        "{body}"
    );
}

#[tokio::test]
async fn errors_are_rendered_in_the_negotiated_format() {
    let app = start();
    let r = app.get("/nowhere.yaml", &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    assert_eq!(r.text(), "detail: No route for /nowhere.yaml.\n");
}

#[tokio::test]
async fn a_malformed_jsonp_callback_is_refused_with_400() {
    let app = start();
    let r = app
        .anonymous()
        .get("/api/tracks/?format=jsonp&callback=alert(1)//", &[])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), "application/json");
    assert!(r.json()["detail"].as_str().unwrap().contains("callback"));
}

#[tokio::test]
async fn data_the_format_cannot_hold_is_406_in_json_not_a_500() {
    let app = start();
    let r = app
        .send(
            "POST",
            "/api/echo/",
            &[
                ("content-type", "application/json"),
                ("accept", "application/xml"),
            ],
            r#"{"1st": 1}"#,
        )
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), "application/json");
    assert!(
        r.json()["detail"].as_str().unwrap().contains("\"1st\""),
        "{}",
        r.text()
    );
    assert_eq!(app.get("/api/hello/", &[]).await.status, 200);
}

#[tokio::test]
async fn the_router_serves_without_trailing_slash_and_answers_405_options_and_head() {
    let app = start();
    let with = app.get("/api/hello/", &[]).await;
    let without = app.get("/api/hello", &[]).await;
    assert_eq!((without.status, without.text()), (200, with.text()));

    let r = app
        .send(
            "DELETE",
            "/api/hello/",
            &[("accept", "application/yaml")],
            "",
        )
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), "GET, HEAD, OPTIONS");
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");

    let r = app.send("OPTIONS", "/api/echo/", &[], "").await;
    assert_eq!(r.status, 200);
    let meta = r.json();
    assert_eq!(meta["name"], "Echo");
    assert_eq!(
        meta["renders"].as_array().unwrap().len(),
        6,
        "no JSONP: {meta}"
    );
    assert_eq!(meta["parses"][0], "application/json");

    let r = app.send("HEAD", "/api/hello/", &[], "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), with.body.len().to_string());
}

#[tokio::test]
async fn the_api_root_lists_the_endpoints_by_absolute_url() {
    let app = start();
    let r = app.get("/api/", &[]).await;
    assert_eq!(r.status, 200);
    let root = r.json();
    assert_eq!(root["hello"], format!("{}/api/hello/", app.base()));
    assert_eq!(root["echo"], format!("{}/api/echo/", app.base()));
}
