# The build of the cross toolchain, the same in bootstrap/cross and bootstrap/cross-zig:
# binutils, musl's headers, gcc, libgcc alone, musl, then the rest of gcc, into
# /opt/cross. Both Containerfiles unpack binutils-2.40/, gcc-12.2.0/ and musl-1.2.3/ in
# /src and run, from /src,
#
#     /bin/sh /src/cross.sh [HOST-COMPILER...]
#
# The arguments are the host compiler: configure assignments such as CC=zig-cc, passed
# to binutils' and gcc's configure and nowhere else (none for cross, whose host compiler
# is the bootstrap's gcc). Everything else here is the same for both.
#
# `workdir DIR` stands for a Containerfile's `WORKDIR DIR` followed by a new RUN: it makes
# DIR if it is missing (as WORKDIR does: root's, mode 0755) and starts there with no
# OLDPWD in the environment, as a new RUN's shell has none; `cd` within a step is a plain
# cd, as it was in a RUN. The Containerfiles run this script in exec form, so its shell
# is the only one between the engine and the build (as in a RUN: SHLVL=1).
set -eux

workdir() {
    mkdir -p "$1"
    cd "$1"
    unset OLDPWD
}

# The bootstrap's sh is busybox, which runs its own applets (ar among them) before
# PATH: name the host's binutils by path. No -g: the build directory stays out of the
# binaries. Debian's binutils lacks bfd.info and we ship no manuals: MAKEINFO=true.
# Deterministic archives, so libgcc.a, libc.a and libstdc++.a carry no times or owners.
# "$@": the host compiler.
workdir /src/binutils-build
../binutils-2.40/configure --prefix=/opt/cross --target=x86_64-linux-musl \
    --with-sysroot=/opt/cross/x86_64-linux-musl --enable-deterministic-archives \
    --disable-nls --disable-werror --disable-multilib --disable-gprofng \
    "$@" \
    CFLAGS=-O2 CXXFLAGS=-O2 AR=/usr/bin/ar RANLIB=/usr/bin/ranlib
make -j"$(nproc)" MAKEINFO=true
make install MAKEINFO=true
rm -r /src/binutils-build

# musl's headers go into the sysroot first, so gcc is configured against its libc.
workdir /src/musl-1.2.3
make ARCH=x86_64 prefix=/usr DESTDIR=/opt/cross/x86_64-linux-musl install-headers

# A sysroot inside the prefix is relocated relative to the compiler, which is wrong for
# the compiler in the build tree: --with-build-sysroot names it for the target libraries.
# gcc, then libgcc alone (static: no libc to link libgcc_s against yet), then musl
# linked with that libgcc, then the rest of gcc (libgcc_s, libstdc++) against musl.
# Debian's gcc-12 orig stubs out tm.texi.in, so the check of the generated tm.texi is
# marked done before the first install. No LTO, no PCH, no sanitizers or OpenMP: not
# needed to build the tree. "$@": the host compiler, as for binutils.
workdir /src/gcc-build
../gcc-12.2.0/configure --prefix=/opt/cross --target=x86_64-linux-musl \
    --with-sysroot=/opt/cross/x86_64-linux-musl \
    --with-build-sysroot=/opt/cross/x86_64-linux-musl --enable-languages=c,c++ \
    --disable-bootstrap --disable-multilib --disable-nls --disable-werror --disable-lto \
    --disable-libsanitizer --disable-libgomp --disable-libitm --disable-libvtv \
    --disable-libquadmath --disable-libssp --disable-libcc1 --disable-libstdcxx-pch \
    "$@" \
    CFLAGS=-O2 CXXFLAGS=-O2 CFLAGS_FOR_TARGET=-O2 CXXFLAGS_FOR_TARGET=-O2 \
    AR=/usr/bin/ar RANLIB=/usr/bin/ranlib NM=/usr/bin/nm
make -j"$(nproc)" MAKEINFO=true all-gcc
touch gcc/s-tm-texi
make MAKEINFO=true install-gcc
make -j"$(nproc)" MAKEINFO=true MAKE="make enable_shared=no" all-target-libgcc
cd /src/musl-1.2.3
./configure --prefix=/usr --syslibdir=/lib --target=x86_64-linux-musl \
    CC=x86_64-linux-musl-gcc CFLAGS="-ffile-prefix-map=/src/musl-1.2.3/=" \
    AR=/opt/cross/bin/x86_64-linux-musl-ar RANLIB=/opt/cross/bin/x86_64-linux-musl-ranlib \
    LIBCC=/src/gcc-build/x86_64-linux-musl/libgcc/libgcc.a
make -j"$(nproc)"
make DESTDIR=/opt/cross/x86_64-linux-musl install
cd /src/gcc-build
make -j"$(nproc)" MAKEINFO=true
make MAKEINFO=true install
rm -r /src/gcc-build
