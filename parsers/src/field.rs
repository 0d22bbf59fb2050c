//! One value of a body captured as it came, to be read later into its own type, and field
//! errors carried through serde's string-only errors: what a type needs to check every field
//! of a body and report every problem at once, whatever the format.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tree::Lenient;

/// The name a [`FieldValue`] asks for with `deserialize_newtype_struct`: a text-only document
/// ([`crate::TextTree`]) answers it with a one-entry map under this key, so the value knows its
/// strings are to be coerced; every other deserializer visits the newtype as usual.
pub(crate) const TEXT_ONLY_TOKEN: &str = "$restframe::private::TextOnly";

/// A value of a body (the whole document, or one field of it) captured as a
/// [`serde_json::Value`], with whether it came from a text-only format (XML, form, CSV), whose
/// strings are coerced to the type asked for. Reading it later with
/// [`FieldValue::deserialize`] behaves as reading the original document would, so a type can
/// read each field on its own and collect every error.
///
/// ```
/// use restframe_parsers::{FieldValue, Parsed, TextTree};
///
/// // A form body: text only, so "4" is an integer when one is asked for.
/// let form = Parsed::new(TextTree::new(serde_json::json!({"year": "4"})));
/// let mut body: FieldValue = form.deserialize().unwrap();
/// assert!(body.is_text_only());
/// assert_eq!(body.take("year").unwrap().deserialize::<i64>(), Ok(4));
///
/// // JSON is self-describing: a string is not an integer.
/// let json: FieldValue = serde_json::from_str(r#"{"year": "4"}"#).unwrap();
/// assert!(!json.is_text_only());
/// assert!(json.get("year").unwrap().deserialize::<i64>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    value: Value,
    text_only: bool,
}

impl FieldValue {
    /// A value, typed (from a self-describing format) or text only.
    ///
    /// ```
    /// use restframe_parsers::FieldValue;
    /// let v = FieldValue::new(serde_json::json!("4"), true);
    /// assert_eq!(v.deserialize::<u8>(), Ok(4));
    /// assert_eq!(v.value(), &serde_json::json!("4"));
    /// ```
    pub fn new(value: Value, text_only: bool) -> Self {
        Self { value, text_only }
    }

    /// The captured value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Whether it came from a text-only format, whose strings are coerced.
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// assert!(!FieldValue::new(serde_json::json!(4), false).is_text_only());
    /// ```
    pub fn is_text_only(&self) -> bool {
        self.text_only
    }

