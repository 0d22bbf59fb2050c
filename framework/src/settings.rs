//! Typed defaults every view starts from (DRF's `REST_FRAMEWORK` settings), inherited part by
//! part: a view takes what it did not set itself from its viewset, then its router.

use std::sync::Arc;

#[cfg(feature = "auth")]
use crate::auth::Authenticator;
use crate::parsers::{Parser, ParserLimits};
#[cfg(feature = "auth")]
use crate::permissions::Permission;
use crate::renderers::Renderer;
#[cfg(feature = "auth")]
use crate::throttling::Throttle;

/// The defaults a view starts from (DRF's `DEFAULT_*` settings): renderers, parsers, limits,
/// and with feature `auth` the request policy: authenticators, permissions and throttles.
///
/// Each part is either set (by its builder method) or left to inherit: a view registered on a
/// [`Router`](crate::Router) takes every part it did not set itself from its viewset, then from
/// the router's settings ([`Router::with_settings`](crate::Router::with_settings)), then from
/// these defaults (JSON; JSON and form parsers; no authenticators, so anonymous users;
/// `AllowAny`; no throttles). [`ApiSettings::inherit`] is that layering.
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
    renderers: Part<Arc<[Arc<dyn Renderer>]>>,
    parsers: Part<Arc<[Arc<dyn Parser>]>>,
    limits: Part<ParserLimits>,
    /// How viewsets cut lists into pages (DRF's `DEFAULT_PAGINATION_CLASS`): an
    /// `Arc<dyn Pagination>`, held as `Any` so that this module does not depend on the
    /// pagination module (which documents itself with `openapi`, which depends on settings).
    pagination: Part<Option<AnyPart>>,
    /// How views determine the request's version (DRF's `DEFAULT_VERSIONING_CLASS`): an
    /// `Arc<dyn Versioning>`, held as `Any` as the paginator is.
    versioning: Part<Option<AnyPart>>,
    #[cfg(feature = "auth")]
    authenticators: Part<Arc<[Arc<dyn Authenticator>]>>,
    #[cfg(feature = "auth")]
    permissions: Part<Arc<[Arc<dyn Permission>]>>,
    #[cfg(feature = "auth")]
    throttles: Part<Arc<[Arc<dyn Throttle>]>>,
}

/// A settings part of a type this module does not name.
pub(crate) type AnyPart = Arc<dyn std::any::Any + Send + Sync>;

/// One part of the settings: its value, and whether it was set (else it is inherited).
#[derive(Clone, Debug)]
struct Part<T> {
    value: T,
    set: bool,
}

impl<T: Clone> Part<T> {
    fn inherited(value: T) -> Self {
        Self { value, set: false }
    }

    fn set(value: T) -> Self {
        Self { value, set: true }
    }

    fn or(self, parent: &Self) -> Self {
        if self.set { self } else { parent.clone() }
    }
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("ApiSettings");
        d.field(
            "renderers",
            &self
                .renderers
                .value
                .iter()
                .map(|r| r.format())
                .collect::<Vec<_>>(),
        )
        .field(
            "parsers",
            &self
                .parsers
                .value
                .iter()
                .map(|p| p.media_type().essence_str())
                .collect::<Vec<_>>(),
        )
        .field("limits", &self.limits.value);
        #[cfg(feature = "auth")]
        d.field("authenticators", &self.authenticators.value.len())
            .field("permissions", &self.permissions.value.len())
            .field("throttles", &self.throttles.value.len());
        d.finish()
    }
}

