//! zlib 1.2.13: libz, shared and static, and its header.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "zlib",
    version: "1.2.13",
    license: "Zlib",
    sources: &[Source {
        file: "zlib_1.2.13.dfsg.orig.tar.bz2",
        sha256: Sha256::hex("71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"),
        locations: &[Location::DebianPool("pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2")],
        note:
            "Debian bookworm's orig tarball of zlib 1.2.13, repacked by Debian (dfsg), top directory zlib-1.2.13.dfsg/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
