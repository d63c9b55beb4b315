//===- Kernels.cuh - The GPU kernels of pruned layers ----------*- CUDA -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// y(b, o) = (accumulate ? y(b, o) : 0) + sum_k x(b, k) W[o, k], then
// + bias[o], then ReLU (max(0, v), NaN kept): the semantics of the CPU
// kernel library (lib/Runtime, PRUNE_ACCUMULATE / PRUNE_RELU), for weights
// in the layouts of GpuTypes.h. One source, three compilers: nvcc compiles
// it for the device (Kernels.cu: libPruneOptGpu's launches), clang's CUDA
// device mode into LLVM bitcode that compiled models link into their
// gpu.module (Bitcode.cu, Entries.cuh), and a host compiler under
// SimtEmu.h for the tests and the emulated runtime (EmuRuntime.cpp); so it
// uses only what the emulation has: threadIdx & co., static __shared__
// arrays, __syncthreads and full-warp shuffles. Each kernel is a
// __device__ function (warpRows, tileRows, transposeX, denseTiled) that
// the __global__ kernels and the bitcode's entry points call.
//
// The kernels (blocks of kBlockThreads = 256 threads, 8 warps, as launchFc
// launches them; warp_rows, transpose_x and tile_rows read the block shape
// from blockDim, so compiled models may launch them with any whole number
// of warps, nn-lower-gpu's block-threads):
// - warpRowsKernel (batch 1, every format): one warp per output row; lane l
//   sums the row's stored entries l, l + 32, ... (coalesced along the row),
//   then a butterfly of __shfl_xor_sync adds the 32 partial sums.
// - tileRowsKernel (batch > 1, sparse formats): one block per tile of 32
//   rows x 32 batch columns; each warp takes 4 of the rows, lane = batch
//   column, and walks the row's entries once for 32 batch columns, reading
//   x transposed (xT[k][b], the batch innermost: a warp reads 32 adjacent
//   floats per entry). The tile goes through shared memory so that y is
//   stored along o (coalesced).
// - transposeKernel: x -> xT for tileRowsKernel (32x32 tiles in shared
//   memory).
// - denseTiledKernel (batch > 1, dense): a 32x32 output tile per block,
//   K in steps of 32 through shared memory, 2x2 outputs per thread.
// - epilogueKernel: bias + ReLU after cuBLAS (which fuses neither).
// Every kernel applies the epilogue in registers at the output's one store
// (epilogue()). Products are summed with fmaf in a fixed order, so the
// emulation computes what the device computes.
//
// The format-specific part is a "rows" view (DenseRows, CsrRows, BsrRows,
// NmRows): the stored entries of output row o are e in [begin(o), end(o)),
// and at(o, e) gives the entry's value and column k.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_KERNELS_CUH
#define PRUNE_OPT_LIB_GPURUNTIME_KERNELS_CUH

#if !defined(__CUDACC__) && !defined(PRUNE_SIMT_EMU) &&                      \
    !defined(PRUNE_GPU_BITCODE)
#error "compile Kernels.cuh with nvcc, or include SimtEmu.h or Bitcode.cu's prelude first"
#endif

#include "Epilogue.cuh"
#include "GpuTypes.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"

#include <cstdint>
#include <type_traits>

namespace pruneopt::gpu {

// kWarp, kBlockThreads, kWarpsPerBlock, kTile: GpuPlan.h.

/// The sum of the 32 lanes' s, in every lane (butterfly: the same order on
/// every lane, so all get the same bits).
__device__ __forceinline__ float warpSum(float s) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    s += __shfl_xor_sync(0xffffffffu, s, offset);
  return s;
}

//===----------------------------------------------------------------------===//
// Rows views
//===----------------------------------------------------------------------===//

/// Dense: row o is W[o][0..cols).
struct DenseRows {
  static constexpr const char *kName = "dense";
  const float *w;
  int64_t cols;
  __device__ int begin(int) const { return 0; }
  __device__ int end(int) const { return int(cols); }
  __device__ void at(int o, int e, float &v, int &k) const {
    v = w[int64_t(o) * cols + e];
    k = e;
  }
};

/// csr (packCSR): entries rowPtr[o]..rowPtr[o+1] of col / values.
template <typename Col> struct CsrRows {
  static constexpr const char *kName = sizeof(Col) == 1   ? "csr8"
                                       : sizeof(Col) == 2 ? "csr16"
                                                          : "csr32";
  const int32_t *rowPtr;
  const Col *col;
  const float *values;
  __device__ int begin(int o) const { return rowPtr[o]; }
  __device__ int end(int o) const { return rowPtr[o + 1]; }
  __device__ void at(int, int e, float &v, int &k) const {
    v = values[e];
    k = int(col[e]);
  }
};

