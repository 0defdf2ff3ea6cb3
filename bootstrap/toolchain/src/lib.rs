//! The first stage: a C and C++ toolchain (gcc 12, binutils 2.40, glibc, make, m4, and
//! the gmp/mpfr/mpc development files gcc is built with) and a static busybox, laid out
//! from Debian bookworm's binary packages. Every .deb is pinned by sha256; the xtask
//! unpacks their data in order and adds the links that maintainer scripts and
//! update-alternatives would have made. Nothing downstream trusts more than these hashes.

use cairn_package::{Package, Recipe, Rootfs, Source};

pub static PACKAGE: Package = Package {
    name: "bootstrap",
    version: "bookworm",
    license: "GPL-3.0-or-later AND LGPL-2.1-or-later AND GPL-2.0-only",
    sources: SOURCES,
    deps: &[],
    runtime: &[],
    files: &[],
    allow: &[],
    recipe: Recipe::DebianRootfs(Rootfs {
        dirs: &["tmp", "root", "usr/local/bin", "src"],
        links: LINKS,
        files: &[
            ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"),
            ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ],
        installer_prefix: None,
    }),
};

/// The `Source` of a Debian amd64 binary package, from the parts that vary:
/// `deb!("PACKAGE" "VERSION" "POOL-DIRECTORY" "SHA256")`, an epoch written bare before the
/// version (`1:"1.35.0-4"`). The file is `PACKAGE_VERSION_amd64.deb` (no epoch), found in
/// POOL-DIRECTORY of a mirror or with `apt-get download PACKAGE=EPOCH:VERSION`. A macro
/// rather than a `const fn`: a `const fn` can neither join strings nor return its
/// arguments in a `'static` slice (`locations`).
#[macro_export]
macro_rules! deb {
    (@ $package:literal, $apt_version:expr, $version:literal, $pool:literal, $sha256:literal) => {
        ::cairn_package::Source {
            file: concat!($package, "_", $version, "_amd64.deb"),
            sha256: ::cairn_package::Sha256::hex($sha256),
            locations: &[
                ::cairn_package::Location::DebianPool(concat!($pool, "/", $package, "_", $version, "_amd64.deb")),
                ::cairn_package::Location::DebianBinary { package: $package, version: $apt_version },
            ],
            note: "",
        }
    };
    ($package:literal $version:literal $pool:literal $sha256:literal) => {
        $crate::deb!(@ $package, $version, $version, $pool, $sha256)
    };
    ($package:literal $epoch:literal : $version:literal $pool:literal $sha256:literal) => {
        $crate::deb!(@ $package, concat!($epoch, ":", $version), $version, $pool, $sha256)
    };
}

/// The symbolic links of a rootfs: the `(path, target)` pairs given, then
/// `("bin/NAME", "busybox")` for every busybox applet NAME listed, in order:
/// `links!(("usr/bin/cc", "gcc-12"); busybox: "sh", "cat")`. `zig` uses it too.
#[macro_export]
macro_rules! links {
    ($(($path:literal, $target:literal)),* ; busybox: $($applet:literal),* $(,)?) => {
        &[$(($path, $target),)* $((concat!("bin/", $applet), "busybox"),)*]
    };
}

/// The shell and tools of every build, here and in `zig`.
pub const BUSYBOX_STATIC: Source = deb!("busybox-static" 1:"1.35.0-4+deb12u1+b1" "pool/main/b/busybox"
    "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744");
/// make, here and in `zig`.
pub const MAKE: Source = deb!("make" "4.3-4.1" "pool/main/m/make-dfsg"
    "a1a83af8cbd854af887b72ad196b1f4af58387815e21ced1000253a116a46e2a");
/// glibc, which make runs on, here and in `zig`.
pub const LIBC6: Source = deb!("libc6" "2.36-9+deb12u14" "pool/main/g/glibc"
    "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf");

