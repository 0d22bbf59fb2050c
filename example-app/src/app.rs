//! The app's views and routes.

use std::sync::Arc;

use http::Method;
use restframe::parsers::{
    CsvParser, FormParser, JsonParser, MsgPackParser, Parser, XmlParser, YamlParser,
};
use restframe::renderers::{
    CsvRenderer, JsonRenderer, JsonpRenderer, MsgPackRenderer, Renderer, XmlRenderer, YamlRenderer,
};
use restframe::{ApiSettings, Request, Response, RouteError, Router, api_view};
use serde::Serialize;

/// Every data renderer, in the order the example app offers them: JSON first (the default),
/// JSONP last so only an explicit ask picks it.
fn renderers() -> Vec<Arc<dyn Renderer>> {
    vec![
        Arc::new(JsonRenderer::new()),
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(MsgPackRenderer::new()),
        Arc::new(CsvRenderer::new()),
        Arc::new(JsonpRenderer::new()),
    ]
}

fn parsers() -> Vec<Arc<dyn Parser>> {
    vec![
        Arc::new(JsonParser::new()),
        Arc::new(FormParser::new()),
        Arc::new(YamlParser::new()),
        Arc::new(XmlParser::new()),
        Arc::new(MsgPackParser::new()),
        Arc::new(CsvParser::new()),
    ]
}

#[derive(Serialize)]
struct Hello {
    message: &'static str,
    format: String,
    accepted: String,
}

/// The app's router: `/api/` (root), `/api/hello/`, `/api/echo/`.
pub fn router() -> Result<Router, RouteError> {
    let settings = ApiSettings::default()
        .renderers(renderers())
        .parsers(parsers());

    let hello = api_view(|req: Request| async move {
        let n = req.negotiated();
        Ok(Response::new(Hello {
            message: "Hello from restframe",
            format: n.format().to_owned(),
            accepted: n.media_type().to_owned(),
        }))
    })
    .name("Hello")
    .description("Says hello in the negotiated format.")
    .settings(&settings);

    let echo = api_view(|mut req: Request| async move {
        if req.method() == Method::GET {
            return Ok(Response::new(serde_json::json!({
                "detail": "POST a body in any format; it comes back in the negotiated one."
            })));
        }
        Ok(Response::new(req.value().await?))
    })
    .name("Echo")
    .description("Answers a body in any format with the same data in the negotiated one.")
    .settings(&settings);

    Router::with_settings(settings)
        .route("/api/hello/", "hello", [(Method::GET, hello)])?
        .route(
            "/api/echo/",
            "echo",
            [Method::GET, Method::POST, Method::PUT, Method::PATCH].map(|m| (m, echo.clone())),
        )?
        .api_root("/api/", "api-root")
}
