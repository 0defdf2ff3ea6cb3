//! pkgs/rust-stage1's recipe with seed B, the Rust project's rustc 1.84.0, in place of
//! Debian's 1.85.1: the stage-1 rustc of the second Rust chain. Compiled by another
//! compiler, its bytes differ from rust-stage1's; `rust-upstream`, which it builds, must
//! not differ from `rust`.

use cairn_package::{Expect, Package, Rebuild, Recipe};

pub static PACKAGE: Package = Package {
    name: "rust-stage1-upstream",
    version: rust_stage1::PACKAGE.version,
    license: rust_stage1::PACKAGE.license,
    sources: rust_stage1::PACKAGE.sources,
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
        &rust_seed_upstream::PACKAGE,
        &rust_source::PACKAGE,
    ],
    runtime: rust_stage1::PACKAGE.runtime,
    files: rust_stage1::PACKAGE.files,
    allow: &[],
    recipe: Recipe::Rebuild(Rebuild {
        of: &rust_stage1::PACKAGE,
        replace: &[(&rust_seed_debian::PACKAGE, &rust_seed_upstream::PACKAGE)],
        expect: Expect::Stage,
    }),
};
