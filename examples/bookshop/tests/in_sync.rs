//! docs/models.md shows `src/main.rs` whole, as its bookshop example; this test fails when the
//! page and the code part ways, or when the example outgrows 150 lines.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

#[test]
fn the_page_shows_main_rs_whole_and_it_stays_short() {
    let doc = read("../../docs/models.md");
    let main = read("src/main.rs");
    let open = "\n```rust,no_run\n";
    let at = doc
        .find("\n## A bookshop\n")
        .and_then(|s| doc[s..].find(open).map(|o| s + o + open.len()))
        .expect("a rust,no_run block under \"## A bookshop\" in docs/models.md");
    let len = doc[at..].find("\n```\n").expect("a closed block") + 1;
    assert!(
        doc[at..at + len] == main,
        "docs/models.md's bookshop differs from examples/bookshop/src/main.rs: copy the file into the page"
    );
    let lines = main.lines().count();
    assert!(lines <= 150, "the bookshop is {lines} lines, more than 150");
}
