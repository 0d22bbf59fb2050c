//! The SQL text of each repository operation, for both dialects. Only identifiers from the
//! [`Table`](super::Table) declaration and placeholders go into the text; every value is bound.

use std::fmt::Write;

use super::Column;
use super::value::ColumnType;

/// Which SQL the text is written in.
// With one backend's feature only, the other dialect is still built (and unit-tested).
#[cfg_attr(not(all(feature = "sqlite", feature = "postgres")), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?N` placeholders, dates as text.
    Sqlite,
    /// PostgreSQL: `$N::type` placeholders, dates selected as text.
    Postgres,
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
            .map(|c| match (dialect, c.ty) {
                (Dialect::Postgres, ColumnType::Date) => {
                    format!("{}::text AS {}", quote(c.name), quote(c.name))
                }
                _ => quote(c.name),
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
        };
        let pk = quote(primary_key);
        s.retrieve = format!(
            "SELECT {} FROM {table_q} WHERE {pk} = {}",
            s.select_list,
            s.placeholder(1, pk_ty)
        );
        let names = writable.iter().map(|c| quote(c.name)).collect::<Vec<_>>();
        let values = writable
            .iter()
            .enumerate()
            .map(|(i, c)| s.placeholder(i + 1, c.ty))
            .collect::<Vec<_>>();
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
        let sets = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = {}", quote(c.name), self.placeholder(i + 1, c.ty)))
            .collect::<Vec<_>>();
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
    pub(crate) fn placeholder(&self, n: usize, ty: ColumnType) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}::{}", ty.pg_cast()),
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
            let _ = write!(
                out,
                "{} = {}",
                quote(name),
                self.placeholder(i + 1, self.column_type(name))
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

    /// `SELECT COUNT(*) FROM t WHERE …`.
    pub(crate) fn count(&self, filters: &[&str]) -> String {
        format!(
            "SELECT COUNT(*) FROM {}{}",
            self.table,
            self.where_clause(filters)
        )
    }

    /// One page: `SELECT … WHERE … ORDER BY … LIMIT ? OFFSET ?`; limit and offset are the two
    /// parameters after the filters'.
    pub(crate) fn page(&self, filters: &[&str], ordering: &[(&str, bool)]) -> String {
        let mut sql = format!(
            "SELECT {} FROM {}{}",
            self.select_list,
            self.table,
            self.where_clause(filters)
        );
        for (i, (name, descending)) in ordering.iter().enumerate() {
            sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
            // Qualified, so PostgreSQL sorts the column (a DATE, with its index) and not the
            // text the select list casts it to under the same name.
            sql.push_str(&self.table);
            sql.push('.');
            sql.push_str(&quote(name));
            // NULLs sort last going up and first going down in both dialects (PostgreSQL's
            // default; SQLite's is the reverse), so a page is the same on either.
            sql.push_str(if *descending {
                " DESC NULLS FIRST"
            } else {
                " ASC NULLS LAST"
            });
        }
        let n = filters.len();
        let _ = write!(
            sql,
            " LIMIT {} OFFSET {}",
            self.placeholder(n + 1, ColumnType::Integer),
            self.placeholder(n + 2, ColumnType::Integer)
        );
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::{Dialect, Statements};
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
            s.page(&["title"], &[("release_date", true), ("id", false)]),
            r#"SELECT "id", "title", "release_date" FROM "track" WHERE "title" = ?1 ORDER BY "track"."release_date" DESC NULLS FIRST, "track"."id" ASC NULLS LAST LIMIT ?2 OFFSET ?3"#
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
            s.count(&["release_date"]),
            r#"SELECT COUNT(*) FROM "track" WHERE "release_date" = $1::date"#
        );
    }
}
