#!/usr/bin/env bash
# Builds prune-opt with ASan+UBSan (-DPRUNE_OPT_SANITIZE=ON) into ./build-san
# (or $BUILD_DIR) and runs the whole test suite there (lit + gtests). The
# lit config preloads the ASan runtime where an uninstrumented process loads
# our kernel library and makes any sanitizer report a test failure.
# Extra arguments go to ctest (e.g. -R lit-suite).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-san}"
BUILD_DIR="$build" CONFIGURE_ARGS="-DPRUNE_OPT_SANITIZE=ON" \
  "$root/scripts/build.sh" ${JOBS:+-j "$JOBS"}
cd "$build"
# The gtests and any tool run by hand need what test/lit.cfg.py sets:
# allow_user_poisoning=0, because LLVM's BumpPtrAllocator poisons free slab
# memory in our instrumented code but not in the uninstrumented libMLIR
# that allocates from the same MLIRContext allocator (the prune dialect's
# attributes are allocated by our code): without it every MLIR attribute
# allocated after one of ours in a slab reads as use-after-poison.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:allow_user_poisoning=0}"
ctest --output-on-failure "$@"
