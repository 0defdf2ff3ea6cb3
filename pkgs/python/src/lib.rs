//! Python 3.13.15: the interpreter, libpython (shared) and the standard library, with
//! ssl, hashlib, zlib, bz2, lzma and ctypes on our libraries; bytecode checked by hash.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "python",
    version: "3.13.15",
    license: "PSF-2.0",
    sources: &[Source {
        file: "python3.13_3.13.15.orig.tar.xz",
        sha256: Sha256::hex("1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76"),
        locations: &[Location::DebianPool("pool/main/p/python3.13/python3.13_3.13.15.orig.tar.xz")],
        note: "Debian's orig tarball of Python 3.13.15: upstream's Python-3.13.15.tar.xz, top directory \
               Python-3.13.15/",
    }],
    deps: &[
        &toolchain::PACKAGE,
        &make::PACKAGE,
        &pkgconf::PACKAGE,
        &zlib::PACKAGE,
        &bzip2::PACKAGE,
        &xz::PACKAGE,
        &openssl::PACKAGE,
        &libffi::PACKAGE,
    ],
    runtime: &[&musl::PACKAGE, &openssl::PACKAGE, &zlib::PACKAGE, &bzip2::PACKAGE, &xz::PACKAGE, &libffi::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
