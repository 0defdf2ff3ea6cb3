//! End to end against a real engine: the tree builds to the digests manifest/ records,
//! a second build does nothing, Docker and Podman agree, an interrupted build leaves
//! nothing half-written, and bad input is refused with the reason.
//!
//! Each test runs the built `xtask` binary on its own copy of the tree (`CAIRN_ROOT`).

mod support;

use std::collections::BTreeMap;

use support::{engine_or_skip, here, statuses, Podman, Tree};

const CORE: &[&str] = &["bootstrap/musl-stage0", "bootstrap/busybox-stage0", "filesystem"];

/// The packages of the quick tree. The tree of a test also holds the crates these take
/// constants from (`bootstrap/cross`, for musl's source), which are not built here.
const QUICK: &[&str] = &["bootstrap", "musl-stage0", "busybox-stage0", "filesystem"];

/// The digests committed in this tree's manifest/, by package.
fn committed() -> BTreeMap<String, String> {
    let mut digests = BTreeMap::new();
    for item in std::fs::read_dir(here().join("manifest/packages")).unwrap() {
        let text = std::fs::read_to_string(item.unwrap().path()).unwrap();
        let entry: toml::Table = toml::from_str(&text).unwrap();
        digests.insert(entry["name"].as_str().unwrap().to_owned(), entry["digest"].as_str().unwrap().to_owned());
    }
    digests
}

