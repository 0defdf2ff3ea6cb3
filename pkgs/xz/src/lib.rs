//! xz: XZ Utils 5.4.1, the xz tools and liblzma (shared and static).

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "xz",
    version: "5.4.1",
    license: "0BSD AND GPL-2.0-or-later AND LGPL-2.1-or-later",
    sources: &[Source {
        file: "xz-utils_5.4.1.orig.tar.xz",
        sha256: Sha256::hex("5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5"),
        locations: &[Location::DebianPool("pool/main/x/xz-utils/xz-utils_5.4.1.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of xz-utils 5.4.1: upstream's xz-5.4.1.tar.xz, top directory xz-5.4.1/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
