//! `application/yaml`, `application/x-yaml`, `text/yaml` and `application/*+yaml`.

use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};

use crate::budget::Budget;
use crate::{Document, Mime, ParseContext, ParseError, Parsed, Parser, Position, Visit};

/// Parses YAML (one document; DRF's former `YAMLParser`); also reads `application/x-yaml`,
/// `text/yaml` and any `application/*+yaml` type.
///
/// The body is read once into a YAML value, checked for depth and size as it is built, and
/// typed deserialization then reads from that value. Anchors and aliases are resolved, and merge
/// keys (`<<: *defaults`) applied, but neither aliases nor a dense body may blow memory up.
/// Parsing a body of `n` bytes may take at most **64 × `n` + 4 MiB** of memory (about 164 MiB
/// for the default 2.5 MiB `max_body_bytes`), counted as it is allocated, not in bytes of text:
///
/// - serde_yaml's loader holds every event of the document before the first node is built;
///   they are charged up front (144 bytes per byte that may make an event: `,[]{}-:?*` and line
///   breaks), so a body whose events alone would pass the budget is refused before it is loaded;
/// - each node is charged as built: its slot in its list or mapping with the slack of the
///   buffer's doubling, each mapping entry's hash and index, and each string's heap block as
///   the allocator rounds it (at least 32 bytes).
///
/// A body past the budget (an "alias bomb", or a million one-character items) is refused as
/// [`ParseErrorKind::TooLarge`](crate::ParseErrorKind::TooLarge); an ordinary document takes
/// 20–50 times its text, so every ordinary body up to the size limit fits. A body with more
/// than one document (`---` between them) is malformed; an empty body is null.
///
/// ```
/// use restframe_parsers::{ParseContext, Parser, YamlParser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { title: String, year: u16, tags: Vec<String> }
///
/// let ct = "application/x-yaml".parse().unwrap();
/// assert!(YamlParser::new().reads(&ct));
/// let body = "title: So What\nyear: 1959\ntags: [jazz, modal]\n";
/// let parsed = YamlParser::new().parse_bytes(body.into(), &ParseContext::new(&ct)).unwrap();
/// assert_eq!(parsed.deserialize::<Track>().unwrap(), Track {
///     title: "So What".into(),
///     year: 1959,
///     tags: vec!["jazz".into(), "modal".into()],
/// });
///
/// let err = YamlParser::new().parse_bytes("a: [1, 2\n".into(), &ParseContext::new(&ct)).unwrap_err();
/// assert_eq!(err.position().and_then(|p| p.line), Some(2));
/// ```
#[derive(Clone, Debug)]
pub struct YamlParser {
    media_type: Mime,
    aliases: [Mime; 2],
}

const FORMAT: &str = "YAML";

/// How many bytes of memory parsing may take per byte of body (see [`YamlParser`]).
const MEMORY_FACTOR: usize = 64;

/// Bytes of memory parsing may take whatever the body's size, so that small documents may
/// reuse a block a few times.
const MEMORY_ALLOWANCE: usize = 4 << 20;

/// The memory of one event in serde_yaml's loader, which holds every event of the document
/// (an event and its position: about 96 bytes, in a `Vec` that doubles as it grows).
const EVENT_BYTES: usize = 144;

/// The bytes that may start or end a YAML event (a flow collection's brackets and commas, a
/// block entry's `-`, a key's `:` or `?`, an alias's `*`, a line break): their count bounds
/// the events the loader holds, closely for the dense documents that make the most events.
const EVENT_BYTES_SET: &[u8] = b",[]{}-:?*\n";

/// The budget for a body: [`MEMORY_FACTOR`] bytes per byte of body plus
/// [`MEMORY_ALLOWANCE`].
fn memory_limit(body_len: usize) -> usize {
    body_len
        .saturating_mul(MEMORY_FACTOR)
        .saturating_add(MEMORY_ALLOWANCE)
}

/// The bytes one value takes in its slot (an item of a list, a key or value of a mapping).
const VALUE_BYTES: usize = std::mem::size_of::<Value>();

/// The bytes of one mapping entry beyond its key and value: the hash each entry keeps, and its
/// slot in the mapping's hash index (an index plus a control byte, at a load of 7/8 or less).
const ENTRY_BYTES: usize = 2 * std::mem::size_of::<usize>() + 3;

