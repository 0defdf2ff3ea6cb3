//! End to end against a real engine: `bootstrap prove` builds tcc from Debian's gcc and
//! from Zig's clang, has each rebuild tcc, and finds the two rebuilds bit-identical; a
//! chain whose stage 2 is built differently makes it fail and name the file that differs.
//! `bootstrap prove --toolchain` compares each rebuild (`Recipe::Rebuild`) with its
//! original, shown here on a small tree of the same shape as the toolchain's.
//!
//! Runs the built `xtask` on its own copy of the tree (`CAIRN_ROOT`). The source cache is
//! shared (the zig wheel is 101 MB); layouts of the providers already built in this tree's
//! out/ are copied in, and only used if they verify against manifest/.

mod support;

use serde_json::Value;
use support::{copy_dir, engine_or_skip, here, Tree};

const CHAINS: &[&str] = &["bootstrap/ddc-debian", "bootstrap/ddc-zig"];

fn prove(tree: &Tree) -> (bool, Value) {
    let output = tree.xtask(&["bootstrap", "prove", "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("prove --json printed no JSON ({e}):\n{}", support::text(&output.stdout)));
    (output.status.success(), report)
}

#[test]
fn two_providers_build_the_same_tcc_and_a_changed_chain_is_caught() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(CHAINS);
    // Providers are slow to lay out (zig) or build: reuse what this tree built, if anything.
    for name in ["bootstrap", "musl-stage0", "zig"] {
        let built = here().join("out").join(name);
        if built.join("index.json").is_file() {
            copy_dir(&built, &tree.out(name));
        }
    }

    let (ok, report) = prove(&tree);
    assert!(ok, "the proof passes: {report:#}");
    assert_eq!(report["proven"], true);
    let chains = report["chains"].as_array().unwrap();
    let names: Vec<&str> = chains.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["debian", "zig"]);
    let providers: Vec<&str> = chains.iter().map(|c| c["provider"].as_str().unwrap()).collect();
    assert_eq!(providers, ["bootstrap", "zig"]);
    assert_eq!(chains[0]["digest"], chains[1]["digest"], "both chains end in the same image");
    assert_eq!(report["digest"], chains[0]["digest"]);
    assert_eq!(chains[0]["compiler_sha256"], chains[1]["compiler_sha256"]);
    assert!(chains[0]["compiler_size"].as_u64().unwrap() > 100_000, "stage 2 holds tcc: {report:#}");
    for (chain, package) in chains.iter().zip(["ddc-debian", "ddc-zig"]) {
        assert_eq!(chain["digest"].as_str().unwrap(), tree.recorded_digest(package), "{package} is recorded");
    }

    // One chain builds stage 2 with debug information: the proof fails and names tcc.
    let containerfile = tree.root.join("bootstrap/ddc-debian/Containerfile");
    let text = std::fs::read_to_string(&containerfile).unwrap();
    let altered = text.replace(r#"--cc="tcc -static""#, r#"--cc="tcc -static -g""#);
    assert_ne!(altered, text, "the stage 2 configure line is where the test expects it");
    std::fs::write(&containerfile, altered).unwrap();
    let (ok, report) = prove(&tree);
    assert!(!ok, "a chain that differs fails the proof");
    assert_eq!(report["proven"], false);
    assert_ne!(report["chains"][0]["digest"], report["chains"][1]["digest"]);
    let differing: Vec<&str> =
        report["differences"].as_array().unwrap().iter().filter_map(|d| d["path"].as_str()).collect();
    assert!(differing.contains(&"usr/local/bin/tcc"), "the report names tcc: {report:#}");
    let human = tree.fails(&["bootstrap", "prove"]);
    assert!(human.contains("NOT proven") && human.contains("usr/local/bin/tcc"), "{human}");
}

/// A package crate's lib.rs: built from its Containerfile, no sources.
fn lib(name: &str, deps: &[&str]) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("&{}::PACKAGE", d.replace('-', "_"))).collect();
    format!(
        "use cairn_package::{{Package, Recipe}};\npub static PACKAGE: Package = Package {{ name: \"{name}\", \
         version: \"1\", license: \"MIT\", sources: &[], deps: &[{}], runtime: &[], files: &[], allow: &[], \
         recipe: Recipe::Containerfile(include_str!(\"../Containerfile\")) }};\n",
        deps.join(", ")
    )
}

