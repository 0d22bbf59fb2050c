//! Differential tests: the compact path of `json::write` against what it replaced,
//! `serde_json::to_vec` followed by `escape_non_ascii`, in both ASCII and Unicode modes.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::json::{JsonStyle, escape_non_ascii, write};

/// serde_json's compact output plus the post-pass, or serde_json's error message.
fn reference<T: Serialize + ?Sized>(value: &T, ascii: bool) -> Result<Vec<u8>, String> {
    let mut out = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    if !out.is_ascii() {
        escape_non_ascii(&mut out, 0, ascii);
    }
    Ok(out)
}

/// The compact path, after a prefix it must leave alone; the output without the prefix.
fn ours<T: Serialize + ?Sized>(value: &T, ascii: bool) -> Result<Vec<u8>, String> {
    let mut out = b"prefix".to_vec();
    let style = JsonStyle {
        indent: None,
        ascii,
    };
    match write(value, &mut out, &style) {
        Ok(()) => {
            assert!(out.starts_with(b"prefix"));
            Ok(out.split_off(6))
        }
        Err(e) => {
            assert_eq!(out, b"prefix", "an error must leave the output as it was");
            Ok::<_, String>(()).and(Err(e.message().to_owned()))
        }
    }
}

/// Our output in `ascii` mode, as text.
fn ours_text<T: Serialize + ?Sized>(value: &T, ascii: bool) -> String {
    String::from_utf8(ours(value, ascii).expect("no error")).expect("UTF-8")
}

/// Asserts that both paths write the same bytes (or fail with the same message), both modes.
#[track_caller]
fn same<T: Serialize + ?Sized>(value: &T) {
    for ascii in [true, false] {
        let expected = reference(value, ascii);
        let got = ours(value, ascii);
        if expected != got {
            let show = |r: &Result<Vec<u8>, String>| match r {
                Ok(bytes) => format!("Ok({})", String::from_utf8_lossy(bytes)),
                Err(e) => format!("Err({e})"),
            };
            panic!(
                "ascii={ascii}\n  serde_json: {}\n  ours:       {}",
                show(&expected),
                show(&got)
            );
        }
    }
}

/// Checks a string as a value, as a map key and inside an array.
#[track_caller]
fn same_str(s: &str) {
    same(s);
    same(&BTreeMap::from([(s, 1)]));
    same(&(s, s));
}

#[test]
fn every_ascii_byte_alone_and_at_every_offset_of_a_word() {
    for byte in 0..0x80u8 {
        let c = char::from(byte);
        same(&c);
        same_str(&c.to_string());
        for before in 0..17 {
            for after in [0, 1, 7, 8, 16] {
                let s = format!("{}{c}{}", "a".repeat(before), "b".repeat(after));
                same_str(&s);
            }
        }
    }
}

#[test]
fn two_escapes_in_a_word_and_escapes_only() {
    for before in 0..17 {
        let pad = "x".repeat(before);
        same_str(&format!("{pad}\"\\{pad}\n\t"));
        same_str(&format!("{pad}\u{0}\u{1f}\u{7f}"));
    }
    same_str(&"\"".repeat(40));
    same_str(&"\\\n".repeat(40));
    same_str(&"\u{1}".repeat(17));
    same_str("");
}

/// Non-ASCII characters, among them others that start with 0xE2 like U+2028 and U+2029.
const NON_ASCII: [&str; 12] = [
    "\u{e9}",
    "\u{1f600}",
    "\u{2028}",
    "\u{2029}",
    "\u{ffff}",
    "\u{10000}",
    "\u{10ffff}",
    "\u{2027}",
    "\u{202a}",
    "\u{2000}",
    "\u{20ac}",
    "\u{80}",
];

#[test]
fn multi_byte_utf8_at_every_offset_of_a_word() {
    for c in NON_ASCII {
        same_str(c);
        for before in 0..17 {
            for after in [0, 1, 7, 9] {
                same_str(&format!("{}{c}{}", "a".repeat(before), "b".repeat(after)));
                same_str(&format!(
                    "{}{c}{c}\"{}",
                    "\u{e9}".repeat(before),
                    "z".repeat(after)
                ));
            }
        }
    }
    same_str(&NON_ASCII.concat());
    same_str(&NON_ASCII.join("\n"));
}

