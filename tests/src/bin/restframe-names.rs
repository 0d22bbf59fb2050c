//! Prints the distinct restframe names the `.rs` files under each given directory (or each given
//! file) use, one a
//! line with the path it was reached by, then their count (see `restframe_tests::restframe_names`
//! for what counts).
//!
//! `cargo run -p restframe-tests --bin restframe-names -- examples/quickstart/src`

use std::path::Path;
use std::process::ExitCode;

use restframe_tests::restframe_names::{names_in_tree, report};

fn main() -> ExitCode {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: restframe-names DIR…  (say, examples/quickstart/src)");
        return ExitCode::from(2);
    }
    let prelude = restframe_tests::workspace_root().join("framework/src/prelude.rs");
    for dir in &dirs {
        match names_in_tree(Path::new(dir), &prelude) {
            Ok(names) => print!("{}", report(&names)),
            Err(e) => {
                eprintln!("restframe-names: {dir}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
