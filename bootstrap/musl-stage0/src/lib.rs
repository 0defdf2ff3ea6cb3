//! Stage 0's musl: the C library built by the bootstrap's gcc (Debian's), before any
//! compiler of ours exists. The tcc proof links against it and stage 0's busybox is built
//! on it; `pkgs/musl` is the one our toolchain builds.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub const PACKAGE: Package = Package {
    name: "musl-stage0",
    version: "1.2.3",
    license: "MIT",
    sources: &[Source {
        file: "musl-1.2.3.tar.gz",
        sha256: Sha256::hex("7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"),
        locations: &[
            Location::Url("https://musl.libc.org/releases/musl-1.2.3.tar.gz"),
            Location::DebianPool("pool/main/m/musl/musl_1.2.3.orig.tar.gz"),
        ],
        note: "",
    }],
    deps: &[&bootstrap::PACKAGE],
    files: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
