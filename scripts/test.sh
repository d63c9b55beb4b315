#!/usr/bin/env bash
# README command (2): install what is missing, build everything, and run the
# whole test suite (lit + FileCheck tests, integration tests that execute,
# gtest unit tests) through ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure --verbose
