//! sed: GNU sed 4.9.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "sed",
    version: "4.9",
    license: "GPL-3.0-or-later",
    sources: &[Source {
        file: "sed_4.9.orig.tar.xz",
        sha256: Sha256::hex("6e226b732e1cd739464ad6862bd1a1aba42d7982922da7a53519631d24975181"),
        locations: &[Location::DebianPool("pool/main/s/sed/sed_4.9.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of sed 4.9: upstream's sed-4.9.tar.xz, top directory sed-4.9/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
