//! The command line without an engine: exit codes as diff(1) and sqv have them (0 the
//! check passed, 1 it ran and did not pass, 2 the command could not run), which scripts
//! branch on; and `new`, whose package must load as it is.

mod support;

use std::path::Path;

use support::{text, Tree};

/// A one-file layer tarball.
fn layer(path: &Path, contents: &[u8]) {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(contents.len() as u64);
    builder.append_data(&mut header, "etc/motd", contents).unwrap();
    std::fs::write(path, builder.into_inner().unwrap()).unwrap();
}

fn code(tree: &Tree, args: &[&str]) -> Option<i32> {
    tree.xtask(args).status.code()
}

#[test]
fn diff_exits_0_when_the_same_1_when_not_2_when_it_cannot_compare() {
    let tree = Tree::new(&[]);
    let (a, b, c) = (tree.root.join("a.tar"), tree.root.join("b.tar"), tree.root.join("c.tar"));
    layer(&a, b"hello\n");
    layer(&b, b"hello\n");
    layer(&c, b"other\n");
    let arg = |p: &Path| p.to_str().unwrap().to_owned();
    assert_eq!(code(&tree, &["diff", &arg(&a), &arg(&b)]), Some(0));
    assert_eq!(code(&tree, &["diff", &arg(&a), &arg(&c)]), Some(1));
    assert_eq!(code(&tree, &["diff", &arg(&a), &arg(&tree.root.join("missing.tar"))]), Some(2));
}