#[test]
fn long_strings_with_escapes_near_the_end() {
    for len in 64..90 {
        let body = "q".repeat(len);
        for escape in ["\"", "\\", "\n", "\u{1}", "\u{e9}", "\u{2028}", "\u{1f600}"] {
            same_str(&format!("{body}{escape}"));
            same_str(&format!("{body}{escape}z"));
            same_str(&format!("{body}{escape}zzzzzzz"));
            same_str(&format!("{escape}{body}{escape}"));
        }
    }
}

#[test]
fn escapes_are_serde_jsons_and_unicode_mode_keeps_utf8() {
    assert_eq!(
        ours_text("\u{8}\u{c}\n\r\t\"\\\u{0}\u{1f}\u{7f}", true),
        "\"\\b\\f\\n\\r\\t\\\"\\\\\\u0000\\u001f\u{7f}\""
    );
    assert_eq!(
        ours_text("\u{e9}\u{2028}\u{1f600}\u{20ac}", false),
        "\"\u{e9}\\u2028\u{1f600}\u{20ac}\""
    );
    assert_eq!(
        ours_text("\u{e9}\u{2029}\u{1f600}", true),
        r#""\u00e9\u2029\ud83d\ude00""#
    );
}

/// A `Display` value written in several pieces, escapes split between them.
struct Pieces(&'static [&'static str]);

impl fmt::Display for Pieces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|p| f.write_str(p))
    }
}

impl Serialize for Pieces {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A `Display` value written a character at a time, as chrono writes dates.
struct CharByChar(&'static str);

impl fmt::Display for CharByChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        self.0.chars().try_for_each(|c| f.write_char(c))
    }
}

impl Serialize for CharByChar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[test]
fn collect_str_escapes_each_piece() {
    let all_ascii: String = (0..0x80u8).map(char::from).collect();
    same(&CharByChar(all_ascii.leak()));
    same(&CharByChar(
        "\u{80}\u{ff}\u{e9}\u{2028}\u{2029}\u{1f600}\u{20ac} \"\\",
    ));
    same(&Pieces(&[]));
    same(&Pieces(&["plain"]));
    same(&Pieces(&[
        "a\"",
        "\\b",
        "\u{2028}",
        "\u{e9}\n",
        "",
        "\u{1f600}x",
    ]));
    same(&vec![Pieces(&["0123456", "\u{1}"]), Pieces(&["\u{2029}"])]);
    same(&BTreeMap::from([(1, Pieces(&["k", "\u{e9}"]))]));
    let when = chrono::DateTime::from_timestamp(1_714_567_890, 123_456_000).expect("a date");
    same(&when);
    same(&chrono::NaiveDate::from_ymd_opt(1959, 8, 17));
}

/// A `Display` that fails on its own.
struct FailingDisplay;

impl fmt::Display for FailingDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[test]
fn a_failing_display_is_an_error_not_a_panic() {
    struct Collect;
    impl Serialize for Collect {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&FailingDisplay)
        }
    }
    // serde_json panics here ("there should be an error"); we do not replicate that.
    assert_eq!(
        ours(&vec![Collect], true),
        Err("a Display implementation returned an error unexpectedly".to_owned())
    );
}

#[derive(Serialize)]
struct UnitStruct;

#[derive(Serialize)]
struct Newtype(i32);

