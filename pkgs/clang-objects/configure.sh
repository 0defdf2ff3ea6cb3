#!/bin/sh
# clang's configuration, the same in clang-objects and clang (the objects one compiles are
# the other's only if every compile command is the same): a standalone build of clang/
# against the llvm image's CMake package, run in /src/build, with the source tree in
# /src/llvm-toolchain-19_19.1.7 and this file and reuse.sh (llvm-objects') in /src.
set -eu
cmake -G Ninja -S /src/llvm-toolchain-19_19.1.7/clang -B . -Wno-dev \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DLLVM_DIR=/usr/lib/cmake/llvm \
    -DCMAKE_C_FLAGS="-ffile-prefix-map=/src/=" -DCMAKE_CXX_FLAGS="-ffile-prefix-map=/src/=" \
    -DCMAKE_C_COMPILER_LAUNCHER=/src/reuse.sh -DCMAKE_CXX_COMPILER_LAUNCHER=/src/reuse.sh \
    -DCLANG_INCLUDE_TESTS=OFF -DCLANG_INCLUDE_DOCS=OFF -DCLANG_BUILD_EXAMPLES=OFF \
    -DLLVM_INCLUDE_TESTS=OFF -DCLANG_ENABLE_ARCMT=OFF -DCLANG_ENABLE_LIBXML2=OFF \
    -DLLVM_PARALLEL_LINK_JOBS=1
