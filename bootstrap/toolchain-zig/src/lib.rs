//! pkgs/toolchain's recipe from the second root: musl and busybox compiled by `cross-zig`,
//! with `binutils-zig` and `gcc-zig` beside them. Its image must be the toolchain's own,
//! bit for bit: `cargo xtask bootstrap prove --toolchain` checks that.

use cairn_package::{Expect, Package, Rebuild, Recipe};

pub static PACKAGE: Package = Package {
    name: "toolchain-zig",
    version: toolchain::PACKAGE.version,
    license: toolchain::PACKAGE.license,
    sources: toolchain::PACKAGE.sources,
    deps: &[
        &bootstrap::PACKAGE,
        &cross_zig::PACKAGE,
        &binutils_zig::PACKAGE,
        &gcc_zig::PACKAGE,
        &linux_headers::PACKAGE,
    ],
    runtime: &[],
    files: toolchain::PACKAGE.files,
    allow: &[],
    recipe: Recipe::Rebuild(Rebuild {
        of: &toolchain::PACKAGE,
        replace: &[
            (&cross::PACKAGE, &cross_zig::PACKAGE),
            (&binutils::PACKAGE, &binutils_zig::PACKAGE),
            (&gcc::PACKAGE, &gcc_zig::PACKAGE),
        ],
        expect: Expect::Same { proof: "toolchain" },
    }),
};
