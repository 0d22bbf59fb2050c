//! [`SqlRepository`]: the [`Repository`] of any [`Table`], on either dialect.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::row::from_row;
use super::statement::{AfterKey, Clause, Dialect, RelatedColumn, RelatedJoins, Statements};
use super::value::{ColumnType, SqlValue};
use super::{Column, Database, DbError, PageCount, Table};
use crate::ApiError;
use crate::pagination::Count;
use crate::rows::{RowPage, RowPlan};
use crate::validation::Validate;
use crate::viewset::{Condition, ISNULL_INVALID_MESSAGE, ListQuery, Lookup, Page, Repository};

/// The [`Repository`] of a [`Table`]: filters — and a viewset's `queryset` narrowing, on lists
/// and on detail lookups ([`Repository::retrieve_scoped`]) — become `WHERE` (typed by the
/// column: a bad filter value is a 400 naming the field), ordering `ORDER BY` with the primary key as the last tiebreaker
/// (and the only key when none is asked, so pages are stable), pages `LIMIT`/`OFFSET` with the
/// count read in the same statement (one snapshot). Writes are single statements with `RETURNING`, so a
/// row is never half-written and never read twice.
pub struct SqlRepository<M> {
    db: Database,
    prepared: Arc<Prepared>,
    model: PhantomData<fn() -> M>,
    destroy_hook: Option<DestroyHook<M>>,
    related: Option<Arc<RelatedRead>>,
}

impl<M> Clone for SqlRepository<M> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            prepared: Arc::clone(&self.prepared),
            model: PhantomData,
            destroy_hook: self.destroy_hook.clone(),
            related: self.related.clone(),
        }
    }
}

