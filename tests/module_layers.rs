//! No import cycles between the top-level modules of `src/`, nor between the modules of the
//! front-ends (`src/cli/`, `src/operator/`); `#[cfg(test)]` code counts too.
//!
//! A file depends on the top-level modules its `crate::X` paths name (in `use` lines and in
//! code, `crate::{X, ..}` groups included) and those its `super::` chains reach by climbing
//! to the crate root; comments, doc comments and literals do not count. Unit tests count
//! because they are part of their module: a test that needs a higher layer belongs in `tests/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `(from, to)` → every `file:line` inside `from` that names `to`.
type Edges = BTreeMap<(String, String), Vec<String>>;

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// The source without comments and with every string and char literal emptied; newlines
/// stay, so line numbers still hold.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let (mut out, mut i) = (String::new(), 0);
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, ch)| c.get(i + k) == Some(&ch))
    };
    while i < c.len() {
        let start = i;
        let raw_start =
            !(i > 0 && is_ident(c[i - 1])) || (c[i - 1] == 'b' && (i < 2 || !is_ident(c[i - 2])));
        let hashes = (i + 1..c.len())
            .find(|&j| c[j] != '#')
            .filter(|&j| c[j] == '"' && c[i] == 'r');
        if at(i, "//") {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < c.len() && !(depth == 1 && at(i, "*/")) {
                depth += usize::from(at(i, "/*"));
                depth -= usize::from(at(i, "*/"));
                i += if at(i, "/*") || at(i, "*/") { 2 } else { 1 };
            }
            i += 2;
        } else if let (Some(quote), true) = (hashes, raw_start) {
            let closing: String = std::iter::once('"')
                .chain(c[i + 1..quote].iter().copied())
                .collect();
            i = quote + 1;
            while i < c.len() && !at(i, &closing) {
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if c[i] == '"' || (c[i] == '\'' && (at(i + 1, "\\") || at(i + 2, "'"))) {
            let quote = c[i];
            i += 1;
            while i < c.len() && c[i] != quote {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.extend([quote, quote]);
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        out.extend(c[start..i.min(c.len())].iter().filter(|&&ch| ch == '\n'));
    }
    out
}

/// The leading identifier of `s`.
fn first_ident(s: &str) -> &str {
    let s = s.trim_start();
    &s[..s.find(|ch: char| !is_ident(ch)).unwrap_or(s.len())]
}

/// The first identifier of each item of a `crate::{a::x, b, c::{..}}` group.
fn group_heads(group: &str) -> Vec<&str> {
    let (mut heads, mut depth) = (vec![first_ident(group)], 0);
    for (at, ch) in group.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(first_ident(&group[at + 1..])),
            _ => {}
        }
    }
    heads
}

/// The top-level modules `(path under src/, text)` files name, by the module they are in.
fn edges(files: &[(String, String)]) -> Edges {
    edges_in(files, true, "src")
}

/// [`edges`] between the modules of the folder `dir`, `files` having paths under it: only
/// `super::` paths reach a sibling there (`crate::X` names a top-level module, not one of
/// the folder's).
fn edges_in(files: &[(String, String)], crate_paths: bool, dir: &str) -> Edges {
    let top = |path: &str| {
        path.split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|(p, _)| top(p)).collect();
    let mut edges = Edges::new();
    for (path, text) in files {
        let (from, code) = (top(path), code_only(text));
        let parts: Vec<&str> = path.trim_end_matches(".rs").split('/').collect();
        // How many `super::` climb from the file's module to the crate root; an inline
        // `mod name { .. }` adds one.
        let file_depth = parts.len() - usize::from(parts.last() == Some(&"mod"));
        let (mut inline_mods, mut brace, mut pending_mod) = (Vec::new(), 0, false);
        for (at, ch) in code.char_indices() {
            let rest = &code[at..];
            let word_start = !code[..at].ends_with(|c: char| is_ident(c) || c == ':');
            let mut named = Vec::new();
            if ch == '{' {
                brace += 1;
                if std::mem::take(&mut pending_mod) {
                    inline_mods.push(brace);
                }
            } else if ch == '}' {
                if inline_mods.last() == Some(&brace) {
                    inline_mods.pop();
                }
                brace -= 1;
            } else if ch == ';' {
                pending_mod = false;
            } else if !word_start {
                continue;
            } else if rest.starts_with("mod ") {
                pending_mod = true;
            } else if let Some(path) = rest.strip_prefix("crate::").filter(|_| crate_paths) {
                match path.strip_prefix('{') {
                    Some(group) => named = group_heads(group),
                    None => named.push(first_ident(path)),
                }
            } else if rest.starts_with("super::") {
                let climbs = (0..)
                    .take_while(|k| rest.get(k * 7..).is_some_and(|r| r.starts_with("super::")));
                let climbs = climbs.count();
                if climbs == file_depth + inline_mods.len() {
                    named.push(first_ident(&rest[climbs * 7..]));
                }
            }
            for to in named
                .into_iter()
                .filter(|to| modules.contains(*to) && *to != from)
            {
                let line = code[..at].matches('\n').count() + 1;
                let key = (from.clone(), to.to_string());
                edges
                    .entry(key)
                    .or_default()
                    .push(format!("{dir}/{path}:{line}"));
            }
        }
    }
    edges
}

/// Every group of two or more modules that reach one another, with the edges inside it.
fn cycles(edges: &Edges) -> Vec<String> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let mut reach: BTreeSet<(&String, &String)> = edges.keys().map(|(a, b)| (a, b)).collect();
    for k in &nodes {
        for i in &nodes {
            for j in &nodes {
                if reach.contains(&(*i, *k)) && reach.contains(&(*k, *j)) {
                    reach.insert((*i, *j));
                }
            }
        }
    }
    let mut groups = BTreeSet::new();
    for a in &nodes {
        let both_ways =
            |b: &&&String| a == *b || reach.contains(&(*a, **b)) && reach.contains(&(**b, *a));
        let group: BTreeSet<&String> = nodes.iter().filter(both_ways).copied().collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    let report = |group: &BTreeSet<&String>| {
        let mut text = format!("cycle among {group:?}:");
        for ((from, to), at) in edges
            .iter()
            .filter(|((f, t), _)| group.contains(f) && group.contains(t))
        {
            let more = at.len() - 1;
            text.push_str(&format!(
                "\n  {from} -> {to} at {} (and {more} more)",
                at[0]
            ));
        }
        text
    };
    groups.iter().map(report).collect()
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel != "lib.rs" && rel != "main.rs" {
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
}

#[test]
fn top_level_modules_import_each_other_without_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let edges = edges(&files);
    assert!(edges.len() > 5, "the scan found almost no edges: {edges:?}");
    // `domain` holds what observation and planning share: it sits just above `spec`.
    let from_domain: Vec<_> = edges
        .keys()
        .filter(|(f, t)| f == "domain" && t != "spec")
        .collect();
    assert!(
        from_domain.is_empty(),
        "domain may import only spec: {from_domain:?}"
    );
    let found = cycles(&edges);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_modules_of_the_front_ends_import_each_other_without_cycles() {
    for folder in ["cli", "operator"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(folder);
        let mut files = Vec::new();
        sources(&root, &root, &mut files);
        let edges = edges_in(&files, false, &format!("src/{folder}"));
        assert!(edges.len() > 5, "{folder}: almost no edges: {edges:?}");
        let found = cycles(&edges);
        assert!(
            found.is_empty(),
            "import cycles between the modules of src/{folder}:\n{}",
            found.join("\n")
        );
    }
}

/// A tiny crate: `a` to `e` make one cycle, `f` only imports `a`, `g` imports nothing.
const EXAMPLE: &str = r###"
@@ a/mod.rs
use crate::{
    b::X,
    c,
};
mod t {
    use super::super::d::Y;
}
@@ b.rs
fn f() {
    crate::a::g()
}
@@ c.rs
// crate::a
/* crate::a /* */ crate::a */ const S: &str = "crate::a";
use super::d;
@@ d.rs
const R: &str = r##"crate::a"##; const C: char = '"'; fn f<'x>() { crate::e::g() }
@@ e.rs
mod inner {
    use super::super::a::Z;
    use super::f;
}
use super::g;
@@ f.rs
use crate::a::Q; /// crate::g
fn f() { $crate::a::R; }
@@ g.rs
fn g() -> mycrate::f::X { '{' }
"###;

#[test]
fn the_scan_finds_a_cycle_and_ignores_comments_and_literals() {
    let files: Vec<(String, String)> = EXAMPLE
        .split("@@ ")
        .skip(1)
        .map(|file| {
            let (path, text) = file.split_once('\n').unwrap();
            (path.to_string(), text.to_string())
        })
        .collect();
    let edges = edges(&files);
    let found: Vec<String> = edges
        .iter()
        .map(|((a, b), at)| format!("{a}->{b} {}", at.join(",")))
        .collect();
    let expected = "a->b src/a/mod.rs:1 a->c src/a/mod.rs:1 a->d src/a/mod.rs:6 b->a src/b.rs:2 \
        c->d src/c.rs:3 d->e src/d.rs:1 e->a src/e.rs:2 e->g src/e.rs:5 f->a src/f.rs:1,src/f.rs:2";
    assert_eq!(found.join(" "), expected);
    let found = cycles(&edges);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(r#"cycle among {"a", "b", "c", "d", "e"}:"#),
        "{}",
        found[0]
    );
    assert!(
        found[0].contains("\n  b -> a at src/b.rs:2 (and 0 more)"),
        "{}",
        found[0]
    );
}
