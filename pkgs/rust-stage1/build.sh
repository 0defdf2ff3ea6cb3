#!/bin/sh
# One stage of the Rust chain, run by the Containerfiles of rust-stage1 and rust in the
# tree's root: x.py builds rustc and std at stage 1 (std by that rustc) and cargo at
# stage 0, starting from the rustc and cargo in /usr/bin; then rustc, its libraries, std
# and cargo are installed under /rootfs/usr and checked. The caller checks for its
# hostname.
set -eu

# x.py runs the stage-0 compiler with its library directory, /usr/lib, on LD_LIBRARY_PATH;
# a seed is a glibc program, and /usr/lib holds our musl libraries: these wrappers, which
# config.toml names, drop it, so no glibc program loads a musl library.
#
# x.py also compiles the build scripts of std with the stage-0 compiler at every stage,
# for that compiler's own platform, while it answers cargo's `rustc -vV` with the stage
# being built (a musl host): cargo then gives a seed's build scripts no linker, and
# rustc's default, cc, is our musl gcc. So when CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER
# names one (as a seed's recipe does), the rustc wrapper passes it for every compile
# without --target; a later -C linker, cargo's own, still wins.
mkdir -p /opt/stage0/bin
printf '#!/bin/sh\nunset LD_LIBRARY_PATH\nexec /usr/bin/cargo "$@"\n' > /opt/stage0/bin/cargo
{
    printf '#!/bin/sh\nunset LD_LIBRARY_PATH\n'
    if [ -n "${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER:-}" ]; then
        case "$CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER" in
            *[!A-Za-z0-9._/+-]*) echo "linker name with unsafe characters" >&2; exit 1 ;;
        esac
        printf 'case " $* " in\n    *" --target "* | *" --target="* | *" @"*) ;;\n    *) set -- -C linker=%s "$@" ;;\nesac\n' \
            "$CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"
    fi
    printf 'exec /usr/bin/rustc "$@"\n'
} > /opt/stage0/bin/rustc
chmod 755 /opt/stage0/bin/rustc /opt/stage0/bin/cargo
cat /opt/stage0/bin/rustc
/opt/stage0/bin/rustc -vV
/opt/stage0/bin/cargo -V

# Programs that this rustc compiles for musl link dynamically by default, as everything the
# toolchain builds does (config.toml's crt-static = false is how x.py itself links): the
# target's built-in default is static-pie, which our musl's libc.a, not compiled as PIC,
# cannot give.
spec=compiler/rustc_target/src/spec/targets/x86_64_unknown_linux_musl.rs
grep -q '^    base.crt_static_default = true;$' "$spec"
sed -i 's/^    base.crt_static_default = true;$/    base.crt_static_default = false;/' "$spec"
grep -q '^    base.crt_static_default = false;$' "$spec"

python3 x.py build --stage 1 library
python3 x.py build --stage 0 src/tools/cargo

# rustc and the libraries it loads; std as its stamp lists it (the sysroot also holds the
# compiler's own rlibs, which only tools built against rustc use); cargo.
out=build/x86_64-unknown-linux-musl
lib=/rootfs/usr/lib/rustlib/x86_64-unknown-linux-musl/lib
mkdir -p /rootfs/usr/bin "$lib/self-contained"
cp "$out/stage1/bin/rustc" "$out/stage0-tools-bin/cargo" /rootfs/usr/bin/
cp "$out"/stage1/lib/*.so /rootfs/usr/lib/
tr '\0' '\n' < "$out/stage1-std/x86_64-unknown-linux-musl/release/.libstd.stamp" | while read -r entry; do
    case "$entry" in
        s*) cp "${entry#s}" "$lib/self-contained/" ;;
        [th]*) cp "${entry#?}" "$lib/" ;;
        *) echo "unknown entry in std's stamp: $entry" >&2; exit 1 ;;
    esac
done
links="$(find /rootfs -type l)"
[ -z "$links" ] || { echo "links in the image: $links" >&2; exit 1; }

# rustc says what it is, and compiles a program whose panic unwinds (std's libunwind).
export LD_LIBRARY_PATH=/rootfs/usr/lib
version="$(/rootfs/usr/bin/rustc -vV)"
echo "$version"
for line in 'rustc 1.85.1 (4eb161250 2025-03-15) (cairn)' 'host: x86_64-unknown-linux-musl' 'LLVM version: 19.1.7'; do
    echo "$version" | grep -qxF "$line" || { echo "rustc -vV does not say: $line" >&2; exit 1; }
done
printf 'fn main() {\n    let caught = std::panic::catch_unwind(|| panic!("unwinding"));\n    println!("{} {}", caught.is_err(), std::env::args().count());\n}\n' > /tmp/t.rs
/rootfs/usr/bin/rustc --sysroot /rootfs/usr -O -o /tmp/t /tmp/t.rs
[ "$(/tmp/t one 2>/dev/null)" = 'true 2' ]
/rootfs/usr/bin/cargo -V | grep '^cargo 1\.85\.1 '
