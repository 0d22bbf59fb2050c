//! serde_json's private structs whose one field is JSON text to copy: `RawValue` (feature
//! `raw_value`) and `Number` (feature `arbitrary_precision`). A user's crate may turn those
//! features on, so they are recognised by name whatever our own build of serde_json does. The
//! text is copied as serde_json copies it, then escaped as the post-pass over its output escapes
//! non-ASCII text.

use serde::ser::{self, Impossible, Serialize};

use super::{Compact, Error};
use crate::json::escape::write_raw;

/// Which private struct.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `$serde_json::private::Number`.
    Number,
    /// `$serde_json::private::RawValue`.
    RawValue,
}

impl Kind {
    /// The private struct called `name`, if it is one. Its single field has the same name.
    #[inline]
    pub(crate) fn of_struct(name: &str) -> Option<Self> {
        match name {
            "$serde_json::private::Number" => Some(Kind::Number),
            "$serde_json::private::RawValue" => Some(Kind::RawValue),
            _ => None,
        }
    }

    fn token(self) -> &'static str {
        match self {
            Kind::Number => "$serde_json::private::Number",
            Kind::RawValue => "$serde_json::private::RawValue",
        }
    }

    /// serde_json's error for a field with another name.
    fn wrong_field(self) -> Error {
        ser::Error::custom(match self {
            Kind::Number => "invalid number",
            Kind::RawValue => "expected value",
        })
    }

    /// serde_json's error for a field that is no string.
    fn wrong_type(self) -> Error {
        ser::Error::custom(match self {
            Kind::Number => "invalid number",
            Kind::RawValue => "expected RawValue",
        })
    }
}

/// One of the private structs being written.
pub(crate) struct RawStruct<'b, 'a> {
    ser: &'b mut Compact<'a>,
    kind: Kind,
}

impl<'b, 'a> RawStruct<'b, 'a> {
    /// Starts writing a `kind` struct: nothing is written until its field.
    pub(crate) fn new(ser: &'b mut Compact<'a>, kind: Kind) -> Self {
        Self { ser, kind }
    }

    /// The field: its string value copied as JSON text.
    pub(crate) fn field<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        if key != self.kind.token() {
            return Err(self.kind.wrong_field());
        }
        value.serialize(Emitter {
            ser: &mut *self.ser,
            kind: self.kind,
        })
    }
}

/// Copies a string as JSON text; everything else is an error, as in serde_json.
struct Emitter<'c, 'a> {
    ser: &'c mut Compact<'a>,
    kind: Kind,
}

impl Emitter<'_, '_> {
    fn fail<T>(self) -> Result<T, Error> {
        Err(self.kind.wrong_type())
    }
}

impl ser::Serializer for Emitter<'_, '_> {
    type Ok = ();
    type Error = Error;

    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_raw(self.ser.out, v, self.ser.ascii);
        Ok(())
    }

    // `collect_str` keeps serde's default: `serialize_str` of the `to_string()`, as serde_json.

    fn serialize_bool(self, _v: bool) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_i8(self, _v: i8) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_i16(self, _v: i16) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_i32(self, _v: i32) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_i64(self, _v: i64) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_i128(self, _v: i128) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_u8(self, _v: u8) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_u16(self, _v: u16) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_u32(self, _v: u32) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_u64(self, _v: u64) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_u128(self, _v: u128) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_char(self, _v: char) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        self.fail()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        self.fail()
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        self.fail()
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.fail()
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.fail()
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        self.fail()
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        self.fail()
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.fail()
    }
}
