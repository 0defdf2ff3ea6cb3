//! go 1.21.13, the first Go of the chain: built by gccgo, the last release gccgo 12 can
//! bootstrap (1.22 needs a Go 1.20). `make.bash` builds the toolchain with gccgo, then
//! rebuilds it with itself, so what it installs does not depend on the compiler that
//! started it: `cargo xtask bootstrap prove --go` compares it with the Go project's own
//! 1.21.13. GOROOT is /usr/lib/go-1.21 (nothing on PATH: it is a stage, used by go 1.23).
//! Its lib/time/zoneinfo.zip is go 1.23.4's (see [`SOURCE_1_23`]).

use cairn_package::{File, Location, Package, Recipe, Sha256, Source};

pub const SOURCE: Source = Source {
    file: "golang-1.21-src_1.21.13-1~bpo12+1_all.deb",
    sha256: Sha256::hex("6d24ad6efc90ae4097dd090324709ba7b6b05fa132b00d578818c91572b472a8"),
    locations: &[Location::DebianPool("pool/main/g/golang-1.21/golang-1.21-src_1.21.13-1~bpo12+1_all.deb")],
    note: "Debian bookworm-backports' golang-1.21-src binary package: Go 1.21.13's source tree (api/, misc/, \
           src/, test/) as Debian's source package ships it (no orig tarball of golang-1.21 is served), under \
           usr/share/go-1.21/. Of upstream's 9,236 files 9,227 are identical (8 perl shebangs and one test differ); \
           VERSION, go.env and lib/time/zoneinfo.zip are not in it: the recipe writes the first two",
};

/// Go 1.23.4's source, the next step of the chain. go 1.21 takes lib/time/zoneinfo.zip
/// (the time zone database, which cmd/dist embeds in time/tzdata) from it, newer than
/// 1.21.13's own: that is data, read by no program of the toolchain. Declared here so
/// that both packages pin the same file.
pub const SOURCE_1_23: Source = Source {
    file: "golang-1.23_1.23.4.orig.tar.gz",
    sha256: Sha256::hex("ad345ac421e90814293a9699cca19dd5238251c3f687980bbcae28495b263531"),
    locations: &[Location::DebianPool("pool/main/g/golang-1.23/golang-1.23_1.23.4.orig.tar.gz")],
    note: "Debian's orig tarball of golang-1.23: upstream's go1.23.4.src.tar.gz, top directory go/",
};

/// The go command's defaults in every Go of the chain, in place of upstream's (which
/// name its module proxy and checksum database and let go.mod files fetch toolchains):
/// nothing is fetched unless the user says so.
pub const GO_ENV: File = File { name: "go.env", contents: include_bytes!("../go.env") };

pub static PACKAGE: Package = Package {
    name: "go-1-21",
    version: "1.21.13",
    license: "BSD-3-Clause",
    sources: &[SOURCE, SOURCE_1_23],
    deps: &[&toolchain::PACKAGE, &gccgo::PACKAGE, &bash::PACKAGE],
    // The toolchain's programs are static; the Go sources' testdata holds ELF files for
    // other systems, which are never loaded.
    runtime: &[],
    files: &[GO_ENV],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