#[test]
fn verify_exits_1_below_the_threshold_2_on_bad_flags_and_names_its_keyring() {
    let tree = Tree::new(&[]);
    // manifest/ records images, nobody signed them: the check runs and fails.
    let output = tree.xtask(&["verify", "--threshold", "1", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passed"], false);
    // The tree's own keyring is what a hostile change rewrites: verify says it used it.
    assert_eq!(report["keyring_authenticated"], false);
    let output = tree.xtask(&["verify", "--threshold", "1"]);
    assert!(text(&output.stderr).contains("not authenticated"), "{}", text(&output.stderr));
    let outside = tempfile::tempdir().unwrap();
    let mine = outside.path().to_owned();
    let output = tree.xtask(&["verify", "--threshold", "1", "--json", "--keyring", mine.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["keyring_authenticated"], true, "a keyring outside the tree is the user's own");
    let inside = tree.root.join("manifest/keys");
    std::fs::create_dir_all(&inside).unwrap();
    let output = tree.xtask(&["verify", "--threshold", "1", "--json", "--keyring", inside.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["keyring_authenticated"], false, "naming the tree's own keyring does not make it trusted");
    // A threshold of 0 would pass anything: refused before anything runs.
    assert_eq!(code(&tree, &["verify", "--threshold", "0"]), Some(2));
    assert_eq!(code(&tree, &["verify", "--threshold", "1", "no-such-package"]), Some(2));
    assert_eq!(code(&tree, &["no-such-command"]), Some(2));
}

#[test]
fn a_package_that_does_not_exist_is_an_error_not_a_failed_build() {
    let tree = Tree::new(&["bootstrap/musl-stage0"]);
    let output = tree.xtask(&["build", "--dry-run", "no-such-package"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no package named `no-such-package`"), "{}", text(&output.stderr));
}

#[test]
fn new_scaffolds_a_package_on_the_toolchain_and_make_that_loads_as_it_is() {
    let tree = Tree::new(&["make", "musl"]);
    tree.ok(&["new", "hello"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&tree.ok(&["list", "--json"])).unwrap();
    let hello = listed.iter().find(|p| p["name"] == "hello").expect("hello is listed");
    assert_eq!(hello["deps"], serde_json::json!(["toolchain", "make"]));
    assert_eq!(hello["runtime"], serde_json::json!(["musl"]));
    assert_eq!(hello["dir"], "pkgs/hello");
    // A second `new` of the same name changes nothing, nor does the name of a package
    // outside pkgs/.
    assert_eq!(code(&tree, &["new", "hello"]), Some(2));
    let output = tree.xtask(&["new", "bootstrap"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("exists already, in"), "{}", text(&output.stderr));
    assert!(!tree.root.join("pkgs/bootstrap").exists());
    tree.ok(&["list"]);
}

#[test]
fn a_package_crate_that_would_run_code_when_read_is_refused_before_it_is_compiled() {
    let tree = Tree::new(&["bootstrap/musl-stage0"]);
    let lib = "use cairn_package::{Package, Recipe};\npub static PACKAGE: Package = Package { name: \"evil\", \
               version: \"1\", license: \"MIT\", sources: &[], deps: &[], runtime: &[], files: &[], allow: &[], \
               recipe: Recipe::Containerfile(include_str!(\"../Containerfile\")) };\n";
    tree.add_package("evil", &[], lib, "FROM scratch\n");
    let marker = tree.root.join("build-script-ran");
    std::fs::write(
        tree.root.join("pkgs/evil/build.rs"),
        format!("fn main() {{ std::fs::write({:?}, \"\").unwrap(); }}\n", marker),
    )
    .unwrap();
    let output = tree.xtask(&["list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("pkgs/evil: a package crate has no custom-build target"),
        "{}",
        text(&output.stderr)
    );
    assert!(!marker.exists(), "the build script was compiled and run");

    // A dependency on a crate that is not a package is refused the same way.
    std::fs::remove_file(tree.root.join("pkgs/evil/build.rs")).unwrap();
    let cargo = tree.root.join("pkgs/evil/Cargo.toml");
    let text_of = std::fs::read_to_string(&cargo).unwrap();
    std::fs::write(&cargo, format!("{text_of}libc = \"0.2\"\n")).unwrap();
    let output = tree.xtask(&["list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("depends on libc, which is not a package crate"), "{}", text(&output.stderr));
}

/// The xtask binary, run as `cargo xtask` runs it in the checkout `xtask_dir/..` (cargo
/// hands it that CARGO_MANIFEST_DIR), from `cwd`, with no CAIRN_ROOT.
fn as_cargo_runs_it(xtask_dir: Option<&Path>, cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).current_dir(cwd).env_remove("CAIRN_ROOT").env_remove("CARGO_MANIFEST_DIR");
    if let Some(dir) = xtask_dir {
        command.env("CARGO_MANIFEST_DIR", dir);
    }
    command.stdin(std::process::Stdio::null()).output().unwrap()
}

#[test]
fn a_binary_compiled_for_another_checkout_refuses_to_act_on_this_one() {
    // A second clone: with a CARGO_TARGET_DIR shared between the two, `cargo xtask` in it
    // would have run this checkout's binary, and this one's tree would have been written.
    let clone = Tree::new(&["filesystem"]);
    std::fs::create_dir_all(clone.root.join("xtask")).unwrap();
    std::fs::copy(support::here().join("xtask/Cargo.toml"), clone.root.join("xtask/Cargo.toml")).unwrap();
    let here = support::here();
    let before = std::fs::read_dir(here.join("manifest/packages")).unwrap().count();
    for output in [
        as_cargo_runs_it(Some(&clone.root.join("xtask")), &clone.root, &["list"]),
        as_cargo_runs_it(None, &clone.root.join("pkgs/filesystem"), &["list"]),
    ] {
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        let expected = format!("compiled from the checkout {}, not from {}", here.display(), clone.root.display());
        assert!(stderr.contains(&expected) && stderr.contains("CARGO_TARGET_DIR"), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing listed from either tree");
    }
    assert_eq!(std::fs::read_dir(here.join("manifest/packages")).unwrap().count(), before);
    // In its own checkout, by cargo or by hand from a folder inside it, it runs.
    let output = as_cargo_runs_it(Some(&here.join("xtask")), &here, &["graph"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = as_cargo_runs_it(None, &here.join("pkgs"), &["graph"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn what_a_killed_write_left_in_manifest_is_swept_by_the_next_run() {
    let tree = Tree::new(&["bootstrap/musl-stage0"]);
    let packages = tree.root.join("manifest/packages");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = child.id();
    child.wait().unwrap();
    std::fs::write(packages.join(format!(".tmp-{gone}-0")), "name = \"musl-st").unwrap();
    std::fs::write(packages.join(".tmpXk2b9Q"), "name = \"musl-st").unwrap();
    tree.ok(&["list"]);
    let left: Vec<String> = std::fs::read_dir(&packages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// stdout of `xtask args`, which must be one JSON document and nothing else.
fn json_of(tree: &Tree, args: &[&str]) -> serde_json::Value {
    let output = tree.xtask(args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("xtask {} printed no single JSON document ({e}):\n{}", args.join(" "), text(&output.stdout))
    })
}

#[test]
fn every_command_that_reports_prints_one_json_document_with_json() {
    let tree = Tree::new(&["filesystem"]);
    assert!(json_of(&tree, &["list", "--json"]).as_array().unwrap().iter().any(|p| p["name"] == "filesystem"));
    let graph = json_of(&tree, &["graph", "--json"]);
    let filesystem = graph.as_array().unwrap().iter().find(|p| p["name"] == "filesystem").unwrap().clone();
    assert_eq!(filesystem["deps"], serde_json::json!(["bootstrap"]));
    // filesystem's dependency bootstrap has sources: each is listed with its status.
    let fetched = json_of(&tree, &["fetch", "filesystem", "--json", "--import", tree.root.to_str().unwrap()]);
    assert!(fetched.as_array().unwrap().iter().all(|s| s["status"] == "cached" || s["status"] == "missing"));
    let secrets = tempfile::tempdir().unwrap();
    let key = secrets.path().join("alice.key");
    let generated = json_of(
        &tree,
        &["keys", "generate", "--userid", "Alice <alice@example.org>", "--output", key.to_str().unwrap(), "--json"],
    );
    let fingerprint = generated["fingerprint"].as_str().unwrap().to_owned();
    let added = json_of(&tree, &["keys", "add", &format!("{}.pub", key.display()), "--json"]);
    assert_eq!(
        (added[0]["fingerprint"].as_str(), added[0]["status"].as_str()),
        (Some(fingerprint.as_str()), Some("added"))
    );
    assert!(json_of(&tree, &["keys", "list", "--json"]).to_string().contains(&fingerprint));
    // A receipt as reproduce writes one (tests/reproduce.rs makes a real one): sign takes it.
    let entry: toml::Table =
        toml::from_str(&std::fs::read_to_string(tree.root.join("manifest/packages/filesystem.toml")).unwrap()).unwrap();
    let digest = entry["digest"].as_str().unwrap();
    let receipts = tree.root.join("out/receipts");
    std::fs::create_dir_all(&receipts).unwrap();
    let receipt = serde_json::json!({
        "package": "filesystem", "version": entry["version"], "input": entry["input"], "digest": digest,
        "engine": "Docker 20.10.24", "reproduced_at": "2026-12-07T00:00:00Z", "seconds": 1.0, "tool": "cairn xtask 0.1.0",
    });
    std::fs::write(receipts.join(format!("filesystem@{}.json", digest.replace(':', "="))), receipt.to_string())
        .unwrap();
    let signed = json_of(&tree, &["sign", "--key", key.to_str().unwrap(), "filesystem", "--json"]);
    assert_eq!(signed["images"][0]["status"], "signed", "{signed:#}");
    assert_eq!(signed["fingerprint"].as_str(), Some(fingerprint.as_str()));
    let again = json_of(&tree, &["sign", "--key", key.to_str().unwrap(), "filesystem", "--json"]);
    assert_eq!(again["images"][0]["status"], "already-signed", "{again:#}");
    assert_eq!(json_of(&tree, &["verify", "--threshold", "1", "filesystem", "--json"])["passed"], true);
    let (a, b) = (tree.root.join("a.tar"), tree.root.join("b.tar"));
    layer(&a, b"hello\n");
    layer(&b, b"other\n");
    json_of(&tree, &["diff", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    // A new package builds on the toolchain and make.
    let tree = Tree::new(&["make", "musl"]);
    assert_eq!(json_of(&tree, &["new", "hello", "--json"])["dir"], "pkgs/hello");
}

#[test]
fn outdated_names_a_pin_behind_the_served_release_and_a_stage_older_on_purpose() {
    // hello 2.8 left Debian long ago; every suite lists a newer release. Two stages of
    // one chain pinning hello 2.8 and hello 2.10: the older is a stage, not an old pin.
    let tree = Tree::new(&["filesystem"]);
    let add = |name: &str, version: &str| {
        let lib = format!(
            "use cairn_package::{{Location, Package, Recipe, Sha256, Source}};\npub static PACKAGE: Package = Package {{ \
             name: \"{name}\", version: \"{version}\", license: \"GPL-3.0-or-later\", sources: &[Source {{ file: \
             \"hello_{version}.orig.tar.gz\", sha256: Sha256::hex(\"{zero}\"), locations: \
             &[Location::DebianPool(\"pool/main/h/hello/hello_{version}.orig.tar.gz\")], note: \"\" }}], deps: &[], \
             runtime: &[], files: &[], allow: &[], recipe: Recipe::Containerfile(include_str!(\"../Containerfile\")) }};\n",
            zero = "0".repeat(64)
        );
        tree.add_package(name, &[], &lib, "FROM scratch\n");
    };
    add("hello-old", "2.8");
    let output = tree.xtask(&["outdated", "--json", "hello-old"]);
    assert_eq!(output.status.code(), Some(1), "a pin behind a served release exits 1");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let source = &report[0]["sources"][0];
    assert_eq!((report[0]["status"].as_str(), source["registry"].as_str()), (Some("behind"), Some("debian")));
    assert_eq!(source["pinned"], "2.8");
    assert_eq!(source["newest_served"]["served"], true);
    let path = source["newest_served"]["path"].as_str().unwrap();
    assert!(path.starts_with("pool/main/h/hello/hello_") && path.contains(".orig.tar."), "{path}");
    // hello-stage beside hello-new, which pins a newer release: older on purpose.
    tree.remove_package("hello-old");
    add("hello-stage", "2.8");
    add("hello-new", "2.10");
    let output = tree.xtask(&["outdated", "--json", "hello-stage", "hello-new"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stage = report.as_array().unwrap().iter().find(|p| p["name"] == "hello-stage").unwrap();
    assert_eq!(stage["status"], "current", "{stage:#}");
    assert_eq!(stage["sources"][0]["older_on_purpose"], "hello-new pins 2.10");
}
