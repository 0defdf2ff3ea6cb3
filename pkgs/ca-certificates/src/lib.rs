//! ca-certificates 20250419: Mozilla's server-authentication roots as one PEM bundle,
//! /etc/ssl/certs/ca-certificates.crt (and /etc/ssl/cert.pem, where OpenSSL looks).

use cairn_package::{File, Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "ca-certificates",
    version: "20250419",
    license: "MPL-2.0",
    sources: &[Source {
        file: "ca-certificates_20250419.tar.xz",
        sha256: Sha256::hex("33b44ef78653ecd3f0f2f13e5bba6be466be2e7da72182f737912b81798ba5d2"),
        locations: &[Location::DebianPool("pool/main/c/ca-certificates/ca-certificates_20250419.tar.xz")],
        note: "Debian's native source package: mozilla/certdata.txt (NSS's list of roots and their trust) and \
               mozilla/blacklist.txt; top directory ca-certificates/",
    }],
    deps: &[&toolchain::PACKAGE, &perl::PACKAGE],
    runtime: &[],
    files: &[File { name: "certdata2pem.pl", contents: include_bytes!("../certdata2pem.pl") }],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
