//! The six standard actions of a viewset (DRF's model mixins), and which of them a viewset
//! offers.

use http::Method;

/// One of a viewset's six standard actions — DRF's `ListModelMixin`, `CreateModelMixin`,
/// `RetrieveModelMixin`, `UpdateModelMixin` (update and partial_update) and
/// `DestroyModelMixin`. A [`ModelViewSet`](crate::ModelViewSet) offers all six unless told
/// otherwise with [`ModelViewSet::only`](crate::ModelViewSet::only),
/// [`ModelViewSet::without`](crate::ModelViewSet::without) or
/// [`ModelViewSet::read_only`](crate::ModelViewSet::read_only).
///
/// ```
/// use restframe::StandardAction;
/// assert_eq!(StandardAction::PartialUpdate.name(), "partial_update");
/// assert_eq!(StandardAction::PartialUpdate.method(), http::Method::PATCH);
/// assert!(StandardAction::Retrieve.is_detail());
/// assert_eq!(StandardAction::READ_ONLY, [StandardAction::List, StandardAction::Retrieve]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StandardAction {
    /// `GET {prefix}`: a page of rows (DRF's `ListModelMixin`).
    #[doc(alias = "ListModelMixin")]
    List,
    /// `POST {prefix}`: a new row (DRF's `CreateModelMixin`).
    #[doc(alias = "CreateModelMixin")]
    Create,
    /// `GET {prefix}{id}/`: one row (DRF's `RetrieveModelMixin`).
    #[doc(alias = "RetrieveModelMixin")]
    Retrieve,
    /// `PUT {prefix}{id}/`: the row replaced (DRF's `UpdateModelMixin.update`).
    #[doc(alias = "UpdateModelMixin")]
    Update,
    /// `PATCH {prefix}{id}/`: some fields of the row changed (DRF's
    /// `UpdateModelMixin.partial_update`).
    PartialUpdate,
    /// `DELETE {prefix}{id}/`: the row deleted (DRF's `DestroyModelMixin`).
    #[doc(alias = "DestroyModelMixin")]
    Destroy,
}

impl StandardAction {
    /// Every standard action, in registration order.
    pub const ALL: [Self; 6] = [
        Self::List,
        Self::Create,
        Self::Retrieve,
        Self::Update,
        Self::PartialUpdate,
        Self::Destroy,
    ];

    /// The actions of DRF's `ReadOnlyModelViewSet`: list and retrieve.
    pub const READ_ONLY: [Self; 2] = [Self::List, Self::Retrieve];

    /// The actions of the list route, in registration order.
    pub(super) const ON_LIST: [Self; 2] = [Self::List, Self::Create];

    /// The actions of the detail route, in registration order.
    pub(super) const ON_DETAIL: [Self; 4] = [
        Self::Retrieve,
        Self::Update,
        Self::PartialUpdate,
        Self::Destroy,
    ];

    /// The action's name, as DRF's `self.action`: `list`, `create`, `retrieve`, `update`,
    /// `partial_update`, `destroy` (the names [`ModelViewSet::action_settings`] takes).
    ///
    /// [`ModelViewSet::action_settings`]: crate::ModelViewSet::action_settings
    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Create => "create",
            Self::Retrieve => "retrieve",
            Self::Update => "update",
            Self::PartialUpdate => "partial_update",
            Self::Destroy => "destroy",
        }
    }

    /// The action named `name` (as [`StandardAction::name`] gives it), if any.
    ///
    /// ```
    /// use restframe::StandardAction;
    /// assert_eq!(StandardAction::from_name("destroy"), Some(StandardAction::Destroy));
    /// assert_eq!(StandardAction::from_name("delete"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The method that calls the action.
    pub fn method(self) -> Method {
        match self {
            Self::List | Self::Retrieve => Method::GET,
            Self::Create => Method::POST,
            Self::Update => Method::PUT,
            Self::PartialUpdate => Method::PATCH,
            Self::Destroy => Method::DELETE,
        }
    }

    /// Whether the action is on one row (`{prefix}{id}/`) rather than on the list.
    pub fn is_detail(self) -> bool {
        !matches!(self, Self::List | Self::Create)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The standard actions a viewset offers, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Offered(u8);

impl Offered {
    /// All six.
    pub(super) fn all() -> Self {
        Self::of(StandardAction::ALL)
    }

    /// Exactly `actions`.
    pub(super) fn of(actions: impl IntoIterator<Item = StandardAction>) -> Self {
        Self(actions.into_iter().fold(0, |set, a| set | a.bit()))
    }

    /// These, less `actions`.
    pub(super) fn without(self, actions: impl IntoIterator<Item = StandardAction>) -> Self {
        Self(self.0 & !Self::of(actions).0)
    }

    pub(super) fn contains(self, action: StandardAction) -> bool {
        self.0 & action.bit() != 0
    }
}