#[derive(Serialize)]
struct TupleStruct(i32, &'static str, ());

#[derive(Serialize)]
struct EmptyStruct {}

/// `serialize_bytes`, which serde's derive never calls for `Vec<u8>`.
struct Bytes(&'static [u8]);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
enum Variant {
    Unit,
    #[serde(rename = "Ren\u{e9}\"e")]
    Renamed,
    Newtype(String),
    Tuple(i32, bool),
    EmptyTuple(),
    Struct {
        a: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u8>,
    },
    EmptyStruct {},
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Internal {
    A { x: i32 },
    B(Newtype2),
    C,
}

#[derive(Serialize)]
struct Newtype2 {
    y: &'static str,
}

#[derive(Serialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    A(i32),
    B { z: bool },
}

#[derive(Serialize)]
#[serde(untagged)]
enum Untagged {
    A(i32),
    B { z: bool },
    C,
}

/// Every data-model method, fields skipped on the `serialize_struct` path.
#[derive(Serialize)]
struct Everything {
    t: bool,
    f: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    i128: i128,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    f32: f32,
    f64: f64,
    c: char,
    s: String,
    bytes: Bytes,
    empty_bytes: Bytes,
    none: Option<i32>,
    some_none: Option<Option<i32>>,
    some_some: Option<Option<i32>>,
    unit: (),
    unit_struct: UnitStruct,
    newtype: Newtype,
    tuple: (i32, String),
    tuple_struct: TupleStruct,
    empty_struct: EmptyStruct,
    variants: Vec<Variant>,
    internal: Vec<Internal>,
    adjacent: Vec<Adjacent>,
    untagged: Vec<Untagged>,
    map: BTreeMap<String, Vec<i32>>,
    empty_map: BTreeMap<String, i32>,
    empty_vec: Vec<i32>,
    #[serde(skip)]
    _skipped: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped_none: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_some: Option<i32>,
    #[serde(rename = "r\u{e9}\"named\u{2028}")]
    renamed: i32,
}

/// The same kind of data through `serialize_map`, which `flatten` uses.
#[derive(Serialize)]
struct Flattened {
    id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    gone: Option<u32>,
    #[serde(flatten)]
    inner: Newtype2,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
    #[serde(flatten)]
    variant: Option<Internal>,
}

fn everything(seed: i64) -> Everything {
    Everything {
        t: true,
        f: false,
        i8: i8::MIN,
        i16: i16::MIN + seed as i16,
        i32: i32::MIN,
        i64: i64::MIN + seed,
        i128: i128::MIN,
        u8: u8::MAX,
        u16: u16::MAX,
        u32: u32::MAX,
        u64: u64::MAX,
        u128: u128::MAX,
        f32: 0.1,
        f64: -0.0,
        c: '\u{2028}',
        s: "x\u{e9}\"y".into(),
        bytes: Bytes(&[0, 1, 127, 128, 255]),
        empty_bytes: Bytes(&[]),
        none: None,
        some_none: Some(None),
        some_some: Some(Some(seed as i32)),
        unit: (),
        unit_struct: UnitStruct,
        newtype: Newtype(-7),
        tuple: (3, "t\u{1f600}".into()),
        tuple_struct: TupleStruct(1, "two", ()),
        empty_struct: EmptyStruct {},
        variants: vec![
            Variant::Unit,
            Variant::Renamed,
            Variant::Newtype("n\n".into()),
            Variant::Tuple(-1, true),
            Variant::EmptyTuple(),
            Variant::Struct { a: 1, b: None },
            Variant::Struct { a: 2, b: Some(3) },
            Variant::EmptyStruct {},
        ],
        internal: vec![
            Internal::A { x: 1 },
            Internal::B(Newtype2 { y: "\u{e9}" }),
            Internal::C,
        ],
        adjacent: vec![Adjacent::A(4), Adjacent::B { z: false }],
        untagged: vec![Untagged::A(5), Untagged::B { z: true }, Untagged::C],
        map: BTreeMap::from([("k\u{2029}".into(), vec![1, 2]), ("".into(), vec![])]),
        empty_map: BTreeMap::new(),
        empty_vec: Vec::new(),
        _skipped: 9,
        skipped_none: None,
        kept_some: Some(8),
        renamed: 10,
    }
}

#[test]
fn every_data_model_method_derived() {
    same(&everything(0));
    same(&vec![everything(1), everything(2)]);
    same(&Variant::Tuple(0, false));
    same(&Variant::EmptyStruct {});
    same(&UnitStruct);
    same(&());
    same(&Bytes(b"\x00\xff"));
    let flattened = Flattened {
        id: 1,
        gone: None,
        inner: Newtype2 { y: "why" },
        extra: BTreeMap::from([
            ("caf\u{e9}".into(), json!([1, "\u{2028}"])),
            ("n".into(), Value::Null),
        ]),
        variant: Some(Internal::A { x: 3 }),
    };
    same(&flattened);
    same(&Flattened {
        gone: Some(2),
        extra: BTreeMap::new(),
        variant: None,
        ..flattened
    });
}

#[test]
fn numbers_as_serde_json_writes_them() {
    for f in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        1e300,
        -1e300,
        0.1,
        1.0,
        -1.5,
        1e21,
        1e22,
        1e-7,
        123_456_789.0,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
    ] {
        same(&f);
        same(&(f as f32));
        same(&vec![Some(f)]);
    }
    same(&[
        f32::NAN,
        f32::INFINITY,
        f32::MAX,
        f32::MIN_POSITIVE,
        16_777_217.0,
    ]);
    same(&(i128::MIN, i128::MAX, u128::MAX, u128::MIN));
    same(&(i64::MIN, i64::MAX, u64::MAX, i8::MIN, u8::MAX, 0i32, -1i16));
    same(&(true, false));
}

/// A one-entry map whose key is `K`, through `serialize_map`.
struct KeyMap<K>(K);

impl<K: Serialize> Serialize for KeyMap<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(&self.0, &1)?;
        map.serialize_entry(&self.0, &2)?;
        map.end()
    }
}

