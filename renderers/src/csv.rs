//! `text/csv`: rows of flattened objects, RFC 4180, with formula-injection guarding.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

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
/// # Limits
///
/// A CSV table has a cell for every row and every column, so a small, ragged input (one row with
/// many columns, then many empty rows) can ask for a huge body. Two caps refuse such data with
/// [`RenderErrorKind::Unrepresentable`](crate::RenderErrorKind::Unrepresentable) — the framework
/// answers 406, rendered by another renderer — before anything big is allocated or written:
///
/// - **cells**: data rows × columns (the header row is not counted) may be at most
///   [`max_cells`](CsvRenderer::max_cells), by default [`CsvRenderer::DEFAULT_MAX_CELLS`]
///   (1,000,000);
/// - **header bytes**: the headers' total length (the dotted paths, before any `'` prefix) may be
///   at most [`CsvRenderer::MAX_HEADER_BYTES`] (1 MiB).
///
/// Rows are held sparsely while the table is built (only the cells the data has), so memory
/// stays proportional to the input; each header string is built once, when its column first
/// appears. Nothing is left in the output buffer when rendering is refused.
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
    max_cells: usize,
    results_field: Option<String>,
}

impl Default for CsvRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvRenderer {
    /// The default cap on data rows × columns: one million cells.
    pub const DEFAULT_MAX_CELLS: usize = 1_000_000;

    /// The cap on the headers' total length, in bytes (1 MiB).
    pub const MAX_HEADER_BYTES: usize = 1 << 20;

    /// A `text/csv; charset=utf-8` renderer, capped at [`Self::DEFAULT_MAX_CELLS`] cells.
    pub fn new() -> Self {
        Self {
            media_type: mime::TEXT_CSV,
            max_cells: Self::DEFAULT_MAX_CELLS,
            results_field: None,
        }
    }

    /// Renders only the rows under `field` when the data is an object holding a list there —
    /// a paginated envelope `{"count", "next", "previous", "results": [...]}` becomes the
    /// `results` rows, as djangorestframework-csv's `results_field`. Other data renders whole.
    ///
    /// ```
    /// use restframe_renderers::{CsvRenderer, RenderContext, Renderer};
    /// let page = serde_json::json!({"count": 2, "next": null, "results": [{"id": 1}, {"id": 2}]});
    /// let mut out = Vec::new();
    /// CsvRenderer::new().results_field("results").render(&page, &RenderContext::default(), &mut out).unwrap();
    /// assert_eq!(out, b"id\r\n1\r\n2\r\n");
    /// ```
    pub fn results_field(mut self, field: &str) -> Self {
        self.results_field = Some(field.to_owned());
        self
    }

    /// Caps the table at `cells` cells: data rows × columns, the header row not counted. Larger
    /// tables are refused as [unrepresentable](crate::RenderError::unrepresentable).
    ///
    /// ```
    /// use restframe_renderers::{CsvRenderer, RenderContext, RenderErrorKind, Renderer};
    /// let data = serde_json::json!([{"a": 1, "b": 2}, {"a": 3}]); // 2 rows × 2 columns
    /// let mut out = Vec::new();
    /// let err = CsvRenderer::new()
    ///     .max_cells(3)
    ///     .render(&data, &RenderContext::default(), &mut out)
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
    /// assert!(out.is_empty());
    /// assert!(CsvRenderer::new().max_cells(4).render(&data, &RenderContext::default(), &mut out).is_ok());
    /// ```
    pub fn max_cells(mut self, cells: usize) -> Self {
        self.max_cells = cells;
        self
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
        let mut value = serde_json::to_value(as_serialize(data)).map_err(RenderError::server)?;
        if let (Some(field), Value::Object(map)) = (&self.results_field, &mut value)
            && let Some(Value::Array(rows)) = map.get_mut(field)
        {
            value = Value::Array(std::mem::take(rows));
        }
        let table = Table::from_value(&value)?;
        if table.headers.is_empty() {
            return Ok(());
        }
        let (rows, columns) = (table.rows.len(), table.headers.len());
        if rows
            .checked_mul(columns)
            .is_none_or(|cells| cells > self.max_cells)
        {
            return Err(RenderError::unrepresentable(format!(
                "CSV would have {rows} rows × {columns} columns (more than {} cells); ask for \
                 another format or a smaller page",
                self.max_cells
            )));
        }
        let start = out.len();
        let result = table.write(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

/// One row, sparse: `(column, value)` for the cells the data has, sorted by column, one per
/// column. Missing columns are empty cells.
type Row<'a> = Vec<(usize, &'a Value)>;

/// Flattened rows: column headers in first-seen order and sparse rows.
struct Table<'a> {
    headers: Vec<String>,
    rows: Vec<Row<'a>>,
}

impl<'a> Table<'a> {
    fn from_value(value: &'a Value) -> Result<Self, RenderError> {
        let mut builder = Builder {
            headers: Vec::new(),
            columns: HashMap::new(),
            header_bytes: 0,
            path: String::new(),
            rows: Vec::new(),
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    builder.add_row(item)?;
                }
            }
            other => builder.add_row(other)?,
        }
        Ok(Self {
            headers: builder.headers,
            rows: builder.rows,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), RenderError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut *out);
        let headers = self.headers.iter().map(|h| guard(h));
        writer
            .write_record(headers.map(str_bytes))
            .map_err(RenderError::server)?;
        let width = self.headers.len();
        for row in &self.rows {
            let mut cells = row.iter().peekable();
            let fields = (0..width).map(|column| match cells.next_if(|&&(c, _)| c == column) {
                Some(&(_, value)) => str_bytes(cell(value)),
                None => Cow::Borrowed(&b""[..]),
            });
            writer.write_record(fields).map_err(RenderError::server)?;
        }
        writer.flush().map_err(RenderError::server)
    }
}

