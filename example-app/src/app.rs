//! The app's views and a small path dispatcher (replaced by the router in a later issue).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use restframe::parsers::{
    BoxError, CsvParser, FormParser, JsonParser, MsgPackParser, Parser, XmlParser, YamlParser,
};
use restframe::renderers::{
    CsvRenderer, JsonRenderer, JsonpRenderer, MsgPackRenderer, Renderer, XmlRenderer, YamlRenderer,
};
use restframe::{ApiError, ApiView, Body, Request, Response, api_view, split_format_suffix};
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

/// The app: one view per path.
#[derive(Clone)]
pub struct App {
    hello: ApiView,
    echo: ApiView,
    not_found: ApiView,
}

impl App {
    /// Builds the views.
    pub fn new() -> Self {
        let hello = api_view(|req: Request| async move {
            let n = req.negotiated();
            Ok(Response::new(Hello {
                message: "Hello from restframe",
                format: n.format().to_owned(),
                accepted: n.media_type().to_owned(),
            }))
        })
        .name("Hello")
        .renderers(renderers());

        let echo = api_view(|mut req: Request| async move {
            if req.method() == http::Method::GET {
                return Ok(Response::new(serde_json::json!({
                    "detail": "POST a body in any format; it comes back in the negotiated one."
                })));
            }
            Ok(Response::new(req.value().await?))
        })
        .name("Echo")
        .renderers(renderers())
        .parsers(parsers());

        let not_found = api_view(|req: Request| async move {
            Err(ApiError::not_found(format!(
                "No route for {}.",
                req.uri().path()
            )))
        })
        .name("Not found")
        .renderers(renderers());

        Self {
            hello,
            echo,
            not_found,
        }
    }

    fn route(&self, path: &str) -> &ApiView {
        let (stem, _) = split_format_suffix(path, self.hello.renderer_list());
        match stem.trim_end_matches('/') {
            "" | "/api" | "/api/hello" => &self.hello,
            "/api/echo" => &self.echo,
            _ => &self.not_found,
        }
    }
}

impl<B> tower::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = <ApiView as tower::Service<http::Request<B>>>::Future;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let mut view = self.route(req.uri().path()).clone();
        tower::Service::call(&mut view, req)
    }
}
