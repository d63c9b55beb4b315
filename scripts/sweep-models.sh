#!/usr/bin/env bash
# Sweeps magnitude pruning 0-95% on each model in ../shared/models with
# prune-run: MNIST t10k accuracy, agreement with dense, parameter bytes and
# latency (alternating with dense in one run) per sparsity; writes
# OUT/<model>.md, .tsv and .png (gnuplot). Usage:
#   scripts/sweep-models.sh [OUT]        (default: docs/sweeps)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/docs/sweeps}"
bin="${BUILD_DIR:-$root/build}/bin"
models="${PRUNE_OPT_MODELS:-$root/../shared/models}"
[ -x "$bin/prune-run" ] || "$root/scripts/build.sh" --target prune-run
mkdir -p "$out"
sparsities=0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95
# The default (CSR only where it measured faster) and CSR everywhere.
templates=(--sweep-pipeline='nn-prune{sparsity=$S},nn-sparsify'
           --sweep-pipeline='nn-prune{sparsity=$S},nn-sparsify{format=csr}')
mnist="--images=$models/mnist/t10k-images-idx3-ubyte.gz --labels=$models/mnist/t10k-labels-idx1-ubyte.gz"
"$bin/prune-run" "$models/heir_lenet.mlir" $mnist \
  --preprocess=scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw \
  --sweep=$sparsities --bench=300 "${templates[@]}" --sweep-out="$out/heir_lenet"
"$bin/prune-run" "$models/iree_mnist_mlp_linalg.mlir" $mnist \
  --preprocess=scale=255,layout=nhwc \
  --sweep=$sparsities --bench=300 "${templates[@]}" --sweep-out="$out/iree_mnist_mlp_linalg"
