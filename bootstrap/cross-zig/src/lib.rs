//! The second root of the toolchain-level proof: the cross toolchain of `bootstrap/cross`
//! (the same sources, the same configuration) compiled by Zig's clang instead of
//! Debian's gcc, whose drivers are removed from the build so that nothing reaches them.
//! gmp, mpfr and mpc are built in gcc's tree, as for the native gcc (Debian's are
//! glibc libraries zig does not link against). The build proper is `cross`'s own
//! [`cross::SCRIPT`] (`cross.sh`), the same file, run with zig's compilers as its
//! arguments; the Containerfile holds only what differs from `cross`.
//!
//! Its image differs from `cross` (other compilers made it); what it builds must not.
//! `cargo xtask bootstrap prove --toolchain` builds binutils, gcc and the toolchain with
//! each and requires the same digests.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "cross-zig",
    version: cross::PACKAGE.version,
    license: cross::PACKAGE.license,
    sources: &[cross::BINUTILS, cross::GCC, cross::MUSL, gcc::GMP, gcc::MPFR, gcc::MPC],
    deps: &[&bootstrap::PACKAGE, &busybox_stage0::PACKAGE, &linux_headers::PACKAGE, &zig::PACKAGE],
    runtime: &[],
    files: &[cross::SCRIPT],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
