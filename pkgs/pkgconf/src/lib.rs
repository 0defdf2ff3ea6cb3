//! pkgconf: pkgconf 1.8.1, also installed as pkg-config.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "pkgconf",
    version: "1.8.1",
    license: "ISC",
    sources: &[Source {
        file: "pkgconf_1.8.1.orig.tar.xz",
        sha256: Sha256::hex("644361ada2942be05655d4452eb018791647c31bba429b287f1f68deb2dc6840"),
        locations: &[Location::DebianPool("pool/main/p/pkgconf/pkgconf_1.8.1.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of pkgconf 1.8.1, top directory pkgconf-1.8.1/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