#[test]
fn the_tree_builds_to_the_recorded_digests_and_a_second_build_does_nothing() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(CORE);
    let (ok, items) = tree.build(QUICK);
    assert!(ok, "the tree builds: {items:#?}");
    let committed = committed();
    for (name, (status, digest)) in statuses(&items) {
        assert_eq!(status, "built", "{name}");
        assert_eq!(digest.as_ref(), committed.get(&name), "{name} reproduces the digest manifest/ records");
    }
    for name in ["bootstrap", "musl-stage0", "busybox-stage0", "filesystem"] {
        let recorded = std::fs::read_to_string(here().join("manifest/packages").join(format!("{name}.toml"))).unwrap();
        let written =
            std::fs::read_to_string(tree.root.join("manifest/packages").join(format!("{name}.toml"))).unwrap();
        assert_eq!(written, recorded, "building {name} leaves its manifest entry as committed");
        insta::assert_snapshot!(format!("files_of_{name}"), tree.ok(&["files", name]));
    }

    // out/<name>.tgz is the layer blob itself, stored once.
    let entry: toml::Table =
        toml::from_str(&std::fs::read_to_string(here().join("manifest/packages/musl-stage0.toml")).unwrap()).unwrap();
    let blob =
        tree.out("musl-stage0/blobs/sha256").join(entry["layer"].as_str().unwrap().trim_start_matches("sha256:"));
    let tgz = tree.root.join("out/musl-stage0.tgz");
    assert_eq!(std::fs::read(&tgz).unwrap(), std::fs::read(&blob).unwrap());
    assert_eq!(std::os::unix::fs::MetadataExt::nlink(&std::fs::metadata(&tgz).unwrap()), 2, "one file, two names");

    let (ok, items) = tree.build(QUICK);
    assert!(ok);
    assert!(statuses(&items).values().all(|(status, _)| status == "up to date"), "nothing rebuilt: {items:#?}");

    // `list --json` reports the recorded digest of each package.
    let list: Vec<serde_json::Value> = serde_json::from_str(&tree.ok(&["list", "--json"])).unwrap();
    let musl = list.iter().find(|p| p["name"] == "musl-stage0").unwrap();
    assert_eq!(musl["digest"].as_str(), committed.get("musl-stage0").map(String::as_str));
    assert_eq!(musl["deps"], serde_json::json!(["bootstrap"]));

    // The image runs in the engine it is loaded into.
    tree.ok(&["load", "busybox-stage0"]);
    let run = std::process::Command::new("docker")
        .args(["run", "--rm", "cairn/busybox-stage0", "busybox", "echo", "hi"])
        .output()
        .unwrap();
    let _ = std::process::Command::new("docker").args(["rmi", "cairn/busybox-stage0:latest"]).output();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "hi\n", "{}", String::from_utf8_lossy(&run.stderr));

    // Interrupted in the middle of a build: the old image and entry stay, nothing half-written.
    let before = tree.ok(&["files", "musl-stage0"]);
    let rebuild = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["build", "--rebuild", "musl-stage0"])
            .env("CAIRN_ROOT", &tree.root)
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = rebuild();
    std::thread::sleep(std::time::Duration::from_secs(20));
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(!child.wait().unwrap().success(), "an interrupted build fails");
    assert_eq!(tree.ok(&["files", "musl-stage0"]), before, "out/musl-stage0 is the old image, intact");
    let leftovers: Vec<String> = std::fs::read_dir(tree.root.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".lock")
        .collect();
    assert!(leftovers.is_empty(), "no staging leftovers in out/ (its .lock stays): {leftovers:?}");
    let images =
        std::process::Command::new("docker").args(["images", "--format", "{{.Repository}}:{{.Tag}}"]).output().unwrap();
    let images = String::from_utf8_lossy(&images.stdout);
    assert!(!images.contains(&format!("-{}", child.id())), "the interrupted run removed its images:\n{images}");

    // Killed outright in the middle of a build: it cleans nothing, a later run must.
    tree.ok(&["load", "busybox-stage0"]);
    let mut child = rebuild();
    let docker = |args: &[&str]| -> Vec<String> {
        let output = std::process::Command::new("docker").args(args).output().unwrap();
        assert!(output.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
    };
    // Killed once a build step of its own runs in the engine; its run id is on it.
    let suffix = format!("-{}", child.id());
    let started = std::time::Instant::now();
    let run = loop {
        let labels = docker(&["ps", "-a", "--format", "{{.Label \"dev.cairn.run\"}}"]);
        if let Some(run) = labels.into_iter().find(|l| l.ends_with(&suffix)) {
            break run;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(300), "the build never started a step");
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let label = format!("label=dev.cairn.run={run}");
    // The engine finishes the step it was running for the dead client (and may commit
    // its image) before it notices: wait until nothing of the run runs any more.
    let started = std::time::Instant::now();
    while !docker(&["ps", "-q", "--filter", &label]).is_empty()
        && started.elapsed() < std::time::Duration::from_secs(300)
    {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let left = || {
        let mut left = docker(&["ps", "-a", "-q", "--filter", &label]);
        left.extend(docker(&["images", "-a", "-q", "--filter", &label]));
        left.extend(
            docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
                .into_iter()
                .filter(|t| t.ends_with(&format!(".{run}"))),
        );
        left
    };
    assert!(!left().is_empty(), "a killed run leaves its objects behind (else this test shows nothing)");
    let report: serde_json::Value = serde_json::from_str(&tree.ok(&["gc", "--json"])).unwrap();
    assert!(!report["tags"].as_array().unwrap().is_empty(), "gc removed the killed run's tags: {report:#}");
    assert_eq!(left(), Vec::<String>::new(), "gc left objects of the killed run: {report:#}");
    let kept = std::process::Command::new("docker").args(["image", "inspect", "cairn/busybox-stage0:latest"]).output();
    assert!(kept.unwrap().status.success(), "gc touches nothing that is not a dead run's");
    let _ = std::process::Command::new("docker").args(["rmi", "cairn/busybox-stage0:latest"]).output();
    // out/ and manifest/ are as the kill left them: the old image, whole, still up to date.
    assert_eq!(tree.ok(&["files", "musl-stage0"]), before);
    let (ok, items) = tree.build(&["musl-stage0"]);
    assert!(ok && statuses(&items)["musl-stage0"].0 == "up to date", "{items:#?}");
}

#[test]
fn podman_builds_the_same_digests_as_docker() {
    let Some(mut podman) = Podman::start() else { return };
    let tree = Tree::new(CORE);
    add_sealed(&tree);
    let mut args = vec!["--engine", podman.endpoint.as_str(), "sealed"];
    args.extend_from_slice(QUICK);
    let (ok, items) = tree.build(&args);
    assert!(ok, "the tree builds with Podman, with the network off: {items:#?}");
    let committed = committed();
    for (name, (_, digest)) in statuses(&items) {
        if name != "sealed" {
            assert_eq!(digest.as_ref(), committed.get(&name), "{name}: Podman gives the digest Docker recorded");
        }
    }

    // The service dies in the middle of a step: buildah's working containers stay in
    // storage, outside the API, under the run's images; a later run removes them.
    tree.add_package(
        "stuck",
        &["bootstrap"],
        &plain("stuck", &["bootstrap"]),
        "FROM cairn/bootstrap AS build\nRUN echo one > /one\nRUN sleep 20; echo two > /two\nFROM scratch\nCOPY --from=build /one /\n",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["build", "--engine", podman.endpoint.as_str(), "stuck"])
        .env("CAIRN_ROOT", &tree.root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let podman_cli = |args: &[&str]| -> String {
        let output = std::process::Command::new("podman").args(args).output().unwrap();
        assert!(output.status.success(), "podman {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let images_of = |run: &str| -> Vec<String> {
        let mut ids =
            podman_cli(&["images", "-a", "-q", "--no-trunc", "--filter", &format!("label=dev.cairn.run={run}")]);
        for line in podman_cli(&["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"]).lines() {
            if line.ends_with(&format!(".{run}")) {
                ids.push_str(line.split(' ').next().unwrap());
                ids.push('\n');
            }
        }
        ids.lines().map(|id| id.trim_start_matches("sha256:").to_owned()).collect()
    };
    let suffix = format!("-{}", child.id());
    let started = std::time::Instant::now();
    let run = loop {
        let listed: Vec<serde_json::Value> =
            serde_json::from_str(&podman_cli(&["images", "-a", "--format", "json"])).unwrap();
        let labelled = listed.iter().find_map(|image| image["Labels"]["dev.cairn.run"].as_str().map(str::to_owned));
        if let Some(run) = labelled.filter(|run| run.ends_with(&suffix)) {
            break run;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "the build never made a step image");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    std::thread::sleep(std::time::Duration::from_secs(3));
    podman.kill();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let _ = child.kill();
    let _ = child.wait();
    let working = |run: &str| -> Vec<String> {
        let ours = images_of(run);
        let listed: Vec<serde_json::Value> =
            serde_json::from_str(&podman_cli(&["ps", "-a", "--external", "--format", "json"])).unwrap();
        listed
            .iter()
            .filter(|c| ours.iter().any(|id| Some(id.as_str()) == c["ImageID"].as_str()))
            .map(|c| c["Id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!working(&run).is_empty(), "the dead service left working containers (else this shows nothing)");
    assert!(!images_of(&run).is_empty(), "and images of the run");
    let podman = Podman::start().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&tree.ok(&["gc", "--engine", podman.endpoint.as_str(), "--json"])).unwrap();
    assert_eq!(working(&run), Vec::<String>::new(), "gc removed buildah's working containers: {report:#}");
    assert_eq!(images_of(&run), Vec::<String>::new(), "and the run's images: {report:#}");
}

/// Docker's endpoint, as the engine tests reach it.
fn docker_endpoint() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "unix:///var/run/docker.sock".into())
}

/// name -> the engine `build --json` says built it.
fn engines_of(items: &[serde_json::Value]) -> BTreeMap<String, String> {
    items.iter().filter_map(|i| Some((i["name"].as_str()?.to_owned(), i["engine"].as_str()?.to_owned()))).collect()
}

#[test]
fn two_engines_build_the_recorded_digests_whichever_builds_what_and_one_that_dies_is_left() {
    if !engine_or_skip() {
        return;
    }
    let Some(podman) = Podman::start() else { return };
    let docker = docker_endpoint();
    // musl-stage0 and filesystem are ready at once: each goes to one engine, and swapping
    // the engines swaps who builds what; the digests do not move.
    const TWO: &[&str] = &["bootstrap", "musl-stage0", "filesystem"];
    let committed = committed();
    let mut assignments = Vec::new();
    for engines in [[docker.as_str(), podman.endpoint.as_str()], [podman.endpoint.as_str(), docker.as_str()]] {
        let tree = Tree::new(CORE);
        let mut args = vec!["--engine", engines[0], "--engine", engines[1]];
        args.extend_from_slice(TWO);
        let (ok, items) = tree.build(&args);
        assert!(ok, "{items:#?}");
        for (name, (status, digest)) in statuses(&items) {
            assert_eq!(status, "built", "{name}");
            assert_eq!(digest.as_ref(), committed.get(&name), "{name} has the recorded digest on {engines:?}");
        }
        let by = engines_of(&items);
        assert!(by["musl-stage0"] != by["filesystem"], "both engines built: {by:#?}");
        assignments.push(by);
    }
    for name in ["musl-stage0", "filesystem"] {
        assert_ne!(assignments[0][name], assignments[1][name], "{name} moved with the swap: {assignments:#?}");
    }

    // An engine that dies in the middle of a build is left, and the package is built on
    // the other.
    let mut doomed = Podman::start().unwrap();
    let tree = Tree::new(CORE);
    tree.add_package(
        "slow",
        &["bootstrap"],
        &plain("slow", &["bootstrap"]),
        "FROM cairn/bootstrap AS build\nRUN echo started\nRUN sleep 15; mkdir -p /rootfs && echo slow > /rootfs/slow\n\
         FROM scratch\nCOPY --from=build /rootfs/ /\n",
    );
    tree.ok(&["build", "bootstrap"]);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["build", "--json", "--engine", doomed.endpoint.as_str(), "--engine", docker.as_str(), "slow"])
        .env("CAIRN_ROOT", &tree.root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once Podman has made a step image of this run, it is building: kill it.
    let suffix = format!("-{}", child.id());
    let started = std::time::Instant::now();
    loop {
        let listed = std::process::Command::new("podman").args(["images", "-a", "--format", "json"]).output().unwrap();
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap_or_default();
        if listed.iter().any(|i| i["Labels"]["dev.cairn.run"].as_str().is_some_and(|r| r.ends_with(&suffix))) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "Podman never started building");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    doomed.kill();
    let output = child.wait_with_output().unwrap();
    let stderr = support::text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(statuses(&items)["slow"].0, "built", "{items:#?}");
    assert!(engines_of(&items)["slow"].starts_with("Docker"), "retried on Docker: {items:#?}");
    assert!(stderr.contains("leaving the engine"), "{stderr}");
    let listing = tree.ok(&["files", "slow"]);
    assert!(listing.contains(" slow "), "{listing}");
}

/// A package whose build fails unless its step sees no network: only `lo` in
/// /sys/class/net and no route at all (a networked step has at least a default route).
fn add_sealed(tree: &Tree) {
    tree.add_package(
        "sealed",
        &["bootstrap"],
        &plain("sealed", &["bootstrap"]),
        "FROM cairn/bootstrap AS build\n\
         RUN ls /sys/class/net; cat /proc/net/route; test \"$(ls /sys/class/net)\" = lo \\\n \
         && test \"$(wc -l < /proc/net/route)\" -le 1 && mkdir -p /rootfs && echo sealed > /rootfs/sealed\n\
         FROM scratch\nCOPY --from=build /rootfs/ /\n",
    );
}

const BAD_HASH: &str = r#"
use cairn_package::{Location, Package, Recipe, Sha256, Source};
pub static PACKAGE: Package = Package {
    name: "badhash",
    version: "1",
    license: "MIT",
    sources: &[Source {
        file: "musl-1.2.3.tar.gz",
        sha256: Sha256::hex("0000000000000000000000000000000000000000000000000000000000000000"),
        locations: &[Location::DebianPool("pool/main/m/musl/musl_1.2.3.orig.tar.gz")],
        note: "",
    }],
    deps: &[&bootstrap::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
"#;

fn plain(name: &str, deps: &[&str]) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("&{}::PACKAGE", d.replace('-', "_"))).collect();
    format!(
        "use cairn_package::{{Package, Recipe}};\npub static PACKAGE: Package = Package {{ name: \"{name}\", version: \"1\", \
         license: \"MIT\", sources: &[], deps: &[{}], runtime: &[], files: &[], allow: &[], recipe: Recipe::Containerfile(include_str!(\"../Containerfile\")) }};\n",
        deps.join(", ")
    )
}

#[test]
fn bad_input_is_refused_with_the_reason_and_stops_only_what_depends_on_it() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["filesystem"]);

    // A Containerfile naming an image its crate does not declare.
    tree.add_package(
        "sneaky",
        &["bootstrap"],
        &plain("sneaky", &["bootstrap"]),
        "FROM cairn/bootstrap\nCOPY --from=cairn/filesystem /etc/passwd /passwd\n",
    );
    let error = tree.fails(&["list"]);
    assert!(
        error
            .contains("pkgs/sneaky/Containerfile uses cairn/filesystem, which pkgs/sneaky/src/lib.rs does not declare"),
        "{error}"
    );
    tree.remove_package("sneaky");

    // A dependency cycle does not compile.
    tree.add_package("ping", &["pong"], &plain("ping", &["pong"]), "FROM cairn/pong\n");
    tree.add_package("pong", &["ping"], &plain("pong", &["ping"]), "FROM cairn/ping\n");
    let error = tree.fails(&["list"]);
    assert!(error.contains("cyclic package dependency"), "{error}");
    tree.remove_package("ping");
    tree.remove_package("pong");

    // A source whose hash does not match; a build that reaches for the network; a package
    // built on that one; and a sound package beside them.
    tree.add_package("badhash", &["bootstrap"], BAD_HASH, "FROM cairn/bootstrap\nCOPY musl-1.2.3.tar.gz /\n");
    tree.add_package(
        "online",
        &["bootstrap"],
        &plain("online", &["bootstrap"]),
        // Succeeds only where a step sees an interface besides lo: never, with the network off.
        "FROM cairn/bootstrap AS build\nRUN ls /sys/class/net | grep -v '^lo$' > /fetched\nFROM scratch\nCOPY --from=build /fetched /\n",
    );
    add_sealed(&tree);
    tree.add_package("after-online", &["online"], &plain("after-online", &["online"]), "FROM cairn/online\n");
    let (ok, items) = tree.build(&[]);
    assert!(!ok, "the build fails");
    let by_name: BTreeMap<String, serde_json::Value> =
        items.into_iter().map(|i| (i["name"].as_str().unwrap().to_owned(), i)).collect();
    assert_eq!(by_name["filesystem"]["status"], "built");
    assert_eq!(by_name["sealed"]["status"], "built", "a step sees no network: {:#}", by_name["sealed"]);
    assert_eq!(by_name["online"]["status"], "failed");
    assert_eq!(by_name["after-online"]["status"], "skipped");
    assert_eq!(by_name["after-online"]["error"], "online failed");
    assert_eq!(by_name["badhash"]["status"], "failed");
    let error = by_name["badhash"]["error"].as_str().unwrap();
    assert!(error.contains("package badhash: source musl-1.2.3.tar.gz"), "{error}");
    assert!(
        error.contains("hash mismatch: expected sha256 0000000000000000000000000000000000000000000000000000000000000000, got 7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"),
        "{error}"
    );
    let log = std::fs::read_to_string(tree.out("logs/online.log")).unwrap();
    assert!(log.contains("/sys/class/net"), "the failing step is in the log:\n{log}");
    assert!(!tree.root.join("manifest/packages/online.toml").exists(), "a failed build records nothing");
    assert!(!tree.out("online").exists() && !tree.out("badhash").exists(), "a failed build writes nothing to out/");

    // An image that records the kernel it was built on fails, naming the file: another
    // machine would build other bytes.
    tree.add_package(
        "leaky",
        &["bootstrap"],
        &plain("leaky", &["bootstrap"]),
        "FROM cairn/bootstrap AS build\nRUN mkdir -p /rootfs/etc && uname -r > /rootfs/etc/built-on\n\
         FROM scratch\nCOPY --from=build /rootfs/ /\n",
    );
    let output = tree.xtask(&["build", "leaky"]);
    assert_eq!(output.status.code(), Some(1));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let failure = format!("etc/built-on holds the kernel release of the machine that built it: `{}`", kernel.trim());
    assert!(support::text(&output.stderr).contains(&failure), "{}", support::text(&output.stderr));
}

/// A tree with a package that needs no other image (`hello`, one file), built once on
/// `docker`: the tree and the digest.
fn one_file_package(docker: &str) -> (Tree, String) {
    let tree = Tree::new(CORE);
    let lib = plain("hello", &[])
        .replace("files: &[]", "files: &[cairn_package::File { name: \"hello\", contents: b\"hello\\n\" }]");
    tree.add_package("hello", &[], &lib, "FROM scratch\nCOPY hello /hello\n");
    let (ok, items) = tree.build(&["--engine", docker, "hello"]);
    assert!(ok, "{items:#?}");
    let digest = statuses(&items)["hello"].1.clone().expect("a digest");
    (tree, digest)
}

/// Runs `command`, asserting success; returns stdout.
fn run_ok(command: &mut std::process::Command) -> String {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?}: {}", support::text(&output.stderr));
    support::text(&output.stdout)
}

/// Runs `openssl` with `args` in `dir`, asserting success.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    run_ok(std::process::Command::new("openssl").args(args).current_dir(dir));
}

/// Waits until something listens on 127.0.0.1:`port`.
fn wait_for_port(port: u16, what: &str) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{what} did not listen on {port}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A CA in `dir` (`NAME.pem`, `NAME.key`), and a certificate it signs for each of
/// `(file stem, subject, extensions)`.
fn certificates(dir: &std::path::Path, ca: &str, issued: &[(&str, &str, &str)]) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let (ca_key, ca_pem) = (format!("{ca}.key"), format!("{ca}.pem"));
    let mut args = vec!["req", "-x509"];
    args.extend_from_slice(&ec);
    let subject = format!("/CN=cairn test CA {ca}");
    args.extend_from_slice(&["-keyout", &ca_key, "-out", &ca_pem, "-subj", &subject, "-days", "2"]);
    openssl(dir, &args);
    for (stem, subject, extensions) in issued {
        let (key, csr, pem, ext) =
            (format!("{stem}.key"), format!("{stem}.csr"), format!("{stem}.pem"), format!("{stem}.ext"));
        std::fs::write(dir.join(&ext), extensions).unwrap();
        let mut args = vec!["req"];
        args.extend_from_slice(&ec);
        args.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", subject]);
        openssl(dir, &args);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
}

/// A directory as DOCKER_CERT_PATH wants it: ca.pem, cert.pem, key.pem.
fn cert_path(dir: &std::path::Path, name: &str, ca: &str, client: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::copy(dir.join(format!("{ca}.pem")), path.join("ca.pem")).unwrap();
    std::fs::copy(dir.join(format!("{client}.pem")), path.join("cert.pem")).unwrap();
    std::fs::copy(dir.join(format!("{client}.key")), path.join("key.pem")).unwrap();
    path
}

/// A TLS endpoint for the engine on `socket`, as `dockerd --tlsverify` makes one: it
/// presents `server` and takes only clients whose certificate `ca` signed.
fn tls_endpoint(d: &std::path::Path, socket: &str, server: &str, ca: &str) -> (support::Process, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = d.join(format!("stunnel-{server}.conf"));
    std::fs::write(
        &conf,
        format!(
            "foreground = yes\npid =\n[engine]\naccept = 127.0.0.1:{port}\nconnect = {socket}\ncert = {0}/{server}.pem\n\
             key = {0}/{server}.key\nCAfile = {0}/{ca}.pem\nverifyChain = yes\nrequireCert = yes\n",
            d.display()
        ),
    )
    .unwrap();
    let stunnel = support::Process::spawn(
        std::process::Command::new("stunnel4")
            .arg(conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    );
    wait_for_port(port, "stunnel");
    (stunnel, format!("tcp://127.0.0.1:{port}"))
}

#[test]
fn an_engine_behind_tls_builds_for_a_client_it_knows_and_strangers_on_either_side_are_refused() {
    if !engine_or_skip() || !support::have(&["openssl", "stunnel4"]) {
        return;
    }
    let docker = docker_endpoint();
    let Some(socket) = docker.strip_prefix("unix://") else {
        eprintln!("test skipped: Docker is not on a unix socket ({docker})");
        return;
    };
    // The engine's certificate from one CA, clients' certificates checked against it; a
    // second CA, "other", issues a stranger's client certificate and an impostor's server
    // certificate.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    certificates(
        d,
        "ca",
        &[("server", "/CN=127.0.0.1", server), ("client", "/CN=maintainer", "extendedKeyUsage=clientAuth\n")],
    );
    certificates(
        d,
        "other",
        &[("stranger", "/CN=stranger", "extendedKeyUsage=clientAuth\n"), ("impostor", "/CN=127.0.0.1", server)],
    );
    let (_engine, endpoint) = tls_endpoint(d, socket, "server", "ca");

    // A package that needs no other image, built once on the socket and once through
    // TLS: the same image either way.
    let (mut tree, direct) = one_file_package(&docker);
    tree.env("DOCKER_TLS_VERIFY", "1");
    let maintainer = cert_path(d, "maintainer", "ca", "client");
    tree.env("DOCKER_CERT_PATH", maintainer.to_str().unwrap());
    let (ok, items) = tree.build(&["--rebuild", "--engine", &endpoint, "hello"]);
    assert!(ok, "{items:#?}");
    assert_eq!(statuses(&items)["hello"], ("built".to_owned(), Some(direct)));
    assert!(engines_of(&items)["hello"].contains(&endpoint), "{items:#?}");

    // A client whose certificate the engine's CA did not sign is turned away by the engine;
    // an engine whose certificate the client's CA did not sign is not talked to.
    tree.env("DOCKER_CERT_PATH", cert_path(d, "stranger", "ca", "stranger").to_str().unwrap());
    let refused = tree.fails(&["build", "--rebuild", "--engine", &endpoint, "hello"]);
    assert!(refused.contains(&format!("the engine at {endpoint} does not answer")), "{refused}");
    tree.env("DOCKER_CERT_PATH", cert_path(d, "impostor", "other", "client").to_str().unwrap());
    let refused = tree.fails(&["build", "--rebuild", "--engine", &endpoint, "hello"]);
    assert!(refused.contains("UnknownIssuer"), "{refused}");
    // An impostor engine whose certificate a CA of the system's store signed (here the
    // store is SSL_CERT_FILE, which the system roots are read from) is refused too: the
    // client trusts ca.pem and nothing else.
    let (_impostor, impostor) = tls_endpoint(d, socket, "impostor", "ca");
    tree.env("DOCKER_CERT_PATH", maintainer.to_str().unwrap());
    tree.env("SSL_CERT_FILE", d.join("other.pem").to_str().unwrap());
    let refused = tree.fails(&["build", "--rebuild", "--engine", &impostor, "hello"]);
    assert!(refused.contains("UnknownIssuer"), "{refused}");
    // Plain HTTP to a TLS port gets nowhere either.
    tree.env("DOCKER_TLS_VERIFY", "");
    tree.fails(&["build", "--rebuild", "--engine", &endpoint, "hello"]);
}

/// An ssh-agent on its own socket holding `key`; killed when dropped.
fn agent(dir: &std::path::Path, name: &str, key: &std::path::Path) -> (support::Process, std::path::PathBuf) {
    let socket = dir.join(format!("{name}.agent"));
    let child = support::Process::spawn(
        std::process::Command::new("ssh-agent").args(["-D", "-a"]).arg(&socket).stdout(std::process::Stdio::null()),
    );
    let started = std::time::Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "ssh-agent did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    run_ok(std::process::Command::new("ssh-add").arg("-q").arg(key).env("SSH_AUTH_SOCK", &socket));
    (child, socket)
}

/// An sshd on a free loopback port with `host_key`, which lets in the keys of
/// `authorized_keys` as root.
fn sshd(d: &std::path::Path, host_key: &str) -> (support::Process, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = d.join(format!("sshd_config-{host_key}"));
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {0}/{host_key}\nAuthorizedKeysFile {0}/authorized_keys\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
             UsePAM no\nStrictModes no\nPidFile none\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let child = support::Process::spawn(
        std::process::Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(config)
            .stderr(std::process::Stdio::null()),
    );
    wait_for_port(port, "sshd");
    (child, port)
}

#[test]
fn an_engine_over_ssh_builds_for_a_key_it_authorizes_and_refuses_another_key_and_an_unknown_host() {
    if !engine_or_skip() || !support::have(&["ssh", "ssh-agent", "ssh-keygen", "/usr/sbin/sshd"]) {
        return;
    }
    if !run_ok(std::process::Command::new("id").arg("-u")).trim().eq("0") {
        eprintln!("test skipped: sshd logs in as root here, so the test needs root");
        return;
    }
    let docker = docker_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for key in ["host", "impostor-host", "maintainer", "stranger"] {
        run_ok(std::process::Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(d.join(key)));
    }
    std::fs::copy(d.join("maintainer.pub"), d.join("authorized_keys")).unwrap();
    let (_sshd, port) = sshd(d, "host");
    let (_impostor, impostor_port) = sshd(d, "impostor-host");
    // The user's ssh configuration for engines: the host's key is known (for the real
    // sshd's port only), and nothing of root's own ~/.ssh is read or written.
    let host_key = std::fs::read_to_string(d.join("host.pub")).unwrap();
    let known_hosts = format!("[127.0.0.1]:{port} {}", host_key.split(' ').take(2).collect::<Vec<_>>().join(" "));
    std::fs::write(d.join("known_hosts"), format!("{known_hosts}\n")).unwrap();
    std::fs::write(
        d.join("ssh_config"),
        format!("Host *\n  UserKnownHostsFile {0}/known_hosts\n  StrictHostKeyChecking no\n", d.display()),
    )
    .unwrap();
    let (_maintainer, maintainer_socket) = agent(d, "maintainer", &d.join("maintainer"));
    let (_stranger, stranger_socket) = agent(d, "stranger", &d.join("stranger"));

    let (mut tree, direct) = one_file_package(&docker);
    tree.env("CAIRN_SSH_CONFIG", d.join("ssh_config").to_str().unwrap());
    let endpoint = format!("ssh://root@127.0.0.1:{port}");
    tree.env("SSH_AUTH_SOCK", maintainer_socket.to_str().unwrap());
    let (ok, items) = tree.build(&["--rebuild", "--engine", &endpoint, "hello"]);
    assert!(ok, "{items:#?}");
    assert_eq!(statuses(&items)["hello"], ("built".to_owned(), Some(direct)));
    assert!(engines_of(&items)["hello"].contains(&endpoint), "{items:#?}");

    // A key the host did not authorize gets nowhere.
    tree.env("SSH_AUTH_SOCK", stranger_socket.to_str().unwrap());
    let refused = tree.fails(&["build", "--rebuild", "--engine", &endpoint, "hello"]);
    assert!(refused.contains(&format!("the engine at {endpoint} does not answer")), "{refused}");
    assert!(refused.contains("Permission denied"), "{refused}");

    // A host whose key is not the known one is not talked to, though the configuration
    // says `StrictHostKeyChecking no` and the maintainer's key would be let in; and its
    // key is not recorded.
    tree.env("SSH_AUTH_SOCK", maintainer_socket.to_str().unwrap());
    let impostor = format!("ssh://root@127.0.0.1:{impostor_port}");
    let refused = tree.fails(&["build", "--rebuild", "--engine", &impostor, "hello"]);
    assert!(refused.contains(&format!("the engine at {impostor} does not answer")), "{refused}");
    assert!(refused.contains("Host key verification failed"), "{refused}");
    assert_eq!(std::fs::read_to_string(d.join("known_hosts")).unwrap(), format!("{known_hosts}\n"));
}

#[test]
fn a_store_that_wants_credentials_gets_them_from_the_pusher_and_the_engine_that_pulls() {
    if !engine_or_skip() {
        return;
    }
    let Some(registry) = support::Registry::start_with(Some(("maintainer", "s3cret"))) else { return };
    let store = format!("127.0.0.1:{}/cairn", registry.port);
    let mut tree = Tree::new(CORE);
    tree.ok(&["build", "bootstrap"]);
    // Without credentials nothing is stored, and the error says where and why.
    let (ok, items) = tree.build(&["--store", &store, "filesystem"]);
    assert!(!ok, "{items:#?}");
    let error = items.iter().find(|i| i["name"] == "filesystem").unwrap()["error"].to_string();
    assert!(error.contains(&format!("storing bootstrap in 127.0.0.1:{}", registry.port)), "{error}");
    // With them, this machine pushes and the engine pulls with the same credentials.
    tree.env("CAIRN_REGISTRY_USER", "maintainer");
    tree.env("CAIRN_REGISTRY_PASSWORD", "s3cret");
    let (ok, items) = tree.build(&["--store", &store, "filesystem"]);
    assert!(ok, "{items:#?}");
    assert_eq!(statuses(&items)["filesystem"], ("built".to_owned(), committed().get("filesystem").cloned()));
}

#[test]
fn with_a_store_podman_pulls_the_dependencies_too_and_gets_the_same_image() {
    if !engine_or_skip() {
        return;
    }
    let Some(registry) = support::Registry::start_with(Some(("maintainer", "s3cret"))) else { return };
    let host = format!("127.0.0.1:{}", registry.port);
    let store = format!("{host}/cairn");
    // Podman speaks HTTPS to any registry that registries.conf does not call insecure.
    let Some(podman) = Podman::start() else { return };
    let mut tree = Tree::new(CORE);
    tree.env("CAIRN_REGISTRY_USER", "maintainer");
    tree.env("CAIRN_REGISTRY_PASSWORD", "s3cret");
    tree.ok(&["build", "bootstrap"]);
    let (ok, items) = tree.build(&["--store", &store, "--engine", &podman.endpoint, "filesystem"]);
    assert!(!ok, "{items:#?}");
    let error = items.iter().find(|i| i["name"] == "filesystem").unwrap()["error"].to_string();
    assert!(error.contains("registries.conf"), "{error}");
    drop(podman);
    let Some(podman) = Podman::start_with(&[&host]) else { return };
    let (ok, items) = tree.build(&["--store", &store, "--engine", &podman.endpoint, "filesystem"]);
    assert!(ok, "{items:#?}");
    assert_eq!(statuses(&items)["filesystem"], ("built".to_owned(), committed().get("filesystem").cloned()));
    assert!(engines_of(&items)["filesystem"].contains(&podman.endpoint), "{items:#?}");
}

#[test]
fn with_a_store_dependencies_reach_the_engine_through_the_registry() {
    if !engine_or_skip() || !support::have(&["skopeo"]) {
        return;
    }
    let Some(registry) = support::Registry::start() else { return };
    let store = format!("127.0.0.1:{}/cairn", registry.port);
    let tree = Tree::new(CORE);
    // bootstrap is laid out here; filesystem, built on it in the engine, gets it from the
    // registry, where this run put it by digest, and still has the recorded digest.
    tree.ok(&["build", "bootstrap"]);
    let (ok, items) = tree.build(&["--store", &store, "filesystem"]);
    assert!(ok, "{items:#?}");
    let committed = committed();
    assert_eq!(statuses(&items)["filesystem"], ("built".to_owned(), committed.get("filesystem").cloned()));
    let inspect = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{store}/bootstrap@{}", committed["bootstrap"]))
        .output()
        .unwrap();
    assert!(inspect.status.success(), "the store holds bootstrap by digest: {}", support::text(&inspect.stderr));
    // A store that does not answer fails the package, naming the store.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::remove_dir_all(tree.out("filesystem")).unwrap();
    let (ok, items) = tree.build(&["--store", &format!("127.0.0.1:{dead}/cairn"), "filesystem"]);
    assert!(!ok, "{items:#?}");
    let error = items.iter().find(|i| i["name"] == "filesystem").unwrap()["error"].to_string();
    assert!(error.contains(&format!("storing bootstrap in 127.0.0.1:{dead}")), "{error}");
}

/// The files of a built layer: path -> contents.
fn layer_files(tree: &Tree, name: &str) -> BTreeMap<String, Vec<u8>> {
    let gz = std::fs::File::open(tree.out(&format!("{name}.tgz"))).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        files.insert(path, bytes);
    }
    files
}

