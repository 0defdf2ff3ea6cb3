//! Stage 1 of the Rust chain: rustc 1.85.1 for `x86_64-unknown-linux-musl`, compiled from
//! [`rust_source`] by seed A (Debian's rustc 1.85.1, a glibc program), with the standard
//! library that this rustc compiled itself and a cargo 1.85.1 that the seed compiled. It
//! links our LLVM and libunwind. Its bytes depend on the seed; what it does must not: the
//! next stage, `rust`, is built by it and must come out the same from either seed.
//! `rust-stage1-upstream` is this recipe with seed B.

use cairn_package::{File, Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "rust-stage1",
    version: "1.85.1",
    license: "(MIT OR Apache-2.0) AND Apache-2.0 WITH LLVM-exception",
    sources: &[],
    deps: &[
        &toolchain::PACKAGE,
        &zlib::PACKAGE,
        &bzip2::PACKAGE,
        &xz::PACKAGE,
        &openssl::PACKAGE,
        &libffi::PACKAGE,
        &python::PACKAGE,
        &pkgconf::PACKAGE,
        &llvm::PACKAGE,
        &libunwind::PACKAGE,
        &rust_seed_debian::PACKAGE,
        &rust_source::PACKAGE,
    ],
    // rustc loads libLLVM (which loads gcc's libstdc++ from the toolchain, and zlib), std
    // loads libunwind, cargo OpenSSL and zlib.
    runtime: &[&toolchain::PACKAGE, &llvm::PACKAGE, &zlib::PACKAGE, &openssl::PACKAGE, &libunwind::PACKAGE],
    files: &[CONFIG, BUILD_SH],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// x.py's configuration, the same for every stage: see the file's own comments.
pub const CONFIG: File = File { name: "config.toml", contents: include_bytes!("../config.toml") };

/// The part of a stage's recipe that every stage shares: x.py's builds, the install
/// under /rootfs/usr and its checks.
pub const BUILD_SH: File = File { name: "build.sh", contents: include_bytes!("../build.sh") };
