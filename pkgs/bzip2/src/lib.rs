//! bzip2 1.0.8: the bzip2 tools and libbz2 (shared and static), and its header.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "bzip2",
    version: "1.0.8",
    license: "bzip2-1.0.6",
    sources: &[Source {
        file: "bzip2_1.0.8.orig.tar.gz",
        sha256: Sha256::hex("ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269"),
        locations: &[Location::DebianPool("pool/main/b/bzip2/bzip2_1.0.8.orig.tar.gz")],
        note: "Debian's orig tarball of bzip2 1.0.8 (bookworm to sid): upstream's bzip2-1.0.8.tar.gz, top directory bzip2-1.0.8/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