/// bsr (packBSR): output row o is row o % r of block row o / r; its entries
/// are the c columns of each of the block row's blocks (e = block * c + j).
template <typename Col> struct BsrRows {
  static constexpr const char *kName = sizeof(Col) == 1   ? "bsr8"
                                       : sizeof(Col) == 2 ? "bsr16"
                                                          : "bsr32";
  const int32_t *rowPtr;
  const Col *col;
  const float *values; // [blocks][r][c]
  int r, c;
  __device__ int begin(int o) const { return rowPtr[o / r] * c; }
  __device__ int end(int o) const { return rowPtr[o / r + 1] * c; }
  __device__ void at(int o, int e, float &v, int &k) const {
    int block = e / c, j = e - block * c;
    v = values[(int64_t(block) * r + o % r) * c + j];
    k = int(col[block]) * c + j;
  }
};

/// N:M along K (packNM): row o holds perRow = cols / m * n values at
/// o * stride; value e is at column (e / n) * m + its in-group offset (2:4:
/// 2-bit codes, 4 per byte; otherwise one byte each).
template <bool Is24> struct NmRows {
  static constexpr const char *kName = Is24 ? "nm24" : "nm";
  const uint8_t *codes;
  const float *values;
  int64_t stride;
  int perRow, n, m;
  __device__ int begin(int) const { return 0; }
  __device__ int end(int) const { return perRow; }
  __device__ void at(int o, int e, float &v, int &k) const {
    int64_t i = int64_t(o) * stride + e;
    int offset = Is24 ? (codes[i >> 2] >> (2 * (i & 3))) & 3 : codes[i];
    v = values[i];
    k = e / n * m + offset;
  }
};

