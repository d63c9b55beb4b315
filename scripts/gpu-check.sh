#!/usr/bin/env bash
# The GPU kernels on a real GPU (docs/Design.md, "GPU backend: kernels and
# emulation"). For a machine with an NVIDIA GPU, its driver and the CUDA
# toolkit, and no LLVM, MLIR or CMake: builds libPruneOptGpu.so and
# tools/prune-gpu-check with nvcc alone (the CPU kernel library's sources,
# which prune-gpu-check checks against, have no LLVM dependency), then runs
# it: a 4096x4096 layer (dense, 90 % unstructured, 4x1 blocks at 90 %, 2:4),
# batch 1 and 32, our kernels against cuBLAS in the same run, outputs
# checked against the CPU kernel library; then the 2:4 weight on the sparse
# tensor cores (f16 and bf16) against cuBLASLt's dense f16 in the same run.
# Then, if scripts/gpu-models.sh prepared them (on a machine with the
# project built; carry OUT_DIR/models), the pruned MNIST models compiled by
# nn-lower-gpu run on the GPU through prune-gpu-run, their outputs compared
# with the CPU path's (max |diff|, top-1 agreement, accuracy, us/inference).
#
# Usage: scripts/gpu-check.sh [--build-only] [prune-gpu-check options]
#   (prune-gpu-check --help lists them: --size, --batches, --iters, ...)
# Environment: OUT_DIR (default ./build-gpu-check), NVCC (default: nvcc on
# PATH, else /usr/local/cuda/bin/nvcc), GPU_ARCHS (default "80 90": sm_80
# and sm_90 code, PTX of the last), JOBS (parallel compiles, default nproc).
# The CMake build runs `--build-only` (target prune-gpu-check-nvcc) so that
# this build cannot rot where there is no GPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT_DIR:-$root/build-gpu-check}"
build_only=0
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
fi
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [ ! -x "$nvcc" ]; then
  echo "gpu-check.sh: no nvcc (put the CUDA toolkit's bin on PATH or set NVCC)" >&2
  exit 2
fi
archs=(${GPU_ARCHS:-80 90})
gencode=()
for a in "${archs[@]}"; do
  gencode+=(-gencode "arch=compute_$a,code=sm_$a")
done
last="${archs[${#archs[@]}-1]}"
gencode+=(-gencode "arch=compute_$last,code=compute_$last")
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

mkdir -p "$out/obj" "$out/lib" "$out/bin"
common=(-std=c++17 -O3 -I"$root/include" -I"$root/lib/GpuRuntime"
  -Xcompiler=-fPIC -Xcompiler=-pthread)

# name|source|extra flags: host C++ goes through nvcc to its host compiler.
units=()
for src in "$root"/lib/Runtime/*.cpp; do
  units+=("cpu-$(basename "$src" .cpp)|$src|")
done
units+=("gpu-Runtime|$root/lib/GpuRuntime/Runtime.cpp|")
units+=("gpu-ModelRuntime|$root/lib/GpuRuntime/ModelRuntime.cpp|")
units+=("gpu-Kernels|$root/lib/GpuRuntime/Kernels.cu|device")
units+=("gpu-SparseTensorCore|$root/lib/GpuRuntime/SparseTensorCore.cu|device")
units+=("prune-gpu-check|$root/tools/prune-gpu-check/prune-gpu-check.cpp|")
units+=("prune-gpu-run|$root/tools/prune-gpu-check/prune-gpu-run.cpp|")
# (prune-gpu-run also maps the weight files of models compiled with their
# weights outside the IR: lib/Runtime/WeightFiles.cpp, cpu-WeightFiles.o.)

compile() {
  local name="${1%%|*}" rest="${1#*|}"
  local src="${rest%%|*}" kind="${rest#*|}"
  local flags=("${common[@]}")
  if [ "$kind" = device ]; then flags+=("${gencode[@]}"); fi
  ${launcher[@]+"${launcher[@]}"} "$nvcc" "${flags[@]}" -c "$src" -o "$out/obj/$name.o"
}

echo "gpu-check.sh: $("$nvcc" --version | tail -1); code for $(printf 'sm_%s ' "${archs[@]}"); $jobs jobs -> $out"
pids=()
failed=0
for unit in "${units[@]}"; do
  compile "$unit" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ "$failed" != 0 ]; then
  echo "gpu-check.sh: compilation failed" >&2
  exit 1
fi

"$nvcc" -shared --cudart=shared "$out/obj/gpu-Kernels.o" \
  "$out/obj/gpu-SparseTensorCore.o" "$out/obj/gpu-Runtime.o" \
  "$out/obj/gpu-ModelRuntime.o" -lcublas -lcublasLt \
  -o "$out/lib/libPruneOptGpu.so"
"$nvcc" --cudart=shared "$out/obj/prune-gpu-check.o" "$out"/obj/cpu-*.o \
  -L"$out/lib" -lPruneOptGpu -Xcompiler=-pthread \
  -Xlinker "-rpath=$out/lib" -o "$out/bin/prune-gpu-check"
"$nvcc" "$out/obj/prune-gpu-run.o" "$out/obj/cpu-WeightFiles.o" \
  -Xlinker --export-dynamic -ldl \
  -o "$out/bin/prune-gpu-run"
echo "gpu-check.sh: built $out/bin/prune-gpu-check and prune-gpu-run"

if [ "$build_only" = 1 ]; then
  exit 0
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
status=0
"$out/bin/prune-gpu-check" "$@" || status=$?

models="$out/models"
if [ -f "$models/cases.txt" ]; then
  echo
  echo "Compiled models (nn-lower-gpu) on the GPU vs the CPU path:"
  while IFS='|' read -r name entry inputs; do
    PRUNE_OPT_WEIGHTS_DIR="$models" \
    "$out/bin/prune-gpu-run" --model="$models/$name.so" --entry="$entry" \
      --inputs="$models/$inputs" --reference="$models/$name.ref.npy" \
      --labels="$models/labels.npy" --runtime="$out/lib/libPruneOptGpu.so" \
      --name="$name" || status=1
  done < "$models/cases.txt"
else
  echo "gpu-check.sh: no compiled models at $models (scripts/gpu-models.sh prepares them)"
fi
exit "$status"