/// The statements a model is read back from (a retrieve, and what a create and a whole update
/// return), with the names and types of their columns.
struct Reads {
    retrieve: Arc<str>,
    insert: Arc<str>,
    update: Arc<str>,
    names: Arc<[&'static str]>,
    types: Arc<[ColumnType]>,
}

/// [`Reads`] with related columns ([`SqlRepository::select_related`]).
struct RelatedRead {
    columns: Vec<RelatedColumn>,
    reads: Reads,
    /// How a list read into models reads them: a join each.
    list: RelatedJoins,
    /// How a list reads the related columns as rows: the page's keys looked up in its read
    /// ([`RowPlan::with_related`]); `None` when the model cannot be read as rows that way.
    rows: Option<Arc<RowPlan>>,
}

/// How a [`SqlRepository`] deletes a row instead of its plain `DELETE`
/// ([`SqlRepository::destroy_with`]).
pub type DestroyHook<M> = Arc<
    dyn Fn(SqlRepository<M>, String) -> crate::BoxFuture<'static, Result<bool, ApiError>>
        + Send
        + Sync,
>;

struct Prepared {
    statements: Statements,
    reads: Reads,
    /// How a list is read as its rows ([`Repository::list_rows`]), when the model allows it.
    rows: Option<Arc<RowPlan>>,
    delete: Arc<str>,
    pk_type: ColumnType,
}

/// The body of a PATCH for a [`SqlRepository`]: the table's `Patch` type, merged over the
/// stored row and checked as a whole `Input` by the repository (so validation sees the row as
/// it will be, as DRF's partial serializers do).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Partial<P>(pub P);

impl<P> Validate for Partial<P> {}

impl<M: Table> SqlRepository<M> {
    /// The repository of `M` in `db`.
    pub fn new(db: &Database) -> Self {
        let statements = Statements::new(db.dialect(), M::NAME, M::PRIMARY_KEY, M::COLUMNS);
        let pk_type = M::COLUMNS
            .iter()
            .find(|c| c.name == M::PRIMARY_KEY)
            .map_or(ColumnType::Integer, |c| c.ty);
        let names: Arc<[&'static str]> = M::COLUMNS.iter().map(|c| c.name).collect();
        let prepared = Prepared {
            // PostgreSQL's rows arrive as values (`Database::fetch_row_page`): no plan, so a
            // list there builds its statement once, for the model path.
            rows: match db.dialect() {
                Dialect::Sqlite => RowPlan::new(M::SHOWN, &names).map(Arc::new),
                Dialect::Postgres => None,
            },
            reads: Reads {
                retrieve: statements.retrieve.as_str().into(),
                insert: statements.insert.as_str().into(),
                update: statements.update.as_str().into(),
                names,
                types: M::COLUMNS.iter().map(|c| c.ty).collect(),
            },
            delete: statements.delete.as_str().into(),
            pk_type,
            statements,
        };
        Self {
            db: db.clone(),
            prepared: Arc::new(prepared),
            model: PhantomData,
            destroy_hook: None,
            related: None,
        }
    }

    /// Reads `field` with each row [`retrieve`](Repository::retrieve)d by its key (a detail
    /// view's `GET`), each row a [`create`](Repository::create) or a whole
    /// [`update`](Repository::update) returns, and each row of a [`list`](Repository::list):
    /// `column` of the `R` row whose primary key is this row's `foreign_key`, `NULL` when there
    /// is none (Django's `select_related`, one column of it:
    /// `annotate(field=F("foreign_key__column"))`). The model reads it as it reads a column: a
    /// field named `field`, with `#[serde(default)]` so that rows read without it
    /// ([`retrieve_many`](Self::retrieve_many), PATCHes) still fit. May be called once per
    /// field.
    ///
    /// A row read by its key or returned by a write reads it in the same statement (a scalar
    /// subquery), so a detail costs one statement instead of two. A list read as rows
    /// ([`list_rows`](Repository::list_rows), SQLite) looks the page's keys up once each (a
    /// point read per key, or one statement for more than four), in the page's read
    /// transaction; a list read into models, with a `LEFT JOIN` in the page's statement. Both
    /// read the page's snapshot and show the same.
    ///
    /// An error names the column that does not exist, the `field` already taken (by a column
    /// of `M` or an earlier `select_related`), or the foreign key whose type is not the related
    /// primary key's.
    ///
    /// ```
    /// # use restframe::sql::{SqlRepository, Table, Database, DbError};
    /// # fn f<Track: Table, User: Table>(db: &Database) -> Result<(), DbError> {
    /// // `GET /tracks/4/` reads the track and its owner's username in one statement.
    /// let tracks = SqlRepository::<Track>::new(db)
    ///     .select_related::<User>("owner", "username", "owner_username")?;
    /// # Ok(()) }
    /// ```
    pub fn select_related<R: Table>(
        mut self,
        foreign_key: &str,
        column: &str,
        field: &'static str,
    ) -> Result<Self, DbError> {
        let missing = |table: &str, name: &str| {
            DbError::Schema(format!(
                "select_related: table {table} has no column {name}"
            ))
        };
        let fk = M::COLUMNS
            .iter()
            .find(|c| c.name == foreign_key)
            .ok_or_else(|| missing(M::NAME, foreign_key))?;
        let target = R::COLUMNS
            .iter()
            .find(|c| c.name == column)
            .ok_or_else(|| missing(R::NAME, column))?;
        let key = R::COLUMNS
            .iter()
            .find(|c| c.name == R::PRIMARY_KEY)
            .ok_or_else(|| missing(R::NAME, R::PRIMARY_KEY))?;
        if key.ty != fk.ty {
            return Err(DbError::Schema(format!(
                "select_related: {}.{} ({:?}) cannot point at {}.{} ({:?})",
                M::NAME,
                fk.name,
                fk.ty,
                R::NAME,
                key.name,
                key.ty
            )));
        }
        let mut columns = self
            .related
            .as_ref()
            .map(|r| r.columns.clone())
            .unwrap_or_default();
        if M::COLUMNS.iter().any(|c| c.name == field) || columns.iter().any(|r| r.field == field) {
            return Err(DbError::Schema(format!(
                "select_related: {field} is already read from {}",
                M::NAME
            )));
        }
        columns.push(RelatedColumn {
            field,
            foreign_key: fk.name,
            table: R::NAME,
            primary_key: key.name,
            column: target.name,
            ty: target.ty,
        });
        let plain = &self.prepared.reads;
        let [retrieve, insert, update] = self.prepared.statements.with_related(&columns);
        let reads = Reads {
            retrieve: retrieve.into(),
            insert: insert.into(),
            update: update.into(),
            names: plain
                .names
                .iter()
                .copied()
                .chain(columns.iter().map(|r| r.field))
                .collect(),
            types: plain
                .types
                .iter()
                .copied()
                .chain(columns.iter().map(|r| r.ty))
                .collect(),
        };
        let lookups: Vec<_> = columns
            .iter()
            .map(|r| {
                let [one, many] = Statements::related_lookups(r);
                (r.field, r.foreign_key, [one.into(), many.into()])
            })
            .collect();
        let read = RelatedRead {
            list: self.prepared.statements.related_joins(&columns),
            rows: self
                .prepared
                .rows
                .as_ref()
                .and_then(|plan| plan.with_related(&lookups, &plain.names))
                .map(Arc::new),
            columns,
            reads,
        };
        self.related = Some(Arc::new(read));
        Ok(self)
    }

    /// The database it works on.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Sets columns of one row in one statement — read-only ones included (an upload action
    /// recording the stored file, say) — and returns the row; `None` when there is no such row.
    ///
    /// ```
    /// # use restframe::sql::{SqlRepository, SqlValue, Table};
    /// # async fn f<M: Table>(repo: SqlRepository<M>) -> Result<(), restframe::ApiError> {
    /// repo.set("4", &[("file", SqlValue::Text("tracks/4/so_what.mp3".into()))]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set(&self, id: &str, values: &[(&str, SqlValue)]) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let mut columns = Vec::with_capacity(values.len());
        let mut params = Vec::with_capacity(values.len() + 1);
        for (name, value) in values {
            let col = M::COLUMNS.iter().find(|c| c.name == *name).ok_or_else(|| {
                ApiError::internal(format!("{name} is not a column of {}", M::NAME))
            })?;
            if value.has_nul() {
                return Err(ApiError::validation([(
                    col.name,
                    super::NULL_CHARACTERS_MESSAGE,
                )]));
            }
            columns.push(col);
            params.push(value.clone());
        }
        params.push(key);
        let sql: Arc<str> = self
            .prepared
            .statements
            .update_columns(M::PRIMARY_KEY, &columns)
            .into();
        self.write_row(&sql, params).await
    }

