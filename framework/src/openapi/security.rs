//! What a view's request policy adds to its operation (feature `auth`): the security schemes of
//! its authenticators in `components.securitySchemes`, the operation's `security` when its
//! permissions need an authenticated user for the method, and the errors the policy can give
//! (401 or 403 from authentication, 403 from permissions, 429 from throttles).

use http::Method;
use utoipa::openapi::schema::Components;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};

use crate::auth::{AuthScheme, AuthSchemeKind};
use crate::view::ApiView;

/// What the policy of one operation says in the document.
#[derive(Default)]
pub(super) struct PolicyDoc {
    /// One alternative per documented authenticator (any of them will do).
    pub(super) security: Vec<SecurityRequirement>,
    /// The error statuses the policy can answer.
    pub(super) errors: Vec<u16>,
    /// Whether throttles apply (a 429 with `Retry-After`).
    pub(super) throttled: bool,
}

/// The policy of `view` for `method`; registers its authenticators' schemes in `components`.
pub(super) fn describe(view: &ApiView, method: &Method, components: &mut Components) -> PolicyDoc {
    let settings = view.resolved_settings();
    let authenticators = settings.authenticator_list();
    let permissions = settings.permission_list();
    let mut doc = PolicyDoc::default();
    let mut names = Vec::new();
    for scheme in authenticators.iter().filter_map(|a| a.scheme()) {
        let Some(security) = security_scheme(&scheme) else {
            continue;
        };
        components
            .security_schemes
            .entry(scheme.name.clone())
            .or_insert(security.into());
        if !names.contains(&scheme.name) {
            names.push(scheme.name);
        }
    }
    if permissions
        .iter()
        .any(|p| p.requires_authentication(method))
    {
        doc.security = names
            .into_iter()
            .map(|n| SecurityRequirement::new(n, Vec::<String>::new()))
            .collect();
    }
    // Bad credentials are an authentication error wherever the user is resolved: a 401 when
    // the first authenticator has a challenge, else a 403 (DRF's rule).
    if let Some(first) = authenticators.first() {
        doc.errors.push(if first.challenge().is_some() {
            401
        } else {
            403
        });
    }
    if permissions.iter().any(|p| p.needs_user()) {
        doc.errors.push(403);
    }
    doc.throttled = !settings.throttle_list().is_empty();
    if doc.throttled {
        doc.errors.push(429);
    }
    doc
}

/// The document's form of an authenticator's description (`None` for an HTTP scheme OpenAPI
/// does not name).
fn security_scheme(scheme: &AuthScheme) -> Option<SecurityScheme> {
    let description = scheme.description.clone();
    let key = |name: &str| {
        let mut v = ApiKeyValue::new(name);
        v.description = description.clone();
        v
    };
    Some(match &scheme.kind {
        AuthSchemeKind::Http { scheme: s } => {
            let s = match s.as_str() {
                "basic" => HttpAuthScheme::Basic,
                "bearer" => HttpAuthScheme::Bearer,
                "digest" => HttpAuthScheme::Digest,
                "negotiate" => HttpAuthScheme::Negotiate,
                _ => return None,
            };
            let mut http = Http::new(s);
            http.description = description.clone();
            SecurityScheme::Http(http)
        }
        AuthSchemeKind::ApiKeyHeader { name } => SecurityScheme::ApiKey(ApiKey::Header(key(name))),
        AuthSchemeKind::ApiKeyCookie { name } => SecurityScheme::ApiKey(ApiKey::Cookie(key(name))),
    })
}
