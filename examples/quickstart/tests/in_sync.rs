//! docs/quickstart.md shows this package's `[dependencies]`, `src/api.rs` and `src/main.rs`
//! whole; these
//! tests fail when the page and the code part ways.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

/// The bodies of the fenced blocks in `doc` opened by `fence` (e.g. "```toml"), in order.
fn blocks<'a>(doc: &'a str, fence: &str) -> Vec<&'a str> {
    let open = format!("\n{fence}\n");
    let mut found = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find(&open) {
        let start = at + open.len();
        let len = rest[start..].find("\n```\n").expect("a closed block") + 1;
        found.push(&rest[start..start + len]);
        rest = &rest[start + len..];
    }
    found
}

/// The body of the first fenced block in `doc` opened by `fence`.
fn block<'a>(doc: &'a str, fence: &str) -> &'a str {
    blocks(doc, fence)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no {fence} block in docs/quickstart.md"))
}

#[test]
fn the_page_shows_api_rs_and_main_rs_whole() {
    let doc = read("../../docs/quickstart.md");
    let shown = blocks(&doc, "```rs");
    for (i, file) in ["src/api.rs", "src/main.rs"].into_iter().enumerate() {
        assert!(
            shown.get(i).copied() == Some(read(file).as_str()),
            "docs/quickstart.md's block {i} differs from examples/quickstart/{file}: copy the file into the page"
        );
    }
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