/// The N:M view of packNM's arrays for a weight of `cols` inputs.
template <bool Is24>
__host__ __device__ __forceinline__ NmRows<Is24>
nmRows(const uint8_t *codes, const float *values, int64_t cols, int n, int m) {
  int perRow = int(cols / m * n);
  // packNM's row stride: 2:4 rows are padded to 16 values.
  int64_t stride = Is24 ? (perRow + 15) / 16 * 16 : perRow;
  return NmRows<Is24>{codes, values, stride, perRow, n, m};
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// Batch 1: one warp per output row (see the top of the file).
template <typename Rows>
__device__ __forceinline__ void warpRows(const Rows &w, const FcArgs &a) {
  int lane = threadIdx.x % kWarp;
  // (The block shape is blockDim: compiled models may choose it.)
  int o = blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp;
  float s = 0.0f;
  if (o < a.rows) {
    int end = w.end(o);
    for (int e = w.begin(o) + lane; e < end; e += kWarp) {
      float v;
      int k;
      w.at(o, e, v, k);
      s = fmaf(v, a.x[k], s);
    }
  }
  // The whole warp shuffles, also the warps past the last row.
  s = warpSum(s);
  if (lane == 0 && o < a.rows)
    a.y[o] = epilogue(s, a.y + o, a, o);
}
template <typename Rows>
__global__ void __launch_bounds__(kBlockThreads)
    warpRowsKernel(Rows w, FcArgs a) {
  warpRows(w, a);
}

/// Batch > 1, sparse formats: one block per 32 rows x 32 batch columns;
/// x is read transposed from a.xT ([cols][batch]).
template <typename Rows>
__device__ __forceinline__ void tileRows(const Rows &w, const FcArgs &a) {
  __shared__ float out[kTile][kTile + 1];
  int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  int o0 = blockIdx.x * kTile;
  int64_t b0 = int64_t(blockIdx.y) * kTile, b = b0 + lane;
  const float *xT = a.xT + b;
  for (int r = warp; r < kTile; r += blockDim.x / kWarp) {
    int o = o0 + r;
    float s = 0.0f;
    if (o < a.rows && b < a.batch) {
      int end = w.end(o);
      for (int e = w.begin(o); e < end; ++e) {
        float v;
        int k;
        w.at(o, e, v, k);
        s = fmaf(v, xT[int64_t(k) * a.batch], s);
      }
    }
    out[r][lane] = s;
  }
  __syncthreads();
  // Store along o: consecutive threads, consecutive outputs.
  for (int i = threadIdx.x; i < kTile * kTile; i += blockDim.x) {
    int r = i % kTile, c = i / kTile, o = o0 + r;
    int64_t bb = b0 + c;
    if (o < a.rows && bb < a.batch) {
      float *y = a.y + bb * a.ys + o;
      *y = epilogue(out[r][c], y, a, o);
    }
  }
}
template <typename Rows>
__global__ void __launch_bounds__(kBlockThreads)
    tileRowsKernel(Rows w, FcArgs a) {
  tileRows(w, a);
}

/// xT[k * batch + b] = x[b * xs + k], 32x32 tiles (blocks of 32 x 8
/// threads, each moving 4 values).
__device__ __forceinline__ void transposeX(const float *x, int64_t xs,
                                           int64_t batch, int64_t cols,
                                           float *xT) {
  __shared__ float tile[kTile][kTile + 1];
  int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  int64_t k0 = int64_t(blockIdx.x) * kTile, b0 = int64_t(blockIdx.y) * kTile;
  for (int j = ty; j < kTile; j += blockDim.x / kTile)
    if (b0 + j < batch && k0 + tx < cols)
      tile[j][tx] = x[(b0 + j) * xs + k0 + tx];
  __syncthreads();
  for (int j = ty; j < kTile; j += blockDim.x / kTile)
    if (k0 + j < cols && b0 + tx < batch)
      xT[(k0 + j) * batch + b0 + tx] = tile[tx][j];
}
__global__ void __launch_bounds__(kBlockThreads)
    transposeKernel(const float *x, int64_t xs, int64_t batch, int64_t cols,
                    float *xT) {
  transposeX(x, xs, batch, cols, xT);
}

/// Batch > 1, dense: the 32 x 32 tile of outputs (o0.., b0..) per block;
/// thread (tx, ty) of 16 x 16 computes outputs o0 + tx + {0, 16} for batch
/// rows b0 + ty + {0, 16}. W and x are staged 32 columns of K at a time.
__device__ __forceinline__ void denseTiled(const float *w, const FcArgs &a) {
  __shared__ float ws[kTile][kTile + 1]; // [o][k]
  __shared__ float xs[kTile][kTile + 1]; // [b][k]
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  int64_t o0 = int64_t(blockIdx.x) * kTile, b0 = int64_t(blockIdx.y) * kTile;
  float acc[2][2] = {{0.0f, 0.0f}, {0.0f, 0.0f}};
  for (int64_t k0 = 0; k0 < a.cols; k0 += kTile) {
    // Coalesced along k; zeros outside W and x.
    for (int i = threadIdx.x; i < kTile * kTile; i += kBlockThreads) {
      int r = i / kTile, kk = i % kTile;
      int64_t k = k0 + kk;
      bool inK = k < a.cols;
      ws[r][kk] = inK && o0 + r < a.rows ? w[(o0 + r) * a.cols + k] : 0.0f;
      xs[r][kk] = inK && b0 + r < a.batch ? a.x[(b0 + r) * a.xs + k] : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < kTile; ++kk)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          acc[i][j] = fmaf(ws[tx + 16 * i][kk], xs[ty + 16 * j][kk], acc[i][j]);
    __syncthreads();
  }
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 2; ++i) {
      int64_t o = o0 + tx + 16 * i, b = b0 + ty + 16 * j;
      if (o < a.rows && b < a.batch) {
        float *y = a.y + b * a.ys + o;
        *y = epilogue(acc[i][j], y, a, o);
      }
    }
}
__global__ void __launch_bounds__(kBlockThreads)
    denseTiledKernel(const float *w, FcArgs a) {
  denseTiled(w, a);
}

/// bias + ReLU on y after cuBLAS has computed (accumulated) the product:
/// the epilogue of the other kernels without the accumulation.
__global__ void __launch_bounds__(kBlockThreads) epilogueKernel(FcArgs a) {
  int64_t i = int64_t(blockIdx.x) * kBlockThreads + threadIdx.x;
  if (i >= a.batch * a.rows)
    return;
  int64_t b = i / a.rows, o = i % a.rows;
  float *y = a.y + b * a.ys + o;
  FcArgs e = a;
  e.flags &= ~kAccumulate;
  *y = epilogue(*y, y, e, o);
}

//===----------------------------------------------------------------------===//
// The launch plan (host code: not in the device-only bitcode)
//===----------------------------------------------------------------------===//

