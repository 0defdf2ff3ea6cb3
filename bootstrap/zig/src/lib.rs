//! The second provider: Zig's toolchain as published on PyPI (the `ziglang` wheel, a
//! static `zig` holding clang, lld and the sources of its own musl), independent of
//! Debian's compilers. `cargo xtask bootstrap prove` builds the same compiler with it and
//! with the Debian stage and checks that what each result then builds is bit-identical.
//!
//! The wheel is unpacked under /opt (`/opt/ziglang/zig`), modes kept. A shell and make
//! come from Debian's static busybox and make (with the glibc make runs on): they drive
//! the build in both chains but never compile, and are the binaries the two chains share.

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub const PACKAGE: Package = Package {
    name: "zig",
    version: "0.17.1",
    license: "MIT AND Apache-2.0 WITH LLVM-exception AND GPL-2.0-only AND GPL-3.0-or-later AND LGPL-2.1-or-later",
    sources: &[
        Source {
            file: "ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
            sha256: Sha256::hex("ea6cc5d87b033cf0aedfbc8f9549a908cae6c50ac31f1698188fa48a74524b54"),
            locations: &[Location::PyPI { package: "ziglang", version: "0.17.1" }],
            note: "Zig 0.17.1's release tarball for x86_64 Linux, repacked as a wheel by the ziglang project",
        },
        Source {
            file: "busybox-static_1.35.0-4+deb12u1+b1_amd64.deb",
            sha256: Sha256::hex("3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744"),
            locations: &[
                Location::DebianPool("pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb"),
                Location::DebianBinary { package: "busybox-static", version: "1:1.35.0-4+deb12u1+b1" },
            ],
            note: "",
        },
        Source {
            file: "make_4.3-4.1_amd64.deb",
            sha256: Sha256::hex("a1a83af8cbd854af887b72ad196b1f4af58387815e21ced1000253a116a46e2a"),
            locations: &[
                Location::DebianPool("pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb"),
                Location::DebianBinary { package: "make", version: "4.3-4.1" },
            ],
            note: "",
        },
        Source {
            file: "libc6_2.36-9+deb12u14_amd64.deb",
            sha256: Sha256::hex("ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"),
            locations: &[
                Location::DebianPool("pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb"),
                Location::DebianBinary { package: "libc6", version: "2.36-9+deb12u14" },
            ],
            note: "",
        },
    ],
    deps: &[],
    files: &[],
    recipe: Recipe::DebianRootfs(Rootfs {
        dirs: &["tmp", "root", "src"],
        links: LINKS,
        files: &[
            ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"),
            ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ],
    }),
};

/// zig on PATH, then the busybox applets builds run by name (busybox's sh runs its own
/// applets first anyway; make and the engine exec these paths).
const LINKS: &[(&str, &str)] = &[
    ("usr/bin/zig", "/opt/ziglang/zig"),
    ("bin/sh", "busybox"),
    ("bin/[", "busybox"),
    ("bin/awk", "busybox"),
    ("bin/basename", "busybox"),
    ("bin/bzip2", "busybox"),
    ("bin/cat", "busybox"),
    ("bin/chmod", "busybox"),
    ("bin/cmp", "busybox"),
    ("bin/cp", "busybox"),
    ("bin/cut", "busybox"),
    ("bin/date", "busybox"),
    ("bin/diff", "busybox"),
    ("bin/dirname", "busybox"),
    ("bin/echo", "busybox"),
    ("bin/env", "busybox"),
    ("bin/expr", "busybox"),
    ("bin/false", "busybox"),
    ("bin/find", "busybox"),
    ("bin/grep", "busybox"),
    ("bin/gzip", "busybox"),
    ("bin/head", "busybox"),
    ("bin/ln", "busybox"),
    ("bin/ls", "busybox"),
    ("bin/mkdir", "busybox"),
    ("bin/mktemp", "busybox"),
    ("bin/mv", "busybox"),
    ("bin/nproc", "busybox"),
    ("bin/printf", "busybox"),
    ("bin/pwd", "busybox"),
    ("bin/rm", "busybox"),
    ("bin/rmdir", "busybox"),
    ("bin/sed", "busybox"),
    ("bin/sort", "busybox"),
    ("bin/tail", "busybox"),
    ("bin/tar", "busybox"),
    ("bin/test", "busybox"),
    ("bin/touch", "busybox"),
    ("bin/tr", "busybox"),
    ("bin/true", "busybox"),
    ("bin/uname", "busybox"),
    ("bin/uniq", "busybox"),
    ("bin/wc", "busybox"),
    ("bin/xargs", "busybox"),
];
