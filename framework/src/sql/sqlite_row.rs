//! A SQLite row read straight into a model, as it is stepped: the serde deserializer of
//! [`super::row`], over the row's own values instead of [`SqlValue`]s copied out of it first.
//! A page's text is copied once (into the model's `String`s), and no `Vec` is made per row.
//!
//! It reads what [`super::sqlite::rows`] and [`super::row::from_row`] read together: text that
//! is not UTF-8 is read lossily, and a JSON column's text is parsed (its `null` is `NULL`).

use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde::de::value::Error;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::row::Cell;

use super::value::{ColumnType, SqlValue};

/// Deserializes `T` from `row`, whose columns are named by `names` and typed by `types` (same
/// order, as many as the row has).
pub(crate) fn from_sqlite_row<T: de::DeserializeOwned>(
    row: &Row<'_>,
    names: &[&'static str],
    types: &[ColumnType],
) -> Result<T, Error> {
    T::deserialize(Columns {
        row,
        names,
        types,
        next: 0,
    })
}

/// The row as a map of its columns.
struct Columns<'r, 's> {
    row: &'r Row<'s>,
    names: &'r [&'static str],
    types: &'r [ColumnType],
    /// The column whose value comes next.
    next: usize,
}

impl<'de> de::Deserializer<'de> for Columns<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Columns<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.names.get(self.next) {
            Some(name) => seed.deserialize((*name).into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let i = self.next;
        self.next += 1;
        let value = self
            .row
            .get_ref(i)
            .map_err(|e| <Error as de::Error>::custom(format!("column {i}: {e}")))?;
        let json = self.types.get(i) == Some(&ColumnType::Json);
        seed.deserialize(CellRef { value, json })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.names.len().saturating_sub(self.next))
    }
}

/// One column's value, borrowed from the row.
struct CellRef<'r> {
    value: ValueRef<'r>,
    /// A JSON column: its text is a JSON document.
    json: bool,
}

impl CellRef<'_> {
    /// The value as [`super::row::from_row`] reads it, for what is rare enough not to need
    /// the borrowed path (a JSON document, text that is not UTF-8).
    fn owned(self) -> Result<Cell, Error> {
        Ok(Cell(match self.value {
            ValueRef::Text(t) if self.json => {
                let text = String::from_utf8_lossy(t);
                let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    <Error as de::Error>::custom(format!("a JSON column holds no JSON: {e}"))
                })?;
                SqlValue::from(value)
            }
            ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Null => SqlValue::Null,
            ValueRef::Integer(n) => SqlValue::Integer(n),
            ValueRef::Real(f) => SqlValue::Real(f),
            ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
        }))
    }
}

