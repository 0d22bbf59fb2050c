//! Generic viewsets (DRF's `ModelViewSet`): list, create, retrieve, update, partial_update and
//! destroy over a [`Repository`], plus extra actions, registered on a [`Router`].

#[cfg(feature = "openapi")]
mod docs;
mod pagination;
mod repository;

use std::sync::Arc;

use http::header::LINK;
use http::{Method, StatusCode};

use crate::parsers::Parser;
use crate::renderers::Renderer;
use crate::validation::Validate;
use crate::{ApiError, ApiSettings, ApiView, Request, Response, RouteError, Router, api_view};
use pagination::{
    PageBody, PageSize, Paging, invalid_page, limit_offset, limit_offset_links, link_header,
    page_url, window,
};
pub use repository::{ListQuery, OrderBy, Page, Repository};

/// An extra action on a viewset (DRF's `@action`): on the list (`/tracks/recent/`) or on one
/// row (`/tracks/{id}/upload/{filename}/`), with its own views — and so its own renderers and
/// parsers — per method. The row's id reaches the views as `request.path_param("id")`.
///
/// ```
/// use http::Method;
/// use restframe::{api_view, Action, Response};
/// let upload = api_view(|req| async move {
///     Ok(Response::new(req.path_param("filename").unwrap_or_default().to_owned()))
/// });
/// let action = Action::detail("upload/{filename:[A-Za-z0-9_]+\\.mp3}", "upload")
///     .method(Method::POST, upload);
/// # let _ = action;
/// ```
#[derive(Clone)]
pub struct Action {
    detail: bool,
    url_path: String,
    url_name: String,
    methods: Vec<(Method, ApiView)>,
}

impl Action {
    /// An action on one row: `{prefix}{id}/{url_path}/`, route name `{basename}-{url_name}`.
    pub fn detail(url_path: &str, url_name: &str) -> Self {
        Self::new(true, url_path, url_name)
    }

    /// An action on the list: `{prefix}{url_path}/`, route name `{basename}-{url_name}`.
    pub fn list(url_path: &str, url_name: &str) -> Self {
        Self::new(false, url_path, url_name)
    }

    fn new(detail: bool, url_path: &str, url_name: &str) -> Self {
        Self {
            detail,
            url_path: url_path.trim_matches('/').to_owned(),
            url_name: url_name.to_owned(),
            methods: Vec::new(),
        }
    }

    /// The view answering `method`.
    pub fn method(mut self, method: Method, view: ApiView) -> Self {
        self.methods.push((method, view));
        self
    }

    /// What the action's `method` says of itself in the OpenAPI document, over what the viewset
    /// infers (drf-spectacular's `@extend_schema`): its request, responses, parameters, errors.
    /// Call it after [`Action::method`].
    ///
    /// ```
    /// use http::Method;
    /// use restframe::{api_view, openapi::Doc, Action, Response};
    ///
    /// #[derive(serde::Serialize, utoipa::ToSchema)]
    /// struct Track { id: i64, file: Option<String> }
    ///
    /// let upload = api_view(|_req| async move { Ok(Response::new("stored")) });
    /// let action = Action::detail("upload/{filename:[A-Za-z0-9_]+\\.mp3}", "upload")
    ///     .method(Method::POST, upload)
    ///     .extend_schema(Method::POST, Doc::new()
    ///         .summary("Upload the track's MP3")
    ///         .file_field("file")
    ///         .response::<Track>(200, "The track, with its file URL."));
    /// # let _ = action;
    /// ```
    #[cfg(feature = "openapi")]
    pub fn extend_schema(mut self, method: Method, doc: crate::openapi::Doc) -> Self {
        if let Some((_, view)) = self.methods.iter_mut().find(|(m, _)| *m == method) {
            *view = view.clone().doc(doc);
        }
        self
    }
}

/// A viewset over a [`Repository`]: the six standard actions on a list route and a detail
/// route, DRF's page-number pagination, `?ordering=` over allowed fields, exact-match filters on
/// declared fields, DRF-shaped validation errors, and extra [`Action`]s.
///
/// | route | method | action | answer |
/// |---|---|---|---|
/// | `{prefix}` | GET | list | 200 `{"count", "next", "previous", "results"}` + `Link` |
/// | `{prefix}` | POST | create | 201 with the row |
/// | `{prefix}{id}/` | GET | retrieve | 200, or 404 |
/// | `{prefix}{id}/` | PUT | update | 200, or 404 |
/// | `{prefix}{id}/` | PATCH | partial_update | 200, or 404 |
/// | `{prefix}{id}/` | DELETE | destroy | 204, or 404 |
///
/// Route names are `{basename}-list` and `{basename}-detail`, so the API root lists the viewset
/// under `{basename}-list`.
pub struct ModelViewSet<R: Repository> {
    repo: Arc<R>,
    name: String,
    basename: String,
    description: String,
    settings: ApiSettings,
    renderers: Option<Vec<Arc<dyn Renderer>>>,
    parsers: Option<Vec<Arc<dyn Parser>>>,
    filter_fields: Vec<String>,
    ordering_fields: Vec<String>,
    paging: Paging,
    hooks: Hooks<R>,
    actions: Vec<Action>,
    #[cfg(feature = "openapi")]
    schemas: Option<docs::ModelSchemas>,
}

