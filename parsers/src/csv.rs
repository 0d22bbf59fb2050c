//! `text/csv`.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::budget::Budget;
use crate::{Mime, ParseContext, ParseError, Parsed, Parser, Position, TextTree, check_depth};

/// Parses CSV with a header row, as `CsvRenderer` (and djangorestframework-csv) writes it.
///
/// The first row names the columns; each following row becomes an object, and the document is
/// the list of them. Read as one object (a create or an update), a table of exactly one row is
/// that row. Dotted headers nest back into objects (`artist.name`), and numeric
/// segments into lists, in index order (`tags.0`, `tags.1`; a missing index is null). Cells are
/// text, coerced by the target type (see [`TextTree`]): an empty cell is `""`, which an
/// `Option` field reads as `None`.
///
/// Refused as malformed: a header that is both a value and a parent (`a` and `a.b`), a
/// repeated header, a row with a different number of fields than the header (reported at its
/// line), and lists whose gaps add up to more than the number of columns (`tags.999999` alone).
/// Dotted headers may nest no deeper than the depth limit.
///
/// Every row's object holds its own copy of the header names, so long headers over many short
/// rows take far more memory than the body: a table whose objects (each cell's value and map
/// entry, its header and its text) would pass 128 times the body's size plus 1 MiB is refused
/// as [`ParseErrorKind::TooLarge`](crate::ParseErrorKind::TooLarge).
///
/// A renderer may have escaped formulas by prefixing cells with `'` (against spreadsheet
/// injection); that is one-way and the quote is *not* stripped here, since it cannot be told
/// from data that starts with a quote.
///
/// ```
/// use restframe_parsers::{CsvParser, ParseContext, Parser};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Artist { name: String, country: Option<String> }
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Track { id: u32, artist: Artist, tags: Vec<String> }
///
/// let body = "id,artist.name,artist.country,tags.0,tags.1\n\
///             4,Miles Davis,US,jazz,modal\n\
///             5,Björk,,pop,\n";
/// let parsed = CsvParser::new()
///     .parse_bytes(body.into(), &ParseContext::new(&mime::TEXT_CSV))
///     .unwrap();
/// let tracks: Vec<Track> = parsed.deserialize().unwrap();
/// assert_eq!(tracks[0].artist, Artist { name: "Miles Davis".into(), country: Some("US".into()) });
/// assert_eq!(tracks[1].artist.country, None);
/// assert_eq!(tracks[1].tags, vec!["pop", ""]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct CsvParser {
    _private: (),
}

const FORMAT: &str = "CSV";

/// The memory of one cell's value, charged to the budget.
const VALUE_BYTES: usize = std::mem::size_of::<Value>();

/// The overhead of one entry of an object besides its key's text and its value: the key's
/// `String`, the entry's hash and its slot in the index.
const ENTRY_BYTES: usize = 32;

impl CsvParser {
    /// A CSV parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for CsvParser {
    fn media_type(&self) -> &Mime {
        &mime::TEXT_CSV
    }

    fn parse_bytes(&self, body: Bytes, ctx: &ParseContext<'_>) -> Result<Parsed, ParseError> {
        let text = crate::utf8_text(FORMAT, &body)?;
        let base = (body.len() - text.len()) as u64;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| csv_error(e, base))?;
        let layout = Layout::new(headers, ctx.limits.max_depth)?;
        let mut budget = Budget::for_body(body.len());
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader
            .read_record(&mut record)
            .map_err(|e| csv_error(e, base))?
        {
            // Charged before the row is built: its fixed cost, and its cells' text.
            budget.charge(
                layout.row_bytes.saturating_add(record.as_slice().len()),
                FORMAT,
            )?;
            rows.push(layout.row(&record));
        }
        let value = Value::Array(rows);
        // The layout kept headers within the limit; this also catches limits below two.
        if !check_depth(&value, ctx.limits.max_depth) {
            return Err(ParseError::too_deep(FORMAT, ctx.limits.max_depth));
        }
        Ok(Parsed::new(TextTree::new(value)))
    }
}

fn csv_error(e: csv::Error, base: u64) -> ParseError {
    let position = e.position().map(|p| Position {
        line: Some(p.line()),
        column: None,
        offset: Some(base + p.byte()),
    });
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a row has {len} fields, but the header row has {expected_len}"),
        _ => e.to_string(),
    };
    ParseError::malformed(FORMAT, message).at_opt(position)
}

