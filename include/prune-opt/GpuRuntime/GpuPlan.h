//===- GpuPlan.h - Which GPU kernels a fully connected layer launches -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The launch plan of the GPU kernels (lib/GpuRuntime/Kernels.cuh and
// SparseTensorCore.cuh), shared by the kernels themselves (their block
// shape), by nn-lower-gpu-calls, which emits one gpu.launch_func per step,
// by GpuCallAttr's verifier (the layouts, the sizes of the 2:4 sparse
// tensor core arrays) and by the tests that check that all agree with
// launchFc and launchSptc24. Plain C++ (no CUDA, no LLVM): nvcc, clang's
// CUDA device mode and the host compiler all include it.
//
// Every kernel runs blocks of kBlockThreads threads. The kernel entry
// points (include/prune-opt/GpuRuntime/GpuEntries.def) are named
// <kernel>_<layout>, layout being the weight's GPU layout name:
//   dense                   row-major W[rows][cols]
//   csr8, csr16, csr32      packCSR's arrays, 8/16/32-bit columns
//   bsr8, bsr16, bsr32      packBSR's arrays, 8/16/32-bit block columns
//   nm24, nm                packNM's arrays (2:4 with 2-bit codes, or N:M)
//   sptc24f16, sptc24bf16   2:4 on the sparse tensor cores (mma.sp): W
//                           rounded to f16 / bf16, packed by
//                           lib/GpuRuntime/SparseTensorCorePack.h (values
//                           and metadata in the lanes' order; x is rounded
//                           to the same type by the kernel)
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

//===----------------------------------------------------------------------===//
// The 2:4 sparse tensor core kernel's shape (lib/GpuRuntime/
// SparseTensorCore.h describes the kernel and its packed layout)
//===----------------------------------------------------------------------===//

/// mma.sp.m16n8k32's tile: 16 outputs (M) x 32 inputs (K) x 8 batch
/// columns (N).
constexpr int kSptcTileRows = 16;
constexpr int kSptcTileK = 32;
constexpr int kSptcTileBatch = 8;
/// The kernel's blocks: 8 warps, each computing 2 row tiles (32 outputs) x
/// 32 batch columns (4 mma column tiles), over K in chunks of 4 k-tiles
/// (128 inputs) for which x is staged once in shared memory for the whole
/// block.
constexpr int kSptcWarps = 8;
constexpr int kSptcThreads = kSptcWarps * 32;
constexpr int kSptcRowTilesPerWarp = 2;
constexpr int kSptcBlockRowTiles = kSptcWarps * kSptcRowTilesPerWarp;
constexpr int kSptcBlockBatch = 32;
constexpr int kSptcChunkTiles = 4;
/// The most blocks a split-K launch is divided into along K (grid.z).
constexpr int kSptcMaxSplit = 64;
static_assert(kSptcThreads == kBlockThreads,
              "compiled models launch every kernel with kBlockThreads");

inline int64_t sptcCeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// 32-bit words of a packed 2:4 weight of rows x cols (SparseTensorCore.h):
/// the values (per 16 x 32 tile, 32 lanes x 4 words) and the metadata (per
/// row tile and pair of k-tiles, one word per lane).
inline int64_t sptcValueWords(int64_t rows, int64_t cols) {
  return sptcCeilDiv(rows, kSptcTileRows) * sptcCeilDiv(cols, kSptcTileK) * 32 *
         4;
}
inline int64_t sptcMetaWords(int64_t rows, int64_t cols) {
  return sptcCeilDiv(rows, kSptcTileRows) *
         ((sptcCeilDiv(cols, kSptcTileK) + 1) / 2) * 32;
}

/// How many parts along K (grid.z) the kernel splits a call of `batch`
/// columns into, for a weight of rowTiles x kTiles mma tiles: enough blocks
/// for `targetBlocks`, at most one part per K chunk and kSptcMaxSplit,
/// every part whole chunks and none empty. With more than one, the kernel
/// writes partial sums (parts * batch * rows floats of scratch) and a
/// second kernel adds them in a fixed order and applies the epilogue.
inline int sptcSplitTiles(int64_t rowTiles, int64_t kTiles, int64_t batch,
                          int64_t targetBlocks) {
  int64_t blocks = sptcCeilDiv(rowTiles, kSptcBlockRowTiles) *
                   sptcCeilDiv(batch, kSptcBlockBatch);
  int64_t chunks = sptcCeilDiv(kTiles, kSptcChunkTiles);
  int64_t split =
      blocks >= targetBlocks ? 1 : sptcCeilDiv(targetBlocks, blocks);
  split = split < chunks ? split : chunks;
  split = split < kSptcMaxSplit ? split : kSptcMaxSplit;
  split = split > 1 ? split : 1;
  // Equal parts of whole chunks, none empty.
  return int(sptcCeilDiv(chunks, sptcCeilDiv(chunks, split)));
}
/// The same for a rows x cols weight.
inline int sptcSplit(int64_t rows, int64_t cols, int64_t batch,
                     int64_t targetBlocks) {
  return sptcSplitTiles(sptcCeilDiv(rows, kSptcTileRows),
                        sptcCeilDiv(cols, kSptcTileK), batch, targetBlocks);
}

