//! End to end against a real engine: `bootstrap prove` builds tcc from Debian's gcc and
//! from Zig's clang, has each rebuild tcc, and finds the two rebuilds bit-identical; a
//! chain whose stage 2 is built differently makes it fail and name the file that differs.
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
