//! Seed A of the Rust chain: Debian trixie's own rustc, cargo and standard library 1.85.1
//! (`rustc_1.85.1+dfsg1-1+deb13u1`, built on Debian's buildd), with everything they load
//! (glibc 2.41, Debian's libLLVM 19.1.7, cargo's libcurl, libgit2, libssh2 and OpenSSL),
//! and Debian's gcc 14 and binutils 2.44 for linking what the seed builds for its own
//! platform (`x86_64-unknown-linux-gnu`: the build system, build scripts, proc macros).
//! Laid out from the binary packages, pinned by sha256, as the `bootstrap` stage is.
//!
//! It is meant to be copied onto our toolchain, not used alone: it holds no shell, and its
//! programs' names do not collide with the toolchain's (gcc and binutils only under their
//! `x86_64-linux-gnu-` names, rustc and cargo in /usr/bin, libraries under
//! /usr/lib/x86_64-linux-gnu). Only glibc's and Linux's headers in /usr/include would
//! replace the toolchain's musl ones: a recipe copies the directories it needs. The
//! sanitizer runtimes gcc 14 depends on are left out. The platform part (glibc, gcc,
//! binutils) is shared with seed B, `rust-seed-upstream`, through [`gnu_seed!`].

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub static PACKAGE: Package = Package {
    name: "rust-seed-debian",
    version: "1.85.1+dfsg1-1+deb13u1",
    license: "(MIT OR Apache-2.0) AND GPL-3.0-or-later WITH GCC-exception-3.1 AND LGPL-2.1-or-later AND Apache-2.0 WITH LLVM-exception",
    sources: gnu_seed!(
        // Debian's Rust, and what it loads beyond the above.
        bootstrap::deb!("rustc" "1.85.1+dfsg1-1+deb13u1" "pool/main/r/rustc"
            "8dc8db527ef0e4e64c1361281c123c461b768c148d5308f841ef47c7b90b19d4"),
        bootstrap::deb!("cargo" "1.85.1+dfsg1-1+deb13u1" "pool/main/r/rustc"
            "673120ed6dff1aa3626199d3768bdddabe3124da90459f4b65da2ff5d66de234"),
        bootstrap::deb!("libstd-rust-dev" "1.85.1+dfsg1-1+deb13u1" "pool/main/r/rustc"
            "f10847d21f156e700c16fede486e404d078183197187406b4b512ccc92468adb"),
        bootstrap::deb!("libcurl4t64" "8.14.1-2+deb13u7" "pool/main/c/curl"
            "4f89bd3e7a33bbd8f7422817a8a8e2233c9e194fda9c331e33bf98705f525bfc"),
        bootstrap::deb!("libgit2-1.9" "1.9.0+ds-2+deb13u1" "pool/main/libg/libgit2"
            "2fb4b6503fb8f143a8035077b9de99118326ac2b26565779e71c4648e01e75ee"),
        bootstrap::deb!("libsqlite3-0" "3.46.1-7+deb13u2" "pool/main/s/sqlite3"
            "0a459adaffd901109f7811ab65f58e7a957b4907d05539cf3d1184efdcde0468"),
        bootstrap::deb!("libssh2-1t64" "1.11.1-1+deb13u2" "pool/main/libs/libssh2"
            "dbb1024c192d4d292b7cfa902b96076cfe81b56a5eed4fb28da36e8bf543e49a"),
        bootstrap::deb!("libssl3t64" "3.5.9-1~deb13u1" "pool/main/o/openssl"
            "ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5"),
        bootstrap::deb!("libstd-rust-1.85" "1.85.1+dfsg1-1+deb13u1" "pool/main/r/rustc"
            "880a7ccc84ac9ed5964379ff2f2c2de2763dc87cb2c812963cefb44008306587"),
        bootstrap::deb!("libbrotli1" "1.1.0-2+deb13u1" "pool/main/b/brotli"
            "db46824c60fee46aff3cc0be3e5f736bc606cae669b1fb17516a41e8073251a9"),
        bootstrap::deb!("libgssapi-krb5-2" "1.21.3-5+deb13u1" "pool/main/k/krb5"
            "30847c1fde4240567d7ed3aeab4f655dd591203758b857e85e824045aae70299"),
        bootstrap::deb!("libidn2-0" "2.3.8-2" "pool/main/libi/libidn2"
            "90b039bcdc4578f8e1c4935adf8dbb525e36a164deefdbbb8c45bac347d48278"),
        bootstrap::deb!("libldap2" "2.6.10+dfsg-1" "pool/main/o/openldap"
            "60069e4a550ca890113fa89d3001417781b18e146ec5d637d31e368dec9909bd"),
        bootstrap::deb!("libnghttp2-14" "1.64.0-1.1+deb13u2" "pool/main/n/nghttp2"
            "a5c10b427f9dc625754a9f323b07f2a76932a10161888e6e040c8f9448c13f05"),
        bootstrap::deb!("libnghttp3-9" "1.8.0-1" "pool/main/n/nghttp3"
            "388e4c33b72829cbf0d098afdc8539fa5ba7458eddb077f5538fdb4d5538716b"),
        bootstrap::deb!("libpsl5t64" "0.21.2-1.1+b1" "pool/main/libp/libpsl"
            "59d42bb1f9ebc0d1776fe616efb08a7a8568b05982e00f70b03c63863db768ab"),
        bootstrap::deb!("librtmp1" "2.4+20151223.gitfa8646d.1-2+b5" "pool/main/r/rtmpdump"
            "93baa2004cbe6c8721b9e81beed078612540aef120970b4751305c51c6697368"),
        bootstrap::deb!("libhttp-parser2.9" "2.9.4-6+b2" "pool/main/h/http-parser"
            "eb226fd47bec216a02ca6282ab348a3515d1832c58edf1d71b2b5e7948ef3d03"),
        bootstrap::deb!("libmbedcrypto16" "3.6.6-0.1~deb13u1" "pool/main/m/mbedtls"
            "b38baf2ecaca7b28b3005d34b8108ee9b17681426b20662813995e939aea6dfa"),
        bootstrap::deb!("libmbedtls21" "3.6.6-0.1~deb13u1" "pool/main/m/mbedtls"
            "9e280505afa5f5aa7034e494e7466c82d8e9af2eb3bf2edf46bab0bd7b62e1ac"),
        bootstrap::deb!("libmbedx509-7" "3.6.6-0.1~deb13u1" "pool/main/m/mbedtls"
            "e0b6630efcf9eae2e05172496576bc3235be134a6bbf8da4cf3570fba65f65b8"),
        bootstrap::deb!("libpcre2-8-0" "10.46-1~deb13u3" "pool/main/p/pcre2"
            "e226f661d918f04daf38cdbc4806b7ed7d6ef95c7eb0ade692fc350e31970040"),
        bootstrap::deb!("openssl-provider-legacy" "3.5.9-1~deb13u1" "pool/main/o/openssl"
            "67c70904c8d494b4631e136a6bdb692cbb44515757d63c55e7bd1d2016f9f09f"),
        bootstrap::deb!("libllvm19" 1:"19.1.7-3+b1" "pool/main/l/llvm-toolchain-19"
            "db0d614d61345ca710fb73e75105f1ec6e38898fa7b3aa99fa7eb7d8b0a11d57"),
        bootstrap::deb!("libkrb5-3" "1.21.3-5+deb13u1" "pool/main/k/krb5"
            "47d71d6a7f2e59b9bae5f89602397594805113b95889ad18fa703cd53abafc97"),
        bootstrap::deb!("libcom-err2" "1.47.2-3+b12" "pool/main/e/e2fsprogs"
            "bd43e020b8fed399db3eebf098111f10fba4c436fff99ccad72cc7e27c9764ec"),
        bootstrap::deb!("libk5crypto3" "1.21.3-5+deb13u1" "pool/main/k/krb5"
            "7da07ee674b47f1f0be7cc89317c25310086a1f1761217d0f72e6ae2c5a69b84"),
        bootstrap::deb!("libkrb5support0" "1.21.3-5+deb13u1" "pool/main/k/krb5"
            "3a0acd8b37955c0e102c756b52c97df2a31f67b96453c35dab70df218d309117"),
        bootstrap::deb!("libunistring5" "1.3-2" "pool/main/libu/libunistring"
            "6dd3490bef06ea1096f32d10766b7e016cf579bfae8451d1b7df15ce05b8aa46"),
        bootstrap::deb!("libsasl2-2" "2.1.28+dfsg1-9" "pool/main/c/cyrus-sasl2"
            "66e49d7ae026811b49a0050f18b0325960a2625ffd1ff60d91b7844a815fa9d2"),
        bootstrap::deb!("libgnutls30t64" "3.8.9-3+deb13u4" "pool/main/g/gnutls28"
            "18a8bdfd91c7e3bcb01719d55a2b56849c7160b34f1f52b1c4fdfdd41bf1352b"),
        bootstrap::deb!("libhogweed6t64" "3.10.1-1" "pool/main/n/nettle"
            "b059ed155115ac09da295322de48ee1ed58ef5fa45edcc9e12ff0e94636ef25f"),
        bootstrap::deb!("libnettle8t64" "3.10.1-1" "pool/main/n/nettle"
            "1b03d4a9cd9c8143ba50fe6396f36937e901a317d492d179f4596862c1731cfe"),
        bootstrap::deb!("libedit2" "3.1-20250104-1" "pool/main/libe/libedit"
            "b002ea172b9c1e34a67bc497c523c67bb74c3f0a4e98113cb083990a1f1d3bfe"),
        bootstrap::deb!("libffi8" "3.4.8-2" "pool/main/libf/libffi"
            "0ebdc340de33333639c3c63874cd4b15ac2e83dfa1ef3053b7eefaf4919f4f68"),
        bootstrap::deb!("libxml2" "2.12.7+dfsg+really2.9.14-2.1+deb13u3" "pool/main/libx/libxml2"
            "e0c6b63ce4602a036a526f60fe5e6c1586710688058d98fc1001b9b3147b7efd"),
        bootstrap::deb!("libz3-4" "4.13.3-1" "pool/main/z/z3"
            "71383373523ef62d47eccf660cf6535c3febcbb3f88e54cb7a43124014b57359"),
        bootstrap::deb!("libkeyutils1" "1.6.3-6" "pool/main/k/keyutils"
            "0b11ad17be0300b63ad4eeb4c6450fed24d34b7b740f23e5363dcb29ee6d5eba"),
        bootstrap::deb!("libsasl2-modules-db" "2.1.28+dfsg1-9" "pool/main/c/cyrus-sasl2"
            "a5c38659fbd62c33c6d9bfa2be43e75a572d1818531aad32dd74d0a58cc4bd19"),
        bootstrap::deb!("libp11-kit0" "0.25.5-3" "pool/main/p/p11-kit"
            "784bf2063e166c8bc851a32623b74ebd85c499043a9d57c5bbd64fa63447f45a"),
        bootstrap::deb!("libtasn1-6" "4.20.0-2+deb13u1" "pool/main/libt/libtasn1-6"
            "23fec6e06583ce2bad9b2c04c9b485e90440e259b1abf8677cd80d3ce60831ad"),
        bootstrap::deb!("libbsd0" "0.12.2-2" "pool/main/libb/libbsd"
            "e5a85986fa6bec3307ab1bc860736b478b331882bc45e17675a7bdf88eecb43a"),
        bootstrap::deb!("libtinfo6" "6.5+20250216-2" "pool/main/n/ncurses"
            "8b9f6a7983e9418564e48a627518de4c03917b56efe68d7f3e93bd8fffa1cc10"),
        bootstrap::deb!("liblzma5" "5.8.1-1+deb13u2" "pool/main/x/xz-utils"
            "b38acab30f295bf1066a6632e31cbd0a1980f2924b38040cda131d5dea5384ec"),
        bootstrap::deb!("libdb5.3t64" "5.3.28+dfsg2-9" "pool/main/d/db5.3"
            "18d02510ee78b67e4504ba050176797a200ff24214a7cd318082ab60ad7bf3fc"),
        bootstrap::deb!("libmd0" "1.1.0-2+b1" "pool/main/libm/libmd"
            "7244ec3839b61fac0c1884fe08aaa040f26e8f1f35f1f5d3482eacefd30d1b44"),
    ),
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(ROOTFS),
};

