//! A list's page kept as the database gave its rows ([`RowPage`]), and shown from them: the
//! model's fields in its `Serialize` order ([`Table::SHOWN`](crate::sql::Table::SHOWN)), each
//! written with the one serializer call its type makes. No model is made, no `String` per
//! cell: a page's text lives in one buffer.
//!
//! What a page shows is what the same rows read into models and serialized show, call for
//! call, so every renderer writes the same bytes either way (the tests render both). A row
//! the models would not read the same way (a value of another type than its column's, text
//! that is not UTF-8) makes the page unfit, and the list reads its models instead.

// Only a SQL repository makes pages; without one, a viewset still names the type.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use serde::de::IntoDeserializer;
use serde::ser::{Error as _, Serialize, SerializeSeq, SerializeStruct, Serializer};

use crate::ApiError;
use crate::validation::{DATETIME_TEXT_LEN, Date, DateTime, Decimal};

/// How a list reads a field straight from its column and shows it
/// ([`FieldType::ROW`](crate::model::FieldType::ROW)): what the column holds and the one
/// serializer call the field's type makes for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// An integer column, shown with `serialize_i64`.
    Integer,
    /// A double, shown with `serialize_f64` (an integer the column holds is read as a double).
    Real,
    /// A boolean (0/1 in SQLite), shown with `serialize_bool`.
    Boolean,
    /// Text, shown with `serialize_str`.
    Text,
    /// A [`Date`]: its stored text read as a `Date`, shown as its text.
    Date,
    /// A [`DateTime`]: its stored text read as a `DateTime`, shown as its text.
    DateTime,
    /// A [`Decimal`]: its stored text read as a `Decimal`, shown as its text.
    Decimal,
}

/// One field a [`derive@crate::Model`] serializes, in its `Serialize` order
/// ([`Table::SHOWN`](crate::sql::Table::SHOWN)): written by the derive.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShownField {
    /// Its name in the output (and its column's, unless computed).
    pub name: &'static str,
    /// A computed field (`#[field(computed)]`): no column; a hook gives its value.
    pub computed: bool,
    /// An `Option`: a NULL is shown as `serialize_none`, a value through `serialize_some`.
    pub optional: bool,
    /// The type's [`FieldType::ROW`](crate::model::FieldType::ROW).
    pub kind: Option<RowKind>,
}

/// One shown field: where its value is in a row and how it is shown.
#[derive(Clone, Copy, Debug)]
struct PlanField {
    name: &'static str,
    slot: usize,
    optional: bool,
    kind: RowKind,
}

/// A related column a list reads with its page
/// ([`SqlRepository::select_related`](crate::sql::SqlRepository::select_related)): the related
/// rows of the page's keys, each key looked up once, in the page's own read.
#[derive(Clone, Debug)]
pub(crate) struct RelatedLookup {
    /// The column holding the related row's key (an integer).
    key: usize,
    /// The (computed) field it fills: its slot, and how it reads.
    slot: usize,
    kind: RowKind,
    optional: bool,
    /// The lookup of one key's related value (`?1` the key), run for each key of a page
    /// with at most [`POINT_LOOKUPS`] keys.
    pub(crate) one: Arc<str>,
    /// The lookup of the related values of the keys in `?1`, a JSON array
    /// ([`RowPage::related_keys`]), for a page with more keys.
    pub(crate) many: Arc<str>,
}

/// The most keys a page's related values are looked up one by one, each by its key: a point
/// read costs less than the JSON array's and the `IN`'s setup for a few keys (a 100-row list
/// of one owner: about 4% more req/s, `bench/example-app/reads.sh`, docs/performance.md); past
/// this many, one lookup does them all.
pub(crate) const POINT_LOOKUPS: usize = 4;

/// How a model's rows are read into a [`RowPage`] and shown: made once per repository from
/// [`Table::SHOWN`](crate::sql::Table::SHOWN) and the columns it reads.
#[derive(Clone, Debug)]
pub(crate) struct RowPlan {
    struct_name: &'static str,
    fields: Vec<PlanField>,
    /// Per column read, in order: how to read it and whether it may be NULL; `None` for a
    /// column no field shows (not read).
    columns: Vec<Option<(RowKind, bool)>>,
    /// The computed fields' cells as a row starts: each after the columns, in order.
    computed: Vec<Cell>,
    /// The related columns read with a page, after its rows.
    related: Vec<RelatedLookup>,
}

