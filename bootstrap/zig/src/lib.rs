//! The second provider: Zig's toolchain as published on PyPI (the `ziglang` wheel, a
//! static `zig` holding clang, lld and the sources of its own musl), independent of
//! Debian's compilers. `cargo xtask bootstrap prove` builds the same compiler with it and
//! with the Debian stage and checks that what each result then builds is bit-identical.
//!
//! The wheel is unpacked under /opt (`/opt/ziglang/zig`), modes kept. A shell and make
//! come from Debian's static busybox and make (with the glibc make runs on): they drive
//! the build in both chains but never compile, and are the binaries the two chains share.

use cairn_package::{Location, Package, Recipe, Rootfs, Sha256, Source};

pub static PACKAGE: Package = Package {
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
        bootstrap::BUSYBOX_STATIC,
        bootstrap::MAKE,
        bootstrap::LIBC6,
    ],
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(Rootfs {
        dirs: &["tmp", "root", "src"],
        links: LINKS,
        files: &[
            ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"),
            ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ],
        installer_prefix: None,
    }),
};

/// zig on PATH, then the busybox applets builds run by name (busybox's sh runs its own
/// applets first anyway; make and the engine exec these paths).
const LINKS: &[(&str, &str)] = bootstrap::links!(
    ("usr/bin/zig", "/opt/ziglang/zig");
    busybox: "sh", "[", "awk", "basename", "bzip2", "cat", "chmod", "cmp", "cp", "cut", "date", "diff", "dirname",
    "echo", "env", "expr", "false", "find", "grep", "gzip", "head", "ln", "ls", "mkdir", "mktemp", "mv", "nproc",
    "printf", "pwd", "rm", "rmdir", "sed", "sort", "tail", "tar", "test", "touch", "tr", "true", "uname", "uniq", "wc",
    "xargs",
);
