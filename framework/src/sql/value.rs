//! Values crossing between the API's data and SQL: one enum both drivers bind and decode.

use serde_json::Value;

use crate::validation::{
    DATE_FORMAT_MESSAGE, DATETIME_FORMAT_MESSAGE, DECIMAL_INVALID_MESSAGE, Date, DateTime,
    UUID_INVALID_MESSAGE, parse_decimal, parse_uuid,
};

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
    /// An exact decimal, [`Decimal`](crate::Decimal) (`NUMERIC` in PostgreSQL; `TEXT` in
    /// SQLite, compared and sorted as a number). Written and read as its text with its scale
    /// (`"12.50"`), from a JSON string or number.
    Decimal,
    /// An instant, [`DateTime`] (`TIMESTAMPTZ` in PostgreSQL; `TEXT` in SQLite, as RFC 3339
    /// in UTC with six fraction digits, which sorts as the time does). Read back as that text.
    DateTime,
    /// A UUID, [`Uuid`](crate::Uuid) (`UUID` in PostgreSQL; `TEXT` in SQLite, hyphenated in
    /// lower case). Read back as that text.
    Uuid,
    /// Any JSON value, a `serde_json::Value` field (`JSONB` in PostgreSQL; `TEXT` in SQLite,
    /// its JSON text). Read back as the JSON value ([`SqlValue::Json`]); a JSON `null` is SQL
    /// `NULL`. PostgreSQL keeps `JSONB`'s key order (shortest key first), SQLite the order
    /// written. A `?field=` filter takes JSON text and matches equal values (in SQLite, equal
    /// text: keys in the same order).
    Json,
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
            ColumnType::Decimal => "numeric",
            ColumnType::DateTime => "timestamptz",
            ColumnType::Uuid => "uuid",
            ColumnType::Json => "jsonb",
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
    /// Text (also dates as `YYYY-MM-DD`, datetimes as RFC 3339, decimals and UUIDs).
    Text(String),
    /// A boolean.
    Boolean(bool),
    /// Bytes.
    Blob(Vec<u8>),
    /// A JSON value, for a [`ColumnType::Json`] column (never JSON `null`: that is
    /// [`SqlValue::Null`]).
    Json(Value),
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

/// A datetime as its column's text: `2026-12-04T01:23:44.123456Z`; likewise a decimal with
/// its scale, a UUID hyphenated, and a JSON value as itself.
///
/// ```
/// use restframe::sql::SqlValue;
/// use restframe::{DateTime, Decimal, Uuid};
/// let at: DateTime = "2026-12-04T02:23:44+01:00".parse().unwrap();
/// assert_eq!(SqlValue::from(at), SqlValue::Text("2026-12-04T01:23:44.000000Z".into()));
/// let price: Decimal = "12.50".parse().unwrap();
/// assert_eq!(SqlValue::from(price), SqlValue::Text("12.50".into()));
/// assert_eq!(SqlValue::from(Uuid::nil()), SqlValue::Text(Uuid::nil().to_string()));
/// assert_eq!(SqlValue::from(serde_json::json!([1])), SqlValue::Json(serde_json::json!([1])));
/// assert_eq!(SqlValue::from(serde_json::Value::Null), SqlValue::Null);
/// ```
impl From<DateTime> for SqlValue {
    fn from(v: DateTime) -> Self {
        SqlValue::Text(v.to_string())
    }
}

/// A decimal as its text, with its scale: `12.50`.
impl From<crate::Decimal> for SqlValue {
    fn from(v: crate::Decimal) -> Self {
        SqlValue::Text(v.to_string())
    }
}

/// A UUID as its hyphenated lower-case text.
impl From<crate::Uuid> for SqlValue {
    fn from(v: crate::Uuid) -> Self {
        SqlValue::Text(v.to_string())
    }
}

/// A JSON value for a [`ColumnType::Json`] column; JSON `null` is SQL `NULL`.
impl From<Value> for SqlValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => SqlValue::Null,
            v => SqlValue::Json(v),
        }
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
            // A decimal serializes as a string (rust_decimal's `serde`), or as a number with
            // its `serde-float` feature; both keep what the number says.
            (Value::String(s), ColumnType::Decimal) => decimal(s)?,
            (Value::Number(n), ColumnType::Decimal) => decimal(&n.to_string())?,
            (Value::String(s), ColumnType::DateTime) => datetime(s)?,
            (Value::String(s), ColumnType::Uuid) => uuid(s)?,
            (v, ColumnType::Json) => {
                if json_has_nul(v) {
                    return Err(NULL_CHARACTERS_MESSAGE);
                }
                SqlValue::Json(v.clone())
            }
            (_, ty) => return Err(expected(ty)),
        })
    }

    /// Whether this is text (or JSON) holding a NUL character, which no backend stores alike
    /// (PostgreSQL refuses it, SQLite would keep it): such a value is never bound.
    pub(crate) fn has_nul(&self) -> bool {
        match self {
            SqlValue::Text(s) => s.contains('\0'),
            SqlValue::Json(v) => json_has_nul(v),
            _ => false,
        }
    }

    /// A `?field=value` filter's value (or a URL's id) for a column of type `ty`, with DRF's
    /// messages (text holding a NUL character is [`NULL_CHARACTERS_MESSAGE`]). An integer must
    /// be written canonically (`12`, `-3`, `0`; not `+12`, `012` or ` 12`), so one row has
    /// one URL.
    pub(crate) fn from_query(value: &str, ty: ColumnType) -> Result<Self, &'static str> {
        Ok(match ty {
            ColumnType::Integer => SqlValue::Integer(canonical_integer(value).ok_or(expected(ty))?),
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
            ColumnType::Decimal => decimal(value)?,
            ColumnType::DateTime => datetime(value.trim())?,
            ColumnType::Uuid => uuid(value.trim())?,
            ColumnType::Json => {
                let v: Value = serde_json::from_str(value).map_err(|_| expected(ty))?;
                if json_has_nul(&v) {
                    return Err(NULL_CHARACTERS_MESSAGE);
                }
                v.into()
            }
            ColumnType::Blob => return Err(expected(ty)),
        })
    }
}

