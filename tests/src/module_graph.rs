//! The import graph between a crate's top-level modules, and its cycles.
//!
//! A top-level module is a child of the crate root (`src/x.rs` or `src/x/`, as declared by
//! `mod x;` in `lib.rs` or `main.rs`, `#[path]` attributes followed). Module `x` depends on
//! module `y` when any file of `x` names a path that resolves to `y`:
//!
//! - `crate::y::…`, `$crate::y::…`, or `super::…::y` climbing back to the crate root;
//! - `crate::Name` where the crate root re-exports `Name` from `y` (`pub use y::Name;`);
//! - each leaf of a use group counts on its own: `use crate::{a::X, b::{Y, Z}}`.
//!
//! Comments (doc comments included) and string literals are not read, so an intra-doc link is
//! not an import. `#[cfg(...)]`-gated code, tests included, counts: a cycle through a test
//! module is still a cycle between the modules it joins.
//!
//! Cycles are the strongly connected components of more than one module (Tarjan's algorithm).
//! Run it by hand: `cargo run -p restframe-tests --bin module-graph` (every crate of the
//! workspace that the check covers), or `… -- framework/src` for one source tree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One token of Rust source, as far as this check needs one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// An identifier or keyword (`$crate` is read as `crate`).
    Ident(String),
    /// A string literal's contents (for `#[path = "…"]`).
    Str(String),
    /// `::`.
    PathSep,
    /// Any other punctuation character.
    Punct(char),
}

/// A token and the line it starts on.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    line: usize,
}

