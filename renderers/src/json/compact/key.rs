//! Map keys, by serde_json's `MapKeySerializer` rules: strings and chars as strings; integers,
//! finite floats and bools as their JSON text in quotes; a unit variant as its name; newtype
//! structs and `Some` as what they hold; anything else fails with "key must be a string".

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

use super::{Compact, Error};

/// Writes one map key through the serializer it borrows.
pub(crate) struct MapKey<'b, 'a> {
    pub(crate) ser: &'b mut Compact<'a>,
}

/// serde_json's error for a key that JSON cannot hold.
fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl MapKey<'_, '_> {
    /// An integer in quotes.
    fn quoted_int<I: itoa::Integer>(self, v: I) -> Result<(), Error> {
        self.ser.out.push(b'"');
        self.ser.write_int(v);
        self.ser.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;

    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.ser.write_str(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.ser.write_str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.ser
            .out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted_int(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.ser.out.push(b'"');
        self.ser.write_float(v);
        self.ser.out.push(b'"');
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.ser.out.push(b'"');
        self.ser.write_float(v);
        self.ser.out.push(b'"');
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.ser.write_str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.ser.collect_str(value)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

/// serde_json's error for a NaN or infinite float key.
fn float_key_must_be_finite() -> Error {
    ser::Error::custom("float key must be finite (got NaN or +/-inf)")
}
