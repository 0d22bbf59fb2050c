//! The views serving the document and its pages: `/api/schema/`, Swagger UI and ReDoc.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, LOCATION};
use http::{HeaderValue, StatusCode};

use super::routes::{SchemaCache, SchemaInfo};
use super::{ApiInfo, Doc};
use crate::error::ApiError;
use crate::renderers::{BinaryRenderer, JsonRenderer, Renderer};
use crate::request::Request;
use crate::response::Response;
use crate::router::RouteTable;
use crate::settings::ApiSettings;
use crate::view::{ApiView, api_view};

/// Everything the pages load comes from the app itself. Swagger UI and ReDoc set inline styles
/// (`style-src 'unsafe-inline'`), show inline images (`data:`), and ReDoc searches in a worker
/// built from a `blob:`.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   worker-src 'self' blob:; base-uri 'self'; form-action 'self'; \
                   frame-ancestors 'self'";

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

/// The document of the route table the router hands it, generated once per table and served in
/// the negotiated format.
pub(crate) fn schema_view(settings: &ApiSettings, info: Arc<ApiInfo>) -> ApiView {
    // The document is data: every data format of the router's list that can hold it whole
    // (JSON, YAML, and HTML pages that show data).
    let renderers: Vec<Arc<dyn Renderer>> = settings
        .default_renderers()
        .iter()
        .filter(|r| matches!(r.format(), "json" | "yaml" | "api"))
        .cloned()
        .collect();
    let cache = Arc::new(SchemaCache::default());
    let marker = SchemaInfo(Arc::clone(&info));
    api_view(move |req: Request| {
        let table = req.extensions().get::<Arc<RouteTable>>().cloned();
        // `?oas=3.0`: the 3.0.3 form, for generators that read no 3.1.
        let version = req.query().get("oas").map(|v| v.into_owned());
        // Served under a URL-path version (`/api/v2/schema/`): that version's document.
        let api_version = req
            .path_version()
            .or_else(|| req.path_param("version").map(|v| ("version", v)));
        let document = table.map(|t| match version.as_deref() {
            None | Some("" | "3.1" | "3.1.0") => match cache.narrowed(&t, &info, api_version) {
                Ok(Some(narrowed)) => Ok(Some(Shared::Json(narrowed))),
                Ok(None) => Ok(Some(Shared::Current(cache.document(
                    &t,
                    &info,
                    api_version,
                )))),
                Err(e) => Err(e),
            },
            Some("3.0" | "3.0.3") => cache
                .legacy(&t, &info, api_version)
                .map(|d| Some(Shared::Json(d))),
            Some(_) => Ok(None),
        });
        async move {
            let document = document
                .ok_or_else(|| ApiError::internal("schema view called without its route table"))?
                .map_err(|e| ApiError::internal(format!("the document as JSON: {e}")))?
                .ok_or_else(|| {
                    ApiError::validation([("oas", "Select a valid choice: 3.1 or 3.0.")])
                })?;
            Ok(Response::new(document))
        }
    })
    .with_meta(marker)
    .name("Schema")
    .description("The OpenAPI 3.1 document of this API (`?oas=3.0`: its OpenAPI 3.0.3 form).")
    .doc(Doc::new().exclude())
    .renderers(if renderers.is_empty() {
        vec![Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>]
    } else {
        renderers
    })
}

/// A cached document, serialized as itself.
enum Shared {
    /// OpenAPI 3.1.
    Current(Arc<utoipa::openapi::OpenApi>),
    /// As JSON: its 3.0.3 form, or the document with one type per operation.
    Json(Arc<serde_json::Value>),
}

impl serde::Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shared::Current(doc) => doc.serialize(s),
            Shared::Json(doc) => doc.serialize(s),
        }
    }
}

/// A view of static files: any `Accept` gets them (a `*/*` renderer), errors are JSON.
fn asset_view<H, F>(name: &str, handler: H) -> ApiView
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    api_view(handler)
        .name(name)
        .doc(Doc::new().exclude())
        .renderers([
            Arc::new(BinaryRenderer::new(mime::STAR_STAR, "asset")) as Arc<dyn Renderer>,
            Arc::new(JsonRenderer::new()),
        ])
}

/// A page: `text/html` for a browser, `curl -H 'Accept: text/html'` and `*/*`; any other
/// `Accept` (`application/json` alone, say) is a 406 that names `text/html`, in JSON. The page
/// is never sent under another type than its own.
fn page_view<H, F>(name: &str, handler: H) -> ApiView
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    api_view(move |req: Request| {
        let handler = Arc::clone(&handler);
        async move {
            if req.negotiated().format() != "html" {
                return Err(ApiError::not_acceptable(vec!["text/html".to_owned()]));
            }
            handler(req).await
        }
    })
    .name(name)
    .doc(Doc::new().exclude())
    .renderers([
        // Negotiates `text/html`; the page's bytes carry their own type, with its charset.
        Arc::new(BinaryRenderer::new(mime::TEXT_HTML, "html")) as Arc<dyn Renderer>,
        // Only for error bodies (the 406 above among them).
        Arc::new(JsonRenderer::new()),
    ])
}

