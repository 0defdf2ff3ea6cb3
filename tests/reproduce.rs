//! End to end: a package built in a real engine reproduces, taking the dependency it
//! needs from out/ when it verifies and rebuilding it when it is not there; then its
//! Containerfile is made to embed the build time, and `reproduce` names exactly that
//! file, keeps the rebuilt layout, and `diff` shows the same on its own.
//!
//! The test runs the built `xtask` binary on a temporary copy of the tree holding the
//! bootstrap and filesystem packages (`CAIRN_ROOT`), with the shared source cache. It
//! skips with a message when no engine answers, except under CI (`CI` set).

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::{engine_or_skip, text, Tree};

/// The scratch areas reproduce left behind.
fn kept(tree: &Tree) -> Vec<PathBuf> {
    match std::fs::read_dir(tree.root.join("target/reproduce")) {
        Ok(read) => read.map(|i| i.unwrap().path()).collect(),
        Err(_) => vec![],
    }
}

/// `(kind, path)` of each difference that is not metadata.
fn file_differences(report: &Value) -> Vec<(String, String)> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["scope"] != "metadata")
        .map(|d| (d["kind"].as_str().unwrap_or("").to_owned(), d["path"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn reproduce_names_exactly_the_file_that_embeds_the_build_time() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["filesystem"]);
    tree.ok(&["build", "filesystem"]);

    // Without bootstrap in out/, reproduce rebuilds it first and starts filesystem from
    // it only because it gives the recorded digest.
    std::fs::rename(tree.out("bootstrap"), tree.out("bootstrap.aside")).unwrap();
    // On one CPU: the builder varied, the image the same.
    let json: Value = serde_json::from_str(&tree.ok(&["reproduce", "filesystem", "--json", "--cpus", "1"])).unwrap();
    std::fs::rename(tree.out("bootstrap.aside"), tree.out("bootstrap")).unwrap();
    let names: Vec<(&str, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["reproduced"].as_bool().unwrap()))
        .collect();
    assert_eq!(names, [("bootstrap", true), ("filesystem", true)]);
    let json = &json[1];
    assert_eq!(json["expected"].as_str().unwrap(), tree.recorded_digest("filesystem"));
    assert_eq!(json["got"], json["expected"]);
    assert_eq!(json["differences"], serde_json::json!([]));
    assert_eq!(json["input_current"], true);
    assert_eq!(kept(&tree), Vec::<PathBuf>::new(), "a run that reproduced leaves no scratch area");
    // Where it was rebuilt, as whoever counts signatures needs to tell machines apart.
    let machine = &json["machine"];
    assert_eq!(machine["cpus"], 1, "{machine:#}");
    for key in ["cpu_vendor", "cpu_model", "kernel", "engine", "storage_driver"] {
        assert!(machine[key].as_str().is_some_and(|v| !v.is_empty()), "{key}: {machine:#}");
    }
    assert!(machine["rootless"].is_boolean(), "{machine:#}");
    assert!(json["tool"].as_str().unwrap().contains("(commit "), "{json:#}");

    // Each image it rebuilt with the recorded digest leaves a receipt, which is what
    // `sign` requires; a layout in out/ alone is not enough.
    let recorded = tree.recorded_digest("filesystem");
    let receipt_path = tree.out("receipts").join(format!("filesystem@{}.json", recorded.replacen(':', "=", 1)));
    let receipt: Value = serde_json::from_str(&std::fs::read_to_string(&receipt_path).unwrap()).unwrap();
    assert_eq!(receipt["package"], "filesystem");
    assert_eq!(receipt["machine"], json["machine"], "the receipt records the machine");
    assert_eq!(receipt["tool"], json["tool"]);
    assert_eq!(receipt["digest"].as_str().unwrap(), recorded);
    assert!(
        receipt["engine"].as_str().unwrap().starts_with("Docker")
            || receipt["engine"].as_str().unwrap().starts_with("Podman"),
        "{receipt}"
    );
    let key = tree.root.join("target").join("alice.key");
    tree.ok(&["keys", "generate", "--userid", "Alice <alice@example.org>", "--output", key.to_str().unwrap()]);
    tree.ok(&["sign", "--key", key.to_str().unwrap(), "filesystem"]);
    std::fs::remove_file(&receipt_path).unwrap();
    let error = tree.fails(&["sign", "--key", key.to_str().unwrap(), "bootstrap", "filesystem"]);
    assert!(error.contains("no receipt") && error.contains("cargo xtask reproduce filesystem"), "{error}");

    // A recipe change that leaves the image alone still reproduces, and the report says
    // that manifest/ recorded the entry for other inputs and how to refresh it.
    let containerfile = tree.root.join("pkgs/filesystem/Containerfile");
    let before = std::fs::read_to_string(&containerfile).unwrap();
    std::fs::write(&containerfile, format!("# A comment changes the input, not the image.\n{before}")).unwrap();
    let output = tree.xtask(&["reproduce", "filesystem", "--json"]);
    assert!(output.status.success(), "the same image reproduces:\n{}", text(&output.stdout));
    let json: Value = serde_json::from_str(&text(&output.stdout)).unwrap();
    assert_eq!((&json[0]["reproduced"], &json[0]["input_current"]), (&Value::Bool(true), &Value::Bool(false)));
    let output = tree.xtask(&["reproduce", "filesystem"]);
    assert!(output.status.success());
    let report = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(report.contains("`cargo xtask build filesystem` rewrites the entry"), "{report}");
    // That rebuild's receipt names the new input: signing the old entry waits for a build.
    let error = tree.fails(&["sign", "--key", key.to_str().unwrap(), "filesystem"]);
    assert!(error.contains("the recipe changed since"), "{error}");
    std::fs::write(&containerfile, before).unwrap();

    // The build now writes its own time into the image.
    let containerfile = tree.root.join("pkgs/filesystem/Containerfile");
    let original = std::fs::read_to_string(&containerfile).unwrap();
    let (build_stage, final_stage) =
        original.split_once("\nFROM scratch").expect("filesystem has a final scratch stage");
    std::fs::write(
        &containerfile,
        format!("{build_stage}\nRUN date +%s > /rootfs/etc/build-time\n\nFROM scratch{final_stage}"),
    )
    .unwrap();
    tree.ok(&["build", "filesystem"]);
    let recorded = tree.recorded_digest("filesystem");
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let output = tree.xtask(&["reproduce", "filesystem", "--json"]);
    assert!(!output.status.success(), "a different image must fail reproduce:\n{}", text(&output.stdout));
    let json: Value = serde_json::from_str(&text(&output.stdout)).unwrap();
    let [report] = json.as_array().unwrap().as_slice() else { panic!("one report expected: {json:#}") };
    assert_eq!(report["name"], "filesystem");
    assert_eq!(report["reproduced"], false);
    assert_eq!(report["expected"].as_str().unwrap(), recorded);
    assert_ne!(report["got"], report["expected"]);
    assert_eq!(file_differences(report), [("content".to_owned(), "etc/build-time".to_owned())]);
    assert_eq!(report["differences"].as_array().unwrap().len(), 1, "nothing else differs: {report:#}");
    let content = &report["differences"][0];
    assert_ne!(content["expected"]["sha256"], content["got"]["sha256"]);
    assert!(content["text_diff"].as_str().unwrap().contains("+++ got"), "{content:#}");

    // The rebuilt layout is kept, its path printed, the two versions of the file beside it.
    let areas = kept(&tree);
    let [scratch] = areas.as_slice() else { panic!("one scratch area kept: {areas:?}") };
    assert!(text(&output.stderr).contains(&scratch.display().to_string()), "{}", text(&output.stderr));
    let rebuilt = scratch.join("wave-1/filesystem");
    assert!(scratch.join("filesystem.files/expected/etc/build-time").is_file());
    assert!(scratch.join("filesystem.files/got/etc/build-time").is_file());

    // `diff` tells the same on its own.
    let output = tree.xtask(&["diff", tree.out("filesystem").to_str().unwrap(), rebuilt.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report = text(&output.stdout);
    assert!(report.contains("files that differ (1):\n    content   etc/build-time\n"), "{report}");
    assert!(!report.contains("metadata only"), "{report}");
    let output =
        tree.xtask(&["diff", tree.out("filesystem").to_str().unwrap(), tree.out("filesystem.tgz").to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "a layout and its own layer are the same files:\n{}",
        text(&output.stdout)
    );
}
