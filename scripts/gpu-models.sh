#!/usr/bin/env bash
# Prepares, here (LLVM, MLIR and the project built), the compiled MNIST
# models that scripts/gpu-check.sh runs on a GPU machine that has none of
# them (docs/Design.md, "GPU backend: compiled models"):
# - each model pruned, sparsified and lowered by nn-lower-gpu (fatbin:
#   sm_80/sm_90 cubin + PTX when the CUDA toolkit is here, else PTX), then
#   mlir-translate + clang into a shared library (x86-64 baseline, no
#   -march=native: the GPU machine's CPU may differ);
# - the same model's outputs on the CPU path (prune-run --output) for the
#   first LIMIT test images, the preprocessed images and their labels;
# The models' only other undefined symbol, memrefCopy, prune-gpu-run
# defines (Debian's libmlir_c_runner_utils would bring libMLIR along).
# Then gpu-check.sh (or prune-gpu-run by hand) runs every model on the GPU
# and compares with the CPU outputs; test/Gpu/gpu-models.test runs the same
# with the emulated runtime here.
#
# Usage: scripts/gpu-models.sh [OUT_DIR]   (default: build-gpu-check/models)
# Environment: BUILD (default ./build), MODELS (default ../shared/models),
# CHIP (sm_90), LIMIT (images, default 1000), CUDA (toolkit, /usr/local/cuda),
# CASES (space-separated case names, default all).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build}"
models="${MODELS:-$root/../shared/models}"
out="${1:-$root/build-gpu-check/models}"
chip="${CHIP:-sm_90}"
limit="${LIMIT:-1000}"
cuda="${CUDA:-/usr/local/cuda}"
llvm=/usr/lib/llvm-22
if [ ! -x "$build/bin/prune-opt" ]; then
  echo "gpu-models.sh: build the project first (scripts/build.sh)" >&2
  exit 2
fi
if [ ! -f "$models/mnist/t10k-images-idx3-ubyte.gz" ]; then
  echo "gpu-models.sh: no MNIST models at $models (set MODELS)" >&2
  exit 2
fi
format=isa
if [ -x "$cuda/bin/ptxas" ]; then format=fatbin; fi

# name|model|entry|preprocess|pipeline; a model named @M is M with its
# weights moved to a safetensors file beside the library (nn-store-weights),
# named relative to it: the compiled model maps its files at run time from
# $PRUNE_OPT_WEIGHTS_DIR (gpu-check.sh sets it to the models' directory).
all_cases=(
  "mlp-dense|iree_mnist_mlp_linalg.mlir|predict|scale=255,layout=nhwc|nn-prune{sparsity=0}"
  "mlp-csr80|iree_mnist_mlp_linalg.mlir|predict|scale=255,layout=nhwc|nn-prune{sparsity=0.8},nn-sparsify{format=csr}"
  "lenet-csr50|heir_lenet.mlir|lenet|scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw|nn-prune{sparsity=0.5},nn-sparsify{format=csr}"
  "lenet-nm24|heir_lenet.mlir|lenet|scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw|nn-prune{pattern=nm n=2 m=4},nn-sparsify{format=nm}"
  "mlp-csr80-ext|@iree_mnist_mlp_linalg.mlir|predict|scale=255,layout=nhwc|nn-prune{sparsity=0.8},nn-sparsify{format=csr}"
)
mkdir -p "$out"
# (Absolute paths: the commands below run in $out, so that weight files
# are named relative to it.)
out="$(cd "$out" && pwd)"
build="$(cd "$build" && pwd)"
models="$(cd "$models" && pwd)"
if [ -d "$cuda" ]; then cuda="$(cd "$cuda" && pwd)"; fi
mnist=(--images="$models/mnist/t10k-images-idx3-ubyte.gz"
  --labels="$models/mnist/t10k-labels-idx1-ubyte.gz" --limit="$limit")
: > "$out/cases.txt"
for c in "${all_cases[@]}"; do
  IFS='|' read -r name model entry pre pipeline <<< "$c"
  if [ -n "${CASES:-}" ] && [[ " $CASES " != *" $name "* ]]; then continue; fi
  input="$models/${model#@}"
  if [[ "$model" == @* ]]; then
    rm -f "$out/$name".*safetensors
    (cd "$out" && "$build/bin/prune-opt" "$input" \
      --nn-store-weights=file="$name.safetensors" -o "$name.input.mlir")
    input="$out/$name.input.mlir"
  fi
  (cd "$out" && "$build/bin/prune-opt" "$input" \
    --pass-pipeline="builtin.module($pipeline,nn-lower-gpu{chip=$chip format=$format toolkit=$cuda})" \
    -o "$out/$name.llvm.mlir")
  "$llvm/bin/mlir-translate" --mlir-to-llvmir "$out/$name.llvm.mlir" -o "$out/$name.ll"
  "$llvm/bin/clang" -O3 -shared -fPIC -w "$out/$name.ll" -o "$out/$name.so"
  rm -f "$out/$name.llvm.mlir" "$out/$name.ll"
  tag="${pre##*layout=}"
  (cd "$out" && "$build/bin/prune-run" "$input" --entry="$entry" "${mnist[@]}" \
    --preprocess="$pre" --pipeline="$pipeline" --output="$out/$name.ref.npy" \
    --save-inputs="$out/inputs-$tag.npy" --save-labels="$out/labels.npy" > /dev/null)
  rm -f "$out/$name.input.mlir"
  echo "$name|$entry|inputs-$tag.npy" >> "$out/cases.txt"
  echo "gpu-models.sh: $name ($pipeline, $chip $format) -> $out/$name.so"
done
