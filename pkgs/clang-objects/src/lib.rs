//! The first half of clang 19.1.7's build, so that neither half takes much more than an
//! hour on two cores: the objects of its three heaviest libraries (`lib/Sema`, `lib/AST`
//! and `lib/CodeGen`) and of what they need first (clang-tblgen), each with its depfile
//! and the exact command that compiled it, under `/usr/src/clang-objects` at its path in
//! the build tree. [`clang`]'s build takes an object from here only when its own command
//! is the same (llvm-objects' launcher does both), so its image is what one uninterrupted
//! build gives.

use cairn_package::{File, Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "clang-objects",
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
    runtime: &[],
    files: &[CONFIGURE, llvm_objects::REUSE],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// clang's cmake configuration, the same for both halves.
pub const CONFIGURE: File = File { name: "configure.sh", contents: include_bytes!("../configure.sh") };