    /// The rows whose primary keys are among `ids`, in one statement per 500 keys
    /// (`WHERE pk IN (…)`), in no particular order: how a relation is loaded for a whole page
    /// at once (DRF's `prefetch_related`), so that a list costs the same number of queries at
    /// any page size. Duplicates are looked up once; an id that cannot be a key matches
    /// nothing.
    ///
    /// ```
    /// # use restframe::sql::{SqlRepository, Table};
    /// # async fn f<M: Table>(artists: SqlRepository<M>) -> Result<(), restframe::ApiError> {
    /// // The artists of a page of albums, by id, in one query.
    /// let found = artists.retrieve_many(["4", "7", "4"]).await?;
    /// assert!(found.len() <= 2);
    /// # Ok(()) }
    /// ```
    pub async fn retrieve_many<I>(&self, ids: I) -> Result<Vec<M>, ApiError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        const CHUNK: usize = 500;
        let mut keys: Vec<SqlValue> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            let id = id.as_ref();
            if seen.insert(id.to_owned())
                && let Some(key) = self.key(id)
            {
                keys.push(key);
            }
        }
        let mut rows = Vec::with_capacity(keys.len());
        let reads = &self.prepared.reads;
        for chunk in keys.chunks(CHUNK) {
            let sql: Arc<str> = self
                .prepared
                .statements
                .select_in(M::PRIMARY_KEY, chunk.len())
                .into();
            // A page's worth of keys is a point read; more go to a reader thread as a page does.
            let found = self
                .db
                .fetch_models(
                    M::NAME,
                    chunk.len() <= 100,
                    (sql, chunk.to_vec()),
                    Arc::clone(&reads.names),
                    Arc::clone(&reads.types),
                )
                .await?;
            rows.extend(found);
        }
        Ok(rows)
    }

    /// The primary key for the URL's id; `None` (so a 404) when it cannot be one.
    fn key(&self, id: &str) -> Option<SqlValue> {
        SqlValue::from_query(id, self.prepared.pk_type).ok()
    }

    /// The statements the model is read back from: with the related columns, when there are.
    fn reads(&self) -> &Reads {
        self.related
            .as_ref()
            .map_or(&self.prepared.reads, |r| &r.reads)
    }

    fn model(&self, row: Vec<SqlValue>) -> Result<M, ApiError> {
        self.model_named(&self.prepared.reads.names, row)
    }

    /// A list's statement for `query`: the page's SQL and parameters, and the count's when
    /// the query asks for one, reading `related` as well
    /// ([`Statements::related_joins`](super::statement::Statements::related_joins)). A 400 for
    /// a filter value that does not read as its column.
    fn page_statement(
        &self,
        query: &ListQuery,
        related: Option<&RelatedJoins>,
    ) -> Result<(Option<PageCount>, PageStatement), ApiError> {
        let mut params = Vec::with_capacity(query.filters.len() + 2);
        let mut errors = Vec::new();
        for (field, value) in &query.filters {
            match SqlValue::from_query(value, column_type::<M>(field)?) {
                Ok(v) => params.push(v),
                Err(message) => errors.push((field.as_str(), message)),
            }
        }
        let mut errors: Vec<(String, &str)> =
            errors.into_iter().map(|(f, m)| (f.to_owned(), m)).collect();
        let search_fields: &[String] = query.search.as_ref().map_or(&[], |s| &s.fields);
        for field in search_fields {
            column_type::<M>(field)?;
        }
        let mut clauses = Vec::with_capacity(query.conditions.len());
        for condition in &query.conditions {
            let (clause, values) = condition_clause::<M>(condition)?;
            for value in values {
                match value {
                    Ok(v) => params.push(v),
                    Err(message) => errors.push((condition.param(), message)),
                }
            }
            clauses.push(clause);
        }
        if let Some(search) = &query.search {
            for term in &search.terms {
                clauses.push(Clause::Like {
                    columns: search_fields,
                });
                params.push(SqlValue::Text(like_pattern(term, true)));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(
                errors.iter().map(|(f, m)| (f.as_str(), *m)),
            ));
        }
        let filters: Vec<&str> = query.filters.iter().map(|(f, _)| f.as_str()).collect();
        let mut ordering = Vec::with_capacity(query.ordering.len() + 1);
        for key in &query.ordering {
            column_type::<M>(&key.field)?;
            ordering.push((key.field.as_str(), key.descending));
        }
        // The primary key breaks ties, in the direction of the first key: `-title` ends in
        // `id DESC`, so an index on (title, id) serves it scanned backwards.
        if !ordering.iter().any(|(f, _)| *f == M::PRIMARY_KEY) {
            if query.after.is_some() {
                return Err(ApiError::internal(format!(
                    "a keyset page must be ordered by a unique key: end the ordering in `{}`",
                    M::PRIMARY_KEY
                )));
            }
            let descending = ordering.first().is_some_and(|(_, d)| *d);
            ordering.push((M::PRIMARY_KEY, descending));
        }
        let st = &self.prepared.statements;
        // Counted before the keyset clause: the count is of every row that matches.
        let count_where = st.where_all(&filters, &clauses);
        let count_params = params.len();
        let after_keys;
        if let Some(after) = &query.after {
            if after.len() != ordering.len() {
                return Err(ApiError::internal(
                    "a keyset position needs one value per key of the ordering",
                ));
            }
            after_keys = ordering
                .iter()
                .zip(after)
                .map(|(&(column, descending), value)| AfterKey {
                    column,
                    descending,
                    null: value.is_none(),
                })
                .collect::<Vec<_>>();
            for i in st.keyset_params(&after_keys) {
                let (column, value) = (after_keys[i].column, after[i].as_deref().unwrap_or(""));
                // A signed cursor holds what a row showed; a value that no longer reads as
                // its column (a changed type) is no position.
                let value = SqlValue::from_query(value, column_type::<M>(column)?)
                    .map_err(|_| ApiError::not_found("Invalid cursor"))?;
                params.push(value);
            }
            clauses.push(Clause::After { keys: &after_keys });
        }
        let where_sql = st.where_all(&filters, &clauses);
        let where_params = params.len();
        let clamp = |n: u64| SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        params.push(clamp(query.limit));
        params.push(clamp(query.offset));
        let count_sql = match query.count {
            Count::Exact => Some(st.count_where(&count_where)),
            Count::UpTo(cap) => Some(st.count_capped(&count_where, cap)),
            Count::Off => None,
        };
        let page_sql = st.page(
            &where_sql,
            where_params,
            &ordering,
            count_sql.as_deref(),
            related,
        );
        let count = count_sql.map(|sql| PageCount {
            sql: Arc::from(sql),
            params: count_params,
        });
        let page = (Arc::from(page_sql), params);
        Ok((count, page))
    }

    /// The model from `row`, its values named by `names`.
    fn model_named(&self, names: &[&'static str], row: Vec<SqlValue>) -> Result<M, ApiError> {
        from_row(names, row)
            .map_err(|e| ApiError::internal(format!("row of {} into its model: {e}", M::NAME)))
    }

    fn first(&self, rows: Vec<Vec<SqlValue>>) -> Result<Option<M>, ApiError> {
        rows.into_iter().next().map(|r| self.model(r)).transpose()
    }

    /// The writable columns' values from a serialized input, in column order.
    fn values(&self, input: &impl Serialize) -> Result<Vec<SqlValue>, ApiError> {
        let map = match serde_json::to_value(input) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(ApiError::internal(format!(
                    "{} input is not a struct",
                    M::NAME
                )));
            }
            Err(e) => return Err(ApiError::internal(format!("{} input: {e}", M::NAME))),
        };
        let mut errors = Vec::new();
        let values = M::COLUMNS
            .iter()
            .filter(|c| c.writable)
            .map(|c| {
                let v = map.get(c.name).unwrap_or(&Value::Null);
                SqlValue::from_json(v, c.ty).unwrap_or_else(|message| {
                    errors.push((c.name, message));
                    SqlValue::Null
                })
            })
            .collect();
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(ApiError::validation(errors))
        }
    }

    /// [`write_row`](Self::write_row) of a write that gives the foreign keys `related`: one the
    /// database refuses is a 400 naming each field whose row does not exist, in DRF's words
    /// (`Invalid pk "7" - object does not exist.`), found by a lookup per key only then.
    async fn write_related(
        &self,
        sql: Write<'_>,
        params: Vec<SqlValue>,
        related: Vec<(&'static Column, SqlValue)>,
    ) -> Result<Option<M>, ApiError> {
        let (sql, reads) = match sql {
            Write::Insert => (&self.reads().insert, self.reads()),
            Write::Update => (&self.reads().update, self.reads()),
            Write::Other(sql) => (sql, &self.prepared.reads),
        };
        let (types, names) = (&reads.types, &reads.names);
        match self
            .db
            .fetch(Arc::clone(sql), params, Arc::clone(types))
            .await
        {
            Ok(rows) => rows
                .into_iter()
                .next()
                .map(|row| self.model_named(names, row))
                .transpose(),
            Err(DbError::ForeignKey) if !related.is_empty() => {
                Err(self.missing_related(related).await)
            }
            Err(e) => Err(own_columns::<M>(e)),
        }
    }

    /// The 400 for the keys of `related` whose rows do not exist.
    async fn missing_related(&self, related: Vec<(&'static Column, SqlValue)>) -> ApiError {
        let mut errors = Vec::new();
        for (column, value) in related {
            let Some(fk) = column.references else {
                continue;
            };
            let sql = format!(
                "SELECT 1 FROM {} WHERE {} = {}",
                super::statement::quote(fk.table),
                super::statement::quote(fk.column),
                self.prepared.statements.placeholder(1, column.ty)
            );
            let shown = match &value {
                SqlValue::Integer(n) => n.to_string(),
                SqlValue::Text(t) => t.clone(),
                other => format!("{other:?}"),
            };
            let found = self
                .db
                .fetch(sql.into(), vec![value], Arc::from([ColumnType::Integer]))
                .await;
            match found {
                Ok(rows) if rows.is_empty() => errors.push((
                    column.name,
                    format!("Invalid pk \"{shown}\" - object does not exist."),
                )),
                Ok(_) => {}
                Err(e) => return own_columns::<M>(e),
            }
        }
        if errors.is_empty() {
            // Gone and back between the write and the lookup: nothing to name.
            return DbError::ForeignKey.into();
        }
        ApiError::validation(errors.iter().map(|(f, m)| (*f, m.as_str())))
    }

    async fn write_row(
        &self,
        sql: &Arc<str>,
        params: Vec<SqlValue>,
    ) -> Result<Option<M>, ApiError> {
        let rows = self
            .db
            .fetch(
                Arc::clone(sql),
                params,
                Arc::clone(&self.prepared.reads.types),
            )
            .await
            .map_err(own_columns::<M>)?;
        self.first(rows)
    }
}

/// Which statement a write runs: the prepared `INSERT` or whole-row `UPDATE` (which read the
/// related columns, when there are any), or another.
#[derive(Clone, Copy)]
enum Write<'a> {
    Insert,
    Update,
    Other(&'a Arc<str>),
}

/// The foreign-key columns among `written` with the non-null values a write gives them.
fn related<'a>(
    written: impl Iterator<Item = (&'static Column, &'a SqlValue)>,
) -> Vec<(&'static Column, SqlValue)> {
    written
        .filter(|(c, v)| c.references.is_some() && !matches!(v, SqlValue::Null))
        .map(|(c, v)| (c, v.clone()))
        .collect()
}

