//! `text/csv`: rows of flattened objects, RFC 4180, with formula-injection guarding.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Data, Mime, RenderContext, RenderError, Renderer, as_serialize};

/// Renders CSV (as `djangorestframework-csv`'s `CSVRenderer`).
///
/// The data goes through [`serde_json::Value`] first, then:
///
/// - a list of objects gives one row per object; the header row is the union of their keys in
///   first-seen order, and a row lacking a key has an empty cell there;
/// - nested objects are flattened to dotted headers (`artist.name`), lists to indexed ones
///   (`tags.0`, `tags.1`); an empty nested object or list contributes no column, since CSV cannot
///   carry an empty container; when two paths flatten to the same header (`{"a.b": 1, "a":
///   {"b": 2}}`), the later value wins;
/// - a single object is a header and one row; a list of scalars is one column headed `value`; a
///   bare scalar is the header `value` and one row;
/// - an empty list, or data with no column at all, renders as an empty body (zero bytes);
/// - cells: null is empty, booleans `true`/`false`, numbers their JSON text, strings as is —
///   except that a string (cell or header) starting with `=`, `+`, `-`, `@`, tab or carriage
///   return gets a leading `'`, so a spreadsheet does not run it as a formula (OWASP's CSV
///   injection advice). Numbers are never prefixed: `-1` stays `-1`;
/// - fields are quoted only when they must be; lines end with `\r\n` (RFC 4180); charset utf-8.
///
/// ```
/// use restframe_renderers::{CsvRenderer, RenderContext, Renderer};
/// let data = serde_json::json!([
///     {"title": "So What", "artist": {"name": "Miles"}, "tags": ["jazz", "modal"]},
///     {"title": "=1+1", "year": 1959},
/// ]);
/// let mut out = Vec::new();
/// CsvRenderer::new().render(&data, &RenderContext::default(), &mut out).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "title,artist.name,tags.0,tags.1,year\r\n\
///      So What,Miles,jazz,modal,\r\n\
///      '=1+1,,,,1959\r\n"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct CsvRenderer {
    media_type: Mime,
}

impl Default for CsvRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvRenderer {
    /// A `text/csv; charset=utf-8` renderer.
    pub fn new() -> Self {
        Self {
            media_type: mime::TEXT_CSV,
        }
    }
}

impl Renderer for CsvRenderer {
    fn media_type(&self) -> &Mime {
        &self.media_type
    }

    fn format(&self) -> &str {
        "csv"
    }

    fn render(
        &self,
        data: &dyn Data,
        _ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        let value = serde_json::to_value(as_serialize(data)).map_err(RenderError::server)?;
        let table = Table::from_value(&value);
        if table.headers.is_empty() {
            return Ok(());
        }
        let start = out.len();
        let result = table.write(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

/// Flattened rows: column headers in first-seen order and, per row, a cell per column.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

impl Table {
    fn from_value(value: &Value) -> Self {
        let mut table = Builder {
            headers: Vec::new(),
            columns: HashMap::new(),
            rows: Vec::new(),
        };
        match value {
            Value::Array(items) => items.iter().for_each(|item| table.add_row(item)),
            other => table.add_row(other),
        }
        let width = table.headers.len();
        let rows = table
            .rows
            .into_iter()
            .map(|mut row| {
                row.resize(width, None);
                row
            })
            .collect();
        Self {
            headers: table.headers,
            rows,
        }
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), RenderError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut *out);
        let headers = self.headers.iter().map(|h| guard(h).into_owned());
        writer.write_record(headers).map_err(RenderError::server)?;
        for row in &self.rows {
            let cells = row.iter().map(|c| c.as_deref().unwrap_or(""));
            writer.write_record(cells).map_err(RenderError::server)?;
        }
        writer.flush().map_err(RenderError::server)
    }
}

struct Builder {
    headers: Vec<String>,
    columns: HashMap<String, usize>,
    rows: Vec<Vec<Option<String>>>,
}

impl Builder {
    fn add_row(&mut self, item: &Value) {
        let mut row = Vec::new();
        self.flatten(&mut row, None, item);
        self.rows.push(row);
    }

