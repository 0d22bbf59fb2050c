//! The six standard actions (DRF's `ListModelMixin`, `CreateModelMixin`, …) over a
//! [`Repository`]: what each does with the request, the repository and the hooks.

use std::sync::Arc;

use http::StatusCode;

use super::builder::{Hooks, InputHook, PrefetchHook, QuerysetHook, RepresentHook, RowsHook};
use super::query::{ListFields, list_query};
use super::repository::{Page, Repository};
use crate::pagination::{Fetched, Pagination};
use crate::rows::RowPage;
use crate::validation::Validate;
use crate::{ApiError, Request, Response};

/// What every action of a viewset shares.
pub(super) struct Config<R: Repository> {
    pub(super) repo: Arc<R>,
    pub(super) list_fields: ListFields,
    pub(super) pagination: Arc<dyn Pagination>,
    pub(super) hooks: Hooks<R>,
    pub(super) queryset: Option<QuerysetHook>,
    pub(super) represent: Option<RepresentHook<R::Model>>,
    pub(super) prefetch: Option<PrefetchHook<R::Model>>,
    pub(super) prefetch_rows: Option<RowsHook>,
}

/// DRF's `to_representation(instance)` per request: the row as this request may see it, the
/// request's user resolved first (so the hook's `req.current_user()` is the user whatever
/// the view's permissions).
async fn represent<R: Repository>(
    config: &Config<R>,
    req: &Request,
    row: &mut R::Model,
) -> Result<(), ApiError> {
    represent_all(config, req, std::slice::from_mut(row)).await
}

/// [`represent`] for the rows of a response together: their relations loaded at once (DRF's
/// `prefetch_related`), then each shaped.
async fn represent_all<R: Repository>(
    config: &Config<R>,
    req: &Request,
    rows: &mut [R::Model],
) -> Result<(), ApiError> {
    if config.represent.is_none() && config.prefetch.is_none() {
        return Ok(());
    }
    #[cfg(feature = "auth")]
    req.user().await?;
    if let Some(prefetch) = &config.prefetch {
        prefetch(req, rows).await?;
    }
    if let Some(hook) = &config.represent {
        rows.iter_mut().for_each(|row| hook(req, row));
    }
    Ok(())
}

fn id(req: &Request) -> Result<String, ApiError> {
    req.path_param("id")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal("detail route without an id capture"))
}

fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

/// The request's narrowing (DRF's `get_queryset(request)`), the user resolved first.
async fn scope<R: Repository>(
    config: &Config<R>,
    req: &Request,
) -> Result<Vec<(String, String)>, ApiError> {
    let Some(hook) = &config.queryset else {
        return Ok(Vec::new());
    };
    #[cfg(feature = "auth")]
    req.user().await?;
    hook(req)
}

/// DRF's `get_object()`: the detail route's row within the request's narrowing (404
/// otherwise), its object permissions checked.
pub(super) async fn get_object<R: Repository>(
    config: &Config<R>,
    req: &Request,
) -> Result<R::Model, ApiError> {
    let id = id(req)?;
    let scope = scope(config, req).await?;
    let row = config
        .repo
        .retrieve_scoped(&id, &scope)
        .await?
        .ok_or_else(not_found)?;
    #[cfg(feature = "auth")]
    crate::permissions::check_object_permissions(req, &row).await?;
    Ok(row)
}

/// Whether an action that would not load its row must (to narrow it, or to check object
/// permissions). Without either, nothing is loaded: the behaviour of a viewset without
/// policy is unchanged.
pub(super) fn must_load<R: Repository>(config: &Config<R>, req: &Request) -> bool {
    #[cfg(feature = "auth")]
    if crate::permissions::checks_objects(req) {
        return true;
    }
    let _ = req;
    config.queryset.is_some()
}

/// GET on the list: the page the pagination asks for, filtered and ordered as the query says,
/// in the pagination's envelope.
pub(super) async fn list<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let window = config.pagination.window(&req)?;
    let mut query = list_query(req.query(), &config.list_fields, &window)?;
    query.filters.extend(scope(&config, &req).await?);
    if reads_rows(&config, &window)
        && let Some((rows, count)) = config.repo.list_rows(&query).await?
        && let Some(response) = list_rows(&config, &req, &window, rows, count).await?
    {
        return Ok(response);
    }
    let Page { mut items, count } = config.repo.list(&query).await?;
    let (shown, peeked) = shown_of(&window, items.len());
    items.truncate(shown);
    if window.reversed {
        items.reverse();
    }
    let mut fetched = fetched(window, count, items.len(), peeked);
    if let (Some(ordering), Some(first), Some(last)) =
        (&fetched.window.ordering, items.first(), items.last())
    {
        let (first, last) = (position(first, ordering)?, position(last, ordering)?);
        fetched = fetched.with_bounds(first, last);
    }
    represent_all(&config, &req, &mut items).await?;
    let envelope = config.pagination.envelope(&req, &fetched)?;
    Ok(envelope.into_response(items))
}

/// How many of the `read` rows a page shows, and whether the window read one past its limit
/// to learn that more follow (a peek).
fn shown_of(window: &crate::pagination::Window, read: usize) -> (usize, bool) {
    let peeked = window.peek && read as u64 > window.limit;
    let shown = if peeked {
        usize::try_from(window.limit).unwrap_or(usize::MAX)
    } else {
        read
    };
    (shown, peeked)
}

/// What the page fetched, for its envelope: `shown` rows of `count`, and whether more follow
/// when the window peeked.
fn fetched(
    window: crate::pagination::Window,
    count: Option<u64>,
    shown: usize,
    peeked: bool,
) -> Fetched {
    let fetched = Fetched::new(window, count, shown);
    if fetched.window.peek {
        fetched.with_more(peeked)
    } else {
        fetched
    }
}

