#!/usr/bin/env bash
# Configures (once) and builds prune-opt into ./build (or $BUILD_DIR).
# $CONFIGURE_ARGS adds CMake options at configure time (e.g.
# -DPRUNE_OPT_SANITIZE=ON); arguments go to `cmake --build`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${launcher[@]}" ${CONFIGURE_ARGS:-}
fi
cmake --build "$build" "$@"
