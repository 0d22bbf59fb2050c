//! Values crossing between the API's data and SQL: one enum both drivers bind and decode.

use serde_json::Value;

use crate::validation::{DATE_FORMAT_MESSAGE, Date};

/// DRF's message for text holding a NUL character (U+0000), which PostgreSQL's `text` cannot
/// store: every backend refuses it alike, as a 400 naming the field (`{"title": ["Null
/// characters are not allowed."]}`), in a body field or a `?field=` filter.
pub const NULL_CHARACTERS_MESSAGE: &str = "Null characters are not allowed.";

/// `Err` with [`NULL_CHARACTERS_MESSAGE`] when `s` holds a NUL character.
fn no_nul(s: &str) -> Result<(), &'static str> {
    if s.contains('\0') {
        Err(NULL_CHARACTERS_MESSAGE)
    } else {
        Ok(())
    }
}

/// The SQL type of a [`Column`](super::Column): how its values are bound, decoded, filtered
/// and (in PostgreSQL) cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// A 64-bit integer (`INTEGER` in SQLite, `BIGINT` in PostgreSQL).
    Integer,
    /// A double (`REAL`, `DOUBLE PRECISION`).
    Real,
    /// Text (`TEXT`).
    Text,
    /// A boolean (`INTEGER` 0/1 in SQLite, `BOOLEAN` in PostgreSQL).
    Boolean,
    /// An ISO date (`TEXT` `YYYY-MM-DD` in SQLite, `DATE` in PostgreSQL).
    Date,
    /// Bytes (`BLOB`, `BYTEA`), for [`DatabaseStorage`](crate::storage::DatabaseStorage);
    /// not filterable, not writable from JSON.
    Blob,
}

impl ColumnType {
    /// The PostgreSQL cast a placeholder of this type gets, so a text-typed parameter (or a
    /// NULL) lands in the column's type.
    pub(crate) fn pg_cast(self) -> &'static str {
        match self {
            ColumnType::Integer => "bigint",
            ColumnType::Real => "double precision",
            ColumnType::Text => "text",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Blob => "bytea",
        }
    }
}

/// One SQL value.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    /// `NULL`.
    Null,
    /// An integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// Text (also dates, as `YYYY-MM-DD`).
    Text(String),
    /// A boolean.
    Boolean(bool),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Plain Rust values as SQL values, for [`crate::sql::SqlRepository::set`]:
/// `("cover", url.into())`.
///
/// ```
/// use restframe::sql::SqlValue;
/// assert_eq!(SqlValue::from("a"), SqlValue::Text("a".into()));
/// assert_eq!(SqlValue::from(4_i64), SqlValue::Integer(4));
/// assert_eq!(SqlValue::from(None::<String>), SqlValue::Null);
/// ```
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}

impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}

impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Boolean(v)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(v: Vec<u8>) -> Self {
        SqlValue::Blob(v)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

impl SqlValue {
    /// The value of a serialized input field for a column of type `ty`; `Err` names what the
    /// column expects. Deserialization into the input type has already checked the shape, so
    /// an error here means the input type and the column disagree, or text holds a NUL
    /// character ([`NULL_CHARACTERS_MESSAGE`]).
    pub(crate) fn from_json(value: &Value, ty: ColumnType) -> Result<Self, &'static str> {
        Ok(match (value, ty) {
            (Value::Null, _) => SqlValue::Null,
            (Value::Number(n), ColumnType::Integer) => {
                SqlValue::Integer(n.as_i64().ok_or("A valid integer is required.")?)
            }
            (Value::Number(n), ColumnType::Real) => {
                SqlValue::Real(n.as_f64().ok_or("A valid number is required.")?)
            }
            (Value::Bool(b), ColumnType::Boolean) => SqlValue::Boolean(*b),
            (Value::String(s), ColumnType::Text) => {
                no_nul(s)?;
                SqlValue::Text(s.clone())
            }
            (Value::String(s), ColumnType::Date) => SqlValue::Text(
                s.parse::<Date>()
                    .map_err(|_| DATE_FORMAT_MESSAGE)?
                    .to_string(),
            ),
            (_, ty) => return Err(expected(ty)),
        })
    }

    /// Whether this is text holding a NUL character, which no backend stores alike
    /// (PostgreSQL refuses it, SQLite would keep it): such a value is never bound.
    pub(crate) fn has_nul(&self) -> bool {
        matches!(self, SqlValue::Text(s) if s.contains('\0'))
    }

    /// A `?field=value` filter's value for a column of type `ty`, with DRF's messages (text
    /// holding a NUL character is [`NULL_CHARACTERS_MESSAGE`]).
    pub(crate) fn from_query(value: &str, ty: ColumnType) -> Result<Self, &'static str> {
        Ok(match ty {
            ColumnType::Integer => {
                SqlValue::Integer(value.trim().parse().map_err(|_| expected(ty))?)
            }
            ColumnType::Real => SqlValue::Real(
                value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or(expected(ty))?,
            ),
            ColumnType::Text => {
                no_nul(value)?;
                SqlValue::Text(value.to_owned())
            }
            ColumnType::Boolean => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => SqlValue::Boolean(true),
                "false" | "0" | "no" | "off" => SqlValue::Boolean(false),
                _ => return Err(expected(ty)),
            },
            ColumnType::Date => SqlValue::Text(
                value
                    .trim()
                    .parse::<Date>()
                    .map_err(|_| DATE_FORMAT_MESSAGE)?
                    .to_string(),
            ),
            ColumnType::Blob => return Err(expected(ty)),
        })
    }
}

fn expected(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Integer => "A valid integer is required.",
        ColumnType::Real => "A valid number is required.",
        ColumnType::Text => "Not a valid string.",
        ColumnType::Boolean => "Must be a valid boolean.",
        ColumnType::Date => DATE_FORMAT_MESSAGE,
        ColumnType::Blob => "Not filterable.",
    }
}

#[cfg(test)]
mod tests {
    use super::{ColumnType, SqlValue};
    use serde_json::json;

    #[test]
    fn filters_are_typed() {
        assert_eq!(
            SqlValue::from_query("42", ColumnType::Integer),
            Ok(SqlValue::Integer(42))
        );
        assert!(SqlValue::from_query("4x", ColumnType::Integer).is_err());
        assert!(SqlValue::from_query("NaN", ColumnType::Real).is_err());
        assert!(SqlValue::from_query("2023-02-30", ColumnType::Date).is_err());
        assert_eq!(
            SqlValue::from_query("No", ColumnType::Boolean),
            Ok(SqlValue::Boolean(false))
        );
    }

    #[test]
    fn nul_characters_are_refused_in_text() {
        let message = super::NULL_CHARACTERS_MESSAGE;
        assert_eq!(message, "Null characters are not allowed.");
        assert_eq!(SqlValue::from_query("a\0b", ColumnType::Text), Err(message));
        assert_eq!(
            SqlValue::from_json(&json!("a\u{0}b"), ColumnType::Text),
            Err(message)
        );
        assert!(SqlValue::from_query("a\0", ColumnType::Date).is_err());
        assert!(SqlValue::Text("\0".into()).has_nul());
        assert!(!SqlValue::Text("a".into()).has_nul());
        assert!(!SqlValue::Blob(vec![0]).has_nul());
    }

    #[test]
    fn json_fields_follow_the_column() {
        assert_eq!(
            SqlValue::from_json(&json!("x"), ColumnType::Text),
            Ok(SqlValue::Text("x".into()))
        );
        assert_eq!(
            SqlValue::from_json(&json!(null), ColumnType::Date),
            Ok(SqlValue::Null)
        );
        assert!(SqlValue::from_json(&json!(1.5), ColumnType::Integer).is_err());
        assert!(SqlValue::from_json(&json!("x"), ColumnType::Integer).is_err());
    }
}