#[test]
fn cpus_varies_the_builder_and_an_image_that_records_it_shows_it() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["filesystem"]);
    // A probe that writes what `nproc` says into its image: one image per core count.
    tree.add_package(
        "cores",
        &["bootstrap"],
        &plain("cores", &["bootstrap"]),
        "FROM cairn/bootstrap AS build\nRUN mkdir -p /rootfs && nproc > /rootfs/nproc\n\
         FROM scratch\nCOPY --from=build /rootfs/ /\n",
    );
    let mut digests = Vec::new();
    for cpus in ["1", "2"] {
        let (ok, items) = tree.build(&["--rebuild", "--cpus", cpus, "cores", "filesystem"]);
        assert!(ok, "{items:#?}");
        let got = statuses(&items);
        assert_eq!(layer_files(&tree, "cores")["nproc"], format!("{cpus}\n").into_bytes(), "nproc saw {cpus}");
        // A package that does not record the machine gives its recorded image either way.
        assert_eq!(got["filesystem"].1, Some(tree.recorded_digest("filesystem")), "{items:#?}");
        digests.push(got["cores"].1.clone().unwrap());
    }
    assert_ne!(digests[0], digests[1], "the probe records the core count");

    // On Podman too (with every core, as CI's Podman reproduce, and with one).
    if let Some(podman) = Podman::start() {
        let (ok, items) = tree.build(&["--rebuild", "--cpus", "1", "--engine", &podman.endpoint, "cores"]);
        assert!(ok, "{items:#?}");
        assert_eq!(layer_files(&tree, "cores")["nproc"], b"1\n", "nproc saw 1 on Podman");
    }

    // More CPUs than the machine has: refused before anything runs.
    let more = (std::thread::available_parallelism().unwrap().get() + 1).to_string();
    let output = tree.xtask(&["build", "--cpus", &more, "cores"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::text(&output.stderr);
    assert!(stderr.contains(&format!("--cpus {more}: this machine has")), "{stderr}");
    assert_eq!(tree.xtask(&["build", "--cpus", "0", "cores"]).status.code(), Some(2));
}

#[test]
fn an_image_that_holds_the_build_machine_fails_its_build_naming_the_file() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["filesystem"]);
    let probe = |name: &str, line: &str| {
        tree.add_package(
            name,
            &["bootstrap"],
            &plain(name, &["bootstrap"]),
            &format!(
                "FROM cairn/bootstrap AS build\nRUN mkdir -p /rootfs/etc && echo probe > /rootfs/etc/probe{line}\n\
                 FROM scratch\nCOPY --from=build /rootfs/ /\n"
            ),
        );
    };
    // The kernel's release, and the CPU's model name where this machine's is distinctive.
    probe("kernel", " && uname -r > /rootfs/etc/built-on");
    probe("cpu", " && grep -m1 'model name' /proc/cpuinfo > /rootfs/etc/cpu");
    probe("clean", "");
    // The host name of the step's own container, as Docker names it, and a link left
    // pointing into the staging root.
    probe("stephost", " && hostname > /rootfs/etc/host");
    probe("staged", " && ln -s /rootfs/etc/probe /rootfs/etc/link");
    let (ok, items) = tree.build(&["kernel", "cpu", "clean", "stephost", "staged"]);
    assert!(!ok, "a leak fails the build: {items:#?}");
    let got = statuses(&items);
    assert_eq!(got["kernel"].0, "failed", "{items:#?}");
    assert_eq!(got["clean"].0, "built", "the same probe without the line builds: {items:#?}");
    let error =
        |name: &str| items.iter().find(|i| i["name"] == name).unwrap()["error"].as_str().unwrap_or_default().to_owned();
    let kernel = String::from_utf8(std::process::Command::new("uname").arg("-r").output().unwrap().stdout).unwrap();
    let failure = error("kernel");
    assert!(
        failure.contains(&format!(
            "etc/built-on holds the kernel release of the machine that built it: `{}`",
            kernel.trim()
        )),
        "{failure}"
    );
    assert!(failure.contains("allow: &[Allow"), "the error says how to allow it: {failure}");
    let failure = error("staged");
    assert!(failure.contains("etc/link is a link into the build's staging root: `/rootfs/etc/probe`"), "{failure}");
    let engine = items.iter().find(|i| i["name"] == "clean").unwrap()["engine"].as_str().unwrap_or_default().to_owned();
    // Docker names each step's container ("Running in <id>"); Podman does not say.
    if engine.starts_with("Docker") {
        assert!(error("stephost").contains("etc/host holds a build step's host name"), "{}", error("stephost"));
    }
    assert!(!tree.out("kernel").exists(), "nothing of a failed image is written");
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_default();
    if model.len() >= 8 {
        assert_eq!(got["cpu"].0, "failed", "{items:#?}");
        assert!(error("cpu").contains("etc/cpu holds the CPU model"), "{}", error("cpu"));
    } else {
        eprintln!("this machine's CPU model `{model}` is too short to search for: the cpu probe is not judged");
    }

    // Allowed by its crate, with the reason, the kernel probe builds.
    let lib = std::fs::read_to_string(tree.root.join("pkgs/kernel/src/lib.rs")).unwrap().replace(
        "allow: &[]",
        "allow: &[cairn_package::Allow { file: \"etc/built-on\", reason: \"a test that records the build machine\" }]",
    );
    std::fs::write(tree.root.join("pkgs/kernel/src/lib.rs"), lib).unwrap();
    let (ok, items) = tree.build(&["kernel"]);
    assert!(ok, "{items:#?}");
}