    /// Adds the cells of `value`, found at `path` (`None` at the top of a row), to `row`.
    fn flatten(&mut self, row: &mut Vec<Option<String>>, path: Option<&str>, value: &Value) {
        let join = |key: &str| match path {
            Some(prefix) => format!("{prefix}.{key}"),
            None => key.to_owned(),
        };
        let cell = match value {
            Value::Object(map) => {
                for (key, item) in map {
                    self.flatten(row, Some(&join(key)), item);
                }
                return;
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.flatten(row, Some(&join(&i.to_string())), item);
                }
                return;
            }
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(guard(s).into_owned()),
        };
        let column = self.column(path.unwrap_or("value"));
        if row.len() <= column {
            row.resize(column + 1, None);
        }
        row[column] = cell;
    }

    /// The index of the column headed `header`, added if new.
    fn column(&mut self, header: &str) -> usize {
        if let Some(&i) = self.columns.get(header) {
            return i;
        }
        let i = self.headers.len();
        self.headers.push(header.to_owned());
        self.columns.insert(header.to_owned(), i);
        i
    }
}

/// Prefixes `'` to text a spreadsheet would take for a formula.
fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(data: &dyn Data) -> String {
        let mut out = Vec::new();
        CsvRenderer::new()
            .render(data, &RenderContext::default(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn headers_are_the_union_of_keys_in_first_seen_order_and_missing_cells_are_empty() {
        let data = json!([{"b": 1, "a": 2}, {"c": 3, "a": 4}, {}]);
        assert_eq!(render(&data), "b,a,c\r\n1,2,\r\n,4,3\r\n,,\r\n");
    }

    #[test]
    fn nested_objects_get_dotted_headers_and_lists_indexed_ones() {
        let data = json!([
            {"id": 1, "artist": {"name": "Miles", "label": {"name": "Columbia"}}, "tags": ["a"]},
            {"id": 2, "tags": ["b", "c"], "empty": [], "none": {}},
        ]);
        assert_eq!(
            render(&data),
            "id,artist.name,artist.label.name,tags.0,tags.1\r\n\
             1,Miles,Columbia,a,\r\n\
             2,,,b,c\r\n"
        );
    }

    #[test]
    fn cells_that_start_like_formulas_get_a_quote_prefix() {
        let data = json!([
            {"v": "=SUM(A1)"}, {"v": "+1"}, {"v": "-1"}, {"v": -1}, {"v": "@x"},
            {"v": "\tx"}, {"v": "\rx"}, {"v": "a=b"}, {"v": -2.5},
        ]);
        assert_eq!(
            render(&data),
            "v\r\n'=SUM(A1)\r\n'+1\r\n'-1\r\n-1\r\n'@x\r\n'\tx\r\n\"'\rx\"\r\na=b\r\n-2.5\r\n"
        );
    }

    #[test]
    fn headers_that_start_like_formulas_get_a_quote_prefix_too() {
        assert_eq!(
            render(&json!({"=cmd": 1, "@a": {"b": 2}})),
            "'=cmd,'@a.b\r\n1,2\r\n"
        );
    }

    #[test]
    fn a_single_object_is_a_header_and_one_row() {
        #[derive(serde::Serialize)]
        struct Track {
            title: &'static str,
            live: bool,
            artist: Option<&'static str>,
        }
        let track = Track {
            title: "So What",
            live: false,
            artist: None,
        };
        assert_eq!(render(&track), "title,live,artist\r\nSo What,false,\r\n");
    }

    #[test]
    fn scalars_are_one_column_headed_value() {
        assert_eq!(render(&vec![1, 2]), "value\r\n1\r\n2\r\n");
        assert_eq!(render(&"hi"), "value\r\nhi\r\n");
        assert_eq!(render(&true), "value\r\ntrue\r\n");
    }

    #[test]
    fn an_empty_list_renders_nothing() {
        assert_eq!(render(&Vec::<u8>::new()), "");
        assert_eq!(render(&json!([{}, []])), "");
    }

    #[test]
    fn commas_quotes_and_newlines_are_quoted() {
        let data = json!([{"t": "a,b", "q": "say \"hi\"", "n": "line\nbreak", "plain": "x y"}]);
        assert_eq!(
            render(&data),
            "t,q,n,plain\r\n\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",x y\r\n"
        );
    }

    #[test]
    fn is_utf8_csv() {
        let r = CsvRenderer::new();
        assert_eq!(r.media_type().essence_str(), "text/csv");
        assert_eq!(r.charset(), Some("utf-8"));
        assert_eq!(r.format(), "csv");
    }
}