impl RowPlan {
    /// The plan for a model that shows `shown` (its name and fields) and reads the columns
    /// `names`; `None` when some shown field has no [`RowKind`](crate::model::FieldType::ROW), is
    /// not a column read, or is computed with no plain default.
    pub(crate) fn new(
        shown: Option<(&'static str, &'static [ShownField])>,
        names: &[&'static str],
    ) -> Option<Self> {
        let (struct_name, shown) = shown?;
        let mut columns = vec![None; names.len()];
        let mut fields = Vec::with_capacity(shown.len());
        let mut computed = Vec::new();
        for field in shown {
            let kind = field.kind?;
            let slot = if field.computed {
                // What `#[serde(default)]` leaves in a model the hook does not change.
                computed.push(match (field.optional, kind) {
                    (true, _) => Cell::Null,
                    (false, RowKind::Integer) => Cell::Integer(0),
                    (false, RowKind::Real) => Cell::Real(0.0),
                    (false, RowKind::Boolean) => Cell::Boolean(false),
                    (false, RowKind::Text) => Cell::Text(0, 0),
                    (false, RowKind::Date | RowKind::DateTime | RowKind::Decimal) => return None,
                });
                names.len() + computed.len() - 1
            } else {
                let i = names.iter().position(|n| *n == field.name)?;
                let column = columns.get_mut(i)?;
                if column.is_some() {
                    return None;
                }
                *column = Some((kind, field.optional));
                i
            };
            fields.push(PlanField {
                name: field.name,
                slot,
                optional: field.optional,
                kind,
            });
        }
        Some(Self {
            struct_name,
            fields,
            columns,
            computed,
            related: Vec::new(),
        })
    }

    /// This plan reading besides, for each of `related` (`field`, the column of its key among
    /// `names`, its lookups' SQL: [`RelatedLookup::one`] and [`RelatedLookup::many`]), the
    /// shown `field` with its page's rows; a related field the model does not show is not
    /// read. `None` when a key is not an integer column or a shown `field` is not computed:
    /// the list then reads models.
    pub(crate) fn with_related(
        &self,
        related: &[(&'static str, &'static str, [Arc<str>; 2])],
        names: &[&'static str],
    ) -> Option<Self> {
        let mut plan = self.clone();
        for (field, key, [one, many]) in related {
            let Some(shown) = plan.fields.iter().find(|f| f.name == *field) else {
                continue;
            };
            if shown.slot < plan.columns.len() {
                return None;
            }
            let i = names.iter().position(|n| n == key)?;
            match plan.columns.get_mut(i)? {
                // Read, not shown: only for the lookup.
                column @ None => *column = Some((RowKind::Integer, true)),
                Some((RowKind::Integer, _)) => {}
                Some(_) => return None,
            }
            plan.related.push(RelatedLookup {
                key: i,
                slot: shown.slot,
                kind: shown.kind,
                optional: shown.optional,
                one: Arc::clone(one),
                many: Arc::clone(many),
            });
        }
        Some(plan)
    }

    /// The related columns read with a page ([`with_related`](Self::with_related)).
    pub(crate) fn related(&self) -> &[RelatedLookup] {
        &self.related
    }

    /// How many columns a row read for it has (the model's, before a count's).
    pub(crate) fn columns(&self) -> usize {
        self.columns.len()
    }

    fn width(&self) -> usize {
        self.columns.len() + self.computed.len()
    }
}

/// One value of a row.
///
/// An eight-byte tag, then the value at offset 8 whatever the variant (`repr(C, u64)`). With
/// Rust's own layout a `bool` sat at offset 1 and a text's span at 4, so a `Cell` was copied
/// through the stack as bytes 1..16 in two overlapping eight-byte moves, and the load that read
/// them back stalled (a store cannot be forwarded to a load it only partly covers): perf
/// annotate put most of the JSON writer's own time of a 100-row list on it. Shown, a cell is
/// borrowed, not copied.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, u64)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Boolean(bool),
    /// Text in the page's buffer: its start and length.
    Text(u32, u32),
}

/// A stored value as a backend gives it, borrowed from its row.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stored<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    /// Anything else (a blob): no shown field reads it.
    Other,
}

