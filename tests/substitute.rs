//! Substitutes end to end, against a real engine and a real registry: a build from an
//! empty out/ takes from a source exactly the images manifest/ records for the current
//! inputs and builds the rest; one flipped bit, a stale entry or too few signatures mean
//! the package is built, never substituted.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{engine_or_skip, statuses, Registry, Tree};

const CORE: &[&str] = &["bootstrap/musl-stage0", "bootstrap/busybox-stage0", "filesystem"];
const QUICK: &[&str] = &["bootstrap", "musl-stage0", "busybox-stage0", "filesystem"];

/// name -> (status, source) of `build --json`.
fn sources(items: &[serde_json::Value]) -> BTreeMap<String, (String, Option<String>)> {
    items
        .iter()
        .map(|item| {
            let name = item["name"].as_str().unwrap().to_owned();
            let source = item["source"].as_str().map(str::to_owned);
            (name, (item["status"].as_str().unwrap().to_owned(), source))
        })
        .collect()
}

/// Every package built to the digest this tree's manifest/ records.
fn recorded(tree: &Tree, items: &[serde_json::Value]) {
    for (name, (_, digest)) in statuses(items) {
        assert_eq!(digest, Some(tree.recorded_digest(&name)), "{name} is the recorded image");
    }
}

/// The receipt `reproduce` leaves for an image it rebuilt with its recorded digest
/// (tests/reproduce.rs makes a real one): what `sign` asks for.
fn receipt(tree: &Tree, name: &str) {
    let text = std::fs::read_to_string(tree.root.join("manifest/packages").join(format!("{name}.toml"))).unwrap();
    let entry: toml::Table = toml::from_str(&text).unwrap();
    let digest = entry["digest"].as_str().unwrap();
    let receipt = serde_json::json!({
        "package": name, "version": entry["version"], "input": entry["input"], "digest": digest,
        "engine": "Docker 20.10.24", "reproduced_at": "2026-12-02T00:00:00Z", "seconds": 1.0,
        "tool": "cairn xtask 0.1.0",
    });
    let receipts = tree.root.join("out/receipts");
    std::fs::create_dir_all(&receipts).unwrap();
    std::fs::write(receipts.join(format!("{name}@{}.json", digest.replace(':', "="))), receipt.to_string()).unwrap();
}

/// A maintainer's key, made outside the tree; returns the secret key file.
fn maintainer(tree: &Tree, secrets: &Path, who: &str) -> String {
    let key = secrets.join(format!("{who}.key"));
    let userid = format!("{who} <{who}@example.org>");
    tree.ok(&["keys", "generate", "--userid", &userid, "--output", key.to_str().unwrap()]);
    key.display().to_string()
}

/// Flips one bit in the middle of the largest blob of a layout: its layer.
fn flip_a_bit(layout: &Path) {
    let blobs = layout.join("blobs/sha256");
    let largest = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&largest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&largest, bytes).unwrap();
}

