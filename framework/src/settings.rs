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