/// What the allocator takes for a heap block of `len` bytes: glibc's malloc rounds a request
/// plus its 8-byte header up to 16 bytes, and gives at least 32.
fn heap_bytes(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.saturating_add(8)
            .saturating_add(15)
            .saturating_div(16)
            .saturating_mul(16)
            .max(32)
    }
}

impl Default for YamlParser {
    fn default() -> Self {
        Self {
            media_type: crate::static_mime("application/yaml"),
            aliases: [
                crate::static_mime("application/x-yaml"),
                crate::static_mime("text/yaml"),
            ],
        }
    }
}

impl YamlParser {
    /// A YAML parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for YamlParser {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn aliases(&self) -> &[Mime] {
        &self.aliases
    }

    fn suffix(&self) -> Option<&str> {
        Some("yaml")
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let text = crate::utf8_text(FORMAT, &body)?;
        let mut memory = Budget::with_limit(memory_limit(body.len()));
        // serde_yaml loads every event before the first node is built: its memory is charged
        // up front, from a count of the bytes that make events, so a body the loader would
        // blow up is refused before it is loaded.
        let events = text
            .bytes()
            .filter(|b| EVENT_BYTES_SET.contains(b))
            .count()
            .saturating_add(8);
        memory.charge(events.saturating_mul(EVENT_BYTES), FORMAT)?;
        let allowance = Allowance {
            memory: Cell::new(memory),
            max_depth: ctx.limits.max_depth,
            refused: Cell::new(None),
        };
        let seed = NodeSeed {
            allowance: &allowance,
            depth: 0,
        };
        let mut value = match seed.deserialize(serde_yaml::Deserializer::from_str(text)) {
            Ok(value) => value,
            Err(e) => {
                return Err(match allowance.refused.take() {
                    Some(Refusal::TooDeep) => ParseError::too_deep(FORMAT, ctx.limits.max_depth),
                    Some(Refusal::TooBig(error)) => error.at_opt(position(&e)),
                    // serde_yaml's own recursion limit (128), for limits set higher than it.
                    None if e.to_string().starts_with("recursion limit exceeded") => {
                        ParseError::too_deep(FORMAT, ctx.limits.max_depth.min(127))
                    }
                    None => syntax_error(e),
                });
            }
        };
        // Merging moves entries up a level: no growth, no new depth.
        value.apply_merge().map_err(syntax_error)?;
        Ok(Parsed::new(YamlDocument(value)))
    }
}

fn position(e: &serde_yaml::Error) -> Option<Position> {
    e.location()
        .map(|l| Position::line_column(l.line() as u64, l.column() as u64))
}

fn syntax_error(e: serde_yaml::Error) -> ParseError {
    // serde_yaml's Display appends the position; keep the bare message and a structured one.
    let mut message = e.to_string();
    if let Some(l) = e.location() {
        message = message.replacen(
            &format!(" at line {} column {}", l.line(), l.column()),
            "",
            1,
        );
    }
    ParseError::malformed(FORMAT, message).at_opt(position(&e))
}

/// Well-formed YAML, deserialized from its value.
struct YamlDocument(Value);

impl Document for YamlDocument {
    fn deserialize_with(&self, visit: &mut Visit<'_>) -> Result<(), erased_serde::Error> {
        visit(&mut <dyn erased_serde::Deserializer>::erase(&self.0))
    }
}

/// Why building the value stopped, kept for the error reported (serde_yaml only carries text).
#[derive(Debug)]
enum Refusal {
    TooDeep,
    TooBig(ParseError),
}

/// What building the value may still spend: bytes of memory, and levels of nesting.
struct Allowance {
    memory: Cell<Budget>,
    max_depth: usize,
    refused: Cell<Option<Refusal>>,
}

