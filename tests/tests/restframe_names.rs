//! The name counter of `restframe_tests::restframe_names`, on a fixture and on the quickstart.

use restframe_tests::restframe_names::{names_in_tree, names_used, prelude_exports};

const PRELUDE: &str = r#"
//! Docs naming `NotExported`.
pub use crate::request::Request;
pub use crate::router::{RouteError, Router};
#[cfg(feature = "sqlite")]
pub use crate::sql::{Database as Db, Table};
"#;

const APP: &str = r#"
use restframe::prelude::*;
use restframe::{ApiError, storage::{FileSystemStorage, Storage as _}};
use std::sync::Arc;

// Router in a comment, Table too: not counted.
fn app(db: &Db) -> Router {
    let s = "Request in a string";
    let media = restframe::storage::file_system("m", "/m/", None);
    let v = restframe::sql::SqlValue::Text(s.into());
    let r = restframe::renderers::JsonRenderer::new();
    let _ = (media, v, r, db.Table, other::Request);
    Router::new()
}
"#;

#[test]
fn the_counter_counts_a_fixture() {
    let prelude = prelude_exports(PRELUDE);
    let want = ["Db", "Request", "RouteError", "Router", "Table"];
    assert_eq!(prelude.iter().map(String::as_str).collect::<Vec<_>>(), want);

    let names = names_used([APP], &prelude);
    let got: Vec<(&str, &str)> = names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("ApiError", "restframe::ApiError"),
            ("Db", "restframe::prelude::Db"),
            ("FileSystemStorage", "restframe::storage::FileSystemStorage"),
            ("JsonRenderer", "restframe::renderers::JsonRenderer"),
            ("Router", "restframe::prelude::Router"),
            ("SqlValue", "restframe::sql::SqlValue"),
            ("Storage", "restframe::storage::Storage"),
            ("file_system", "restframe::storage::file_system"),
        ]
    );
}

#[test]
fn prelude_names_count_only_with_the_glob() {
    let prelude = prelude_exports(PRELUDE);
    let names = names_used(["fn f(r: Router) {}"], &prelude);
    assert!(names.is_empty(), "{names:?}");
}

/// Issue 11 asks that a ModelViewSet with one upload action and OpenAPI docs need at most 15
/// restframe names. That is the quickstart's `src/api.rs`: the model, its viewset with the
/// cover upload, the route serving the uploads, and the OpenAPI document with Swagger UI.
const API_NAMES: usize = 15;
/// The whole quickstart adds the server around it: the database and its migration, `serve`
/// with graceful shutdown.
const QUICKSTART_NAMES: usize = 19;

fn quickstart_names(path: &str) -> std::collections::BTreeMap<String, String> {
    let root = restframe_tests::workspace_root();
    names_in_tree(
        &root.join("examples/quickstart").join(path),
        &root.join("framework/src/prelude.rs"),
    )
    .expect("read the quickstart")
}

#[test]
fn a_viewset_with_an_upload_and_docs_needs_at_most_15_names() {
    let names = quickstart_names("src/api.rs");
    assert!(
        names.len() <= API_NAMES,
        "the quickstart's API uses {} restframe names, more than {API_NAMES}: {:?}",
        names.len(),
        names.keys().collect::<Vec<_>>()
    );
}

#[test]
fn the_whole_quickstart_needs_few_names() {
    let names = quickstart_names("src");
    assert!(
        names.len() <= QUICKSTART_NAMES,
        "the quickstart uses {} restframe names, more than {QUICKSTART_NAMES}: {:?}",
        names.len(),
        names.keys().collect::<Vec<_>>()
    );
}