#[derive(Serialize)]
enum KeyVariant {
    Plain,
    #[serde(rename = "r\u{e9}")]
    Renamed,
    Newtype(i32),
    Tuple(i32, i32),
    Struct {
        a: i32,
    },
}

#[derive(Serialize)]
struct KeyNewtype(&'static str);

#[derive(Serialize)]
struct KeyNewtypeInt(u64);

#[derive(Serialize)]
struct KeyStruct {
    a: i32,
}

/// A key that is a string through `collect_str`.
struct KeyDisplay;

impl Serialize for KeyDisplay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("d\u{e9}{}", 7))
    }
}

#[test]
fn map_keys_of_every_kind() {
    same(&KeyMap("s\u{2028}\"\u{e9}"));
    same(&KeyMap(String::from("owned")));
    same(&KeyMap('\u{1f600}'));
    same(&KeyMap('"'));
    same(&KeyMap(true));
    same(&KeyMap(false));
    same(&KeyMap(i8::MIN));
    same(&KeyMap(i16::MIN));
    same(&KeyMap(i32::MIN));
    same(&KeyMap(i64::MIN));
    same(&KeyMap(i128::MIN));
    same(&KeyMap(u8::MAX));
    same(&KeyMap(u16::MAX));
    same(&KeyMap(u32::MAX));
    same(&KeyMap(u64::MAX));
    same(&KeyMap(u128::MAX));
    same(&KeyMap(0.1f32));
    same(&KeyMap(-0.0f64));
    same(&KeyMap(1e300f64));
    same(&KeyMap(KeyVariant::Plain));
    same(&KeyMap(KeyVariant::Renamed));
    same(&KeyMap(KeyNewtype("nt\u{e9}")));
    same(&KeyMap(KeyNewtypeInt(42)));
    same(&KeyMap(Some("some")));
    same(&KeyMap(Some(3u8)));
    same(&KeyMap(KeyDisplay));
    same(&BTreeMap::from([(1, "a"), (-2, "b")]));
    same(&BTreeMap::from([(true, 1)]));
    same(&BTreeMap::from([('c', 1)]));
}

#[test]
fn map_keys_json_cannot_hold_fail_as_in_serde_json() {
    let failures: Vec<Box<dyn erased_serde::Serialize>> = vec![
        Box::new(KeyMap(None::<&str>)),
        Box::new(KeyMap(())),
        Box::new(KeyMap(UnitStruct)),
        Box::new(KeyMap(Bytes(b"k"))),
        Box::new(KeyMap(KeyVariant::Newtype(1))),
        Box::new(KeyMap(KeyVariant::Tuple(1, 2))),
        Box::new(KeyMap(KeyVariant::Struct { a: 1 })),
        Box::new(KeyMap((1, 2))),
        Box::new(KeyMap(TupleStruct(1, "a", ()))),
        Box::new(KeyMap(vec![1])),
        Box::new(KeyMap(BTreeMap::from([(1, 2)]))),
        Box::new(KeyMap(KeyStruct { a: 1 })),
        Box::new(KeyMap(Some(()))),
        Box::new(KeyMap(f64::NAN)),
        Box::new(KeyMap(f32::INFINITY)),
        Box::new(KeyMap(f64::NEG_INFINITY)),
        Box::new(vec![KeyMap(1), KeyMap(2)]),
    ];
    for value in &failures {
        same(value);
    }
    assert_eq!(
        ours(&KeyMap(()), true),
        Err("key must be a string".to_owned())
    );
    assert_eq!(
        ours(&KeyMap(f64::NAN), false),
        Err("float key must be finite (got NaN or +/-inf)".to_owned())
    );
}