/// A unique violation names only columns of `M` (an index on an expression names none), so
/// the 400 never carries a field the client cannot know.
fn own_columns<M: Table>(e: DbError) -> ApiError {
    match e {
        DbError::Unique(columns)
            if !columns
                .iter()
                .all(|c| M::COLUMNS.iter().any(|own| own.name == c)) =>
        {
            DbError::Unique(Vec::new()).into()
        }
        other => other.into(),
    }
}

/// A row as JSON by column name, as an input reads it: booleans as booleans (SQLite keeps
/// them as integers); bytes left out (no input reads them from JSON).
fn stored_row<M: Table>(row: &[SqlValue]) -> serde_json::Map<String, Value> {
    M::COLUMNS
        .iter()
        .zip(row)
        .filter_map(|(column, cell)| {
            let value = match cell {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(i) if column.ty == ColumnType::Boolean => Value::Bool(*i != 0),
                SqlValue::Integer(i) => Value::from(*i),
                SqlValue::Real(f) => Value::from(*f),
                SqlValue::Text(t) => Value::String(t.clone()),
                SqlValue::Boolean(b) => Value::Bool(*b),
                SqlValue::Json(v) => v.clone(),
                SqlValue::Blob(_) => return None,
            };
            Some((column.name.to_owned(), value))
        })
        .collect()
}

