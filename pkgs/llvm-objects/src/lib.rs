//! The first half of LLVM 19.1.7's build, so that neither half takes much more than 50
//! minutes on two cores: the objects of its four largest libraries (`lib/CodeGen`,
//! `lib/Transforms`, `lib/Analysis` and `lib/Target`, half of the compile time) and of
//! what they need first (`lib/Support`, TableGen), each with its depfile and the exact
//! command that compiled it, under `/usr/src/llvm-objects` at its path in the build tree.
//! [`llvm`]'s build takes an object from here only when its own command is the same, so
//! its image is what one uninterrupted build gives.

use cairn_package::{File, Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "llvm-objects",
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
    runtime: &[],
    files: &[CONFIGURE, REUSE],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

pub const LLVM_PROJECT: Source = Source {
    file: "llvm-toolchain-19_19.1.7.orig.tar.xz",
    sha256: Sha256::hex("ae498f3bc58ae2d9f64ef5f0c035c4240152bf015a5b7738b15c22e93bdc97ce"),
    locations: &[Location::DebianPool("pool/main/l/llvm-toolchain-19/llvm-toolchain-19_19.1.7.orig.tar.xz")],
    note: "Debian's orig tarball of llvm-toolchain-19 19.1.7: made by Debian from the llvmorg-19.1.7 git tag \
           (not upstream's release tarball), every subproject plus Debian's integration-test-suite/, top \
           directory llvm-toolchain-19_19.1.7/",
};

/// LLVM's cmake configuration, the same for both halves.
pub const CONFIGURE: File = File { name: "configure.sh", contents: include_bytes!("../configure.sh") };

/// The compiler launcher that keeps objects here and takes them back in `llvm`.
pub const REUSE: File = File { name: "reuse.sh", contents: include_bytes!("../reuse.sh") };
