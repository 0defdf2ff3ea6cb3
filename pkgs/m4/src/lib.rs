//! m4: GNU m4 1.4.19, the macro processor autoconf runs on.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "m4",
    version: "1.4.19",
    license: "GPL-3.0-or-later",
    sources: &[Source {
        file: "m4_1.4.19.orig.tar.xz",
        sha256: Sha256::hex("63aede5c6d33b6d9b13511cd0be2cac046f2e70fd0a07aa9573a04a82783af96"),
        locations: &[Location::DebianPool("pool/main/m/m4/m4_1.4.19.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of m4 1.4.19: upstream's m4-1.4.19.tar.xz, top directory m4-1.4.19/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
