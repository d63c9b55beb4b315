#!/usr/bin/env bash
# Builds prune-opt with ASan+UBSan (-DPRUNE_OPT_SANITIZE=ON) into ./build-san
# (or $BUILD_DIR) and runs the whole test suite there (lit + gtests). The
# lit config preloads the ASan runtime where an uninstrumented process loads
# our kernel library and makes any sanitizer report a test failure.
# Extra arguments go to ctest (e.g. -R lit-suite).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-san}"
if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DLLVM_USE_LINKER=lld -DPRUNE_OPT_SANITIZE=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${launcher[@]}"
fi
cmake --build "$build" ${JOBS:+-j "$JOBS"}
cd "$build"
ctest --output-on-failure "$@"