struct Builder<'a> {
    headers: Vec<String>,
    columns: HashMap<String, usize>,
    /// The total length of `headers`, kept under [`CsvRenderer::MAX_HEADER_BYTES`].
    header_bytes: usize,
    /// The dotted path of the value being flattened, reused: segments are pushed on the way
    /// down and truncated on the way up, so a leaf costs no allocation unless its column is new.
    path: String,
    rows: Vec<Row<'a>>,
}

impl<'a> Builder<'a> {
    fn add_row(&mut self, item: &'a Value) -> Result<(), RenderError> {
        let mut row = Row::new();
        self.path.clear();
        self.flatten(&mut row, item)?;
        // Order by column; when two paths flattened to one column, keep the later value (the
        // sort is stable, and `dedup_by` keeps the earlier of two, so swap the later into it).
        row.sort_by_key(|&(column, _)| column);
        row.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        self.rows.push(row);
        Ok(())
    }

    /// Adds the cells of `value`, found at `self.path` (empty at the top of a row), to `row`.
    fn flatten(&mut self, row: &mut Row<'a>, value: &'a Value) -> Result<(), RenderError> {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    self.descend(row, key, item)?;
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.descend(row, i, item)?;
                }
            }
            leaf => {
                let column = self.column()?;
                row.push((column, leaf));
            }
        }
        Ok(())
    }

    /// Flattens `item`, found under `segment` of the current path.
    fn descend(
        &mut self,
        row: &mut Row<'a>,
        segment: impl fmt::Display,
        item: &'a Value,
    ) -> Result<(), RenderError> {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        // Writing to a `String` cannot fail.
        let _ = write!(self.path, "{segment}");
        let result = self.flatten(row, item);
        self.path.truncate(len);
        result
    }

    /// The index of the column headed by the current path (`value` at the top), added if new.
    fn column(&mut self) -> Result<usize, RenderError> {
        let header = if self.path.is_empty() {
            "value"
        } else {
            self.path.as_str()
        };
        if let Some(&i) = self.columns.get(header) {
            return Ok(i);
        }
        self.header_bytes = self.header_bytes.saturating_add(header.len());
        if self.header_bytes > CsvRenderer::MAX_HEADER_BYTES {
            return Err(RenderError::unrepresentable(format!(
                "CSV headers would take more than {} bytes; ask for another format or a smaller \
                 page",
                CsvRenderer::MAX_HEADER_BYTES
            )));
        }
        let i = self.headers.len();
        self.headers.push(header.to_owned());
        self.columns.insert(header.to_owned(), i);
        Ok(i)
    }
}

/// The text of one cell.
fn cell(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::String(s) => guard(s),
        // Containers are flattened into columns and never reach a cell.
        Value::Array(_) | Value::Object(_) => Cow::Borrowed(""),
    }
}