fn not_found_key() -> ApiError {
    ApiError::internal("a retrieved row's id is not a key")
}

fn column_type<M: Table>(name: &str) -> Result<ColumnType, ApiError> {
    M::COLUMNS
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.ty)
        .ok_or_else(|| ApiError::internal(format!("{name} is not a column of {}", M::NAME)))
}

/// A filter-set condition's clause and its parameters, each read as the column's type (`Err`
/// is the message for a value that is not one).
#[allow(clippy::type_complexity)]
fn condition_clause<M: Table>(
    condition: &Condition,
) -> Result<(Clause<'_>, Vec<Result<SqlValue, &'static str>>), ApiError> {
    let column = condition.field.as_str();
    let ty = column_type::<M>(column)?;
    let typed = |v: &String| SqlValue::from_query(v, ty);
    let compare = |op: &'static str| Clause::Compare { column, op };
    Ok(match condition.lookup {
        Lookup::Exact => (compare("="), condition.values.iter().map(typed).collect()),
        Lookup::Gt => (compare(">"), condition.values.iter().map(typed).collect()),
        Lookup::Gte => (compare(">="), condition.values.iter().map(typed).collect()),
        Lookup::Lt => (compare("<"), condition.values.iter().map(typed).collect()),
        Lookup::Lte => (compare("<="), condition.values.iter().map(typed).collect()),
        Lookup::In => (
            Clause::In {
                column,
                n: condition.values.len(),
            },
            condition.values.iter().map(typed).collect(),
        ),
        Lookup::IsNull => {
            let null = condition.values.first().map(String::as_str);
            let check = match null {
                Some("true" | "false") => Vec::new(),
                _ => vec![Err(ISNULL_INVALID_MESSAGE)],
            };
            (
                Clause::IsNull {
                    column,
                    null: null == Some("true"),
                },
                check,
            )
        }
        Lookup::IContains | Lookup::IStartsWith => {
            let anywhere = condition.lookup == Lookup::IContains;
            let pattern = condition.values.first().map_or(Ok(SqlValue::Null), |v| {
                if v.contains('\0') {
                    Err(super::NULL_CHARACTERS_MESSAGE)
                } else {
                    Ok(SqlValue::Text(like_pattern(v, anywhere)))
                }
            });
            (
                Clause::Like {
                    columns: std::slice::from_ref(&condition.field),
                },
                vec![pattern],
            )
        }
    })
}