/// How to reach a cell from its parent container.
#[derive(Debug)]
enum Step {
    Key(String),
    /// An index into a list of the given length.
    Index(usize, usize),
}

impl Step {
    /// The empty container this step indexes into.
    fn container(&self) -> Value {
        match self {
            Step::Key(_) => Value::Object(Map::new()),
            Step::Index(_, len) => Value::Array(vec![Value::Null; *len]),
        }
    }
}

/// The shape the header row gives each row: for each column, the path to its cell.
struct Layout {
    columns: Vec<Vec<Step>>,
    /// The memory one row takes besides the text of its cells: per cell, a value, a map entry
    /// and the text of the keys on its path; and the nulls that fill the gaps of its lists.
    row_bytes: usize,
}

/// A header path segment in the tree of all headers.
#[derive(Default)]
struct Node {
    /// The column whose header ends here.
    leaf: Option<usize>,
    /// The first column whose header passes through here (to name it in errors).
    first: usize,
    children: Vec<(String, usize)>,
    by_name: HashMap<String, usize>,
}

/// A list index in the canonical form a renderer writes: `0`, `7`, `12`, not `07` or `+1`.
fn index(segment: &str) -> Option<usize> {
    let canonical = segment == "0"
        || (segment.starts_with(|c: char| matches!(c, '1'..='9'))
            && segment.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        segment.parse().ok()
    } else {
        None
    }
}

impl Layout {
    fn new(headers: &csv::StringRecord, max_depth: usize) -> Result<Self, ParseError> {
        let conflict = |a: &str, b: &str| {
            ParseError::malformed(
                FORMAT,
                format_args!("header \"{a}\" conflicts with \"{b}\""),
            )
        };
        // The tree of all header paths, in an arena (no recursion anywhere).
        let mut nodes = vec![Node::default()];
        for (column, header) in headers.iter().enumerate() {
            // The list of rows, the row, then one level per segment past the first.
            if header.split('.').count().saturating_add(1) > max_depth {
                return Err(ParseError::too_deep(FORMAT, max_depth));
            }
            let mut node = 0;
            for segment in header.split('.') {
                if let Some(leaf) = nodes[node].leaf {
                    return Err(conflict(&headers[leaf], header));
                }
                node = match nodes[node].by_name.get(segment) {
                    Some(&child) => child,
                    None => {
                        let child = nodes.len();
                        nodes.push(Node {
                            first: column,
                            ..Node::default()
                        });
                        nodes[node].children.push((segment.to_owned(), child));
                        nodes[node].by_name.insert(segment.to_owned(), child);
                        child
                    }
                };
            }
            if nodes[node].leaf.is_some() {
                let message = format_args!("duplicate header \"{header}\"");
                return Err(ParseError::malformed(FORMAT, message));
            }
            if !nodes[node].children.is_empty() {
                return Err(conflict(header, &headers[nodes[node].first]));
            }
            nodes[node].leaf = Some(column);
        }

        // A node whose children are all indices is a list, as long as its largest index + 1.
        let mut list_len: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut gaps = 0usize;
        for (id, node) in nodes.iter().enumerate() {
            if node.children.is_empty() {
                continue;
            }
            let indices: Option<Vec<usize>> =
                node.children.iter().map(|(name, _)| index(name)).collect();
            if let Some(max) = indices.and_then(|i| i.into_iter().max()) {
                let len = max.saturating_add(1);
                gaps = gaps.saturating_add(len - node.children.len());
                if gaps > headers.len() {
                    let message = format_args!(
                        "the list of header \"{}\" leaves too many gaps for {} columns",
                        &headers[node.first],
                        headers.len()
                    );
                    return Err(ParseError::malformed(FORMAT, message));
                }
                list_len[id] = Some(len);
            }
        }

        let columns = headers
            .iter()
            .map(|header| {
                let mut node = 0;
                header
                    .split('.')
                    .map(|segment| {
                        let parent = node;
                        node = nodes[parent].by_name.get(segment).copied().unwrap_or(0);
                        match (list_len[parent], index(segment)) {
                            (Some(len), Some(i)) => Step::Index(i, len),
                            _ => Step::Key(segment.to_owned()),
                        }
                    })
                    .collect()
            })
            .collect::<Vec<Vec<Step>>>();
        let row_bytes = columns
            .iter()
            .map(|steps| {
                steps
                    .iter()
                    .map(|step| match step {
                        Step::Key(key) => key.len(),
                        Step::Index(..) => 0,
                    })
                    .fold(VALUE_BYTES + ENTRY_BYTES, usize::saturating_add)
            })
            .fold(gaps.saturating_mul(VALUE_BYTES), usize::saturating_add);
        Ok(Self { columns, row_bytes })
    }