/// A root: a generator program that prints `made`, written in its own way.
fn root(script: &str) -> String {
    format!(
        "FROM cairn/bootstrap AS build\nRUN mkdir -p /rootfs/opt && printf '#!/bin/sh\\n{script}\\n' > /rootfs/opt/gen \\\n \
         && chmod 755 /rootfs/opt/gen\nFROM scratch\nCOPY --from=build /rootfs/ /\n"
    )
}

#[test]
fn a_rebuild_on_another_root_must_give_its_originals_image() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["filesystem"]);
    let built = here().join("out/bootstrap");
    if built.join("index.json").is_file() {
        copy_dir(&built, &tree.out("bootstrap"));
    }
    // Two roots whose images differ but whose program does the same; `thing` is built
    // with the first, `thing-again` is thing's recipe with the second.
    tree.add_package("root-a", &["bootstrap"], &lib("root-a", &["bootstrap"]), &root("echo made"));
    tree.add_package("root-b", &["bootstrap"], &lib("root-b", &["bootstrap"]), &root("echo m\"\"ade"));
    tree.add_package(
        "thing",
        &["bootstrap", "root-a"],
        &lib("thing", &["bootstrap", "root-a"]),
        "FROM cairn/bootstrap AS build\nCOPY --from=cairn/root-a /opt/ /opt/\nRUN mkdir /rootfs && /opt/gen > /rootfs/made\n\
         FROM scratch\nCOPY --from=build /rootfs/ /\n",
    );
    tree.add_package(
        "thing-again",
        &["bootstrap", "root-a", "root-b", "thing"],
        "use cairn_package::{Expect, Package, Rebuild, Recipe};\npub static PACKAGE: Package = Package { name: \"thing-again\", \
         version: \"1\", license: \"MIT\", sources: thing::PACKAGE.sources, deps: &[&bootstrap::PACKAGE, &root_b::PACKAGE], \
         runtime: &[], files: thing::PACKAGE.files, allow: &[], recipe: Recipe::Rebuild(Rebuild { of: &thing::PACKAGE, \
         replace: &[(&root_a::PACKAGE, &root_b::PACKAGE)], expect: Expect::Same { proof: \"toolchain\" } }) };\n",
        "",
    );

    // A plain build leaves the second root and the rebuild out.
    let (ok, items) = tree.build(&["--dry-run"]);
    let planned: Vec<String> = support::statuses(&items).into_keys().collect();
    assert!(ok);
    assert_eq!(planned, ["bootstrap", "filesystem", "root-a", "thing"]);

    let output = tree.xtask(&["bootstrap", "prove", "--toolchain", "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(output.status.success(), "the proof passes: {report:#}");
    assert_eq!(report["level"], "toolchain");
    assert_eq!(report["proven"], true);
    let replaced = &report["replaced"][0];
    assert_eq!((&replaced["from"], &replaced["to"]), (&Value::from("root-a"), &Value::from("root-b")));
    assert_ne!(replaced["from_digest"], replaced["to_digest"], "the roots are different images");
    let pair = &report["packages"][0];
    assert_eq!((&pair["package"], &pair["rebuild"]), (&Value::from("thing"), &Value::from("thing-again")));
    assert_eq!(pair["same"], true);
    assert_eq!(pair["digest"], pair["rebuild_digest"]);
    assert_eq!(pair["digest"].as_str().unwrap(), tree.recorded_digest("thing-again"), "the rebuild is recorded");

    // A second root that makes something else: the proof fails and names the file.
    tree.add_package("root-b", &["bootstrap"], &lib("root-b", &["bootstrap"]), &root("echo forged"));
    let output = tree.xtask(&["bootstrap", "prove", "--toolchain", "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!output.status.success(), "a rebuild that differs fails the proof: {report:#}");
    assert_eq!(report["proven"], false);
    let differing: Vec<&str> =
        report["packages"][0]["differences"].as_array().unwrap().iter().filter_map(|d| d["path"].as_str()).collect();
    assert_eq!(differing, ["made"], "{report:#}");
    let human = tree.fails(&["bootstrap", "prove", "--toolchain"]);
    assert!(human.contains("NOT proven") && human.contains("made"), "{human}");
}
