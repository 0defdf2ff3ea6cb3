#!/bin/sh
# The compiler launcher (CMAKE_C_COMPILER_LAUNCHER and CMAKE_CXX_COMPILER_LAUNCHER) of
# the builds in two halves: llvm-objects and llvm, clang-objects and clang. Both halves of
# one build name it, so that they configure alike. It runs the compile command it is
# given. With LLVM_OBJECTS_SAVE=DIR, it also keeps the object, its depfile and the
# command under DIR at the object's path. With LLVM_OBJECTS=DIR, an object that DIR holds
# from exactly this command and compiler (compared whole) is copied from there with its
# depfile, not compiled again, and its path added to /tmp/llvm-objects-reused; any other
# is compiled.
set -eu
out= dep= prev=
for arg; do
    case "$prev" in
        -o) out=$arg ;;
        -MF) dep=$arg ;;
    esac
    prev=$arg
done
# The command, and the compiler's own account of itself (its path alone could hide another).
signature() {
    printf '%s\n' "$@"
    "$1" --version | head -n 1
}
if [ -n "$out" ] && [ -n "$dep" ] && [ -n "${LLVM_OBJECTS:-}" ] && [ -f "$LLVM_OBJECTS/$out.command" ] \
    && [ "$(signature "$@")" = "$(cat "$LLVM_OBJECTS/$out.command")" ]; then
    mkdir -p "$(dirname "$out")" "$(dirname "$dep")"
    cp "$LLVM_OBJECTS/$out" "$out"
    cp "$LLVM_OBJECTS/$out.d" "$dep"
    echo "$out" >> /tmp/llvm-objects-reused
    exit 0
fi
"$@"
if [ -n "$out" ] && [ -n "$dep" ] && [ -n "${LLVM_OBJECTS_SAVE:-}" ]; then
    mkdir -p "$LLVM_OBJECTS_SAVE/$(dirname "$out")"
    cp "$out" "$LLVM_OBJECTS_SAVE/$out"
    cp "$dep" "$LLVM_OBJECTS_SAVE/$out.d"
    signature "$@" > "$LLVM_OBJECTS_SAVE/$out.command"
fi
