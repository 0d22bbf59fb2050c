//! DRF's permission classes: [`AllowAny`], [`IsAuthenticated`], [`IsAdminUser`],
//! [`IsAuthenticatedOrReadOnly`].

use http::Method;

use super::Permission;
use crate::request::Request;

/// Anyone may (the default; DRF's `AllowAny`). It does not resolve the user.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAny;

impl Permission for AllowAny {
    fn has_permission(&self, _req: &Request) -> bool {
        true
    }

    fn needs_user(&self) -> bool {
        false
    }

    fn checks_objects(&self) -> bool {
        false
    }
}

/// Only authenticated users (DRF's `IsAuthenticated`).
#[derive(Clone, Copy, Debug, Default)]
pub struct IsAuthenticated;

impl Permission for IsAuthenticated {
    fn has_permission(&self, req: &Request) -> bool {
        req.current_user().is_authenticated()
    }
}

/// Only staff (DRF's `IsAdminUser`: `is_staff`).
#[derive(Clone, Copy, Debug, Default)]
pub struct IsAdminUser;

impl Permission for IsAdminUser {
    fn has_permission(&self, req: &Request) -> bool {
        req.current_user().is_staff()
    }
}

/// Anyone may read (GET, HEAD, OPTIONS); only authenticated users may write (DRF's
/// `IsAuthenticatedOrReadOnly`).
#[derive(Clone, Copy, Debug, Default)]
pub struct IsAuthenticatedOrReadOnly;

/// DRF's `SAFE_METHODS`.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Permission for IsAuthenticatedOrReadOnly {
    fn has_permission(&self, req: &Request) -> bool {
        is_safe(req.method()) || req.current_user().is_authenticated()
    }

    fn requires_authentication(&self, method: &Method) -> bool {
        !is_safe(method)
    }
}
