//===- SparseTensorCore.cuh - 2:4 on sparse tensor cores ------*- CUDA -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// y(b, o) = (accumulate ? y(b, o) : 0) + sum_k x(b, k) W[o, k], + bias[o],
// ReLU (max(0, v), NaN kept) -- Kernels.cuh's semantics (GpuTypes.h,
// FcArgs) -- for a W that is 2:4 along K, on the sparse tensor cores: PTX
// mma.sp.m16n8k32 with f16 or bf16 inputs and f32 accumulation.
//
// Numerics (an explicit option of the upload, docs/UserGuide.md): W is
// stored rounded to f16 or bf16 (the packer, SparseTensorCorePack.h), and
// x is rounded to the same type when it is staged (cvt.rn: nearest, ties
// to even); products and sums are f32 (the tensor cores' accumulation
// order is unspecified, SimtMmaSp.h). Bias, accumulation and ReLU are f32.
//
// One source, three compilers: nvcc (SparseTensorCore.cu: the launches),
// clang++ -x cuda --cuda-device-only -nocudainc (ClangCudaPrelude.h gives
// the CUDA keywords; -DPRUNE_SPTC_INSTANTIATE instantiates the kernels:
// test/Gpu/sptc-ptx.test; Bitcode.cu: the entry points of compiled models)
// and a host compiler under SimtEmu.h, where mma.sp is SimtMmaSp.h's warp
// collective (test/Unit/SparseTensorCoreTest.cpp, the emulated runtime).
// Only inline PTX the emulation replaces: the mma.sp, cvt.rn pairs, one
// vector load. Each kernel is a __device__ function (sptc24, sptcReduce)
// that its __global__ kernel and the entry points of Entries.cuh (compiled
// models, nn-lower-gpu{sparse-tensor-cores=...}) call.
//
// The kernels (blocks of kSptcThreads = 256 threads, 8 warps):
// - sptc24Kernel (sptc24): a block computes 256 outputs (16 row tiles;
//   each warp two, 32 rows) x 32 batch columns (4 mma column tiles) over
//   one part of K. K goes in chunks of 4 k-tiles (128 inputs): each warp
//   first issues its weight loads for the chunk (per row tile and k-tile
//   one 16-byte load of its A registers, and one 4-byte load of metadata
//   per two k-tiles; SparseTensorCore.h has the layout), then the block
//   stages x[32 batch][128 k] into shared memory as 16-bit pairs (the x of
//   a chunk is read once per block, for all its 256 outputs), then each
//   warp issues 2 row tiles x 4 k-tiles x 4 column tiles mma.sp. Even
//   k-tiles use sparsity selector 0 and odd ones 1, so one metadata word
//   per lane serves two k-tiles. Batch columns past the batch are staged
//   as zeros and not stored; whole column tiles past it are skipped.
// - With K split over grid.z (kSplit > 1, sptcSplitK: too few blocks for
//   the GPU otherwise), each part stores its raw sums to `partial`
//   ([kSplit][batch][rows]) and sptcReduceKernel (sptcReduce) adds them
//   in part order and applies the epilogue: deterministic, no atomics.
//   Otherwise the epilogue is applied in registers at the output's one
//   store.
// - toSixteenKernel: x -> 16-bit x for the cuBLASLt f16 baseline.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_CUH
#define PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_CUH

#include "ClangCudaPrelude.h"

#if !defined(__CUDACC__) && !defined(__CUDA__) && !defined(PRUNE_SIMT_EMU)
#error "compile with nvcc or clang -x cuda, or under SimtEmu.h"
#endif

#include "Epilogue.cuh"
#include "GpuTypes.h"
#include "SparseTensorCore.h"

#ifdef PRUNE_SIMT_EMU
#include "SimtMmaSp.h"
#endif

#include <cstdint>

// mma.sp::ordered_metadata (PTX ISA 8.5, CUDA 12.5) unless told or unable:
// the ISA advises it ("mma.sp instruction may have substantially reduced
// performance on some target architectures"); both read the packer's
// metadata (increasing indices) the same way.
#if defined(PRUNE_SPTC_PLAIN_MMA_SP) ||                                        \
    (defined(__CUDACC_VER_MAJOR__) &&                                          \
     __CUDACC_VER_MAJOR__ * 100 + __CUDACC_VER_MINOR__ < 1205)
#define PRUNE_SPTC_MMA_SP "mma.sp"
#else
#define PRUNE_SPTC_MMA_SP "mma.sp::ordered_metadata"
#endif

