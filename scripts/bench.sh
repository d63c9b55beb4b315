#!/usr/bin/env bash
# Builds and runs the FC-layer benchmark (bench/FcBench.cpp) and regenerates
# docs/Benchmarks.md from its output. OpenBLAS's own CPU detection picks old
# kernels on some machines; like the CPU performance issue, we run it with
# OPENBLAS_CORETYPE=SkylakeX (override by exporting OPENBLAS_CORETYPE).
# Extra arguments go to prune-bench (e.g. --shapes=1024x1024 --reps=5).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" --target prune-bench
table="$(mktemp)"
OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}" \
  "${BUILD_DIR:-$root/build}/bin/prune-bench" --markdown="$table" "$@"
{
  cat "$root/bench/Benchmarks.header.md"
  echo
  echo "Generated $(date -u +%Y-%m-%d) by \`scripts/bench.sh $*\` on: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores."
  echo
  cat "$table"
} > "$root/docs/Benchmarks.md"
rm -f "$table"
echo "wrote docs/Benchmarks.md"