/// What a seed's rootfs adds to its packages: /tmp, and the links of Debian's merged /usr
/// that glibc's loader path (`/lib64/ld-linux-x86-64.so.2`) and its `libc.so` linker
/// script (`/lib/x86_64-linux-gnu/libc.so.6`) go through.
pub const ROOTFS: Rootfs = Rootfs {
    dirs: &["tmp"],
    links: &[("lib64", "usr/lib64"), ("lib/x86_64-linux-gnu", "../usr/lib/x86_64-linux-gnu")],
    files: &[],
    installer_prefix: None,
};

#[doc(hidden)]
pub use bootstrap as __bootstrap;

/// Linux's userspace headers, which glibc's include: an `all` package, so not `deb!`.
pub const LINUX_LIBC_DEV: Source = Source {
    file: "linux-libc-dev_6.12.117-1_all.deb",
    sha256: Sha256::hex("8b4848725a2705e5b1612f2135c44300716690ba762368ab87df127e9a5ed416"),
    locations: &[
        Location::DebianPool("pool/main/l/linux/linux-libc-dev_6.12.117-1_all.deb"),
        Location::DebianBinary { package: "linux-libc-dev", version: "6.12.117-1" },
    ],
    note: "",
};

/// The sources of a Rust seed: the platform both seeds run and link on, then `$rest`.
/// That platform is the closure of gcc-14-x86-64-linux-gnu, libc6-dev and
/// binutils-x86-64-linux-gnu in trixie's amd64 Packages index (first alternatives), less
/// the packages that give the unprefixed names (gcc, gcc-14, binutils) and the sanitizer
/// runtimes: glibc 2.41 with its development files, gcc 14 and binutils 2.44.
#[macro_export]
macro_rules! gnu_seed {
    ($($rest:expr),* $(,)?) => {
        &[
            $crate::__bootstrap::deb!("gcc-14-x86-64-linux-gnu" "14.2.0-19" "pool/main/g/gcc-14"
                "a17ef039f1ba482051c3efb5c2c24070002e60dd0bd09fd456ec31481a11b725"),
            $crate::__bootstrap::deb!("libc6-dev" "2.41-12+deb13u5" "pool/main/g/glibc"
                "858f4d477cc39324f3c6582cdebcf38928fb385bb17b40518c77a7dccd296428"),
            $crate::__bootstrap::deb!("binutils-x86-64-linux-gnu" "2.44-3" "pool/main/b/binutils"
                "e6741ce95ff0f7a131c8d9faa3528ccbbc453078bbc62a97da81340ed7462c53"),
            $crate::__bootstrap::deb!("cpp-14-x86-64-linux-gnu" "14.2.0-19" "pool/main/g/gcc-14"
                "ef274b5379f5f97fc71619d39ecc84d039d3e184570d207b909c90afaa5d79e0"),
            $crate::__bootstrap::deb!("gcc-14-base" "14.2.0-19" "pool/main/g/gcc-14"
                "5b6825de4263824b78c4c51f6476414f3b4e89c2ab63e81dc8b9b5501e867cf6"),
            $crate::__bootstrap::deb!("libcc1-0" "14.2.0-19" "pool/main/g/gcc-14"
                "2d587e3bfba4aec701946b7ba0c1640b97b6d8dd0a34ba1c70ae85261ecedefa"),
            $crate::__bootstrap::deb!("libgcc-14-dev" "14.2.0-19" "pool/main/g/gcc-14"
                "ca6f2d36d96b19b3eb71405b0b80134d8c89380b02204a2512e5c58ceb090628"),
            $crate::__bootstrap::deb!("libc6" "2.41-12+deb13u5" "pool/main/g/glibc"
                "b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf"),
            $crate::__bootstrap::deb!("libgcc-s1" "14.2.0-19" "pool/main/g/gcc-14"
                "3c71917b490d1a17aed43196a2787a256ecf060526cdb20216a74bedc061b150"),
            $crate::__bootstrap::deb!("libgmp10" 2:"6.3.0+dfsg-3" "pool/main/g/gmp"
                "d0d0265eb01770f17afd0f7c8c0622f80479dcfbbe13653a0debeec61464e622"),
            $crate::__bootstrap::deb!("libisl23" "0.27-1" "pool/main/i/isl"
                "ac8518042e81c00de1effb72bba7e88ac4ecd488f7ea8b9e3ebc63159cb53b35"),
            $crate::__bootstrap::deb!("libmpc3" "1.3.1-1+b3" "pool/main/m/mpclib3"
                "2af0a5c128e03694a41c0b011bd8a958b7297436cdb3a15ddad7866dae8c300b"),
            $crate::__bootstrap::deb!("libmpfr6" "4.2.2-1" "pool/main/m/mpfr4"
                "75dddce11dabc7fc543712c33dc27b7f2ee66a111763eb5eac654d010b42cd92"),
            $crate::__bootstrap::deb!("libstdc++6" "14.2.0-19" "pool/main/g/gcc-14"
                "ab1fa05837aa7a92aae748fd07a18a35f7d18bb4a71c4724fe2bbf0e32089de0"),
            $crate::__bootstrap::deb!("libzstd1" "1.5.7+dfsg-1" "pool/main/libz/libzstd"
                "2f6a2aeacfc925eba8b00ac9139bc4bfccf8cacb09eb93de067074b26948eef9"),
            $crate::__bootstrap::deb!("zlib1g" 1:"1.3.dfsg+really1.3.1-1+deb13u1" "pool/main/z/zlib"
                "8c27c342230503b73dfde629642c3b352e87b554e06d60cf58772f236a305ceb"),
            $crate::__bootstrap::deb!("libc-dev-bin" "2.41-12+deb13u5" "pool/main/g/glibc"
                "9546268f031bd598f32262ea3ca8f2558cd41dcaada13dd1af9ad329c3dbf30c"),
            $crate::LINUX_LIBC_DEV,
            $crate::__bootstrap::deb!("libcrypt-dev" 1:"4.4.38-1" "pool/main/libx/libxcrypt"
                "98e2333aea8d64ca68f9b75c16256d3a05492fd8f9e6dba96adbc6f19e4f5a09"),
            $crate::__bootstrap::deb!("rpcsvc-proto" "1.4.3-1" "pool/main/r/rpcsvc-proto"
                "32ac0692694f8a34cc90c895f4fc739680fb2ef0e2d4870a68833682bf1c81a3"),
            $crate::__bootstrap::deb!("binutils-common" "2.44-3" "pool/main/b/binutils"
                "002da5d23f8757dee97a2c0a40e0e1d4d85a43da094488ee2ee7068d4d3691f9"),
            $crate::__bootstrap::deb!("libbinutils" "2.44-3" "pool/main/b/binutils"
                "4f4664c8a8f0ad0c8631c39fab02e3d8d86ccc6f4436a1d59f059dbcb0492679"),
            $crate::__bootstrap::deb!("libctf-nobfd0" "2.44-3" "pool/main/b/binutils"
                "e280b2be3db6e584500e865c251605b95c346767d87ccb2524e44992048fc657"),
            $crate::__bootstrap::deb!("libctf0" "2.44-3" "pool/main/b/binutils"
                "120cafcd93132a276fa92a8fb4cf39b23d14e5a3e348f4f5580638d71ca95ac5"),
            $crate::__bootstrap::deb!("libjansson4" "2.14-2+b3" "pool/main/j/jansson"
                "60707a62fe6c1228c3389b12a13ca4efd76defc5532473e547a29e99cf7d2a6e"),
            $crate::__bootstrap::deb!("libsframe1" "2.44-3" "pool/main/b/binutils"
                "38f625dfdc582717029ac3a3e97c51d994ec2e7a0e9b230c6b44e40d1276311f"),
            $crate::__bootstrap::deb!("libgomp1" "14.2.0-19" "pool/main/g/gcc-14"
                "72b7a1a33c48f3195efeb044111b34ae684b1e640bb6495c832443b798601cd5"),
            $crate::__bootstrap::deb!("libitm1" "14.2.0-19" "pool/main/g/gcc-14"
                "febdb3c528cde1a3abe952e17a1d3cfa7ccaca5b6f506d983d34385dad199490"),
            $crate::__bootstrap::deb!("libatomic1" "14.2.0-19" "pool/main/g/gcc-14"
                "212b399aae2f7299203d261a57e49372e09565a9a5ea971905f94a3960366c05"),
            $crate::__bootstrap::deb!("libquadmath0" "14.2.0-19" "pool/main/g/gcc-14"
                "f5b51cf0ece3ec3bb7494d0cdbff3ce715ae00cfb2b6ed787f7db91319d64a7b"),
            $crate::__bootstrap::deb!("libcrypt1" 1:"4.4.38-1" "pool/main/libx/libxcrypt"
                "0ebc144d662e3197982d1bf3a7b8b35ca845e54c68811de0328b1f0d7c67585c"),
            $($rest,)*
        ]
    };
}
