//! The SQL text of each repository operation, for both dialects. Only identifiers from the
//! [`Table`](super::Table) declaration and placeholders go into the text; every value is bound.

use std::fmt::Write;

use super::schema::default_sql;
use super::value::ColumnType;
use super::{AutoNow, Column, ColumnDefault};

/// Which SQL a statement is written in: a [`Database`](super::Database)'s
/// ([`Database::dialect`](super::Database::dialect)), or the one a generated `CREATE TABLE`
/// is for ([`create_table_sql`](super::create_table_sql)).
///
/// ```
/// use restframe::sql::Dialect;
/// assert_ne!(Dialect::Sqlite, Dialect::Postgres);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite: `?N` placeholders; dates, datetimes, decimals, UUIDs and JSON as text.
    Sqlite,
    /// PostgreSQL: `$N::type` placeholders, every type native, dates, datetimes, decimals,
    /// UUIDs and JSON selected as text.
    Postgres,
}

/// The collation SQLite compares and sorts a [`ColumnType::Decimal`] column's text with: as
/// numbers, exactly (registered on every connection).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) const DECIMAL_COLLATION: &str = "restframe_decimal";

/// PostgreSQL's `TIMESTAMPTZ` as the text a [`crate::DateTime`] reads and SQLite stores.
fn pg_datetime_text(expr: &str) -> String {
    format!("to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
}

/// `expr`, a value of type `ty`, as the text a row reads (PostgreSQL's dates, decimals, UUIDs,
/// JSON and datetimes); `None` when it is read as it is.
fn read_as_text(dialect: Dialect, ty: ColumnType, expr: &str) -> Option<String> {
    match (dialect, ty) {
        (
            Dialect::Postgres,
            ColumnType::Date | ColumnType::Decimal | ColumnType::Uuid | ColumnType::Json,
        ) => Some(format!("{expr}::text")),
        (Dialect::Postgres, ColumnType::DateTime) => Some(pg_datetime_text(expr)),
        _ => None,
    }
}

/// A column of a related row read with each row ([`Statements::retrieve_related`]): `column`
/// (of type `ty`) of the `table` row whose `primary_key` equals this row's `foreign_key`,
/// named `field`.
#[derive(Clone, Debug)]
pub(crate) struct RelatedColumn {
    pub(crate) field: &'static str,
    pub(crate) foreign_key: &'static str,
    pub(crate) table: &'static str,
    pub(crate) primary_key: &'static str,
    pub(crate) column: &'static str,
    pub(crate) ty: ColumnType,
}

/// A page's related columns ([`Statements::related_joins`]): what its select list goes on
/// with, and its joins.
#[derive(Clone, Debug, Default)]
pub(crate) struct RelatedJoins {
    select: String,
    from: String,
}

/// The current time as a value of type `ty` (see [`ColumnDefault::Now`](super::ColumnDefault)).
pub(crate) fn now_sql(dialect: Dialect, ty: ColumnType) -> String {
    match (dialect, ty) {
        (Dialect::Sqlite, ColumnType::Date) => "date('now')".into(),
        (Dialect::Sqlite, ColumnType::Integer) => "CAST(strftime('%s', 'now') AS INTEGER)".into(),
        // `%f` is `SS.SSS`: three zeros make the six digits of every other datetime.
        (Dialect::Sqlite, _) => "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')".into(),
        (Dialect::Postgres, ColumnType::DateTime) => "now()".into(),
        (Dialect::Postgres, ColumnType::Date) => "(now() AT TIME ZONE 'UTC')::date".into(),
        (Dialect::Postgres, ColumnType::Integer) => {
            "floor(extract(epoch FROM now()))::bigint".into()
        }
        (Dialect::Postgres, _) => pg_datetime_text("now()"),
    }
}

/// Builds statements for one table.
#[derive(Clone, Debug)]
pub(crate) struct Statements {
    dialect: Dialect,
    table: String,
    columns: &'static [Column],
    /// `"id", "title", …` (PostgreSQL dates cast to text).
    select_list: String,
    /// `SELECT … FROM t WHERE id = ?`.
    pub(crate) retrieve: String,
    /// `INSERT … RETURNING …` over the writable columns, in declaration order.
    pub(crate) insert: String,
    /// `UPDATE … SET (writable) … WHERE id = ? RETURNING …`; the id is the last parameter.
    pub(crate) update: String,
    /// `DELETE FROM t WHERE id = ?`.
    pub(crate) delete: String,
    /// The primary key's name (never null: it sorts without a `NULLS` clause).
    primary_key: &'static str,
}

/// `name` as a quoted identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Statements {
    pub(crate) fn new(
        dialect: Dialect,
        table: &str,
        primary_key: &'static str,
        columns: &'static [Column],
    ) -> Self {
        let table_q = quote(table);
        let select_list = columns
            .iter()
            .map(|c| {
                let name = quote(c.name);
                match read_as_text(dialect, c.ty, &name) {
                    Some(text) => format!("{text} AS {name}"),
                    None => name,
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let pk_ty = columns
            .iter()
            .find(|c| c.name == primary_key)
            .map_or(ColumnType::Integer, |c| c.ty);
        let writable: Vec<&Column> = columns.iter().filter(|c| c.writable).collect();
        let mut s = Self {
            dialect,
            table: table_q.clone(),
            columns,
            select_list,
            retrieve: String::new(),
            insert: String::new(),
            update: String::new(),
            delete: String::new(),
            primary_key,
        };
        let pk = quote(primary_key);
        s.retrieve = s.select_by_key("");
        let mut names = writable.iter().map(|c| quote(c.name)).collect::<Vec<_>>();
        let mut values = writable
            .iter()
            .enumerate()
            .map(|(i, c)| match absent_default(c) {
                // A column that cannot hold NULL takes its default for a value not given
                // (Django's model default: a field a client may leave out).
                Some(default) => format!(
                    "COALESCE({}, {})",
                    s.placeholder(i + 1, c.ty),
                    default_sql(dialect, c.ty, default)
                ),
                None => s.placeholder(i + 1, c.ty),
            })
            .collect::<Vec<_>>();
        // Set by the repository, whatever the table's defaults (a hand-written table may
        // have none).
        for c in columns
            .iter()
            .filter(|c| !c.writable && c.auto_now.is_some())
        {
            names.push(quote(c.name));
            values.push(now_sql(dialect, c.ty));
        }
        s.insert = if names.is_empty() {
            format!(
                "INSERT INTO {table_q} DEFAULT VALUES RETURNING {}",
                s.select_list
            )
        } else {
            format!(
                "INSERT INTO {table_q} ({}) VALUES ({}) RETURNING {}",
                names.join(", "),
                values.join(", "),
                s.select_list
            )
        };
        s.update = s.update_columns(primary_key, &writable);
        s.delete = format!(
            "DELETE FROM {table_q} WHERE {pk} = {}",
            s.placeholder(1, pk_ty)
        );
        s
    }

    /// `UPDATE … SET` over `columns` only (a PATCH's fields, so concurrent PATCHes of different
    /// fields keep each other's changes) `WHERE pk = ? RETURNING …`; the key is the last
    /// parameter.
    pub(crate) fn update_columns(&self, primary_key: &str, columns: &[&Column]) -> String {
        let pk_ty = self.column_type(primary_key);
        let pk = quote(primary_key);
        let mut sets = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let value = self.placeholder(i + 1, c.ty);
                match absent_default(c) {
                    // Not given: kept as it is (an update leaves out a field with a default).
                    Some(_) => format!("{0} = COALESCE({value}, {0})", quote(c.name)),
                    None => format!("{} = {value}", quote(c.name)),
                }
            })
            .collect::<Vec<_>>();
        let stamped = self.columns.iter().filter(|c| {
            !c.writable
                && c.auto_now == Some(AutoNow::OnSave)
                && !columns.iter().any(|set| set.name == c.name)
        });
        for c in stamped {
            sets.push(format!(
                "{} = {}",
                quote(c.name),
                now_sql(self.dialect, c.ty)
            ));
        }
        format!(
            "UPDATE {} SET {} WHERE {pk} = {} RETURNING {}",
            self.table,
            if sets.is_empty() {
                format!("{pk} = {pk}")
            } else {
                sets.join(", ")
            },
            self.placeholder(columns.len() + 1, pk_ty),
            self.select_list
        )
    }

    /// `update_columns`, only while `guard` still holds the value of the last placeholder
    /// (null-safe: NULL matches NULL): a compare-and-swap.
    pub(crate) fn update_columns_if(
        &self,
        primary_key: &str,
        columns: &[&Column],
        guard: &str,
    ) -> String {
        let update = self.update_columns(primary_key, columns);
        let (head, returning) = update
            .split_once(" RETURNING ")
            .unwrap_or((update.as_str(), ""));
        let same = match self.dialect {
            Dialect::Sqlite => "IS",
            Dialect::Postgres => "IS NOT DISTINCT FROM",
        };
        format!(
            "{head} AND {} {same} {} RETURNING {returning}",
            quote(guard),
            self.placeholder(columns.len() + 2, self.column_type(guard))
        )
    }

    /// Deletes one row by primary key and returns it as it was.
    pub(crate) fn delete_returning(&self, primary_key: &str) -> String {
        format!(
            "DELETE FROM {} WHERE {} = {} RETURNING {}",
            self.table,
            quote(primary_key),
            self.placeholder(1, self.column_type(primary_key)),
            self.select_list
        )
    }

    /// The `n`th (1-based) placeholder for a value of type `ty`.
    /// [`retrieve`](Self::retrieve), [`insert`](Self::insert) and [`update`](Self::update)
    /// that also read each of `related`, in that order.
    pub(crate) fn with_related(&self, related: &[RelatedColumn]) -> [String; 3] {
        let extra = self.related_list(related);
        [
            self.select_by_key(&extra),
            // Both end in `RETURNING` and the columns.
            format!("{}{extra}", self.insert),
            format!("{}{extra}", self.update),
        ]
    }

    /// `, (subquery) AS "field"` for each of `related`: a scalar subquery each, so the outer
    /// statement's names keep their meaning and a missing row reads `NULL`.
    fn related_list(&self, related: &[RelatedColumn]) -> String {
        let mut extra = String::new();
        for r in related {
            // An alias of our own, so a table related to itself (a parent row) reads the
            // other row.
            let inner = "\"restframe_related\"";
            let value = format!("{inner}.{}", quote(r.column));
            let value = read_as_text(self.dialect, r.ty, &value).unwrap_or(value);
            extra.push_str(&format!(
                ", (SELECT {value} FROM {} AS {inner} WHERE {inner}.{} = {}.{}) AS {}",
                quote(r.table),
                quote(r.primary_key),
                self.table,
                quote(r.foreign_key),
                quote(r.field),
            ));
        }
        extra
    }

    /// What a page's statement reads `related` with ([`Statements::page`]): a `LEFT JOIN`
    /// each, on a derived table of the related rows' key and column under names of our own, so
    /// that the page's own names (unqualified in its `WHERE`) keep their meaning, a missing row
    /// reads `NULL` as the scalar subquery of [`Statements::related_list`] does, and the
    /// database may join once per related row rather than run a subquery per row (PostgreSQL
    /// memoizes the lookups of a page whose rows share their related rows).
    pub(crate) fn related_joins(&self, related: &[RelatedColumn]) -> RelatedJoins {
        let mut joins = RelatedJoins::default();
        for (i, r) in related.iter().enumerate() {
            let alias = format!("\"restframe_related_{i}\"");
            let column = quote(r.column);
            let value = read_as_text(self.dialect, r.ty, &column).unwrap_or(column);
            joins.select.push_str(&format!(
                ", {alias}.\"restframe_value\" AS {}",
                quote(r.field)
            ));
            joins.from.push_str(&format!(
                " LEFT JOIN (SELECT {} AS \"restframe_key\", {value} AS \"restframe_value\" \
                 FROM {}) AS {alias} ON {alias}.\"restframe_key\" = {}.{}",
                quote(r.primary_key),
                quote(r.table),
                self.table,
                quote(r.foreign_key),
            ));
        }
        joins
    }

    /// The lookups of `related`'s column by key (SQLite), as the related list's subquery reads
    /// it: `SELECT key, column FROM table WHERE key = ?1` for one key, and the same with
    /// `key IN (SELECT value FROM json_each(?1))` for the keys in `?1`, a JSON array (`[1,4]`),
    /// so that one statement serves any number of them.
    pub(crate) fn related_lookups(related: &RelatedColumn) -> [String; 2] {
        let select = format!(
            "SELECT {key}, {} FROM {} WHERE {key}",
            quote(related.column),
            quote(related.table),
            key = quote(related.primary_key),
        );
        [
            format!("{select} = ?1"),
            format!("{select} IN (SELECT value FROM json_each(?1))"),
        ]
    }

    /// `SELECT (the columns){extra} FROM t WHERE pk = ?`.
    fn select_by_key(&self, extra: &str) -> String {
        format!(
            "SELECT {}{extra} FROM {} WHERE {} = {}",
            self.select_list,
            self.table,
            quote(self.primary_key),
            self.placeholder(1, self.key_type())
        )
    }

    /// The primary key's type (an integer when the columns do not name it).
    fn key_type(&self) -> ColumnType {
        self.columns
            .iter()
            .find(|c| c.name == self.primary_key)
            .map_or(ColumnType::Integer, |c| c.ty)
    }

    pub(crate) fn placeholder(&self, n: usize, ty: ColumnType) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}::{}", ty.pg_cast()),
        }
    }

    /// ` COLLATE restframe_decimal` for a decimal in SQLite, whose text must compare as a
    /// number (`2.5` < `10`, `1.50` = `1.5`).
    fn collation(&self, ty: ColumnType) -> &'static str {
        match (self.dialect, ty) {
            (Dialect::Sqlite, ColumnType::Decimal) => " COLLATE restframe_decimal",
            _ => "",
        }
    }

    fn column_type(&self, name: &str) -> ColumnType {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map_or(ColumnType::Text, |c| c.ty)
    }

    /// `WHERE a = ? AND b = ?` over `filters` (names already allow-listed), from placeholder 1.
    fn where_clause(&self, filters: &[&str]) -> String {
        let mut out = String::new();
        for (i, name) in filters.iter().enumerate() {
            out.push_str(if i == 0 { " WHERE " } else { " AND " });
            let ty = self.column_type(name);
            let _ = write!(
                out,
                "{} = {}{}",
                quote(name),
                self.placeholder(i + 1, ty),
                self.collation(ty)
            );
        }
        out
    }

    /// `SELECT … FROM t WHERE a = ? AND b = ?` (the primary key first, for a narrowed
    /// detail lookup).
    pub(crate) fn select_where(&self, filters: &[&str]) -> String {
        format!(
            "SELECT {} FROM {}{}",
            self.select_list,
            self.table,
            self.where_clause(filters)
        )
    }

    /// `SELECT … FROM t WHERE column IN (?1, …, ?n)`: the rows of `n` keys in one statement.
    pub(crate) fn select_in(&self, column: &str, n: usize) -> String {
        let ty = self.column_type(column);
        let mut sql = format!(
            "SELECT {} FROM {} WHERE {} IN (",
            self.select_list,
            self.table,
            quote(column)
        );
        for i in 1..=n {
            if i > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&self.placeholder(i, ty));
        }
        sql.push(')');
        sql
    }

    /// A `WHERE` over `filters` (`a = ?`, from placeholder 1) and then `clauses`, numbering
    /// their parameters on; empty without either.
    pub(crate) fn where_all(&self, filters: &[&str], clauses: &[Clause<'_>]) -> String {
        let mut out = self.where_clause(filters);
        let mut n = filters.len();
        for clause in clauses {
            out.push_str(if out.is_empty() { " WHERE " } else { " AND " });
            let column = |name: &str| {
                format!(
                    "{}.{}{}",
                    self.table,
                    quote(name),
                    self.collation(self.column_type(name))
                )
            };
            match clause {
                Clause::Compare { column: name, op } => {
                    n += 1;
                    let _ = write!(
                        out,
                        "{} {op} {}",
                        column(name),
                        self.placeholder(n, self.column_type(name))
                    );
                }
                Clause::In {
                    column: name,
                    n: values,
                } => {
                    let _ = write!(out, "{} IN (", column(name));
                    for i in 0..*values {
                        n += 1;
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&self.placeholder(n, self.column_type(name)));
                    }
                    out.push(')');
                }
                Clause::IsNull { column: name, null } => {
                    let _ = write!(
                        out,
                        "{}.{} IS {}NULL",
                        self.table,
                        quote(name),
                        if *null { "" } else { "NOT " }
                    );
                }
                Clause::After { keys } => {
                    let expr = self.keyset(keys, &mut |i| {
                        n += 1;
                        self.placeholder(n, self.column_type(keys[i].column))
                    });
                    out.push_str(&expr);
                }
                Clause::Like { columns } => {
                    n += 1;
                    out.push('(');
                    for (i, name) in columns.iter().enumerate() {
                        if i > 0 {
                            out.push_str(" OR ");
                        }
                        out.push_str(&self.like(name, n));
                    }
                    out.push(')');
                }
            }
        }
        out
    }

    /// The rows strictly after a keyset position (see [`Clause::After`]), in the order
    /// [`Statements::page`] sorts: nulls last going up, first going down. `param(i)` is
    /// the placeholder of key `i`'s value, called in the order the values are bound
    /// ([`Statements::keyset_params`]).
    ///
    /// Keys all one way, none null and none that a null would follow are one row-value
    /// comparison, `(a, id) > (?, ?)`, which both SQLite and PostgreSQL answer by seeking an
    /// index on `(a, id)`; otherwise the comparison is spelt out key by key.
    fn keyset(&self, keys: &[AfterKey<'_>], param: &mut dyn FnMut(usize) -> String) -> String {
        let column = |name: &str| {
            format!(
                "{}.{}{}",
                self.table,
                quote(name),
                self.collation(self.column_type(name))
            )
        };
        let nullable = |name: &str| self.columns.iter().any(|c| c.name == name && c.nullable);
        let descending = keys.first().is_some_and(|k| k.descending);
        let plain = keys.iter().all(|k| {
            !k.null
                && k.descending == descending
                && (descending || !nullable(k.column))
                && self.collation(self.column_type(k.column)).is_empty()
        });
        if plain {
            let columns: Vec<String> = keys.iter().map(|k| column(k.column)).collect();
            let values: Vec<String> = (0..keys.len()).map(&mut *param).collect();
            return format!(
                "({}) {} ({})",
                columns.join(", "),
                if descending { "<" } else { ">" },
                values.join(", ")
            );
        }
        // after(i) = beyond(i) OR (equal(i) AND after(i + 1)); the last key is unique.
        fn after(
            keys: &[AfterKey<'_>],
            i: usize,
            column: &dyn Fn(&str) -> String,
            nullable: &dyn Fn(&str) -> bool,
            param: &mut dyn FnMut(usize) -> String,
        ) -> String {
            let key = keys[i];
            let c = column(key.column);
            let beyond = match (key.descending, key.null) {
                (false, false) if nullable(key.column) => {
                    Some(format!("({c} > {} OR {c} IS NULL)", param(i)))
                }
                (false, false) => Some(format!("{c} > {}", param(i))),
                // Going up, nothing follows a null.
                (false, true) => None,
                (true, false) => Some(format!("{c} < {}", param(i))),
                (true, true) => Some(format!("{c} IS NOT NULL")),
            };
            if i + 1 == keys.len() {
                return beyond.unwrap_or_else(|| "1 = 0".into());
            }
            let equal = if key.null {
                format!("{c} IS NULL")
            } else {
                format!("{c} = {}", param(i))
            };
            let rest = after(keys, i + 1, column, nullable, param);
            match beyond {
                Some(beyond) => format!("({beyond} OR ({equal} AND {rest}))"),
                None => format!("({equal} AND {rest})"),
            }
        }
        if keys.is_empty() {
            return "1 = 1".into();
        }
        after(keys, 0, &column, &nullable, param)
    }

    /// Which key's value each placeholder of [`Statements::keyset`] takes, in order.
    pub(crate) fn keyset_params(&self, keys: &[AfterKey<'_>]) -> Vec<usize> {
        let mut order = Vec::new();
        self.keyset(keys, &mut |i| {
            order.push(i);
            String::new()
        });
        order
    }

    /// `SELECT COUNT(*)` of the rows under a `WHERE` from [`Statements::where_all`], reading
    /// at most `cap + 1` of them: more than `cap` means "more than the cap".
    pub(crate) fn count_capped(&self, where_sql: &str, cap: u64) -> String {
        format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {}{where_sql} LIMIT {}) AS capped",
            self.table,
            cap.saturating_add(1).min(i64::MAX as u64)
        )
    }

    /// `column LIKE ?n` ignoring case, with `\` escaping `%` and `_` in the pattern: SQLite's
    /// `LIKE` (case-insensitive for ASCII), PostgreSQL's `ILIKE` on the column as text.
    fn like(&self, name: &str, n: usize) -> String {
        match self.dialect {
            Dialect::Sqlite => format!(
                "{}.{} LIKE {} ESCAPE '\\'",
                self.table,
                quote(name),
                self.placeholder(n, ColumnType::Text)
            ),
            Dialect::Postgres => format!(
                "CAST({}.{} AS TEXT) ILIKE {} ESCAPE '\\'",
                self.table,
                quote(name),
                self.placeholder(n, ColumnType::Text)
            ),
        }
    }

    /// `SELECT COUNT(*) FROM t` and a `WHERE` from [`Statements::where_all`].
    pub(crate) fn count_where(&self, where_sql: &str) -> String {
        format!("SELECT COUNT(*) FROM {}{where_sql}", self.table)
    }

    /// One page under a `WHERE` from [`Statements::where_all`] that takes `params`
    /// parameters: limit and offset are the two after them. The select list goes on with
    /// `related`'s columns ([`Statements::related_joins`]), then, with `count_sql`, one more
    /// column, last: `count_sql` (a count from [`Statements::count_where`] or
    /// [`Statements::count_capped`] under the same `WHERE` without its keyset clause, so its
    /// placeholders are the page's first ones) as a scalar subquery. Both dialects run an
    /// uncorrelated subquery once per statement, and only when a row needs it, and one
    /// statement reads one snapshot, so the count and the page agree without a transaction. An
    /// empty page carries no count.
    pub(crate) fn page(
        &self,
        where_sql: &str,
        params: usize,
        ordering: &[(&str, bool)],
        count_sql: Option<&str>,
        related: Option<&RelatedJoins>,
    ) -> String {
        let mut sql = format!("SELECT {}", self.select_list);
        if let Some(related) = related {
            sql.push_str(&related.select);
        }
        if let Some(count_sql) = count_sql {
            sql.push_str(", (");
            sql.push_str(count_sql);
            sql.push_str(") AS \"restframe_count\"");
        }
        sql.push_str(" FROM ");
        sql.push_str(&self.table);
        if let Some(related) = related {
            sql.push_str(&related.from);
        }
        sql.push_str(where_sql);
        self.order_and_window(&mut sql, params, ordering);
        sql
    }

    /// ` ORDER BY … LIMIT ? OFFSET ?` after a `WHERE` of `n` parameters.
    fn order_and_window(&self, sql: &mut String, n: usize, ordering: &[(&str, bool)]) {
        for (i, (name, descending)) in ordering.iter().enumerate() {
            sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
            // Qualified, so PostgreSQL sorts the column (a DATE, with its index) and not the
            // text the select list casts it to under the same name.
            sql.push_str(&self.table);
            sql.push('.');
            sql.push_str(&quote(name));
            sql.push_str(self.collation(self.column_type(name)));
            // NULLs sort last going up and first going down in both dialects (PostgreSQL's
            // default; SQLite's is the reverse), so a page is the same on either. The primary
            // key is never null: without the clause SQLite's index serves `(key, id)` whole.
            sql.push_str(match (*descending, *name == self.primary_key) {
                (true, false) => " DESC NULLS FIRST",
                (false, false) => " ASC NULLS LAST",
                (true, true) => " DESC",
                (false, true) => " ASC",
            });
        }
        let _ = write!(
            sql,
            " LIMIT {} OFFSET {}",
            self.placeholder(n + 1, ColumnType::Integer),
            self.placeholder(n + 2, ColumnType::Integer)
        );
    }
}

