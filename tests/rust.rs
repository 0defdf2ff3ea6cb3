//! The Rust chain's seeds, used as the chain uses them: stacked under a shell, each builds
//! a program with its own rustc and cargo, with no network, and runs it.
//!
//! Seed A is Debian's rustc 1.85.1, laid out from Debian's binary packages: quick, so the
//! test runs by default. It is stacked on `bootstrap` here for its busybox shell (the
//! chain stacks it on our toolchain instead; neither image's programs replace the other's).

mod support;

use support::{engine_or_skip, here, statuses, Tree};

#[test]
fn the_debian_seed_has_its_recorded_digest_and_builds_and_runs_programs() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["bootstrap/toolchain", "bootstrap/rust-seed-debian"]);
    let (ok, items) = tree.build(&["bootstrap", "rust-seed-debian"]);
    assert!(ok, "the seed lays out: {items:#?}");
    let (status, digest) = &statuses(&items)["rust-seed-debian"];
    assert_eq!(status, "built");
    let committed = std::fs::read_to_string(here().join("manifest/packages/rust-seed-debian.toml")).unwrap();
    let committed: toml::Table = toml::from_str(&committed).unwrap();
    assert_eq!(digest.as_deref(), committed["digest"].as_str(), "the digest manifest/ records");

    // Debian's gcc 14 links for the seed's own platform under its prefixed name only.
    let script = "set -e; export HOME=/tmp; cd /tmp; rustc -V; \
                  printf 'fn main() { println!(\"{} says hi\", option_env!(\"CARGO_PKG_NAME\").unwrap_or(\"rustc\")); }\\n' > hi.rs; \
                  rustc -O -C linker=x86_64-linux-gnu-gcc-14 hi.rs -o hi && ./hi; \
                  cargo new -q --vcs none greeter && cd greeter; \
                  printf 'fn main() { println!(\"{} says hi\", env!(\"CARGO_PKG_NAME\")); }\\n' > src/main.rs; \
                  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc-14 cargo build -q --offline --release; \
                  ./target/release/greeter";
    let run = tree.xtask(&["run", "bootstrap", "rust-seed-debian", "--", "sh", "-c", script]);
    assert_eq!(
        support::text(&run.stdout),
        "rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)\nrustc says hi\ngreeter says hi\n",
        "{}",
        support::text(&run.stderr)
    );
}
