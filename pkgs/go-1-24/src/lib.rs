//! go 1.24.9, the third Go of the chain: Go 1.24 and 1.25 need a Go of at least 1.22.6 to
//! build them, and go 1.23.4 is that.
//! `make.bash` builds the toolchain with the Go before it, then rebuilds it with itself.
//! GOROOT is /usr/lib/go-1.24 (nothing on PATH: it is a stage).

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "go-1-24",
    version: "1.24.9",
    license: "BSD-3-Clause",
    sources: &[Source {
        file: "golang-1.24_1.24.9.orig.tar.gz",
        sha256: Sha256::hex("c72f81ba54fe00efe7f3e7499d400979246881b13b775e9a9bb85541c11be695"),
        locations: &[Location::DebianPool("pool/main/g/golang-1.24/golang-1.24_1.24.9.orig.tar.gz")],
        note: "Debian's orig tarball of golang-1.24: upstream's go1.24.9.src.tar.gz, top directory go/",
    }],
    deps: &[&toolchain::PACKAGE, &go_1_23::PACKAGE, &bash::PACKAGE],
    // The toolchain's programs are static; the testdata of its sources is never loaded.
    runtime: &[],
    files: &[go_1_21::GO_ENV],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
