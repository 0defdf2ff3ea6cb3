//! go 1.27.1, the Go people use: Go 1.26 and 1.27 need a Go of at least 1.24.6 to build them,
//! and go 1.24.9 is that. The chain under it starts at gccgo, built by our gcc.
//! `make.bash` builds the toolchain with the Go before it, then rebuilds it with itself.
//! GOROOT is /usr/lib/go, with `go` and `gofmt` linked from /usr/bin.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "go",
    version: "1.27.1",
    license: "BSD-3-Clause",
    sources: &[Source {
        file: "golang-1.27_1.27.1.orig.tar.gz",
        sha256: Sha256::hex("4e408abae126d916b6164627193f2c54f0e3ca1312d693b86db45f862ab238b1"),
        locations: &[Location::DebianPool("pool/main/g/golang-1.27/golang-1.27_1.27.1.orig.tar.gz")],
        note: "Debian's orig tarball of golang-1.27: upstream's go1.27.1.src.tar.gz, top directory go/",
    }],
    deps: &[&toolchain::PACKAGE, &go_1_24::PACKAGE, &bash::PACKAGE],
    // The toolchain's programs are static; the testdata of its sources is never loaded.
    runtime: &[],
    files: &[go_1_21::GO_ENV],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
