//! clang 19.1.7: the C and C++ compiler driver and frontend on our LLVM, with the shared
//! libclang-cpp and libclang, its headers and CMake package. It targets x86_64-linux-musl
//! by default and compiles and links with the toolchain's musl, libgcc, libstdc++ and
//! binutils, which it finds beside it. Built by our gcc, standalone against the llvm
//! image; the static analyzer and ARCMT are left out.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "clang",
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
        &llvm::PACKAGE,
    ],
    // libLLVM, and through it the toolchain (libstdc++, and what clang compiles with).
    runtime: &[&llvm::PACKAGE],
    files: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
