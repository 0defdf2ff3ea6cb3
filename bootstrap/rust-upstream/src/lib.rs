//! pkgs/rust's recipe on `rust-stage1-upstream`, the stage 1 that seed B (the Rust
//! project's rustc 1.84.0) compiled: the end of the second Rust chain. Its image must be
//! `rust`'s, bit for bit; `cargo xtask bootstrap prove --rust` checks that.

use cairn_package::{Expect, Package, Rebuild, Recipe};

pub static PACKAGE: Package = Package {
    name: "rust-upstream",
    version: rust::PACKAGE.version,
    license: rust::PACKAGE.license,
    sources: rust::PACKAGE.sources,
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
        &rust_stage1_upstream::PACKAGE,
        &rust_source::PACKAGE,
    ],
    runtime: rust::PACKAGE.runtime,
    files: rust::PACKAGE.files,
    allow: &[],
    recipe: Recipe::Rebuild(Rebuild {
        of: &rust::PACKAGE,
        replace: &[(&rust_stage1::PACKAGE, &rust_stage1_upstream::PACKAGE)],
        expect: Expect::Same { proof: "rust" },
    }),
};