impl Allowance {
    /// Charges `bytes` of memory about to be (or just) allocated.
    fn spend<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let mut memory = self.memory.get();
        let charged = memory.charge(bytes, FORMAT);
        self.memory.set(memory);
        charged.map_err(|error| self.refuse(Refusal::TooBig(error)))
    }

    /// Charges the growth of a container's buffer from `charged` to `capacity` slots of
    /// `slot` bytes each (a `Vec` doubles: the slack is real memory too), and returns the
    /// capacity now paid for.
    fn grow<E: de::Error>(&self, charged: usize, capacity: usize, slot: usize) -> Result<usize, E> {
        if capacity > charged {
            let mut bytes = (capacity - charged).saturating_mul(slot);
            if charged == 0 {
                bytes = heap_bytes(bytes);
            }
            self.spend(bytes)?;
        }
        Ok(capacity.max(charged))
    }

    fn refuse<E: de::Error>(&self, refusal: Refusal) -> E {
        let message = match refusal {
            Refusal::TooDeep => "nesting too deep",
            Refusal::TooBig(_) => "aliases expand the document too far",
        };
        self.refused.set(Some(refusal));
        E::custom(message)
    }
}

/// Builds a [`Value`] like its own `Deserialize` impl does, charging the budget for each node
/// (and its text) before building it, and refusing nesting past the depth limit. Its recursion
/// follows serde_yaml's, which stops at 128 levels.
#[derive(Clone, Copy)]
struct NodeSeed<'b> {
    allowance: &'b Allowance,
    /// The depth of a list or mapping built here.
    depth: usize,
}

impl NodeSeed<'_> {
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        let depth = self.depth + 1;
        if depth > self.allowance.max_depth {
            return Err(self.allowance.refuse(Refusal::TooDeep));
        }
        Ok(Self { depth, ..self })
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    // An integer past 64 bits is a float, as in JSON (`serde_json` reads one so).
    #[allow(clippy::cast_precision_loss)]
    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Value, E> {
        Ok(Value::from(i as f64))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Value, E> {
        Ok(Value::from(u as f64))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.allowance.spend(heap_bytes(s.len()))?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.allowance.spend(heap_bytes(s.capacity()))?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.nested()?;
        let mut items = Vec::new();
        let mut paid = 0;
        while let Some(item) = seq.next_element_seed(child)? {
            if items.len() == items.capacity() {
                // Charged before the buffer grows (its old copy lives until the new is full).
                let grown = items.capacity().saturating_mul(2).max(4);
                paid = self.allowance.grow(paid, grown, VALUE_BYTES)?;
            }
            items.push(item);
            paid = self.allowance.grow(paid, items.capacity(), VALUE_BYTES)?;
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = self.nested()?;
        let mut mapping = Mapping::new();
        let mut paid = 0;
        while let Some(key) = map.next_key_seed(child)? {
            let value = map.next_value_seed(child)?;
            if mapping.len() == mapping.capacity() {
                let grown = mapping.capacity().saturating_mul(2).max(4);
                paid = self
                    .allowance
                    .grow(paid, grown, 2 * VALUE_BYTES + ENTRY_BYTES)?;
            }
            match mapping.entry(key) {
                serde_yaml::mapping::Entry::Vacant(entry) => {
                    entry.insert(value);
                    paid = self.allowance.grow(
                        paid,
                        mapping.capacity(),
                        2 * VALUE_BYTES + ENTRY_BYTES,
                    )?;
                }
                serde_yaml::mapping::Entry::Occupied(entry) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate entry with key {}",
                        KeyName(entry.key())
                    )));
                }
            }
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // serde_yaml hands a tagged node (`!Thing x`) over as an enum: the tag, then the node.
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            return Err(de::Error::custom("empty YAML tag is not allowed"));
        }
        // The tag and its node move into a boxed `TaggedValue`.
        self.allowance.spend(
            heap_bytes(std::mem::size_of::<TaggedValue>()).saturating_add(heap_bytes(tag.len())),
        )?;
        let value = contents.newtype_variant_seed(self)?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

/// A mapping key as serde_yaml's own duplicate-key message shows it.
struct KeyName<'a>(&'a Value);