/// Whether a list may be read as its rows ([`Repository::list_rows`]): not a keyset page
/// (whose positions are read off the models), and no hook that needs models (a
/// `to_representation`, or a `prefetch` without its rows twin).
fn reads_rows<R: Repository>(config: &Config<R>, window: &crate::pagination::Window) -> bool {
    window.ordering.is_none()
        && config.represent.is_none()
        && (config.prefetch.is_none() || config.prefetch_rows.is_some())
}

/// [`list`]'s response from the page's rows, as [`list`] makes it from models; `None` when
/// the rows hook declined the page.
async fn list_rows<R: Repository>(
    config: &Config<R>,
    req: &Request,
    window: &crate::pagination::Window,
    mut rows: RowPage,
    count: Option<u64>,
) -> Result<Option<Response>, ApiError> {
    let (shown, peeked) = shown_of(window, rows.len());
    rows.truncate(shown);
    if window.reversed {
        rows.reverse();
    }
    let fetched = fetched(window.clone(), count, rows.len(), peeked);
    if let Some(hook) = &config.prefetch_rows {
        #[cfg(feature = "auth")]
        req.user().await?;
        hook(req, &mut rows).await?;
        if rows.declined() {
            return Ok(None);
        }
    }
    let envelope = config.pagination.envelope(req, &fetched)?;
    Ok(Some(envelope.into_response_of(rows)))
}

/// Where `row` stands in `ordering`: its value of each key as text (a number or boolean as
/// written, `None` for a null), as a keyset page reads it back.
fn position<M: serde::Serialize>(
    row: &M,
    ordering: &[crate::OrderBy],
) -> Result<crate::pagination::Position, ApiError> {
    let value = serde_json::to_value(row)
        .map_err(|e| ApiError::internal(format!("a row to find its position: {e}")))?;
    ordering
        .iter()
        .map(|key| match value.get(&key.field) {
            Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(serde_json::Value::Bool(b)) => Ok(Some(b.to_string())),
            _ => Err(ApiError::internal(format!(
                "the pagination orders by `{}`, which the model does not show as a scalar",
                key.field
            ))),
        })
        .collect()
}

/// POST on the list: the input, validated, through the hook, stored.
pub(super) async fn create<R: Repository>(
    config: Arc<Config<R>>,
    mut req: Request,
) -> Result<Response, ApiError> {
    let mut input: R::Input = req.data().await?;
    input.validate()?;
    if let Some(hook) = &config.hooks.create {
        hook(&req, &mut input)?;
    }
    let mut row = config.repo.create(input).await?;
    represent(&config, &req, &mut row).await?;
    Ok(Response::new(row).with_status(StatusCode::CREATED))
}

/// GET on a row.
pub(super) async fn retrieve<R: Repository>(
    config: Arc<Config<R>>,
    #[cfg_attr(not(feature = "auth"), allow(unused_mut))] mut req: Request,
) -> Result<Response, ApiError> {
    let mut row = get_object(&config, &req).await?;
    // A page shows only the forms the user may use on this row.
    #[cfg(feature = "auth")]
    crate::permissions::note_object_forms(&mut req, &row);
    represent(&config, &req, &mut row).await?;
    Ok(Response::new(row))
}

/// PUT on a row.
pub(super) async fn update<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let hook = config.hooks.update.clone();
    write(config, req, hook, |repo, id, input| async move {
        repo.update(&id, input).await
    })
    .await
}

/// PATCH on a row.
pub(super) async fn partial_update<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let hook = config.hooks.partial_update.clone();
    write(config, req, hook, |repo, id, patch| async move {
        repo.partial_update(&id, patch).await
    })
    .await
}

/// PUT and PATCH: 404 for an unknown row whatever the body says, then the body deserialized
/// into `T` and validated, then `apply`.
async fn write<R, T, F, Fut>(
    config: Arc<Config<R>>,
    mut req: Request,
    hook: Option<InputHook<T>>,
    apply: F,
) -> Result<Response, ApiError>
where
    R: Repository,
    T: serde::de::DeserializeOwned + Validate,
    F: FnOnce(Arc<R>, String, T) -> Fut,
    Fut: Future<Output = Result<Option<R::Model>, ApiError>>,
{
    let id = id(&req)?;
    let current = get_object(&config, &req).await?;
    // The hook sees the row as it is (`req.extensions().get::<Arc<Model>>()`), as detail
    // actions do: to keep a column the input must not change, say.
    req.extensions_mut().insert(Arc::new(current));
    let mut input: T = req.data().await?;
    input.validate()?;
    if let Some(hook) = hook {
        hook(&req, &mut input)?;
    }
    let mut row = apply(Arc::clone(&config.repo), id, input)
        .await?
        .ok_or_else(not_found)?;
    #[cfg(feature = "auth")]
    crate::permissions::note_object_forms(&mut req, &row);
    represent(&config, &req, &mut row).await?;
    Ok(Response::new(row))
}

/// DELETE on a row; with a hook, 404 comes before the hook.
pub(super) async fn destroy<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let id = id(&req)?;
    if config.hooks.destroy.is_some() || must_load(&config, &req) {
        get_object(&config, &req).await?;
    }
    if let Some(hook) = &config.hooks.destroy {
        hook(&req, &id)?;
    }
    if config.repo.destroy(&id).await? {
        Ok(Response::empty(StatusCode::NO_CONTENT))
    } else {
        Err(not_found())
    }
}