    /// Whether it is null.
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// assert!(FieldValue::new(serde_json::Value::Null, false).is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// Whether it is null or, in a text-only format, the empty text (the "nothing" of a form).
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// assert!(FieldValue::new(serde_json::json!(""), true).is_blank());
    /// assert!(!FieldValue::new(serde_json::json!(""), false).is_blank());
    /// ```
    pub fn is_blank(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::String(s) => self.text_only && s.is_empty(),
            _ => false,
        }
    }

    /// The type of the value in Python's words, as DRF names it in "Expected a dictionary,
    /// but got list.": `dict`, `list`, `str`, `int`, `float`, `bool` or `NoneType`.
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// assert_eq!(FieldValue::new(serde_json::json!([1]), false).kind(), "list");
    /// ```
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Object(_) => "dict",
            Value::Array(_) => "list",
            Value::String(_) => "str",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(_) => "int",
            Value::Bool(_) => "bool",
            Value::Null => "NoneType",
        }
    }

    /// The entry `key` of an object, as its own value (none when absent or not an object).
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// let v = FieldValue::new(serde_json::json!({"a": 1}), false);
    /// assert_eq!(v.get("a").map(|a| a.value().clone()), Some(serde_json::json!(1)));
    /// assert!(v.get("b").is_none());
    /// ```
    pub fn get(&self, key: &str) -> Option<FieldValue> {
        match &self.value {
            Value::Object(map) => map.get(key).map(|v| Self::new(v.clone(), self.text_only)),
            _ => None,
        }
    }

    /// Takes the entry `key` out of an object (none when absent or not an object).
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// let mut v = FieldValue::new(serde_json::json!({"a": 1}), false);
    /// assert!(v.take("a").is_some());
    /// assert!(v.take("a").is_none());
    /// ```
    pub fn take(&mut self, key: &str) -> Option<FieldValue> {
        match &mut self.value {
            Value::Object(map) => map.remove(key).map(|v| Self::new(v, self.text_only)),
            _ => None,
        }
    }

    /// Reads the value into `T` as the original document would have been read; `Err` is the
    /// deserializer's message.
    ///
    /// ```
    /// # use restframe_parsers::FieldValue;
    /// let v = FieldValue::new(serde_json::json!("x"), false);
    /// assert_eq!(v.deserialize::<String>(), Ok("x".to_owned()));
    /// assert!(v.deserialize::<bool>().is_err());
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, String> {
        if self.text_only {
            T::deserialize(Lenient(&self.value)).map_err(|e| e.to_string())
        } else {
            T::deserialize(&self.value).map_err(|e| e.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(TEXT_ONLY_TOKEN, Capture)
    }
}

/// Captures a value; a text-only document announces itself through [`TEXT_ONLY_TOKEN`].
struct Capture;

fn typed(value: Value) -> FieldValue {
    FieldValue::new(value, false)
}

impl<'de> Visitor<'de> for Capture {
    type Value = FieldValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<FieldValue, D::Error> {
        AnyValue::deserialize(d).map(|v| typed(v.0))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FieldValue, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key()? {
            if key == TEXT_ONLY_TOKEN && out.is_empty() {
                let AnyValue(value) = map.next_value()?;
                return Ok(FieldValue::new(value, true));
            }
            let AnyValue(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(typed(Value::Object(out)))
    }

    // A deserializer that does not pass newtypes on gives the value itself.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FieldValue, A::Error> {
        AnyVisitor.visit_seq(seq).map(typed)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<FieldValue, E> {
        AnyVisitor.visit_bool(v).map(typed)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldValue, E> {
        AnyVisitor.visit_i64(v).map(typed)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldValue, E> {
        AnyVisitor.visit_u64(v).map(typed)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<FieldValue, E> {
        AnyVisitor.visit_f64(v).map(typed)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldValue, E> {
        AnyVisitor.visit_str(v).map(typed)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<FieldValue, E> {
        AnyVisitor.visit_bytes(v).map(typed)
    }

    fn visit_unit<E: de::Error>(self) -> Result<FieldValue, E> {
        Ok(typed(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<FieldValue, E> {
        Ok(typed(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<FieldValue, D::Error> {
        AnyValue::deserialize(d).map(|v| typed(v.0))
    }
}

/// Any value as JSON, never failing on what JSON cannot hold, so that reading a body never
/// stops at the capture: a map key that is not text is its text (`1`, `true`), bytes are a
/// list of numbers, a number past 64 bits or not finite is its text.
struct AnyValue(Value);

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor).map(AnyValue)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or_else(|| Value::String(v.to_string()), Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(v.iter().map(|b| Value::from(*b)).collect()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        AnyValue::deserialize(d).map(|v| v.0)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        AnyValue::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(AnyValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key()? {
            let AnyValue(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess;
        let (Key(name), variant) = data.variant()?;
        let AnyValue(value) = variant.newtype_variant()?;
        Ok(Value::Object(Map::from_iter([(name, value)])))
    }
}

/// A map key as text, whatever its type.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = d.deserialize_any(AnyVisitor)?;
        Ok(Key(match value {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }
}

/// What a text-only document answers to [`TEXT_ONLY_TOKEN`]: one entry, the node under the
/// token.
pub(crate) struct TextOnlyEntry<'a> {
    pub(crate) node: Option<&'a Value>,
}

impl<'a> MapAccess<'a> for TextOnlyEntry<'a> {
    type Error = de::value::Error;

    fn next_key_seed<K: de::DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        if self.node.is_none() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(TEXT_ONLY_TOKEN))
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'a>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.node.take() {
            Some(node) => seed.deserialize(Lenient(node)),
            None => Err(de::Error::custom("value asked for before its key")),
        }
    }
}

/// Field errors (`(field, message)`, `""` for the body as a whole) raised from inside a
/// `Deserialize` impl, where serde lets only a message through: written into the message with
/// a marker and read back by [`DataError::field_errors`](crate::DataError::field_errors), so
/// the view can answer every field's errors at once.
///
/// ```
/// use restframe_parsers::{FieldErrors, Parsed, TextTree};
///
/// #[derive(Debug)]
/// struct Picky;
/// impl<'de> serde::Deserialize<'de> for Picky {
///     fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
///         let mut errors = FieldErrors::new();
///         errors.add("title", "This field is required.");
///         errors.add("year", "A valid integer is required.");
///         Err(serde::de::Error::custom(errors))
///     }
/// }
/// let err = Parsed::new(TextTree::new(serde_json::json!({}))).deserialize::<Picky>().unwrap_err();
/// assert_eq!(
///     err.field_errors().unwrap(),
///     [
///         ("title".to_owned(), "This field is required.".to_owned()),
///         ("year".to_owned(), "A valid integer is required.".to_owned()),
///     ]
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(Vec<(String, String)>);

/// Starts a message that carries [`FieldErrors`].
const FIELD_ERRORS_MARK: &str = "restframe field errors: ";

impl FieldErrors {
    /// None yet.
    ///
    /// ```
    /// assert!(restframe_parsers::FieldErrors::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `message` for `field` (`""`: the body as a whole).
    ///
    /// ```
    /// let mut errors = restframe_parsers::FieldErrors::new();
    /// errors.add("", "Bad pair.");
    /// assert_eq!(errors.into_vec(), [("".to_owned(), "Bad pair.".to_owned())]);
    /// ```
    pub fn add(&mut self, field: &str, message: impl fmt::Display) {
        self.0.push((field.to_owned(), message.to_string()));
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `(field, message)` pairs.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }

    /// The errors a message written by this type's `Display` carries.
    ///
    /// ```
    /// use restframe_parsers::FieldErrors;
    /// let mut errors = FieldErrors::new();
    /// errors.add("a", "Bad.");
    /// assert_eq!(FieldErrors::from_message(&errors.to_string()), Some(errors.clone()));
    /// let positioned = format!("{errors} at line 1 column 9");
    /// assert_eq!(FieldErrors::from_message(&positioned), Some(errors));
    /// assert_eq!(FieldErrors::from_message("invalid type: map"), None);
    /// ```
    pub fn from_message(message: &str) -> Option<Self> {
        let json = message.strip_prefix(FIELD_ERRORS_MARK)?;
        // A format may append its position (`at line 1 column 9`): read the JSON alone.
        serde_json::Deserializer::from_str(json)
            .into_iter::<Self>()
            .next()?
            .ok()
    }
}

impl From<Vec<(String, String)>> for FieldErrors {
    fn from(errors: Vec<(String, String)>) -> Self {
        Self(errors)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(FIELD_ERRORS_MARK)?;
        let json = serde_json::to_string(&self.0).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::FieldValue;
    use crate::{Parsed, TextTree};
    use serde_json::json;

    #[test]
    fn a_text_tree_says_it_is_text_only_at_every_depth() {
        let parsed = Parsed::new(TextTree::new(json!({"a": {"b": "1"}, "c": null})));
        let v: FieldValue = parsed.deserialize().unwrap();
        assert!(v.is_text_only());
        assert_eq!(v.value(), &json!({"a": {"b": "1"}, "c": null}));
        let a = v.get("a").unwrap();
        assert!(a.is_text_only());
        assert_eq!(a.get("b").unwrap().deserialize::<u8>(), Ok(1));
        assert!(v.get("c").unwrap().is_blank());
    }

    #[test]
    fn what_json_cannot_hold_is_captured_as_text_or_numbers() {
        use serde::de::value::{Error, MapDeserializer};
        let entries = vec![(1_i64, u128::MAX), (2, 7)];
        let de = MapDeserializer::<_, Error>::new(entries.into_iter());
        let v: FieldValue = serde::Deserialize::deserialize(de).unwrap();
        assert!(!v.is_text_only());
        assert_eq!(v.value(), &json!({"1": u128::MAX.to_string(), "2": 7}));
    }

    #[test]
    fn kinds_are_named_as_python_does() {
        let kinds: Vec<&str> = [json!([]), json!("x"), json!(1), json!(1.5), json!(true)]
            .into_iter()
            .map(|v| FieldValue::new(v, false).kind())
            .collect();
        assert_eq!(kinds, ["list", "str", "int", "float", "bool"]);
    }
}
