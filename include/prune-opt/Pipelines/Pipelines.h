//===- Pipelines.h - prune-opt pass pipelines -------------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_PIPELINES_PIPELINES_H
#define PRUNE_OPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::prune {

/// Options of the `nn-lower-cpu` pipeline.
struct LowerCpuOptions : public PassPipelineOptions<LowerCpuOptions> {
  PassOptions::Option<int32_t> vectorLength{
      *this, "vl", llvm::cl::desc("Vector length of sparse loops (0: scalar)"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> reassociateFPReductions{
      *this, "reassociate-fp-reductions",
      llvm::cl::desc("Allow reassociation of floating-point reductions"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> kernels{
      *this, "kernels",
      llvm::cl::desc("Lower fully connected layers with constant weights to "
                     "prune-opt's kernels (nn-lower-kernels); models then "
                     "link libPruneOptKernels"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseEpilogue{
      *this, "fuse-epilogue",
      llvm::cl::desc("Fuse bias and ReLU after a layer into its kernel call "
                     "(nn-lower-kernels)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> enableIndexOptimizations{
      *this, "enable-index-optimizations",
      llvm::cl::desc("Use 32-bit vector indices where possible"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> stackBufferBytes{
      *this, "stack-buffer-bytes",
      llvm::cl::desc("Bytes of a function's intermediate buffers put on the "
                     "stack instead of the heap (nn-stack-buffers; at most "
                     "32 KiB each; 0: none)"),
      llvm::cl::init(65536)};
};

/// From a (pruned, sparsified) linalg-on-tensors module to the LLVM dialect,
/// public functions exported with `_mlir_ciface_` wrappers. Built on the
/// upstream sparsifier, without its runtime library.
void buildLowerCpuPipeline(OpPassManager &pm, const LowerCpuOptions &options);

/// nn-lower-gpu: nn-lower-cpu with the fully connected layers on an NVIDIA
/// GPU (nn-lower-kernels{target=gpu}: gpu.launch_func of the project's
/// kernels, weights resident), the gpu.module compiled by MLIR's NVPTX
/// backend (convert-gpu-to-nvvm, gpu-module-to-binary) and the launches
/// lowered to MLIR's GPU runtime calls (gpu-to-llvm), which
/// libPruneOptGpu (or libPruneOptGpuEmu) provides. Everything else runs on
/// the host as nn-lower-cpu lowers it.
struct LowerGpuOptions : public PassPipelineOptions<LowerGpuOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("The NVIDIA chip: sm_80 or sm_90"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> binaryFormat{
      *this, "format",
      llvm::cl::desc("What the gpu.binary holds: isa (PTX, JIT-compiled by "
                     "the driver at load; needs no CUDA here), bin (a cubin "
                     "from ptxas) or fatbin (cubin + PTX; ptxas and "
                     "fatbinary)"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("The CUDA toolkit for format=bin|fatbin (ptxas, "
                     "fatbinary)"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<std::string> bitcode{
      *this, "bitcode",
      llvm::cl::desc("The kernels' bitcode (nn-lower-kernels' gpu-bitcode; "
                     "default: found beside the tool)"),
      llvm::cl::init("")};
  PassOptions::Option<int32_t> vectorLength{
      *this, "vl",
      llvm::cl::desc("Vector length of the host's sparse loops (0: scalar)"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> fuseEpilogue{
      *this, "fuse-epilogue",
      llvm::cl::desc("Fuse bias and ReLU after a layer into its kernel"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> sparseTensorCores{
      *this, "sparse-tensor-cores",
      llvm::cl::desc("Run 2:4 weights on the sparse tensor cores (mma.sp) "
                     "with W and x rounded to 16 bits, f32 sums: off "
                     "(default), f16 or bf16 (changes the numerics; "
                     "docs/UserGuide.md)"),
      llvm::cl::init("off")};
  PassOptions::Option<int64_t> blockThreads{
      *this, "block-threads",
      llvm::cl::desc("Threads per block of the row kernels (a warp per "
                     "output row at batch 1; the batched sparse kernels): a "
                     "multiple of 32 up to 1024 (nn-lower-gpu-calls)"),
      llvm::cl::init(256)};
};

void buildLowerGpuPipeline(OpPassManager &pm, const LowerGpuOptions &options);

/// TOSA -> linalg/arith/tensor, keeping #prune.decision attributes on constants
/// (registered as `nn-tosa-to-linalg`; the first step of nn-lower-cpu).
void buildTosaToLinalgPipeline(OpPassManager &pm);

/// Registers `nn-lower-cpu` (and future pipelines) with the global registry.
void registerPipelines();

} // namespace mlir::prune

#endif // PRUNE_OPT_PIPELINES_PIPELINES_H
