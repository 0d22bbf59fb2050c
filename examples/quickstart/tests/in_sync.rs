//! docs/quickstart.md shows this package's `[dependencies]` and `src/main.rs` whole; these
//! tests fail when the page and the code part ways.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

/// The body of the first fenced block in `doc` opened by `fence` (e.g. "```toml").
fn block<'a>(doc: &'a str, fence: &str) -> &'a str {
    let start = doc
        .find(&format!("\n{fence}\n"))
        .unwrap_or_else(|| panic!("no {fence} block in docs/quickstart.md"))
        + fence.len()
        + 2;
    let len = doc[start..].find("\n```\n").expect("a closed block") + 1;
    &doc[start..start + len]
}

#[test]
fn the_page_shows_main_rs_whole() {
    let doc = read("../../docs/quickstart.md");
    let main = read("src/main.rs");
    assert!(
        block(&doc, "```rust,no_run") == main,
        "docs/quickstart.md's program differs from examples/quickstart/src/main.rs: copy the file into the page"
    );
}

#[test]
fn the_page_shows_the_dependencies_with_a_version_for_the_path() {
    let doc = read("../../docs/quickstart.md");
    let manifest = read("Cargo.toml");
    let deps = manifest
        .split_once("[dependencies]\n")
        .and_then(|(_, rest)| rest.split_once("\n\n"))
        .map(|(deps, _)| format!("{deps}\n"))
        .expect("a [dependencies] section followed by a blank line");
    let deps = deps.replace(r#"path = "../../framework""#, r#"version = "0.1""#);
    assert_eq!(block(&doc, "```toml"), deps);
}
