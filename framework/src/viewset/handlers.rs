//! The six standard actions (DRF's `ListModelMixin`, `CreateModelMixin`, …) over a
//! [`Repository`]: what each does with the request, the repository and the hooks.

use std::sync::Arc;

use http::{Method, StatusCode};

use super::builder::{Hooks, InputHook};
use super::pagination::{Fetched, Pagination};
use super::query::list_query;
use super::repository::{Page, Repository};
use crate::validation::Validate;
use crate::{ApiError, Request, Response};

/// What every action of a viewset shares.
pub(super) struct Config<R: Repository> {
    pub(super) repo: Arc<R>,
    pub(super) filter_fields: Vec<String>,
    pub(super) ordering_fields: Vec<String>,
    pub(super) pagination: Arc<dyn Pagination>,
    pub(super) hooks: Hooks<R>,
}

fn id(req: &Request) -> Result<String, ApiError> {
    req.path_param("id")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal("detail route without an id capture"))
}

fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

/// GET on the list: the page the pagination asks for, filtered and ordered as the query says,
/// in the pagination's envelope.
pub(super) async fn list<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let window = config.pagination.window(&req)?;
    let query = list_query(
        req.query(),
        &config.filter_fields,
        &config.ordering_fields,
        window,
    );
    let Page { items, count } = config.repo.list(&query).await?;
    let envelope = config
        .pagination
        .envelope(&req, &Fetched::new(window, count, items.len()))?;
    Ok(envelope.into_response(items))
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
    let row = config.repo.create(input).await?;
    Ok(Response::new(row).with_status(StatusCode::CREATED))
}

/// GET on a row.
pub(super) async fn retrieve<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let row = config
        .repo
        .retrieve(&id(&req)?)
        .await?
        .ok_or_else(not_found)?;
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
    if config.repo.retrieve(&id).await?.is_none() {
        return Err(not_found());
    }
    let mut input: T = req.data().await?;
    input.validate()?;
    if let Some(hook) = hook {
        hook(&req, &mut input)?;
    }
    let row = apply(Arc::clone(&config.repo), id, input)
        .await?
        .ok_or_else(not_found)?;
    Ok(Response::new(row))
}

/// DELETE on a row; with a hook, 404 comes before the hook.
pub(super) async fn destroy<R: Repository>(
    config: Arc<Config<R>>,
    req: Request,
) -> Result<Response, ApiError> {
    let id = id(&req)?;
    if let Some(hook) = &config.hooks.destroy {
        if config.repo.retrieve(&id).await?.is_none() {
            return Err(not_found());
        }
        hook(&req, &id)?;
    }
    if config.repo.destroy(&id).await? {
        Ok(Response::empty(StatusCode::NO_CONTENT))
    } else {
        Err(not_found())
    }
}

/// The six standard actions, for registration and the OpenAPI document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Standard {
    List,
    Create,
    Retrieve,
    Update,
    PartialUpdate,
    Destroy,
}

impl Standard {
    /// The actions of the list route, in registration order.
    pub(super) const ON_LIST: [Self; 2] = [Self::List, Self::Create];
    /// The actions of the detail route, in registration order.
    pub(super) const ON_DETAIL: [Self; 4] = [
        Self::Retrieve,
        Self::Update,
        Self::PartialUpdate,
        Self::Destroy,
    ];

    /// The method that calls the action.
    pub(super) fn method(self) -> Method {
        match self {
            Self::List | Self::Retrieve => Method::GET,
            Self::Create => Method::POST,
            Self::Update => Method::PUT,
            Self::PartialUpdate => Method::PATCH,
            Self::Destroy => Method::DELETE,
        }
    }
}