/// A page of a list as its rows, for a list's hook to fill in the computed fields
/// ([`ModelViewSet::prefetch_rows`](crate::ModelViewSet::prefetch_rows)) before it is shown.
/// It serializes as the sequence of the models the rows would read into, field for field.
///
/// A field is found once by name ([`field`](Self::field)); each row's value is then read and
/// written through it.
///
/// ```
/// # #[cfg(feature = "sqlite")]
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use restframe::sql::{Database, SqlRepository};
/// use restframe::{ListQuery, Model, Repository};
///
/// #[derive(serde::Serialize, serde::Deserialize, Model)]
/// #[model(table = "note")]
/// struct Note {
///     #[field(primary_key, read_only)]
///     id: i64,
///     text: String,
///     #[field(computed)]
///     #[serde(default)]
///     shout: Option<String>,
/// }
///
/// let db = Database::connect("sqlite::memory:").await.unwrap();
/// db.create_table::<Note>().await.unwrap();
/// let notes = SqlRepository::<Note>::new(&db);
/// db.query("INSERT INTO note (text) VALUES ('hello')", vec![], &[]).await.unwrap();
/// let query = ListQuery { limit: 10, ..ListQuery::default() };
/// let (mut page, count) = notes.list_rows(&query).await.unwrap().unwrap();
/// assert_eq!(count, Some(1));
/// let (text, shout) = (page.field("text").unwrap(), page.field("shout").unwrap());
/// let loud = page.text(0, text).unwrap_or_default().to_uppercase();
/// page.set_text(0, shout, &loud).unwrap();
/// assert_eq!(
///     serde_json::to_string(&page).unwrap(),
///     r#"[{"id":1,"text":"hello","shout":"HELLO"}]"#
/// );
/// # });
/// ```
#[derive(Debug)]
pub struct RowPage {
    plan: Arc<RowPlan>,
    /// Row after row, each `plan.width()` cells: the columns, then the computed fields.
    cells: Vec<Cell>,
    /// The text of every `Cell::Text`, once the page is [`finish`](Self::finish)ed.
    text: String,
    /// The bytes of every `Cell::Text` while rows are pushed: checked as UTF-8 once, whole, by
    /// [`finish`](Self::finish), not cell by cell.
    unchecked: Vec<u8>,
    /// Rows, in the order shown (a reversed page is not moved).
    order: Vec<u32>,
    declined: bool,
    /// The related lookups' statements run for it ([`lookup_run`](Self::lookup_run)).
    lookups: u64,
}

/// What a related lookup found: (key, value), sorted by key once complete.
#[derive(Debug, Default)]
pub(crate) struct Found(Vec<(i64, Cell)>);

/// A field of a [`RowPage`], found by [`RowPage::field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowField {
    slot: usize,
    kind: RowKind,
    optional: bool,
    name: &'static str,
}

impl RowPage {
    /// An empty page for `plan`, with room for `rows` rows.
    pub(crate) fn new(plan: Arc<RowPlan>, rows: usize) -> Self {
        let cells = Vec::with_capacity(rows.saturating_mul(plan.width()));
        Self {
            plan,
            cells,
            text: String::new(),
            unchecked: Vec::with_capacity(rows.saturating_mul(64)),
            order: Vec::with_capacity(rows),
            declined: false,
            lookups: 0,
        }
    }

    /// The plan it was made for.
    pub(crate) fn plan(&self) -> &Arc<RowPlan> {
        &self.plan
    }

