//! The viewset builder: [`ModelViewSet`], its extra [`Action`]s and the `perform_*` hooks.

use std::sync::Arc;

use http::Method;

use super::docs;
use super::filters::Lookup;
use super::query::ListFields;
use super::repository::Repository;
use super::standard::{Offered, StandardAction};
use crate::pagination::{LimitOffsetPagination, PageNumberPagination, Pagination};
use crate::parsers::Parser;
use crate::renderers::Renderer;
use crate::rows::RowPage;
use crate::{ApiError, ApiSettings, ApiView, Request};

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
    pub(super) detail: bool,
    pub(super) url_path: String,
    pub(super) url_name: String,
    pub(super) methods: Vec<(Method, ApiView)>,
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
/// route, a [`Pagination`] (DRF's page numbers by default), `?ordering=` over allowed fields, exact-match filters on
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
/// under `{basename}-list`, and `req.reverse("{basename}-detail", &[id])` is a row's URL
/// ([`Request::reverse`]).
///
/// A viewset need not offer all six actions (DRF's `ReadOnlyModelViewSet`, or a
/// `GenericViewSet` with the mixins of one's choice): [`ModelViewSet::read_only`],
/// [`ModelViewSet::only`] and [`ModelViewSet::without`] choose among the
/// [`StandardAction`]s. An action not offered is not registered: its method is a 405 with an
/// `Allow` of the others, the OpenAPI document and the browsable API leave it out, and a route
/// left with no action is not registered at all (its name does not reverse).
pub struct ModelViewSet<R: Repository> {
    pub(super) repo: Arc<R>,
    pub(super) name: String,
    pub(super) basename: String,
    pub(super) description: String,
    /// What `.settings()` gave: the viewset's defaults, over its router's.
    pub(super) settings: ApiSettings,
    /// What the viewset set itself (`.renderers()`, `.permissions()`…): wins over `settings`.
    pub(super) own: ApiSettings,
    /// Settings of single standard actions (`create`, …), over the viewset's.
    pub(super) action_settings: Vec<(String, ApiSettings)>,
    /// DRF's `get_queryset(request)`: the narrowing of every list and detail lookup.
    pub(super) queryset: Option<QuerysetHook>,
    /// DRF's `to_representation(instance)`, per request.
    pub(super) represent: Option<RepresentHook<R::Model>>,
    /// DRF's `prefetch_related`: relations loaded for all the rows of a response at once.
    pub(super) prefetch: Option<PrefetchHook<R::Model>>,
    /// [`prefetch`](Self::prefetch) for a list read as its rows.
    pub(super) prefetch_rows: Option<RowsHook>,
    /// What lists may filter, search and order on.
    pub(super) list_fields: ListFields,
    /// Its own pagination; `None`: its settings', else its router's ([`ApiSettings::pagination`]).
    pub(super) pagination: Option<Arc<dyn Pagination>>,
    pub(super) hooks: Hooks<R>,
    pub(super) actions: Vec<Action>,
    /// The standard actions it offers (all six unless told otherwise).
    pub(super) offered: Offered,
    /// The model's schemas for the OpenAPI document (nothing without feature `openapi`).
    pub(super) schemas: Option<docs::ModelSchemas>,
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
            own: ApiSettings::default(),
            action_settings: Vec::new(),
            queryset: None,
            represent: None,
            prefetch: None,
            prefetch_rows: None,
            list_fields: ListFields::default(),
            pagination: None,
            hooks: Hooks::default(),
            actions: Vec::new(),
            offered: Offered::all(),
            schemas: None,
        }
    }

    /// A viewset of list and retrieve only (DRF's `ReadOnlyModelViewSet`): `GET` on the list
    /// and on a row (with `HEAD` and `OPTIONS`); `POST`, `PUT`, `PATCH` and `DELETE` are 405
    /// with `Allow: GET, HEAD, OPTIONS`. Short for `ModelViewSet::new(name, basename,
    /// repo).only(StandardAction::READ_ONLY)`; extra actions may still write.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository, Router, RouteError};
    /// # fn f<R: Repository>(repo: R) -> Result<Router, RouteError> {
    /// ModelViewSet::read_only("Genre", "genre", repo).register(Router::new(), "/api/genres/")
    /// # }
    /// ```
    #[doc(alias = "ReadOnlyModelViewSet")]
    pub fn read_only(name: &str, basename: &str, repo: R) -> Self {
        Self::new(name, basename, repo).only(StandardAction::READ_ONLY)
    }

    /// Offers exactly these standard actions (DRF's `GenericViewSet` with the mixins of one's
    /// choice), whatever was offered before; extra actions are not affected. The others are
    /// not registered: see [`ModelViewSet`].
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository, Router, RouteError};
    /// use restframe::StandardAction::{Create, List, Retrieve};
    /// # fn f<R: Repository>(repo: R) -> Result<Router, RouteError> {
    /// // Messages can be posted and read, never changed or deleted.
    /// ModelViewSet::new("Message", "message", repo)
    ///     .only([List, Create, Retrieve])
    ///     .register(Router::new(), "/api/messages/")
    /// # }
    /// ```
    #[doc(alias = "GenericViewSet")]
    #[doc(alias = "mixins")]
    pub fn only(mut self, actions: impl IntoIterator<Item = StandardAction>) -> Self {
        self.offered = Offered::of(actions);
        self
    }

    /// Stops offering these standard actions, keeping the others offered so far.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository, Router, RouteError};
    /// use restframe::StandardAction;
    /// # fn f<R: Repository>(repo: R) -> Result<Router, RouteError> {
    /// // Rows are never deleted over the API: DELETE is a 405.
    /// ModelViewSet::new("Invoice", "invoice", repo)
    ///     .without([StandardAction::Destroy])
    ///     .register(Router::new(), "/api/invoices/")
    /// # }
    /// ```
    pub fn without(mut self, actions: impl IntoIterator<Item = StandardAction>) -> Self {
        self.offered = self.offered.without(actions);
        self
    }

    /// Whether the viewset offers `action`.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository, StandardAction};
    /// # fn f<R: Repository>(repo: R) {
    /// let genres = ModelViewSet::read_only("Genre", "genre", repo);
    /// assert!(genres.offers(StandardAction::List));
    /// assert!(!genres.offers(StandardAction::Create));
    /// # }
    /// ```
    pub fn offers(&self, action: StandardAction) -> bool {
        self.offered.contains(action)
    }

    /// The description shown by OPTIONS.
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// The parts `settings` sets, as the viewset's defaults over its router's (no call is
    /// needed: a viewset inherits its router's settings). Parts the viewset sets itself
    /// ([`ModelViewSet::renderers`], …) win, whatever the order of the calls.
    pub fn settings(mut self, settings: &ApiSettings) -> Self {
        self.settings = settings.clone().inherit(&self.settings);
        self
    }

    /// This viewset's renderers (over the settings').
    pub fn renderers(mut self, renderers: impl IntoIterator<Item = Arc<dyn Renderer>>) -> Self {
        self.own = self.own.renderers(renderers);
        self
    }

    /// This viewset's parsers (over the settings').
    pub fn parsers(mut self, parsers: impl IntoIterator<Item = Arc<dyn Parser>>) -> Self {
        self.own = self.own.parsers(parsers);
        self
    }

    /// This viewset's authenticators (over the settings'; feature `auth`).
    #[cfg(feature = "auth")]
    pub fn authenticators(
        mut self,
        authenticators: impl IntoIterator<Item = Arc<dyn crate::auth::Authenticator>>,
    ) -> Self {
        self.own = self.own.authenticators(authenticators);
        self
    }

    /// This viewset's permissions (over the settings'; feature `auth`). They are checked
    /// before every action, and on the row of retrieve, update, partial_update, destroy and
    /// detail actions (`has_object_permission`, the row as `&R::Model`).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use restframe::{ModelViewSet, Repository};
    /// use restframe::permissions::{IsAuthenticatedOrReadOnly, Permission};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo)
    ///     .permissions([Arc::new(IsAuthenticatedOrReadOnly) as Arc<dyn Permission>])
    /// # }
    /// ```
    #[cfg(feature = "auth")]
    pub fn permissions(
        mut self,
        permissions: impl IntoIterator<Item = Arc<dyn crate::permissions::Permission>>,
    ) -> Self {
        self.own = self.own.permissions(permissions);
        self
    }

    /// This viewset's throttles (over the settings'; feature `auth`).
    #[cfg(feature = "auth")]
    pub fn throttles(
        mut self,
        throttles: impl IntoIterator<Item = Arc<dyn crate::throttling::Throttle>>,
    ) -> Self {
        self.own = self.own.throttles(throttles);
        self
    }

    /// Settings of one standard action — `list`, `create`, `retrieve`, `update`,
    /// `partial_update` or `destroy` ([`StandardAction::name`]) — over the viewset's (DRF's
    /// per-action `get_permissions`). An unknown action name, or one the viewset does not offer
    /// ([`ModelViewSet::only`]), is an error when the viewset is registered.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use restframe::{ApiSettings, ModelViewSet, Repository};
    /// use restframe::permissions::{AllowAny, IsAuthenticated};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// // Anyone may sign up; the rest is for users.
    /// ModelViewSet::new("User", "user", repo)
    ///     .permissions([Arc::new(IsAuthenticated) as _])
    ///     .action_settings("create", ApiSettings::default().permissions([Arc::new(AllowAny) as _]))
    /// # }
    /// ```
    pub fn action_settings(mut self, action: &str, settings: ApiSettings) -> Self {
        self.action_settings.push((action.to_owned(), settings));
        self
    }

    /// Narrows the rows a request may see (DRF's `get_queryset(self.request)`): the hook
    /// gives `field = value` conditions that are added to every list query (as filters, so
    /// in SQL for a `SqlRepository`) and to every detail lookup
    /// ([`Repository::retrieve_scoped`]); a row outside them is a 404. With feature `auth` the
    /// request's user is resolved before the hook runs, so `req.current_user()` is the user.
    ///
    /// ```
    /// # use restframe::{ApiError, ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// // Only one's own rows (a tenant header here; an owner id with feature `auth`).
    /// ModelViewSet::new("Note", "note", repo).queryset(|req| {
    ///     let tenant = req.headers().get("x-tenant").and_then(|v| v.to_str().ok())
    ///         .ok_or_else(|| ApiError::not_found("No tenant."))?;
    ///     Ok(vec![("tenant".to_owned(), tenant.to_owned())])
    /// })
    /// # }
    /// ```
    pub fn queryset(
        mut self,
        hook: impl Fn(&Request) -> Result<Vec<(String, String)>, ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.queryset = Some(Arc::new(hook));
        self
    }

    /// Changes each row before it is rendered, per request (DRF's `to_representation`): on
    /// list, retrieve, create, update and partial_update. Hide what this request may not
    /// see, say. With feature `auth` the request's user is resolved first, so
    /// `req.current_user()` is the user.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository};
    /// # #[derive(serde::Serialize)] struct Account { id: i64, email: Option<String> }
    /// # fn f<R: Repository<Model = Account>>(repo: R) -> ModelViewSet<R> {
    /// // Email addresses only for the back office (with feature `auth`, say
    /// // `req.current_user().is_staff()`).
    /// ModelViewSet::new("Account", "account", repo).to_representation(|req, account| {
    ///     if !req.headers().contains_key("x-back-office") {
    ///         account.email = None;
    ///     }
    /// })
    /// # }
    /// ```
    pub fn to_representation(
        mut self,
        hook: impl Fn(&Request, &mut R::Model) + Send + Sync + 'static,
    ) -> Self {
        self.represent = Some(Arc::new(hook));
        self
    }

    /// Loads what the rows of a response relate to, for all of them at once, before
    /// [`to_representation`](Self::to_representation) shapes each (DRF's
    /// `prefetch_related`): the hook gets every row of a list page together (one row on
    /// retrieve, create and update), so that a relation costs one query per page, not one per
    /// row (no N+1). Look the related rows up with
    /// [`SqlRepository::retrieve_many`](crate::sql::SqlRepository::retrieve_many) and fill
    /// the fields that show them (a name, a nested object, a hyperlink built with
    /// [`Request::reverse`]). With feature `auth` the request's user is resolved first.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository};
    /// # #[derive(serde::Serialize)]
    /// # struct Album { id: i64, artist: i64, artist_name: Option<String> }
    /// # async fn names_of(ids: Vec<i64>) -> Result<Vec<(i64, String)>, restframe::ApiError> {
    /// #     Ok(Vec::new())
    /// # }
    /// # fn f<R: Repository<Model = Album>>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Album", "album", repo).prefetch(|_req, albums| {
    ///     Box::pin(async move {
    ///         // One lookup for the whole page.
    ///         let names = names_of(albums.iter().map(|a| a.artist).collect()).await?;
    ///         for album in albums.iter_mut() {
    ///             album.artist_name =
    ///                 names.iter().find(|(id, _)| *id == album.artist).map(|(_, n)| n.clone());
    ///         }
    ///         Ok(())
    ///     })
    /// })
    /// # }
    /// ```
    pub fn prefetch<F>(mut self, hook: F) -> Self
    where
        F: for<'a> Fn(
                &'a Request,
                &'a mut [R::Model],
            ) -> crate::BoxFuture<'a, Result<(), ApiError>>
            + Send
            + Sync
            + 'static,
    {
        self.prefetch = Some(Arc::new(hook));
        self
    }

    /// [`prefetch`](Self::prefetch) for a list page read as its rows ([`RowPage`]): a list
    /// whose repository reads its page straight from the rows ([`Repository::list_rows`]: a
    /// SQLite table whose model's fields are all plain) shows them without making models, and
    /// this hook fills in the computed fields there. Without it, a viewset with a
    /// [`prefetch`](Self::prefetch) or [`to_representation`](Self::to_representation) hook
    /// lists through models; with it, only one with `to_representation` does. The hook must
    /// show what `prefetch` would: a test should compare the two (the list, and each row's
    /// detail). It may [`decline`](RowPage::decline) a page it cannot show; the list then
    /// reads models. A keyset (cursor) page always reads models.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository};
    /// # #[derive(serde::Serialize)]
    /// # struct Album { id: i64, artist: i64, artist_name: Option<String> }
    /// # fn f<R: Repository<Model = Album>>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Album", "album", repo).prefetch_rows(|_req, page| {
    ///     Box::pin(async move {
    ///         let (Some(artist), Some(name)) = (page.field("artist"), page.field("artist_name"))
    ///         else {
    ///             return Ok(());
    ///         };
    ///         for row in 0..page.len() {
    ///             let id = page.integer(row, artist).unwrap_or_default();
    ///             page.set_text(row, name, &format!("artist {id}"))?;
    ///         }
    ///         Ok(())
    ///     })
    /// })
    /// # }
    /// ```
    pub fn prefetch_rows<F>(mut self, hook: F) -> Self
    where
        F: for<'a> Fn(&'a Request, &'a mut RowPage) -> crate::BoxFuture<'a, Result<(), ApiError>>
            + Send
            + Sync
            + 'static,
    {
        self.prefetch_rows = Some(Arc::new(hook));
        self
    }

    /// Fields a client may filter on with `?field=value` (exact match; an empty value is no
    /// filter). Short for [`filter`](Self::filter)`(field, [Lookup::Exact])` on each.
    pub fn filter_fields<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.list_fields.filter_fields = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// A field of the filter set and the lookups lists allow on it (django-filter's
    /// `Meta.fields = {"release_date": ["gte", "lte"]}`): `?release_date__gte=1959-01-01`,
    /// `?title__icontains=blue`, `?id__in=1,2,3`, `?release_date__isnull=true`. Values are
    /// read as the field's type (a bad one is a 400 naming the parameter), an empty value is
    /// no filter, and each parameter appears in the OpenAPI document with its type. Given
    /// again for a field, the lookups add up.
    ///
    /// ```
    /// use restframe::{Lookup, ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo)
    ///     .filter("title", [Lookup::Exact, Lookup::IContains, Lookup::IStartsWith])
    ///     .filter("release_date", [Lookup::Gte, Lookup::Lte, Lookup::IsNull])
    ///     .filter("id", [Lookup::In])
    ///     .search_fields(["title", "artist_name"])
    /// # }
    /// ```
    pub fn filter(mut self, field: &str, lookups: impl IntoIterator<Item = Lookup>) -> Self {
        let mut exact = false;
        let mut others: Vec<Lookup> = Vec::new();
        for lookup in lookups {
            match lookup {
                Lookup::Exact => exact = true,
                other if !others.contains(&other) => others.push(other),
                _ => {}
            }
        }
        if exact && !self.list_fields.filter_fields.iter().any(|f| f == field) {
            self.list_fields.filter_fields.push(field.to_owned());
        }
        match self
            .list_fields
            .lookups
            .iter_mut()
            .find(|(f, _)| f == field)
        {
            Some((_, mine)) => {
                for lookup in others {
                    if !mine.contains(&lookup) {
                        mine.push(lookup);
                    }
                }
            }
            None if !others.is_empty() => self.list_fields.lookups.push((field.to_owned(), others)),
            None => {}
        }
        self
    }

    /// The fields `?search=` looks in (DRF's `SearchFilter`): the terms, split on spaces and
    /// commas, must each be found in one of them, ignoring case (ASCII case on SQLite).
    pub fn search_fields<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.list_fields.search_fields = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// Fields a client may order by with `?ordering=-title,artist_name`; others are ignored, as
    /// DRF.
    pub fn ordering_fields<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.list_fields.ordering_fields = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// How lists are cut into pages: [`PageNumberPagination`] (the default, 20 rows a page
    /// and at most 100), [`LimitOffsetPagination`], or a style of your own.
    ///
    /// ```
    /// # use restframe::{LimitOffsetPagination, ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo).pagination(LimitOffsetPagination::new(50, 500))
    /// # }
    /// ```
    pub fn pagination(mut self, pagination: impl Pagination) -> Self {
        self.pagination = Some(Arc::new(pagination));
        self
    }

    /// Page-number pagination (the default, DRF's `PageNumberPagination`): `?page=` and
    /// `?page_size=`, with the page size when the client gives none and the most it may ask
    /// for. A page past the end is 404. Short for
    /// `.pagination(PageNumberPagination::new(default, max))`.
    pub fn page_size(self, default: u64, max: u64) -> Self {
        self.pagination(PageNumberPagination::new(default, max))
    }

    /// Limit/offset pagination instead (DRF's `LimitOffsetPagination`): `?limit=` (default
    /// and maximum given here) and `?offset=`; an offset past the end is an empty page, and
    /// `next`/`previous` carry `limit` and `offset`. Short for
    /// `.pagination(LimitOffsetPagination::new(default, max))`.
    ///
    /// ```
    /// # use restframe::{ModelViewSet, Repository};
    /// # fn f<R: Repository>(repo: R) -> ModelViewSet<R> {
    /// ModelViewSet::new("Track", "track", repo).limit_offset(50, 500)
    /// # }
    /// ```
    pub fn limit_offset(self, default: u64, max: u64) -> Self {
        self.pagination(LimitOffsetPagination::new(default, max))
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
    /// writes it. The row as it is now is in the request's extensions, as `Arc<Model>`.
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
}

