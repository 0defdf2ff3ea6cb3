//! binutils: the assembler, linker and binary tools for x86_64-linux-musl, static
//! binaries built by the cross toolchain, installed under /usr.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "binutils",
    version: "2.40",
    license: "GPL-3.0-or-later",
    sources: &[cross::BINUTILS],
    deps: &[&bootstrap::PACKAGE, &cross::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
