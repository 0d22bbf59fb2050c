//! Prints the import graph between top-level modules of the framework and the example app, and
//! every cycle with the lines that make it; exits 1 when there is a cycle.
//!
//! `cargo run -p restframe-tests --bin module-graph` checks the workspace's trees;
//! `… -- path/to/src …` checks the given source directories instead.

use std::process::ExitCode;

use restframe_tests::module_graph::{ModuleGraph, check_workspace};

fn main() -> ExitCode {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    let outcome = if dirs.is_empty() {
        check_workspace(&restframe_tests::workspace_root())
    } else {
        dirs.iter()
            .try_fold((String::new(), false), |(mut report, any), dir| {
                let graph = ModuleGraph::read(std::path::Path::new(dir))?;
                report.push_str(&graph.report());
                Ok((report, any || !graph.cycles().is_empty()))
            })
    };
    match outcome {
        Ok((report, has_cycle)) => {
            print!("{report}");
            if has_cycle {
                println!("import cycles found");
                ExitCode::FAILURE
            } else {
                println!("no import cycles");
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("module-graph: {e}");
            ExitCode::from(2)
        }
    }
}
