#!/bin/sh
# Run before build.sh, in the tree's root: stage 1's rustc and cargo compile std again, and
# that std takes the place of the one in stage 1's sysroot (/usr/lib/rustlib), keeping its
# self-contained/ objects.
#
# x.py compiles the compiler's proc macros with the stage-0 compiler against that
# compiler's own sysroot, and every crate that uses a proc macro records the hash of the
# proc macro's crate, and so of that sysroot's proc_macro and std, in its metadata
# (librustc_driver's .rustc section). Stage 1's sysroot std came from the seed's cargo,
# whose version decides the hashes in std's file and crate names (cargo 1.84 and 1.85
# compute them differently): left there, it would carry a trace of the seed into this
# image. Compiled here by stage 1's own rustc and cargo, it is the same whichever seed
# made stage 1.
set -eu
# config.toml with stage 1's rustc and cargo named directly (x.py's python part reads the
# file alone, not --set): they are musl programs, and need none of build.sh's wrappers.
sed -e 's#^rustc = .*#rustc = "/usr/bin/rustc"#' -e 's#^cargo = .*#cargo = "/usr/bin/cargo"#' \
    config.toml > /tmp/sysroot.toml
grep -qx 'rustc = "/usr/bin/rustc"' /tmp/sysroot.toml
grep -qx 'cargo = "/usr/bin/cargo"' /tmp/sysroot.toml
python3 x.py --config /tmp/sysroot.toml build --stage 0 library
stamp=build/x86_64-unknown-linux-musl/stage0-std/x86_64-unknown-linux-musl/release/.libstd.stamp
lib=/usr/lib/rustlib/x86_64-unknown-linux-musl/lib
[ -s "$stamp" ] || { echo "no std stamp at $stamp" >&2; exit 1; }
for f in "$lib"/*; do
    if [ -f "$f" ]; then rm "$f"; fi
done
tr '\0' '\n' < "$stamp" | while read -r entry; do
    case "$entry" in
        s*) ;;
        [th]*) cp "${entry#?}" "$lib/" ;;
        *) echo "unknown entry in std's stamp: $entry" >&2; exit 1 ;;
    esac
done
ls "$lib"/libstd-*.rlib "$lib"/libproc_macro-*.rlib
