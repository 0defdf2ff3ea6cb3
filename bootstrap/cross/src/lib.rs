//! The second stage: a cross toolchain for x86_64-linux-musl (binutils 2.40, gcc 12 C and
//! C++, musl 1.2.3 and the kernel headers in its sysroot), built from source by the
//! bootstrap's gcc. It runs on the bootstrap's glibc, under /opt/cross; the native
//! musl toolchain (pkgs/binutils, pkgs/gcc, pkgs/musl) is built with it, after which no
//! package needs a Debian binary. Use it as
//! `FROM cairn/bootstrap AS build` + `COPY --from=cairn/cross /opt/cross /opt/cross`.
//!
//! The build itself is [`SCRIPT`], `cross.sh`: the Containerfile unpacks the sources and
//! runs it. `cross-zig` runs the very same script, with zig as the host compiler.

use cairn_package::{File, Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "cross",
    version: "12.2.0",
    license: "GPL-3.0-or-later WITH GCC-exception-3.1 AND GPL-3.0-or-later AND MIT",
    sources: &[BINUTILS, GCC, MUSL],
    deps: &[&bootstrap::PACKAGE, &linux_headers::PACKAGE],
    runtime: &[],
    files: &[SCRIPT],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

/// The build of binutils, musl's headers, gcc, libgcc, musl and the rest of gcc, run from
/// /src as `/bin/sh /src/cross.sh [HOST-COMPILER...]`: its arguments (none here, zig's
/// `CC=...` assignments in `cross-zig`) go to binutils' and gcc's configure; the rest of
/// the script runs the same in both.
pub const SCRIPT: File = File { name: "cross.sh", contents: include_bytes!("../cross.sh") };

pub const BINUTILS: Source = Source {
    file: "binutils_2.40.orig.tar.xz",
    sha256: Sha256::hex("d78c2d2eb24a9be1e02f8854cb1bd435556d7f584fb6bfb6b07e6527d43fc41d"),
    locations: &[Location::DebianPool("pool/main/b/binutils/binutils_2.40.orig.tar.xz")],
    note: "Debian bookworm's orig tarball of binutils 2.40: upstream's release repacked without \
           the generated bfd/doc/bfd.info, top directory binutils-2.40/",
};

pub const GCC: Source = Source {
    file: "gcc-12_12.2.0.orig.tar.gz",
    sha256: Sha256::hex("b8298be16aeeb96a889c6afed0a8e2241b47452e89cc81fe65ea849d5c740fcb"),
    locations: &[Location::DebianPool("pool/main/g/gcc-12/gcc-12_12.2.0.orig.tar.gz")],
    note: "Debian bookworm's orig tarball of gcc-12: a directory gcc-12-12.2.0/ holding \
           gcc-12.2.0-dfsg.tar.xz (upstream's 12.2.0 whose GFDL manuals, gcc/doc/tm.texi.in among \
           them, are replaced by 82-byte stubs), plus newlib and gm2 tarballs we do not use",
};

pub const MUSL: Source = Source {
    file: "musl-1.2.3.tar.gz",
    sha256: Sha256::hex("7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"),
    locations: &[
        Location::Url("https://musl.libc.org/releases/musl-1.2.3.tar.gz"),
        Location::DebianPool("pool/main/m/musl/musl_1.2.3.orig.tar.gz"),
    ],
    note: "",
};