/// A `LIKE` pattern matching `text` literally (`\`, `%` and `_` escaped with `\`): anywhere,
/// or at the start.
fn like_pattern(text: &str, anywhere: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    if anywhere {
        out.push('%');
    }
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl<M: Table> Repository for SqlRepository<M> {
    type Model = M;
    type Input = M::Input;
    type Patch = Partial<M::Patch>;

    fn may_conflict(&self) -> bool {
        M::COLUMNS.iter().any(|c| c.unique)
    }

    fn may_conflict_on_destroy(&self) -> bool {
        self.db.restricts_deletes_of(M::NAME)
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<M>, ApiError> {
        let related = self.related.as_ref().map(|r| &r.list);
        let (count, page) = self.page_statement(query, related)?;
        let reads = self.reads();
        let (counted, items) = self
            .db
            .fetch_page(
                M::NAME,
                false,
                count,
                page,
                Arc::clone(&reads.names),
                Arc::clone(&reads.types),
            )
            .await?;
        Ok(Page {
            items,
            count: page_count(query, counted),
        })
    }

    async fn list_rows(
        &self,
        query: &ListQuery,
    ) -> Result<Option<(RowPage, Option<u64>)>, ApiError> {
        let plan = match &self.related {
            Some(related) => &related.rows,
            None => &self.prepared.rows,
        };
        let Some(plan) = plan else {
            return Ok(None);
        };
        let (count, page) = self.page_statement(query, None)?;
        let rows = usize::try_from(query.limit.min(1_000)).unwrap_or(1_000);
        let read = self
            .db
            .fetch_row_page(count, page, Arc::clone(plan), rows)
            .await?;
        Ok(read.map(|(counted, rows)| (rows, page_count(query, counted))))
    }

    async fn retrieve(&self, id: &str) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let Reads {
            retrieve: sql,
            types,
            names,
            ..
        } = self.reads();
        let rows = self
            .db
            .fetch_models(
                M::NAME,
                true,
                (Arc::clone(sql), vec![key]),
                Arc::clone(names),
                Arc::clone(types),
            )
            .await
            .map_err(own_columns::<M>)?;
        Ok(rows.into_iter().next())
    }

    /// One statement: `WHERE pk = ? AND field = ? …`. A scope value that cannot be of its
    /// column's type matches no row.
    async fn retrieve_scoped(
        &self,
        id: &str,
        scope: &[(String, String)],
    ) -> Result<Option<M>, ApiError> {
        if scope.is_empty() {
            return self.retrieve(id).await;
        }
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let mut names = vec![M::PRIMARY_KEY];
        let mut params = vec![key];
        for (field, value) in scope {
            match SqlValue::from_query(value, column_type::<M>(field)?) {
                Ok(v) => params.push(v),
                Err(_) => return Ok(None),
            }
            names.push(field.as_str());
        }
        let sql: Arc<str> = self.prepared.statements.select_where(&names).into();
        self.write_row(&sql, params).await
    }

    async fn create(&self, input: M::Input) -> Result<M, ApiError> {
        let values = self.values(&input)?;
        let related = related(M::COLUMNS.iter().filter(|c| c.writable).zip(&values));
        self.write_related(Write::Insert, values, related)
            .await?
            .ok_or_else(|| ApiError::internal(format!("INSERT INTO {} returned no row", M::NAME)))
    }

    async fn update(&self, id: &str, input: M::Input) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let mut values = self.values(&input)?;
        let related = related(M::COLUMNS.iter().filter(|c| c.writable).zip(&values));
        values.push(key);
        self.write_related(Write::Update, values, related).await
    }

    async fn partial_update(
        &self,
        id: &str,
        patch: Partial<M::Patch>,
    ) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let rows = self
            .db
            .fetch(
                Arc::clone(&self.prepared.reads.retrieve),
                vec![key],
                Arc::clone(&self.prepared.reads.types),
            )
            .await
            .map_err(own_columns::<M>)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        // The stored row, column by column, rather than the model as the API shows it: a
        // write-only column the model does not serialize is still there for the input.
        let mut merged = Value::Object(stored_row::<M>(&row));
        let current = self.model(row)?;
        let changes = match serde_json::to_value(&patch.0) {
            Ok(Value::Object(changes)) => changes,
            Ok(_) => {
                return Err(ApiError::internal(format!(
                    "{} patch is not a struct",
                    M::NAME
                )));
            }
            Err(e) => return Err(ApiError::internal(format!("{} patch: {e}", M::NAME))),
        };
        let changed: Vec<&Column> = M::COLUMNS
            .iter()
            .filter(|c| c.writable && changes.contains_key(c.name))
            .collect();
        if let Value::Object(row) = &mut merged {
            row.extend(changes);
        }
        let input: M::Input = serde_path_to_error::deserialize(merged).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            let message = e.inner().to_string();
            match crate::parsers::FieldErrors::from_message(&message) {
                Some(errors) => ApiError::validation(
                    errors
                        .into_vec()
                        .iter()
                        .map(|(f, m)| (f.as_str(), m.as_str())),
                ),
                None => ApiError::validation([(field.as_str(), message.as_str())]),
            }
        })?;
        input.validate()?;
        if changed.is_empty() {
            return Ok(Some(current));
        }
        // Only the patched columns are written, so concurrent PATCHes of different fields keep
        // each other's changes (the merged row was validated as a whole above).
        let all = self.values(&input)?;
        let mut values: Vec<SqlValue> = M::COLUMNS
            .iter()
            .filter(|c| c.writable)
            .zip(all)
            .filter(|(c, _)| changed.iter().any(|x| x.name == c.name))
            .map(|(_, v)| v)
            .collect();
        // `retrieve` found the row, so the id is a valid key.
        values.push(self.key(id).ok_or_else(not_found_key)?);
        let sql: Arc<str> = self
            .prepared
            .statements
            .update_columns(M::PRIMARY_KEY, &changed)
            .into();
        let related = related(changed.iter().copied().zip(&values));
        self.write_related(Write::Other(&sql), values, related)
            .await
    }

    async fn destroy(&self, id: &str) -> Result<bool, ApiError> {
        if let Some(hook) = &self.destroy_hook {
            let mut plain = self.clone();
            plain.destroy_hook = None;
            return hook(plain, id.to_owned()).await;
        }
        let Some(key) = self.key(id) else {
            return Ok(false);
        };
        let n = self
            .db
            .execute(Arc::clone(&self.prepared.delete), vec![key])
            .await
            .map_err(own_columns::<M>)?;
        Ok(n > 0)
    }
}

