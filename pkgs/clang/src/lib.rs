//! clang 19.1.7: the C and C++ compiler driver and frontend on our LLVM, with the shared
//! libclang-cpp and libclang, the static analyzer, its headers and CMake package. It
//! targets x86_64-linux-musl by default and compiles and links with the toolchain's musl,
//! libgcc, libstdc++ and binutils, which it finds beside it. Built by our gcc, standalone
//! against the llvm image, in two halves: [`clang_objects`] compiles the heaviest
//! libraries, and this build takes those objects whose commands are its own.

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
        &clang_objects::PACKAGE,
    ],
    // libLLVM, and through it the toolchain (libstdc++, and what clang compiles with).
    runtime: &[&llvm::PACKAGE],
    files: &[clang_objects::CONFIGURE, llvm_objects::REUSE],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
