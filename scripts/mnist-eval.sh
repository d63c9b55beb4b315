#!/usr/bin/env bash
# MNIST t10k accuracy of both models in ../shared/models at several magnitude
# sparsities (pruned + sparsified, checked equal to masked-dense), and the
# per-inference latency of dense vs pruned+sparsified measured alternately in
# one run. Usage: scripts/mnist-eval.sh [SPARSITIES...]  (default 0 0.5 0.8 0.9)
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
sparsities=("${@:-0 0.5 0.8 0.9}")
[ $# -eq 0 ] && sparsities=(0 0.5 0.8 0.9)
for m in heir_lenet iree_mnist_mlp_linalg; do
  echo "== $m"
  printf "%-9s %-9s %-9s %-14s %-10s %-10s %-8s %-10s %-8s\n" sparsity accuracy "sparse=masked" max-abs-diff dense-us csr-us csr-x auto-us auto-x
  for s in "${sparsities[@]}"; do
    outp=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --labels="$labels" \
      --preprocess="${pre[$m]}" --pipeline="nn-prune{sparsity=$s}" \
      --compare-pipeline="nn-prune{sparsity=$s},nn-sparsify{format=csr}" --tolerance=1e-4)
    acc=$(echo "$outp" | sed -n 's/^\[B\] accuracy: \([0-9.]*\).*/\1/p')
    agree=$(echo "$outp" | sed -n 's/^\[B vs A\].*top1-agreement \([0-9.]*\).*/\1/p')
    diff=$(echo "$outp" | sed -n 's/^\[B vs A\] max-abs-diff \([0-9.e+-]*\).*/\1/p')
    lat=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --limit=1 \
      --preprocess="${pre[$m]}" --compare-pipeline="nn-prune{sparsity=$s},nn-sparsify{format=csr}" --bench=3000)
    da=$(echo "$lat" | sed -n 's/^\[A\] latency-us: median \([0-9.]*\).*/\1/p')
    db=$(echo "$lat" | sed -n 's/^\[B\] latency-us: median \([0-9.]*\).*/\1/p')
    ratio=$(echo "$lat" | sed -n 's/^\[A\/B\] median latency ratio: \([0-9.]*x\).*/\1/p')
    # The default format choice (format=auto), against the same dense model.
    lat2=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --limit=1 \
      --preprocess="${pre[$m]}" --pipeline="nn-prune{sparsity=$s}" \
      --compare-pipeline="nn-prune{sparsity=$s},nn-sparsify" --bench=3000)
    dc=$(echo "$lat2" | sed -n 's/^\[B\] latency-us: median \([0-9.]*\).*/\1/p')
    ratio2=$(echo "$lat2" | sed -n 's/^\[A\/B\] median latency ratio: \([0-9.]*x\).*/\1/p')
    printf "%-9s %-9s %-9s %-14s %-10s %-10s %-8s %-10s %-8s\n" "$s" "$acc" "$agree" "$diff" "$da" "$db" "$ratio" "$dc" "$ratio2"
  done
done
