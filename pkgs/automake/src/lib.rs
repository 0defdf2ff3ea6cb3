//! automake: GNU automake 1.16.5 (perl scripts; it runs perl and autoconf, which it does not hold).

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "automake",
    version: "1.16.5",
    license: "GPL-2.0-or-later",
    sources: &[Source {
        file: "automake-1.16_1.16.5.orig.tar.xz",
        sha256: Sha256::hex("f01d58cd6d9d77fbdca9eb4bbd5ead1988228fdb73d6f7a201f5f8d6b118b469"),
        locations: &[Location::DebianPool("pool/main/a/automake-1.16/automake-1.16_1.16.5.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of automake 1.16.5, top directory automake-1.16.5/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &m4::PACKAGE, &perl::PACKAGE, &autoconf::PACKAGE],
    runtime: &[&autoconf::PACKAGE, &perl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