fn asset(bytes: impl Into<Bytes>, content_type: &str, cache: &'static str) -> Response {
    let mime = content_type
        .parse()
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    Response::bytes(bytes, mime)
        .with_header(CACHE_CONTROL, HeaderValue::from_static(cache))
        .with_header(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP))
}

/// The page's own URL must end in `/` so its relative links resolve under it. The `Location`
/// is relative (`docs/`), so it holds under a mount prefix or a proxy that strips one.
fn slash_redirect(req: &Request) -> Option<Response> {
    let path = req.uri().path();
    if path.ends_with('/') {
        return None;
    }
    let last = path.rsplit('/').next().unwrap_or(path);
    let location = match req.uri().query() {
        Some(q) => format!("{last}/?{q}"),
        None => format!("{last}/"),
    };
    let location = HeaderValue::from_str(&location).ok()?;
    Some(Response::empty(StatusCode::MOVED_PERMANENTLY).with_header(LOCATION, location))
}

/// Swagger UI (vendored in utoipa-swagger-ui): the page at `{page}` and its files under it.
/// `schema_url` is relative to the page.
/// Several documents are offered in its selector, `(label, url)` each, the first shown first;
/// one document with an empty label is shown without a selector.
pub(crate) fn swagger_views(documents: Vec<(String, String)>) -> (ApiView, ApiView) {
    let config = match documents.as_slice() {
        [(label, url)] if label.is_empty() => utoipa_swagger_ui::Config::new([url.clone()]),
        // `Url` borrows its name for as long as the configuration lives (the router's
        // lifetime): the few bytes of each label and path are leaked once, at registration.
        _ => utoipa_swagger_ui::Config::new(documents.into_iter().enumerate().map(
            |(i, (label, url))| {
                let label: &'static str = Box::leak(label.into_boxed_str());
                let url: &'static str = Box::leak(url.into_boxed_str());
                utoipa_swagger_ui::Url::with_primary(label, url, i == 0)
            },
        )),
    };
    let config = Arc::new(
        config
            .try_it_out_enabled(true)
            // No badge from validator.swagger.io: nothing leaves the app.
            .validator_url("none")
            .display_operation_id(true)
            .filter(true),
    );
    let cfg = Arc::clone(&config);
    let index = page_view("Swagger UI", move |req: Request| {
        let cfg = Arc::clone(&cfg);
        async move {
            if let Some(redirect) = slash_redirect(&req) {
                return Ok(redirect);
            }
            swagger_file("index.html", cfg)
        }
    });
    let files = asset_view("Swagger UI", move |req: Request| {
        let cfg = Arc::clone(&config);
        async move {
            let file = req.path_param("file").unwrap_or_default().to_owned();
            swagger_file(&file, cfg)
        }
    });
    (index, files)
}

