//! libtool: GNU libtool 2.4.7: libtool, libtoolize and libltdl.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "libtool",
    version: "2.4.7",
    license: "GPL-2.0-or-later AND LGPL-2.0-or-later",
    sources: &[Source {
        file: "libtool_2.4.7.orig.tar.xz",
        sha256: Sha256::hex("dd637e270439b208907ceead3f163470ed2ce5723ef97ffbda6463c64b57128a"),
        locations: &[Location::DebianPool("pool/main/libt/libtool/libtool_2.4.7.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of libtool 2.4.7, top directory libtool-2.4.7/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &m4::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
