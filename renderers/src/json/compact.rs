//! Compact JSON written by our own `serde::Serializer`, byte for byte what serde_json's compact
//! serializer followed by [`super::escape_non_ascii`] writes, in one pass.
//!
//! serde_json escapes strings a byte at a time through a table and reaches its writer through
//! `io::Write`; here strings are scanned a word at a time ([`super::escape`]) and the non-ASCII
//! escaping happens in the same scan, so the output needs no second look. Everything else
//! (numbers through `itoa` and `zmij`, the object and array punctuation, map keys, serde_json's
//! private raw-value and number structs) follows serde_json's `ser.rs`.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use super::escape::{StrContents, write_str_contents};

mod key;
mod raw;
#[cfg(test)]
mod tests;

/// The error type: serde_json's, so that the messages (a `Serialize` impl's own included) read
/// exactly as they did when serde_json wrote the output.
pub(crate) type Error = serde_json::Error;

/// Writes `value` as compact JSON at the end of `out`; `ascii` escapes every non-ASCII character
/// (else only U+2028 and U+2029). On error, `out` may hold part of the value.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    ascii: bool,
) -> Result<(), Error> {
    value.serialize(&mut Compact {
        out,
        ascii,
        names: [(0, 0); NAMES],
    })
}

/// How many field names [`Compact`] remembers as needing no escape.
const NAMES: usize = 64;

/// How many slots a name may take from the one its address picks (linear probing): names that
/// pick the same slot each keep one of their own, not take it from each other on every row.
const PROBES: usize = 4;

/// The serializer: where the JSON goes and how non-ASCII text is written.
pub(crate) struct Compact<'a> {
    out: &'a mut Vec<u8>,
    ascii: bool,
    /// Struct field names (`&'static str`, so their address is theirs for good) found to need
    /// no escape, as (address, length), each in the first free slot of the [`PROBES`] from the
    /// one its address picks; `(0, 0)` is free. A page of 100 rows of 12 fields scans 12
    /// names, not 1,200.
    names: [(usize, usize); NAMES],
}

impl<'a> Compact<'a> {
    /// A JSON string.
    #[inline]
    fn write_str(&mut self, s: &str) {
        self.out.push(b'"');
        write_str_contents(self.out, s, self.ascii);
        self.out.push(b'"');
    }

    /// A struct field's name and its colon: copied when it is a name already found to need no
    /// escape, else escaped (and remembered when it needed none and a slot is free).
    #[inline]
    fn write_field_name(&mut self, name: &'static str) {
        let key = (name.as_ptr() as usize, name.len());
        // Fibonacci hashing: the top six bits of the address times 2^64 / φ.
        let home = ((key.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize;
        self.out.push(b'"');
        let mut free = None;
        for probe in 0..PROBES {
            let slot = (home + probe) % NAMES;
            match self.names.get(slot) {
                Some(&known) if known == key => {
                    self.out.extend_from_slice(name.as_bytes());
                    self.out.extend_from_slice(b"\":");
                    return;
                }
                Some((0, _)) => {
                    free = Some(slot);
                    break;
                }
                _ => {}
            }
        }
        let start = self.out.len();
        write_str_contents(self.out, name, self.ascii);
        // As long as the name: nothing was escaped, so the bytes are the name's.
        if self.out.len() - start == name.len()
            && let Some(remembered) = free.and_then(|slot| self.names.get_mut(slot))
        {
            *remembered = key;
        }
        self.out.extend_from_slice(b"\":");
    }

    /// An integer, as serde_json writes it.
    #[inline]
    fn write_int<I: itoa::Integer>(&mut self, value: I) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A finite float, as serde_json writes it.
    #[inline]
    fn write_float<F: zmij::Float>(&mut self, value: F) {
        self.out
            .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    }

    /// `"`, the `Display` output of `value` escaped, `"`; no intermediate `String`.
    fn collect_str<T: fmt::Display + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.out.push(b'"');
        let mut contents = StrContents {
            out: self.out,
            ascii: self.ascii,
        };
        // Our writer never fails, so an error is the `Display` impl's own. serde_json panics
        // here; an error is kinder.
        if write!(contents, "{value}").is_err() {
            return Err(ser::Error::custom(
                "a Display implementation returned an error unexpectedly",
            ));
        }
        self.out.push(b'"');
        Ok(())
    }

    /// `{"variant":`, the start of an externally tagged variant with content.
    #[inline]
    fn begin_variant(&mut self, variant: &str) {
        self.out.push(b'{');
        self.write_str(variant);
        self.out.push(b':');
    }

    /// An array (`open` `[`) or object (`{`) whose length is `len`: closed at once when empty,
    /// as serde_json does (a `Serialize` impl that then adds elements anyway gets what
    /// serde_json writes: a comma before each).
    #[inline]
    fn begin<'b>(&'b mut self, open: u8, len: Option<usize>) -> Compound<'b, 'a> {
        self.out.push(open);
        let state = if len == Some(0) {
            self.out.push(open + 2); // `]` and `}` follow `[` and `{` by two.
            State::Empty
        } else {
            State::First
        };
        Compound { ser: self, state }
    }
}

