//! setuptools 78.1.1, installed into python's site-packages from its sdist.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "py-setuptools",
    version: "78.1.1",
    license: "MIT",
    sources: &[Source {
        file: "setuptools_78.1.1.orig.tar.gz",
        sha256: Sha256::hex("fcc17fd9cd898242f6b4adfaca46137a9edef687f43e6f78469692a5e70d851d"),
        locations: &[Location::DebianPool("pool/main/s/setuptools/setuptools_78.1.1.orig.tar.gz")],
        note: "Debian's orig tarball of setuptools 78.1.1, the sdist PyPI serves byte for byte; top directory \
               setuptools-78.1.1/",
    }],
    deps: &[&toolchain::PACKAGE, &python::PACKAGE, &zlib::PACKAGE, &libffi::PACKAGE],
    runtime: &[&python::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
