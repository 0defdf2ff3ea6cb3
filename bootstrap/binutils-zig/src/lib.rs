//! pkgs/binutils' recipe on the cross toolchain from the second root (`cross-zig`, which
//! Zig's clang compiled). Its image must be binutils' own, bit for bit: `cargo xtask
//! bootstrap prove --toolchain` checks that.

use cairn_package::{Expect, Package, Rebuild, Recipe};

pub static PACKAGE: Package = Package {
    name: "binutils-zig",
    version: binutils::PACKAGE.version,
    license: binutils::PACKAGE.license,
    sources: binutils::PACKAGE.sources,
    deps: &[&bootstrap::PACKAGE, &cross_zig::PACKAGE],
    runtime: &[],
    files: binutils::PACKAGE.files,
    allow: &[],
    recipe: Recipe::Rebuild(Rebuild {
        of: &binutils::PACKAGE,
        replace: &[(&cross::PACKAGE, &cross_zig::PACKAGE)],
        expect: Expect::Same { proof: "toolchain" },
    }),
};