/// One condition of a list's `WHERE` beyond exact filters (see [`Statements::where_all`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Clause<'a> {
    /// `column op ?` (`op` one of `=`, `>`, `>=`, `<`, `<=`).
    Compare { column: &'a str, op: &'static str },
    /// `column IN (?, …)` over `n` values.
    In { column: &'a str, n: usize },
    /// `column IS NULL`, or `IS NOT NULL`.
    IsNull { column: &'a str, null: bool },
    /// Any of `columns` is `LIKE` one pattern, ignoring case.
    Like { columns: &'a [String] },
    /// Strictly after a keyset position of the page's ordering, its values bound in the
    /// order [`Statements::keyset_params`] gives.
    After { keys: &'a [AfterKey<'a>] },
}

/// One key of a keyset position: the ordering's column and direction, and whether the
/// position's value is null.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AfterKey<'a> {
    pub(crate) column: &'a str,
    pub(crate) descending: bool,
    pub(crate) null: bool,
}

/// The default a writable column takes when a write gives it no value: one that cannot hold
/// `NULL` and has a [`ColumnDefault`], so that `NULL` can only mean "not given".
fn absent_default(c: &Column) -> Option<ColumnDefault> {
    if c.writable && !c.nullable && c.auto_now.is_none() {
        c.default
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{Clause, Dialect, RelatedColumn, Statements};
    use crate::sql::{Column, ColumnType};

    const COLUMNS: &[Column] = &[
        Column::new("id", ColumnType::Integer).read_only(),
        Column::new("title", ColumnType::Text),
        Column::new("release_date", ColumnType::Date),
    ];

    #[test]
    fn sqlite_statements() {
        let s = Statements::new(Dialect::Sqlite, "track", "id", COLUMNS);
        assert_eq!(
            s.insert,
            r#"INSERT INTO "track" ("title", "release_date") VALUES (?1, ?2) RETURNING "id", "title", "release_date""#
        );
        assert_eq!(
            s.update,
            r#"UPDATE "track" SET "title" = ?1, "release_date" = ?2 WHERE "id" = ?3 RETURNING "id", "title", "release_date""#
        );
        assert_eq!(
            s.page(
                &s.where_all(&["title"], &[]),
                1,
                &[("release_date", true), ("id", false)],
                None,
                None
            ),
            r#"SELECT "id", "title", "release_date" FROM "track" WHERE "title" = ?1 ORDER BY "track"."release_date" DESC NULLS FIRST, "track"."id" ASC LIMIT ?2 OFFSET ?3"#
        );
        let filtered = s.where_all(&["title"], &[]);
        assert_eq!(
            s.page(
                &filtered,
                1,
                &[("id", false)],
                Some(&s.count_capped(&filtered, 1000)),
                None
            ),
            r#"SELECT "id", "title", "release_date", (SELECT COUNT(*) FROM (SELECT 1 FROM "track" WHERE "title" = ?1 LIMIT 1001) AS capped) AS "restframe_count" FROM "track" WHERE "title" = ?1 ORDER BY "track"."id" ASC LIMIT ?2 OFFSET ?3"#
        );
    }

    #[test]
    fn a_related_column_is_a_scalar_subquery_of_the_retrieve_and_the_writes() {
        let related = [RelatedColumn {
            field: "owner_since",
            foreign_key: "owner",
            table: "user",
            primary_key: "id",
            column: "since",
            ty: ColumnType::Date,
        }];
        const OWNED: &[Column] = &[Column::integer("id"), Column::integer("owner")];
        let sqlite = Statements::new(Dialect::Sqlite, "track", "id", OWNED);
        assert_eq!(
            sqlite.retrieve,
            r#"SELECT "id", "owner" FROM "track" WHERE "id" = ?1"#
        );
        let since = r#"(SELECT "restframe_related"."since" FROM "user" AS "restframe_related" WHERE "restframe_related"."id" = "track"."owner") AS "owner_since""#;
        let [retrieve, insert, update] = sqlite.with_related(&related);
        assert_eq!(
            retrieve,
            format!(r#"SELECT "id", "owner", {since} FROM "track" WHERE "id" = ?1"#)
        );
        assert_eq!(
            insert,
            format!(
                r#"INSERT INTO "track" ("id", "owner") VALUES (?1, ?2) RETURNING "id", "owner", {since}"#
            )
        );
        assert_eq!(
            update,
            format!(
                r#"UPDATE "track" SET "id" = ?1, "owner" = ?2 WHERE "id" = ?3 RETURNING "id", "owner", {since}"#
            )
        );
        let postgres = Statements::new(Dialect::Postgres, "track", "id", OWNED);
        assert_eq!(
            postgres.with_related(&related)[0],
            r#"SELECT "id", "owner", (SELECT "restframe_related"."since"::text FROM "user" AS "restframe_related" WHERE "restframe_related"."id" = "track"."owner") AS "owner_since" FROM "track" WHERE "id" = $1::bigint"#
        );
    }

    #[test]
    fn postgres_statements_cast_placeholders_and_dates() {
        let s = Statements::new(Dialect::Postgres, "track", "id", COLUMNS);
        assert_eq!(
            s.retrieve,
            r#"SELECT "id", "title", "release_date"::text AS "release_date" FROM "track" WHERE "id" = $1::bigint"#
        );
        assert_eq!(
            s.count_where(&s.where_all(&["release_date"], &[])),
            r#"SELECT COUNT(*) FROM "track" WHERE "release_date" = $1::date"#
        );
        let title = ["title".to_owned()];
        assert_eq!(
            s.where_all(
                &[],
                &[
                    Clause::Compare {
                        column: "release_date",
                        op: ">="
                    },
                    Clause::Like { columns: &title },
                ]
            ),
            r#" WHERE "track"."release_date" >= $1::date AND (CAST("track"."title" AS TEXT) ILIKE $2::text ESCAPE '\')"#
        );
    }

    #[test]
    fn sqlite_lookups_number_their_parameters_after_the_filters() {
        let s = Statements::new(Dialect::Sqlite, "track", "id", COLUMNS);
        let both = ["title".to_owned(), "release_date".to_owned()];
        let clauses = [
            Clause::Compare {
                column: "release_date",
                op: "<",
            },
            Clause::In { column: "id", n: 3 },
            Clause::IsNull {
                column: "release_date",
                null: false,
            },
            Clause::Like { columns: &both },
        ];
        let where_sql = s.where_all(&["title"], &clauses);
        assert_eq!(
            where_sql,
            r#" WHERE "title" = ?1 AND "track"."release_date" < ?2 AND "track"."id" IN (?3, ?4, ?5) AND "track"."release_date" IS NOT NULL AND ("track"."title" LIKE ?6 ESCAPE '\' OR "track"."release_date" LIKE ?6 ESCAPE '\')"#
        );
        assert!(
            s.page(&where_sql, 6, &[("id", false)], None, None)
                .ends_with(r#"ORDER BY "track"."id" ASC LIMIT ?7 OFFSET ?8"#)
        );
        assert_eq!(s.where_all(&[], &[]), "");
    }

    const TYPED: &[Column] = &[
        Column::new("id", ColumnType::Uuid)
            .primary_key()
            .read_only(),
        Column::new("price", ColumnType::Decimal),
        Column::new("at", ColumnType::DateTime),
        Column::new("meta", ColumnType::Json).nullable(),
        Column::new("created_at", ColumnType::DateTime).auto_now_add(),
        Column::new("updated_at", ColumnType::DateTime).auto_now(),
    ];

    #[test]
    fn postgres_selects_new_types_as_text() {
        let s = Statements::new(Dialect::Postgres, "item", "id", TYPED);
        assert_eq!(
            s.select_where(&["id", "price"]),
            r#"SELECT "id"::text AS "id", "price"::text AS "price", to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "at", "meta"::text AS "meta", to_char("created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "created_at", to_char("updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "updated_at" FROM "item" WHERE "id" = $1::uuid AND "price" = $2::numeric"#
        );
        assert!(
            s.insert.starts_with(
                r#"INSERT INTO "item" ("price", "at", "meta", "created_at", "updated_at") VALUES ($1::numeric, $2::timestamptz, $3::jsonb, now(), now()) RETURNING "#
            ),
            "{}",
            s.insert
        );
        assert!(
            s.update.starts_with(
                r#"UPDATE "item" SET "price" = $1::numeric, "at" = $2::timestamptz, "meta" = $3::jsonb, "updated_at" = now() WHERE "id" = $4::uuid RETURNING "#
            ),
            "{}",
            s.update
        );
    }

    /// A page's related columns are joined on derived tables whose names cannot be the
    /// page's, so its unqualified `WHERE` keeps its meaning; PostgreSQL reads a date as text.
    #[test]
    fn a_page_joins_its_related_columns_under_names_of_its_own() {
        let related = [RelatedColumn {
            field: "owner_since",
            foreign_key: "owner",
            table: "app_user",
            primary_key: "id",
            column: "since",
            ty: ColumnType::Date,
        }];
        const OWNED: &[Column] = &[
            Column::new("id", ColumnType::Integer).read_only(),
            Column::new("owner", ColumnType::Integer),
        ];
        let columns = OWNED;
        let sqlite = Statements::new(Dialect::Sqlite, "track", "id", columns);
        let joins = sqlite.related_joins(&related);
        assert_eq!(
            sqlite.page(
                &sqlite.where_all(&["id"], &[]),
                1,
                &[("id", false)],
                Some("SELECT 1"),
                Some(&joins)
            ),
            r#"SELECT "id", "owner", "restframe_related_0"."restframe_value" AS "owner_since", (SELECT 1) AS "restframe_count" FROM "track" LEFT JOIN (SELECT "id" AS "restframe_key", "since" AS "restframe_value" FROM "app_user") AS "restframe_related_0" ON "restframe_related_0"."restframe_key" = "track"."owner" WHERE "id" = ?1 ORDER BY "track"."id" ASC LIMIT ?2 OFFSET ?3"#
        );
        let postgres = Statements::new(Dialect::Postgres, "track", "id", columns);
        let joins = postgres.related_joins(&related);
        assert!(
            postgres
                .page("", 0, &[("id", false)], None, Some(&joins))
                .contains(r#"(SELECT "id" AS "restframe_key", "since"::text AS "restframe_value" FROM "app_user")"#)
        );
    }

    #[test]
    fn sqlite_compares_and_sorts_decimals_as_numbers() {
        let s = Statements::new(Dialect::Sqlite, "item", "id", TYPED);
        assert_eq!(
            s.page(
                &s.where_all(&["price", "at"], &[]),
                2,
                &[("price", true), ("id", false)],
                None,
                None
            ),
            r#"SELECT "id", "price", "at", "meta", "created_at", "updated_at" FROM "item" WHERE "price" = ?1 COLLATE restframe_decimal AND "at" = ?2 ORDER BY "item"."price" COLLATE restframe_decimal DESC NULLS FIRST, "item"."id" ASC LIMIT ?3 OFFSET ?4"#
        );
        assert!(
            s.collation(ColumnType::Decimal)
                .ends_with(super::DECIMAL_COLLATION)
        );
        // A PATCH of one column, or `set` of a read-only one, stamps `updated_at` too; setting
        // `updated_at` itself does not set it twice.
        let price = &TYPED[1];
        assert_eq!(
            s.update_columns("id", &[price]),
            r#"UPDATE "item" SET "price" = ?1, "updated_at" = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now') WHERE "id" = ?2 RETURNING "id", "price", "at", "meta", "created_at", "updated_at""#
        );
        let updated = &TYPED[5];
        assert_eq!(
            s.update_columns("id", &[updated]),
            r#"UPDATE "item" SET "updated_at" = ?1 WHERE "id" = ?2 RETURNING "id", "price", "at", "meta", "created_at", "updated_at""#
        );
    }
}