#[test]
fn a_podman_whose_containers_conf_changes_the_umask_is_refused_with_the_fix() {
    if std::process::Command::new("podman").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must run the Podman tests: podman is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (socket, conf) = (dir.path().join("podman.sock"), dir.path().join("containers.conf"));
    std::fs::write(
        &conf,
        "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n\n\
         [containers]\numask = \"0077\"\n",
    )
    .unwrap();
    let _service = support::Process::spawn(
        std::process::Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .env("CONTAINERS_CONF", &conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    );
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut tree = Tree::new(&["filesystem"]);
    tree.env("CONTAINERS_CONF", conf.to_str().unwrap());
    let endpoint = format!("unix://{}", socket.display());
    let (ok, items) = tree.build(&["--engine", &endpoint, "filesystem"]);
    assert!(!ok, "{items:#?}");
    let failed = items.iter().find(|i| i["name"] == "filesystem").unwrap();
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("sets umask = \"0077\"") && error.contains("set umask = \"0022\""), "{error}");
    assert!(!tree.out("filesystem").exists());
}

/// `manifest/times.toml` with these seconds (2 CPUs) and nothing else.
fn write_times(tree: &Tree, times: &[(&str, u64)]) {
    let text: String = times.iter().map(|(name, seconds)| format!("[{name}]\n2 = {seconds}\n")).collect();
    std::fs::write(tree.root.join("manifest/times.toml"), text).unwrap();
}

