//! LLVM's libunwind 19.1.7, shared and static, with its headers: the unwinder Rust's
//! standard library links on musl. Built by our gcc from LLVM's own tarball, with
//! LLVM's runtimes build (cmake, ninja, python); it needs no LLVM library.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "libunwind",
    version: "19.1.7",
    license: "Apache-2.0 WITH LLVM-exception",
    sources: &[llvm::LLVM_PROJECT],
    deps: &[
        &toolchain::PACKAGE,
        &cmake::PACKAGE,
        &ninja::PACKAGE,
        &python::PACKAGE,
        &zlib::PACKAGE,
        &bzip2::PACKAGE,
        &xz::PACKAGE,
        &openssl::PACKAGE,
        &libffi::PACKAGE,
    ],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
