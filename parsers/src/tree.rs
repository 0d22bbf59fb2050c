//! A tree whose leaves are text, and a lenient deserializer over it.
//!
//! XML, form and CSV bodies carry no types: `<id>4</id>` is the text `4`. Their parsers build a
//! [`serde_json::Value`] whose scalars are strings (or null), and this deserializer coerces a
//! string into the number, boolean, option, list or map the target type asks for.

use serde::de::value::{BorrowedStrDeserializer, Error};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::{Document, Visit};

/// A parsed text-only document (XML, form, CSV): strings coerced on demand.
///
/// | target type            | accepted text                                        |
/// |------------------------|------------------------------------------------------|
/// | integers, floats       | the number, surrounding blanks ignored               |
/// | `bool`                 | `true`/`false`, `True`/`False`, `1`/`0`, `on`/`off`  |
/// | `Option<T>`            | empty text or null is `None`                         |
/// | `Vec<T>`, maps, structs| null or empty text is empty                          |
/// | `Vec<T>`               | other text is a one-item list                        |
/// | `String`               | null is the empty string                             |
///
/// ```
/// use restframe_parsers::{Parsed, TextTree};
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { id: u32, title: String, explicit: bool, year: Option<u16>, tags: Vec<String> }
///
/// let tree = serde_json::json!({
///     "id": "4", "title": "1984", "explicit": "false", "year": "", "tags": null
/// });
/// let track: Track = Parsed::new(TextTree::new(tree)).deserialize().unwrap();
/// assert_eq!(track, Track {
///     id: 4, title: "1984".into(), explicit: false, year: None, tags: vec![]
/// });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TextTree(Value);

impl TextTree {
    /// Wraps a tree whose scalars are strings or null.
    pub fn new(value: Value) -> Self {
        Self(value)
    }

    /// The tree.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

impl Document for TextTree {
    fn deserialize_with(&self, visit: &mut Visit<'_>) -> Result<(), erased_serde::Error> {
        visit(&mut <dyn erased_serde::Deserializer>::erase(Lenient(
            &self.0,
        )))
    }
}

/// The lenient deserializer over one node.
#[derive(Clone, Copy)]
pub(crate) struct Lenient<'a>(pub(crate) &'a Value);

impl<'a> Lenient<'a> {
    /// Null and empty text: the "nothing here" of text-only formats.
    fn is_blank(&self) -> bool {
        match self.0 {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        }
    }
}

macro_rules! coerce_number {
    ($($method:ident => $visit:ident: $ty:ty,)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0 {
                Value::String(s) => match s.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_value(Unexpected::Str(s), &visitor)),
                },
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'a> Deserializer<'a> for Lenient<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Seq(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries {
                iter: map.iter(),
                value: None,
            }),
        }
    }

    coerce_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => match s.trim() {
                "true" | "True" | "TRUE" | "1" | "on" => visitor.visit_bool(true),
                "false" | "False" | "FALSE" | "0" | "off" => visitor.visit_bool(false),
                _ => Err(de::Error::invalid_value(Unexpected::Str(s), &visitor)),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_blank() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_blank() {
            visitor.visit_unit()
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A `FieldValue` asks whether the document is text only: it is.
        if name == crate::field::TEXT_ONLY_TOKEN {
            return visitor.visit_map(crate::field::TextOnlyEntry { node: Some(self.0) });
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            _ if self.is_blank() => visitor.visit_seq(Seq([].iter())),
            // A form field sent once, `<tags>jazz</tags>`: one text where a list is expected.
            Value::String(_) => visitor.visit_seq(Seq(std::slice::from_ref(self.0).iter())),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        // A table of one row (a CSV body) read as one object is that row.
        if let Value::Array(rows) = self.0
            && let [row @ Value::Object(_)] = rows.as_slice()
        {
            return Lenient(row).deserialize_any(visitor);
        }
        if self.is_blank() {
            visitor.visit_map(Entries {
                iter: EMPTY.iter(),
                value: None,
            })
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_borrowed_str(""),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            Value::Object(map) if map.len() == 1 => match map.iter().next() {
                Some((variant, value)) => visitor.visit_enum(Variant { variant, value }),
                None => Err(de::Error::invalid_length(0, &"one variant")),
            },
            _ => Err(de::Error::invalid_type(
                unexpected(self.0),
                &"an enum variant",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! { <W: Visitor<'a>> char identifier }
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'a> SeqAccess<'a> for Seq<'a> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'a> MapAccess<'a> for Entries<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Lenient(v)),
            None => Err(de::Error::custom("value asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Variant<'a> {
    variant: &'a str,
    value: &'a Value,
}

impl<'a> EnumAccess<'a> for Variant<'a> {
    type Error = Error;
    type Variant = Lenient<'a>;

    fn variant_seed<V: DeserializeSeed<'a>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let name = seed.deserialize(self.variant.into_deserializer())?;
        Ok((name, Lenient(self.value)))
    }
}

impl<'a> VariantAccess<'a> for Lenient<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use crate::{Parsed, TextTree};

    fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, crate::DataError> {
        Parsed::new(TextTree::new(v)).deserialize()
    }

    #[test]
    fn a_table_of_one_row_read_as_an_object_is_that_row() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Row {
            title: String,
            year: u16,
        }
        let one = json!([{"title": "So What", "year": "1959"}]);
        assert_eq!(
            parse::<Row>(one.clone()).unwrap(),
            Row {
                title: "So What".into(),
                year: 1959
            }
        );
        // Read as a list, it stays a list; two rows are no object.
        assert_eq!(parse::<Vec<Row>>(one).unwrap().len(), 1);
        let two = json!([{"title": "a", "year": "1"}, {"title": "b", "year": "2"}]);
        assert!(parse::<Row>(two).is_err());
    }

    #[test]
    fn numbers_are_coerced_and_bad_ones_named_by_path() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            n: Vec<i32>,
        }
        let err = parse::<T>(json!({"n": ["1", "x"]})).unwrap_err();
        assert_eq!(err.path(), "n[1]");
        assert!(
            err.message().contains("invalid value: string \"x\""),
            "{err}"
        );
        assert_eq!(
            parse::<Vec<f64>>(json!([" 1.5 ", "-2"])).unwrap(),
            vec![1.5, -2.0]
        );
    }

    #[test]
    fn enums_from_text_and_single_key_objects() {
        #[derive(Deserialize, Debug, PartialEq)]
        enum E {
            A,
            B(u8),
        }
        assert_eq!(parse::<E>(json!("A")).unwrap(), E::A);
        assert_eq!(parse::<E>(json!({"B": "7"})).unwrap(), E::B(7));
        assert!(parse::<E>(json!(["A"])).is_err());
    }

    #[test]
    fn one_text_where_a_list_is_expected_is_a_one_item_list() {
        assert_eq!(parse::<Vec<u8>>(json!("7")).unwrap(), vec![7]);
        assert_eq!(
            parse::<Vec<String>>(json!("")).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(parse::<serde_json::Value>(json!("7")).unwrap(), json!("7"));
    }

    #[test]
    fn dynamic_values_keep_strings() {
        let v = json!({"a": ["1", null], "b": {"c": "x"}});
        assert_eq!(parse::<serde_json::Value>(v.clone()).unwrap(), v);
    }
}
