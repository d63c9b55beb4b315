//===- GpuPlan.h - Which GPU kernels a fully connected layer launches -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The launch plan of the GPU kernels (lib/GpuRuntime/Kernels.cuh), shared
// by the kernels themselves (their block shape), by nn-lower-kernels'
// GPU materialization (target=gpu), which emits one gpu.launch_func per
// step, and by the tests that check that both agree with launchFc. Plain
// C++ (no CUDA, no LLVM): nvcc, clang's CUDA device mode and the host
// compiler all include it.
//
// Every kernel runs blocks of kBlockThreads threads. The kernel entry
// points (include/prune-opt/GpuRuntime/GpuEntries.def) are named
// <kernel>_<layout>, layout being the weight's GPU layout name:
//   dense                   row-major W[rows][cols]
//   csr8, csr16, csr32      packCSR's arrays, 8/16/32-bit columns
//   bsr8, bsr16, bsr32      packBSR's arrays, 8/16/32-bit block columns
//   nm24, nm                packNM's arrays (2:4 with 2-bit codes, or N:M)
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_GPURUNTIME_GPUPLAN_H
#define PRUNE_OPT_GPURUNTIME_GPUPLAN_H

#include <cstdint>
#ifndef PRUNE_GPU_BITCODE // (the device-only bitcode has no C++ library)
#include <string>
#include <vector>
#endif

namespace pruneopt::gpu {

constexpr int kWarp = 32;
/// Threads of every block of every kernel (8 warps).
constexpr int kBlockThreads = 256;
constexpr int kWarpsPerBlock = kBlockThreads / kWarp;
/// Rows and batch columns of the output tile of the batched kernels.
constexpr int kTile = 32;

#ifndef PRUNE_GPU_BITCODE
/// One launch: the kernel entry point (GpuEntries.def) and its grid of
/// kBlockThreads-thread blocks.
struct PlanStep {
  std::string entry;
  unsigned gridX = 1, gridY = 1;
};

/// The launches that compute y (+)= x W^T for a weight of GPU layout
/// `layout` (rows x cols) at `batch` rows of x, in order -- what
/// Kernels.cuh's launchFc launches:
///   batch 1:           warp_rows_<layout>, a warp per output row;
///   batch > 1, dense:  dense_tiled, a block per 32 x 32 output tile;
///   batch > 1, sparse: transpose_x (x into the xT scratch of cols x batch
///                      floats), then tile_rows_<layout>.
inline std::vector<PlanStep> planFc(const std::string &layout, int64_t rows,
                                    int64_t cols, int64_t batch) {
  auto ceilDiv = [](int64_t a, int64_t b) { return unsigned((a + b - 1) / b); };
  if (batch == 1)
    return {{"warp_rows_" + layout, ceilDiv(rows, kWarpsPerBlock), 1}};
  if (layout == "dense")
    return {{"dense_tiled", ceilDiv(rows, kTile), ceilDiv(batch, kTile)}};
  return {{"transpose_x", ceilDiv(cols, kTile), ceilDiv(batch, kTile)},
          {"tile_rows_" + layout, ceilDiv(rows, kTile), ceilDiv(batch, kTile)}};
}

/// Whether the batched plan of `layout` needs the xT scratch.
inline bool planNeedsTranspose(const std::string &layout, int64_t batch) {
  return batch > 1 && layout != "dense";
}
#endif // PRUNE_GPU_BITCODE

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_GPURUNTIME_GPUPLAN_H
