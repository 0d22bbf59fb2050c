//! Which version of the API a request asks for (DRF's `versioning` module): the
//! [`Versioning`] trait, DRF's [`URLPathVersioning`] (`/api/v2/tracks/`) and
//! [`AcceptHeaderVersioning`] (`Accept: application/json; version=2`), and
//! [`Request::version`].
//!
//! A view determines the version after content negotiation and before authentication, as DRF's
//! `initial()` does; an unknown version is DRF's 404 "Invalid version in URL path." or 406
//! "Invalid version in \"Accept\" header.", in the negotiated format. Set a scheme for every
//! view under some settings with [`ApiSettings::versioning`].
//!
//! ```
//! use restframe::versioning::AcceptHeaderVersioning;
//! use restframe::{ApiSettings, Request, Response, Router, api_view};
//!
//! let hello = api_view(|req: Request| async move {
//!     Ok(Response::new(serde_json::json!({"version": req.version()})))
//! });
//! let router = Router::with_settings(
//!     ApiSettings::default().versioning(AcceptHeaderVersioning::new(["1", "2"]).default_version("1")),
//! )
//! .route("/hello/", "hello", [(http::Method::GET, hello)])?;
//! # let _ = router;
//! # Ok::<(), restframe::RouteError>(())
//! ```

use std::sync::Arc;

use crate::extensions::PathParams;
use crate::negotiation::Negotiated;
use crate::settings::ApiSettings;
use crate::{ApiError, Request};

/// DRF's message for a path version that is not allowed.
pub const INVALID_URL_VERSION: &str = "Invalid version in URL path.";
/// DRF's message for an `Accept` version that is not allowed.
pub const INVALID_ACCEPT_VERSION: &str = "Invalid version in \"Accept\" header.";

/// A versioning scheme (DRF's `BaseVersioning`): the version a request asks for.
pub trait Versioning: Send + Sync + 'static {
    /// The version of the request whose head is `parts`, negotiated as `negotiated`: `None`
    /// when it names none and there is no default; an error (DRF's 404 or 406) when it names
    /// one that is not allowed.
    fn determine_version(
        &self,
        parts: &http::request::Parts,
        negotiated: &Negotiated,
    ) -> Result<Option<String>, ApiError>;

    /// The media-type parameter that carries the version (`version`), when the scheme reads
    /// it from `Accept`: the response's `Content-Type` then says it too.
    fn media_type_param(&self) -> Option<&str> {
        None
    }

    /// The path capture that carries the version (`version`), when the scheme reads it from
    /// the URL: [`Request::reverse`] then fills that capture with the request's own value.
    fn path_capture(&self) -> Option<&str> {
        None
    }
}

/// The versions a scheme allows and its default.
#[derive(Clone, Debug, Default)]
struct Allowed {
    /// Empty: any version.
    versions: Vec<String>,
    default: Option<String>,
    param: String,
}

impl Allowed {
    fn new<'a>(versions: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            versions: versions.into_iter().map(str::to_owned).collect(),
            default: None,
            param: "version".into(),
        }
    }

    /// `given`, else the default; refused with `message` when not allowed (the default is
    /// always allowed, as DRF).
    fn check(
        &self,
        given: Option<&str>,
        refuse: impl Fn() -> ApiError,
    ) -> Result<Option<String>, ApiError> {
        match given {
            None => Ok(self.default.clone()),
            Some(v) if self.versions.is_empty() || self.versions.iter().any(|a| a == v) => {
                Ok(Some(v.to_owned()))
            }
            Some(v) if self.default.as_deref() == Some(v) => Ok(Some(v.to_owned())),
            Some(_) => Err(refuse()),
        }
    }
}

/// DRF's `URLPathVersioning`: the version is a path capture, `/api/{version}/tracks/`.
///
/// A route without the capture has the default version. A value that is not allowed is
/// 404 `{"detail": "Invalid version in URL path."}`. [`Request::reverse`] fills the capture
/// with the request's own version, as DRF's `reverse` does, so links stay in the version
/// they were asked in.
///
/// ```
/// use restframe::versioning::URLPathVersioning;
/// let v = URLPathVersioning::new(["v1", "v2"]).default_version("v1");
/// # let _ = v;
/// ```
#[derive(Clone, Debug)]
pub struct URLPathVersioning {
    allowed: Allowed,
}

impl URLPathVersioning {
    /// Allows `versions` (none: any); the capture is `version`.
    pub fn new<'a>(versions: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            allowed: Allowed::new(versions),
        }
    }

    /// The version of a route without the capture.
    pub fn default_version(mut self, version: &str) -> Self {
        self.allowed.default = Some(version.to_owned());
        self
    }

    /// The capture's name (DRF's `version_param`), `version` by default.
    pub fn param(mut self, name: &str) -> Self {
        self.allowed.param = name.to_owned();
        self
    }
}

impl Versioning for URLPathVersioning {
    fn determine_version(
        &self,
        parts: &http::request::Parts,
        _negotiated: &Negotiated,
    ) -> Result<Option<String>, ApiError> {
        let given = parts
            .extensions
            .get::<PathParams>()
            .and_then(|p| p.get(&self.allowed.param));
        self.allowed
            .check(given, || ApiError::not_found(INVALID_URL_VERSION))
    }

    fn path_capture(&self) -> Option<&str> {
        Some(&self.allowed.param)
    }
}