/// Splits source into tokens, dropping comments, char literals, lifetimes and whitespace.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => {
                let start_line = line;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if at(i) == '\n' {
                        line += 1;
                    }
                    s.push(at(i));
                    i += 1;
                }
                i += 1;
                out.push(Token {
                    tok: Tok::Str(s),
                    line: start_line,
                });
            }
            // Raw strings: r"…", r#"…"#, br#"…"#.
            'r' | 'b'
                if {
                    let j = if c == 'b' && at(i + 1) == 'r' {
                        i + 1
                    } else {
                        i
                    };
                    chars[j] == 'r'
                        && (at(j + 1) == '"' || at(j + 1) == '#')
                        && {
                            let mut k = j + 1;
                            while at(k) == '#' {
                                k += 1;
                            }
                            at(k) == '"'
                        }
                        && (i == 0 || !is_ident_char(at(i - 1)))
                } =>
            {
                let start_line = line;
                let mut j = if c == 'b' { i + 2 } else { i + 1 };
                let mut hashes = 0;
                while at(j) == '#' {
                    hashes += 1;
                    j += 1;
                }
                j += 1; // the opening quote
                let mut s = String::new();
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#') {
                        j += 1 + hashes;
                        break;
                    }
                    if chars[j] == '\n' {
                        line += 1;
                    }
                    s.push(chars[j]);
                    j += 1;
                }
                i = j;
                out.push(Token {
                    tok: Tok::Str(s),
                    line: start_line,
                });
            }
            '\'' => {
                // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                if at(i + 1) == '\\' {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == '\'' {
                    i += 3;
                } else {
                    i += 1;
                    while is_ident_char(at(i)) {
                        i += 1;
                    }
                }
            }
            ':' if at(i + 1) == ':' => {
                out.push(Token {
                    tok: Tok::PathSep,
                    line,
                });
                i += 2;
            }
            '$' if chars[i + 1..].starts_with(&['c', 'r', 'a', 't', 'e']) => {
                i += 1; // `$crate` is `crate`
            }
            c if is_ident_char(c) => {
                let mut s = String::new();
                while is_ident_char(at(i)) {
                    s.push(chars[i]);
                    i += 1;
                }
                // `r#type` is the identifier `type`; a byte string b"…" starts a string.
                if s == "b" && at(i) == '"' {
                    continue;
                }
                out.push(Token {
                    tok: Tok::Ident(s),
                    line,
                });
            }
            c => {
                out.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A path named in a file: its segments (use-group leaves expanded) and where.
#[derive(Clone, Debug)]
struct NamedPath {
    segments: Vec<String>,
    line: usize,
    /// The module path of the (possibly inline) module the path is written in.
    scope: Vec<String>,
}

/// A `mod name;` declaration: the module's name, its `#[path]` if any, and the inline modules
/// it sits in inside its file.
#[derive(Clone, Debug)]
struct ModDecl {
    name: String,
    path_attr: Option<String>,
    inline: Vec<String>,
}

/// What one file says: the paths it names, its `mod x;` declarations, its inline modules, and
/// (for a crate root) its `use` statements.
#[derive(Debug, Default)]
struct FileFacts {
    paths: Vec<NamedPath>,
    mod_decls: Vec<ModDecl>,
    inline_mods: Vec<String>,
    /// Root-level `use` leaves: (name visible at the root, full path).
    root_uses: Vec<(String, Vec<String>)>,
}

/// Reads a use tree or path starting at `toks[*i]` (an identifier), expanding groups, and
/// returns each leaf as (segments, alias).
pub(crate) fn read_tree(
    toks: &[Token],
    i: &mut usize,
    prefix: &[String],
) -> Vec<(Vec<String>, String)> {
    let mut segs = prefix.to_vec();
    let mut leaves = Vec::new();
    loop {
        match toks.get(*i).map(|t| &t.tok) {
            Some(Tok::Ident(s)) => {
                segs.push(s.clone());
                *i += 1;
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                segs.push("*".into());
                leaves.push((segs, "*".into()));
                return leaves;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                loop {
                    match toks.get(*i).map(|t| &t.tok) {
                        Some(Tok::Punct('}')) => {
                            *i += 1;
                            break;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        None => break,
                        _ => {
                            let before = *i;
                            leaves.extend(read_tree(toks, i, &segs));
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
                return leaves;
            }
            _ => break,
        }
        if toks.get(*i).map(|t| &t.tok) == Some(&Tok::PathSep) {
            *i += 1;
        } else {
            break;
        }
    }
    if segs.len() == prefix.len() {
        return leaves;
    }
    let mut alias = segs.last().cloned().unwrap_or_default();
    if alias == "self" && segs.len() >= 2 {
        segs.pop();
        alias = segs.last().cloned().unwrap_or_default();
    }
    if let (Some(Tok::Ident(kw)), Some(Tok::Ident(name))) = (
        toks.get(*i).map(|t| &t.tok),
        toks.get(*i + 1).map(|t| &t.tok),
    ) && kw == "as"
    {
        alias = name.clone();
        *i += 2;
    }
    leaves.push((segs, alias));
    leaves
}

/// Walks a file's tokens. `is_root` marks `lib.rs`/`main.rs`, whose `use`s are re-exports.
fn facts(src: &str, is_root: bool) -> FileFacts {
    let toks = tokenize(src);
    let mut f = FileFacts::default();
    // One entry per open brace: the inline module it opens, if it opens one.
    let mut braces: Vec<Option<String>> = Vec::new();
    let mut pending_path_attr: Option<String> = None;
    let scope =
        |braces: &[Option<String>]| -> Vec<String> { braces.iter().flatten().cloned().collect() };
    let mut i = 0;
    while i < toks.len() {
        let line = toks[i].line;
        match &toks[i].tok {
            Tok::Punct('#') => {
                // #[path = "x.rs"]
                if let (
                    Some(Tok::Punct('[')),
                    Some(Tok::Ident(p)),
                    Some(Tok::Punct('=')),
                    Some(Tok::Str(v)),
                ) = (
                    toks.get(i + 1).map(|t| &t.tok),
                    toks.get(i + 2).map(|t| &t.tok),
                    toks.get(i + 3).map(|t| &t.tok),
                    toks.get(i + 4).map(|t| &t.tok),
                ) && p == "path"
                {
                    pending_path_attr = Some(v.clone());
                }
                i += 1;
            }
            Tok::Punct('{') => {
                braces.push(None);
                i += 1;
            }
            Tok::Punct('}') => {
                braces.pop();
                i += 1;
            }
            Tok::Punct(';') => {
                pending_path_attr = None;
                i += 1;
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let Some(Tok::Ident(name)) = toks.get(i + 1).map(|t| &t.tok) {
                    match toks.get(i + 2).map(|t| &t.tok) {
                        Some(Tok::Punct(';')) => {
                            f.mod_decls.push(ModDecl {
                                name: name.clone(),
                                path_attr: pending_path_attr.take(),
                                inline: scope(&braces),
                            });
                            i += 3;
                        }
                        Some(Tok::Punct('{')) => {
                            if braces.is_empty() {
                                f.inline_mods.push(name.clone());
                            }
                            braces.push(Some(name.clone()));
                            pending_path_attr = None;
                            i += 3;
                        }
                        _ => i += 1,
                    }
                } else {
                    i += 1;
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                i += 1;
                if toks.get(i).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    i += 1; // `use ::extern_crate::…`
                    continue;
                }
                let leaves = read_tree(&toks, &mut i, &[]);
                for (segments, alias) in leaves {
                    if is_root && braces.is_empty() {
                        f.root_uses.push((alias, segments.clone()));
                    }
                    f.paths.push(NamedPath {
                        segments,
                        line,
                        scope: scope(&braces),
                    });
                }
            }
            Tok::Ident(first) if matches!(first.as_str(), "crate" | "super") => {
                // A path in an expression, type or attribute: `crate::a::B`, `super::x`.
                let prev_is_sep = i > 0 && toks[i - 1].tok == Tok::PathSep;
                if !prev_is_sep && toks.get(i + 1).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    for (segments, _) in read_tree(&toks, &mut i, &[]) {
                        f.paths.push(NamedPath {
                            segments,
                            line,
                            scope: scope(&braces),
                        });
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    f
}

/// One source file of the crate and where it sits in the module tree.
#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    /// Its module path from the crate root (empty for the root file).
    module: Vec<String>,
    facts: FileFacts,
}

/// A dependency of one top-level module on another, and the first place that shows it.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The depending module.
    pub from: String,
    /// The module depended on.
    pub to: String,
    /// Where: `file:line` and the path as written.
    pub evidence: String,
}

/// The top-level module graph of one crate.
#[derive(Debug)]
pub struct ModuleGraph {
    /// The source directory read (`…/src`).
    pub src: PathBuf,
    /// Every top-level module.
    pub modules: BTreeSet<String>,
    /// Every edge, one per (from, to) pair.
    pub edges: BTreeMap<(String, String), Edge>,
}

impl ModuleGraph {
    /// Reads the crate whose root is `src/lib.rs` or `src/main.rs`.
    pub fn read(src: &Path) -> std::io::Result<Self> {
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|f| src.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no lib.rs or main.rs in {}", src.display()),
                )
            })?;
        let mut files = Vec::new();
        // (file, module path, whether its children live in a directory named after it)
        let mut queue = vec![(root, Vec::<String>::new())];
        while let Some((path, module)) = queue.pop() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            let facts = facts(&text, module.is_empty());
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let owns_dir =
                module.is_empty() || path.file_name().and_then(|n| n.to_str()) == Some("mod.rs");
            for decl in &facts.mod_decls {
                let mut child = module.clone();
                child.extend(decl.inline.iter().cloned());
                child.push(decl.name.clone());
                let file = if let Some(p) = &decl.path_attr {
                    dir.join(p)
                } else {
                    let mut base = dir.clone();
                    if !owns_dir && let Some(stem) = path.file_stem() {
                        base = base.join(stem);
                    }
                    for m in &decl.inline {
                        base = base.join(m);
                    }
                    let flat = base.join(format!("{}.rs", decl.name));
                    if flat.is_file() {
                        flat
                    } else {
                        base.join(&decl.name).join("mod.rs")
                    }
                };
                if file.is_file() {
                    queue.push((file, child));
                }
            }
            files.push(SourceFile {
                path,
                module,
                facts,
            });
        }

        let root_file = files
            .iter()
            .find(|f| f.module.is_empty())
            .expect("the root was read first");
        let mut modules: BTreeSet<String> = root_file
            .facts
            .mod_decls
            .iter()
            .filter(|d| d.inline.is_empty())
            .map(|d| d.name.clone())
            .collect();
        modules.extend(root_file.facts.inline_mods.iter().cloned());
        // Names the root brings in from a module: `pub use y::Name;` → Name ↦ y.
        let reexports: BTreeMap<String, String> = root_file
            .facts
            .root_uses
            .iter()
            .filter_map(|(alias, segs)| {
                let segs: &[String] = match segs.first().map(String::as_str) {
                    Some("crate" | "self") => &segs[1..],
                    _ => segs,
                };
                let first = segs.first()?;
                (modules.contains(first) && segs.len() >= 2 && alias != "*")
                    .then(|| (alias.clone(), first.clone()))
            })
            .collect();

        let mut edges = BTreeMap::new();
        for file in &files {
            let Some(from) = file.module.first() else {
                continue; // the crate root is not a module of the graph
            };
            for named in &file.facts.paths {
                let Some(target) = resolve(&file.module, named) else {
                    continue;
                };
                // `crate::y::…`, or `crate::y` itself (`use crate::y;`); else a re-export.
                let to = if modules.contains(&target[0]) {
                    Some(target[0].clone())
                } else {
                    reexports.get(&target[0]).cloned()
                };
                let Some(to) = to else { continue };
                if &to == from {
                    continue;
                }
                let rel = file
                    .path
                    .strip_prefix(src.parent().unwrap_or(src))
                    .unwrap_or(&file.path);
                edges
                    .entry((from.clone(), to.clone()))
                    .or_insert_with(|| Edge {
                        from: from.clone(),
                        to,
                        evidence: format!(
                            "{}:{} `{}`",
                            rel.display(),
                            named.line,
                            named.segments.join("::")
                        ),
                    });
            }
        }
        Ok(Self {
            src: src.to_path_buf(),
            modules,
            edges,
        })
    }

    /// The cycles: every strongly connected component of two or more modules, sorted.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let nodes: Vec<&String> = self.modules.iter().collect();
        let index_of: BTreeMap<&String, usize> =
            nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut adj = vec![Vec::new(); nodes.len()];
        for (from, to) in self.edges.keys() {
            if let (Some(&a), Some(&b)) = (index_of.get(from), index_of.get(to)) {
                adj[a].push(b);
            }
        }
        let mut sccs: Vec<Vec<String>> = tarjan(&adj)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut names: Vec<String> = c.iter().map(|&i| nodes[i].clone()).collect();
                names.sort();
                names
            })
            .collect();
        sccs.sort();
        sccs
    }

    /// One closed walk through every module of `component` (a cycle to show), e.g.
    /// `request -> view -> request`.
    pub fn cycle_path(&self, component: &[String]) -> Vec<String> {
        let within: BTreeSet<&String> = component.iter().collect();
        let Some(start) = component.first() else {
            return Vec::new();
        };
        // Shortest path back to `start` through the component (BFS).
        let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
        let mut frontier = vec![start];
        let mut seen: BTreeSet<&String> = BTreeSet::new();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for node in frontier {
                for (from, to) in self.edges.keys() {
                    if from != node || !within.contains(to) {
                        continue;
                    }
                    if to == start {
                        let mut walk = vec![start.clone(), node.clone()];
                        let mut at = node;
                        while let Some(p) = prev.get(at) {
                            walk.push((*p).clone());
                            at = p;
                        }
                        walk.reverse();
                        if walk.len() > 2 && walk[0] == walk[1] {
                            walk.remove(0);
                        }
                        return walk;
                    }
                    if seen.insert(to) {
                        prev.insert(to, node);
                        next.push(to);
                    }
                }
            }
            frontier = next;
        }
        Vec::new()
    }

    /// A readable account: modules, edges, and each cycle with the lines that make it.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} top-level modules, {} edges",
            self.src.display(),
            self.modules.len(),
            self.edges.len()
        );
        for module in &self.modules {
            let deps: Vec<&str> = self
                .edges
                .keys()
                .filter(|(from, _)| from == module)
                .map(|(_, to)| to.as_str())
                .collect();
            if !deps.is_empty() {
                let _ = writeln!(out, "  {module} -> {}", deps.join(", "));
            }
        }
        let cycles = self.cycles();
        if cycles.is_empty() {
            let _ = writeln!(out, "  no cycles");
        }
        for component in &cycles {
            let _ = writeln!(
                out,
                "  CYCLE {{{}}}: {}",
                component.join(", "),
                self.cycle_path(component).join(" -> ")
            );
            for ((from, to), edge) in &self.edges {
                if component.contains(from) && component.contains(to) {
                    let _ = writeln!(out, "    {from} -> {to}: {}", edge.evidence);
                }
            }
        }
        out
    }
}

