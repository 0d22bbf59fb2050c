//! Permissions: may this user do this (DRF's `permissions.py`)?
//!
//! A view's [`Permission`]s are checked after authentication and before throttling and the
//! handler (`has_permission`, all must agree), and again on the object a detail action works
//! on (`has_object_permission`, through [`check_object_permissions`], which viewsets call on
//! retrieve, update, partial_update, destroy and detail actions). A refusal is a 403 "You do
//! not have permission to perform this action." — or, for a request that is not
//! authenticated while the view has authenticators, DRF's 401/403 "Authentication
//! credentials were not provided.".
//!
//! DRF's classes: [`AllowAny`] (the default), [`IsAuthenticated`], [`IsAdminUser`],
//! [`IsAuthenticatedOrReadOnly`]; composed with [`PermissionExt::and`],
//! [`PermissionExt::or`] and [`Not`] (DRF's `&`, `|` and `~`).

mod classes;
mod compose;

use std::any::Any;
use std::sync::Arc;

pub use classes::{AllowAny, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly};
pub use compose::{And, Not, Or, PermissionExt};

use http::Method;

use crate::error::ApiError;
use crate::request::Request;

/// One rule of who may do what (DRF's `BasePermission`).
///
/// `has_permission` runs before the handler, with the request's user already resolved
/// (`Request::current_user`); `has_object_permission` runs on the object a detail action
/// loaded, handed over as `&dyn Any` (downcast it to the model).
///
/// ```
/// use std::any::Any;
/// use restframe::permissions::Permission;
/// use restframe::Request;
///
/// #[derive(serde::Serialize)]
/// struct Track { id: i64, owner_id: i64 }
///
/// /// Only the owner may touch a track.
/// struct IsOwner;
///
/// impl Permission for IsOwner {
///     fn has_permission(&self, _req: &Request) -> bool {
///         true
///     }
///     fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
///         obj.downcast_ref::<Track>()
///             .is_some_and(|t| req.current_user().id() == Some(t.owner_id))
///     }
///     fn message(&self) -> Option<&str> {
///         Some("Only the owner may do this.")
///     }
/// }
/// ```
pub trait Permission: Send + Sync + 'static {
    /// Whether the request may reach the handler.
    fn has_permission(&self, req: &Request) -> bool;

    /// Whether the request may act on `obj` (default: yes).
    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        let _ = (req, obj);
        true
    }

    /// The refusal's message (default: DRF's "You do not have permission to perform this
    /// action.").
    fn message(&self) -> Option<&str> {
        None
    }

    /// Whether the check needs the request's user: `false` only for rules that ignore it
    /// ([`AllowAny`]), so that a view open to all does not authenticate before its handler
    /// asks.
    fn needs_user(&self) -> bool {
        true
    }

    /// Whether `has_object_permission` may refuse, so that a viewset must load the row of a
    /// detail action (destroy, extra actions) to check it: `false` only for rules that never
    /// refuse an object ([`AllowAny`]). Independent of [`needs_user`](Self::needs_user): a
    /// rule may refuse locked rows without looking at who asks.
    fn checks_objects(&self) -> bool {
        true
    }

    /// Whether a request with `method` must be authenticated to pass: what the OpenAPI
    /// document says of the operation (its `security`). Default: [`Permission::needs_user`];
    /// [`IsAuthenticatedOrReadOnly`] says so for unsafe methods only.
    fn requires_authentication(&self, method: &Method) -> bool {
        let _ = method;
        self.needs_user()
    }
}

/// A view's permissions, handed to its handler in the request extensions so that object
/// permissions can be checked where the object is loaded.
#[derive(Clone)]
pub(crate) struct ViewPermissions(pub(crate) Arc<[Arc<dyn Permission>]>);

impl ViewPermissions {
    /// Whether any permission looks at the user (so the user must be resolved, and objects
    /// checked).
    pub(crate) fn any_needs_user(&self) -> bool {
        self.0.iter().any(|p| p.needs_user())
    }
}

/// Whether the request's view has permissions that may refuse an object (any but
/// `AllowAny`).
pub(crate) fn checks_objects(req: &Request) -> bool {
    req.extensions()
        .get::<ViewPermissions>()
        .is_some_and(|perms| perms.0.iter().any(|p| p.checks_objects()))
}

/// DRF's `permission_denied`: a request that is not authenticated, on a view with
/// authenticators, is told to authenticate; any other is refused with `message`.
pub(crate) fn denied(req: &Request, message: Option<&str>) -> ApiError {
    if req.has_authenticators() && !req.current_user().is_authenticated() {
        ApiError::not_authenticated()
    } else {
        ApiError::permission_denied(message)
    }
}