/// DRF's `AcceptHeaderVersioning`: the version is a parameter of the accepted media type,
/// `Accept: application/json; version=2`.
///
/// The version passes through negotiation into the response's `Content-Type`
/// (`application/json; version=2`). No parameter is the default version. A version that is
/// not allowed is 406 `{"detail": "Invalid version in \"Accept\" header."}`.
///
/// ```
/// use restframe::versioning::AcceptHeaderVersioning;
/// let v = AcceptHeaderVersioning::new(["1", "2"]).default_version("1");
/// # let _ = v;
/// ```
#[derive(Clone, Debug)]
pub struct AcceptHeaderVersioning {
    allowed: Allowed,
}

impl AcceptHeaderVersioning {
    /// Allows `versions` (none: any); the parameter is `version`.
    pub fn new<'a>(versions: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            allowed: Allowed::new(versions),
        }
    }

    /// The version of a request whose accepted type names none.
    pub fn default_version(mut self, version: &str) -> Self {
        self.allowed.default = Some(version.to_owned());
        self
    }

    /// The media-type parameter's name, `version` by default.
    pub fn param(mut self, name: &str) -> Self {
        self.allowed.param = name.to_owned();
        self
    }
}

impl Versioning for AcceptHeaderVersioning {
    fn determine_version(
        &self,
        _parts: &http::request::Parts,
        negotiated: &Negotiated,
    ) -> Result<Option<String>, ApiError> {
        let given = param_value(negotiated.params(), &self.allowed.param);
        self.allowed.check(given.as_deref(), || {
            ApiError::new(
                http::StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                INVALID_ACCEPT_VERSION,
            )
        })
    }

    fn media_type_param(&self) -> Option<&str> {
        Some(&self.allowed.param)
    }
}

/// The value of parameter `name` in `; a=1; version="2"` (quotes removed), if any.
pub(crate) fn param_value(params: &str, name: &str) -> Option<String> {
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The version a view determined, in the request's extensions.
#[derive(Clone, Debug)]
pub(crate) struct RequestVersion {
    pub(crate) version: Option<String>,
    /// The scheme's path capture, for reversing.
    pub(crate) path_capture: Option<String>,
}

/// The scheme as a setting.
impl ApiSettings {
    /// How every view under these settings determines the request's version (DRF's
    /// `DEFAULT_VERSIONING_CLASS`, with its `ALLOWED_VERSIONS` and `DEFAULT_VERSION` on the
    /// scheme). None by default: [`Request::version`] is then `None`.
    pub fn versioning(self, scheme: impl Versioning) -> Self {
        let scheme: Arc<dyn Versioning> = Arc::new(scheme);
        self.set_versioning(Arc::new(scheme))
    }

    /// The scheme views use, if any (see [`ApiSettings::versioning`]).
    pub fn versioning_scheme(&self) -> Option<Arc<dyn Versioning>> {
        self.versioning_slot()
            .and_then(|slot| slot.downcast_ref::<Arc<dyn Versioning>>())
            .cloned()
    }
}

impl Request {
    /// The version this request asks for (DRF's `request.version`), as the view's
    /// [`Versioning`] scheme determined it; `None` without a scheme, or when the request names
    /// none and the scheme has no default.
    pub fn version(&self) -> Option<&str> {
        self.extensions()
            .get::<RequestVersion>()
            .and_then(|v| v.version.as_deref())
    }
}

/// `Content-Type: application/json; charset=utf-8` with `; {param}={version}` added, when the
/// response is of the negotiated renderer's type (an error or data, not a stored file).
pub(crate) fn label_content_type(
    res: &mut http::Response<crate::body::Body>,
    negotiated: &Negotiated,
    (param, version): (&str, &str),
) {
    let Some(ct) = res.headers().get(http::header::CONTENT_TYPE) else {
        return;
    };
    let Ok(text) = ct.to_str() else { return };
    let essence = text.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(negotiated.renderer().media_type().essence_str()) {
        return;
    }
    if let Ok(value) = http::HeaderValue::from_str(&format!("{text}; {param}={version}")) {
        res.headers_mut().insert(http::header::CONTENT_TYPE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_versions_and_defaults_follow_drf() {
        let a = Allowed {
            default: Some("1".into()),
            ..Allowed::new(["1", "2"])
        };
        let refuse = || ApiError::not_found(INVALID_URL_VERSION);
        assert_eq!(a.check(None, refuse).unwrap().as_deref(), Some("1"));
        assert_eq!(a.check(Some("2"), refuse).unwrap().as_deref(), Some("2"));
        let e = a.check(Some("3"), refuse).unwrap_err();
        assert_eq!(e.status(), 404);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"detail": "Invalid version in URL path."})
        );
        let any = Allowed::new([]);
        assert_eq!(any.check(Some("9"), refuse).unwrap().as_deref(), Some("9"));
        assert_eq!(any.check(None, refuse).unwrap(), None);
    }

    #[test]
    fn the_version_parameter_is_read_from_the_accepted_type() {
        assert_eq!(
            param_value("; version=2.0", "version").as_deref(),
            Some("2.0")
        );
        assert_eq!(
            param_value(";indent=4; Version=\"2\"", "version").as_deref(),
            Some("2")
        );
        assert_eq!(param_value("", "version"), None);
        assert_eq!(param_value("; versions=2", "version"), None);
    }
}
