//! Registering a [`ModelViewSet`] on a [`Router`]: the list and detail routes, the extra
//! actions, each view described for the OpenAPI document by [`super::docs`] (which does
//! nothing without feature `openapi`).

use std::sync::Arc;

use http::Method;

use super::builder::ModelViewSet;
use super::docs::ActionDocs;
use super::handlers::{Config, Standard, create, destroy, list, partial_update, retrieve, update};
use super::repository::Repository;
use crate::{ApiError, ApiView, Request, Response, RouteError, Router, api_view};

impl<R: Repository> ModelViewSet<R> {
    /// Registers the viewset's routes under `prefix` (`/api/tracks/`): the list route
    /// `{basename}-list`, then the list actions, the detail route `{prefix}{id}/`
    /// (`{basename}-detail`), then the detail actions.
    ///
    /// With feature `openapi`, every action is described for the document: tag and operation
    /// ids from the prefix's last segment (`tracks`: `tracks_list`, `tracks_create`, …,
    /// `tracks_{url_name}` for extra actions).
    pub fn register(self, router: Router, prefix: &str) -> Result<Router, RouteError> {
        let prefix = format!("{}/", prefix.trim_end_matches('/'));
        let detail = format!("{prefix}{{id}}/");
        let docs = ActionDocs::new(&self, &prefix);
        let routes = |name: &str, actions: &[Standard]| -> Vec<(Method, ApiView)> {
            actions
                .iter()
                .map(|&a| (a.method(), docs.describe(a, self.standard_view(name, a))))
                .collect()
        };
        let list_routes = routes(&format!("{} List", self.name), &Standard::ON_LIST);
        let detail_routes = routes(&format!("{} Instance", self.name), &Standard::ON_DETAIL);

        let mut router = router.route(&prefix, &format!("{}-list", self.basename), list_routes)?;
        for action in self.actions.iter().filter(|a| !a.detail) {
            let path = format!("{prefix}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            router = router.route(&path, &name, docs.describe_action(action))?;
        }
        router = router.route(&detail, &format!("{}-detail", self.basename), detail_routes)?;
        for action in self.actions.iter().filter(|a| a.detail) {
            let path = format!("{detail}{}/", action.url_path);
            let name = format!("{}-{}", self.basename, action.url_name);
            router = router.route(&path, &name, docs.describe_action(action))?;
        }
        Ok(router)
    }

    /// The view of one standard action, named `name` (`Track List`) for OPTIONS and pages.
    fn standard_view(&self, name: &str, action: Standard) -> ApiView {
        match action {
            Standard::List => self.view(name, list::<R>),
            Standard::Create => self.view(name, create::<R>),
            Standard::Retrieve => self.view(name, retrieve::<R>),
            Standard::Update => self.view(name, update::<R>),
            Standard::PartialUpdate => self.view(name, partial_update::<R>),
            Standard::Destroy => self.view(name, destroy::<R>),
        }
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
            pagination: Arc::clone(&self.pagination),
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
