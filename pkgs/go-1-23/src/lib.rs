//! go 1.23.4, the second Go of the chain: Go 1.22 and 1.23 need a Go of at least 1.20.6 to
//! build them, and go 1.21.13 is that.
//! `make.bash` builds the toolchain with the Go before it, then rebuilds it with itself.
//! GOROOT is /usr/lib/go-1.23 (nothing on PATH: it is a stage).

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "go-1-23",
    version: "1.23.4",
    license: "BSD-3-Clause",
    sources: &[go_1_21::SOURCE_1_23],
    deps: &[&toolchain::PACKAGE, &go_1_21::PACKAGE, &bash::PACKAGE],
    // The toolchain's programs are static; the testdata of its sources is never loaded.
    runtime: &[],
    files: &[go_1_21::GO_ENV],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