impl fmt::Display for KeyName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "`{b}`"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
                f.write_str("(a collection)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::time::{Duration, Instant};

    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &str) -> Result<Parsed, ParseError> {
        let ct = "application/yaml".parse().unwrap();
        YamlParser::new().parse_bytes(Bytes::from(body.to_owned()), &ParseContext::new(&ct))
    }

    #[test]
    fn media_types_aliases_and_suffix_are_read() {
        let p = YamlParser::new();
        for ct in [
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "application/ld+yaml",
        ] {
            assert!(p.reads(&ct.parse().unwrap()), "{ct}");
        }
        assert!(!p.reads(&"application/json".parse().unwrap()));
    }

    #[test]
    fn integers_past_64_bits_are_floats_as_in_json() {
        #[derive(Deserialize)]
        struct Big {
            n: f64,
            m: f64,
        }
        let big: Big = parse("n: 555098600814951440385572864\nm: -555098600814951440385572864\n")
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(big.n, 555_098_600_814_951_440_385_572_864_f64);
        assert_eq!(big.m, -555_098_600_814_951_440_385_572_864_f64);
    }

    #[test]
    fn malformed_yaml_reports_line_and_column() {
        let err = parse("title: x\ntags: [a, b\n").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(err.position(), Some(Position::line_column(3, 1)));
        assert!(
            !err.message().contains("at line 3 column 1"),
            "{}",
            err.message()
        );
        assert!(
            err.message()
                .starts_with("did not find expected ',' or ']'"),
            "{}",
            err.message()
        );
        let err = parse("a: b: c").unwrap_err();
        assert_eq!(
            err.to_string(),
            "YAML parse error: mapping values are not allowed in this context at line 1 column 5"
        );
    }

    #[test]
    fn typed_values_read_from_the_parsed_document() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Artist {
            name: String,
            country: Option<String>,
        }
        #[derive(Deserialize, Debug, PartialEq)]
        struct Track {
            id: u32,
            artist: Artist,
            explicit: bool,
        }
        let parsed =
            parse("id: 4\nartist:\n  name: Miles Davis\n  country: null\nexplicit: false\n")
                .unwrap();
        assert_eq!(
            parsed.deserialize::<Track>().unwrap(),
            Track {
                id: 4,
                artist: Artist {
                    name: "Miles Davis".into(),
                    country: None
                },
                explicit: false,
            }
        );
        let err = parse("id: x\n")
            .unwrap()
            .deserialize::<Track>()
            .unwrap_err();
        assert_eq!(err.path(), "id");
    }

    #[test]
    fn empty_body_is_null() {
        assert_eq!(parse("").unwrap().to_value().unwrap(), json!(null));
        assert_eq!(
            parse("# nothing\n")
                .unwrap()
                .deserialize::<Option<u8>>()
                .unwrap(),
            None
        );
    }

    #[test]
    fn more_than_one_document_is_malformed() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert!(err.message().contains("more than one document"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_malformed() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert!(
            err.message().contains("duplicate entry with key \"a\""),
            "{err}"
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys_are_resolved() {
        let body =
            "base: &base {label: Blue Note, year: 1959}\nrelease:\n  <<: *base\n  year: 1960\n";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!({
                "base": {"label": "Blue Note", "year": 1959},
                "release": {"year": 1960, "label": "Blue Note"}
            })
        );
    }

    #[test]
    fn too_deep_is_refused_before_serde_yaml_recursion_limit() {
        let ct = "application/yaml".parse().unwrap();
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(2));
        let p = YamlParser::new();
        assert!(p.parse_bytes(Bytes::from_static(b"a: [1]"), &ctx).is_ok());
        let err = p
            .parse_bytes(Bytes::from_static(b"a: [[1]]"), &ctx)
            .unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
        // Deep, but not so long that serde_yaml's events alone pass the memory budget.
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse(&deep).unwrap_err().kind(), ParseErrorKind::TooDeep);
        // A limit above serde_yaml's own (128 levels) still answers "too deep", not a crash.
        let ctx = ParseContext::new(&ct).with_limits(ParserLimits::default().max_depth(1_000));
        let err = p.parse_bytes(Bytes::from(deep), &ctx).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut body = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip("abcdefgh".chars())
        {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            writeln!(body, "{name}: &{name} [{refs}]").unwrap();
        }
        let started = Instant::now();
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn quadratic_alias_expansion_is_refused() {
        // One big anchored list referenced many times: under serde_yaml's repetition limit
        // (100 jumps per event) but 4 million nodes from 10 kB.
        let items = vec!["x"; 2_000].join(",");
        let refs = vec!["*a"; 2_000].join(",");
        let body = format!("a: &a [{items}]\nb: [{refs}]\n");
        let started = Instant::now();
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        assert!(err.message().contains("expands past"), "{err}");
        assert!(err.position().is_some(), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // A few reuses of a block are fine.
        let body = format!("a: &a [{items}]\nb: [*a, *a, *a]\n");
        assert!(parse(&body).is_ok());
    }

    #[test]
    fn comments_do_not_buy_room_for_aliases() {
        // A budget counted in nodes from the length of the text let a 50 kB comment pay for
        // 300 references to a 1,000-item list: 300,000 nodes, over 21 MB, from a 53 kB body.
        let comment = format!("#{}\n", "x".repeat(50_000));
        let items = vec!["0"; 1_000].join(",");
        let refs = vec!["*a"; 300].join(",");
        let body = format!("{comment}a: &a [{items}]\nb: [{refs}]\n");
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        let limit = 64 * body.len() + 4 * 1_048_576;
        assert_eq!(memory_limit(body.len()), limit);
        assert_eq!(
            err.message(),
            format!("YAML document expands past {limit} bytes in memory")
        );
        // A few references are fine, comment or not.
        let body = format!("{comment}a: &a [{items}]\nb: [*a, *a, *a]\n");
        assert!(parse(&body).is_ok());
    }

    #[test]
    fn allocations_are_counted_as_the_allocator_makes_them() {
        assert_eq!(heap_bytes(0), 0);
        assert_eq!(heap_bytes(1), 32);
        assert_eq!(heap_bytes(24), 32);
        assert_eq!(heap_bytes(25), 48);
        assert_eq!(heap_bytes(100), 112);
        assert_eq!(heap_bytes(usize::MAX), usize::MAX / 16 * 16);
    }

    #[test]
    fn dense_bodies_are_refused_before_serde_yaml_loads_them() {
        // 1.3 million one-character items: serde_yaml's events alone would take about 180 MB.
        let body = format!("[{}1]", "1,".repeat(1_310_000));
        let started = Instant::now();
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        assert_eq!(
            err.message(),
            format!(
                "YAML document expands past {} bytes in memory",
                memory_limit(body.len())
            )
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_long_string_copied_by_aliases_is_charged_each_copy() {
        // 1 MB of text, copied by 200 aliases: 200 MB of strings from a 1 MB body.
        let body = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*a"; 200].join(",")
        );
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        // 60 copies fit in 64 bytes per byte of body.
        let body = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*a"; 60].join(",")
        );
        assert!(parse(&body).is_ok());
    }

    #[test]
    fn ordinary_documents_at_the_size_limit_fit_the_memory_budget() {
        // Flow style and block style.
        let rows_of: [fn(usize) -> String; 2] = [
            |i| {
                format!("- {{id: {i}, title: So What, explicit: false, tags: [jazz, modal, 1959]}}")
            },
            |i| {
                format!(
                    "- id: {i}\n  title: So What\n  artist:\n    name: Miles Davis\n  tags:\n    - jazz\n    - modal"
                )
            },
        ];
        for row in rows_of {
            let mut body = String::new();
            let mut rows = 0;
            while body.len() < 2_500_000 {
                writeln!(body, "{}", row(rows)).unwrap();
                rows += 1;
            }
            let parsed = parse(&body).unwrap();
            assert_eq!(
                parsed.to_value().unwrap().as_array().map(Vec::len),
                Some(rows)
            );
        }
    }

    #[test]
    fn ordinary_documents_fit_the_memory_budget() {
        let mut body = String::new();
        for id in 0..1_000 {
            writeln!(
                body,
                "- {{id: {id}, title: So What, explicit: false, tags: [jazz, modal, 1959]}}"
            )
            .unwrap();
        }
        assert_eq!(
            parse(&body)
                .unwrap()
                .to_value()
                .unwrap()
                .as_array()
                .map(Vec::len),
            Some(1_000)
        );
    }

    #[test]
    fn tagged_values_are_kept() {
        let parsed = parse("kind: !Album {title: Kind of Blue}\n").unwrap();
        #[derive(Deserialize, Debug, PartialEq)]
        enum Kind {
            Album { title: String },
        }
        #[derive(Deserialize, Debug, PartialEq)]
        struct Release {
            kind: Kind,
        }
        assert_eq!(
            parsed.deserialize::<Release>().unwrap(),
            Release {
                kind: Kind::Album {
                    title: "Kind of Blue".into()
                }
            }
        );
    }
}
