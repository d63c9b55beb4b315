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
ctest --output-on-failure "$@"
