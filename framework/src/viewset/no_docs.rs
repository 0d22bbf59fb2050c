//! Without feature `openapi`: the same calls as `docs.rs`, doing nothing, so that registration
//! reads the same with and without the feature.

use http::Method;

use super::builder::{Action, ModelViewSet};
use super::repository::Repository;
use super::standard::StandardAction;
use crate::ApiView;

/// No schemas without feature `openapi` (a type without values: `Option<ModelSchemas>` is
/// always `None`).
#[derive(Clone, Copy)]
pub(super) enum ModelSchemas {}

/// Describes nothing.
pub(super) struct ActionDocs;

impl ActionDocs {
    pub(super) fn new<R: Repository>(
        viewset: &ModelViewSet<R>,
        _prefix: &str,
        _pagination: &dyn crate::Pagination,
    ) -> Self {
        // There are never schemas to describe.
        if let Some(schemas) = viewset.schemas {
            match schemas {}
        }
        Self
    }

    /// `view` as it is.
    pub(super) fn describe(&self, _action: StandardAction, view: ApiView) -> ApiView {
        view
    }

    /// The action's views as they are.
    pub(super) fn describe_action(&self, action: &Action) -> Vec<(Method, ApiView)> {
        action.methods.clone()
    }
}
