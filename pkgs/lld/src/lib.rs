//! lld 19.1.7: LLVM's linker for ELF (`ld.lld`), and for COFF, Mach-O and WebAssembly,
//! on our LLVM. Built by our gcc, standalone against the llvm image; every flavour is
//! one program, `lld`, linking the shared libLLVM. gcc and clang use it with
//! `-fuse-ld=lld`.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "lld",
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
    // libLLVM, and through it the toolchain's libstdc++ and zlib.
    runtime: &[&llvm::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
