//! perl 5.36.0: the interpreter (libperl linked in) and its core modules, without manual pages.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "perl",
    version: "5.36.0",
    license: "Artistic-1.0-Perl OR GPL-1.0-or-later",
    sources: &[Source {
        file: "perl_5.36.0.orig.tar.xz",
        sha256: Sha256::hex("0f386dccbee8e26286404b2cca144e1005be65477979beb9b1ba272d4819bcf0"),
        locations: &[Location::DebianPool("pool/main/p/perl/perl_5.36.0.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of perl 5.36.0, top directory perl-5.36.0/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
