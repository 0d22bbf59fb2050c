//! Who may change a row: the user it belongs to, and staff (reading is for anyone).

use std::any::Any;
use std::marker::PhantomData;

use http::Method;
use restframe::Request;
use restframe::permissions::Permission;

/// Reading is for anyone; changing a row is for the user it belongs to (the owner of a track,
/// the user themself) and for staff. `owner` says whose a row of `M` is.
pub struct IsSelfOrStaff<M> {
    owner: fn(&M) -> Option<i64>,
    model: PhantomData<fn(&M)>,
}

impl<M> IsSelfOrStaff<M> {
    /// The rule for rows of `M`, owned by `owner(row)`.
    pub fn new(owner: fn(&M) -> Option<i64>) -> Self {
        Self {
            owner,
            model: PhantomData,
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl<M: Any + Send + Sync> Permission for IsSelfOrStaff<M> {
    fn has_permission(&self, _req: &Request) -> bool {
        true
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        if is_safe(req.method()) {
            return true;
        }
        let user = req.current_user();
        if user.is_staff() {
            return true;
        }
        let owner = obj.downcast_ref::<M>().and_then(|row| (self.owner)(row));
        owner.is_some() && owner == user.id()
    }

    fn requires_authentication(&self, method: &Method) -> bool {
        !is_safe(method)
    }
}
