//! A track's owner: a foreign key to a user, stored as the user's id and shown as that id
//! (API version 1, DRF's `PrimaryKeyRelatedField`) or as a nested read-only object
//! `{"id", "username", "url"}` (version 2, a nested serializer).

use restframe::model::FieldType;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The owner column's value: the user's id, and what version 2 shows of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The user's id (the column).
    pub id: i64,
    /// What a version-2 answer shows instead of the id; `None` shows the id.
    pub nested: Option<OwnerSummary>,
}

/// The owner as version 2 shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OwnerSummary {
    /// The user's id.
    pub id: i64,
    /// Their username.
    pub username: String,
    /// Their URL.
    #[schema(format = "uri")]
    pub url: String,
}

impl Owner {
    /// The user `id`, shown as the id.
    pub fn new(id: i64) -> Self {
        Self { id, nested: None }
    }
}

impl Serialize for Owner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.nested {
            Some(summary) => summary.serialize(s),
            None => s.serialize_i64(self.id),
        }
    }
}

impl<'de> Deserialize<'de> for Owner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Self::new)
    }
}

/// Stored and described as the integer it is (the document describes version 1).
impl FieldType for Owner {
    const COLUMN: restframe::sql::ColumnType = <i64 as FieldType>::COLUMN;
    /// Shown as the id (`serialize_i64`) unless nested, which only [`crate::tracks::show`] does:
    /// a list read as rows shows version 1's id ([`crate::tracks::show_rows`] declines version 2).
    const ROW: Option<restframe::model::RowKind> = <i64 as FieldType>::ROW;

    fn invalid_message(error: &str) -> String {
        <i64 as FieldType>::invalid_message(error)
    }

    fn schema(nullable: bool) -> utoipa::openapi::schema::ObjectBuilder {
        <i64 as FieldType>::schema(nullable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_is_its_id_unless_nested() {
        let mut owner: Owner = serde_json::from_str("7").unwrap();
        assert_eq!(serde_json::to_string(&owner).unwrap(), "7");
        owner.nested = Some(OwnerSummary {
            id: 7,
            username: "ada".into(),
            url: "http://h/api/v2/users/7/".into(),
        });
        assert_eq!(
            serde_json::to_value(&owner).unwrap(),
            serde_json::json!({"id": 7, "username": "ada", "url": "http://h/api/v2/users/7/"})
        );
    }
}