/// A refusal: authenticates first when nothing has yet (a permission such as `Not(AllowAny)`
/// refuses without looking at the user), so that a valid credential gets a 403 and a missing
/// one a 401, as DRF's `permission_denied` decides.
async fn refuse(req: &Request, message: Option<&str>) -> Result<(), ApiError> {
    req.user().await?;
    Err(denied(req, message))
}

/// Checks the view's permissions (`has_permission`), resolving the user first when any of
/// them looks at it (DRF's `check_permissions`).
pub(crate) async fn check_permissions(req: &Request) -> Result<(), ApiError> {
    let Some(perms) = req.extensions().get::<ViewPermissions>() else {
        return Ok(());
    };
    if perms.any_needs_user() {
        req.user().await?;
    }
    match perms.0.iter().find(|p| !p.has_permission(req)) {
        Some(p) => refuse(req, p.message()).await,
        None => Ok(()),
    }
}

/// The methods among `methods` that the view's permissions refuse to the request's user, each
/// checked as if the request were of that method (DRF's `show_form_for_method`, on a cloned
/// request). The user must be resolved first.
pub(crate) fn denied_methods<'m>(
    req: &mut Request,
    methods: impl IntoIterator<Item = &'m str>,
) -> Vec<String> {
    refused_as(req, methods, |p, req| p.has_permission(req))
}

/// The methods among `methods` that some permission refuses by `allows`, each asked as if the
/// request were of that method; the request's own method is put back.
fn refused_as<'m>(
    req: &mut Request,
    methods: impl IntoIterator<Item = &'m str>,
    allows: impl Fn(&dyn Permission, &Request) -> bool,
) -> Vec<String> {
    let Some(perms) = req.extensions().get::<ViewPermissions>().cloned() else {
        return Vec::new();
    };
    let original = req.method().clone();
    let mut denied = Vec::new();
    for name in methods {
        let Ok(method) = Method::from_bytes(name.as_bytes()) else {
            continue;
        };
        *req.method_mut() = method;
        if !perms.0.iter().all(|p| allows(&**p, req)) {
            denied.push(name.to_owned());
        }
    }
    *req.method_mut() = original;
    denied
}

/// A page's forms, checked against the object its handler loaded (DRF's
/// `show_form_for_method` with `check_object_permissions`): the view puts one in the request
/// extensions when the response is a page with forms; the viewset's detail actions fill it.
#[derive(Default)]
pub(crate) struct PageObjectForms {
    /// The methods of the route's forms.
    pub(crate) methods: Vec<String>,
    /// Those the view's object permissions refuse on the loaded object.
    pub(crate) denied: std::sync::Mutex<Vec<String>>,
}

/// Records in the request's [`PageObjectForms`], if any, the form methods whose object
/// permissions refuse `obj` to the request's user, each checked as if the request were of
/// that method. The user must be resolved first.
pub(crate) fn note_object_forms(req: &mut Request, obj: &(dyn Any + Send + Sync)) {
    let Some(page) = req.extensions().get::<Arc<PageObjectForms>>().cloned() else {
        return;
    };
    let denied = refused_as(req, page.methods.iter().map(String::as_str), |p, req| {
        p.has_object_permission(req, obj)
    });
    if let Ok(mut slot) = page.denied.lock() {
        *slot = denied;
    }
}

/// Checks the view's object permissions on `obj` (DRF's `check_object_permissions`): the
/// viewsets call it on the row of every detail action; a handler that loads an object itself
/// calls it too. The user is resolved first when a permission looks at it.
///
/// ```
/// use restframe::{permissions::check_object_permissions, ApiError, Request, Response};
///
/// async fn show(req: Request) -> Result<Response, ApiError> {
///     let track = serde_json::json!({"id": 4});
///     check_object_permissions(&req, &track).await?;
///     Ok(Response::new(track))
/// }
/// # let _ = show;
/// ```
pub async fn check_object_permissions(
    req: &Request,
    obj: &(dyn Any + Send + Sync),
) -> Result<(), ApiError> {
    let Some(perms) = req.extensions().get::<ViewPermissions>() else {
        return Ok(());
    };
    if perms.any_needs_user() {
        req.user().await?;
    }
    match perms.0.iter().find(|p| !p.has_object_permission(req, obj)) {
        Some(p) => refuse(req, p.message()).await,
        None => Ok(()),
    }
}