/// Fails with `message` after writing part of an object.
struct FailsInside(&'static str);

impl Serialize for FailsInside {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FailsInside", 2)?;
        st.serialize_field("ok", "written")?;
        Err(serde::ser::Error::custom(self.0))
    }
}

#[test]
fn errors_read_as_serde_jsons_and_leave_the_output_as_it_was() {
    same(&FailsInside("plain"));
    same(&vec![json!({"a": 1}), Value::Null]);
    // serde_json parses a trailing position out of custom messages and drops it at line 0.
    same(&vec![FailsInside("bad at line 0 column 3")]);
    assert_eq!(
        ours(&FailsInside("bad at line 0 column 3"), true),
        Err("bad".to_owned())
    );
    same(&FailsInside("bad at line 4 column 3"));
}

/// Declares a length and then writes a different number of elements, as serde_json allows.
struct LyingLengths;

impl Serialize for LyingLengths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(0))?;
        seq.serialize_element(&EmptyButFull)?;
        seq.serialize_element(&2)?;
        seq.end()
    }
}

/// An object declared empty that has entries.
struct EmptyButFull;

impl Serialize for EmptyButFull {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(0))?;
        map.serialize_entry("k", &1)?;
        map.end()
    }
}

#[test]
fn declared_empty_containers_are_closed_at_once_as_in_serde_json() {
    same(&LyingLengths);
    same(&EmptyButFull);
    same(&Vec::<i32>::new());
    same(&BTreeMap::<i32, i32>::new());
}

/// Serialises differently for humans, as many types (IP addresses, times) do.
struct HumanOrNot;

impl Serialize for HumanOrNot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str("human")
        } else {
            s.serialize_u8(0)
        }
    }
}

#[test]
fn is_human_readable() {
    same(&HumanOrNot);
    assert_eq!(ours_text(&HumanOrNot, true), "\"human\"");
}

/// serde_json's private struct, by name, with one field of the given name and value.
struct Private<V> {
    name: &'static str,
    field: &'static str,
    value: V,
}

impl<V: Serialize> Serialize for Private<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct(self.name, 1)?;
        st.serialize_field(self.field, &self.value)?;
        st.end()
    }
}

const RAW: &str = "$serde_json::private::RawValue";
const NUMBER: &str = "$serde_json::private::Number";

fn raw<V>(value: V) -> Private<V> {
    Private {
        name: RAW,
        field: RAW,
        value,
    }
}

#[test]
fn raw_values_are_copied_with_non_ascii_escaped_as_the_post_pass_did() {
    let text = r#"{"caf\u{e9}" : [1, "a\"b"], "s":"é\u{2028}😀" }"#;
    let mut expected = format!("[{text},2]").into_bytes();
    escape_non_ascii(&mut expected, 0, true);
    assert_eq!(ours(&(raw(text), 2), true), Ok(expected));
    let mut expected = format!("[{text},2]").into_bytes();
    escape_non_ascii(&mut expected, 0, false);
    assert_eq!(ours(&(raw(text), 2), false), Ok(expected));
    // serde_json builds the raw value's text with `to_string` when it comes through `collect_str`.
    assert_eq!(ours_text(&raw(Pieces(&["[1,", "2]"])), true), "[1,2]");
    // An `arbitrary_precision` number: its digits, as they are.
    let number = Private {
        name: NUMBER,
        field: NUMBER,
        value: "123456789012345678901234567890.5",
    };
    assert_eq!(
        ours_text(&vec![number], true),
        "[123456789012345678901234567890.5]"
    );
}