const SOURCES: &[Source] = &[
    BUSYBOX_STATIC,
    MAKE,
    deb!("gcc-12" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "b46f33cc2ec245e435e043807038cecf4b201ef004800e9dfc1455240360e49d"),
    deb!("cpp-12" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "fedbb98e877adde83c983c6071537ea25ac52b277ac6e4637d85025949ca1454"),
    deb!("libgcc-12-dev" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "d720259380a84f2ffc6fe516eff5cbe9c8a005138e8d6a5748747ba4b3404a82"),
    deb!("libgcc-s1" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"),
    deb!("binutils" "2.40-2" "pool/main/b/binutils"
        "83c3e20b53e1fbd84d764c3ba27d26a0376e361ae5d7fb37120196934dd87424"),
    deb!("binutils-x86-64-linux-gnu" "2.40-2" "pool/main/b/binutils"
        "2d7ea8a570d768224d7f2424abbe6f373d2154865a1fa7f56c80d43ecf492521"),
    deb!("libbinutils" "2.40-2" "pool/main/b/binutils"
        "fcf55b99e5f8a78f3c8ce9b6957f1024f394cf20c196b100d308a57e43547710"),
    deb!("libctf0" "2.40-2" "pool/main/b/binutils"
        "3fb7b6f326be3fae4a87a3d33b9269bd06c1e4346a24bd737f265067e3b7427f"),
    deb!("libctf-nobfd0" "2.40-2" "pool/main/b/binutils"
        "ef1dfcf22de41ea90ebd3d505447ccccd999e96b85aa777a1d7d981dc3b347aa"),
    deb!("libjansson4" "2.14-2" "pool/main/j/jansson"
        "3fc9742f9f1a37bcb9931df6074b4d1483419ef832ad5349f47323e75fc27864"),
    LIBC6,
    deb!("libc6-dev" "2.36-9+deb12u14" "pool/main/g/glibc"
        "0218fc2befcd784c1b0c6292c0a137ce89fad054efaa579ad083bee0f2c01aae"),
    deb!("linux-libc-dev" "6.1.192-2" "pool/updates/main/l/linux"
        "e0632f8e55ec0d2d1c56f9c65a8bcb64ad5d79add297266bc89c616dfef9a7fe"),
    deb!("libisl23" "0.25-1.1" "pool/main/i/isl"
        "ebff0b2f8b220c74224197523019366e97ee4770d464bebc48e4865114e4da0e"),
    deb!("libmpc3" "1.3.1-1" "pool/main/m/mpclib3"
        "d7f79544790e44f9b0c8cb9034a18c58d37f8702a15f32539050718679e52f80"),
    deb!("libmpfr6" "4.2.0-1" "pool/main/m/mpfr4"
        "37b7a2b4e78890b6a074777f27b96c84f58e81558ba08410c2b6c0ca4a4ad77b"),
    deb!("libgmp10" 2:"6.2.1+dfsg1-1.1" "pool/main/g/gmp"
        "187aedef2ed763f425c1e523753b9719677633c7eede660401739e9c893482bd"),
    deb!("zlib1g" 1:"1.2.13.dfsg-1" "pool/main/z/zlib"
        "d7dd1d1411fedf27f5e27650a6eff20ef294077b568f4c8c5e51466dc7c08ce4"),
    deb!("libzstd1" "1.5.4+dfsg2-5" "pool/main/libz/libzstd"
        "6315b5ac38b724a710fb96bf1042019398cb656718b1522279a5185ed39318fa"),
    deb!("g++-12" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "68b182badae4ace7d472f1393c559d3532a95a2d70817498b10bb481d2627251"),
    deb!("libstdc++-12-dev" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "d28def6c23630432b57cb38a4c2fd67a79d4e0484027386ca6e8d6005c3d7a73"),
    deb!("libstdc++6" "12.2.0-14+deb12u1" "pool/main/g/gcc-12"
        "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"),
    deb!("libgmp-dev" 2:"6.2.1+dfsg1-1.1" "pool/main/g/gmp"
        "a12b9dd1bf84dd3357c2aee2cb9c10092ebccff0c879648566ae87d27ba7ecc0"),
    deb!("libgmpxx4ldbl" 2:"6.2.1+dfsg1-1.1" "pool/main/g/gmp"
        "7ded88b1fa365fb63d2ff46cdcefb3766aa6d52d98ff084f63d3e62e8511c76b"),
    deb!("libmpfr-dev" "4.2.0-1" "pool/main/m/mpfr4"
        "9831a86897b68d401ff371a3af5ac2c29b4f9447e0228731ec9f2e571fef3fe5"),
    deb!("libmpc-dev" "1.3.1-1" "pool/main/m/mpclib3"
        "093e3e01265965952179570648e732e0d096560d7a5e22b2f8a077859ee3f654"),
    deb!("m4" "1.4.19-3" "pool/main/m/m4"
        "b2dd7bfca426712416e651bb5ff6dabe7d05e4caebbac61d714dbe261b31e4c3"),
];

/// Links update-alternatives would make, then busybox's applets in /bin.
const LINKS: &[(&str, &str)] = links!(
    ("usr/bin/cc", "gcc-12"),
    ("usr/bin/gcc", "gcc-12"),
    ("usr/bin/cpp", "cpp-12"),
    ("usr/bin/c99", "gcc-12"),
    ("usr/bin/g++", "g++-12"),
    ("usr/bin/c++", "g++-12");
    busybox: "sh", "[", "[[", "acpid", "adjtimex", "ar", "arch", "arp", "arping", "ascii", "ash", "awk", "base64",
    "basename", "bc", "blkdiscard", "blockdev", "brctl", "bunzip2", "bzcat", "bzip2", "cal", "cat", "chgrp", "chmod",
    "chown", "chroot", "chvt", "clear", "cmp", "cp", "cpio", "crc32", "crond", "crontab", "cttyhack", "cut", "date",
    "dc", "dd", "deallocvt", "depmod", "devmem", "df", "diff", "dirname", "dmesg", "dnsdomainname", "dos2unix", "dpkg",
    "dpkg-deb", "du", "dumpkmap", "dumpleases", "echo", "ed", "egrep", "env", "expand", "expr", "factor", "fallocate",
    "false", "fatattr", "fdisk", "fgrep", "find", "findfs", "fold", "free", "freeramdisk", "fsfreeze", "fstrim",
    "ftpget", "ftpput", "getopt", "getty", "grep", "groups", "gunzip", "gzip", "halt", "head", "hexdump", "hostid",
    "hostname", "httpd", "hwclock", "i2cdetect", "i2cdump", "i2cget", "i2cset", "i2ctransfer", "id", "ifconfig",
    "ifdown", "ifup", "init", "insmod", "ionice", "ip", "ipcalc", "ipneigh", "kill", "killall", "klogd", "last", "less",
    "link", "linux32", "linux64", "linuxrc", "ln", "loadfont", "loadkmap", "logger", "login", "logname", "logread",
    "losetup", "ls", "lsmod", "lsscsi", "lzcat", "lzma", "lzop", "md5sum", "mdev", "microcom", "mim", "mkdir",
    "mkdosfs", "mke2fs", "mkfifo", "mknod", "mkpasswd", "mkswap", "mktemp", "modinfo", "modprobe", "more", "mount",
    "mt", "mv", "nameif", "nc", "netstat", "nl", "nologin", "nproc", "nsenter", "nslookup", "nuke", "od", "openvt",
    "partprobe", "passwd", "paste", "patch", "pidof", "ping", "ping6", "pivot_root", "poweroff", "printf", "ps", "pwd",
    "rdate", "readlink", "realpath", "reboot", "renice", "reset", "resume", "rev", "rm", "rmdir", "rmmod", "route",
    "rpm", "rpm2cpio", "run-init", "run-parts", "sed", "seq", "setkeycodes", "setpriv", "setsid", "sha1sum",
    "sha256sum", "sha3sum", "sha512sum", "shred", "shuf", "sleep", "sort", "ssl_client", "start-stop-daemon", "stat",
    "strings", "stty", "su", "sulogin", "svc", "svok", "swapoff", "swapon", "switch_root", "sync", "sysctl", "syslogd",
    "tac", "tail", "tar", "taskset", "tc", "tee", "telnet", "telnetd", "test", "tftp", "time", "timeout", "top",
    "touch", "tr", "traceroute", "traceroute6", "true", "truncate", "ts", "tty", "tunctl", "ubirename", "udhcpc",
    "udhcpd", "uevent", "umount", "uname", "uncompress", "unexpand", "uniq", "unix2dos", "unlink", "unlzma", "unshare",
    "unxz", "unzip", "uptime", "usleep", "uudecode", "uuencode", "vconfig", "vi", "w", "watch", "watchdog", "wc",
    "wget", "which", "who", "whoami", "xargs", "xxd", "xz", "xzcat", "yes", "zcat",
);
