#!/bin/sh
# LLVM's configuration, the same in llvm-objects and llvm (the objects one compiles are
# the other's only if every compile command is the same): run in /src/build, with the
# source tree in /src/llvm-toolchain-19_19.1.7 and this file and reuse.sh in /src.
set -eu
cmake -G Ninja -S /src/llvm-toolchain-19_19.1.7/llvm -B . -Wno-dev \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_C_FLAGS="-ffile-prefix-map=/src/=" -DCMAKE_CXX_FLAGS="-ffile-prefix-map=/src/=" \
    -DCMAKE_C_COMPILER_LAUNCHER=/src/reuse.sh -DCMAKE_CXX_COMPILER_LAUNCHER=/src/reuse.sh \
    -DLLVM_TARGETS_TO_BUILD=X86 \
    -DLLVM_HOST_TRIPLE=x86_64-unknown-linux-musl \
    -DLLVM_DEFAULT_TARGET_TRIPLE=x86_64-unknown-linux-musl \
    -DLLVM_BUILD_LLVM_DYLIB=ON -DLLVM_LINK_LLVM_DYLIB=ON -DLLVM_INSTALL_UTILS=ON \
    -DLLVM_INCLUDE_TESTS=OFF -DLLVM_INCLUDE_BENCHMARKS=OFF -DLLVM_INCLUDE_EXAMPLES=OFF \
    -DLLVM_INCLUDE_DOCS=OFF -DLLVM_ENABLE_BINDINGS=OFF -DLLVM_APPEND_VC_REV=OFF \
    -DLLVM_ENABLE_ZLIB=FORCE_ON -DLLVM_ENABLE_ZSTD=OFF -DLLVM_ENABLE_LIBXML2=OFF \
    -DLLVM_ENABLE_LIBEDIT=OFF -DLLVM_ENABLE_LIBPFM=OFF -DLLVM_ENABLE_FFI=OFF \
    -DLLVM_PARALLEL_LINK_JOBS=1
