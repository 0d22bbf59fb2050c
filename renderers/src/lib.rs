//! Format renderers for restframe: each turns typed serde data into the bytes of one media type.
//!
//! A renderer declares a media type, a format name (the URL suffix: `json`, `yaml`, …) and a
//! charset (`None` for binary), and renders any [`serde::Serialize`] value straight into bytes.
//! This crate knows nothing of HTTP routing: content negotiation lives in `restframe`.
//!
//! | feature   | renderer                                   | media type               | format    |
//! |-----------|--------------------------------------------|--------------------------|-----------|
//! | `json`    | [`JsonRenderer`] (default)                 | `application/json`       | `json`    |
//! | `jsonp`   | [`JsonpRenderer`]                          | `application/javascript` | `jsonp`   |
//! | `yaml`    | [`YamlRenderer`]                           | `application/yaml`       | `yaml`    |
//! | `xml`     | [`XmlRenderer`]                            | `application/xml`        | `xml`     |
//! | `msgpack` | [`MsgPackRenderer`]                        | `application/msgpack`    | `msgpack` |
//! | `csv`     | [`CsvRenderer`]                            | `text/csv`               | `csv`     |
//! | `text`    | [`PlainTextRenderer`]                      | `text/plain`             | `txt`     |
//! | `html`    | [`StaticHtmlRenderer`]                     | `text/html`              | `html`    |
//! | `binary`  | [`BinaryRenderer`]                         | any, e.g. `image/*`      | chosen    |
//! | `template`  | [`TemplateHtmlRenderer`]                 | `text/html`              | `html`    |
//! | `browsable` | [`BrowsableApiRenderer`]                 | `text/html`              | `api`     |
//!
//! `full` turns all of them on.
//!
//! # A custom renderer is one trait impl
//!
//! ```
//! use restframe_renderers::{Data, RenderContext, RenderError, Renderer};
//!
//! /// Renders any value as its JSON text, upper-cased (for shouting clients).
//! struct ShoutRenderer(mime::Mime);
//!
//! impl Renderer for ShoutRenderer {
//!     fn media_type(&self) -> &mime::Mime { &self.0 }
//!     fn format(&self) -> &str { "shout" }
//!     fn render(&self, data: &dyn Data, _ctx: &RenderContext<'_>, out: &mut Vec<u8>)
//!         -> Result<(), RenderError>
//!     {
//!         let text = serde_json::to_string(restframe_renderers::as_serialize(data))
//!             .map_err(RenderError::server)?;
//!         out.extend_from_slice(text.to_uppercase().as_bytes());
//!         Ok(())
//!     }
//! }
//!
//! let renderer = ShoutRenderer("text/x-shout".parse().unwrap());
//! let mut out = Vec::new();
//! renderer.render(&vec!["hi"], &RenderContext::default(), &mut out).unwrap();
//! assert_eq!(out, b"[\"HI\"]");
//! assert_eq!(renderer.charset(), Some("utf-8")); // text/* gets a charset by default
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod context;
mod error;

#[cfg(feature = "binary")]
mod binary;
#[cfg(feature = "browsable")]
mod browsable;
#[cfg(feature = "csv")]
mod csv;
#[cfg(any(feature = "template", feature = "browsable"))]
mod escape;
#[cfg(feature = "template")]
mod filters;
#[cfg(feature = "html")]
mod html;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "jsonp")]
mod jsonp;
#[cfg(feature = "msgpack")]
mod msgpack;
#[cfg(any(feature = "text", feature = "html", feature = "binary"))]
mod raw;
#[cfg(any(feature = "template", feature = "browsable"))]
mod status;
#[cfg(feature = "template")]
mod template;
#[cfg(feature = "text")]
mod text;
#[cfg(feature = "xml")]
mod xml;
#[cfg(feature = "yaml")]
mod yaml;

#[cfg(feature = "binary")]
pub use binary::BinaryRenderer;
#[cfg(feature = "browsable")]
pub use browsable::BrowsableApiRenderer;
pub use context::{MethodForm, PageInfo, PageUser, Params, Query, RenderContext, RouteInfo};
#[cfg(feature = "csv")]
pub use csv::CsvRenderer;
pub use error::{RenderError, RenderErrorKind};
#[cfg(feature = "html")]
pub use html::StaticHtmlRenderer;
#[cfg(feature = "json")]
pub use json::{JsonOptions, JsonRenderer};
#[cfg(feature = "jsonp")]
pub use jsonp::JsonpRenderer;
/// The template engine of the HTML renderers (`TemplateHtmlRenderer`, `BrowsableApiRenderer`),
/// re-exported so `TemplateHtmlRenderer::configure` hooks name the same version.
#[cfg(any(feature = "template", feature = "browsable"))]
pub use minijinja;
#[cfg(feature = "msgpack")]
pub use msgpack::MsgPackRenderer;
#[cfg(feature = "template")]
pub use template::TemplateHtmlRenderer;
#[cfg(feature = "text")]
pub use text::PlainTextRenderer;
#[cfg(feature = "xml")]
pub use xml::XmlRenderer;
#[cfg(feature = "yaml")]
pub use yaml::YamlRenderer;

pub use mime::Mime;

