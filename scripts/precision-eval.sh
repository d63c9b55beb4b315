#!/usr/bin/env bash
# MNIST t10k accuracy (all 10,000 images) of both models in ../shared/models
# pruned, then stored with f32, bf16, f16 and i8 values
# (nn-sparsify{format=csr value-type=T}), and the bytes their weights take.
# Pruning comes first (magnitude, or OBS / SparseGPT calibrated in the
# compiler on the first 256 t10k images), quantization of the kept weights
# after. Usage: scripts/precision-eval.sh [SETTINGS...]
#   (default: "sparsity=0.8" "sparsity=0.9" "pattern=nm n=2 m=4")
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
settings=("$@")
[ $# -eq 0 ] && settings=("sparsity=0.8" "sparsity=0.9" "pattern=nm n=2 m=4")
criteria=("magnitude" "obs" "sparsegpt")
types=(f32 bf16 f16 i8)
for m in heir_lenet iree_mnist_mlp_linalg; do
  "$bin/prune-opt" "$models/$m.mlir" \
    "--nn-calibrate=images=$images preprocess=${pre[$m]} limit=256" -o "$tmp/cal.mlir"
  dense=$("$bin/prune-run" "$models/$m.mlir" --images="$images" --labels="$labels" \
    --preprocess="${pre[$m]}" | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')
  echo "== $m: dense accuracy $dense (t10k, 10,000 images)"
  printf "%-10s %-18s" criterion setting
  for t in "${types[@]}"; do printf " %-8s" "$t"; done
  printf " %-10s %-10s %-10s\n" "i8-f32" "f32-bytes" "i8-bytes"
  for c in "${criteria[@]}"; do
    for s in "${settings[@]}"; do
      "$bin/prune-opt" "$tmp/cal.mlir" "--nn-prune=$s criterion=$c" -o "$tmp/p.mlir" 2>/dev/null
      printf "%-10s %-18s" "$c" "${s/pattern=nm n=2 m=4/2:4}"
      declare -A acc=()
      for t in "${types[@]}"; do
        acc[$t]=$("$bin/prune-run" "$tmp/p.mlir" --images="$images" --labels="$labels" \
          --preprocess="${pre[$m]}" --pipeline="nn-sparsify{format=csr value-type=$t}" \
          | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p')
        printf " %-8s" "${acc[$t]}"
      done
      bytes() { # value type -> bytes nn-report says the weights store
        "$bin/prune-opt" "$tmp/p.mlir" "--nn-sparsify=format=csr value-type=$1" --nn-report \
          -o /dev/null 2>&1 | sed -n 's/^total:.*-> \([0-9.]*[KMG]*i*B\) .*/\1/p'
      }
      printf " %-10s %-10s %-10s\n" \
        "$(echo "${acc[i8]} - ${acc[f32]}" | bc -l | sed 's/^\(-*\)\./\10./')" \
        "$(bytes f32)" "$(bytes i8)"
    done
  done
done
