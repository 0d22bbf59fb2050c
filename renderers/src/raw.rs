//! A serde serializer that accepts one kind of unstructured value and writes it out as is.
//!
//! Shared by the renderers that do not render structured data (plain text, static HTML, raw
//! bytes): each accepts a few serde data model types, writes them straight into the output, and
//! refuses everything else with a description of what it was given (`a map`, `the struct
//! `Track``), which the renderer turns into a message a person can act on.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::{Data, RenderError, as_serialize};

/// What a [`RawSink`] accepts.
// Each variant belongs to one renderer's feature; with only some of them on, the others are unused.
#[cfg_attr(
    not(all(feature = "text", feature = "html", feature = "binary")),
    allow(dead_code)
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accept {
    /// A string, char, bool or number (written as its text); `None` and `()` write nothing; a
    /// unit enum variant writes its name.
    Text,
    /// A string or char only.
    String,
    /// Bytes only (`serialize_bytes`, as `bytes::Bytes` does).
    Bytes,
}

/// Why a [`RawSink`] failed.
#[derive(Debug)]
pub(crate) enum RawError {
    /// The value is not of an accepted kind; the description says what it was (`a map`).
    Refused(String),
    /// The value's own `Serialize` impl failed with this message.
    Custom(String),
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(what) => write!(f, "got {what}"),
            Self::Custom(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for RawError {}

impl ser::Error for RawError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::Custom(msg.to_string())
    }
}

/// Writes `data` into `out` if it is of a kind `accept` allows. On refusal, `refused` builds the
/// error message from the description of what was given; nothing is left in `out` either way
/// unless rendering succeeded.
pub(crate) fn render(
    data: &dyn Data,
    accept: Accept,
    out: &mut Vec<u8>,
    refused: impl FnOnce(&str) -> String,
) -> Result<(), RenderError> {
    let start = out.len();
    let result = as_serialize(data).serialize(RawSink { out, accept });
    result.map_err(|e| {
        out.truncate(start);
        match e {
            RawError::Refused(what) => RenderError::server(refused(&what)),
            RawError::Custom(msg) => RenderError::server(msg),
        }
    })
}

/// The serializer: one value, no structure.
struct RawSink<'o> {
    out: &'o mut Vec<u8>,
    accept: Accept,
}

impl RawSink<'_> {
    fn refuse<T>(what: impl Into<String>) -> Result<T, RawError> {
        Err(RawError::Refused(what.into()))
    }

    /// Writes `text` if this sink takes text-like scalars (`Accept::Text`).
    fn scalar(self, text: impl fmt::Display, what: &str) -> Result<(), RawError> {
        if self.accept == Accept::Text {
            use std::io::Write;
            // Writing into a Vec cannot fail.
            let _ = write!(self.out, "{text}");
            Ok(())
        } else {
            Self::refuse(what)
        }
    }

    fn float(self, v: f64) -> Result<(), RawError> {
        if v.is_finite() {
            // The same text as JSON (`1.0`, `1e20`), not Rust's `Display` (`1`, `100000…`).
            let text = serde_json::Number::from_f64(v).map(|n| n.to_string());
            self.scalar(text.unwrap_or_else(|| v.to_string()), "a float")
        } else {
            self.scalar(v, "a float")
        }
    }
}

impl<'o> ser::Serializer for RawSink<'o> {
    type Ok = ();
    type Error = RawError;
    type SerializeSeq = Impossible<(), RawError>;
    type SerializeTuple = Impossible<(), RawError>;
    type SerializeTupleStruct = Impossible<(), RawError>;
    type SerializeTupleVariant = Impossible<(), RawError>;
    type SerializeMap = Impossible<(), RawError>;
    type SerializeStruct = Impossible<(), RawError>;
    type SerializeStructVariant = Impossible<(), RawError>;

    fn serialize_bool(self, v: bool) -> Result<(), RawError> {
        self.scalar(v, "a bool")
    }