/// `s` as an `i64` written canonically: an optional `-`, then `0` or digits not starting with
/// `0` (`-0` is not canonical either).
fn canonical_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = match digits.as_bytes() {
        [b'0'] => digits.len() == s.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if canonical { s.parse().ok() } else { None }
}

/// A decimal's text with its scale (`12.50`), or DRF's message.
fn decimal(s: &str) -> Result<SqlValue, &'static str> {
    Ok(SqlValue::Text(parse_decimal(s)?.to_string()))
}

/// A datetime's UTC text with six fraction digits, or DRF's message.
fn datetime(s: &str) -> Result<SqlValue, &'static str> {
    let t = s.parse::<DateTime>().map_err(|_| DATETIME_FORMAT_MESSAGE)?;
    Ok(SqlValue::Text(t.to_string()))
}

/// A UUID's hyphenated lower-case text, or DRF's message.
fn uuid(s: &str) -> Result<SqlValue, &'static str> {
    Ok(SqlValue::Text(parse_uuid(s)?.to_string()))
}

/// Whether a string or key anywhere in `v` holds a NUL character (PostgreSQL's `JSONB` refuses
/// `\u0000`).
fn json_has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
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
        ColumnType::Decimal => DECIMAL_INVALID_MESSAGE,
        ColumnType::DateTime => DATETIME_FORMAT_MESSAGE,
        ColumnType::Uuid => UUID_INVALID_MESSAGE,
        ColumnType::Json => JSON_INVALID_MESSAGE,
    }
}

/// DRF's `JSONField` message for text that is not JSON (a `?field=` filter on a
/// [`ColumnType::Json`] column).
///
/// ```
/// assert_eq!(restframe::sql::JSON_INVALID_MESSAGE, "Value must be valid JSON.");
/// ```
pub const JSON_INVALID_MESSAGE: &str = "Value must be valid JSON.";

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
    fn integers_in_urls_are_canonical() {
        for (text, n) in [
            ("0", 0),
            ("7", 7),
            ("-3", -3),
            ("9223372036854775807", i64::MAX),
        ] {
            assert_eq!(
                SqlValue::from_query(text, ColumnType::Integer),
                Ok(SqlValue::Integer(n))
            );
        }
        for bad in [
            "+1",
            "01",
            "00",
            "-0",
            "-01",
            " 1",
            "1 ",
            "1\n",
            "",
            "-",
            "1.0",
            "1e3",
            "٣",
            "9223372036854775808",
        ] {
            assert_eq!(
                SqlValue::from_query(bad, ColumnType::Integer),
                Err("A valid integer is required."),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn new_types_are_stored_as_canonical_text() {
        let text = |s: &str| Ok(SqlValue::Text(s.into()));
        assert_eq!(
            SqlValue::from_json(&json!("12.50"), ColumnType::Decimal),
            text("12.50")
        );
        assert_eq!(
            SqlValue::from_json(&json!(12.5), ColumnType::Decimal),
            text("12.5")
        );
        assert_eq!(
            SqlValue::from_query(" 1e2 ", ColumnType::Decimal),
            text("100")
        );
        assert_eq!(
            SqlValue::from_json(&json!("2026-12-04T02:23:44.5+01:00"), ColumnType::DateTime),
            text("2026-12-04T01:23:44.500000Z")
        );
        assert_eq!(
            SqlValue::from_query("2026-12-04T01:23:44Z", ColumnType::DateTime),
            text("2026-12-04T01:23:44.000000Z")
        );
        assert_eq!(
            SqlValue::from_json(&json!("67E5504410B1426F9247BB680E5FE0C8"), ColumnType::Uuid),
            text("67e55044-10b1-426f-9247-bb680e5fe0c8")
        );
        assert_eq!(
            SqlValue::from_query("x", ColumnType::Decimal),
            Err("A valid number is required.")
        );
        assert_eq!(
            SqlValue::from_query("2026-12-04", ColumnType::DateTime),
            Err(crate::DATETIME_FORMAT_MESSAGE)
        );
        assert_eq!(
            SqlValue::from_query("x", ColumnType::Uuid),
            Err("Must be a valid UUID.")
        );
        assert!(SqlValue::from_json(&json!(true), ColumnType::Uuid).is_err());
    }

    #[test]
    fn json_columns_keep_the_value() {
        let v = json!({"b": [1, "x"], "a": null});
        assert_eq!(
            SqlValue::from_json(&v, ColumnType::Json),
            Ok(SqlValue::Json(v.clone()))
        );
        assert_eq!(
            SqlValue::from_json(&json!(null), ColumnType::Json),
            Ok(SqlValue::Null)
        );
        assert_eq!(
            SqlValue::from_query(r#"{"b":[1,"x"],"a":null}"#, ColumnType::Json),
            Ok(SqlValue::Json(v))
        );
        assert_eq!(
            SqlValue::from_query("{", ColumnType::Json),
            Err(super::JSON_INVALID_MESSAGE)
        );
        let nul = json!({"k": ["a\u{0}"]});
        assert_eq!(
            SqlValue::from_json(&nul, ColumnType::Json),
            Err(super::NULL_CHARACTERS_MESSAGE)
        );
        assert!(SqlValue::Json(nul).has_nul());
        assert!(SqlValue::Json(json!({"a\u{0}": 1})).has_nul());
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
