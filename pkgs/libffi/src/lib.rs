//! libffi 3.4.8: calls to functions whose signature is known only at run time (what
//! python's ctypes is built on), shared and static, with its headers.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "libffi",
    version: "3.4.8",
    license: "MIT",
    sources: &[Source {
        file: "libffi_3.4.8.orig.tar.gz",
        sha256: Sha256::hex("cbb7f0b3b095dc506387ec1e35b891bfb4891d05b90a495bc69a10f2293f80ff"),
        locations: &[Location::DebianPool("pool/main/libf/libffi/libffi_3.4.8.orig.tar.gz")],
        note: "Debian's orig tarball of libffi 3.4.8, made from the git tag: configure.ac and Makefile.am but no \
               configure, so the recipe runs autoreconf with our autoconf, automake and libtool; top directory \
               libffi-3.4.8/",
    }],
    deps: &[
        &toolchain::PACKAGE,
        &make::PACKAGE,
        &m4::PACKAGE,
        &perl::PACKAGE,
        &autoconf::PACKAGE,
        &automake::PACKAGE,
        &libtool::PACKAGE,
    ],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