#ifndef PRUNE_GPU_BITCODE
/// The GPU layouts (the top of the file), and which of them run on the
/// sparse tensor cores.
inline const std::vector<std::string> &gpuLayouts() {
  static const std::vector<std::string> layouts = {
      "dense", "csr8", "csr16", "csr32",     "bsr8",      "bsr16",
      "bsr32", "nm24", "nm",    "sptc24f16", "sptc24bf16"};
  return layouts;
}
inline bool isSptcLayout(const std::string &layout) {
  return layout == "sptc24f16" || layout == "sptc24bf16";
}

/// The blocks a split-K plan aims for on `chip` (nn-lower-gpu's sm_80 or
/// sm_90): two per SM of the chip's data-center part (A100: 108 SMs;
/// H100 SXM and H200: 132). A compile-time guess of the GPU the model
/// will run on; any split computes the same sums, only the speed depends
/// on it (libPruneOptGpu asks the device instead).
inline int64_t planTargetBlocks(const std::string &chip) {
  return 2 * (chip == "sm_80" ? 108 : 132);
}

/// One launch: the kernel entry point (GpuEntries.def), its grid of
/// kBlockThreads-thread blocks, and its scalar parameters p0, p1.
struct PlanStep {
  std::string entry;
  unsigned gridX = 1, gridY = 1, gridZ = 1;
  int64_t p0 = 0, p1 = 0;
  /// Threads per block.
  unsigned block = kBlockThreads;
};

/// Whether `threads` is a block size the row kernels accept (warp_rows,
/// transpose_x, tile_rows read their block shape from blockDim): whole
/// warps, at most 1024.
inline bool isRowBlockSize(int64_t threads) {
  return threads >= kWarp && threads <= 1024 && threads % kWarp == 0;
}

/// The launches that compute y (+)= x W^T for a weight of GPU layout
/// `layout` (rows x cols) at `batch` rows of x, in order -- what
/// Kernels.cuh's launchFc and SparseTensorCore.cuh's launchSptc24 launch:
///   batch 1:           warp_rows_<layout>, a warp per output row;
///   batch > 1, dense:  dense_tiled, a block per 32 x 32 output tile;
///   batch > 1, sparse: transpose_x (x into the scratch as xT, cols x
///                      batch floats), then tile_rows_<layout>;
///   sptc24*, any batch: mma_sp_<layout>, a block per 256 rows x 32 batch
///                      columns x part of K (grid.z: sptcSplit parts for
///                      `targetBlocks`; p0 = the parts), then, if K is
///                      split, sptc_reduce (p0 = the parts), which adds
///                      the partial sums from the scratch.
/// `scalars` are the layout's (GpuCallAttr): bsr block rows and columns,
/// nm n and m; they are the steps' p0, p1 but for sptc. `rowBlock`: the
/// threads per block of warp_rows, transpose_x and tile_rows
/// (isRowBlockSize; nn-lower-gpu's block-threads); dense_tiled and the
/// sparse tensor core kernels always run kBlockThreads.
inline std::vector<PlanStep>
planFc(const std::string &layout, int64_t rows, int64_t cols, int64_t batch,
       const std::vector<int64_t> &scalars = {},
       int64_t targetBlocks = planTargetBlocks("sm_90"),
       unsigned rowBlock = kBlockThreads) {
  auto ceilDiv = [](int64_t a, int64_t b) {
    return unsigned(sptcCeilDiv(a, b));
  };
  if (isSptcLayout(layout)) {
    int split = sptcSplit(rows, cols, batch, targetBlocks);
    std::vector<PlanStep> steps = {
        {"mma_sp_" + layout,
         ceilDiv(sptcCeilDiv(rows, kSptcTileRows), kSptcBlockRowTiles),
         ceilDiv(batch, kSptcBlockBatch), unsigned(split), split, 0}};
    if (split > 1)
      steps.push_back(
          {"sptc_reduce", ceilDiv(batch * rows, kSptcThreads), 1, 1, split, 0});
    return steps;
  }
  int64_t p0 = scalars.size() > 0 ? scalars[0] : 0,
          p1 = scalars.size() > 1 ? scalars[1] : 0;
  if (batch == 1)
    return {{"warp_rows_" + layout, ceilDiv(rows, rowBlock / kWarp), 1, 1, p0,
             p1, rowBlock}};
  if (layout == "dense")
    return {{"dense_tiled", ceilDiv(rows, kTile), ceilDiv(batch, kTile), 1, p0,
             p1}};
  return {{"transpose_x", ceilDiv(cols, kTile), ceilDiv(batch, kTile), 1, p0,
           p1, rowBlock},
          {"tile_rows_" + layout, ceilDiv(rows, kTile), ceilDiv(batch, kTile),
           1, p0, p1, rowBlock}};
}

/// The floats of device scratch planFc's launches need (the entries'
/// `scratch` parameter; 0: none): xT for the batched sparse kernels, the
/// split-K partial sums for the sparse tensor cores.
inline int64_t
planScratchFloats(const std::string &layout, int64_t rows, int64_t cols,
                  int64_t batch,
                  int64_t targetBlocks = planTargetBlocks("sm_90")) {
  if (isSptcLayout(layout)) {
    int split = sptcSplit(rows, cols, batch, targetBlocks);
    return split > 1 ? split * batch * rows : 0;
  }
  return batch > 1 && layout != "dense" ? cols * batch : 0;
}
#endif // PRUNE_GPU_BITCODE

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_GPURUNTIME_GPUPLAN_H
