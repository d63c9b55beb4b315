#!/usr/bin/env bash
# Builds and runs the FC-layer benchmark (bench/FcBench.cpp) and regenerates
# docs/Benchmarks.md (table) and docs/bench-fc.png (plot) from its output.
# OpenBLAS is measured with its default kernels and with its SkylakeX kernels
# (a second copy loaded by prune-bench itself); the better one is the
# baseline. Extra arguments go to prune-bench (e.g. --shapes=1024x1024
# --reps=5). With --gpu it builds and runs `prune-bench --gpu` (the GPU
# cases, bench/GpuBench.cpp) and prints their table without touching docs/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/install-deps.sh" # (libopenblas-dev: the baseline)
# A build directory configured before OpenBLAS was installed has no
# prune-bench target: look for OpenBLAS again.
if [ -f "$build/build.ninja" ] && ! grep -q "prune-bench" "$build/build.ninja"; then
  cmake -U CBLAS_INCLUDE_DIR -U OPENBLAS_LIBRARY "$build" > /dev/null
fi
"$root/scripts/build.sh" --target prune-bench
for arg in "$@"; do
  if [ "$arg" = --gpu ]; then
    exec "$build/bin/prune-bench" "$@"
  fi
done
table="$(mktemp)"
"${BUILD_DIR:-$root/build}/bin/prune-bench" --markdown="$table" \
  --plot="$root/docs/bench-fc" "$@"
{
  cat "$root/bench/Benchmarks.header.md"
  echo
  echo "Generated $(date -u +%Y-%m-%d) by \`scripts/bench.sh $*\` on: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores."
  echo
  echo "![speedup over OpenBLAS vs sparsity](bench-fc.png)"
  echo
  cat "$table"
} > "$root/docs/Benchmarks.md"
rm -f "$table"
echo "wrote docs/Benchmarks.md"
