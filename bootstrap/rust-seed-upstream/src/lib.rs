//! Seed B of the Rust chain: the Rust project's own release of rustc, rust-std and cargo
//! 1.84.0 for `x86_64-unknown-linux-gnu`, as its CI built them (rustc with its LLVM linked
//! in, cargo with its TLS and git libraries). Debian keeps the three release tarballs,
//! unchanged, in the stage0 bundle of its `rustc-web` source package (`2025-01-09/` of
//! `rustc-web_1.85.0+dfsg3.orig-stage0.tar.xz`, 883 MB, pinned here too); each is taken
//! from the bundle by its own sha256, which is the one the Rust project publishes.
//! Installed under /usr/lib/rust-1.84.0 as their `install.sh --prefix` would place them,
//! with rustc, cargo and rustdoc linked from /usr/bin, on the same platform as seed A
//! (glibc 2.41, gcc 14 and binutils 2.44 from Debian trixie), so that the two seeds offer
//! the same programs at the same paths and one chain's recipes build the other's with
//! only the seed replaced.
//!
//! Not under /usr itself: these programs look for their libraries in `$ORIGIN/../lib`
//! first, and a stage puts the seed's /usr/lib beside our musl libraries, where the
//! glibc loader would take musl's libz.so.1 for their libLLVM and fail on musl's libc.so.
//! In a directory of its own, `../lib` holds the seed's libraries alone. rustc finds its
//! sysroot from where its library is, /usr/lib/rust-1.84.0.

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "rust-seed-upstream",
    version: "1.84.0",
    license: "(MIT OR Apache-2.0) AND GPL-3.0-or-later WITH GCC-exception-3.1 AND LGPL-2.1-or-later",
    sources: rust_seed_debian::gnu_seed!(RUSTC, RUST_STD, CARGO),
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(ROOTFS),
};

/// The directory under /usr/lib that the three release tarballs are installed in.
macro_rules! release {
    () => {
        "rust-1.84.0"
    };
}

/// Seed A's rootfs additions, and the release installed under a prefix of its own.
const ROOTFS: Rootfs = Rootfs {
    installer_prefix: Some(concat!("usr/lib/", release!())),
    links: &[
        ("lib64", "usr/lib64"),
        ("lib/x86_64-linux-gnu", "../usr/lib/x86_64-linux-gnu"),
        ("usr/bin/rustc", concat!("../lib/", release!(), "/bin/rustc")),
        ("usr/bin/rustdoc", concat!("../lib/", release!(), "/bin/rustdoc")),
        ("usr/bin/cargo", concat!("../lib/", release!(), "/bin/cargo")),
    ],
    ..rust_seed_debian::ROOTFS
};

/// Debian's copy of the Rust project's stage0 downloads for rustc 1.85.0.
const STAGE0: Source = Source {
    file: "rustc-web_1.85.0+dfsg3.orig-stage0.tar.xz",
    sha256: Sha256::hex("03fcf88611ca49857db56ebebd8c754e946f18bdf42e1fe4e7f9a3b949d01bad"),
    locations: &[Location::DebianPool("pool/main/r/rustc-web/rustc-web_1.85.0+dfsg3.orig-stage0.tar.xz")],
    note: "a bundle Debian made of the Rust project's release tarballs that rustc 1.85.0's build downloads \
           (src/stage0), for every architecture Debian builds for, in one directory per release date",
};

const RUSTC: Source = Source {
    file: "rustc-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    sha256: Sha256::hex("a1737d86f80b31a6d48a6726726275dc068ecb930c9635b13aa59999486de837"),
    locations: &[Location::Member {
        archive: &STAGE0,
        path: "2025-01-09/rustc-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    }],
    note: "",
};

const RUST_STD: Source = Source {
    file: "rust-std-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    sha256: Sha256::hex("770237080b9310d126350c3bd70820bd91064c2e96c29ab5f2e002b31b5bd067"),
    locations: &[Location::Member {
        archive: &STAGE0,
        path: "2025-01-09/rust-std-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    }],
    note: "",
};

const CARGO: Source = Source {
    file: "cargo-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    sha256: Sha256::hex("6c2371488db92a09cd50a1b4045c022f3cf2c643285b3b21105ab5f9b64fd6b6"),
    locations: &[Location::Member {
        archive: &STAGE0,
        path: "2025-01-09/cargo-1.84.0-x86_64-unknown-linux-gnu.tar.xz",
    }],
    note: "",
};
