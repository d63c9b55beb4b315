#!/usr/bin/env bash
# nn-prune{budget-bytes|budget-latency} on both models in ../shared/models,
# measured: bytes stored (prune-run's "parameters as stored", biases
# included) and median latency at batch 1 against the dense model in the
# same run (prune-run --bench), accuracy; and uniform sparsity for
# comparison: its bytes in the smallest of csr / bitmask, its latency in the
# format nn-sparsify{objective=latency} picks. Two criteria: magnitude
# (data-free, accuracy on all 10,000 t10k images) and obs (calibrated on
# t10k[0:256] with nn-calibrate, accuracy on the other 9,744 images).
# Usage: scripts/budget-eval.sh [BUDGETS...] (default 0.5 0.25)
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
budgets=("$@")
[ $# -eq 0 ] && budgets=(0.5 0.25)
uniform=(0.5 0.6 0.7 0.8 0.85 0.9 0.95 0.98 0.99 0.995)
run() { # model-file preprocess first pipeline -> "accuracy bytes"
  out=$("$bin/prune-run" "$1" --images="$images" --labels="$labels" --first="$3" \
    --preprocess="$2" --pipeline="$4" 2>/dev/null) || { echo "- -"; return; }
  echo "$(echo "$out" | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')" \
       "$(echo "$out" | sed -n 's/^\[A\] parameters as stored: .*(\([0-9]*\) bytes).*/\1/p')"
}
latency() { # model-file preprocess pipeline -> latency ratio pruned/dense (same run)
  out=$("$bin/prune-run" "$1" --images="$images" --limit=1 \
    --preprocess="$2" --compare-pipeline="$3" --bench=3000 2>/dev/null) || { echo "-"; return; }
  echo "$out" | sed -n 's/^\[A\/B\] median latency ratio: \([0-9.]*\)x.*/\1/p' \
    | awk '{ printf "%.3f", 1 / $1 }'
}
ratio() { awk -v a="$1" -v d="$2" 'BEGIN { if (a == "-") print "-"; else printf "%.3f", a / d }'; }
row() { printf "%-34s %-10s %-10s %-10s %-10s\n" "$@"; }
for m in iree_mnist_mlp_linalg heir_lenet; do
  p="${pre[$m]}"
  "$bin/prune-opt" "$models/$m.mlir" \
    "--nn-calibrate=images=$images preprocess=$p limit=256" -o "$tmp/cal.mlir"
  for criterion in magnitude obs; do
    if [ "$criterion" = magnitude ]; then file="$models/$m.mlir" first=0 c=""
    else file="$tmp/cal.mlir" first=256 c=" criterion=obs"; fi
    read -r dacc dbytes < <(run "$file" "$p" "$first" "")
    echo "== $m, $criterion: dense $dbytes bytes stored, accuracy $dacc"
    row run bytes "of-dense" latency accuracy
    for b in "${budgets[@]}"; do
      for kind in bytes latency; do
        pl="nn-prune{budget-$kind=$b$c},nn-sparsify"
        read -r acc bytes < <(run "$file" "$p" "$first" "$pl")
        row "budget-$kind=$b" "$bytes" "$(ratio "$bytes" "$dbytes")" \
          "$(latency "$file" "$p" "$pl")" "$acc"
      done
    done
    for s in "${uniform[@]}"; do
      read -r acc bc < <(run "$file" "$p" "$first" "nn-prune{sparsity=$s$c},nn-sparsify{format=csr}")
      read -r _ bb < <(run "$file" "$p" "$first" "nn-prune{sparsity=$s$c},nn-sparsify{format=bitmask}")
      bytes=$(( bc < bb ? bc : bb ))
      row "uniform $s" "$bytes" "$(ratio "$bytes" "$dbytes")" \
        "$(latency "$file" "$p" "nn-prune{sparsity=$s$c},nn-sparsify{objective=latency}")" "$acc"
    done
  done
done
