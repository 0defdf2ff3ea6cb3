//! curl 8.21.0: the curl program and libcurl (shared and static), with TLS by our
//! OpenSSL, zlib, and the CA bundle of ca-certificates as its default.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "curl",
    version: "8.21.0",
    license: "curl",
    sources: &[Source {
        file: "curl_8.21.0.orig.tar.gz",
        sha256: Sha256::hex("d9b327997999045a24cda50f3983e69e51c516bd8be6ef9842fc7f99135e33bb"),
        locations: &[Location::DebianPool("pool/main/c/curl/curl_8.21.0.orig.tar.gz")],
        note: "Debian's orig tarball of curl 8.21.0: upstream's release tarball (configure included), top \
               directory curl-8.21.0/; taken over 8.14.1 for the security fixes between them",
    }],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &openssl::PACKAGE, &zlib::PACKAGE],
    runtime: &[&musl::PACKAGE, &openssl::PACKAGE, &zlib::PACKAGE, &ca_certificates::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