/// Turns response data into the bytes of one media type.
///
/// Implementations are registered, in priority order, in a view's renderer list; content
/// negotiation picks one per request. See the crate docs for a complete custom renderer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a restframe renderer",
    label = "implement `restframe_renderers::Renderer` for this type"
)]
pub trait Renderer: Send + Sync + 'static {
    /// The media type produced, e.g. `application/json`. May be a range such as `image/*` for
    /// renderers of raw bytes; the response then carries the concrete type.
    fn media_type(&self) -> &Mime;

    /// Further media types this renderer answers to in `Accept` (e.g. `application/x-msgpack`).
    /// The response still carries [`Renderer::media_type`].
    fn aliases(&self) -> &[Mime] {
        &[]
    }

    /// The format name used by URL suffixes (`/tracks/4.json`) and `?format=`.
    fn format(&self) -> &str;

    /// The charset parameter of the `Content-Type`, if any. By default `utf-8` for textual types
    /// (see [`textual_charset`]) and none for JSON, MessagePack and binary types.
    fn charset(&self) -> Option<&'static str> {
        textual_charset(self.media_type())
    }

    /// Whether this renderer can render arbitrary structured data (maps, lists, …). Renderers of
    /// raw bytes or pre-rendered strings answer `false`, so error bodies are rendered by the
    /// view's first renderer that answers `true`.
    fn renders_data(&self) -> bool {
        true
    }

    /// Whether this renderer shows more of the exchange than the data: the request line, the
    /// response headers, the view's other formats and forms (see [`PageInfo`]). The framework
    /// builds a [`PageInfo`] and passes it through [`RenderContext::with_page`] only for
    /// renderers that answer `true`; `false` by default.
    ///
    /// ```
    /// use restframe_renderers::{JsonRenderer, Renderer};
    /// assert!(!JsonRenderer::new().wants_page());
    /// ```
    fn wants_page(&self) -> bool {
        false
    }

    /// Whether this renderer may only ever answer anonymous requests: its output can be read
    /// by any web page (JSONP). The framework then refuses, with a 406, a request that carries
    /// credentials ([`RenderContext::has_credentials`]) or that the view's authenticators
    /// authenticate, and never renders an error with it for such a request. `false` by
    /// default.
    ///
    /// ```
    /// use restframe_renderers::{JsonRenderer, Renderer};
    /// assert!(!JsonRenderer::new().anonymous_only());
    /// # #[cfg(feature = "jsonp")]
    /// assert!(restframe_renderers::JsonpRenderer::new().anonymous_only());
    /// ```
    fn anonymous_only(&self) -> bool {
        false
    }

    /// Checks, before the handler runs, that this request can be rendered at all (the JSONP
    /// callback, say). An error here is the client's: 400, rendered by another renderer.
    fn check(&self, ctx: &RenderContext<'_>) -> Result<(), RenderError> {
        let _ = ctx;
        Ok(())
    }

    /// Renders `data` into `out`.
    fn render(
        &self,
        data: &dyn Data,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError>;
}

/// Response data: any [`serde::Serialize`] value, type-erased.
///
/// Every `Serialize` type is `Data` through a blanket impl; nobody implements it by hand. Besides
/// the erased `Serialize` that every renderer can use (see [`as_serialize`]), it carries a
/// monomorphised JSON writer, so the JSON path pays no virtual call per value.
pub trait Data: erased_serde::Serialize {
    /// Writes `self` as JSON with the given options (used by [`JsonRenderer`]).
    #[cfg(feature = "json")]
    #[doc(hidden)]
    fn write_json(&self, out: &mut Vec<u8>, options: &json::JsonStyle) -> Result<(), RenderError>;
}

impl<T: serde::Serialize + ?Sized> Data for T {
    #[cfg(feature = "json")]
    fn write_json(&self, out: &mut Vec<u8>, options: &json::JsonStyle) -> Result<(), RenderError> {
        json::write(self, out, options)
    }
}

/// Views [`Data`] as an erased [`serde::Serialize`], usable with any serde serializer.
///
/// ```
/// let data: &dyn restframe_renderers::Data = &vec![1, 2];
/// let json = serde_json::to_string(restframe_renderers::as_serialize(data)).unwrap();
/// assert_eq!(json, "[1,2]");
/// ```
pub fn as_serialize(data: &dyn Data) -> &dyn erased_serde::Serialize {
    data
}

/// The charset a textual media type gets: `utf-8` for `text/*`, XML, YAML and JavaScript types
/// (including `+xml` and `+yaml` suffixes); `None` for everything else, JSON included (RFC 8259
/// defines no charset parameter for it).
///
/// ```
/// use restframe_renderers::textual_charset;
/// assert_eq!(textual_charset(&"text/csv".parse().unwrap()), Some("utf-8"));
/// assert_eq!(textual_charset(&"application/atom+xml".parse().unwrap()), Some("utf-8"));
/// assert_eq!(textual_charset(&"application/json".parse().unwrap()), None);
/// assert_eq!(textual_charset(&"image/png".parse().unwrap()), None);
/// ```
pub fn textual_charset(media_type: &Mime) -> Option<&'static str> {
    let textual = media_type.type_() == mime::TEXT
        || (media_type.type_() == mime::APPLICATION
            && matches!(
                media_type.subtype().as_str(),
                "xml" | "yaml" | "x-yaml" | "javascript" | "x-javascript"
            ))
        || matches!(
            media_type.suffix().map(|s| s.as_str()),
            Some("xml" | "yaml")
        );
    textual.then_some("utf-8")
}

/// Parses a static media type; for renderer constructors, whose inputs are literals.
#[cfg(any(
    feature = "jsonp",
    feature = "yaml",
    feature = "xml",
    feature = "msgpack"
))]
pub(crate) fn static_mime(s: &'static str) -> Mime {
    match s.parse() {
        Ok(m) => m,
        // Only reachable with a malformed literal in this crate, which the tests would catch.
        Err(_) => mime::APPLICATION_OCTET_STREAM,
    }
}
