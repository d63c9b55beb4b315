#!/usr/bin/env bash
# Structured pruning of both models in ../shared/models, as the structured-
# pruning issue asks: 2:4, 4x1 blocks at 80 % and 50 % of the channels
# (classifier excluded, graph shrunk), magnitude criterion, one shot.
# For each: MNIST t10k accuracy (all 10,000 images), parameters as stored,
# per-inference latency against the dense model (median of 1000 alternating
# calls, batch 1, same process) and the formats nn-sparsify chose.
# Usage: scripts/structured-eval.sh   (writes the table to stdout)
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
declare -A classifier=([heir_lenet]=torch_tensor_10_84 [iree_mnist_mlp_linalg]=w1)
printf "| model | pattern | pipeline | accuracy | weights as compiled | dense us | pruned us | speedup | formats |\n"
printf "|---|---|---|---|---|---|---|---|---|\n"
for m in heir_lenet iree_mnist_mlp_linalg; do
  dense=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --labels="$labels" --preprocess="${pre[$m]}")
  acc=$(echo "$dense" | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')
  size=$(echo "$dense" | sed -n 's/^\[A\] parameters as stored: \([0-9.]* KiB\).*/\1/p')
  denseW=$("$bin/prune-opt" "$models/$m.mlir" --nn-report -o /dev/null 2>&1 | sed -n 's/^total:.*; \([0-9.]*\)KiB -> .*/\1/p')
  printf "| %s | dense | - | %s | %s KiB weights | - | - | - | dense |\n" "$m" "$acc" "$denseW"
  configs=(
    "2:4|nn-prune{pattern=nm n=2 m=4},nn-sparsify"
    "2:4|nn-prune{pattern=nm n=2 m=4},nn-sparsify{format=nm}"
    "4x1 80%|nn-prune{pattern=block block=4x1 sparsity=0.8},nn-sparsify"
    "4x1 80%|nn-prune{pattern=block block=4x1 sparsity=0.8},nn-sparsify{format=bsr}"
    "channel 50%|nn-fold-weight-transposes,nn-prune{pattern=channel sparsity=0.5 exclude=${classifier[$m]}},nn-shrink-channels"
  )
  for c in "${configs[@]}"; do
    name="${c%%|*}"; pipe="${c#*|}"
    out=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --labels="$labels" \
      --preprocess="${pre[$m]}" --pipeline="$pipe" 2>/dev/null)
    acc=$(echo "$out" | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')
    size=$(echo "$out" | sed -n 's/^\[A\] parameters as stored: \([0-9.]* KiB\).*/\1/p')
    lat=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --limit=1 \
      --preprocess="${pre[$m]}" --compare-pipeline="$pipe" --bench=1000 2>/dev/null)
    da=$(echo "$lat" | sed -n 's/^\[A\] latency-us: median \([0-9.]*\).*/\1/p')
    db=$(echo "$lat" | sed -n 's/^\[B\] latency-us: median \([0-9.]*\).*/\1/p')
    ratio=$(echo "$lat" | sed -n 's/^\[A\/B\] median latency ratio: \([0-9.]*x\).*/\1/p')
    # Kernel formats chosen, and what the compiled model stores for them.
    rep=$("$bin/prune-opt" "$models/$m.mlir" --pass-pipeline="builtin.module($pipe,nn-report)" -o /dev/null 2>&1)
    formats=$(echo "$rep" | awk '/^weight /{t=1; next} /^total:/{t=0} t && NF>8 {print $(NF-5)}' | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    stored=$(echo "$rep" | sed -n 's/^total:.*; .* -> \([0-9.]*\)KiB .*/\1/p')
    stored=$(awk -v s="$stored" -v d="$denseW" 'BEGIN{printf "%.1f KiB (%.2fx smaller)", s, d/s}')
    printf "| %s | %s | \`%s\` | %s | %s | %s | %s | %s | %s |\n" "$m" "$name" "$pipe" "$acc" "$stored" "$da" "$db" "$ratio" "$formats"
  done
done
