#!/usr/bin/env bash
# Builds the libFuzzer target prune-fuzz (-DPRUNE_OPT_FUZZ=ON: coverage +
# ASan + UBSan) into ./build-fuzz (or $BUILD_DIR) and fuzzes prune-opt's
# passes for MINUTES minutes (default 15) on one core (-fork=1: a crash is
# saved and fuzzing goes on).
#
#   scripts/fuzz.sh [MINUTES] [extra libFuzzer flags]
#
# Inputs are `<pipeline>\n<mlir>` (tools/prune-fuzz/prune-fuzz.cpp). The
# seed corpus is made from the test suite; the corpus grows in
# $FUZZ_DIR/corpus (default build-fuzz/fuzz), crashes, timeouts and
# out-of-memory inputs land in $FUZZ_DIR/crashes. Reproduce one with
#   build-fuzz/bin/prune-fuzz $FUZZ_DIR/crashes/crash-...
# and minimize it with -minimize_crash=1 -runs=10000.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes="${1:-15}"
shift || true
build="${BUILD_DIR:-$root/build-fuzz}"
fuzz="${FUZZ_DIR:-$build/fuzz}"
BUILD_DIR="$build" CONFIGURE_ARGS="-DPRUNE_OPT_FUZZ=ON" \
  "$root/scripts/build.sh" --target prune-fuzz ${JOBS:+-j "$JOBS"}
mkdir -p "$fuzz/corpus" "$fuzz/seeds" "$fuzz/crashes"
python3 "$root/tools/prune-fuzz/make-corpus.py" "$root/test" "$fuzz/seeds" 16384
# detect_leaks=0: a leak is not what this looks for (and upstream MLIR
# leaks by design on some error paths); -close_fd_mask=3 silences what the
# passes print (nn-report's table) while sanitizer reports still show.
# allow_user_poisoning=0: see sanitize-test.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0:allow_user_poisoning=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$root/tools/prune-fuzz/known-ubsan.supp}"
"$build/bin/prune-fuzz" "$fuzz/corpus" "$fuzz/seeds" \
  -dict="$root/tools/prune-fuzz/prune-fuzz.dict" \
  -max_total_time=$((minutes * 60)) -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -close_fd_mask=3 \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -artifact_prefix="$fuzz/crashes/" -print_final_stats=1 "$@"