/// A `perform_*` hook on a validated input: may change it, or refuse with an error.
pub(super) type InputHook<T> = Arc<dyn Fn(&Request, &mut T) -> Result<(), ApiError> + Send + Sync>;

/// DRF's `get_queryset(request)`: the `field = value` conditions narrowing a request's rows.
pub(super) type QuerysetHook =
    Arc<dyn Fn(&Request) -> Result<Vec<(String, String)>, ApiError> + Send + Sync>;

/// DRF's `prefetch_related`: fills the relations of a response's rows, all at once.
pub(super) type PrefetchHook<M> = Arc<
    dyn for<'a> Fn(&'a Request, &'a mut [M]) -> crate::BoxFuture<'a, Result<(), ApiError>>
        + Send
        + Sync,
>;

/// [`PrefetchHook`] for a list page read as its rows.
pub(super) type RowsHook = Arc<
    dyn for<'a> Fn(&'a Request, &'a mut RowPage) -> crate::BoxFuture<'a, Result<(), ApiError>>
        + Send
        + Sync,
>;

/// DRF's `to_representation` per request: changes a row before it is rendered.
pub(super) type RepresentHook<M> = Arc<dyn Fn(&Request, &mut M) + Send + Sync>;

/// A `perform_destroy` hook on the id of a row about to be deleted.
pub(super) type IdHook = Arc<dyn Fn(&Request, &str) -> Result<(), ApiError> + Send + Sync>;

/// DRF's `perform_create`, `perform_update` and `perform_destroy`, as hooks that run after
/// validation and before the repository.
pub(super) struct Hooks<R: Repository> {
    pub(super) create: Option<InputHook<R::Input>>,
    pub(super) update: Option<InputHook<R::Input>>,
    pub(super) partial_update: Option<InputHook<R::Patch>>,
    pub(super) destroy: Option<IdHook>,
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