/// A field's bytes, for the CSV writer.
fn str_bytes(text: Cow<'_, str>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// Prefixes `'` to text a spreadsheet would take for a formula.
fn guard(text: &str) -> Cow<'_, str> {
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
    use crate::RenderErrorKind;

    fn render(data: &dyn Data) -> String {
        let mut out = Vec::new();
        CsvRenderer::new()
            .render(data, &RenderContext::default(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn results_field_renders_only_the_rows_of_an_envelope_and_other_data_whole() {
        let r = CsvRenderer::new().results_field("results");
        let mut out = Vec::new();
        let page = json!({"count": 1, "next": null, "previous": null, "results": [{"a": 1}]});
        r.render(&page, &RenderContext::default(), &mut out)
            .unwrap();
        assert_eq!(out, b"a\r\n1\r\n");
        let mut out = Vec::new();
        r.render(
            &json!({"results": "not a list", "b": 2}),
            &RenderContext::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"results,b\r\nnot a list,2\r\n");
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
    fn two_paths_to_one_header_keep_the_later_value() {
        assert_eq!(render(&json!({"a.b": 1, "a": {"b": 2}})), "a.b\r\n2\r\n");
        // A lone empty field is written `""`, so the row is not a blank line.
        assert_eq!(
            render(&json!({"a": {"b": 2}, "a.b": null})),
            "a.b\r\n\"\"\r\n"
        );
        assert_eq!(
            render(&json!([{"x": 0, "a": {"b": 1}, "a.b": 2, "y": 3}])),
            "x,a.b,y\r\n0,2,3\r\n"
        );
    }

    #[test]
    fn a_row_may_name_old_columns_in_any_order() {
        let data = json!([{"a": 1, "b": 2, "c": 3}, {"c": 6, "a": 4}, {"b": 8}]);
        assert_eq!(render(&data), "a,b,c\r\n1,2,3\r\n4,,6\r\n,8,\r\n");
    }

    /// `[[0, 0, …×n], [], [], …×n]`: one wide row, then `n` empty rows.
    fn one_wide_row_then_empty_rows(n: usize) -> Value {
        let mut rows = vec![json!(vec![0; n])];
        rows.extend((0..n).map(|_| json!([])));
        Value::Array(rows)
    }

    fn try_render(renderer: &CsvRenderer, data: &dyn Data) -> (Result<(), RenderError>, Vec<u8>) {
        let mut out = b"kept".to_vec();
        let result = renderer.render(data, &RenderContext::default(), &mut out);
        (result, out)
    }

    #[test]
    fn a_wide_row_then_many_empty_rows_past_max_cells_is_unrepresentable() {
        let data = one_wide_row_then_empty_rows(200);
        let (result, out) = try_render(&CsvRenderer::new().max_cells(10_000), &data);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert_eq!(
            err.message(),
            "CSV would have 201 rows × 200 columns (more than 10000 cells); ask for another \
             format or a smaller page"
        );
        assert_eq!(out, b"kept", "nothing written");
    }

    #[test]
    fn a_wide_row_then_many_empty_rows_past_the_default_cap_is_unrepresentable() {
        // 2001 × 2000 cells, from a 12 kB body; the cap refuses it before writing anything.
        let data = one_wide_row_then_empty_rows(2000);
        let (result, out) = try_render(&CsvRenderer::new(), &data);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert!(err.message().contains("2001 rows × 2000 columns"), "{err}");
        assert!(err.message().contains("more than 1000000 cells"), "{err}");
        assert_eq!(out, b"kept", "nothing written");
    }

    #[test]
    fn a_wide_row_then_many_empty_rows_within_the_cap_renders_every_cell() {
        let n = 200;
        let data = one_wide_row_then_empty_rows(n);
        let (result, out) = try_render(&CsvRenderer::new().max_cells(201 * 200), &data);
        result.unwrap();
        let header = (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let zeros = vec!["0"; n].join(",");
        let empty = ",".repeat(n - 1);
        let mut expected = format!("kept{header}\r\n{zeros}\r\n");
        for _ in 0..n {
            expected.push_str(&empty);
            expected.push_str("\r\n");
        }
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn max_cells_counts_data_rows_times_columns_without_the_header_row() {
        let data = json!([{"a": 1, "b": 2}, {"a": 3}, {}]); // 3 rows × 2 columns
        assert!(
            try_render(&CsvRenderer::new().max_cells(6), &data)
                .0
                .is_ok()
        );
        let err = try_render(&CsvRenderer::new().max_cells(5), &data)
            .0
            .unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert!(err.message().contains("3 rows × 2 columns"), "{err}");
        // An empty table is no cell at all, whatever the cap.
        assert!(
            try_render(&CsvRenderer::new().max_cells(0), &json!([]))
                .0
                .is_ok()
        );
    }

    #[test]
    fn a_long_key_over_many_items_is_refused_by_the_header_bytes_cap() {
        // Each item would be a column headed by the 100 kB key plus its index: 100 MB of headers.
        let key = "k".repeat(100_000);
        let data = json!([{key.as_str(): vec![0; 1000]}]);
        let (result, out) = try_render(&CsvRenderer::new(), &data);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Unrepresentable);
        assert_eq!(
            err.message(),
            "CSV headers would take more than 1048576 bytes; ask for another format or a \
             smaller page"
        );
        assert!(err.message().len() < 200);
        assert_eq!(out, b"kept", "nothing written");
    }

    #[test]
    fn a_long_key_repeated_over_many_rows_is_one_column() {
        let key = "k".repeat(10_000);
        let data = Value::Array((0..200).map(|i| json!({key.as_str(): i})).collect());
        let (result, out) = try_render(&CsvRenderer::new(), &data);
        result.unwrap();
        let mut expected = format!("kept{key}\r\n");
        (0..200).for_each(|i| expected.push_str(&format!("{i}\r\n")));
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn headers_up_to_the_cap_are_fine() {
        let key = "k".repeat(CsvRenderer::MAX_HEADER_BYTES);
        let (result, _) = try_render(&CsvRenderer::new(), &json!({key.as_str(): 1}));
        result.unwrap();
        let (result, _) = try_render(&CsvRenderer::new(), &json!({key.as_str(): 1, "x": 2}));
        assert_eq!(result.unwrap_err().kind(), RenderErrorKind::Unrepresentable);
    }

    #[test]
    fn is_utf8_csv() {
        let r = CsvRenderer::new();
        assert_eq!(r.media_type().essence_str(), "text/csv");
        assert_eq!(r.charset(), Some("utf-8"));
        assert_eq!(r.format(), "csv");
    }
}
