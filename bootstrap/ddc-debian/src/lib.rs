//! One chain of the diverse double-compiling proof: tcc built by Debian bookworm's gcc 12 (the bootstrap stage),
//! then rebuilt by itself. The image holds stage 2 only (tcc, its runtime libtcc1.a and
//! headers, libtcc); `cargo xtask bootstrap prove` checks it is bit-identical to the other
//! chain's. Both link stage 2 with cairn/musl.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "ddc-debian",
    version: "0.9.27+git20200814.62c30a4a",
    license: "LGPL-2.1-or-later",
    sources: &[TCC],
    deps: &[&bootstrap::PACKAGE, &musl_stage0::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

const TCC: Source = Source {
    file: "tcc_0.9.27+git20200814.62c30a4a.orig.tar.bz2",
    sha256: Sha256::hex("d63c113bcdd657f51c8ee197a0b0a24203603313e19a52b5f678d40ab7f5df35"),
    locations: &[Location::DebianPool("pool/main/t/tcc/tcc_0.9.27+git20200814.62c30a4a.orig.tar.bz2")],
    note: "Debian's orig: a snapshot of tinycc's git (commit 62c30a4a), without a top directory",
};
