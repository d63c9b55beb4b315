#!/usr/bin/env bash
# README command (1): install what is missing, build, and run the main job:
# prune a bundled example model, show what was pruned, compile it sparse and
# compare it with the dense model; then the same on LeNet/MNIST when
# ../shared/models is there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" --target prune-opt prune-run
bin="${BUILD_DIR:-$root/build}/bin"
out="$(mktemp -d)"

echo
echo "== prune-opt --nn-prune=sparsity=0.8 examples/mlp.mlir"
"$bin/prune-opt" --nn-prune=sparsity=0.8 "$root/examples/mlp.mlir" -o "$out/mlp-pruned.mlir"
grep -o 'prune.decision = #prune.decision<.*>} dense_resource<[^>]*> : tensor<[^>]*>' "$out/mlp-pruned.mlir" \
  | sed -E 's/prune.decision = #prune.decision<name = "[^"]*", criterion = ([a-z]+),.*sparsity = ([0-9.e+-]+), zeros = ([0-9]+), elements = ([0-9]+)>\} dense_resource<([^>]*)> : (.*)/  \5 \6: \3 of \4 elements zero (target sparsity \2, \1)/'

echo
echo "== dense vs pruned 95% + nn-sparsify (storage chosen per weight), same inputs, one run"
"$bin/prune-run" "$root/examples/mlp.mlir" --inputs="$root/examples/mlp_inputs.npy" \
  --compare-pipeline="nn-prune{sparsity=0.95},nn-sparsify" --bench=200

models="${PRUNE_OPT_MODELS:-$root/../shared/models}"
if [ -f "$models/heir_lenet.mlir" ]; then
  echo
  echo "== LeNet-5, 80% of its weights pruned: calibrated in the compiler on the first"
  echo "   256 MNIST test images, exact OBS (criterion=obs), every weight stored CSR"
  echo "   (format=auto would choose per weight by the cost model and its objective);"
  echo "   scored on the other 9,744 images against the dense model"
  images="$models/mnist/t10k-images-idx3-ubyte.gz"
  pre=scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw
  "$bin/prune-run" "$models/heir_lenet.mlir" --images="$images" \
    --labels="$models/mnist/t10k-labels-idx1-ubyte.gz" --preprocess=$pre --first=256 \
    --compare-pipeline="nn-calibrate{images=$images preprocess=$pre limit=256},nn-prune{sparsity=0.8 criterion=obs},nn-sparsify{format=csr}" \
    --bench=200
else
  echo "(../shared/models not found: skipping the LeNet/MNIST part)"
fi
rm -rf "$out"
