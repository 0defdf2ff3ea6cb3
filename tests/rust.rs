//! The Rust chain's seeds, used as the chain uses them: stacked under a shell, each builds
//! a program with its own rustc and cargo, with no network, and runs it.
//!
//! Seed A is Debian's rustc 1.85.1, seed B the Rust project's 1.84.0, both laid out
//! without an engine from pinned files: quick, so the test runs by default. They are
//! stacked on `bootstrap` here for its busybox shell (the chain stacks them on our
//! toolchain instead; neither image's programs replace the other's).

mod support;

use support::{engine_or_skip, here, statuses, Tree};

fn committed(name: &str) -> String {
    let text = std::fs::read_to_string(here().join("manifest/packages").join(format!("{name}.toml"))).unwrap();
    let entry: toml::Table = toml::from_str(&text).unwrap();
    entry["digest"].as_str().unwrap().to_owned()
}

#[test]
fn both_seeds_have_their_recorded_digests_and_build_and_run_programs() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["bootstrap/toolchain", "bootstrap/rust-seed-debian", "bootstrap/rust-seed-upstream"]);
    let (ok, items) = tree.build(&["bootstrap", "rust-seed-debian", "rust-seed-upstream"]);
    assert!(ok, "the seeds lay out: {items:#?}");
    let got = statuses(&items);
    for seed in ["rust-seed-debian", "rust-seed-upstream"] {
        let (status, digest) = &got[seed];
        assert_eq!(status, "built", "{seed}");
        assert_eq!(digest.as_deref(), Some(committed(seed).as_str()), "{seed} has the digest manifest/ records");
    }

    // gcc 14 links for the seeds' own platform under its prefixed name only.
    let script = "set -e; export HOME=/tmp; cd /tmp; rustc -V; \
                  printf 'fn main() { println!(\"{} says hi\", option_env!(\"CARGO_PKG_NAME\").unwrap_or(\"rustc\")); }\\n' > hi.rs; \
                  rustc -O -C linker=x86_64-linux-gnu-gcc-14 hi.rs -o hi && ./hi; \
                  cargo new -q --vcs none greeter && cd greeter; \
                  printf 'fn main() { println!(\"{} says hi\", env!(\"CARGO_PKG_NAME\")); }\\n' > src/main.rs; \
                  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc-14 cargo build -q --offline --release; \
                  ./target/release/greeter";
    for (seed, version) in [
        ("rust-seed-debian", "rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)"),
        ("rust-seed-upstream", "rustc 1.84.0 (9fc6b4312 2025-01-07)"),
    ] {
        let run = tree.xtask(&["run", "bootstrap", seed, "--", "sh", "-c", script]);
        assert_eq!(
            support::text(&run.stdout),
            format!("{version}\nrustc says hi\ngreeter says hi\n"),
            "{seed}: {}",
            support::text(&run.stderr)
        );
    }
}