    /// The keys of the rows pushed for `lookup`, each once, sorted.
    pub(crate) fn related_keys(&self, lookup: &RelatedLookup) -> Vec<i64> {
        let width = self.plan.width();
        let mut keys: Vec<i64> = self
            .cells
            .iter()
            .skip(lookup.key)
            .step_by(width)
            .filter_map(|cell| match cell {
                Cell::Integer(k) => Some(*k),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Counts a related lookup's statement as run ([`lookups`](Self::lookups)).
    pub(crate) fn lookup_run(&mut self) {
        self.lookups += 1;
    }

    /// Adds one row of `lookup`'s result to `found`: its key and its value, read as the field
    /// reads it. `false` when the model would not read them (a key that is no integer, a value
    /// of another type).
    pub(crate) fn related_found(
        &mut self,
        lookup: &RelatedLookup,
        found: &mut Found,
        key: Stored<'_>,
        value: Stored<'_>,
    ) -> bool {
        let Stored::Integer(key) = key else {
            return false;
        };
        match read(&mut self.unchecked, value, lookup.kind, lookup.optional) {
            Some(cell) => {
                found.0.push((key, cell));
                true
            }
            None => false,
        }
    }

    /// Sets `lookup`'s field in every row to what `found` holds for the row's key: null for
    /// no key or a key not found, as a list read into models reads it (its `LEFT JOIN`).
    /// `false` (the page is unfit) when the field cannot be null.
    pub(crate) fn fill_related(&mut self, lookup: &RelatedLookup, mut found: Found) -> bool {
        found.0.sort_unstable_by_key(|&(key, _)| key);
        let width = self.plan.width();
        for row in self.cells.chunks_exact_mut(width) {
            let value = match row.get(lookup.key) {
                Some(Cell::Integer(key)) => found
                    .0
                    .binary_search_by_key(key, |&(k, _)| k)
                    .ok()
                    .and_then(|i| found.0.get(i))
                    .map(|&(_, cell)| cell),
                _ => None,
            };
            let cell = match value {
                Some(cell) => cell,
                None if lookup.optional => Cell::Null,
                None => return false,
            };
            match row.get_mut(lookup.slot) {
                Some(slot) => *slot = cell,
                None => return false,
            }
        }
        true
    }

    /// How many related lookups' statements were run for it.
    pub(crate) fn lookups(&self) -> u64 {
        self.lookups
    }

    /// Adds a row whose `i`th column is `value(i)` (`None`: unreadable). Returns `false`, and
    /// leaves the page as it was, when a value is not what the model reads from its column.
    /// The page's text is checked once they all are ([`finish`](Self::finish)).
    pub(crate) fn push<'r>(&mut self, mut value: impl FnMut(usize) -> Option<Stored<'r>>) -> bool {
        let (cells, text) = (self.cells.len(), self.unchecked.len());
        let Ok(row) = u32::try_from(self.order.len()) else {
            return false;
        };
        for (i, column) in self.plan.columns.iter().enumerate() {
            let cell = match column {
                None => Some(Cell::Null),
                Some((kind, optional)) => {
                    value(i).and_then(|stored| read(&mut self.unchecked, stored, *kind, *optional))
                }
            };
            match cell {
                Some(cell) => self.cells.push(cell),
                None => {
                    self.cells.truncate(cells);
                    self.unchecked.truncate(text);
                    return false;
                }
            }
        }
        self.cells.extend_from_slice(&self.plan.computed);
        self.order.push(row);
        true
    }

    /// Checks the text of the rows pushed: `false` (the page is then unfit, as a row would be)
    /// when it is not UTF-8. One check of the whole text says each cell's is UTF-8 too, since
    /// each begins with a byte that begins a character ([`read`] refuses any other): in valid
    /// UTF-8 a cell's start and its end (the next cell's start, or the end) are then both
    /// character boundaries.
    pub(crate) fn finish(&mut self) -> bool {
        match String::from_utf8(std::mem::take(&mut self.unchecked)) {
            Ok(text) => {
                self.text = text;
                true
            }
            Err(_) => false,
        }
    }

    /// How many columns a row read for it has (the model's, before a count's).
    pub(crate) fn columns(&self) -> usize {
        self.plan.columns()
    }

    /// How many rows it has.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether it has no row.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The shown field `name` (a column or a computed field), if the model shows it.
    pub fn field(&self, name: &str) -> Option<RowField> {
        self.plan
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| RowField {
                slot: f.slot,
                kind: f.kind,
                optional: f.optional,
                name: f.name,
            })
    }

    fn cell(&self, row: usize, field: RowField) -> Option<Cell> {
        let row = usize::try_from(*self.order.get(row)?).ok()?;
        self.cells
            .get(row * self.plan.width() + field.slot)
            .copied()
    }

    fn cell_mut(&mut self, row: usize, field: RowField) -> Result<&mut Cell, ApiError> {
        let width = self.plan.width();
        self.order
            .get(row)
            .and_then(|&r| usize::try_from(r).ok())
            .and_then(|r| self.cells.get_mut(r * width + field.slot))
            .ok_or_else(|| ApiError::internal(format!("no row {row} in the page")))
    }

    /// Row `row`'s integer in `field` (an integer field, or a boolean as 0/1); `None` for a
    /// null or another kind.
    pub fn integer(&self, row: usize, field: RowField) -> Option<i64> {
        match self.cell(row, field)? {
            Cell::Integer(n) => Some(n),
            Cell::Boolean(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    /// Row `row`'s text in `field` (text, or a date, time or decimal as shown); `None` for a
    /// null or another kind.
    pub fn text(&self, row: usize, field: RowField) -> Option<&str> {
        match self.cell(row, field)? {
            Cell::Text(start, len) => {
                let start = usize::try_from(start).ok()?;
                let end = start.checked_add(usize::try_from(len).ok()?)?;
                self.text.get(start..end)
            }
            _ => None,
        }
    }

    /// Shows `text` as row `row`'s value of `field`, a text field (a `String`, or an
    /// `Option<String>`). A 500 for a field of another kind, or a row past the end.
    pub fn set_text(&mut self, row: usize, field: RowField, text: &str) -> Result<(), ApiError> {
        if field.kind != RowKind::Text {
            return Err(ApiError::internal(format!(
                "`{}` is not a text field: its text cannot be set",
                field.name
            )));
        }
        let cell = span(self.text.len(), self.text.len() + text.len())
            .ok_or_else(|| ApiError::internal("a page's text past 4 GiB"))?;
        *self.cell_mut(row, field)? = cell;
        self.text.push_str(text);
        Ok(())
    }

    /// Shows row `row`'s `field`, an `Option`, as null. A 500 for a field that is not one.
    pub fn set_null(&mut self, row: usize, field: RowField) -> Result<(), ApiError> {
        if !field.optional {
            return Err(ApiError::internal(format!(
                "`{}` is not an Option: it cannot be null",
                field.name
            )));
        }
        *self.cell_mut(row, field)? = Cell::Null;
        Ok(())
    }

    /// Gives the page up: the list reads its rows again, into models, and shows those (with
    /// the viewset's [`prefetch`](crate::ModelViewSet::prefetch) hook). For what a hook cannot
    /// show from rows (a nested object, say).
    pub fn decline(&mut self) {
        self.declined = true;
    }

    /// Whether a hook gave the page up ([`decline`](Self::decline)).
    pub(crate) fn declined(&self) -> bool {
        self.declined
    }

    /// Keeps the first `n` rows shown.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.order.truncate(n);
    }

    /// Shows the rows in the opposite order.
    pub(crate) fn reverse(&mut self) {
        self.order.reverse();
    }
}

/// `keys` as a JSON array (`[1,4]`), the parameter of [`RelatedLookup::many`].
pub(crate) fn json_keys(keys: &[i64]) -> String {
    let mut json = String::with_capacity(keys.len() * 8 + 2);
    json.push('[');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        // Writing to a `String` cannot fail.
        let _ = write!(json, "{key}");
    }
    json.push(']');
    json
}

/// `stored` as a field of `kind` reads it, as the model's deserializer would, its text appended
/// to `buffer`; `None` when the model would not read it. The text of a text field is checked
/// as UTF-8 later, with the page's ([`RowPage::finish`]); here only its first byte, which must
/// begin a character (not be a continuation byte, `10xxxxxx`).
// Inlined into `RowPage::push`'s loop, as it was while that was its only caller: a call per
// cell cost a 100-row list about 3 µs (perf, docs/performance.md).
#[inline(always)]
fn read(buffer: &mut Vec<u8>, stored: Stored<'_>, kind: RowKind, optional: bool) -> Option<Cell> {
    fn text(t: &[u8]) -> Option<&str> {
        std::str::from_utf8(t).ok()
    }
    match (stored, kind) {
        (Stored::Null, _) => optional.then_some(Cell::Null),
        (Stored::Integer(n), RowKind::Integer) => Some(Cell::Integer(n)),
        (Stored::Integer(n), RowKind::Boolean) => Some(Cell::Boolean(n != 0)),
        (Stored::Real(f), RowKind::Real) => Some(Cell::Real(f)),
        #[allow(clippy::cast_precision_loss)] // as serde's `f64` reads an integer
        (Stored::Integer(n), RowKind::Real) => Some(Cell::Real(n as f64)),
        (Stored::Text(t), RowKind::Text) => match t.first() {
            Some(&first) if first & 0xc0 == 0x80 => None,
            _ => push_bytes(buffer, t),
        },
        (Stored::Text(t), RowKind::Date) => {
            // Only `YYYY-MM-DD` parses (ASCII): a date that does is its own text.
            Date::from_bytes(t).ok()?;
            push_bytes(buffer, t)
        }
        // As every stored time is: its own text (ASCII), checked without being parsed.
        (Stored::Text(t), RowKind::DateTime) if is_shown_time(t) => push_bytes(buffer, t),
        (Stored::Text(t), RowKind::DateTime) => {
            let at = DateTime::from_str(text(t)?).ok()?;
            push_text(buffer, at.write_text(&mut [0; DATETIME_TEXT_LEN]))
        }
        (Stored::Text(t), RowKind::Decimal) => {
            // Its own deserializer, on the text, as the model reads it.
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                text(t)?.into_deserializer();
            let decimal = <Decimal as serde::Deserialize>::deserialize(de).ok()?;
            let start = buffer.len();
            std::io::Write::write_fmt(buffer, format_args!("{decimal}")).ok()?;
            span(start, buffer.len())
        }
        _ => None,
    }
}

/// Whether `text` is a [`DateTime`]'s own text, `YYYY-MM-DDThh:mm:ss.ffffffZ` with a real date
/// and time: the text that parses and shows as itself (the tests check both ways), as every
/// stored time is. Checked position by position, at a fifth of a parse's cost.
fn is_shown_time(text: &[u8]) -> bool {
    let Ok(b) = <&[u8; DATETIME_TEXT_LEN]>::try_from(text) else {
        return false;
    };
    let two = |i: usize| {
        let (Some(high), Some(low)) = (b.get(i), b.get(i + 1)) else {
            return None;
        };
        let (high, low) = (high.wrapping_sub(b'0'), low.wrapping_sub(b'0'));
        (high < 10 && low < 10).then(|| high * 10 + low)
    };
    b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[26] == b'Z'
        && Date::from_bytes(&b[..10]).is_ok()
        && two(11).is_some_and(|hour| hour < 24)
        && two(14).is_some_and(|minute| minute < 60)
        && two(17).is_some_and(|second| second < 60)
        && b[20..26].iter().all(u8::is_ascii_digit)
}

fn push_text(buffer: &mut Vec<u8>, text: &str) -> Option<Cell> {
    push_bytes(buffer, text.as_bytes())
}

fn push_bytes(buffer: &mut Vec<u8>, bytes: &[u8]) -> Option<Cell> {
    let start = buffer.len();
    buffer.extend_from_slice(bytes);
    span(start, buffer.len())
}

fn span(start: usize, end: usize) -> Option<Cell> {
    Some(Cell::Text(
        u32::try_from(start).ok()?,
        u32::try_from(end - start).ok()?,
    ))
}

impl Serialize for RowPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.order.len()))?;
        let width = self.plan.width();
        for &row in &self.order {
            let start = usize::try_from(row).map_err(S::Error::custom)? * width;
            let cells = self
                .cells
                .get(start..start + width)
                .ok_or_else(|| S::Error::custom("a row past the page's end"))?;
            seq.serialize_element(&Row { page: self, cells })?;
        }
        seq.end()
    }
}

