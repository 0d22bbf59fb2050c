//! No import cycle between the top-level modules of the framework or the example app (issue
//! 11). By hand, with the whole graph: `cargo run -p restframe-tests --bin module-graph`.

use restframe_tests::module_graph::check_workspace;
use restframe_tests::workspace_root;

#[test]
fn no_import_cycle_between_top_level_modules() {
    let (report, has_cycle) = check_workspace(&workspace_root()).expect("read the sources");
    assert!(
        !has_cycle,
        "import cycles between top-level modules:\n{report}"
    );
}