impl<'de> de::Deserializer<'de> for CellRef<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            ValueRef::Integer(i) => visitor.visit_i64(i),
            ValueRef::Real(f) => visitor.visit_f64(f),
            ValueRef::Text(t) if !self.json => match std::str::from_utf8(t) {
                Ok(text) => visitor.visit_str(text),
                Err(_) => self.owned()?.deserialize_any(visitor),
            },
            ValueRef::Text(_) => self.owned()?.deserialize_any(visitor),
            ValueRef::Blob(b) => visitor.visit_bytes(b),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            // A JSON `null` reads as `NULL`.
            ValueRef::Text(_) if self.json => self.owned()?.deserialize_option(visitor),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // SQLite keeps booleans as 0/1 integers.
        match self.value {
            ValueRef::Integer(i) => visitor.visit_bool(i != 0),
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
    use rusqlite::Connection;
    use serde::Deserialize;
    use serde::de::{Deserializer, Visitor};

    use super::super::row::from_row;
    use super::super::sqlite::{models, rows};
    use super::ColumnType::{self, Boolean, Date, Integer, Json, Real, Text};
    use crate::Date as Day;

    /// Bytes from either `visit_bytes` (borrowed) or `visit_byte_buf` (owned).
    #[derive(Debug, PartialEq)]
    struct Raw(Vec<u8>);

    impl<'de> Deserialize<'de> for Raw {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Raw;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
                    Ok(Raw(v.to_vec()))
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Raw, E> {
                    Ok(Raw(v))
                }
            }
            d.deserialize_bytes(V)
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        id: i64,
        title: String,
        public: bool,
        price: Option<f64>,
        day: Option<Day>,
        meta: Option<serde_json::Value>,
        data: Option<Raw>,
    }

    const NAMES: [&str; 8] = [
        "id", "title", "public", "price", "day", "meta", "data", "extra",
    ];
    const TYPES: [ColumnType; 8] = [Integer, Text, Boolean, Real, Date, Json, Text, Integer];

    /// Each row read both ways: through `SqlValue`s (with a JSON column's text parsed first,
    /// as the database does) and straight from the row.
    fn both(conn: &Connection, sql: &str) -> (Vec<Result<Item, String>>, Vec<Item>) {
        let through = rows(conn, sql, &[])
            .unwrap()
            .into_iter()
            .map(|mut row| {
                if let super::SqlValue::Text(text) = &row[5] {
                    let value: serde_json::Value = serde_json::from_str(text).unwrap();
                    row[5] = value.into();
                }
                from_row::<Item>(&NAMES, row).map_err(|e| e.to_string())
            })
            .collect();
        let straight = models::<Item>(conn, sql, &[], &NAMES, &TYPES, false)
            .unwrap()
            .1
            .unwrap();
        (through, straight)
    }

    #[test]
    fn a_row_read_straight_is_the_row_read_through_values() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE item (id INTEGER PRIMARY KEY, title TEXT NOT NULL, public INTEGER NOT NULL,
                price REAL, day TEXT, meta TEXT, data BLOB, extra INTEGER);
             INSERT INTO item VALUES
                (1, 'Blue \"Train\"', 1, 9.5, '1957-09-15', '{\"a\": [1, 2]}', X'00FF10', 7),
                (2, '', 0, NULL, NULL, NULL, NULL, NULL),
                (3, CAST(X'66FF6F' AS TEXT), 2, -0.0, '2020-02-29', 'null', X'', 0),
                (4, 'ünïcode ✓', 0, 1e300, NULL, '\"text\"', NULL, NULL);",
        )
        .unwrap();
        let (through, straight) = both(&conn, "SELECT * FROM item ORDER BY id");
        assert_eq!(straight.len(), 4);
        for (a, b) in through.into_iter().zip(&straight) {
            assert_eq!(a.as_ref(), Ok(b));
        }
        // What each kind of value became.
        assert_eq!(straight[0].title, "Blue \"Train\"");
        assert_eq!(straight[0].meta, Some(serde_json::json!({"a": [1, 2]})));
        assert_eq!(straight[0].data, Some(Raw(vec![0, 0xff, 0x10])));
        assert_eq!(
            straight[0].day.map(|d| d.to_string()).as_deref(),
            Some("1957-09-15")
        );
        assert!(straight[0].public && !straight[1].public && straight[2].public);
        // Text that is not UTF-8 is read lossily; a JSON `null` is no value.
        assert_eq!(straight[2].title, "f\u{fffd}o");
        assert_eq!(straight[2].meta, None);
        assert_eq!(straight[3].meta, Some(serde_json::json!("text")));
    }

    #[test]
    fn a_row_that_does_not_fit_is_an_error_either_way() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE item (id INTEGER, title TEXT, public INTEGER, price REAL, day TEXT,
                meta TEXT, data BLOB, extra INTEGER);
             INSERT INTO item VALUES (1, NULL, 1, NULL, NULL, NULL, NULL, NULL);",
        )
        .unwrap();
        let (through, straight) = (
            rows(&conn, "SELECT * FROM item", &[]).unwrap(),
            models::<Item>(&conn, "SELECT * FROM item", &[], &NAMES, &TYPES, false)
                .unwrap()
                .1,
        );
        assert!(from_row::<Item>(&NAMES, through[0].clone()).is_err());
        assert!(straight.is_err(), "a NULL title fits no String");
        conn.execute("UPDATE item SET title = 't', meta = '{oops'", [])
            .unwrap();
        let err = models::<Item>(&conn, "SELECT * FROM item", &[], &NAMES, &TYPES, false)
            .unwrap()
            .1
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("a JSON column holds no JSON"), "{err}");
    }
}