#[test]
fn private_structs_with_the_wrong_field_fail_as_in_serde_json() {
    let wrong_name = |name| Private {
        name,
        field: "other",
        value: "1",
    };
    assert_eq!(
        ours(&wrong_name(RAW), true),
        Err("expected value".to_owned())
    );
    assert_eq!(
        ours(&wrong_name(NUMBER), true),
        Err("invalid number".to_owned())
    );
    assert_eq!(ours(&raw(1), true), Err("expected RawValue".to_owned()));
    assert_eq!(
        ours(
            &Private {
                name: NUMBER,
                field: NUMBER,
                value: vec![1]
            },
            false
        ),
        Err("invalid number".to_owned())
    );
    assert_eq!(
        ours(&KeyMap(raw("1")), true),
        Err("key must be a string".to_owned())
    );
}

/// xorshift64: a small deterministic generator for the random values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces of the random strings: plain runs, every kind of escape, non-ASCII text.
const STRING_PIECES: [&str; 24] = [
    "a",
    "Z",
    " ",
    "abcdefgh",
    "0123456789abcdefghij",
    "/",
    "\"",
    "\\",
    "\n",
    "\t",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{e9}",
    "\u{1f600}",
    "\u{2028}",
    "\u{2029}",
    "\u{20ac}",
    "\u{2000}",
    "\u{ffff}",
    "\u{10000}",
    "\u{80}",
    "\u{7ff}",
    "\u{800}",
];

fn random_string(rng: &mut Rng) -> String {
    let pieces = match rng.below(10) {
        0 => 0,
        1 => 30 + rng.below(30),
        _ => rng.below(8),
    };
    (0..pieces)
        .map(|_| STRING_PIECES[rng.below(STRING_PIECES.len())])
        .collect()
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth >= 4 { 6 } else { 8 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.next().is_multiple_of(2)),
        2 => json!(rng.next() as i64 >> rng.below(64)),
        3 => json!(rng.next() >> rng.below(64)),
        4 => {
            let f = match rng.below(3) {
                0 => f64::from_bits(rng.next()),
                1 => (rng.next() as i64 >> rng.below(64)) as f64 / 1000.0,
                _ => rng.next() as f64 * 1e-10,
            };
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        5 => Value::String(random_string(rng)),
        6 => Value::Array(
            (0..rng.below(6))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(6))
                .map(|_| (random_string(rng), random_value(rng, depth + 1)))
                .collect(),
        ),
    }
}

#[test]
fn random_json_values_match() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4000 {
        let value = random_value(&mut rng, 0);
        same(&value);
    }
}

#[test]
fn pretty_output_is_still_serde_jsons_with_the_post_pass() {
    let value = json!({"caf\u{e9}": ["\u{2028}", 1.5, null]});
    let mut out = Vec::new();
    let style = JsonStyle {
        indent: Some(2),
        ascii: true,
    };
    write(&value, &mut out, &style).expect("JSON");
    let mut expected = serde_json::to_vec_pretty(&value).expect("JSON");
    escape_non_ascii(&mut expected, 0, true);
    assert_eq!(out, expected);
}

/// Field names are remembered once found clean: a list of structs whose names need escapes
/// (a quote, non-ASCII, U+2028) or not, repeated, beside a struct variant and names that
/// share their first bytes, writes what serde_json writes on every row.
#[test]
fn field_names_repeated_over_many_rows() {
    #[derive(Serialize)]
    struct Row {
        id: i64,
        #[serde(rename = "say \"hi\"")]
        quoted: &'static str,
        #[serde(rename = "café")]
        cafe: bool,
        #[serde(rename = "line\u{2028}sep")]
        sep: Option<u8>,
        #[serde(rename = "a_rather_long_field_name")]
        long: u8,
        #[serde(rename = "a_rather_long_field_nam")]
        shorter: u8,
    }
    #[derive(Serialize)]
    enum Shape {
        Box {
            width: u8,
            #[serde(rename = "hé")]
            height: u8,
        },
    }
    let rows: Vec<Row> = (0..40)
        .map(|i| Row {
            id: i,
            quoted: "x",
            cafe: i % 2 == 0,
            sep: None,
            long: 1,
            shorter: 2,
        })
        .collect();
    same(&rows);
    same(
        &(0..5)
            .map(|_| Shape::Box {
                width: 1,
                height: 2,
            })
            .collect::<Vec<_>>(),
    );
}
