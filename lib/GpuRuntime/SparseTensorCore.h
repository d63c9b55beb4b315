//===- SparseTensorCore.h - 2:4 weights on sparse tensor cores --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/GpuRuntime (and its tests): what the 2:4 sparse tensor
// core kernel (SparseTensorCore.cuh), its host packer
// (SparseTensorCorePack.h) and Runtime.cpp share. No CUDA header, no LLVM.
//
// The kernel multiplies with PTX `mma.sp` of shape m16n8k32 (f16 or bf16
// inputs, f32 accumulators): A is a 16 x 32 tile of W (16 outputs x 32
// inputs, 2:4 along the inputs: 16 values stored per row), B a 32 x 8 tile
// of x^T (32 inputs x 8 batch columns). The packed weight is the
// compressed W -- rows x cols/2 16-bit values, rows padded to 16 and cols
// to 32 with zeros -- and its 2-bit indices, both stored in the order in
// which the lanes of a warp hold them as mma.sp operands ("fragments"), so
// that a lane loads its A registers with one 16-byte load per tile and its
// metadata with one 4-byte load per two tiles:
//
//   values[((rowTile * kTiles + kTile) * 32 + lane) * 4 + r]
//     = A register r of `lane` for tile (rowTile, kTile): two 16-bit values
//       (low half first), the stored entries of one group of 4 inputs:
//         row   = rowTile * 16 + lane / 4 + (r & 1 ? 8 : 0)
//         group = kTile * 8 + lane % 4 + (r & 2 ? 4 : 0)  (inputs 4g..4g+3)
//   meta[(rowTile * kPairs + p) * 32 + lane], kPairs = ceil(kTiles / 2)
//     = for lane % 4 in {0, 1}: the metadata of k-tile 2p (sparsity
//       selector 0), for lane % 4 in {2, 3}: of k-tile 2p + 1 (selector 1).
//       Lane 4q + 2s' + s (s' the selector, s in {0, 1}) holds 16 2-bit
//       indices of its k-tile kTile; bits 2j+1..2j, j = 0..7: row
//       rowTile*16 + q, group kTile * 8 + 4s + j/2, entry j % 2 (the low
//       entry first); j = 8..15: row rowTile*16 + q + 8, group
//       kTile * 8 + 4s + (j-8)/2.
//       An odd kTiles' last pair has a dummy second tile (every index pair
//       0, 1), never multiplied.
//
// Within a group the two stored entries are in increasing input order (a
// group with fewer than two nonzeros stores explicit zeros at the lowest
// free positions), so the metadata is valid for `mma.sp` and for
// `mma.sp::ordered_metadata`, which requires increasing indices.
//
// Where these facts come from (PTX ISA 9.x, section 9.7.14.6, "Matrix
// multiply-accumulate operation using mma.sp instruction with sparse
// matrix A"): A's fragment rows and columns, "Matrix Fragments for sparse
// mma.m16n8k32 with .f16 and .bf16 types" (groupID = lane >> 2,
// threadID_in_group = lane % 4; a0, a1 and a4, a5 in row groupID, the
// others in groupID + 8; a0..a3 in columns threadID_in_group * 4 + 0..3,
// a4..a7 16 further); the selector, "Sparse matrix storage" ("the sparsity
// selector must be either 0 (threads T0, T1) or 1 (threads T2, T3)"). The
// metadata's bit order is only drawn in the ISA's figure 122; it is taken
// from three open implementations that agree: CUTLASS's emulation of the
// SM89 sparse FP8 MMA by two f16 mma.sp.m16n8k32 (its comment "E[TA] =
// T0:00 T0:01 T1:00 T1:01 ... T3:01 T0:02 T0:03 ... T3:03": lane T0 of the
// pair holds the indices of every lane's a0..a3, T1 of a4..a7, the low bits
// first), MLIR's integration test sparse-mma-2-4-f16.mlir (one i16 per row
// and 16-column half; row groupID's in the low half of the register,
// groupID + 8's in the high one; 0x8888 = nonzeros at positions 0 and 2 of
// every group) and XLA's Triton lowering of its sparse dot to mma.sp (the
// same i16 pairs, lane l reading half l % 2).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_H
#define PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_H

#include "Float16.h"
#include "GpuTypes.h"
#include "Launch.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"

#include <cstdint>

namespace pruneopt::gpu {

// The kernel's shape (kSptcTileRows, kSptcBlockRowTiles, ...), the sizes
// of the packed arrays and the split along K: GpuPlan.h, which compiled
// models' launch plans share.

/// A packed 2:4 weight as the kernel reads it (device pointers; host
/// pointers under the emulation). Layout: the top of this file.
struct SptcWeightView {
  SptcType type = SptcType::F16;
  int64_t rows = 0, cols = 0;       // O, K (unpadded)
  int64_t rowTiles = 0, kTiles = 0; // ceil(rows / 16), ceil(cols / 32)
  const uint32_t *values = nullptr; // rowTiles * kTiles * 128 words
  const uint32_t *meta = nullptr;   // rowTiles * ceil(kTiles / 2) * 32 words
};

/// How many blocks along K a call of `batch` columns is split into:
/// GpuPlan.h's sptcSplitTiles (the runtime passes two blocks per SM as
/// targetBlocks; compiled models' plans use the same function). Returns a
/// split with no empty part (the same one launchSptc24 uses).
inline int sptcSplitK(const SptcWeightView &w, int64_t batch,
                      int64_t targetBlocks) {
  return sptcSplitTiles(w.rowTiles, w.kTiles, batch, targetBlocks);
}

/// SparseTensorCore.cuh's launchSptc24 on `stream` (nvcc, SparseTensorCore.cu):
/// y (+)= x W^T for the packed w; `partial`: scratch of kSplit * a.batch *
/// w.rows floats when kSplit > 1.
LaunchResult launchSptcOnDevice(const SptcWeightView &w, const FcArgs &a,
                                float *partial, int kSplit, void *stream);
/// out[b * ld + k] = x[b * xs + k] rounded to `type` (k < cols; 0 for
/// cols <= k < ld, ld even): the 16-bit x of the cuBLASLt f16 baseline.
LaunchResult launchToSixteenOnDevice(SptcType type, const float *x, int64_t xs,
                                     int64_t batch, int64_t cols, int64_t ld,
                                     uint16_t *out, void *stream);

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_H
