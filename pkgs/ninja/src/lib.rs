//! ninja 1.12.1: the build tool, one static binary.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "ninja",
    version: "1.12.1",
    license: "Apache-2.0",
    sources: &[Source {
        file: "ninja-build_1.12.1.orig.tar.gz",
        sha256: Sha256::hex("821bdff48a3f683bc4bb3b6f0b5fe7b2d647cf65d52aeb63328c91a6c6df285a"),
        locations: &[Location::DebianPool("pool/main/n/ninja-build/ninja-build_1.12.1.orig.tar.gz")],
        note: "Debian's orig tarball of ninja 1.12.1: upstream's v1.12.1 tarball, top directory ninja-1.12.1/",
    }],
    deps: &[
        &toolchain::PACKAGE,
        &python::PACKAGE,
        &zlib::PACKAGE,
        &bzip2::PACKAGE,
        &xz::PACKAGE,
        &openssl::PACKAGE,
        &libffi::PACKAGE,
    ],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