#[cfg(feature = "openapi")]
impl<R: Repository> ModelViewSet<R>
where
    R::Model: utoipa::ToSchema,
    R::Input: utoipa::ToSchema,
    R::Patch: utoipa::ToSchema,
{
    /// Describes the model, input and patch types in the OpenAPI document, from their
    /// `utoipa::ToSchema` (feature `openapi`): the list's page, request bodies and responses.
    /// Without it, the viewset's routes are still documented, with free-form bodies.
    pub fn with_schemas(mut self) -> Self {
        self.schemas = Some(docs::ModelSchemas::of::<R::Model, R::Input, R::Patch>());
        self
    }
}

impl<R: Repository> ModelViewSet<R> {
    /// A viewset named `name` (`Track`) over `repo`, with route names from `basename` (`track`).
    pub fn new(name: &str, basename: &str, repo: R) -> Self {
        Self {
            repo: Arc::new(repo),
            name: name.to_owned(),
            basename: basename.to_owned(),
            description: String::new(),
            settings: ApiSettings::default(),
            renderers: None,
            parsers: None,
            filter_fields: Vec::new(),
            ordering_fields: Vec::new(),
            paging: Paging::PageNumber(PageSize {
                default: 20,
                max: 100,
            }),
            hooks: Hooks::default(),
            actions: Vec::new(),
            #[cfg(feature = "openapi")]
            schemas: None,
        }
    }

    /// The description shown by OPTIONS.
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// Default renderers, parsers and limits.
    pub fn settings(mut self, settings: &ApiSettings) -> Self {
        self.settings = settings.clone();
        self
    }

    /// This viewset's renderers (over the settings').
    pub fn renderers(mut self, renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        self.renderers = Some(renderers.into_iter().collect());
        self
    }

    /// This viewset's parsers (over the settings').
    pub fn parsers(mut self, parsers: impl IntoIterator<Item = Arc<dyn Parser>>) -> Self {
        self.parsers = Some(parsers.into_iter().collect());
        self
    }

    /// Fields a client may filter on with `?field=value` (exact match).
    pub fn filter_fields<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.filter_fields = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// Fields a client may order by with `?ordering=-title,artist_name`; others are ignored, as
    /// DRF.
    pub fn ordering_fields<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.ordering_fields = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// Page-number pagination (the default, DRF's `PageNumberPagination`): `?page=` and
    /// `?page_size=`, with the page size when the client gives none and the most it may ask
    /// for. A page past the end is 404.
    pub fn page_size(mut self, default: u64, max: u64) -> Self {
        self.paging = Paging::PageNumber(PageSize {
            default: default.max(1),
            max: max.max(1),
        });
        self
    }

    /// Limit/offset pagination instead (DRF's `LimitOffsetPagination`): `?limit=` (default
    /// and maximum given here) and `?offset=`; an offset past the end is an empty page, and
    /// `next`/`previous` carry `limit` and `offset`.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo).limit_offset(50, 500)
    /// # }
    /// ```
    pub fn limit_offset(mut self, default: u64, max: u64) -> Self {
        self.paging = Paging::LimitOffset(PageSize {
            default: default.max(1),
            max: max.max(1),
        });
        self
    }

    /// DRF's `perform_create`: runs on the validated input before the repository stores it,
    /// with the request at hand — to set what the client does not send (an owner, a slug) or to
    /// refuse with an [`ApiError`].
    ///
    /// ```
    /// # use restframe::{ApiError, ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo).perform_create(|req, _input| {
    ///     match req.headers().get("x-read-only") {
    ///         Some(_) => Err(ApiError::new(http::StatusCode::FORBIDDEN, "permission_denied", "Read-only client.")),
    ///         None => Ok(()),
    ///     }
    /// })
    /// # }
    /// ```
    pub fn perform_create(
        mut self,
        hook: impl Fn(&Request, &mut R::Input) -> Result<(), ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.create = Some(Arc::new(hook));
        self
    }

    /// DRF's `perform_update` for PUT: runs on the validated input before the repository
    /// writes it.
    pub fn perform_update(
        mut self,
        hook: impl Fn(&Request, &mut R::Input) -> Result<(), ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.update = Some(Arc::new(hook));
        self
    }

