//! A view's request policy, run before its handler (DRF's `APIView.initial()`): permissions
//! (which authenticate the request first unless all are `AllowAny`), then throttles; and the
//! 401-or-403 rule for authentication errors (DRF's `handle_exception`).

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::auth::Authenticator;
use crate::error::ApiError;
use crate::permissions::{ViewPermissions, check_permissions};
use crate::request::Request;
use crate::settings::ApiSettings;
use crate::throttling::{Throttle, ThrottleScope, check_throttles};

/// What a view checks before its handler, as its settings resolved.
#[derive(Clone, Default)]
pub(crate) struct Policy {
    authenticators: Arc<[Arc<dyn Authenticator>]>,
    permissions: Option<ViewPermissions>,
    throttles: Arc<[Arc<dyn Throttle>]>,
    scope: Option<ThrottleScope>,
    /// The first authenticator's `WWW-Authenticate`: its presence makes authentication
    /// errors 401s, its absence 403s.
    challenge: Option<HeaderValue>,
}

impl Policy {
    /// The policy of `settings`, with the view's throttle scope.
    pub(crate) fn new(settings: &ApiSettings, scope: Option<&Arc<str>>) -> Self {
        let authenticators = Arc::clone(settings.authenticator_list());
        let permissions = settings.permission_list();
        Self {
            challenge: authenticators.first().and_then(|a| a.challenge()),
            authenticators,
            permissions: (!permissions.is_empty())
                .then(|| ViewPermissions(Arc::clone(permissions))),
            throttles: Arc::clone(settings.throttle_list()),
            scope: scope.map(|s| ThrottleScope(Arc::clone(s))),
        }
    }

    /// Puts what the handler's checks need into the request extensions: the permissions (for
    /// object permissions) and the throttle scope.
    pub(crate) fn prepare(&self, parts: &mut Parts) {
        if let Some(p) = &self.permissions {
            parts.extensions.insert(p.clone());
        }
        if let Some(s) = &self.scope {
            parts.extensions.insert(s.clone());
        }
    }

    /// The request, with the view's authenticators.
    pub(crate) fn request(&self, req: Request) -> Request {
        if self.authenticators.is_empty() {
            req
        } else {
            req.with_authenticators(Arc::clone(&self.authenticators))
        }
    }

    /// DRF's `initial()`: permissions, then throttles. Nothing is read of the body.
    pub(crate) async fn initial(&self, req: &Request) -> Result<(), ApiError> {
        check_permissions(req).await?;
        if !self.throttles.is_empty() {
            check_throttles(&self.throttles, req).await?;
        }
        Ok(())
    }

    /// DRF's rule for an authentication error: a 401 with `WWW-Authenticate` when the first
    /// authenticator has a challenge, else a 403. Other errors pass unchanged.
    pub(crate) fn answer(&self, e: ApiError) -> ApiError {
        if !e.is_authentication_error() {
            return e;
        }
        match &self.challenge {
            Some(c) => e.with_header(http::header::WWW_AUTHENTICATE, c.clone()),
            None => e.with_status(StatusCode::FORBIDDEN),
        }
    }
}
