//! The data flows one way (collect → inventory → model → report) and no source
//! file imports, directly or round about, one that imports it back; `remote`
//! (transports, df) sits below collect and watch, and watch reaches hosts
//! through it, never through collect. Read from the source text: `crate::…`
//! paths and `super::…` paths outside test modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`model::plans`) → source without its `#[cfg(test)]` part and comments.
fn modules() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            let name = parts.join("::");
            if name == "lib" || name == "main" || parts.last().is_some_and(|l| l == "tests") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let code: String = code
                .lines()
                .map(|l| l.split("//").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

/// The paths that follow `prefix` in `code`, as segments (`crate::model::plans::X` → [model, plans, X]);
/// a `{a, b::c}` group gives one path per member.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (i, _) in code.match_indices(prefix) {
        if i > 0 && code[..i].chars().next_back().is_some_and(ident) {
            continue; // `my_crate::`, `self::super::` …
        }
        let rest = &code[i + prefix.len()..];
        let head: String = rest.chars().take_while(|&c| ident(c) || c == ':').collect();
        let mut base: Vec<String> = head
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if rest[head.len()..].starts_with('{') {
            let group = &rest[head.len() + 1..rest.find('}').unwrap_or(rest.len())];
            for member in group.split(',') {
                let mut p = base.clone();
                p.extend(
                    member
                        .trim()
                        .split("::")
                        .filter(|s| !s.is_empty() && s.chars().all(ident))
                        .map(str::to_string),
                );
                out.push(p);
            }
        } else if !base.is_empty() {
            out.push(std::mem::take(&mut base));
        }
    }
    out
}

/// Modules re-exported under another name, with the module that re-exports
/// them: `pub use crate::remote::transport;` in `collect` makes
/// `collect::transport` name `remote::transport`.
fn reexports(mods: &BTreeMap<String, String>) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for (name, code) in mods {
        for (i, _) in code.match_indices("pub use crate::") {
            let rest = &code[i + "pub use crate::".len()..];
            let Some(path) = rest.split(';').next() else {
                continue;
            };
            let path = path.trim();
            if mods.contains_key(path)
                && let Some(last) = path.rsplit("::").next()
            {
                out.insert(format!("{name}::{last}"), (name.clone(), path.to_string()));
            }
        }
    }
    out
}

/// Module → the other modules it uses (the longest known module prefix of each
/// path). Inside a module that re-exports another (`collect`'s
/// `pub use crate::remote::transport`), a path through the re-export uses the
/// module it names; from outside, a path through `collect` uses collect.
fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let aliases = reexports(mods);
    let resolve = |from: &str, segs: &[String]| -> Option<String> {
        (1..=segs.len()).rev().find_map(|k| {
            let m = segs[..k].join("::");
            if mods.contains_key(&m) {
                return Some(m);
            }
            let (owner, target) = aliases.get(&m)?;
            (from == owner || from.starts_with(&format!("{owner}::"))).then(|| target.clone())
        })
    };
    for (name, code) in mods {
        let parent: Vec<String> = name.split("::").map(str::to_string).collect();
        let parent = &parent[..parent.len() - 1];
        let mut used = BTreeSet::new();
        for p in paths_after(code, "crate::") {
            used.extend(resolve(name, &p));
        }
        for p in paths_after(code, "super::") {
            let mut full = parent.to_vec();
            full.extend(p);
            used.extend(resolve(name, &full));
        }
        // A parent's `pub use child::…` / `child::f()` (not `other::child::`).
        for m in mods.keys() {
            if let Some(child) = m.strip_prefix(&format!("{name}::"))
                && !child.contains("::")
                && code.match_indices(&format!("{child}::")).any(|(i, _)| {
                    !code[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                })
            {
                used.insert(m.clone());
            }
        }
        used.remove(name);
        g.insert(name.clone(), used);
    }
    g
}

