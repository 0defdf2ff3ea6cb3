//! bash 5.2.15: GNU bash, with musl's malloc (bash's own is not built for musl).

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "bash",
    version: "5.2.15",
    license: "GPL-3.0-or-later",
    sources: &[Source {
        file: "bash_5.2.15.orig.tar.gz",
        sha256: Sha256::hex("7a315bc0e9d90713159e4390ec1096a41e4f33cd8cc3d1a749a8e5ad56600f51"),
        locations: &[Location::DebianPool("pool/main/b/bash/bash_5.2.15.orig.tar.gz")],
        note: "Debian bookworm's orig tarball of bash 5.2.15: upstream's bash 5.2 with its patches 1 to 15 applied, repacked by Debian, top directory bash-5.2.15/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