impl<'b, 'a> ser::Serializer for &'b mut Compact<'a> {
    type Ok = ();
    type Error = Error;

    type SerializeSeq = Compound<'b, 'a>;
    type SerializeTuple = Compound<'b, 'a>;
    type SerializeTupleStruct = Compound<'b, 'a>;
    type SerializeTupleVariant = Compound<'b, 'a>;
    type SerializeMap = Compound<'b, 'a>;
    type SerializeStruct = Struct<'b, 'a>;
    type SerializeStructVariant = Compound<'b, 'a>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    #[inline]
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.write_int(v);
        Ok(())
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            self.write_float(v);
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.write_float(v);
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    #[inline]
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.write_str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.write_str(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.out.push(b'[');
        for (i, byte) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.write_int(*byte);
        }
        self.out.push(b']');
        Ok(())
    }

    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    #[inline]
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.write_str(variant);
        Ok(())
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.begin_variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'b, 'a>, Error> {
        Ok(self.begin(b'[', len))
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'b, 'a>, Error> {
        Ok(self.begin(b'[', Some(len)))
    }

    #[inline]
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'b, 'a>, Error> {
        Ok(self.begin(b'[', Some(len)))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'b, 'a>, Error> {
        self.begin_variant(variant);
        Ok(self.begin(b'[', Some(len)))
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'b, 'a>, Error> {
        Ok(self.begin(b'{', len))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Struct<'b, 'a>, Error> {
        Ok(match raw::Kind::of_struct(name) {
            Some(kind) => Struct::Raw(raw::RawStruct::new(self, kind)),
            None => Struct::Fields(self.begin(b'{', Some(len))),
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'b, 'a>, Error> {
        self.begin_variant(variant);
        Ok(self.begin(b'{', Some(len)))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        Compact::collect_str(self, value)
    }
}

/// Where an array or object is: serde_json's `State`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Declared empty, and already closed.
    Empty,
    /// Nothing written yet.
    First,
    /// At least one element or entry written.
    Rest,
}

/// An array or object being written.
pub(crate) struct Compound<'b, 'a> {
    ser: &'b mut Compact<'a>,
    state: State,
}

impl Compound<'_, '_> {
    /// The comma before every element or entry but the first.
    #[inline]
    fn separate(&mut self) {
        if self.state != State::First {
            self.ser.out.push(b',');
        }
        self.state = State::Rest;
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.ser)
    }

    /// A struct's field, whose name is `'static` ([`Compact::write_field_name`]).
    #[inline]
    fn struct_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.separate();
        self.ser.write_field_name(key);
        value.serialize(&mut *self.ser)
    }

    /// Closes with `close` unless closed at the start; then `}` for a variant's wrapper.
    #[inline]
    fn end(self, close: u8, variant: bool) {
        if self.state != State::Empty {
            self.ser.out.push(close);
        }
        if variant {
            self.ser.out.push(b'}');
        }
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b']', false);
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b']', false);
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b']', false);
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b']', true);
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(key::MapKey { ser: self.ser })
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b'}', false);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.struct_field(key, value)
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b'}', true);
        Ok(())
    }
}

/// A struct being written: an object, or one of serde_json's private structs whose single
/// field is JSON text to copy.
pub(crate) enum Struct<'b, 'a> {
    /// An ordinary struct: an object.
    Fields(Compound<'b, 'a>),
    /// `serde_json::value::RawValue` or an `arbitrary_precision` number.
    Raw(raw::RawStruct<'b, 'a>),
}

impl ser::SerializeStruct for Struct<'_, '_> {
    type Ok = ();
    type Error = Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match self {
            Struct::Fields(fields) => fields.struct_field(key, value),
            Struct::Raw(raw) => raw.field(key, value),
        }
    }

    #[inline]
    fn end(self) -> Result<(), Error> {
        if let Struct::Fields(fields) = self {
            fields.end(b'}', false);
        }
        Ok(())
    }
}
