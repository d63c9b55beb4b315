#!/usr/bin/env bash
# nn-prune{budget-bytes|budget-latency} on both models in ../shared/models,
# measured: bytes stored (prune-run's "parameters as stored", biases
# included) and median latency at batch 1 against the dense model in the
# same run (prune-run --bench), accuracy on all 10,000 t10k images; and
# uniform sparsity (magnitude) for comparison: its bytes in the smallest of
# csr / bitmask, its latency in the format nn-sparsify{objective=latency}
# picks. Usage: scripts/budget-eval.sh [BUDGETS...] (default 0.5 0.25)
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
budgets=("$@")
[ $# -eq 0 ] && budgets=(0.5 0.25)
uniform=(0.5 0.6 0.7 0.8 0.85 0.9 0.95)
field() { sed -n "s/^\[$1\] $2.*/\1/p"; }
run() { # model pipeline -> "accuracy bytes"
  out=$("$bin/prune-run" "$models/$1.mlir" --images="$images" --labels="$labels" \
    --preprocess="${pre[$1]}" --pipeline="$2" 2>/dev/null) || { echo "- -"; return; }
  echo "$(echo "$out" | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')" \
       "$(echo "$out" | sed -n 's/^\[A\] parameters as stored: .*(\([0-9]*\) bytes).*/\1/p')"
}
latency() { # model pipeline -> latency ratio pruned/dense (same run)
  out=$("$bin/prune-run" "$models/$1.mlir" --images="$images" --limit=1 \
    --preprocess="${pre[$1]}" --compare-pipeline="$2" --bench=3000 2>/dev/null) || { echo "-"; return; }
  echo "$out" | sed -n 's/^\[A\/B\] median latency ratio: \([0-9.]*\)x.*/\1/p' \
    | awk '{ printf "%.3f", 1 / $1 }'
}
for m in iree_mnist_mlp_linalg heir_lenet; do
  read -r dacc dbytes < <(run $m "")
  echo "== $m: dense $dbytes bytes stored, accuracy $dacc"
  printf "%-26s %-10s %-10s %-10s %-10s\n" run bytes "of-dense" latency accuracy
  for b in "${budgets[@]}"; do
    for kind in bytes latency; do
      p="nn-prune{budget-$kind=$b},nn-sparsify"
      read -r acc bytes < <(run $m "$p")
      lat=$(latency $m "$p")
      printf "%-26s %-10s %-10s %-10s %-10s\n" "budget-$kind=$b" "$bytes" \
        "$(awk -v a="$bytes" -v d="$dbytes" 'BEGIN { if (a == "-") print "-"; else printf "%.3f", a / d }')" \
        "$lat" "$acc"
    done
  done
  for s in "${uniform[@]}"; do
    read -r acc bc < <(run $m "nn-prune{sparsity=$s},nn-sparsify{format=csr}")
    read -r _ bb < <(run $m "nn-prune{sparsity=$s},nn-sparsify{format=bitmask}")
    bytes=$(( bc < bb ? bc : bb ))
    lat=$(latency $m "nn-prune{sparsity=$s},nn-sparsify{objective=latency}")
    printf "%-26s %-10s %-10s %-10s %-10s\n" "uniform $s" "$bytes" \
      "$(awk -v a="$bytes" -v d="$dbytes" 'BEGIN { printf "%.3f", a / d }')" "$lat" "$acc"
  done
done
