//! Rust 1.85.1 for `x86_64-unknown-linux-musl`: rustc, its standard library and cargo,
//! compiled from [`rust_source`] by `rust-stage1`'s rustc (a local rebuild), the standard
//! library then compiled by this rustc itself. Installed under /usr; rustc links our
//! libLLVM and uses the toolchain's gcc as its linker, std links libunwind.
//!
//! Two chains build it from independent seeds: this one from Debian's rustc, the
//! `rust-upstream` rebuild from the Rust project's release; both must give this image
//! (`cargo xtask bootstrap prove --rust`).

use cairn_package::{File, Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "rust",
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
        &rust_stage1::PACKAGE,
        &rust_source::PACKAGE,
    ],
    runtime: rust_stage1::PACKAGE.runtime,
    files: &[rust_stage1::CONFIG, rust_stage1::BUILD_SH, SYSROOT],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// Run before build.sh: stage 1's rustc and cargo compile std again for stage 1's sysroot,
/// so that no hash the seed's cargo computed reaches this image.
pub const SYSROOT: File = File { name: "sysroot.sh", contents: include_bytes!("../sysroot.sh") };
