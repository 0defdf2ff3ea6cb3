//! pkgs/gcc's recipe on the cross toolchain from the second root (`cross-zig`, which
//! Zig's clang compiled). Its image must be gcc's own, bit for bit: `cargo xtask
//! bootstrap prove --toolchain` checks that.

use cairn_package::{Expect, Package, Rebuild, Recipe};

pub static PACKAGE: Package = Package {
    name: "gcc-zig",
    version: gcc::PACKAGE.version,
    license: gcc::PACKAGE.license,
    sources: gcc::PACKAGE.sources,
    deps: &[&bootstrap::PACKAGE, &busybox_stage0::PACKAGE, &cross_zig::PACKAGE],
    runtime: &[],
    files: gcc::PACKAGE.files,
    allow: &[],
    recipe: Recipe::Rebuild(Rebuild {
        of: &gcc::PACKAGE,
        replace: &[(&cross::PACKAGE, &cross_zig::PACKAGE)],
        expect: Expect::Same { proof: "toolchain" },
    }),
};
