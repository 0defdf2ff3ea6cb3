//! Stage 0's busybox: static, linked against stage 0's musl, built by the bootstrap's gcc.
//! Its tar unpacks the old-style tarballs (mpfr, mpc) Debian's busybox refuses, for the
//! gcc builds; `pkgs/busybox` is the one our toolchain builds.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "busybox-stage0",
    version: "1.35.0",
    license: "GPL-2.0-only",
    sources: &[BUSYBOX],
    deps: &[&bootstrap::PACKAGE, &musl_stage0::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

pub const BUSYBOX: Source = Source {
    file: "busybox-1.35.0.tar.bz2",
    sha256: Sha256::hex("faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694"),
    locations: &[
        Location::Url("https://busybox.net/downloads/busybox-1.35.0.tar.bz2"),
        Location::DebianPool("pool/main/b/busybox/busybox_1.35.0.orig.tar.bz2"),
    ],
    note: "",
};
