//! musl 1.2.3, the C library, built natively by our toolchain: the loader at /lib,
//! libc and its headers under /usr. Programs linked against it need it (or `toolchain`,
//! which holds the same library built by the cross toolchain) beside them to run.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "musl",
    version: "1.2.3",
    license: "MIT",
    sources: &[cross::MUSL],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
