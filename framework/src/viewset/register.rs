//! Registering a [`ModelViewSet`] on a [`Router`]: the list and detail routes, the extra
//! actions, each view described for the OpenAPI document by [`super::docs`] (which does
//! nothing without feature `openapi`).

use std::sync::Arc;

use http::Method;

use super::builder::ModelViewSet;
use super::docs::ActionDocs;
use super::handlers::{
    Config, create, destroy, get_object, list, partial_update, retrieve, update,
};
use super::repository::Repository;
use super::standard::StandardAction;
use crate::view::BeforeStep;
use crate::{ApiError, ApiSettings, ApiView, Request, Response, RouteError, Router, api_view};

impl<R: Repository> ModelViewSet<R> {
    /// Registers the viewset's routes under `prefix` (`/api/tracks/`): the list route
    /// `{basename}-list`, then the list actions, the detail route `{prefix}{id}/`
    /// (`{basename}-detail`), then the detail actions. Each standard route has the methods of
    /// the actions the viewset offers, and is left out when it offers none of them.
    ///
    /// With feature `openapi`, every action is described for the document: tag and operation
    /// ids from the prefix's last segment (`tracks`: `tracks_list`, `tracks_create`, …,
    /// `tracks_{url_name}` for extra actions).
    pub fn register(self, router: Router, prefix: &str) -> Result<Router, RouteError> {
        let prefix = format!("{}/", prefix.trim_end_matches('/'));
        for (name, _) in &self.action_settings {
            let why = match StandardAction::from_name(name) {
                None => "which is no standard action",
                Some(action) if !self.offers(action) => "which the viewset does not offer",
                Some(_) => continue,
            };
            return Err(RouteError::Pattern {
                pattern: prefix,
                why: format!("`action_settings` names `{name}`, {why}"),
            });
        }
        let layer = self.own.clone().inherit(&self.settings);
        let pagination = match &self.pagination {
            Some(own) => Arc::clone(own),
            None => layer.clone().inherit(router.settings()).paginator(),
        };
        let config = self.config(Arc::clone(&pagination));
        let detail = format!("{prefix}{{id}}/");
        let docs = ActionDocs::new(&self, &prefix, &*pagination);
        // Only the offered actions: a method not offered is the router's 405, with an `Allow`
        // of the others, and is in neither the OpenAPI document nor the browsable API's forms.
        let routes = |name: &str, actions: &[StandardAction]| -> Vec<(Method, ApiView)> {
            actions
                .iter()
                .filter(|&&a| self.offers(a))
                .map(|&a| {
                    let view = self.standard_view(&config, name, a).inherit(&layer);
                    (a.method(), docs.describe(a, view))
                })
                .collect()
        };
        let list_routes = routes(&format!("{} List", self.name), &StandardAction::ON_LIST);
        let detail_routes = routes(
            &format!("{} Instance", self.name),
            &StandardAction::ON_DETAIL,
        );

        // A route left without actions is not registered (DRF's router skips a route whose
        // method map is empty): its path is a 404 and its name does not reverse.
        let mut router = router;
        if !list_routes.is_empty() {
            router = router.route(&prefix, &format!("{}-list", self.basename), list_routes)?;
        }
        for action in self.actions.iter().filter(|a| !a.detail) {
            let path = format!("{prefix}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            let views = inherited(docs.describe_action(action), &layer);
            router = router.route(&path, &name, views)?;
        }
        if !detail_routes.is_empty() {
            router = router.route(&detail, &format!("{}-detail", self.basename), detail_routes)?;
        }
        for action in self.actions.iter().filter(|a| a.detail) {
            let path = format!("{detail}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            let views = inherited(docs.describe_action(action), &layer)
                .into_iter()
                .map(|(m, v)| (m, v.before(load_object(Arc::clone(&config)))))
                .collect::<Vec<_>>();
            router = router.route(&path, &name, views)?;
        }
        Ok(router)
    }

    /// What every action of the viewset shares.
    fn config(&self, pagination: Arc<dyn crate::Pagination>) -> Arc<Config<R>> {
        Arc::new(Config {
            repo: Arc::clone(&self.repo),
            list_fields: self.list_fields.clone(),
            pagination,
            hooks: self.hooks.clone(),
            queryset: self.queryset.clone(),
            represent: self.represent.clone(),
            prefetch: self.prefetch.clone(),
            prefetch_rows: self.prefetch_rows.clone(),
        })
    }

    /// The view of one standard action, named `name` (`Track List`) for OPTIONS and pages,
    /// with the action's own settings (inheriting the viewset's is the caller's).
    fn standard_view(
        &self,
        config: &Arc<Config<R>>,
        name: &str,
        action: StandardAction,
    ) -> ApiView {
        let view = match action {
            StandardAction::List => self.view(config, name, list::<R>),
            StandardAction::Create => self.view(config, name, create::<R>),
            StandardAction::Retrieve => self.view(config, name, retrieve::<R>),
            StandardAction::Update => self.view(config, name, update::<R>),
            StandardAction::PartialUpdate => self.view(config, name, partial_update::<R>),
            StandardAction::Destroy => self.view(config, name, destroy::<R>),
        };
        self.action_settings
            .iter()
            .filter(|(a, _)| a == action.name())
            .fold(view, |view, (_, settings)| view.settings(settings))
    }

    /// One action's view.
    fn view<F, Fut>(&self, config: &Arc<Config<R>>, name: &str, handler: F) -> ApiView
    where
        F: Fn(Arc<Config<R>>, Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
    {
        let config = Arc::clone(config);
        api_view(move |req| handler(Arc::clone(&config), req))
            .name(name)
            .description(&self.description)
    }
}

/// An extra action's views, each over the viewset's settings for what it does not set itself.
fn inherited(views: Vec<(Method, ApiView)>, layer: &ApiSettings) -> Vec<(Method, ApiView)> {
    views
        .into_iter()
        .map(|(m, v)| (m, v.inherit(layer)))
        .collect()
}

/// DRF's `get_object()` before a detail action, before its view reads anything of the
/// request: the row within the narrowing, its object permissions checked, handed to the action
/// as an `Arc<R::Model>` request extension. An id with no row — or one that cannot be an id
/// (`abc`, `+1`) — is the viewset's 404, "No such object.", whatever the action would have
/// done with it.
fn load_object<R: Repository>(config: Arc<Config<R>>) -> Arc<BeforeStep> {
    Arc::new(move |req: &mut Request| {
        let config = Arc::clone(&config);
        Box::pin(async move {
            let row = get_object(&config, req).await?;
            req.extensions_mut().insert(Arc::new(row));
            Ok(())
        })
    })
}
