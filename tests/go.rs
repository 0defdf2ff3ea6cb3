//! The Go chain end to end: gccgo, then go 1.21, 1.23, 1.24 and 1.27 built to the digests
//! manifest/ records, each image holding the files listed in the snapshots beside this
//! test, and the last one used as a user would: `go version` through `cargo xtask run`,
//! and a program with a vendored module built and run with no network (with cgo too,
//! by the toolchain's gcc).
//!
//! From the toolchain this takes well over an hour on 2 cores, so the test is ignored by
//! default: `cargo test --test go -- --ignored`. With `CAIRN_CHAIN_FROM=DIR`, an `out/`
//! holding some of these images (and those they are built from), those layouts are
//! copied in and only the rest is built.

mod support;

use support::{engine_or_skip, here, recorded_digest, statuses, Tree};

/// In build order.
const CHAIN: &[&str] = &["gccgo", "go-1-21", "go-1-23", "go-1-24", "go"];

#[test]
#[ignore = "builds gccgo and four Go releases: well over an hour on 2 cores"]
fn the_go_chain_builds_to_the_recorded_digests_and_builds_programs() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["go", "toolchain"]);
    tree.take_built_from_env(&["go"]);
    let (ok, items) = tree.build(&["go"]);
    assert!(ok, "the Go chain builds: {items:#?}");
    let got = statuses(&items);
    for name in CHAIN {
        let (status, built) = &got[*name];
        assert!(status == "built" || status == "up to date", "{name}: {status}");
        if let Some(digest) = recorded_digest(&here(), name) {
            assert_eq!(built.as_deref(), Some(digest.as_str()), "{name} has the digest manifest/ records");
        }
        insta::assert_snapshot!(format!("files_of_{name}"), tree.ok(&["files", name]));
    }

    let version = tree.xtask(&["run", "go", "--", "go", "version"]);
    assert_eq!(
        support::text(&version.stdout),
        "go version go1.27.1 linux/amd64\n",
        "{}",
        support::text(&version.stderr)
    );

    // A module whose dependency is vendored: nothing is fetched (go.env says GOPROXY=off,
    // and the run has no network). Then the same with cgo, which the go command turns on
    // by itself when it finds a C compiler, as upstream's releases do.
    let script = "set -e; export HOME=/tmp GOCACHE=/tmp/go-cache; mkdir -p /tmp/m/vendor/example.com/greet && cd /tmp/m; \
                  printf 'module example.com/hello\\n\\ngo 1.21\\n\\nrequire example.com/greet v1.0.0\\n' > go.mod; \
                  printf '# example.com/greet v1.0.0\\n## explicit\\nexample.com/greet\\n' > vendor/modules.txt; \
                  printf 'package greet\\n\\nfunc Hello() string { return \"hello from a vendored module\" }\\n' > vendor/example.com/greet/greet.go; \
                  printf 'package main\\n\\nimport (\\n\\t\"fmt\"\\n\\n\\t\"example.com/greet\"\\n)\\n\\nfunc main() { fmt.Println(greet.Hello()) }\\n' > main.go; \
                  go build -o hello . && ./hello; go env CGO_ENABLED; \
                  mkdir -p /tmp/c && cd /tmp/c && printf 'module example.com/c\\n\\ngo 1.21\\n' > go.mod; \
                  printf 'package main\\n\\n// int twice(int x) { return 2 * x; }\\nimport \"C\"\\nimport \"fmt\"\\n\\nfunc main() { fmt.Println(\"cgo says\", C.twice(21)) }\\n' > main.go; \
                  go build -o c . && ./c";
    let run = tree.xtask(&["run", "toolchain", "go", "--", "sh", "-c", script]);
    assert_eq!(
        support::text(&run.stdout),
        "hello from a vendored module\n1\ncgo says 42\n",
        "{}",
        support::text(&run.stderr)
    );
}
