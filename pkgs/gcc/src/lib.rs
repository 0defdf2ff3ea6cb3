//! gcc: the C and C++ compilers for x86_64-linux-musl, with libgcc, libstdc++ and
//! libatomic, installed under /usr. Static host binaries built by the cross toolchain,
//! with gmp, mpfr and mpc built in its tree. It needs binutils, musl and linux-headers
//! beside it to compile anything.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "gcc",
    version: "12.2.0",
    license: "GPL-3.0-or-later WITH GCC-exception-3.1 AND LGPL-3.0-or-later",
    sources: &[cross::GCC, GMP, MPFR, MPC],
    deps: &[&bootstrap::PACKAGE, &busybox_stage0::PACKAGE, &cross::PACKAGE],
    runtime: &[&musl_stage0::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

pub const GMP: Source = Source {
    file: "gmp_6.2.1+dfsg1.orig.tar.xz",
    sha256: Sha256::hex("471b9e463e04362a0124f215afc5f0a4b99caedeeb62634c61bbc12988efa64c"),
    locations: &[Location::DebianPool("pool/main/g/gmp/gmp_6.2.1+dfsg1.orig.tar.xz")],
    note: "Debian bookworm's orig tarball of gmp 6.2.1: upstream's release repacked without \
           doc/ (the GFDL manual), top directory gmp-6.2.1/",
};

pub const MPFR: Source = Source {
    file: "mpfr4_4.2.0.orig.tar.xz",
    sha256: Sha256::hex("06a378df13501248c1b2db5aa977a2c8126ae849a9d9b7be2546fb4a9c26d993"),
    locations: &[
        Location::Url("https://www.mpfr.org/mpfr-4.2.0/mpfr-4.2.0.tar.xz"),
        Location::DebianPool("pool/main/m/mpfr4/mpfr4_4.2.0.orig.tar.xz"),
    ],
    note: "upstream's mpfr-4.2.0.tar.xz, as Debian bookworm's mpfr4 orig tarball",
};

pub const MPC: Source = Source {
    file: "mpclib3_1.3.1.orig.tar.gz",
    sha256: Sha256::hex("ab642492f5cf882b74aa0cb730cd410a81edcdbec895183ce930e706c1c759b8"),
    locations: &[
        Location::Url("https://ftp.gnu.org/gnu/mpc/mpc-1.3.1.tar.gz"),
        Location::DebianPool("pool/main/m/mpclib3/mpclib3_1.3.1.orig.tar.gz"),
    ],
    note: "upstream's mpc-1.3.1.tar.gz, as Debian bookworm's mpclib3 orig tarball",
};
