//! The third stage: the image every package from here on builds in. Native, musl-hosted
//! binutils and gcc (pkgs/binutils, pkgs/gcc), the kernel headers (pkgs/linux-headers), and
//! musl and a static busybox (sh and the core utilities) built here by the cross toolchain.
//! Nothing in it was compiled by a Debian compiler, and no Debian file is in it. It has no
//! make: packages take theirs from pkgs/make. Use it as
//! `FROM cairn/toolchain AS build` + `COPY --from=cairn/make / /`.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "toolchain",
    version: "12.2.0",
    license: "GPL-3.0-or-later WITH GCC-exception-3.1 AND GPL-3.0-or-later AND GPL-2.0-only AND MIT",
    sources: &[cross::MUSL, busybox_stage0::BUSYBOX],
    deps: &[&bootstrap::PACKAGE, &cross::PACKAGE, &binutils::PACKAGE, &gcc::PACKAGE, &linux_headers::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
