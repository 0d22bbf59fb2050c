//! What a viewset needs from storage: the `Repository` trait and the list query it receives.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::filters::{Condition, Search};
use crate::ApiError;
pub use crate::ordering::OrderBy;
use crate::pagination::Count;
use crate::rows::RowPage;
use crate::validation::Validate;

/// The rows a [`crate::ModelViewSet`] serves, wherever they live (SQLite, PostgreSQL, memory).
///
/// Pagination, ordering and filtering arrive as a [`ListQuery`] so that a SQL implementation can
/// turn them into `LIMIT`/`OFFSET`, `ORDER BY` and `WHERE` instead of filtering in memory. Ids
/// arrive as the text of the URL: an id that does not parse is simply not found (404).
///
/// Hooks in the spirit of DRF's `perform_create` live in the implementation: `create` receives
/// validated input and may add what the request does not carry.
pub trait Repository: Send + Sync + 'static {
    /// What the API shows: a row with its read-only fields (`id`, …).
    type Model: Serialize + Send + Sync + 'static;
    /// What `create` and `update` accept: the writable fields, validated. Fields it does not
    /// name (read-only ones such as `id`, or unknown ones) are ignored on input, as DRF.
    type Input: DeserializeOwned + Validate + Send + 'static;
    /// What `partial_update` accepts: the writable fields, each optional.
    type Patch: DeserializeOwned + Validate + Send + 'static;

    /// One page of rows, filtered and ordered as asked, with the total count of matching rows.
    fn list(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Page<Self::Model>, ApiError>> + Send;

    /// [`list`](Self::list)'s page as its rows ([`RowPage`]), shown without making models,
    /// with the count as [`Page::count`]; or `None` when this repository cannot (the default; a PostgreSQL database, a model whose
    /// fields are not all plain, a row that does not read as its model). The list then calls
    /// [`list`](Self::list). Same query, same rows, same output.
    fn list_rows(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Option<(RowPage, Option<u64>)>, ApiError>> + Send {
        let _ = query;
        async { Ok(None) }
    }

    /// The row with this id, if any.
    fn retrieve(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Self::Model>, ApiError>> + Send;

    /// The row with this id if it is also within `scope` (`field = value` conditions, all
    /// of which must hold: a viewset's [`queryset`](crate::ModelViewSet::queryset)
    /// narrowing). The default retrieves the row and compares the fields of its serialized
    /// form (as text); a SQL implementation puts the conditions into its `WHERE`. An empty
    /// scope is [`Repository::retrieve`].
    fn retrieve_scoped(
        &self,
        id: &str,
        scope: &[(String, String)],
    ) -> impl Future<Output = Result<Option<Self::Model>, ApiError>> + Send {
        async move {
            let Some(row) = self.retrieve(id).await? else {
                return Ok(None);
            };
            if scope.is_empty() || in_scope(&row, scope)? {
                Ok(Some(row))
            } else {
                Ok(None)
            }
        }
    }

    /// Stores a new row.
    fn create(
        &self,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Model, ApiError>> + Send;

    /// Replaces the writable fields of a row; `None` when there is no such row.
    fn update(
        &self,
        id: &str,
        input: Self::Input,
    ) -> impl Future<Output = Result<Option<Self::Model>, ApiError>> + Send;

    /// Changes the given fields of a row; `None` when there is no such row.
    fn partial_update(
        &self,
        id: &str,
        patch: Self::Patch,
    ) -> impl Future<Output = Result<Option<Self::Model>, ApiError>> + Send;

    /// Deletes a row; `false` when there was none.
    fn destroy(&self, id: &str) -> impl Future<Output = Result<bool, ApiError>> + Send;

    /// Whether a create or an update may conflict with the stored rows (a unique column): the
    /// document then lists a 409 for them ([`ApiError::conflict`]). `false` by default;
    /// [`crate::sql::SqlRepository`] answers whether its table has a unique column.
    fn may_conflict(&self) -> bool {
        false
    }

    /// Whether a destroy may conflict with stored rows (rows of another table that point at
    /// this one and forbid its deletion): the document then lists a 409 for it. `false` by
    /// default; [`crate::sql::SqlRepository`] answers whether a `RESTRICT` foreign key of a
    /// table its database created or checked points at its table.
    fn may_conflict_on_destroy(&self) -> bool {
        false
    }
}

/// Whether every `field = value` of `scope` holds for `row`, its fields serialized (a number
/// or a boolean as its text; a missing field or a null never matches).
fn in_scope<M: Serialize>(row: &M, scope: &[(String, String)]) -> Result<bool, ApiError> {
    let value = serde_json::to_value(row)
        .map_err(|e| ApiError::internal(format!("a row to check its scope: {e}")))?;
    Ok(scope.iter().all(|(field, wanted)| match value.get(field) {
        Some(serde_json::Value::String(s)) => s == wanted,
        Some(serde_json::Value::Number(n)) => n.to_string() == *wanted,
        Some(serde_json::Value::Bool(b)) => b.to_string() == *wanted,
        _ => false,
    }))
}

/// One page of a list: the rows and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match the filters, over all pages: `None` when the query's
    /// [`count`](ListQuery::count) asked for none, or past its cap.
    pub count: Option<u64>,
}

/// What a list request asks of the repository: exact-match filters, ordering and a window.
/// Field names are already checked against the viewset's allow-lists (or come from its
/// [`queryset`](crate::ModelViewSet::queryset) narrowing, which is added to `filters`), so a
/// SQL implementation may use them as column names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// `field = value` conditions, all of which must hold.
    pub filters: Vec<(String, String)>,
    /// The filter set's other lookups (`release_date__gte`, `title__icontains`, `id__in`,
    /// …), all of which must hold. A repository that cannot apply one should refuse the list
    /// (a 400) rather than ignore it.
    pub conditions: Vec<Condition>,
    /// `?search=` over the viewset's search fields, when asked.
    pub search: Option<Search>,
    /// Sort keys in priority order.
    pub ordering: Vec<OrderBy>,
    /// Rows to skip; at most `i64::MAX` (a page past that is refused before), so it fits SQL.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: u64,
    /// How to count the rows that match: exactly (the default), not at all, or up to a cap
    /// (the count is then `None` past it).
    pub count: Count,
    /// A keyset position: only the rows strictly after it in `ordering`, one value per key of
    /// `ordering` (`None` for a null). `ordering` then ends in the primary key, and `offset` is
    /// 0. Nulls sort last going up and first going down.
    pub after: Option<crate::pagination::Position>,
}
