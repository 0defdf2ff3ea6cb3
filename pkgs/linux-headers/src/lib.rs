//! linux-headers: the kernel's userspace API headers (`/usr/include/{linux,asm,...}`), which
//! musl does not ship and a C toolchain needs.
//!
//! Built from the bootstrap: producing them compiles only host helpers (unifdef, fixdep),
//! so the files are the same whichever compiler runs them, and the cross toolchain can
//! take them into its sysroot.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "linux-headers",
    version: "6.1.176",
    license: "GPL-2.0-only WITH Linux-syscall-note",
    sources: &[Source {
        file: "linux_6.1.176.orig.tar.xz",
        sha256: Sha256::hex("9aad4025973feea3f0d978e82ab7db97d8d5ce3f59fcc6b1f316153d66e3a504"),
        locations: &[Location::DebianPool("pool/main/l/linux/linux_6.1.176.orig.tar.xz")],
        note: "Debian bookworm's orig tarball of linux 6.1.176: upstream's tree repacked by Debian \
               (non-free firmware and blobs removed), top directory linux-6.1.176/",
    }],
    deps: &[&bootstrap::PACKAGE],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
