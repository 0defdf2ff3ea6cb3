//! make: GNU make 4.3, dynamically linked against musl.
//!
//! Debian's make-dfsg orig tarball is the upstream release without its manual and without
//! the generated build system (no configure, no Makefile.in), and nothing can build make
//! before make exists. So a first stage regenerates the build system from configure.ac
//! and Makefile.am with Debian's autoconf 2.71 and automake 1.16.5, which are perl and m4
//! scripts: what leaves that stage is text (configure, Makefile.in), and no binary of it
//! enters the image. The compiling is done on cairn/toolchain, by make's own build.sh.

use cairn_package::{Location, Package, Recipe, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "make",
    version: "4.3",
    license: "GPL-3.0-or-later",
    sources: &[
        MAKE,
        PKGCONF,
        Source {
            file: "perl-base_5.36.0-7+deb12u4_amd64.deb",
            sha256: Sha256::hex("d7d1943aec9597629bf73075efcc5ef6dc9bda96d78e80d843156ecd448478b8"),
            locations: &[
                Location::DebianPool("pool/main/p/perl/perl-base_5.36.0-7+deb12u4_amd64.deb"),
                Location::DebianBinary { package: "perl-base", version: "5.36.0-7+deb12u4" },
            ],
            note: "",
        },
        Source {
            file: "perl-modules-5.36_5.36.0-7+deb12u4_all.deb",
            sha256: Sha256::hex("3ed38ffa8320e9bf7597cefa01b6a6ace4a08ccc77cdfd15ef7d8b711dea7166"),
            locations: &[
                Location::DebianPool("pool/main/p/perl/perl-modules-5.36_5.36.0-7+deb12u4_all.deb"),
                Location::DebianBinary { package: "perl-modules-5.36", version: "5.36.0-7+deb12u4" },
            ],
            note: "",
        },
        Source {
            file: "libperl5.36_5.36.0-7+deb12u4_amd64.deb",
            sha256: Sha256::hex("ed8480b621ad574c25aea30d36194d0133ea74093756ecbe3dff157d0510ef7f"),
            locations: &[
                Location::DebianPool("pool/main/p/perl/libperl5.36_5.36.0-7+deb12u4_amd64.deb"),
                Location::DebianBinary { package: "libperl5.36", version: "5.36.0-7+deb12u4" },
            ],
            note: "",
        },
        Source {
            file: "libcrypt1_4.4.33-2_amd64.deb",
            sha256: Sha256::hex("f5f60a5cdfd4e4eaa9438ade5078a57741a7a78d659fcb0c701204f523e8bd29"),
            locations: &[
                Location::DebianPool("pool/main/libx/libxcrypt/libcrypt1_4.4.33-2_amd64.deb"),
                Location::DebianBinary { package: "libcrypt1", version: "1:4.4.33-2" },
            ],
            note: "",
        },
        Source {
            file: "autoconf_2.71-3_all.deb",
            sha256: Sha256::hex("7d798ed8c21fc7387127de1dfdb4640003d8ba033ae5a1ff29559610cbd0c323"),
            locations: &[
                Location::DebianPool("pool/main/a/autoconf/autoconf_2.71-3_all.deb"),
                Location::DebianBinary { package: "autoconf", version: "2.71-3" },
            ],
            note: "",
        },
        Source {
            file: "automake_1.16.5-1.3_all.deb",
            sha256: Sha256::hex("f9a5758d87b5389bf2dbb00cc9c48e0cf59bb0ac842c5ce25d41e4bfa3f2f962"),
            locations: &[
                Location::DebianPool("pool/main/a/automake-1.16/automake_1.16.5-1.3_all.deb"),
                Location::DebianBinary { package: "automake", version: "1:1.16.5-1.3" },
            ],
            note: "",
        },
        Source {
            file: "autotools-dev_20220109.1_all.deb",
            sha256: Sha256::hex("4d66dcb9c312566f1ca8d46ef0fb06fa4d4786c20b072c81f9d313b64ef981d0"),
            locations: &[
                Location::DebianPool("pool/main/a/autotools-dev/autotools-dev_20220109.1_all.deb"),
                Location::DebianBinary { package: "autotools-dev", version: "20220109.1" },
            ],
            note: "",
        },
    ],
    deps: &[&bootstrap::PACKAGE, &toolchain::PACKAGE],
    runtime: &[&toolchain::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};

const MAKE: Source = Source {
    file: "make-dfsg_4.3.orig.tar.gz",
    sha256: Sha256::hex("be4c17542578824e745f83bcd2a9ba264206187247cb6a5f5df99b0a9d1f9047"),
    locations: &[Location::DebianPool("pool/main/m/make-dfsg/make-dfsg_4.3.orig.tar.gz")],
    note: "Debian bookworm's orig tarball of make 4.3: upstream's git tree without the GFDL manual \
           and without generated files (configure, Makefile.in), top directory make-dfsg-4.3/",
};

/// pkg.m4, which configure.ac's guile check expands, comes from pkgconf's source.
const PKGCONF: Source = Source {
    file: "pkgconf_1.8.1.orig.tar.xz",
    sha256: Sha256::hex("644361ada2942be05655d4452eb018791647c31bba429b287f1f68deb2dc6840"),
    locations: &[Location::DebianPool("pool/main/p/pkgconf/pkgconf_1.8.1.orig.tar.xz")],
    note: "Debian bookworm's orig tarball of pkgconf 1.8.1, top directory pkgconf-1.8.1/",
};