    /// One record as a tree; the csv reader has checked it has as many fields as headers.
    fn row(&self, record: &csv::StringRecord) -> Value {
        let Some(first) = self.columns.first().and_then(|steps| steps.first()) else {
            return Value::Object(Map::new());
        };
        let mut row = first.container();
        for (steps, cell) in self.columns.iter().zip(record.iter()) {
            let mut target = Some(&mut row);
            for (k, step) in steps.iter().enumerate() {
                target = target.and_then(|container| child(container, step));
                if let (Some(slot), Some(next)) = (target.as_mut(), steps.get(k + 1))
                    && slot.is_null()
                {
                    **slot = next.container();
                }
            }
            if let Some(slot) = target {
                *slot = Value::String(cell.to_owned());
            }
        }
        row
    }
}

/// The slot `step` names in `container`, created as null if missing. The layout makes every
/// step match its container; a mismatch would skip the cell rather than panic.
fn child<'v>(container: &'v mut Value, step: &Step) -> Option<&'v mut Value> {
    match (container, step) {
        (Value::Object(map), Step::Key(key)) => {
            Some(map.entry(key.as_str()).or_insert(Value::Null))
        }
        (Value::Array(items), Step::Index(i, _)) => items.get_mut(*i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::{ParseErrorKind, ParserLimits};

    fn parse(body: &str) -> Result<Parsed, ParseError> {
        CsvParser::new().parse_bytes(
            Bytes::from(body.to_owned()),
            &ParseContext::new(&mime::TEXT_CSV),
        )
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Artist {
        name: String,
        country: Option<String>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Track {
        id: u32,
        title: String,
        explicit: bool,
        artist: Artist,
        tags: Vec<String>,
        rating: Option<f32>,
    }

    #[test]
    fn nested_and_indexed_headers_read_back_into_typed_rows() {
        let body = "id,title,explicit,artist.name,artist.country,tags.0,tags.1,rating\n\
                    4,So What,False,Miles Davis,US,jazz,modal,4.5\n\
                    5,\"Hyperballad, live\",true,Björk,,pop,,\n";
        let tracks: Vec<Track> = parse(body).unwrap().deserialize().unwrap();
        assert_eq!(
            tracks,
            vec![
                Track {
                    id: 4,
                    title: "So What".into(),
                    explicit: false,
                    artist: Artist {
                        name: "Miles Davis".into(),
                        country: Some("US".into())
                    },
                    tags: vec!["jazz".into(), "modal".into()],
                    rating: Some(4.5),
                },
                Track {
                    id: 5,
                    title: "Hyperballad, live".into(),
                    explicit: true,
                    artist: Artist {
                        name: "Björk".into(),
                        country: None
                    },
                    tags: vec!["pop".into(), "".into()],
                    rating: None,
                },
            ]
        );
    }

    #[test]
    fn lists_follow_index_order_and_gaps_are_null() {
        let body = "t.2,t.0,x.0.a,x.0.b,x.1.a\nc,a,1,2,3\n";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!([{"t": ["a", null, "c"], "x": [{"a": "1", "b": "2"}, {"a": "3"}]}])
        );
        // Non-canonical numbers are keys, and so is a number next to a name.
        let body = "a.01,b.0,b.name\n1,2,3\n";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!([{"a": {"01": "1"}, "b": {"0": "2", "name": "3"}}])
        );
    }

    #[test]
    fn ragged_row_is_malformed_at_its_line() {
        let err = parse("a,b\n1,2\n3\n4,5\n").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(
            err.message(),
            "a row has 1 fields, but the header row has 2"
        );
        assert_eq!(err.position().and_then(|p| p.line), Some(3));
        assert_eq!(err.position().and_then(|p| p.offset), Some(8));
    }

    #[test]
    fn conflicting_and_duplicate_headers_are_malformed() {
        let err = parse("a,a.b\n1,2\n").unwrap_err();
        assert_eq!(err.message(), "header \"a\" conflicts with \"a.b\"");
        let err = parse("a.b,a\n1,2\n").unwrap_err();
        assert_eq!(err.message(), "header \"a\" conflicts with \"a.b\"");
        let err = parse("a.b,a.b.c\n1,2\n").unwrap_err();
        assert_eq!(err.message(), "header \"a.b\" conflicts with \"a.b.c\"");
        let err = parse("x,x\n1,2\n").unwrap_err();
        assert_eq!(err.message(), "duplicate header \"x\"");
    }

    #[test]
    fn huge_list_indices_are_refused_not_allocated() {
        let err = parse("tags.4000000000\nx\n").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert!(err.message().contains("too many gaps"), "{err}");
        // A small gap is fine.
        assert_eq!(
            parse("t.0,t.2\na,c\n").unwrap().to_value().unwrap(),
            json!([{"t": ["a", null, "c"]}])
        );
    }

    #[test]
    fn empty_cells_are_empty_text_and_quotes_are_kept() {
        let body = "a,b,c\n,'=1+1,\"'x\"\n";
        assert_eq!(
            parse(body).unwrap().to_value().unwrap(),
            json!([{"a": "", "b": "'=1+1", "c": "'x"}])
        );
    }

    #[test]
    fn empty_body_and_header_only_are_empty_lists() {
        assert_eq!(parse("").unwrap().to_value().unwrap(), json!([]));
        assert_eq!(parse("a,b\n").unwrap().to_value().unwrap(), json!([]));
        assert_eq!(
            parse("\u{feff}a\n1\n").unwrap().to_value().unwrap(),
            json!([{"a": "1"}])
        );
    }

    #[test]
    fn long_headers_copied_into_every_row_are_refused() {
        // Each row's object owns a copy of its header names: a 20 kB header over 2,000 one-cell
        // rows (a 24 kB body) would build 40 MB.
        let header = "h".repeat(20_000);
        let body = format!("{header}\n{}", "1\n".repeat(2_000));
        let err = parse(&body).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge);
        let limit = 128 * body.len() + 1_048_576;
        assert_eq!(
            err.message(),
            format!("CSV document expands past {limit} bytes in memory")
        );
        assert_eq!(err.to_string(), err.message());
        // The same header over a few rows is fine.
        let body = format!("{header}\n{}", "1\n".repeat(20));
        assert_eq!(parse(&body).unwrap().to_value().unwrap()[19][&header], "1");
    }

    #[test]
    fn tables_of_one_character_cells_fit_the_memory_budget() {
        // The honest worst case: about 75 times the text in memory. 200 kB was refused at 32x.
        let body = format!("a,b,c,d,e\n{}", "1,2,3,4,5\n".repeat(20_000));
        let rows = parse(&body).unwrap().to_value().unwrap();
        assert_eq!(rows.as_array().map(Vec::len), Some(20_000));
    }

    #[test]
    fn ordinary_tables_fit_the_memory_budget() {
        // 2,000 rows of a typical export (about 110 kB) and a narrow one of ids (about 70 kB).
        let mut body = String::from("id,title,explicit,artist.name,artist.country,tags.0,tags.1\n");
        for id in 0..2_000 {
            body.push_str(&format!("{id},So What,False,Miles Davis,US,jazz,modal\n"));
        }
        assert_eq!(
            parse(&body)
                .unwrap()
                .to_value()
                .unwrap()
                .as_array()
                .map(Vec::len),
            Some(2_000)
        );
        let mut body = String::from("id\n");
        for id in 100_000..110_000 {
            body.push_str(&format!("{id}\n"));
        }
        assert!(parse(&body).is_ok());
    }

    #[test]
    fn dotted_header_depth_is_limited() {
        let ctx_with = |depth| {
            ParseContext::new(&mime::TEXT_CSV).with_limits(ParserLimits::default().max_depth(depth))
        };
        let p = CsvParser::new();
        let body = Bytes::from_static(b"a.b\n1\n");
        assert!(p.parse_bytes(body.clone(), &ctx_with(3)).is_ok());
        let err = p.parse_bytes(body, &ctx_with(2)).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooDeep);
        let deep = format!("{}\n1\n", vec!["a"; 10_000].join("."));
        assert_eq!(parse(&deep).unwrap_err().kind(), ParseErrorKind::TooDeep);
    }
}
