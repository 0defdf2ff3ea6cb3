//! The Rust chain's seeds, used as the chain uses them: stacked under a shell, each builds
//! a program with its own rustc and cargo, with no network, and runs it.
//!
//! Seed A is Debian's rustc 1.85.1, seed B the Rust project's 1.84.0, both laid out
//! without an engine from pinned files: quick, so the test runs by default. They are
//! stacked on `bootstrap` here for its busybox shell (the chain stacks them on our
//! toolchain instead; neither image's programs replace the other's).

mod support;

use support::{engine_or_skip, here, recorded_digest, statuses, Tree};

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
        assert_eq!(
            digest.as_deref(),
            recorded_digest(&here(), seed).as_deref(),
            "{seed} has the digest manifest/ records"
        );
    }

    // gcc 14 links for the seeds' own platform under its prefixed name only. A stage puts
    // our musl libraries in /usr/lib, libz.so.1 among them, which no glibc program may
    // load (seed B's libLLVM did, through its $ORIGIN/../lib): a file that is no library
    // at all stands in for it here.
    let script = "set -e; export HOME=/tmp; cd /tmp; echo 'not a glibc library' > /usr/lib/libz.so.1; rustc -V; \
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

/// In build order: seed A's chain.
const CHAIN: &[&str] = &["llvm-objects", "llvm", "libunwind", "rust-source", "rust-stage1", "rust"];

/// Seed A's chain end to end, to the digests manifest/ records, and the rust image used as
/// a user would: a program with std alone, and one with a vendored crate (taken from the
/// rust-source tree's vendor/), each built with `cargo build --offline` and run.
///
/// LLVM and two rustc builds take hours on 2 cores, so the test is ignored by default:
/// `cargo test --test rust -- --ignored`. With `CAIRN_CHAIN_FROM=DIR`, an `out/` holding
/// some of these images (and those they are built from), those layouts are copied in and
/// only the rest is built.
#[test]
#[ignore = "builds LLVM and rustc twice: hours on 2 cores"]
fn the_rust_chain_builds_to_the_recorded_digests_and_builds_programs() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["rust"]);
    tree.take_built_from_env(&["rust"]);
    let (ok, items) = tree.build(&["rust"]);
    assert!(ok, "the Rust chain builds: {items:#?}");
    let got = statuses(&items);
    for name in CHAIN {
        let (status, built) = &got[*name];
        assert!(status == "built" || status == "up to date", "{name}: {status}");
        assert_eq!(
            built.as_deref(),
            recorded_digest(&here(), name).as_deref(),
            "{name} has the digest manifest/ records"
        );
    }

    let script = "set -e; export HOME=/tmp CARGO_HOME=/tmp/cargo; cd /tmp; rustc -V; cargo -V | cut -d' ' -f1-2; \
                  cargo new -q --vcs none hello && cd hello; \
                  printf 'fn main() { println!(\"hello from {}\", env!(\"CARGO_PKG_NAME\")); }\\n' > src/main.rs; \
                  cargo build -q --offline --release && ./target/release/hello; \
                  cd /tmp && cargo new -q --vcs none digits && cd digits && echo 'itoa = \"=1.0.14\"' >> Cargo.toml; \
                  mkdir .cargo && printf '[source.crates-io]\\nreplace-with = \"vendored\"\\n[source.vendored]\\ndirectory = \"/usr/src/rustc-1.85.1-src/vendor\"\\n' > .cargo/config.toml; \
                  printf 'fn main() { println!(\"{} from a vendored crate\", itoa::Buffer::new().format(42u64)); }\\n' > src/main.rs; \
                  cargo build -q --offline --release && ./target/release/digits";
    let run = tree.xtask(&["run", "rust", "rust-source", "--", "sh", "-c", script]);
    assert_eq!(
        support::text(&run.stdout),
        "rustc 1.85.1 (4eb161250 2025-03-15) (cairn)\ncargo 1.85.1\nhello from hello\n42 from a vendored crate\n",
        "{}",
        support::text(&run.stderr)
    );
}