fn swagger_file(
    file: &str,
    config: Arc<utoipa_swagger_ui::Config<'static>>,
) -> Result<Response, ApiError> {
    let found = utoipa_swagger_ui::serve(file, config)
        .map_err(|e| ApiError::internal(format!("Swagger UI: {e}")))?
        .ok_or_else(|| ApiError::not_found(format!("No Swagger UI file `{file}`.")))?;
    // The page and its configuration name the schema: not cached; the library files are.
    let cache = if matches!(file, "index.html" | "swagger-initializer.js") {
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    let bytes = match found.bytes {
        std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
        std::borrow::Cow::Owned(b) => Bytes::from(b),
    };
    // Its text files are UTF-8; say so, as for every other text the app serves.
    let content_type =
        if found.content_type.starts_with("text/") && !found.content_type.contains("charset") {
            format!("{}; charset=utf-8", found.content_type)
        } else {
            found.content_type.clone()
        };
    let response = asset(bytes, &content_type, cache);
    // Stored gzipped when utoipa-swagger-ui's `gzip` feature is on (the flag's own spelling).
    Ok(if found.gzpipped {
        response.with_header(CONTENT_ENCODING, HeaderValue::from_static("gzip"))
    } else {
        response
    })
}

/// ReDoc: the page at `{page}` and its one script, `redoc.standalone.js`, vendored in this crate
/// (see `assets/redoc/`).
pub(crate) fn redoc_views(schema_url: String, title: String) -> (ApiView, ApiView) {
    let page = Bytes::from(redoc_page(&schema_url, &title));
    let index = page_view("ReDoc", move |req: Request| {
        let page = page.clone();
        async move {
            if let Some(redirect) = slash_redirect(&req) {
                return Ok(redirect);
            }
            Ok(asset(page, "text/html; charset=utf-8", "no-cache"))
        }
    });
    let script = asset_view("ReDoc", |_req: Request| async move {
        Ok(asset(
            Bytes::from_static(REDOC_JS),
            "application/javascript; charset=utf-8",
            "public, max-age=86400",
        ))
    });
    (index, script)
}

fn redoc_page(schema_url: &str, title: &str) -> String {
    let attr = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n</head>\n<body>\n\
         <redoc spec-url=\"{url}\"></redoc>\n\
         <script src=\"redoc.standalone.js\"></script>\n</body>\n</html>\n",
        title = attr(title),
        url = attr(schema_url),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use tower::ServiceExt;

    use crate::Router;

    fn get(uri: &str) -> http::Request<Empty<Bytes>> {
        http::Request::get(uri)
            .header("host", "example.org")
            .body(Empty::new())
            .unwrap()
    }

    #[tokio::test]
    async fn pages_redirect_to_their_slash_relatively_under_a_mount_prefix() {
        // Mounted at /api by something that strips it: the pages are registered without it.
        let router = Router::new()
            .mount_prefix("/api")
            .schema(
                "/schema/",
                "schema",
                crate::openapi::ApiInfo::new("Music", "1"),
            )
            .unwrap()
            .swagger_ui("/docs/", "swagger-ui", "/schema/")
            .unwrap()
            // The public path names the same route.
            .redoc("/redoc/", "redoc", "/api/schema/")
            .unwrap();
        for (path, location) in [("/docs", "docs/"), ("/redoc?x=1", "redoc/?x=1")] {
            let res = router.clone().oneshot(get(path)).await.unwrap();
            assert_eq!(res.status(), 301, "{path}");
            assert_eq!(res.headers()["location"], location, "{path}");
        }
        let res = router.clone().oneshot(get("/docs/")).await.unwrap();
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self'"),
            "{csp}"
        );
        let init = router
            .clone()
            .oneshot(get("/docs/swagger-initializer.js"))
            .await
            .unwrap();
        let body = init.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(r#""url": "../schema/""#), "{text}");
        assert!(text.contains(r#""validatorUrl": "none""#), "{text}");
        let page = router.clone().oneshot(get("/redoc/")).await.unwrap();
        let body = page.into_body().collect().await.unwrap().to_bytes();
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains(r#"spec-url="../schema/""#), "{page}");
        assert!(page.contains("<title>Music</title>"), "{page}");
        let missing = router.oneshot(get("/docs/nothing.js")).await.unwrap();
        assert_eq!(missing.status(), 404);
    }

    #[tokio::test]
    async fn the_pages_are_html_for_a_browser_curl_and_any_and_406_for_json_alone() {
        let router = Router::new()
            .schema(
                "/schema/",
                "schema",
                crate::openapi::ApiInfo::new("Music", "1"),
            )
            .unwrap()
            .swagger_ui("/docs/", "swagger-ui", "/schema/")
            .unwrap()
            .redoc("/redoc/", "redoc", "/schema/")
            .unwrap();
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for page in ["/docs/", "/redoc/"] {
            for accept in [Some("text/html"), Some(browser), Some("*/*"), None] {
                let mut req = get(page);
                if let Some(accept) = accept {
                    req.headers_mut()
                        .insert("accept", http::HeaderValue::from_static(accept));
                }
                let res = router.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), 200, "{page} {accept:?}");
                assert_eq!(
                    res.headers()["content-type"],
                    "text/html; charset=utf-8",
                    "{page} {accept:?}"
                );
            }
            let mut req = get(page);
            req.headers_mut()
                .insert("accept", http::HeaderValue::from_static("application/json"));
            let res = router.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), 406, "{page}: the page is no JSON");
            let body = res.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains("text/html"),
                "{page}: says what it has: {text}"
            );
        }
        // The pages' files are anything's.
        let mut req = get("/redoc/redoc.standalone.js");
        req.headers_mut()
            .insert("accept", http::HeaderValue::from_static("*/*"));
        assert_eq!(router.clone().oneshot(req).await.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn redoc_is_titled_as_the_document_and_escaped() {
        let info = crate::openapi::ApiInfo::new("Tracks & <Takes>", "1");
        let router = Router::new()
            .schema("/api/schema/", "schema", info)
            .unwrap()
            .redoc("/api/redoc/", "redoc", "/api/schema/")
            .unwrap();
        let page = router.oneshot(get("/api/redoc/")).await.unwrap();
        let body = page.into_body().collect().await.unwrap().to_bytes();
        let page = String::from_utf8_lossy(&body);
        assert!(
            page.contains("<title>Tracks &amp; &lt;Takes&gt;</title>"),
            "{page}"
        );
    }
}