#[test]
fn the_longest_remaining_path_starts_first_whatever_the_names_and_plan_says_so() {
    if !engine_or_skip() {
        return;
    }
    // After bootstrap, one at a time: a-short (first by name, alone) or b-long, which
    // c-after waits for.
    let tree = Tree::new(&["bootstrap/toolchain"]);
    for name in ["a-short", "b-long"] {
        tree.add_package(
            name,
            &["bootstrap"],
            &plain(name, &["bootstrap"]),
            &format!(
                "FROM cairn/bootstrap AS build\nRUN echo {name} > /{name}\nFROM scratch\nCOPY --from=build /{name} /\n"
            ),
        );
    }
    tree.add_package(
        "c-after",
        &["b-long"],
        &plain("c-after", &["b-long"]),
        "FROM cairn/b-long AS before\nFROM scratch\nCOPY --from=before /b-long /c-after\n",
    );
    let started = |items: &[serde_json::Value], name: &str| -> f64 {
        let item = items.iter().find(|i| i["name"] == name).unwrap();
        assert_eq!(item["status"], "built", "{item}");
        item["started"].as_f64().unwrap_or_else(|| panic!("{name} has no start: {item}"))
    };
    let targets = ["-j", "1", "--rebuild", "a-short", "c-after"];

    write_times(&tree, &[("bootstrap", 10), ("a-short", 5), ("b-long", 50), ("c-after", 40)]);
    let (ok, items) = tree.build(&targets);
    assert!(ok, "{items:#?}");
    assert!(started(&items, "b-long") < started(&items, "a-short"), "the long chain goes first: {items:#?}");
    // Each build's time is recorded, with its version and the CPUs it saw; one at a time,
    // it is the wall time the build reports.
    let recorded: toml::Table =
        toml::from_str(&std::fs::read_to_string(tree.root.join("manifest/times.toml")).unwrap()).unwrap();
    for name in ["bootstrap", "a-short", "b-long", "c-after"] {
        let item = items.iter().find(|i| i["name"] == name).unwrap();
        let cpus = item["machine"]["cpus"].as_u64().unwrap();
        let wall = item["seconds"].as_f64().unwrap();
        let seconds = recorded[name][&cpus.to_string()].as_integer().unwrap() as f64;
        assert!((seconds - wall.max(1.0)).abs() <= 1.0, "{name}: {seconds} recorded, {wall} built: {recorded}");
        assert_eq!(recorded[name]["version"].as_str(), Some(if name == "bootstrap" { "bookworm" } else { "1" }));
    }

    // The same tree with a-short the longer: a-short goes first.
    write_times(&tree, &[("bootstrap", 10), ("a-short", 500), ("b-long", 50), ("c-after", 40)]);
    let (ok, items) = tree.build(&targets);
    assert!(ok, "{items:#?}");
    assert!(started(&items, "a-short") < started(&items, "b-long"), "{items:#?}");

    // plan: the same order and the critical path from the times, for one engine or two;
    // a package with no time is named.
    write_times(&tree, &[("bootstrap", 10), ("a-short", 5), ("b-long", 50), ("c-after", 40)]);
    let plan = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["plan", "--json", "--cpus", "2", "a-short", "c-after"];
        all.extend_from_slice(args);
        serde_json::from_str(&tree.ok(&all)).unwrap()
    };
    let up_to_date = plan(&[]);
    assert_eq!(
        (up_to_date["to_build"].as_u64(), up_to_date["predicted_wall"]["seconds"].as_f64()),
        (Some(0), Some(0.0))
    );
    let one = plan(&["--rebuild", "-j", "1"]);
    let names = |path: &serde_json::Value| -> Vec<String> {
        path.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&one["critical_path"]["packages"]), ["bootstrap", "b-long", "c-after"], "{one:#}");
    assert_eq!(one["critical_path"]["seconds"], 100.0);
    assert_eq!(one["predicted_wall"]["seconds"], 105.0, "one at a time: every time added up");
    assert_eq!(names(&one["schedule"]), ["bootstrap", "b-long", "c-after", "a-short"]);
    let two = plan(&["--rebuild", "--engines", "2"]);
    assert_eq!(two["predicted_wall"]["seconds"], 100.0, "two engines: the critical path: {two:#}");
    write_times(&tree, &[("bootstrap", 10), ("b-long", 50), ("c-after", 40)]);
    assert_eq!(plan(&["--rebuild"])["no_recorded_time"], serde_json::json!(["a-short"]));
}