    fn serialize_i8(self, v: i8) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_i16(self, v: i16) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_i32(self, v: i32) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_i64(self, v: i64) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_i128(self, v: i128) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_u8(self, v: u8) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_u16(self, v: u16) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_u32(self, v: u32) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_u64(self, v: u64) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_u128(self, v: u128) -> Result<(), RawError> {
        self.scalar(v, "an integer")
    }

    fn serialize_f32(self, v: f32) -> Result<(), RawError> {
        self.float(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), RawError> {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Result<(), RawError> {
        let mut buf = [0; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }

    fn serialize_str(self, v: &str) -> Result<(), RawError> {
        match self.accept {
            Accept::Text | Accept::String => {
                self.out.extend_from_slice(v.as_bytes());
                Ok(())
            }
            Accept::Bytes => Self::refuse("a string"),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), RawError> {
        match self.accept {
            Accept::Bytes => {
                self.out.extend_from_slice(v);
                Ok(())
            }
            Accept::Text | Accept::String => Self::refuse("bytes"),
        }
    }

    fn serialize_none(self) -> Result<(), RawError> {
        self.scalar("", "None")
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), RawError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), RawError> {
        self.scalar("", "a unit value `()`")
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<(), RawError> {
        Self::refuse(format!("the unit struct `{name}`"))
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), RawError> {
        // As in JSON, a unit variant is its name.
        let what = format!("the enum variant `{name}::{variant}`");
        self.scalar(variant, &what)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), RawError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), RawError> {
        Self::refuse(format!("the enum variant `{name}::{variant}`"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, RawError> {
        Self::refuse("a sequence")
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, RawError> {
        Self::refuse("a tuple")
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, RawError> {
        Self::refuse(format!("the tuple struct `{name}`"))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, RawError> {
        Self::refuse(format!("the enum variant `{name}::{variant}`"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, RawError> {
        Self::refuse("a map")
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, RawError> {
        Self::refuse(format!("the struct `{name}`"))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, RawError> {
        Self::refuse(format!("the enum variant `{name}::{variant}`"))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), RawError> {
        self.serialize_str(&value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(data: &dyn Data, accept: Accept) -> Result<Vec<u8>, String> {
        let mut out = b"kept".to_vec();
        match render(data, accept, &mut out, |what| format!("refused: {what}")) {
            Ok(()) => Ok(out[4..].to_vec()),
            Err(e) => {
                assert_eq!(out, b"kept", "a refusal leaves the output as it was");
                Err(e.to_string())
            }
        }
    }

    #[test]
    fn text_takes_scalars_and_writes_floats_as_json_does() {
        assert_eq!(raw(&1.0_f64, Accept::Text).unwrap(), b"1.0");
        assert_eq!(raw(&-7_i64, Accept::Text).unwrap(), b"-7");
        assert_eq!(raw(&f64::NAN, Accept::Text).unwrap(), b"NaN");
        assert_eq!(raw(&Some('x'), Accept::Text).unwrap(), b"x");
        assert_eq!(raw(&None::<u8>, Accept::Text).unwrap(), b"");
    }

    #[test]
    fn refusals_name_what_was_given() {
        #[derive(Serialize)]
        struct Track {
            n: u8,
        }
        #[derive(Serialize)]
        enum Kind {
            Single(u8),
        }
        assert_eq!(
            raw(&Track { n: 1 }, Accept::Text).unwrap_err(),
            "refused: the struct `Track`"
        );
        assert_eq!(
            raw(&Kind::Single(1), Accept::Text).unwrap_err(),
            "refused: the enum variant `Kind::Single`"
        );
        assert_eq!(
            raw(&(1, 2), Accept::String).unwrap_err(),
            "refused: a tuple"
        );
        assert_eq!(raw(&"s", Accept::Bytes).unwrap_err(), "refused: a string");
    }

    #[test]
    fn a_failing_serialize_impl_keeps_its_own_message() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(ser::Error::custom("the database went away"))
            }
        }
        assert_eq!(
            raw(&Broken, Accept::Text).unwrap_err(),
            "the database went away"
        );
    }
}
