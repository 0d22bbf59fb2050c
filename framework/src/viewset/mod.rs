//! Generic viewsets (DRF's `ModelViewSet`): list, create, retrieve, update, partial_update and
//! destroy over a [`Repository`], plus extra actions, registered on a [`crate::Router`].
//!
//! One file per job:
//! - `builder.rs`: [`ModelViewSet`] and [`Action`], and what their builder methods set;
//! - `register.rs`: [`ModelViewSet::register`], the routes and their views;
//! - `standard.rs`: the six [`StandardAction`]s, and which of them a viewset offers;
//! - `handlers.rs`: what the six standard actions do;
//! - `query.rs`: a list's query string as a [`ListQuery`] (filters, ordering, window);
//! - `filters.rs`: filter sets ([`Lookup`]s per field) and `?search=`;
//! - [`crate::pagination`]: the [`Pagination`] trait and DRF's styles;
//! - `repository.rs`: the [`Repository`] trait and what it receives and returns;
//! - `docs.rs`: what the actions say in the OpenAPI document (feature `openapi`; `no_docs.rs`
//!   takes its place without it, with the same calls doing nothing).

mod builder;
#[cfg(feature = "openapi")]
mod docs;
#[cfg(not(feature = "openapi"))]
#[path = "no_docs.rs"]
mod docs;
mod filters;
mod handlers;
mod query;
mod register;
mod repository;
mod standard;

pub use crate::pagination::{
    CursorPagination, LimitOffsetPagination, PageNumberPagination, Pagination,
};
pub use builder::{Action, ModelViewSet};
pub use filters::{
    Condition, ISNULL_INVALID_MESSAGE, Lookup, MAX_IN_VALUES, MAX_SEARCH_TERMS, Search,
};
pub use repository::{ListQuery, OrderBy, Page, Repository};
pub use standard::StandardAction;

#[cfg(test)]
mod tests;