/// One cycle through `start`, if there is one.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in g.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(g, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(g, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_source_file_imports_one_that_imports_it_back() {
    let mods = modules();
    assert!(mods.contains_key("model::plans") && mods.contains_key("report::charts"));
    let g = edges(&mods);
    // The reader sees what it must: the runbook's steps use the phase names.
    assert!(
        g["model::steps"].contains("model::phase"),
        "{:?}",
        g["model::steps"]
    );
    let cycles: Vec<String> = mods
        .keys()
        .filter_map(|m| cycle_from(&g, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

#[test]
fn data_flows_from_collect_through_the_model_to_the_reports() {
    let g = edges(&modules());
    let top = |m: &str| m.split("::").next().unwrap().to_string();
    // Layer → what it must never use.
    let forbidden: [(&str, &[&str]); 6] = [
        (
            "inventory",
            &["collect", "model", "report", "watch", "app", "cli"],
        ),
        ("collect", &["model", "report", "watch", "app", "cli"]),
        ("model", &["collect", "report", "watch", "app", "cli"]),
        ("report", &["collect", "watch", "app", "cli"]),
        // watch reaches hosts through remote, as collect does, not through collect.
        ("watch", &["collect", "app", "cli"]),
        (
            "units",
            &[
                "collect",
                "inventory",
                "model",
                "report",
                "watch",
                "app",
                "cli",
            ],
        ),
    ];
    // Layer → all it may use besides itself.
    let only: [(&str, &[&str]); 1] = [("remote", &["units", "shell", "error"])];
    let mut wrong = Vec::new();
    for (m, used) in &g {
        for (layer, may) in only {
            if top(m) != layer {
                continue;
            }
            for u in used {
                if top(u) != layer && !may.contains(&top(u).as_str()) {
                    wrong.push(format!("{m} uses {u}"));
                }
            }
        }
        for (layer, never) in forbidden {
            if top(m) != layer {
                continue;
            }
            for u in used {
                if never.contains(&top(u).as_str()) {
                    wrong.push(format!("{m} uses {u}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The layers named are the ones the source has.
    for m in ["remote::transport", "remote::df", "watch::probe"] {
        assert!(g.contains_key(m), "{m} not found");
    }
    assert!(
        g["watch::probe"].contains("remote::df"),
        "{:?}",
        g["watch::probe"]
    );
    assert!(
        g["collect::probe"].contains("remote::df"),
        "{:?}",
        g["collect::probe"]
    );
}

/// The reader itself: a made-up circle and a made-up wrong-way import are found.
#[test]
fn the_reader_finds_a_circle_and_a_wrong_way_import() {
    let mut mods = BTreeMap::new();
    mods.insert("a".to_string(), "use crate::b::{x, y};".to_string());
    mods.insert("b".to_string(), "fn f() { super::c::g() }".to_string());
    mods.insert("c".to_string(), "use crate::a::Z;".to_string());
    mods.insert("d".to_string(), "use my_crate::a;".to_string());
    let g = edges(&mods);
    assert_eq!(g["b"], BTreeSet::from(["c".to_string()]));
    assert_eq!(g["d"], BTreeSet::new());
    assert_eq!(cycle_from(&g, "a").unwrap(), vec!["a", "b", "c"]);
    assert!(cycle_from(&g, "d").is_none());
}

/// A module re-exported by its old parent (`collect::transport`, now
/// `remote::transport`): a child of collect that still writes
/// `super::transport::…` uses remote, not its own parent (which would be a
/// false circle); `watch` writing `crate::collect::transport::…` goes through
/// collect, and uses collect.
#[test]
fn a_reexported_module_is_the_module_it_names() {
    let mut mods = BTreeMap::new();
    mods.insert(
        "collect".to_string(),
        "pub use crate::remote::transport; use hosts::f;".to_string(),
    );
    mods.insert(
        "collect::hosts".to_string(),
        "use super::transport::Session;".to_string(),
    );
    mods.insert("remote".to_string(), String::new());
    mods.insert("remote::transport".to_string(), String::new());
    mods.insert(
        "watch".to_string(),
        "use crate::collect::transport::T; use crate::collect::probe;".to_string(),
    );
    let g = edges(&mods);
    assert_eq!(
        g["collect::hosts"],
        BTreeSet::from(["remote::transport".to_string()])
    );
    assert!(cycle_from(&g, "collect").is_none());
    assert_eq!(g["watch"], BTreeSet::from(["collect".to_string()]));
}
