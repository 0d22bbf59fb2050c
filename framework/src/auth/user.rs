//! Who made a request: [`User`] (anonymous, or an [`Identity`]) and the [`Credentials`] that
//! proved it (DRF's `request.user` and `request.auth`).

/// An authenticated user, as authenticators find it in their stores.
///
/// ```
/// use restframe::auth::Identity;
/// let alice = Identity::new(4, "alice").staff(true);
/// assert_eq!((alice.id, alice.username.as_str(), alice.is_staff), (4, "alice", true));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The user's primary key.
    pub id: i64,
    /// The user's name.
    pub username: String,
    /// Whether the user is staff (DRF's `is_staff`, what `IsAdminUser` asks).
    pub is_staff: bool,
}

impl Identity {
    /// A user who is not staff.
    pub fn new(id: i64, username: impl Into<String>) -> Self {
        Self {
            id,
            username: username.into(),
            is_staff: false,
        }
    }

    /// The same user, staff or not.
    pub fn staff(mut self, is_staff: bool) -> Self {
        self.is_staff = is_staff;
        self
    }
}

/// The user of a request: anonymous, or authenticated (DRF's `request.user`).
///
/// ```
/// use restframe::auth::{Identity, User};
/// let anonymous = User::Anonymous;
/// assert!(!anonymous.is_authenticated());
/// assert_eq!(anonymous.id(), None);
/// let alice = User::Authenticated(Identity::new(4, "alice"));
/// assert!(alice.is_authenticated() && !alice.is_staff());
/// assert_eq!(alice.id(), Some(4));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum User {
    /// No credentials, or none any authenticator accepted as present.
    #[default]
    Anonymous,
    /// Authenticated by one of the view's authenticators.
    Authenticated(Identity),
}

impl User {
    /// Whether the user is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Self::Authenticated(_))
    }

    /// Whether the user is authenticated staff.
    pub fn is_staff(&self) -> bool {
        matches!(self, Self::Authenticated(i) if i.is_staff)
    }

    /// The user's id, when authenticated.
    pub fn id(&self) -> Option<i64> {
        self.identity().map(|i| i.id)
    }

    /// The user's name, when authenticated.
    pub fn username(&self) -> Option<&str> {
        self.identity().map(|i| i.username.as_str())
    }

    /// The identity, when authenticated.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Self::Anonymous => None,
            Self::Authenticated(i) => Some(i),
        }
    }
}

/// What authenticated a request (DRF's `request.auth`): the authenticator's scheme and, for
/// key-based schemes, the stored hash of the key (so a logout or a token revocation can delete
/// it without ever seeing the key again).
///
/// ```
/// use restframe::auth::Credentials;
/// let c = Credentials::new("token").with_key_hash("9f86d0…");
/// assert_eq!(c.scheme(), "token");
/// assert_eq!(c.key_hash(), Some("9f86d0…"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    scheme: &'static str,
    key_hash: Option<String>,
}

impl Credentials {
    /// Credentials of `scheme` (`token`, `basic`, `session`, or one's own).
    pub fn new(scheme: &'static str) -> Self {
        Self {
            scheme,
            key_hash: None,
        }
    }

    /// The same, with the stored hash of the key that was presented.
    pub fn with_key_hash(mut self, key_hash: impl Into<String>) -> Self {
        self.key_hash = Some(key_hash.into());
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The stored hash of the presented key, for key-based schemes.
    pub fn key_hash(&self) -> Option<&str> {
        self.key_hash.as_deref()
    }
}
