//! Reading a row into a model: a serde deserializer over the row's columns, so a model is any
//! `#[derive(Deserialize)]` struct whose fields are named like the columns.

use serde::de::value::{Error, MapDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::value::SqlValue;

/// Deserializes `T` from `values`, named by `names` (same order).
pub(crate) fn from_row<T: de::DeserializeOwned>(
    names: &[&'static str],
    values: Vec<SqlValue>,
) -> Result<T, Error> {
    let fields = names.iter().copied().zip(values.into_iter().map(Cell));
    T::deserialize(MapDeserializer::new(fields))
}

/// One column's value as a deserializer.
pub(super) struct Cell(pub(super) SqlValue);

impl<'de> IntoDeserializer<'de, Error> for Cell {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Cell {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            SqlValue::Null => visitor.visit_none(),
            SqlValue::Integer(i) => visitor.visit_i64(i),
            SqlValue::Real(f) => visitor.visit_f64(f),
            SqlValue::Text(s) => visitor.visit_string(s),
            SqlValue::Boolean(b) => visitor.visit_bool(b),
            SqlValue::Blob(b) => visitor.visit_byte_buf(b),
            // The value itself, so a `serde_json::Value` field (or any type stored as JSON)
            // reads it as it was written.
            SqlValue::Json(v) => v
                .deserialize_any(visitor)
                .map_err(<Error as de::Error>::custom),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            SqlValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // SQLite keeps booleans as 0/1 integers.
        match self.0 {
            SqlValue::Integer(i) => visitor.visit_bool(i != 0),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::{SqlValue, from_row};
    use crate::Date;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Track {
        id: u32,
        title: String,
        release_date: Option<Date>,
        file: Option<String>,
        public: bool,
    }

    #[test]
    fn a_row_becomes_a_model() {
        let names = ["id", "title", "release_date", "file", "public"];
        let track: Track = from_row(
            &names,
            vec![
                SqlValue::Integer(4),
                SqlValue::Text("Blue".into()),
                SqlValue::Text("2020-01-02".into()),
                SqlValue::Null,
                SqlValue::Integer(1),
            ],
        )
        .unwrap();
        assert_eq!(track.id, 4);
        assert_eq!(
            track.release_date.map(|d| d.to_string()).as_deref(),
            Some("2020-01-02")
        );
        assert_eq!(track.file, None);
        assert!(track.public);
        let err = from_row::<Track>(&names[..2], vec![SqlValue::Integer(4), SqlValue::Null]);
        assert!(err.is_err());
    }
}
