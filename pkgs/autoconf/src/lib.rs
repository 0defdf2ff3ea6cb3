//! autoconf: GNU autoconf 2.71 (perl scripts; it runs m4 and perl, which it does not hold).

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "autoconf",
    version: "2.71",
    license: "GPL-3.0-or-later WITH Autoconf-exception-3.0",
    sources: &[Source {
        file: "autoconf_2.71.orig.tar.gz",
        sha256: Sha256::hex("431075ad0bf529ef13cb41e9042c542381103e80015686222b8a9d4abef42a1c"),
        locations: &[Location::DebianPool("pool/main/a/autoconf/autoconf_2.71.orig.tar.gz")],
        note: "Debian bookworm's orig tarball of autoconf 2.71, top directory autoconf-2.71/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &m4::PACKAGE, &perl::PACKAGE],
    runtime: &[&m4::PACKAGE, &perl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