    /// `perform_update` for PATCH: runs on the validated patch before the repository
    /// applies it.
    pub fn perform_partial_update(
        mut self,
        hook: impl Fn(&Request, &mut R::Patch) -> Result<(), ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.partial_update = Some(Arc::new(hook));
        self
    }

    /// DRF's `perform_destroy`: runs with the id before the repository deletes the row (and
    /// after it is known to exist); an error keeps the row.
    pub fn perform_destroy(
        mut self,
        hook: impl Fn(&Request, &str) -> Result<(), ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.destroy = Some(Arc::new(hook));
        self
    }

    /// Adds an extra action.
    pub fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    /// Registers the viewset's routes under `prefix` (`/api/tracks/`).
    ///
    /// With feature `openapi`, every action is described for the document: tag and operation
    /// ids from the prefix's last segment (`tracks`: `tracks_list`, `tracks_create`, …,
    /// `tracks_{url_name}` for extra actions).
    pub fn register(self, router: Router, prefix: &str) -> Result<Router, RouteError> {
        let prefix = format!("{}/", prefix.trim_end_matches('/'));
        let detail = format!("{prefix}{{id}}/");
        let list_name = format!("{} List", self.name);
        let detail_name = format!("{} Instance", self.name);
        #[cfg(feature = "openapi")]
        let tag = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.basename)
            .to_owned();
        #[cfg(feature = "openapi")]
        let docs = docs::ActionDocs {
            tag: &tag,
            basename: &self.basename,
            schemas: self.schemas,
            paging: self.paging,
            filter_fields: &self.filter_fields,
            ordering_fields: &self.ordering_fields,
        };
        #[cfg(not(feature = "openapi"))]
        let docs = ();
        // The view, with what the viewset infers of the action for the OpenAPI document.
        macro_rules! documented {
            ($view:expr, $action:ident) => {{
                #[cfg(feature = "openapi")]
                let view = docs::described($view, docs.$action());
                #[cfg(not(feature = "openapi"))]
                let view = {
                    let _ = &docs;
                    $view
                };
                view
            }};
        }
        let list_routes = [
            (
                Method::GET,
                documented!(self.view(&list_name, list::<R>), list),
            ),
            (
                Method::POST,
                documented!(self.view(&list_name, create::<R>), create),
            ),
        ];
        let detail_routes = [
            (
                Method::GET,
                documented!(self.view(&detail_name, retrieve::<R>), retrieve),
            ),
            (
                Method::PUT,
                documented!(self.view(&detail_name, update::<R>), update),
            ),
            (
                Method::PATCH,
                documented!(self.view(&detail_name, partial_update::<R>), partial_update),
            ),
            (
                Method::DELETE,
                documented!(self.view(&detail_name, destroy::<R>), destroy),
            ),
        ];
        let action_methods = |action: &Action| -> Vec<(Method, ApiView)> {
            #[cfg(feature = "openapi")]
            {
                let several = action.methods.len() > 1;
                action
                    .methods
                    .iter()
                    .map(|(m, v)| {
                        let doc = docs.action(&action.url_name, m, several);
                        (m.clone(), docs::described(v.clone(), doc))
                    })
                    .collect()
            }
            #[cfg(not(feature = "openapi"))]
            action.methods.clone()
        };
        let mut router = router.route(&prefix, &format!("{}-list", self.basename), list_routes)?;
        for action in self.actions.iter().filter(|a| !a.detail) {
            let path = format!("{prefix}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            router = router.route(&path, &name, action_methods(action))?;
        }
        router = router.route(&detail, &format!("{}-detail", self.basename), detail_routes)?;
        for action in self.actions.iter().filter(|a| a.detail) {
            let path = format!("{detail}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            router = router.route(&path, &name, action_methods(action))?;
        }
        Ok(router)
    }

    /// One action's view, with the viewset's settings, renderers and parsers.
    fn view<F, Fut>(&self, name: &str, handler: F) -> ApiView
    where
        F: Fn(Arc<Config<R>>, Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
    {
        let config = Arc::new(Config {
            repo: Arc::clone(&self.repo),
            filter_fields: self.filter_fields.clone(),
            ordering_fields: self.ordering_fields.clone(),
            paging: self.paging,
            hooks: self.hooks.clone(),
        });
        let mut view = api_view(move |req| handler(Arc::clone(&config), req))
            .name(name)
            .description(&self.description)
            .settings(&self.settings);
        if let Some(r) = &self.renderers {
            view = view.renderers(r.iter().cloned());
        }
        if let Some(p) = &self.parsers {
            view = view.parsers(p.iter().cloned());
        }
        view
    }
}

/// What every action of a viewset shares.
struct Config<R: Repository> {
    repo: Arc<R>,
    filter_fields: Vec<String>,
    ordering_fields: Vec<String>,
    paging: Paging,
    hooks: Hooks<R>,
}

/// A `perform_*` hook on a validated input: may change it, or refuse with an error.
type InputHook<T> = Arc<dyn Fn(&Request, &mut T) -> Result<(), ApiError> + Send + Sync>;

/// A `perform_destroy` hook on the id of a row about to be deleted.
type IdHook = Arc<dyn Fn(&Request, &str) -> Result<(), ApiError> + Send + Sync>;

/// DRF's `perform_create`, `perform_update` and `perform_destroy`, as hooks that run after
/// validation and before the repository.
struct Hooks<R: Repository> {
    create: Option<InputHook<R::Input>>,
    update: Option<InputHook<R::Input>>,
    partial_update: Option<InputHook<R::Patch>>,
    destroy: Option<IdHook>,
}

impl<R: Repository> Clone for Hooks<R> {
    fn clone(&self) -> Self {
        Self {
            create: self.create.clone(),
            update: self.update.clone(),
            partial_update: self.partial_update.clone(),
            destroy: self.destroy.clone(),
        }
    }
}

impl<R: Repository> Default for Hooks<R> {
    fn default() -> Self {
        Self {
            create: None,
            update: None,
            partial_update: None,
            destroy: None,
        }
    }
}

fn id(req: &Request) -> Result<String, ApiError> {
    req.path_param("id")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal("detail route without an id capture"))
}

fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

async fn list<R: Repository>(config: Arc<Config<R>>, req: Request) -> Result<Response, ApiError> {
    let query: crate::renderers::Query<'_> = req.query().into();
    let filters = config
        .filter_fields
        .iter()
        .filter_map(|f| Some((f.clone(), query.get(f)?.into_owned())))
        .collect();
    let ordering = query
        .get("ordering")
        .map(|o| {
            o.split(',')
                .map(str::trim)
                .filter_map(|key| {
                    let (field, descending) = match key.strip_prefix('-') {
                        Some(f) => (f, true),
                        None => (key, false),
                    };
                    config
                        .ordering_fields
                        .iter()
                        .any(|allowed| allowed == field)
                        .then(|| OrderBy {
                            field: field.to_owned(),
                            descending,
                        })
                })
                .fold(Vec::<OrderBy>::new(), |mut keys, key| {
                    // A field counts once (its first mention), so the keys are bounded by the
                    // allow-list however long the parameter is.
                    if !keys.iter().any(|k| k.field == key.field) {
                        keys.push(key);
                    }
                    keys
                })
        })
        .unwrap_or_default();
    let (page, limit, offset) = match config.paging {
        Paging::PageNumber(size) => {
            let (page, size) = window(query, size)?;
            // SQL takes a signed 64-bit OFFSET: a page beyond it cannot exist.
            let offset = (page - 1)
                .checked_mul(size)
                .filter(|&o| i64::try_from(o).is_ok())
                .ok_or_else(invalid_page)?;
            (Some(page), size, offset)
        }
        Paging::LimitOffset(size) => {
            let (limit, offset) = limit_offset(query, size);
            (None, limit, offset)
        }
    };
    let list_query = ListQuery {
        filters,
        ordering,
        offset,
        limit,
    };
    let Page { items, count } = config.repo.list(&list_query).await?;
    let base = req.base_url()?;
    let path = req.uri().path();
    let (next, previous) = match page {
        Some(page) => {
            if page > 1 && items.is_empty() {
                return Err(invalid_page());
            }
            let shown = offset.saturating_add(items.len() as u64);
            (
                (shown < count).then(|| page_url(&base, path, query, page + 1)),
                (page > 1).then(|| page_url(&base, path, query, page - 1)),
            )
        }
        None => limit_offset_links(&base, path, query, (limit, offset), count),
    };
    let link = link_header(next.as_deref(), previous.as_deref());
    let mut response = Response::new(PageBody {
        count,
        next,
        previous,
        results: items,
    });
    if let Some(link) = link {
        response = response.with_header(LINK, link);
    }
    Ok(response)
}

async fn create<R: Repository>(
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

async fn retrieve<R: Repository>(
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

async fn update<R: Repository>(config: Arc<Config<R>>, req: Request) -> Result<Response, ApiError> {
    let hook = config.hooks.update.clone();
    write(config, req, hook, |repo, id, input| async move {
        repo.update(&id, input).await
    })
    .await
}

async fn partial_update<R: Repository>(
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

async fn destroy<R: Repository>(
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

#[cfg(test)]
mod tests;