/// A patch is described by the patch type it wraps.
#[cfg(feature = "openapi")]
impl<P: utoipa::ToSchema> utoipa::PartialSchema for Partial<P> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        P::schema()
    }
}

#[cfg(feature = "openapi")]
impl<P: utoipa::ToSchema> utoipa::ToSchema for Partial<P> {
    fn name() -> std::borrow::Cow<'static, str> {
        P::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        P::schemas(schemas);
    }
}

/// Writes that hand back what they replaced, for the rows whose files (or other resources
/// outside the database) must follow them.
impl<M: Table> SqlRepository<M> {
    /// Sets columns of one row (as [`set`](Self::set)) only while the column `guard.0` still
    /// holds `guard.1` — a compare-and-swap in one `UPDATE … WHERE … RETURNING`, NULL matching
    /// NULL. `None` when there is no such row or the value has changed since it was read:
    /// read the row again and retry. The caller that swapped a value out is the only one that
    /// did, so it alone cleans up after the old value (an upload deleting the file it
    /// replaced, say).
    ///
    /// ```
    /// # use restframe::sql::{SqlRepository, SqlValue, Table};
    /// # async fn f<M: Table>(repo: SqlRepository<M>) -> Result<(), restframe::ApiError> {
    /// let old = SqlValue::Text("tracks/4/a.mp3".into());
    /// let new = SqlValue::Text("tracks/4/b.mp3".into());
    /// match repo.set_if("4", ("file_key", old), &[("file_key", new)]).await? {
    ///     Some(_row) => { /* a.mp3 is ours to delete */ }
    ///     None => { /* someone else changed it first: read again */ }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn set_if(
        &self,
        id: &str,
        guard: (&str, SqlValue),
        values: &[(&str, SqlValue)],
    ) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        column_type::<M>(guard.0)?;
        let mut columns = Vec::with_capacity(values.len());
        let mut params = Vec::with_capacity(values.len() + 2);
        for (name, value) in values {
            let col = M::COLUMNS.iter().find(|c| c.name == *name).ok_or_else(|| {
                ApiError::internal(format!("{name} is not a column of {}", M::NAME))
            })?;
            columns.push(col);
            params.push(value.clone());
        }
        params.push(key);
        params.push(guard.1);
        let sql: Arc<str> = self
            .prepared
            .statements
            .update_columns_if(M::PRIMARY_KEY, &columns, guard.0)
            .into();
        self.write_row(&sql, params).await
    }

    /// Deletes one row and returns it as it was, in one `DELETE … RETURNING` (so what it
    /// held — a file's key, say — is read atomically with its removal); `None` when there was
    /// no such row. Never runs the [`destroy_with`](Self::destroy_with) hook.
    pub async fn take(&self, id: &str) -> Result<Option<M>, ApiError> {
        let Some(key) = self.key(id) else {
            return Ok(None);
        };
        let sql: Arc<str> = self
            .prepared
            .statements
            .delete_returning(M::PRIMARY_KEY)
            .into();
        self.write_row(&sql, vec![key]).await
    }

    /// Replaces how [`Repository::destroy`] (a viewset's DELETE) deletes a row: `hook` gets
    /// a plain clone of this repository (without the hook) and the id, and answers whether a
    /// row was deleted — to remove what lives outside the database along with it, say with
    /// [`take`](Self::take) and then the row's files.
    ///
    /// ```
    /// # use restframe::sql::{SqlRepository, Table};
    /// # fn f<M: Table>(repo: SqlRepository<M>) -> SqlRepository<M> {
    /// repo.destroy_with(|rows, id| {
    ///     Box::pin(async move {
    ///         let Some(_row) = rows.take(&id).await? else { return Ok(false) };
    ///         // … delete the row's files here …
    ///         Ok(true)
    ///     })
    /// })
    /// # }
    /// ```
    pub fn destroy_with(
        mut self,
        hook: impl Fn(SqlRepository<M>, String) -> crate::BoxFuture<'static, Result<bool, ApiError>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.destroy_hook = Some(Arc::new(hook));
        self
    }
}

/// A page's SQL and its parameters.
type PageStatement = (Arc<str>, Vec<SqlValue>);

/// The count a list shows: what was counted, unless past the query's cap.
fn page_count(query: &ListQuery, counted: Option<i64>) -> Option<u64> {
    let count = counted.map(|n| u64::try_from(n).unwrap_or(0));
    match query.count {
        Count::UpTo(cap) => count.filter(|&n| n <= cap),
        _ => count,
    }
}
