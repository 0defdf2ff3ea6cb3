//! CMake 4.3.4: cmake, ctest and cpack, and CMake's modules, with TLS by our OpenSSL.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "cmake",
    version: "4.3.4",
    license: "BSD-3-Clause",
    sources: &[Source {
        file: "cmake_4.3.4.orig.tar.gz",
        sha256: Sha256::hex("fdeff897b9eb49d764539f2b1edc6eb7e1440df325678a97c1978499e931adda"),
        locations: &[Location::DebianPool("pool/main/c/cmake/cmake_4.3.4.orig.tar.gz")],
        note: "Debian's orig tarball of CMake 4.3.4: upstream's cmake-4.3.4.tar.gz, top directory cmake-4.3.4/; \
               taken over 3.25.1 as the maintained release (what we build asks for CMake 3.20 or later, so \
               4.x dropping compatibility with projects older than 3.5 costs nothing)",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &openssl::PACKAGE],
    runtime: &[&musl::PACKAGE, &openssl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
