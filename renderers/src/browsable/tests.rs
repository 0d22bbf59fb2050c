#![allow(clippy::unwrap_used)]

use super::*;
use crate::{JsonRenderer, MethodForm, RouteInfo};
use serde_json::json;

fn render(r: &BrowsableApiRenderer, data: &dyn Data, ctx: &RenderContext<'_>) -> String {
    let mut out = Vec::new();
    r.render(data, ctx, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A renderer of format `yaml` that writes `yaml!`, to see which renderer rendered the content.
struct Marker(Mime, &'static str);

impl Renderer for Marker {
    fn media_type(&self) -> &Mime {
        &self.0
    }
    fn format(&self) -> &str {
        self.1
    }
    fn render(
        &self,
        _: &dyn Data,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        out.extend_from_slice(format!("{}! {}", self.1, ctx.params().as_str()).as_bytes());
        Ok(())
    }
}

fn marker(media_type: &str, format: &'static str) -> Arc<dyn Renderer> {
    Arc::new(Marker(media_type.parse().unwrap(), format))
}

/// The view's renderers: the browsable one first, then JSON and a YAML stand-in.
fn renderers(api: &Arc<BrowsableApiRenderer>) -> Vec<Arc<dyn Renderer>> {
    vec![
        api.clone() as Arc<dyn Renderer>,
        Arc::new(JsonRenderer::new()),
        marker("application/yaml", "yaml"),
    ]
}

#[test]
fn shows_the_view_the_exchange_and_the_content_as_indented_json() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers = renderers(&api);
    let headers = vec![("Location".to_owned(), "/tracks/1/".to_owned())];
    let route = RouteInfo {
        allow: vec!["GET".into(), "POST".into(), "HEAD".into(), "OPTIONS".into()],
        forms: vec![],
    };
    let page = PageInfo {
        description: "All the tracks.",
        headers: &headers,
        renderers: &renderers,
        route: Some(&route),
        ..PageInfo::new("GET", "/tracks/?page=2")
    };
    let ctx = RenderContext::default()
        .with_view_name("Track List")
        .with_status(201)
        .with_page(&page);
    let out = render(&api, &json!({"id": 1, "title": "Blue"}), &ctx);
    assert!(
        out.contains(r#"<h1 id="view-name">Track List</h1>"#),
        "{out}"
    );
    assert!(out.contains("All the tracks."), "{out}");
    assert!(
        out.contains(
            r#"<span class="method">GET</span> <span class="path">/tracks/?page=2</span>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"<div class="status">HTTP 201 Created</div>"#),
        "{out}"
    );
    for header in [
        "<b>Location:</b> /tracks/1/",
        "<b>Allow:</b> GET, POST, HEAD, OPTIONS",
        "<b>Content-Type:</b> application/json",
        "<b>Vary:</b> Accept",
    ] {
        assert!(out.contains(header), "{header} in {out}");
    }
    assert!(
        out.contains(
            "<pre id=\"response-content\">{\n    &quot;id&quot;: 1,\n    &quot;title&quot;: &quot;Blue&quot;\n}</pre>"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            r#"<div id="allowed-methods">Allowed methods: GET, POST, HEAD, OPTIONS</div>"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"<a id="get-link" href="/tracks/?page=2" rel="nofollow">GET</a>"#),
        "{out}"
    );
    assert!(!out.contains("<script"), "no forms, no script: {out}");
}

#[test]
fn the_content_renderer_is_the_first_non_html_data_renderer_asked_for_indent_4() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers: Vec<Arc<dyn Renderer>> = vec![
        marker("text/html", "html"),
        api.clone(),
        marker("application/yaml", "yaml"),
        Arc::new(JsonRenderer::new()),
    ];
    let page = PageInfo {
        renderers: &renderers,
        ..PageInfo::default()
    };
    let ctx = RenderContext::default().with_page(&page);
    let out = render(&api, &json!([1]), &ctx);
    assert!(
        out.contains(r#"<pre id="response-content">yaml! indent=4</pre>"#),
        "{out}"
    );
    assert!(
        out.contains("<b>Content-Type:</b> application/yaml; charset=utf-8"),
        "{out}"
    );

    let custom = BrowsableApiRenderer::new().content_renderer(marker("text/x-custom", "custom"));
    let out = render(&custom, &json!([1]), &ctx);
    assert!(out.contains("custom! indent=4</pre>"), "{out}");
}

#[test]
fn a_failing_content_renderer_falls_back_to_json() {
    struct Fails(Mime);
    impl Renderer for Fails {
        fn media_type(&self) -> &Mime {
            &self.0
        }
        fn format(&self) -> &str {
            "xml"
        }
        fn render(
            &self,
            _: &dyn Data,
            _: &RenderContext<'_>,
            _: &mut Vec<u8>,
        ) -> Result<(), RenderError> {
            Err(RenderError::unrepresentable("no"))
        }
    }
    let api = BrowsableApiRenderer::new().content_renderer(Arc::new(Fails(mime::TEXT_XML)));
    let out = render(&api, &json!({"a": "é"}), &RenderContext::default());
    assert!(
        out.contains("{\n    &quot;a&quot;: &quot;é&quot;\n}</pre>"),
        "{out}"
    );
}

#[test]
fn data_is_escaped_never_markup() {
    let api = BrowsableApiRenderer::new();
    let page = PageInfo {
        description: "<b>desc</b>",
        ..PageInfo::new("GET", "/t/?q=<script>")
    };
    let ctx = RenderContext::default()
        .with_view_name("<i>View</i>")
        .with_page(&page);
    let out = render(&api, &json!({"title": "<script>alert(1)</script>"}), &ctx);
    assert!(
        out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{out}"
    );
    assert!(!out.contains("<script>alert"), "{out}");
    assert!(out.contains("&lt;i&gt;View&lt;/i&gt;"), "{out}");
    assert!(out.contains("&lt;b&gt;desc&lt;/b&gt;"), "{out}");
    assert!(!out.contains("q=<script>"), "{out}");
}

#[test]
fn urls_in_the_content_are_links_that_cannot_leave_their_attribute() {
    let data = json!({
        "url": "https://example.com/tracks/1/?a=1&b=2",
        "evil": "http://x/\"onmouseover=\"alert(1)",
        "text": "see javascript:alert(1)"
    });
    let out = linkify(&pretty_json(&data).unwrap());
    assert!(
        out.contains(
            "&quot;<a href=\"https://example.com/tracks/1/?a=1&amp;b=2\" rel=\"nofollow\">\
             https://example.com/tracks/1/?a=1&amp;b=2</a>&quot;"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "&quot;<a href=\"http://x/\" rel=\"nofollow\">http://x/</a>\\&quot;onmouseover"
        ),
        "{out}"
    );
    assert!(out.contains("see javascript:alert(1)"), "{out}");
    assert_eq!(
        linkify("a <b> http://h/x y"),
        "a &lt;b&gt; <a href=\"http://h/x\" rel=\"nofollow\">http://h/x</a> y"
    );
}

#[test]
fn format_links_keep_other_query_parameters_and_replace_format() {
    assert_eq!(
        format_url("/tracks/", "api", "json"),
        "/tracks/?format=json"
    );
    assert_eq!(
        format_url("/tracks/?page=2&format=api&search=a%20b", "api", "yaml"),
        "/tracks/?page=2&search=a%20b&format=yaml"
    );
    assert_eq!(
        format_url("/tracks/4.api?x=1", "api", "json"),
        "/tracks/4?x=1&format=json"
    );
    assert_eq!(
        format_url("/tracks/.api", "api", "json"),
        "/tracks/.api?format=json"
    );
    assert_eq!(
        format_url("/tracks/4.api/?x=1", "api", "json"),
        "/tracks/4/?x=1&format=json"
    );

    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers = renderers(&api);
    let page = PageInfo {
        renderers: &renderers,
        ..PageInfo::new("GET", "/tracks/?page=2&format=api")
    };
    let out = render(&api, &json!([]), &RenderContext::default().with_page(&page));
    assert!(out.contains(r#"<nav id="format-links""#), "{out}");
    assert!(
        out.contains(r#"<a href="/tracks/?page=2&amp;format=json" rel="alternate" data-format="json">json</a>"#),
        "{out}"
    );
    assert!(out.contains(r#"data-format="yaml">yaml</a>"#), "{out}");
    assert!(!out.contains(r#"data-format="api""#), "{out}");
}

#[test]
fn pagination_links_come_from_next_and_previous_urls_only() {
    let api = BrowsableApiRenderer::new();
    let ctx = RenderContext::default();
    let out = render(
        &api,
        &json!({"next": "http://h/t/?page=3", "previous": "/t/?page=1", "results": []}),
        &ctx,
    );
    assert!(out.contains(r#"<nav id="pagination""#), "{out}");
    assert!(
        out.contains(r#"<a href="/t/?page=1" rel="prev">Previous</a>"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<a href="http://h/t/?page=3" rel="next">Next</a>"#),
        "{out}"
    );

    let out = render(
        &api,
        &json!({"next": "javascript:alert(1)", "previous": null}),
        &ctx,
    );
    assert!(!out.contains(r#"id="pagination""#), "{out}");
    let out = render(&api, &json!([{"next": "/x/"}]), &ctx);
    assert!(!out.contains(r#"id="pagination""#), "{out}");
    // Protocol-relative links lead to another site.
    for other_site in ["//evil.example/t/", "/\\evil.example/t/"] {
        let out = render(&api, &json!({"next": other_site}), &ctx);
        assert!(!out.contains(r#"id="pagination""#), "{other_site}: {out}");
    }
}

#[test]
fn raw_forms_offer_only_textual_types_and_bodiless_methods_get_a_button() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers: Vec<Arc<dyn Renderer>> = vec![api.clone()];
    let route = RouteInfo {
        allow: vec!["PUT".into(), "POST".into()],
        forms: vec![
            MethodForm::new(
                "PUT",
                ["application/json", "multipart/form-data", "image/*"],
            )
            .with_file_field("file"),
            MethodForm::new("POST", [] as [&str; 0]),
        ],
    };
    let page = PageInfo {
        renderers: &renderers,
        route: Some(&route),
        ..PageInfo::new("GET", "/users/1/picture/")
    };
    let out = render(&api, &json!({}), &RenderContext::default().with_page(&page));
    assert!(
        out.contains(r#"<option value="application/json">"#),
        "{out}"
    );
    assert!(!out.contains(r#"<option value="image/*">"#), "{out}");
    assert!(out.contains(r#"id="file-form-PUT""#), "{out}");
    assert!(out.contains(r#"id="empty-form-POST""#), "{out}");
    assert!(!out.contains(r#"id="raw-form-POST""#), "{out}");
    // One renderer: no choice, no `Vary` (the framework sends none either).
    assert!(!out.contains("<b>Vary:</b>"), "{out}");
}

#[test]
fn forms_for_each_method_with_content_types_files_and_delete() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers = renderers(&api);
    let parsers = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "*/*",
    ];
    let route = RouteInfo {
        allow: vec![
            "GET".into(),
            "PUT".into(),
            "PATCH".into(),
            "DELETE".into(),
            "POST".into(),
        ],
        forms: vec![
            MethodForm::new("POST", parsers).with_file_field("file"),
            MethodForm::new("PUT", parsers),
            MethodForm::new("PATCH", ["application/json"]),
            MethodForm::new("DELETE", [] as [&str; 0]),
        ],
    };
    let page = PageInfo {
        renderers: &renderers,
        route: Some(&route),
        ..PageInfo::new("GET", "/tracks/4/?x=1")
    };
    let ctx = RenderContext::default().with_page(&page);
    let out = render(&api, &json!({"id": 4, "title": "<Blue>"}), &ctx);

    assert!(
        out.contains(r#"<form id="raw-form-POST" class="raw-form" data-method="POST" data-url="/tracks/4/?x=1">"#),
        "{out}"
    );
    assert!(out.contains(r#"<select name="_content_type">"#), "{out}");
    assert!(
        out.contains(r#"<option value="application/json">application/json</option>"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<option value="application/x-www-form-urlencoded">"#),
        "{out}"
    );
    assert!(
        !out.contains(r#"<option value="multipart/form-data">"#),
        "{out}"
    );
    assert!(!out.contains(r#"<option value="*/*">"#), "{out}");
    assert!(
        out.contains(r#"<button type="submit">POST</button>"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<form id="file-form-POST" class="file-form" data-method="POST""#),
        "{out}"
    );
    assert!(
        out.contains(r#"<input type="file" name="file" required>"#),
        "{out}"
    );
    assert!(!out.contains(r#"id="file-form-PUT""#), "{out}");

    // POST starts empty; PUT and PATCH start from the current object.
    let textareas: Vec<&str> = out
        .split(r#"<textarea name="_content" spellcheck="false">"#)
        .skip(1)
        .map(|rest| rest.split("</textarea>").next().unwrap())
        .collect();
    let current = "{\n    &quot;id&quot;: 4,\n    &quot;title&quot;: &quot;&lt;Blue&gt;&quot;\n}";
    assert_eq!(textareas, ["", current, current]);

    assert!(
        out.contains(r#"data-method="DELETE" data-url="/tracks/4/?x=1" data-parent="/tracks/">"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<button id="delete-button" class="danger" type="submit">DELETE</button>"#),
        "{out}"
    );
    assert!(out.contains("fetch(url, init)"), "{out}");
}

#[test]
fn errors_get_the_same_page_without_prefilled_forms() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers = renderers(&api);
    let route = RouteInfo {
        allow: vec!["GET".into(), "PUT".into()],
        forms: vec![MethodForm::new("PUT", ["application/json"])],
    };
    let page = PageInfo {
        renderers: &renderers,
        route: Some(&route),
        ..PageInfo::new("GET", "/tracks/9/")
    };
    let ctx = RenderContext::default()
        .with_status(404)
        .with_view_name("Track Instance")
        .with_page(&page);
    let out = render(&api, &json!({"detail": "No track with id 9."}), &ctx);
    assert!(
        out.contains(r#"<div class="status">HTTP 404 Not Found</div>"#),
        "{out}"
    );
    assert!(
        out.contains("&quot;detail&quot;: &quot;No track with id 9.&quot;"),
        "{out}"
    );
    assert!(
        out.contains(r#"<textarea name="_content" spellcheck="false"></textarea>"#),
        "{out}"
    );
}

#[test]
fn without_a_page_it_shows_the_content_only() {
    let api = BrowsableApiRenderer::new();
    let out = render(&api, &json!({"a": 1}), &RenderContext::default());
    assert!(out.starts_with("<!DOCTYPE html>"), "{out}");
    assert!(out.contains(r#"<pre id="response-content">"#), "{out}");
    assert!(
        out.contains("<b>Content-Type:</b> application/json"),
        "{out}"
    );
    for absent in [
        "format-links",
        "allowed-methods",
        "raw-form",
        "delete-button",
        "get-link",
        "Vary",
    ] {
        assert!(!out.contains(absent), "{absent} in {out}");
    }
}

#[test]
fn parent_urls_drop_the_last_segment() {
    assert_eq!(parent_url("/tracks/4/"), "/tracks/");
    assert_eq!(parent_url("/tracks/4?x=1"), "/tracks/");
    assert_eq!(parent_url("/tracks/"), "/");
    assert_eq!(parent_url("/"), "/");
}

#[test]
fn is_utf8_html_of_format_api_that_renders_data_and_wants_a_page() {
    let r = BrowsableApiRenderer::new();
    assert_eq!(r.media_type().essence_str(), "text/html");
    assert_eq!(r.format(), "api");
    assert_eq!(r.charset(), Some("utf-8"));
    assert!(r.renders_data());
    assert!(r.wants_page());
}

#[test]
fn denied_methods_get_no_form_and_the_user_is_shown() {
    let api = Arc::new(BrowsableApiRenderer::new());
    let renderers = renderers(&api);
    let route = RouteInfo {
        allow: vec!["GET".into(), "PUT".into(), "PATCH".into(), "DELETE".into()],
        forms: vec![
            MethodForm::new("PUT", ["application/json"]),
            MethodForm::new("PATCH", ["application/json"]),
            MethodForm::new("DELETE", Vec::<String>::new()),
        ],
    };
    let denied = vec!["PUT".to_owned(), "delete".to_owned()];
    let page = PageInfo {
        renderers: &renderers,
        route: Some(&route),
        user: Some(PageUser::User("<alice>")),
        denied_methods: &denied,
        ..PageInfo::new("GET", "/tracks/1/")
    };
    let ctx = RenderContext::default().with_page(&page);
    let html = render(&api, &json!({"id": 1}), &ctx);
    assert!(!html.contains(r#"id="raw-form-PUT""#), "{html}");
    assert!(html.contains(r#"id="raw-form-PATCH""#), "{html}");
    assert!(!html.contains(r#"id="delete-button""#), "{html}");
    assert!(html.contains("logged in as <b>&lt;alice&gt;</b>"), "{html}");

    let anonymous = PageInfo {
        user: Some(PageUser::Anonymous),
        ..page
    };
    let html = render(
        &api,
        &json!({"id": 1}),
        &RenderContext::default().with_page(&anonymous),
    );
    assert!(html.contains("not logged in (anonymous)"), "{html}");

    // A view without authenticators says nothing of users, and shows every form.
    let open = PageInfo {
        user: None,
        denied_methods: &[],
        ..page
    };
    let html = render(
        &api,
        &json!({"id": 1}),
        &RenderContext::default().with_page(&open),
    );
    assert!(!html.contains(r#"id="current-user""#), "{html}");
    assert!(html.contains(r#"id="raw-form-PUT""#) && html.contains(r#"id="delete-button""#));
}

/// A page of `GET path` for `user`, by a renderer with login and logout URLs.
fn auth_page(api: &BrowsableApiRenderer, path: &str, user: Option<PageUser<'_>>) -> String {
    let page = PageInfo {
        user,
        ..PageInfo::new("GET", path)
    };
    render(
        api,
        &json!({"id": 1}),
        &RenderContext::default().with_page(&page),
    )
}

fn auth_api() -> BrowsableApiRenderer {
    BrowsableApiRenderer::new()
        .login_url("/api/auth/login/")
        .logout_url("/api/auth/logout/")
}

#[test]
fn an_anonymous_user_gets_a_login_link_back_to_the_page() {
    let html = auth_page(
        &auth_api(),
        "/api/tracks/?page=2&q=a b+c",
        Some(PageUser::Anonymous),
    );
    assert!(
        html.contains(
            r#"<a id="login-link" href="/api/auth/login/?next=/api/tracks/%3Fpage%3D2%26q%3Da%20b%2Bc">Log in</a>"#
        ),
        "{html}"
    );
    assert!(html.contains("not logged in (anonymous)"), "{html}");
    assert!(!html.contains(r#"id="logout-form""#), "{html}");
    // A link needs no script.
    assert!(!html.contains("<script"), "{html}");

    // A login URL with a query of its own gets `&next=`; non-ASCII is encoded as UTF-8.
    let api = BrowsableApiRenderer::new().login_url("/login/?x=1");
    let html = auth_page(&api, "/café/", Some(PageUser::Anonymous));
    assert!(
        html.contains(r#"href="/login/?x=1&amp;next=/caf%C3%A9/">Log in</a>"#),
        "{html}"
    );
}

#[test]
fn a_logged_in_user_gets_a_logout_form_and_the_script() {
    let html = auth_page(&auth_api(), "/api/tracks/1/", Some(PageUser::User("alice")));
    assert!(html.contains("logged in as <b>alice</b>"), "{html}");
    assert!(
        html.contains(
            r#"<form id="logout-form" class="logout-form" data-method="POST" data-url="/api/auth/logout/" data-next="/api/tracks/1/"><button id="logout-button" type="submit">Log out</button></form>"#
        ),
        "{html}"
    );
    assert!(!html.contains(r#"id="login-link""#), "{html}");
    // The logout form is sent by the script, even with no data form on the page.
    assert!(html.contains("<script"), "{html}");
    assert!(
        html.contains(r#"form.classList.contains("logout-form")"#)
            && html.contains(r#"window.location.assign(form.getAttribute("data-next") || "/")"#),
        "{html}"
    );
}

#[test]
fn without_user_info_or_urls_there_is_neither_login_nor_logout() {
    // The view has no authenticators: nobody to log in or out.
    let html = auth_page(&auth_api(), "/api/tracks/", None);
    assert!(!html.contains(r#"id="login-link""#), "{html}");
    assert!(!html.contains(r#"id="logout-form""#), "{html}");
    assert!(!html.contains("<script"), "{html}");

    // No URLs configured: the user is shown, without links.
    let api = BrowsableApiRenderer::new();
    let html = auth_page(&api, "/api/tracks/", Some(PageUser::Anonymous));
    assert!(html.contains("not logged in (anonymous)"), "{html}");
    assert!(!html.contains(r#"id="login-link""#), "{html}");
    let html = auth_page(&api, "/api/tracks/", Some(PageUser::User("bob")));
    assert!(html.contains("logged in as <b>bob</b>"), "{html}");
    assert!(!html.contains(r#"id="logout-form""#), "{html}");
}

#[test]
fn the_script_sends_the_csrf_cookie_as_x_csrftoken_on_unsafe_methods() {
    let html = auth_page(&auth_api(), "/api/tracks/", Some(PageUser::User("a")));
    for needle in [
        r#"var SAFE_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE"];"#,
        r#"var csrftoken = cookie("csrftoken");"#,
        r#"init.headers["X-CSRFToken"] = csrftoken;"#,
        "document.cookie.split(\";\")",
        "decodeURIComponent(value)",
        r#"credentials: "same-origin""#,
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    // Data forms use the same script, with or without a user.
    let route = RouteInfo {
        allow: vec!["GET".into(), "POST".into()],
        forms: vec![MethodForm::new("POST", ["application/json"])],
    };
    let page = PageInfo {
        route: Some(&route),
        ..PageInfo::new("GET", "/api/echo/")
    };
    let html = render(
        &BrowsableApiRenderer::new(),
        &json!({}),
        &RenderContext::default().with_page(&page),
    );
    assert!(html.contains(r#"id="raw-form-POST""#), "{html}");
    assert!(
        html.contains(r#"init.headers["X-CSRFToken"] = csrftoken;"#),
        "{html}"
    );
}

#[test]
fn hostile_paths_and_urls_are_encoded_and_escaped() {
    let path = r#"/x/"><script>alert(1)</script>?a='1'&b=<i>"#;
    let api = BrowsableApiRenderer::new()
        .login_url(r#"/login/"><b>"#)
        .logout_url(r#"/logout/"><b>"#);

    let html = auth_page(&api, path, Some(PageUser::Anonymous));
    assert!(
        html.contains(
            r#"<a id="login-link" href="/login/&quot;&gt;&lt;b&gt;?next=/x/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E%3Fa%3D%271%27%26b%3D%3Ci%3E">Log in</a>"#
        ),
        "{html}"
    );

    let html = auth_page(&api, path, Some(PageUser::User("<mallory>")));
    assert!(
        html.contains(
            r#"data-url="/logout/&quot;&gt;&lt;b&gt;" data-next="/x/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;?a=&#x27;1&#x27;&amp;b=&lt;i&gt;">"#
        ),
        "{html}"
    );
    assert!(
        html.contains("logged in as <b>&lt;mallory&gt;</b>"),
        "{html}"
    );
    for html in [
        auth_page(&api, path, Some(PageUser::Anonymous)),
        auth_page(&api, path, Some(PageUser::User("u"))),
    ] {
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<b>\""), "{html}");
        assert!(!html.contains("<i>"), "{html}");
    }
}
