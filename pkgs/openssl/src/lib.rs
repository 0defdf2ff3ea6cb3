//! OpenSSL 3.5.7 (LTS): libssl and libcrypto, shared and static, their headers, the
//! `openssl` program and its configuration under /etc/ssl.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "openssl",
    version: "3.5.7",
    license: "Apache-2.0",
    sources: &[Source {
        file: "openssl_3.5.7.orig.tar.gz",
        sha256: Sha256::hex("a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8"),
        locations: &[Location::DebianPool("pool/main/o/openssl/openssl_3.5.7.orig.tar.gz")],
        note: "Debian's orig tarball of OpenSSL 3.5.7: upstream's openssl-3.5.7.tar.gz, top directory openssl-3.5.7/",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &perl::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
