//! LLVM 19.1.7: the libraries, the shared libLLVM that every tool links, the tools and
//! the utilities (FileCheck and the like), for the X86 target alone; built by our gcc
//! with our cmake, ninja and python. Installed under /usr, with its headers and CMake
//! package, for clang, lld and the Rust chain to build on.
//!
//! The build is the second half of two ([`llvm_objects`] is the first): it takes the
//! objects that llvm-objects compiled with the same commands and compiles the rest.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "llvm",
    version: "19.1.7",
    license: "Apache-2.0 WITH LLVM-exception",
    sources: &[LLVM_PROJECT],
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
        &llvm_objects::PACKAGE,
    ],
    // libLLVM and the tools load gcc's libstdc++ and libgcc_s from /usr/lib64, which
    // musl's loader searches as the toolchain's /etc/ld-musl-x86_64.path tells it.
    runtime: &[&toolchain::PACKAGE, &zlib::PACKAGE],
    files: &[llvm_objects::CONFIGURE, llvm_objects::REUSE],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// The LLVM project's sources, every subproject: llvm-objects, llvm, libunwind and the
/// Rust tree take from it.
pub use llvm_objects::LLVM_PROJECT;
