//! Typed defaults every view starts from (DRF's `REST_FRAMEWORK` settings).

use std::sync::Arc;

use crate::parsers::{Parser, ParserLimits};
use crate::renderers::Renderer;

/// The defaults a view starts from; each view may override any of them.
///
/// Renderer and parser lists are ordered: the first renderer answers clients that express no
/// preference, and the first parser matching a `Content-Type` reads the body.
///
/// ```
/// use std::sync::Arc;
/// use restframe::ApiSettings;
/// use restframe::renderers::{JsonRenderer, YamlRenderer};
///
/// let settings = ApiSettings::default()
///     .renderers([Arc::new(JsonRenderer::new()) as _, Arc::new(YamlRenderer::new()) as _]);
/// let formats: Vec<_> = settings.default_renderers().iter().map(|r| r.format()).collect();
/// assert_eq!(formats, ["json", "yaml"]);
/// assert_eq!(ApiSettings::default().default_renderers()[0].format(), "json");
/// ```
#[derive(Clone)]
pub struct ApiSettings {
    renderers: Arc<[Arc<dyn Renderer>]>,
    parsers: Arc<[Arc<dyn Parser>]>,
    limits: ParserLimits,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field(
                "renderers",
                &self
                    .renderers
                    .iter()
                    .map(|r| r.format())
                    .collect::<Vec<_>>(),
            )
            .field(
                "parsers",
                &self
                    .parsers
                    .iter()
                    .map(|p| p.media_type().essence_str())
                    .collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for ApiSettings {
    /// JSON as the renderer; JSON and (with feature `form`) form parsers; default limits.
    fn default() -> Self {
        let renderers: Vec<Arc<dyn Renderer>> = vec![
            #[cfg(feature = "json")]
            Arc::new(crate::renderers::JsonRenderer::new()),
        ];
        let parsers: Vec<Arc<dyn Parser>> = vec![
            #[cfg(feature = "json")]
            Arc::new(crate::parsers::JsonParser::new()),
            #[cfg(feature = "form")]
            Arc::new(crate::parsers::FormParser::new()),
        ];
        Self {
            renderers: renderers.into(),
            parsers: parsers.into(),
            limits: ParserLimits::default(),
        }
    }
}

impl ApiSettings {
    /// Every data format the enabled features provide, in and out: renderers JSON, YAML, XML,
    /// MessagePack and CSV; parsers JSON, form, YAML, XML, MessagePack and CSV (each only with
    /// its feature: `json`, `form`, `yaml`, `xml`, `msgpack`, `csv`); default limits. JSON
    /// stays first, so it answers clients that express no preference.
    ///
    /// ```
    /// use restframe::ApiSettings;
    ///
    /// let settings = ApiSettings::all_formats();
    /// let formats: Vec<_> = settings.default_renderers().iter().map(|r| r.format()).collect();
    /// assert_eq!(formats[0], "json");
    /// # #[cfg(all(feature = "yaml", feature = "xml"))]
    /// assert!(formats.contains(&"yaml") && formats.contains(&"xml"));
    /// ```
    pub fn all_formats() -> Self {
        let renderers: Vec<Arc<dyn Renderer>> = vec![
            #[cfg(feature = "json")]
            Arc::new(crate::renderers::JsonRenderer::new()),
            #[cfg(feature = "yaml")]
            Arc::new(crate::renderers::YamlRenderer::new()),
            #[cfg(feature = "xml")]
            Arc::new(crate::renderers::XmlRenderer::new()),
            #[cfg(feature = "msgpack")]
            Arc::new(crate::renderers::MsgPackRenderer::new()),
            #[cfg(feature = "csv")]
            Arc::new(crate::renderers::CsvRenderer::new()),
        ];
        let parsers: Vec<Arc<dyn Parser>> = vec![
            #[cfg(feature = "json")]
            Arc::new(crate::parsers::JsonParser::new()),
            #[cfg(feature = "form")]
            Arc::new(crate::parsers::FormParser::new()),
            #[cfg(feature = "yaml")]
            Arc::new(crate::parsers::YamlParser::new()),
            #[cfg(feature = "xml")]
            Arc::new(crate::parsers::XmlParser::new()),
            #[cfg(feature = "msgpack")]
            Arc::new(crate::parsers::MsgPackParser::new()),
            #[cfg(feature = "csv")]
            Arc::new(crate::parsers::CsvParser::new()),
        ];
        Self::default().renderers(renderers).parsers(parsers)
    }

    /// These settings with the parsers of a file upload in place of the parser list: a
    /// multipart form (feature `multipart`), then any other body as the raw file (feature
    /// `upload`), as DRF's `MultiPartParser` and `FileUploadParser`. For an upload view:
    /// `.settings(&settings.file_uploads())`.
    ///
    /// ```
    /// use restframe::ApiSettings;
    ///
    /// let upload = ApiSettings::all_formats().file_uploads();
    /// let types: Vec<_> = upload.default_parsers().iter().map(|p| p.media_type().to_string()).collect();
    /// # #[cfg(all(feature = "multipart", feature = "upload"))]
    /// assert_eq!(types, ["multipart/form-data", "*/*"]);
    /// ```
    pub fn file_uploads(&self) -> Self {
        let parsers: Vec<Arc<dyn Parser>> = vec![
            #[cfg(feature = "multipart")]
            Arc::new(crate::parsers::MultiPartParser::new()),
            #[cfg(feature = "upload")]
            Arc::new(crate::parsers::FileUploadParser::new()),
        ];
        self.clone().parsers(parsers)
    }

    /// These settings with the renderers of a view that sends stored files (a `serve_file`
    /// view): the file's bytes as `media_type` (feature `binary`; `*/*` for any file, and so
    /// is one that does not parse), then these settings' first renderer, for errors.
    ///
    /// ```
    /// use restframe::ApiSettings;
    ///
    /// let files = ApiSettings::default().file_downloads("image/*");
    /// let formats: Vec<_> = files.default_renderers().iter().map(|r| r.format()).collect();
    /// # #[cfg(feature = "binary")]
    /// assert_eq!(formats, ["file", "json"]);
    /// ```
    pub fn file_downloads(&self, media_type: &str) -> Self {
        let renderers: Vec<Arc<dyn Renderer>> = vec![
            #[cfg(feature = "binary")]
            Arc::new(crate::renderers::BinaryRenderer::new(
                media_type.parse().unwrap_or(mime::STAR_STAR),
                "file",
            )),
        ];
        #[cfg(not(feature = "binary"))]
        let _ = media_type;
        let errors = self.renderers.first().cloned();
        self.clone().renderers(renderers.into_iter().chain(errors))
    }

    /// Replaces the default renderer list.
    pub fn renderers(mut self, renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        self.renderers = renderers.into_iter().collect();
        self
    }

    /// Replaces the default parser list.
    pub fn parsers(mut self, parsers: impl IntoIterator<Item = Arc<dyn Parser>>) -> Self {
        self.parsers = parsers.into_iter().collect();
        self
    }

    /// Replaces the body size and depth limits.
    pub fn limits(mut self, limits: ParserLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The default renderers, in priority order.
    pub fn default_renderers(&self) -> &Arc<[Arc<dyn Renderer>]> {
        &self.renderers
    }

    /// The default parsers, in priority order.
    pub fn default_parsers(&self) -> &Arc<[Arc<dyn Parser>]> {
        &self.parsers
    }

    /// The parser limits.
    pub fn parser_limits(&self) -> ParserLimits {
        self.limits
    }
}