/// Resolves a named path to segments from the crate root, or `None` when it does not start
/// at the crate (`crate::`, `super::` climbing to the root, `self::` in the root file).
fn resolve(file_module: &[String], named: &NamedPath) -> Option<Vec<String>> {
    let mut here: Vec<String> = file_module.to_vec();
    here.extend(named.scope.iter().cloned());
    let segs = &named.segments;
    match segs.first().map(String::as_str) {
        Some("crate") => Some(segs[1..].to_vec()).filter(|s| !s.is_empty()),
        Some("super") => {
            let mut rest = &segs[..];
            while rest.first().map(String::as_str) == Some("super") {
                here.pop();
                rest = &rest[1..];
            }
            let mut full = here;
            full.extend(rest.iter().cloned());
            Some(full).filter(|s| !s.is_empty())
        }
        Some("self") if here.is_empty() => Some(segs[1..].to_vec()).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// Tarjan's strongly connected components over an adjacency list.
fn tarjan(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        adj: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.adj[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let n = adj.len();
    let mut s = State {
        adj,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The source trees the check covers, relative to the workspace root.
pub const CHECKED: &[&str] = &["framework/src", "example-app/src"];

/// Reads every tree in [`CHECKED`]; returns the combined report and whether any has a cycle.
pub fn check_workspace(root: &Path) -> std::io::Result<(String, bool)> {
    let mut report = String::new();
    let mut any = false;
    for dir in CHECKED {
        let graph = ModuleGraph::read(&root.join(dir))?;
        any |= !graph.cycles().is_empty();
        report.push_str(&graph.report());
    }
    Ok((report, any))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(files: &[(&str, &str)]) -> ModuleGraph {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "restframe-module-graph-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        for (name, text) in files {
            let path = dir.join("src").join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        let graph = ModuleGraph::read(&dir.join("src")).expect("read");
        let _ = std::fs::remove_dir_all(&dir);
        graph
    }

    #[test]
    fn a_use_group_and_a_root_reexport_make_a_cycle() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\npub use c::Thing;\n"),
            ("a.rs", "use crate::{b::{X, Y}, Thing};\n"),
            ("b/mod.rs", "mod inner;\n"),
            (
                "b/inner.rs",
                "// crate::c::Nope in a comment\nfn f() { super::super::a::go(\"crate::c\") }\n",
            ),
            ("c.rs", "pub struct Thing;\n"),
        ]);
        assert_eq!(
            g.edges.keys().cloned().collect::<Vec<_>>(),
            vec![
                ("a".to_owned(), "b".to_owned()),
                ("a".to_owned(), "c".to_owned()),
                ("b".to_owned(), "a".to_owned()),
            ]
        );
        assert_eq!(g.cycles(), vec![vec!["a".to_owned(), "b".to_owned()]]);
        assert!(g.report().contains("CYCLE {a, b}"), "{}", g.report());
    }

    #[test]
    fn path_attributes_and_inline_test_modules_stay_in_their_module() {
        let g = graph_of(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            (
                "a.rs",
                "#[cfg(test)]\n#[path = \"a_tests.rs\"]\nmod tests;\n",
            ),
            ("a_tests.rs", "use super::super::b::X;\n"),
            (
                "b.rs",
                "#[cfg(test)] mod tests { use super::*; use crate::b::Y; }\n",
            ),
        ]);
        assert_eq!(g.modules.len(), 2);
        assert_eq!(
            g.edges.keys().cloned().collect::<Vec<_>>(),
            vec![("a".to_owned(), "b".to_owned())]
        );
        assert!(g.cycles().is_empty());
    }
}
