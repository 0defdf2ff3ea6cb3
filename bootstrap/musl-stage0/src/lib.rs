//! Stage 0's musl: the C library built by the bootstrap's gcc (Debian's), before any
//! compiler of ours exists. The tcc proof links against it and stage 0's busybox is built
//! on it; `pkgs/musl` is the one our toolchain builds.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "musl-stage0",
    version: "1.2.3",
    license: "MIT",
    sources: &[cross::MUSL],
    deps: &[&bootstrap::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