impl Default for ApiSettings {
    /// JSON as the renderer; JSON and (with feature `form`) form parsers; default limits; no
    /// authenticators, no permission (`AllowAny`), no throttles. Nothing is set: every part
    /// is inherited where these settings are layered over others.
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
            renderers: Part::inherited(renderers.into()),
            parsers: Part::inherited(parsers.into()),
            limits: Part::inherited(ParserLimits::default()),
            pagination: Part::inherited(None),
            versioning: Part::inherited(None),
            #[cfg(feature = "auth")]
            authenticators: Part::inherited(Arc::from([])),
            #[cfg(feature = "auth")]
            permissions: Part::inherited(Arc::from([])),
            #[cfg(feature = "auth")]
            throttles: Part::inherited(Arc::from([])),
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
        let errors = self.renderers.value.first().cloned();
        self.clone().renderers(renderers.into_iter().chain(errors))
    }

    /// Replaces the default renderer list.
    pub fn renderers(mut self, renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        self.renderers = Part::set(renderers.into_iter().collect());
        self
    }

    /// Replaces the default parser list.
    pub fn parsers(mut self, parsers: impl IntoIterator<Item = Arc<dyn Parser>>) -> Self {
        self.parsers = Part::set(parsers.into_iter().collect());
        self
    }

    /// Replaces the body size and depth limits.
    pub fn limits(mut self, limits: ParserLimits) -> Self {
        self.limits = Part::set(limits);
        self
    }

    /// The paginator slot, set by [`ApiSettings::pagination`] (in `crate::pagination`).
    pub(crate) fn set_paginator(mut self, paginator: AnyPart) -> Self {
        self.pagination = Part::set(Some(paginator));
        self
    }

    /// What the paginator slot holds, if anything was set anywhere up the chain.
    pub(crate) fn paginator_slot(&self) -> Option<&AnyPart> {
        self.pagination.value.as_ref()
    }

    /// The versioning slot, set by [`ApiSettings::versioning`] (in `crate::versioning`).
    pub(crate) fn set_versioning(mut self, scheme: AnyPart) -> Self {
        self.versioning = Part::set(Some(scheme));
        self
    }

    /// What the versioning slot holds, if anything was set anywhere up the chain.
    pub(crate) fn versioning_slot(&self) -> Option<&AnyPart> {
        self.versioning.value.as_ref()
    }

    /// The authenticators, tried in order (DRF's `DEFAULT_AUTHENTICATION_CLASSES`); the first
    /// one's challenge decides between 401 and 403 (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn authenticators(
        mut self,
        authenticators: impl IntoIterator<Item = Arc<dyn Authenticator>>,
    ) -> Self {
        self.authenticators = Part::set(authenticators.into_iter().collect());
        self
    }

    /// The permissions, all of which must allow (DRF's `DEFAULT_PERMISSION_CLASSES`; none is
    /// `AllowAny`) (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn permissions(
        mut self,
        permissions: impl IntoIterator<Item = Arc<dyn Permission>>,
    ) -> Self {
        self.permissions = Part::set(permissions.into_iter().collect());
        self
    }

    /// The throttles, all of which must allow (DRF's `DEFAULT_THROTTLE_CLASSES`) (feature
    /// `auth`).
    #[cfg(feature = "auth")]
    pub fn throttles(mut self, throttles: impl IntoIterator<Item = Arc<dyn Throttle>>) -> Self {
        self.throttles = Part::set(throttles.into_iter().collect());
        self
    }

    /// These settings over `parent`: every part these did not set is `parent`'s (set or not
    /// there). A view's own choices over its viewset's, over its router's.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use restframe::ApiSettings;
    /// use restframe::renderers::{JsonRenderer, YamlRenderer};
    /// use restframe::parsers::ParserLimits;
    ///
    /// let router = ApiSettings::default()
    ///     .renderers([Arc::new(JsonRenderer::new()) as _, Arc::new(YamlRenderer::new()) as _]);
    /// let view = ApiSettings::default().limits(ParserLimits::default()).inherit(&router);
    /// assert_eq!(view.default_renderers().len(), 2);
    /// ```
    pub fn inherit(self, parent: &ApiSettings) -> Self {
        Self {
            renderers: self.renderers.or(&parent.renderers),
            parsers: self.parsers.or(&parent.parsers),
            limits: self.limits.or(&parent.limits),
            pagination: self.pagination.or(&parent.pagination),
            versioning: self.versioning.or(&parent.versioning),
            #[cfg(feature = "auth")]
            authenticators: self.authenticators.or(&parent.authenticators),
            #[cfg(feature = "auth")]
            permissions: self.permissions.or(&parent.permissions),
            #[cfg(feature = "auth")]
            throttles: self.throttles.or(&parent.throttles),
        }
    }

    /// The default renderers, in priority order.
    pub fn default_renderers(&self) -> &Arc<[Arc<dyn Renderer>]> {
        &self.renderers.value
    }

    /// The default parsers, in priority order.
    pub fn default_parsers(&self) -> &Arc<[Arc<dyn Parser>]> {
        &self.parsers.value
    }

    /// The parser limits.
    pub fn parser_limits(&self) -> ParserLimits {
        self.limits.value
    }

    /// The authenticators, in order (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn authenticator_list(&self) -> &Arc<[Arc<dyn Authenticator>]> {
        &self.authenticators.value
    }

    /// The permissions (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn permission_list(&self) -> &Arc<[Arc<dyn Permission>]> {
        &self.permissions.value
    }

    /// The throttles (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn throttle_list(&self) -> &Arc<[Arc<dyn Throttle>]> {
        &self.throttles.value
    }
}
