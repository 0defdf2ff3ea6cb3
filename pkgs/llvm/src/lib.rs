//! LLVM 19.1.7: the libraries, the shared libLLVM that every tool links, the tools and
//! the utilities (FileCheck and the like), for the X86 target alone; built by our gcc
//! with our cmake, ninja and python. Installed under /usr, with its headers and CMake
//! package, for clang, lld and the Rust chain to build on.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

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
    ],
    // libLLVM and the tools load gcc's libstdc++ and libgcc_s from /usr/lib64, which
    // musl's loader searches as the toolchain's /etc/ld-musl-x86_64.path tells it.
    runtime: &[&toolchain::PACKAGE, &zlib::PACKAGE],
    files: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// The LLVM project's sources, every subproject: llvm, clang, lld and libunwind build
/// from it.
pub const LLVM_PROJECT: Source = Source {
    file: "llvm-toolchain-19_19.1.7.orig.tar.xz",
    sha256: Sha256::hex("ae498f3bc58ae2d9f64ef5f0c035c4240152bf015a5b7738b15c22e93bdc97ce"),
    locations: &[Location::DebianPool("pool/main/l/llvm-toolchain-19/llvm-toolchain-19_19.1.7.orig.tar.xz")],
    note: "Debian's orig tarball of llvm-toolchain-19 19.1.7: made by Debian from the llvmorg-19.1.7 git tag \
           (not upstream's release tarball), every subproject plus Debian's integration-test-suite/, top \
           directory llvm-toolchain-19_19.1.7/",
};
