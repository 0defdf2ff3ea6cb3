//! The conventions of the tree, checked so review does not have to: every module says
//! why it exists, no unfinished code, no trailing whitespace, and every package crate has
//! the shape the xtask relies on (a lib.rs, a Containerfile or a rootfs recipe, no build.rs).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for item in std::fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "out" || name == "snapshots" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn tree() -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(&root(), &mut out);
    out.sort();
    out
}

#[test]
fn every_module_says_why_it_exists() {
    for path in tree().iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(path).unwrap();
        let is_root =
            path.ends_with("src/lib.rs") || path.ends_with("src/main.rs") || path.starts_with(root().join("tests"));
        let is_module = path.starts_with(root().join("xtask/src"));
        if is_root || is_module {
            assert!(text.starts_with("//!"), "{} starts without a `//!` comment saying why it exists", path.display());
        }
    }
}

/// A module past this many lines of code (tests not counted) says at its top why it is
/// not split: "Longer than 600 lines because ...".
const LONG_MODULE: usize = 600;

#[test]
fn xtask_modules_stay_short_or_say_why() {
    let mut long = Vec::new();
    for path in
        tree().iter().filter(|p| p.starts_with(root().join("xtask/src")) && p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("\n#[cfg(test)]").next().unwrap_or_default().lines().count();
        let header: String = text.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
        if code > LONG_MODULE && !header.contains(&format!("Longer than {LONG_MODULE} lines because")) {
            long.push(format!("{} ({code} lines)", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these modules, or say at their top why not (\"Longer than {LONG_MODULE} lines because ...\"): {long:?}"
    );
}

#[test]
fn every_xtask_folder_says_what_it_owns_and_must_never_do() {
    for item in std::fs::read_dir(root().join("xtask/src")).unwrap() {
        let dir = item.unwrap().path();
        if !dir.is_dir() || dir.ends_with("snapshots") {
            continue;
        }
        let text = std::fs::read_to_string(dir.join("mod.rs"))
            .unwrap_or_else(|_| panic!("{} has no mod.rs saying what it owns", dir.display()));
        let header: String = text.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join(" ");
        assert!(header.contains("Owns"), "{}/mod.rs does not say what it owns (\"Owns ...\")", dir.display());
        assert!(
            header.contains("never") || header.contains("Nothing here") || header.contains("nothing"),
            "{}/mod.rs does not say what it must never do",
            dir.display()
        );
    }
}

#[test]
fn no_unfinished_code() {
    let banned = [concat!("todo", "!("), concat!("unimplemented", "!("), concat!("dbg", "!(")];
    for path in tree().iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(path).unwrap();
        for word in banned {
            assert!(!text.contains(word), "{} contains {word}", path.display());
        }
    }
}

#[test]
fn no_trailing_whitespace() {
    for path in tree() {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // In a unified diff a blank context line is a single space: that space is syntax.
        let is_patch = path.extension().is_some_and(|e| e == "patch" || e == "diff");
        for (number, line) in text.lines().enumerate() {
            let blank_context = is_patch && line == " ";
            assert!(
                blank_context || line.trim_end() == line,
                "{}:{} has trailing whitespace",
                path.display(),
                number + 1
            );
        }
    }
}

#[test]
fn package_crates_have_the_expected_shape() {
    for top in ["pkgs", "bootstrap"] {
        for item in std::fs::read_dir(root().join(top)).unwrap() {
            let dir = item.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            assert!(dir.join("Cargo.toml").is_file(), "{} has no Cargo.toml", dir.display());
            assert!(dir.join("src/lib.rs").is_file(), "{} has no src/lib.rs", dir.display());
            assert!(
                !dir.join("build.rs").exists(),
                "{} has a build.rs: package crates are plain constants",
                dir.display()
            );
            let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
            assert!(
                lib.contains("pub static PACKAGE: Package"),
                "{} does not declare `pub static PACKAGE: Package` (a `const` is copied into \
                 every crate that names it, dependencies and all: a long chain of them takes \
                 minutes to compile)",
                dir.display()
            );
            if lib.contains("include_str!(\"../Containerfile\")") {
                assert!(dir.join("Containerfile").is_file(), "{} has no Containerfile", dir.display());
            }
        }
    }
}

/// The layers ARCHITECTURE.md writes in its `layers` block: module -> its line, from 0 at
/// the bottom.
fn layers() -> std::collections::BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let block = text.split("```layers\n").nth(1).expect("ARCHITECTURE.md has a ```layers block");
    let block = block.split("```").next().unwrap();
    let mut layers = std::collections::BTreeMap::new();
    for (line, names) in block.lines().enumerate() {
        for name in names.split_whitespace() {
            assert!(layers.insert(name.to_owned(), line).is_none(), "{name} is placed twice in the layers");
        }
    }
    layers
}

/// The top-level modules each file of `xtask/src/` names through `crate::`, outside its tests.
fn uses(text: &str) -> std::collections::BTreeSet<String> {
    let code = text.split("\n#[cfg(test)]").next().unwrap_or_default();
    let name =
        |text: &str| -> String { text.trim().chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect() };
    let mut used = std::collections::BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            // `crate::{a, b::c}`: each first name inside the braces.
            Some(group) => {
                let group = group.split('}').next().unwrap_or_default();
                used.extend(group.split(',').map(name).filter(|n| !n.is_empty()));
            }
            None => {
                used.insert(name(rest));
            }
        }
    }
    used
}

#[test]
fn every_module_uses_only_the_layers_below_its_own() {
    let layers = layers();
    let src = root().join("xtask/src");
    let mut wrong = Vec::new();
    for path in tree().iter().filter(|p| p.starts_with(&src) && p.extension().is_some_and(|e| e == "rs")) {
        let relative = path.strip_prefix(&src).unwrap();
        let top =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if top == "main" {
            continue;
        }
        let Some(&own) = layers.get(&top) else {
            wrong.push(format!("{}: the module `{top}` is in no layer of ARCHITECTURE.md", relative.display()));
            continue;
        };
        for used in uses(&std::fs::read_to_string(path).unwrap()) {
            if used == top {
                continue;
            }
            match layers.get(&used) {
                Some(&theirs) if theirs < own => {}
                Some(_) => wrong.push(format!("{}: `{top}` uses `crate::{used}`, not below it", relative.display())),
                None => wrong.push(format!("{}: `crate::{used}` is in no layer", relative.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "the layers of ARCHITECTURE.md are broken:\n{}", wrong.join("\n"));
}
