//! libxml2 2.15.4: the XML library (shared and static) and xmllint, with zlib.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "libxml2",
    version: "2.15.4",
    license: "MIT",
    sources: &[Source {
        file: "libxml2_2.15.4+dfsg.orig.tar.xz",
        sha256: Sha256::hex("5868d20db42ee21e4881bc53050c7fa226286a277cb3d0543f76b81f7571e934"),
        locations: &[Location::DebianPool("pool/main/libx/libxml2/libxml2_2.15.4+dfsg.orig.tar.xz")],
        note: "Debian's repack of libxml2 2.15.4: upstream's release tarball (configure included) without its \
               result/ and test/ directories; top directory libxml2-2.15.4/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &pkgconf::PACKAGE, &zlib::PACKAGE],
    runtime: &[&musl::PACKAGE, &zlib::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
