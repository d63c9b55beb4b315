//===- GpuTypes.h - What the GPU kernels and their callers share -*- C++
//-*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/GpuRuntime (and its tests): the plain structs a kernel
// launch takes, included by Kernels.cuh (compiled by nvcc for the device,
// or by a host compiler under SimtEmu.h) and by Runtime.cpp (host C++ that
// calls cudart and cuBLAS). No CUDA header, no LLVM.
//
// Layout of lib/GpuRuntime:
//   GpuTypes.h   this file
//   Kernels.cuh  the kernels and launchFc, the launch plan (which kernels,
//                which grid) -- one source for nvcc and for SimtEmu.h
//   SimtEmu.h    runs Kernels.cuh on host threads (the gtests)
//   Kernels.cu   instantiates launchFc with <<<>>> launches (nvcc)
//   Runtime.cpp  the C API of include/prune-opt/GpuRuntime/GpuRuntime.h
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_GPUTYPES_H
#define PRUNE_OPT_LIB_GPURUNTIME_GPUTYPES_H

#include <cstdint>

namespace pruneopt::gpu {

/// The weight layouts of the GPU kernels. All but Dense are the CPU kernel
/// library's packed arrays as they are (pruneopt::kernels::packCSR, packBSR,
/// packNM; Kernels.h describes them). Dense is the row-major W[rows][cols]:
/// packDense's 16-output panels serve AVX-512 register blocking, while a
/// warp wants one row contiguous (coalesced loads along K) and cuBLAS wants
/// a plain matrix.
enum class GpuFormat : int32_t { Dense, CSR, BSR, NM };

/// A weight as the kernels read it: device pointers (host pointers under
/// the emulation).
struct WeightView {
  GpuFormat format = GpuFormat::Dense;
  int64_t rows = 0, cols = 0;           // O, K
  int32_t colBits = 32;                 // csr/bsr column index: 8, 16 or 32
  int32_t blockRows = 1, blockCols = 1; // bsr R x C
  int32_t n = 0, m = 0;                 // nm
  const float *values = nullptr;        // every format (dense: W row-major)
  const int32_t *rowPtr = nullptr;      // csr: per row; bsr: per block row
  const void *col = nullptr;            // csr: column; bsr: block column
  const uint8_t *codes = nullptr;       // nm in-group offsets
};

/// Flags of a call: the CPU library's PRUNE_ACCUMULATE and PRUNE_RELU.
enum : int32_t { kAccumulate = 1, kRelu = 2 };

/// One fully connected call: y(b, o) = y[b*ys + o], x(b, k) = x[b*xs + k];
/// y = (accumulate ? y : 0) + x W^T, then + bias[o] (if bias), then ReLU
/// (max(0, v), NaN kept) if kRelu.
struct FcArgs {
  float *y = nullptr;
  int64_t ys = 0;
  const float *x = nullptr;
  int64_t xs = 0;
  int64_t batch = 0;
  int64_t rows = 0, cols = 0; // launchFc sets them from the weight
  int32_t flags = 0;
  const float *bias = nullptr;
  /// Scratch of batch * cols floats for the batched sparse kernels, which
  /// read x transposed (xT[k][b], the batch innermost); unused at batch 1
  /// and for dense.
  float *xT = nullptr;
};

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_GPUTYPES_H
