//! The distinct restframe names a source tree uses: how much of the framework an app has to
//! know.
//!
//! A name is an item the code names from `restframe`, counted once by its own name
//! (`restframe::Router` and `restframe::prelude::Router` are one name):
//!
//! - each leaf of `use restframe::…` (groups expanded: `use restframe::{a::B, C}` is `B` and
//!   `C`);
//! - each inline path `restframe::x::Y…`, up to its first capitalised segment or its end
//!   (`restframe::sql::SqlValue::Text` is `SqlValue`, `restframe::storage::file_system(…)` is
//!   `file_system`); the format crates count like the rest (`restframe::renderers::Mime`);
//! - with `use restframe::prelude::*`, each name the prelude exports (read from
//!   `framework/src/prelude.rs`) that the code writes as an identifier: not in comments or
//!   strings, not as a method (`.name`) or a later path segment (`x::name`).
//!
//! Methods and trait items are not names: a trait the prelude brings into scope counts only
//! where the code writes its name. Run it: `cargo run -p restframe-tests --bin restframe-names
//! -- examples/quickstart/src`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::module_graph::{Tok, Token, read_tree, tokenize};

/// The names the prelude exports: each `pub use` leaf's visible name, `#[cfg]` or not.
pub fn prelude_exports(prelude_src: &str) -> BTreeSet<String> {
    let toks = tokenize(prelude_src);
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        if is_ident(&toks[i], "pub") && is_ident(&toks[i + 1], "use") {
            i += 2;
            for (_, alias) in read_tree(&toks, &mut i, &[]) {
                if alias != "*" && alias != "self" {
                    names.insert(alias);
                }
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The restframe names used by the given sources: each name with the path it was first
/// reached by (`restframe::prelude::Table`, `restframe::storage::FileSystemStorage`).
pub fn names_used<'a>(
    sources: impl IntoIterator<Item = &'a str>,
    prelude: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut note = |segs: &[String]| {
        if let Some(name) = segs.last() {
            found.entry(name.clone()).or_insert_with(|| segs.join("::"));
        }
    };
    for src in sources {
        let toks = tokenize(src);
        let mut glob_prelude = false;
        // Identifiers outside `use` items, with the token before each, for the prelude pass.
        let mut idents: Vec<(String, Option<Tok>)> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let prev = i.checked_sub(1).map(|p| toks[p].tok.clone());
            let Tok::Ident(word) = &toks[i].tok else {
                i += 1;
                continue;
            };
            if word == "use" && prev != Some(Tok::PathSep) {
                i += 1;
                for segs in read_use(&toks, &mut i) {
                    if segs.first().map(String::as_str) != Some("restframe") {
                        continue;
                    }
                    if segs.len() == 3 && segs[1] == "prelude" && segs[2] == "*" {
                        glob_prelude = true;
                    } else {
                        note(&segs);
                    }
                }
                continue;
            }
            let starts_path = word == "restframe"
                && prev != Some(Tok::PathSep)
                && toks.get(i + 1).map(|t| &t.tok) == Some(&Tok::PathSep);
            if starts_path {
                let mut segs = vec![word.clone()];
                i += 1;
                while toks.get(i).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    let Some(Tok::Ident(seg)) = toks.get(i + 1).map(|t| &t.tok) else {
                        break;
                    };
                    segs.push(seg.clone());
                    i += 2;
                    if seg.starts_with(char::is_uppercase) {
                        break;
                    }
                }
                note(&segs);
                continue;
            }
            idents.push((word.clone(), prev));
            i += 1;
        }
        if glob_prelude {
            for (word, prev) in idents {
                let as_item = !matches!(prev, Some(Tok::PathSep) | Some(Tok::Punct('.')));
                if as_item && prelude.contains(&word) {
                    note(&["restframe".into(), "prelude".into(), word]);
                }
            }
        }
    }
    found
}

/// The leaves of the `use` tree at `toks[*i]`, leaving `*i` past its `;`.
fn read_use(toks: &[Token], i: &mut usize) -> Vec<Vec<String>> {
    // `use ::restframe::…`
    if toks.get(*i).map(|t| &t.tok) == Some(&Tok::PathSep) {
        *i += 1;
    }
    let leaves = read_tree(toks, i, &[]);
    while *i < toks.len() && toks[*i].tok != Tok::Punct(';') {
        *i += 1;
    }
    *i += 1;
    leaves.into_iter().map(|(segs, _)| segs).collect()
}

fn is_ident(token: &Token, word: &str) -> bool {
    matches!(&token.tok, Tok::Ident(w) if w == word)
}

/// The restframe names used by the `.rs` files under `dir` (or by `dir` itself when it is a
/// file), the prelude read from
/// `prelude_file`.
pub fn names_in_tree(dir: &Path, prelude_file: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let prelude = prelude_exports(&std::fs::read_to_string(prelude_file)?);
    let mut files = Vec::new();
    if dir.is_file() {
        files.push(dir.to_path_buf());
    } else {
        collect_rs(dir, &mut files)?;
    }
    files.sort();
    let sources = files
        .iter()
        .map(std::fs::read_to_string)
        .collect::<std::io::Result<Vec<_>>>()?;
    Ok(names_used(sources.iter().map(String::as_str), &prelude))
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The report the `restframe-names` binary prints: one name a line with the path it was
/// reached by, then the count.
pub fn report(names: &BTreeMap<String, String>) -> String {
    let width = names.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (name, path) in names {
        out.push_str(&format!("{name:width$}  {path}\n"));
    }
    out.push_str(&format!("{} restframe names\n", names.len()));
    out
}