#[test]
fn a_build_substitutes_only_the_recorded_images_and_builds_the_rest() {
    if !engine_or_skip() {
        return;
    }
    // A builder builds the quick tree, two maintainers sign what they checked, and the
    // images are exported to a directory and pushed to a registry.
    let builder = Tree::new(CORE);
    let (ok, items) = builder.build(QUICK);
    assert!(ok, "{items:#?}");
    let secrets = tempfile::tempdir().unwrap();
    let alice = maintainer(&builder, secrets.path(), "alice");
    let bob = maintainer(&builder, secrets.path(), "bob");
    // The keyring a user trusts, kept outside every tree.
    for key in [&alice, &bob] {
        builder.ok(&["keys", "add", &format!("{key}.pub")]);
    }
    let keyring = secrets.path().join("keyring");
    support::copy_dir(&builder.root.join("manifest/keys"), &keyring);
    for name in ["bootstrap", "musl-stage0"] {
        receipt(&builder, name);
    }
    builder.ok(&["sign", "--key", &alice, "bootstrap", "musl-stage0"]);
    builder.ok(&["sign", "--key", &bob, "musl-stage0"]);
    let exported = tempfile::tempdir().unwrap();
    let dir = exported.path().join("layouts");
    builder.ok(&["export", dir.to_str().unwrap()]);

    // One bit flipped in filesystem's layer; busybox-stage0 not there at all.
    flip_a_bit(&dir.join("filesystem"));
    std::fs::remove_dir_all(dir.join("busybox-stage0")).unwrap();
    let tree = Tree::new(CORE);
    let mut args = vec!["--substitute", dir.to_str().unwrap()];
    args.extend_from_slice(QUICK);
    let (ok, items) = tree.build(&args);
    assert!(ok, "{items:#?}");
    let source = Some(dir.display().to_string());
    assert_eq!(
        sources(&items),
        BTreeMap::from([
            ("bootstrap".to_owned(), ("substituted".to_owned(), source.clone())),
            ("musl-stage0".to_owned(), ("substituted".to_owned(), source.clone())),
            ("busybox-stage0".to_owned(), ("built".to_owned(), None)),
            ("filesystem".to_owned(), ("built".to_owned(), None)),
        ]),
        "what the source holds exactly is substituted; a flipped bit and a missing image are built"
    );
    recorded(&tree, &items);
    let log = std::fs::read_to_string(tree.root.join("out/logs/filesystem.log")).unwrap();
    assert!(log.contains("not substituted") && log.contains("does not hash to"), "{log}");
    // What was substituted is a layout like any other: up to date, and the same files.
    let (ok, items) = tree.build(QUICK);
    assert!(ok && statuses(&items).values().all(|(s, _)| s == "up to date"), "{items:#?}");
    assert_eq!(tree.ok(&["files", "musl-stage0"]), builder.ok(&["files", "musl-stage0"]));

    // With --threshold 2, bootstrap (signed by alice alone) is built; musl-stage0, signed by
    // both, is substituted. The signatures travel with the tree, as manifest/signatures/.
    let gated = Tree::new(CORE);
    support::copy_dir(&builder.root.join("manifest/signatures"), &gated.root.join("manifest/signatures"));
    let keyring_arg = keyring.to_str().unwrap();
    let args = ["--substitute", dir.to_str().unwrap(), "--threshold", "2", "--keyring", keyring_arg];
    let (ok, items) = gated.build(&[&args[..], &["bootstrap", "musl-stage0"]].concat());
    assert!(ok, "{items:#?}");
    let got = sources(&items);
    assert_eq!(got["bootstrap"].0, "built", "one signature is not two: {items:#?}");
    assert_eq!(got["musl-stage0"].0, "substituted", "{items:#?}");
    recorded(&gated, &items);
    // A threshold asks for a keyring the tree does not control.
    let error = gated.fails(&["build", "--substitute", dir.to_str().unwrap(), "--threshold", "1", "bootstrap"]);
    assert!(error.contains("needs a keyring you chose"), "{error}");

    // From a registry, named by CAIRN_SUBSTITUTES. A stale entry is never substituted:
    // musl-stage0's recipe changed, so what the registry holds under its recorded digest
    // is not what its build would be.
    let Some(registry) = Registry::start() else { return };
    let host = format!("127.0.0.1:{}/cairn", registry.port);
    builder.ok(&["push", &host]);
    let mut pulled = Tree::new(CORE);
    pulled.env("CAIRN_SUBSTITUTES", &format!("{host},{}", dir.display()));
    let containerfile = pulled.root.join("bootstrap/musl-stage0/Containerfile");
    let mut text = std::fs::read_to_string(&containerfile).unwrap();
    text.push_str("# a change that changes the inputs\n");
    std::fs::write(&containerfile, text).unwrap();
    let (ok, items) = pulled.build(QUICK);
    assert!(ok, "{items:#?}");
    let got = sources(&items);
    assert_eq!(got["bootstrap"], ("substituted".to_owned(), Some(host.clone())), "{items:#?}");
    assert_eq!(got["musl-stage0"].0, "built", "a stale entry is built: {items:#?}");
    // busybox-stage0 is built on the rebuilt musl-stage0: its inputs name that digest,
    // which is the recorded one, so it is substituted again.
    assert_eq!(got["busybox-stage0"], ("substituted".to_owned(), Some(host.clone())), "{items:#?}");
    assert_eq!(got["filesystem"], ("substituted".to_owned(), Some(host)), "{items:#?}");
}

#[test]
fn import_admits_only_recorded_layouts_and_export_writes_them() {
    if !engine_or_skip() {
        return;
    }
    // bootstrap needs no engine: it is laid out from Debian's packages.
    let builder = Tree::new(&["bootstrap/musl-stage0"]);
    let (ok, items) = builder.build(&["bootstrap"]);
    assert!(ok, "{items:#?}");
    let carried = tempfile::tempdir().unwrap();
    let dir = carried.path().join("layouts");
    let exported: serde_json::Value =
        serde_json::from_str(&builder.ok(&["export", dir.to_str().unwrap(), "bootstrap", "--json"])).unwrap();
    assert_eq!(exported[0]["status"], "exported");
    // musl-stage0 was never built: nothing is exported unless every image is there.
    let error = builder.fails(&["export", dir.to_str().unwrap(), "musl-stage0"]);
    assert!(error.contains("no image of musl-stage0"), "{error}");

    let tree = Tree::new(&["bootstrap/musl-stage0"]);
    let imported: serde_json::Value =
        serde_json::from_str(&tree.ok(&["import", dir.to_str().unwrap(), "bootstrap", "--json"])).unwrap();
    assert_eq!(imported[0]["status"], "imported", "{imported:#}");
    let (ok, items) = tree.build(&["bootstrap"]);
    assert!(ok && statuses(&items)["bootstrap"].0 == "up to date", "{items:#?}");

    // One flipped bit: refused, and out/ keeps what it had.
    let other = Tree::new(&["bootstrap/musl-stage0"]);
    flip_a_bit(&dir.join("bootstrap"));
    let output = other.xtask(&["import", dir.to_str().unwrap(), "bootstrap", "--json"]);
    assert!(!output.status.success(), "a corrupt layout is refused");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report[0]["status"], "refused", "{report:#}");
    assert!(!other.out("bootstrap").exists(), "nothing of a refused image is left in out/");
}
