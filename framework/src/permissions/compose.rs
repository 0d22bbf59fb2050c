//! Composing permissions (DRF's `&`, `|` and `~` operand classes): [`And`], [`Or`], [`Not`].

use std::any::Any;

use http::Method;

use super::Permission;
use crate::request::Request;

/// Both must allow (DRF's `IsAuthenticated & IsOwner`). Built with [`PermissionExt::and`].
#[derive(Clone, Copy, Debug)]
pub struct And<A, B>(pub A, pub B);

/// Either may allow (DRF's `|`). Built with [`PermissionExt::or`]. On an object, one side
/// must allow both the request and the object, as DRF 3.15 decides.
#[derive(Clone, Copy, Debug)]
pub struct Or<A, B>(pub A, pub B);

/// The opposite (DRF's `~`): `Not(IsAuthenticated)` lets only anonymous requests through.
#[derive(Clone, Copy, Debug)]
pub struct Not<A>(pub A);

/// `.and(..)` and `.or(..)` on every permission.
///
/// ```
/// use restframe::permissions::{IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly, Not, PermissionExt};
/// let staff_or_read_only = IsAdminUser.or(Not(IsAuthenticated).and(IsAuthenticatedOrReadOnly));
/// # let _ = staff_or_read_only;
/// ```
pub trait PermissionExt: Permission + Sized {
    /// Both this and `other` must allow.
    fn and<B: Permission>(self, other: B) -> And<Self, B> {
        And(self, other)
    }

    /// This or `other` may allow.
    fn or<B: Permission>(self, other: B) -> Or<Self, B> {
        Or(self, other)
    }
}

impl<P: Permission> PermissionExt for P {}

impl<A: Permission, B: Permission> Permission for And<A, B> {
    fn has_permission(&self, req: &Request) -> bool {
        self.0.has_permission(req) && self.1.has_permission(req)
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        self.0.has_object_permission(req, obj) && self.1.has_object_permission(req, obj)
    }

    fn message(&self) -> Option<&str> {
        self.0.message().or_else(|| self.1.message())
    }

    fn needs_user(&self) -> bool {
        self.0.needs_user() || self.1.needs_user()
    }

    fn checks_objects(&self) -> bool {
        self.0.checks_objects() || self.1.checks_objects()
    }

    fn requires_authentication(&self, method: &Method) -> bool {
        self.0.requires_authentication(method) || self.1.requires_authentication(method)
    }
}

impl<A: Permission, B: Permission> Permission for Or<A, B> {
    fn has_permission(&self, req: &Request) -> bool {
        self.0.has_permission(req) || self.1.has_permission(req)
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        (self.0.has_permission(req) && self.0.has_object_permission(req, obj))
            || (self.1.has_permission(req) && self.1.has_object_permission(req, obj))
    }

    fn message(&self) -> Option<&str> {
        self.0.message().or_else(|| self.1.message())
    }

    fn needs_user(&self) -> bool {
        self.0.needs_user() || self.1.needs_user()
    }

    fn checks_objects(&self) -> bool {
        self.0.checks_objects() || self.1.checks_objects()
    }

    /// Only when both sides do: one that lets anonymous requests through is enough.
    fn requires_authentication(&self, method: &Method) -> bool {
        self.0.requires_authentication(method) && self.1.requires_authentication(method)
    }
}

impl<A: Permission> Permission for Not<A> {
    fn has_permission(&self, req: &Request) -> bool {
        !self.0.has_permission(req)
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        !self.0.has_object_permission(req, obj)
    }

    fn needs_user(&self) -> bool {
        // `Not(AllowAny)` refuses everyone without looking; anything else may look.
        self.0.needs_user()
    }

    fn checks_objects(&self) -> bool {
        // The negation of a rule that allows every object refuses every object.
        true
    }

    /// Never: the opposite of a rule about users lets anonymous requests through
    /// (`Not(IsAuthenticated)`) or nobody.
    fn requires_authentication(&self, _method: &Method) -> bool {
        false
    }
}