namespace pruneopt::gpu {
namespace sptc {

/// mma column tiles per block (8 batch columns each).
constexpr int kColTiles = kSptcBlockBatch / kSptcTileBatch;
/// 16-bit pairs of one staged batch row of a chunk.
constexpr int kChunkPairs = kSptcChunkTiles * kSptcTileK / 2;
/// The staged row's pitch in words: +4 puts word (row 8j + q, column
/// 4r + t) of a B-fragment load in bank 4q + t (+ a constant): the 32 lanes
/// hit 32 banks.
constexpr int kPitch = kChunkPairs + 4;

/// One lane's four A registers of one tile: a single 16-byte load.
struct alignas(16) Words4 {
  uint32_t w[4];
};

__device__ __forceinline__ Words4 loadWords4(const uint32_t *p) {
  Words4 r;
#ifdef PRUNE_SIMT_EMU
  for (int i = 0; i < 4; ++i)
    r.w[i] = p[i];
#else
  // Through the non-coherent (read-only) path: the weight does not change
  // while a kernel runs.
  asm("ld.global.nc.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(r.w[0]), "=r"(r.w[1]), "=r"(r.w[2]), "=r"(r.w[3])
      : "l"(p));
#endif
  return r;
}

/// lo and hi rounded to T (nearest, ties to even), lo in the low half: a
/// register of an mma operand.
template <SptcType T>
__device__ __forceinline__ uint32_t packPair(float lo, float hi) {
#ifdef PRUNE_SIMT_EMU
  return uint32_t(toSixteen(T, lo)) | uint32_t(toSixteen(T, hi)) << 16;
#else
  uint32_t r;
  // cvt.rn.{f16,bf16}x2.f32 d, a, b: a's conversion goes to the upper half
  // of d, b's to the lower (PTX ISA, cvt); sm_80.
  if constexpr (T == SptcType::F16)
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  else
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
#endif
}

/// d = A * B + d on the tensor cores: mma.sp.m16n8k32, f32 accumulators;
/// `Selector` picks the lane pair whose `e` holds the metadata.
template <SptcType T, int Selector>
__device__ __forceinline__ void mmaSp(float (&d)[4], const uint32_t (&a)[4],
                                      const uint32_t (&b)[4], uint32_t e) {
#ifdef PRUNE_SIMT_EMU
  simt::mmaSpM16N8K32(T, d, a, b, d, e, Selector);
#else
  // Operands as the ISA lists them: d, a, b, c (here d itself), the
  // metadata e and the sparsity selector f (an immediate).
  if constexpr (T == SptcType::F16)
    asm volatile(PRUNE_SPTC_MMA_SP
                 ".sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9, %10, %11}, "
                 "{%0, %1, %2, %3}, %12, %13;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                   "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e), "n"(Selector));
  else
    asm volatile(PRUNE_SPTC_MMA_SP
                 ".sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9, %10, %11}, "
                 "{%0, %1, %2, %3}, %12, %13;"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                   "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e), "n"(Selector));
#endif
}

} // namespace sptc

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// y (+)= x W^T for a packed 2:4 W: see the top of the file. Block (x, y,
/// z) computes row tiles 16x.. of batch columns 32y.. over K chunks
/// [z * chunksPerSplit, (z + 1) * chunksPerSplit); with `partial`, stores
/// raw sums to partial[z][b][o] instead of y. The kernel's body, run by
/// sptc24Kernel and by compiled models' entry points (Entries.cuh).
template <SptcType T>
__device__ __forceinline__ void sptc24(const SptcWeightView &w, const FcArgs &a,
                                       float *partial, int chunksPerSplit) {
  using namespace sptc;
  __shared__ uint32_t xs[kSptcBlockBatch][kPitch];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int q = lane / 4, t = lane % 4;
  const int64_t b0 = int64_t(blockIdx.y) * kSptcBlockBatch;
  const int64_t rt0 = int64_t(blockIdx.x) * kSptcBlockRowTiles +
                      int64_t(warp) * kSptcRowTilesPerWarp;
  const int64_t kChunks = (w.kTiles + kSptcChunkTiles - 1) / kSptcChunkTiles;
  const int64_t kPairs = (w.kTiles + 1) / 2;
  const int64_t c0 = int64_t(blockIdx.z) * chunksPerSplit;
  const int64_t c1 =
      c0 + chunksPerSplit < kChunks ? c0 + chunksPerSplit : kChunks;
  // Column tiles holding batch columns (every test below is the same for
  // the whole warp: mma.sp needs all 32 lanes).
  const int64_t left = a.batch - b0;
  const int colTiles = left >= kSptcBlockBatch
                           ? kColTiles
                           : int((left + kSptcTileBatch - 1) / kSptcTileBatch);
  float acc[kSptcRowTilesPerWarp][kColTiles][4] = {};

  for (int64_t c = c0; c < c1; ++c) {
    const int64_t kt0 = c * kSptcChunkTiles;
    // The warp's weights for the chunk, in flight while x is staged. (The
    // loops have constant trip counts and guarded bodies, no early exits,
    // so that they unroll and the arrays stay in registers.)
    Words4 av[kSptcRowTilesPerWarp][kSptcChunkTiles] = {};
    uint32_t ev[kSptcRowTilesPerWarp][kSptcChunkTiles / 2] = {};
#pragma unroll
    for (int r = 0; r < kSptcRowTilesPerWarp; ++r)
#pragma unroll
      for (int kk = 0; kk < kSptcChunkTiles; ++kk) {
        const int64_t rt = rt0 + r, kt = kt0 + kk;
        if (rt < w.rowTiles && kt < w.kTiles) {
          av[r][kk] =
              loadWords4(w.values + ((rt * w.kTiles + kt) * 32 + lane) * 4);
          if (kk % 2 == 0)
            ev[r][kk / 2] = w.meta[(rt * kPairs + kt / 2) * 32 + lane];
        }
      }
    // x[b0..b0+32][the chunk's 128 k] as 16-bit pairs; zeros past the
    // batch and past cols (the packer's padding columns are zero too).
    for (int i = threadIdx.x; i < kSptcBlockBatch * kChunkPairs;
         i += kSptcThreads) {
      const int bb = i / kChunkPairs, p = i % kChunkPairs;
      const int64_t b = b0 + bb, k = kt0 * kSptcTileK + 2 * p;
      float lo = 0.0f, hi = 0.0f;
      if (b < a.batch) {
        const float *xr = a.x + b * a.xs;
        if (k < a.cols)
          lo = xr[k];
        if (k + 1 < a.cols)
          hi = xr[k + 1];
      }
      xs[bb][p] = packPair<T>(lo, hi);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kSptcChunkTiles; ++kk)
#pragma unroll
      for (int j = 0; j < kColTiles; ++j)
        if (kt0 + kk < w.kTiles && j < colTiles) {
          // B register r4: x(b0 + 8j + q, k-tile's 2t + 8 r4 and + 1).
          uint32_t bf[4];
#pragma unroll
          for (int r4 = 0; r4 < 4; ++r4)
            bf[r4] = xs[kSptcTileBatch * j + q][kk * 16 + 4 * r4 + t];
#pragma unroll
          for (int r = 0; r < kSptcRowTilesPerWarp; ++r)
            if (rt0 + r < w.rowTiles) {
              if (kk % 2 == 0)
                mmaSp<T, 0>(acc[r][j], av[r][kk].w, bf, ev[r][kk / 2]);
              else
                mmaSp<T, 1>(acc[r][j], av[r][kk].w, bf, ev[r][kk / 2]);
            }
        }
    __syncthreads(); // before the next chunk overwrites xs
  }

  // D element i of the lane: row q (+8 for i >= 2), column 2t + i % 2.
#pragma unroll
  for (int r = 0; r < kSptcRowTilesPerWarp; ++r)
#pragma unroll
    for (int j = 0; j < kColTiles; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t o = (rt0 + r) * kSptcTileRows + q + (i >= 2 ? 8 : 0);
        const int64_t b = b0 + kSptcTileBatch * j + 2 * t + i % 2;
        if (o < a.rows && b < a.batch) {
          if (partial) {
            partial[(int64_t(blockIdx.z) * a.batch + b) * a.rows + o] =
                acc[r][j][i];
          } else {
            float *y = a.y + b * a.ys + o;
            *y = epilogue(acc[r][j][i], y, a, o);
          }
        }
      }
}
template <SptcType T>
__global__ void __launch_bounds__(kSptcThreads)
    sptc24Kernel(SptcWeightView w, FcArgs a, float *partial,
                 int chunksPerSplit) {
  sptc24<T>(w, a, partial, chunksPerSplit);
}

/// Split K: y(b, o) = epilogue(partial[0][b][o] + partial[1][b][o] + ...),
/// one thread per output, the parts added in order.
__device__ __forceinline__ void sptcReduce(const float *partial, int kSplit,
                                           const FcArgs &a) {
  const int64_t i = int64_t(blockIdx.x) * kSptcThreads + threadIdx.x;
  const int64_t n = a.batch * a.rows;
  if (i >= n)
    return;
  float v = partial[i];
  for (int z = 1; z < kSplit; ++z)
    v += partial[z * n + i];
  const int64_t b = i / a.rows, o = i % a.rows;
  float *y = a.y + b * a.ys + o;
  *y = epilogue(v, y, a, o);
}
__global__ void __launch_bounds__(kSptcThreads)
    sptcReduceKernel(const float *partial, int kSplit, FcArgs a) {
  sptcReduce(partial, kSplit, a);
}

/// out[b * ld + k] (16-bit, as pairs: ld even) = x[b * xs + k] rounded to
/// T for k < cols, 0 for cols <= k < ld.
template <SptcType T>
__global__ void __launch_bounds__(kSptcThreads)
    toSixteenKernel(const float *x, int64_t xs, int64_t batch, int64_t cols,
                    int64_t ld, uint32_t *out) {
  const int64_t pairs = ld / 2;
  const int64_t i = int64_t(blockIdx.x) * kSptcThreads + threadIdx.x;
  if (i >= batch * pairs)
    return;
  const int64_t b = i / pairs, k = 2 * (i % pairs);
  const float *xr = x + b * xs;
  out[i] = sptc::packPair<T>(k < cols ? xr[k] : 0.0f,
                             k + 1 < cols ? xr[k + 1] : 0.0f);
}

//===----------------------------------------------------------------------===//
// The launch plans (host code; not under ClangCudaPrelude.h: no dim3)
//===----------------------------------------------------------------------===//

#ifndef PRUNE_CLANG_CUDA_NO_HEADERS

/// Launches y (+)= x W^T for the packed w with K split `kSplit` ways (1:
/// none; sptcSplitK's choice, or any other: it is rounded to whole chunks
/// per part). With more than one part, `partial` must hold kSplit *
/// a.batch * w.rows floats. launch(kernel, layout, function, grid, block,
/// args...) as Kernels.cuh's launchFc ("mma_sp"/"sptc24f16" or
/// "sptc24bf16", then "sptc_reduce"/"" when split: GpuPlan.h's entry
/// names); false if a launch failed.
template <typename Launch>
bool launchSptc24(const SptcWeightView &w, FcArgs a, float *partial, int kSplit,
                  Launch &&launch) {
  a.rows = w.rows;
  a.cols = w.cols;
  const int64_t chunks = sptcCeilDiv(w.kTiles, kSptcChunkTiles);
  const int64_t perSplit = sptcCeilDiv(chunks, kSplit > 1 ? kSplit : 1);
  const int split = int(sptcCeilDiv(chunks, perSplit));
  const dim3 grid(unsigned(sptcCeilDiv(w.rowTiles, kSptcBlockRowTiles)),
                  unsigned(sptcCeilDiv(a.batch, kSptcBlockBatch)),
                  unsigned(split));
  const dim3 block(kSptcThreads);
  float *out = split > 1 ? partial : nullptr;
  bool ok = w.type == SptcType::BF16
                ? launch("mma_sp", "sptc24bf16", sptc24Kernel<SptcType::BF16>,
                         grid, block, w, a, out, int(perSplit))
                : launch("mma_sp", "sptc24f16", sptc24Kernel<SptcType::F16>,
                         grid, block, w, a, out, int(perSplit));
  if (!ok || split == 1)
    return ok;
  const float *sums = partial;
  return launch("sptc_reduce", "", sptcReduceKernel,
                dim3(unsigned(sptcCeilDiv(a.batch * w.rows, kSptcThreads))),
                block, sums, split, a);
}

/// Launches toSixteenKernel (out: batch * ld / 2 words).
template <typename Launch>
bool launchToSixteen(SptcType type, const float *x, int64_t xs, int64_t batch,
                     int64_t cols, int64_t ld, uint32_t *out, Launch &&launch) {
  const dim3 grid(unsigned(sptcCeilDiv(batch * (ld / 2), kSptcThreads)));
  const dim3 block(kSptcThreads);
  return type == SptcType::BF16
             ? launch("to_sixteen", "bf16", toSixteenKernel<SptcType::BF16>,
                      grid, block, x, xs, batch, cols, ld, out)
             : launch("to_sixteen", "f16", toSixteenKernel<SptcType::F16>, grid,
                      block, x, xs, batch, cols, ld, out);
}

#endif // PRUNE_CLANG_CUDA_NO_HEADERS

#ifdef PRUNE_SPTC_INSTANTIATE
// The kernels without their launches (which need the CUDA runtime), for
// compiling this header alone: clang++ -x cuda --cuda-device-only
// -nocudainc -DPRUNE_SPTC_INSTANTIATE (test/Gpu/sptc-ptx.test).
template __global__ void sptc24Kernel<SptcType::F16>(SptcWeightView, FcArgs,
                                                     float *, int);
template __global__ void sptc24Kernel<SptcType::BF16>(SptcWeightView, FcArgs,
                                                      float *, int);
template __global__ void toSixteenKernel<SptcType::F16>(const float *, int64_t,
                                                        int64_t, int64_t,
                                                        int64_t, uint32_t *);
template __global__ void toSixteenKernel<SptcType::BF16>(const float *, int64_t,
                                                         int64_t, int64_t,
                                                         int64_t, uint32_t *);
#endif

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCORE_CUH
