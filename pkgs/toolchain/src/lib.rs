//! The third stage: the image every package from here on builds in. Native, musl-hosted
//! binutils and gcc (pkgs/binutils, pkgs/gcc), the kernel headers (pkgs/linux-headers), and
//! musl and a static busybox (sh and the core utilities) built here by the cross toolchain.
//! Nothing in it was compiled by a Debian compiler, and no Debian file is in it. It has no
//! make: packages take theirs from pkgs/make. Use it as
//! `FROM cairn/toolchain AS build` + `COPY --from=cairn/make / /`.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub const PACKAGE: Package = Package {
    name: "toolchain",
    version: "12.2.0",
    license: "GPL-3.0-or-later WITH GCC-exception-3.1 AND GPL-3.0-or-later AND GPL-2.0-only AND MIT",
    sources: &[cross::MUSL, BUSYBOX],
    deps: &[&bootstrap::PACKAGE, &cross::PACKAGE, &binutils::PACKAGE, &gcc::PACKAGE, &linux_headers::PACKAGE],
    files: &[],
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