/// One row, shown as its model.
struct Row<'p> {
    page: &'p RowPage,
    cells: &'p [Cell],
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = &self.page.plan;
        let mut row = serializer.serialize_struct(plan.struct_name, plan.fields.len())?;
        for field in &plan.fields {
            let cell = self.cells.get(field.slot).unwrap_or(&Cell::Null);
            let value = Value {
                page: self.page,
                cell,
                name: field.name,
            };
            if field.optional {
                row.serialize_field(field.name, &Optional(value))?;
            } else {
                row.serialize_field(field.name, &value)?;
            }
        }
        row.end()
    }
}

/// An `Option` field: `serialize_none`, or `serialize_some` of its value.
struct Optional<'p>(Value<'p>);

impl Serialize for Optional<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self.0.cell {
            Cell::Null => serializer.serialize_none(),
            _ => serializer.serialize_some(&self.0),
        }
    }
}

/// One field's value, as its type serializes it.
struct Value<'p> {
    page: &'p RowPage,
    cell: &'p Cell,
    name: &'static str,
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self.cell {
            Cell::Integer(n) => serializer.serialize_i64(n),
            Cell::Real(f) => serializer.serialize_f64(f),
            Cell::Boolean(b) => serializer.serialize_bool(b),
            Cell::Text(start, len) => {
                let start = usize::try_from(start).map_err(S::Error::custom)?;
                let end = start + usize::try_from(len).map_err(S::Error::custom)?;
                let text = self
                    .page
                    .text
                    .get(start..end)
                    .ok_or_else(|| S::Error::custom("text past the page's buffer"))?;
                serializer.serialize_str(text)
            }
            // Never read (`read` refuses it): a model could not hold it either.
            Cell::Null => Err(S::Error::custom(format!(
                "`{}` is null but not an Option",
                self.name
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DATETIME_TEXT_LEN, DateTime, FromStr, is_shown_time};

    /// A time copied as stored is the time the model shows: over texts of every shape near
    /// the stored one (random digits, `T`/`t`/space, `Z`/`z`/offsets, short fractions).
    #[test]
    fn a_stored_time_copied_is_the_time_shown() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let (mut own, mut parsed) = (0, 0);
        for _ in 0..200_000 {
            let mut text = String::with_capacity(32);
            for (i, layout) in "dddd-dd-ddTdd:dd:dd".bytes().enumerate() {
                let c = match layout {
                    b'd' if i == 5 => char::from(b'0' + u8::try_from(next(2)).unwrap()),
                    b'd' if i == 8 || i == 11 || i == 14 || i == 17 => {
                        char::from(b'0' + u8::try_from(next(7)).unwrap())
                    }
                    b'd' => char::from(b'0' + u8::try_from(next(10)).unwrap()),
                    b'T' => ['T', 't', ' '][usize::try_from(next(3)).unwrap()],
                    other => char::from(other),
                };
                text.push(c);
            }
            let fraction = ["", ".1", ".12345", ".123456", ".1234567"];
            text.push_str(fraction[usize::try_from(next(5)).unwrap()]);
            let ends = ["Z", "z", "+05:30", "-00:00", "+00:00"];
            text.push_str(ends[usize::try_from(next(5)).unwrap()]);
            if next(8) == 0 {
                // One byte anywhere made something else.
                let at = usize::try_from(next(text.len() as u64)).unwrap();
                let other =
                    ['x', '-', ':', '.', 'T', 'Z', '9', ' '][usize::try_from(next(8)).unwrap()];
                text.replace_range(at..=at, &other.to_string());
            }
            let Ok(at) = DateTime::from_str(&text) else {
                assert!(!is_shown_time(text.as_bytes()), "{text} does not parse");
                continue;
            };
            parsed += 1;
            let shown = at.write_text(&mut [0; DATETIME_TEXT_LEN]).to_owned();
            if is_shown_time(text.as_bytes()) {
                own += 1;
                assert_eq!(shown, text);
            } else {
                assert_ne!(shown, text, "a time shown as stored could be copied");
            }
        }
        assert!(own > 100 && parsed > own * 10, "{own} of {parsed}");
    }
}
