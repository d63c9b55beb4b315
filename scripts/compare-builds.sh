#!/usr/bin/env bash
# Checks that two builds of prune-opt compile the same models to the same
# code: every input (the shared MNIST models when present, examples/, the
# integration test inputs) through several prune/sparsify pipelines and
# nn-lower-cpu, and the pruned weights after nn-prune alone, compared byte
# for byte. For refactorings that must not change outputs.
#   scripts/compare-builds.sh OLD/bin/prune-opt NEW/bin/prune-opt
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_PRUNE_OPT NEW_PRUNE_OPT" >&2; exit 2; }
old=$1 new=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${PRUNE_OPT_MODELS:-$root/../shared/models}"
inputs=("$root/examples/mlp.mlir" "$root"/test/Integration/Inputs/*.mlir)
for m in heir_lenet iree_mnist_mlp_linalg; do
  [ -f "$models/$m.mlir" ] && inputs+=("$models/$m.mlir")
done
pipes=(
  "nn-prune{sparsity=0.9},nn-sparsify"
  "nn-prune{sparsity=0.9},nn-sparsify{format=csr}"
  "nn-prune{sparsity=0.7},nn-sparsify{format=bitmask}"
  "nn-prune{pattern=nm n=2 m=4},nn-sparsify{format=nm}"
  "nn-prune{pattern=block block=4x1 sparsity=0.5},nn-sparsify{format=bsr}"
  "nn-prune{pattern=block block=2x2 sparsity=0.5},nn-sparsify"
  "nn-prune{sparsity=0.5 scope=global},nn-sparsify{format=csr min-sparsity=0.3}"
)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
same=0 different=0 failed=0
for m in "${inputs[@]}"; do
  for p in "${pipes[@]}"; do
    if ! "$old" "$m" --pass-pipeline="builtin.module($p,nn-lower-cpu)" -o "$tmp/o" 2>/dev/null ||
       ! "$new" "$m" --pass-pipeline="builtin.module($p,nn-lower-cpu)" -o "$tmp/n" 2>/dev/null; then
      echo "NOT COMPILED by both: $(basename "$m") $p"; failed=$((failed + 1)); continue
    fi
    if cmp -s "$tmp/o" "$tmp/n"; then same=$((same + 1))
    else echo "DIFFERENT: $(basename "$m") $p"; different=$((different + 1)); fi
    pp="${p%%,nn-sparsify*}"
    "$old" "$m" --pass-pipeline="builtin.module($pp)" 2>/dev/null | sed -n '/{-#/,$p' > "$tmp/ob"
    "$new" "$m" --pass-pipeline="builtin.module($pp)" 2>/dev/null | sed -n '/{-#/,$p' > "$tmp/nb"
    cmp -s "$tmp/ob" "$tmp/nb" || { echo "PRUNED WEIGHTS DIFFER: $(basename "$m") $pp"; different=$((different + 1)); }
  done
done
echo "identical lowered modules: $same, different: $different, not compiled by both: $failed"
[ "$different" -eq 0 ] && [ "$failed" -eq 0 ]