#ifndef PRUNE_GPU_BITCODE

/// Calls fn(rows view) with the view of w's format and index width; false
/// for a layout the kernels do not have.
template <typename Fn> bool withRows(const WeightView &w, Fn fn) {
  switch (w.format) {
  case GpuFormat::Dense:
    fn(DenseRows{w.values, w.cols});
    return true;
  case GpuFormat::CSR:
    if (w.colBits == 8)
      fn(CsrRows<uint8_t>{w.rowPtr, static_cast<const uint8_t *>(w.col),
                          w.values});
    else if (w.colBits == 16)
      fn(CsrRows<uint16_t>{w.rowPtr, static_cast<const uint16_t *>(w.col),
                           w.values});
    else if (w.colBits == 32)
      fn(CsrRows<int32_t>{w.rowPtr, static_cast<const int32_t *>(w.col),
                          w.values});
    else
      return false;
    return true;
  case GpuFormat::BSR:
    if (w.colBits == 8)
      fn(BsrRows<uint8_t>{w.rowPtr, static_cast<const uint8_t *>(w.col),
                          w.values, w.blockRows, w.blockCols});
    else if (w.colBits == 16)
      fn(BsrRows<uint16_t>{w.rowPtr, static_cast<const uint16_t *>(w.col),
                           w.values, w.blockRows, w.blockCols});
    else if (w.colBits == 32)
      fn(BsrRows<int32_t>{w.rowPtr, static_cast<const int32_t *>(w.col),
                          w.values, w.blockRows, w.blockCols});
    else
      return false;
    return true;
  case GpuFormat::NM:
    if (w.n == 2 && w.m == 4)
      fn(nmRows<true>(w.codes, w.values, w.cols, w.n, w.m));
    else
      fn(nmRows<false>(w.codes, w.values, w.cols, w.n, w.m));
    return true;
  }
  return false;
}

inline unsigned ceilDiv(int64_t a, int64_t b) {
  return unsigned((a + b - 1) / b);
}

/// Launches the kernels of y (+)= x W^T for w: launch(kernel, layout,
/// function, grid, block, args...) launches one (with <<<>>> in Kernels.cu,
/// simt::launch in the tests; kernel and layout name it, e.g. "warp_rows",
/// "csr8") and returns false to stop. `a.rows`/`a.cols` are set from w;
/// batch > 1 on a sparse format needs a.xT. Returns false if a launch
/// failed or w's layout has no kernel.
template <typename Launch>
bool launchFc(const WeightView &w, FcArgs a, Launch &&launch) {
  a.rows = w.rows;
  a.cols = w.cols;
  dim3 block(kBlockThreads);
  if (a.batch == 1) {
    bool ok = false;
    bool known = withRows(w, [&](auto rows) {
      using Rows = decltype(rows);
      ok = launch("warp_rows", Rows::kName, warpRowsKernel<Rows>,
                  dim3(ceilDiv(w.rows, kWarpsPerBlock)), block, rows, a);
    });
    return known && ok;
  }
  dim3 tiles(ceilDiv(w.rows, kTile), ceilDiv(a.batch, kTile));
  if (w.format == GpuFormat::Dense)
    return launch("dense_tiled", "dense", denseTiledKernel, tiles, block,
                  w.values, a);
  if (!launch("transpose_x", "", transposeKernel,
              dim3(ceilDiv(w.cols, kTile), ceilDiv(a.batch, kTile)), block, a.x,
              a.xs, a.batch, a.cols, a.xT))
    return false;
  bool ok = false;
  bool known = withRows(w, [&](auto rows) {
    using Rows = decltype(rows);
    if constexpr (!std::is_same_v<Rows, DenseRows>) // dense is tiled above
      ok = launch("tile_rows", Rows::kName, tileRowsKernel<Rows>, tiles, block,
                  rows, a);
  });
  return known && ok;
}

/// The epilogue after cuBLAS (bias and/or ReLU; nothing to launch without).
template <typename Launch>
bool launchEpilogue(int64_t rows, FcArgs a, Launch &&launch) {
  a.rows = rows;
  if (!a.bias && !(a.flags & kRelu))
    return true;
  return launch("epilogue", "", epilogueKernel,
                dim3(ceilDiv(a.batch * rows, kBlockThreads)),
                dim3(kBlockThreads), a);
}

#endif // PRUNE_GPU_BITCODE

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_KERNELS_CUH
