//===- Entries.cuh - The kernels' entry points for compiled models -*- CUDA -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// `extern "C" __device__ void prune_gpu_<Name>(PRUNE_GPU_ENTRY_PARAMS)`
// for every row of include/prune-opt/GpuRuntime/GpuEntries.def: flat
// parameters (pointers and integers, no structs) so that a gpu.func of
// nn-lower-kernels{target=gpu} can call them with `llvm.call`, and the
// emulated runtime can decode a launch's parameter array. Each builds the
// rows view and FcArgs of Kernels.cuh (or the packed 2:4 weight of
// SparseTensorCore.cuh) and runs the kernel's __device__ function in the
// calling thread, so the entry is the whole kernel body. Include at global
// scope.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_ENTRIES_CUH
#define PRUNE_OPT_LIB_GPURUNTIME_ENTRIES_CUH

#include "Kernels.cuh"
#include "SparseTensorCore.cuh"

/// The parameters of every entry point (GpuEntries.def documents them).
#define PRUNE_GPU_ENTRY_PARAMS                                                 \
  const void *a0, const void *a1, const void *a2, const float *x, float *y,    \
      const float *bias, float *xT, int64_t ys, int64_t xs, int64_t batch,     \
      int64_t rows, int64_t cols, int64_t p0, int64_t p1, int32_t flags

namespace pruneopt::gpu::entry {

__device__ __forceinline__ FcArgs args(const float *x, float *y,
                                       const float *bias, float *xT,
                                       int64_t ys, int64_t xs, int64_t batch,
                                       int64_t rows, int64_t cols,
                                       int32_t flags) {
  FcArgs a;
  a.y = y;
  a.ys = ys;
  a.x = x;
  a.xs = xs;
  a.batch = batch;
  a.rows = rows;
  a.cols = cols;
  a.flags = flags;
  a.bias = bias;
  a.xT = xT;
  return a;
}

// The rows views, by GPU layout name (GpuPlan.h).
#define PRUNE_GPU_VIEW(Name, Type)                                             \
  __device__ __forceinline__ Type Name(const void *a0, const void *a1,         \
                                       const void *a2, int64_t cols,           \
                                       int64_t p0, int64_t p1)
PRUNE_GPU_VIEW(dense, DenseRows) {
  return DenseRows{static_cast<const float *>(a0), cols};
}
template <typename Col>
__device__ __forceinline__ CsrRows<Col> csr(const void *a0, const void *a1,
                                            const void *a2) {
  return CsrRows<Col>{static_cast<const int32_t *>(a0),
                      static_cast<const Col *>(a1),
                      static_cast<const float *>(a2)};
}
PRUNE_GPU_VIEW(csr8, CsrRows<uint8_t>) { return csr<uint8_t>(a0, a1, a2); }
PRUNE_GPU_VIEW(csr16, CsrRows<uint16_t>) { return csr<uint16_t>(a0, a1, a2); }
PRUNE_GPU_VIEW(csr32, CsrRows<int32_t>) { return csr<int32_t>(a0, a1, a2); }
template <typename Col>
__device__ __forceinline__ BsrRows<Col> bsr(const void *a0, const void *a1,
                                            const void *a2, int64_t r,
                                            int64_t c) {
  return BsrRows<Col>{static_cast<const int32_t *>(a0),
                      static_cast<const Col *>(a1),
                      static_cast<const float *>(a2), int(r), int(c)};
}
PRUNE_GPU_VIEW(bsr8, BsrRows<uint8_t>) {
  return bsr<uint8_t>(a0, a1, a2, p0, p1);
}
PRUNE_GPU_VIEW(bsr16, BsrRows<uint16_t>) {
  return bsr<uint16_t>(a0, a1, a2, p0, p1);
}
PRUNE_GPU_VIEW(bsr32, BsrRows<int32_t>) {
  return bsr<int32_t>(a0, a1, a2, p0, p1);
}
PRUNE_GPU_VIEW(nm24, NmRows<true>) {
  return nmRows<true>(static_cast<const uint8_t *>(a0),
                      static_cast<const float *>(a1), cols, int(p0), int(p1));
}
PRUNE_GPU_VIEW(nm, NmRows<false>) {
  return nmRows<false>(static_cast<const uint8_t *>(a0),
                       static_cast<const float *>(a1), cols, int(p0), int(p1));
}
struct NoRows {};
PRUNE_GPU_VIEW(none, NoRows) { return NoRows{}; }
/// 2:4 on the sparse tensor cores: a0 the packed values, a1 the metadata
/// (SparseTensorCorePack.h), p0 the parts K is split into (GpuPlan.h).
template <SptcType T> struct SptcRows {
  const uint32_t *values, *meta;
  int64_t split;
};
PRUNE_GPU_VIEW(sptc24f16, SptcRows<SptcType::F16>) {
  return {static_cast<const uint32_t *>(a0), static_cast<const uint32_t *>(a1),
          p0};
}
PRUNE_GPU_VIEW(sptc24bf16, SptcRows<SptcType::BF16>) {
  return {static_cast<const uint32_t *>(a0), static_cast<const uint32_t *>(a1),
          p0};
}
/// The split-K reduction: p0 parts.
struct SplitParts {
  int64_t split;
};
PRUNE_GPU_VIEW(parts, SplitParts) { return SplitParts{p0}; }
#undef PRUNE_GPU_VIEW

// The kernels, by the names GpuEntries.def uses.
template <typename Rows>
__device__ __forceinline__ void warpRows(const Rows &w, const FcArgs &a) {
  ::pruneopt::gpu::warpRows(w, a);
}
template <typename Rows>
__device__ __forceinline__ void tileRows(const Rows &w, const FcArgs &a) {
  ::pruneopt::gpu::tileRows(w, a);
}
__device__ __forceinline__ void denseTiled(const DenseRows &w,
                                           const FcArgs &a) {
  ::pruneopt::gpu::denseTiled(w.w, a);
}
__device__ __forceinline__ void transposeX(const NoRows &, const FcArgs &a) {
  ::pruneopt::gpu::transposeX(a.x, a.xs, a.batch, a.cols, a.xT);
}
/// SparseTensorCore.cuh's kernels, as launchSptc24 runs them: split K ways,
/// the partial sums go to the scratch (a.xT).
template <SptcType T>
__device__ __forceinline__ void sptc24(const SptcRows<T> &r, const FcArgs &a) {
  SptcWeightView w;
  w.type = T;
  w.rows = a.rows;
  w.cols = a.cols;
  // (GpuPlan.h's sptcCeilDiv is host code.)
  w.rowTiles = (a.rows + kSptcTileRows - 1) / kSptcTileRows;
  w.kTiles = (a.cols + kSptcTileK - 1) / kSptcTileK;
  w.values = r.values;
  w.meta = r.meta;
  const int64_t chunks = (w.kTiles + kSptcChunkTiles - 1) / kSptcChunkTiles;
  const int64_t parts = r.split > 1 ? r.split : 1;
  ::pruneopt::gpu::sptc24<T>(w, a, parts > 1 ? a.xT : nullptr,
                             int((chunks + parts - 1) / parts));
}
__device__ __forceinline__ void sptcReduce(const SplitParts &p,
                                           const FcArgs &a) {
  ::pruneopt::gpu::sptcReduce(a.xT, int(p.split), a);
}

} // namespace pruneopt::gpu::entry

#define PRUNE_GPU_ENTRY(Name, Kernel, Layout)                                  \
  extern "C" __device__ void prune_gpu_##Name(PRUNE_GPU_ENTRY_PARAMS) {        \
    namespace e = ::pruneopt::gpu::entry;                                      \
    e::Kernel(e::Layout(a0, a1, a2, cols, p0, p1),                             \
              e::args(x, y, bias, xT, ys, xs, batch, rows, cols, flags));      \
  }
#include "prune-opt/GpuRuntime/GpuEntries.def"

#endif // PRUNE_OPT_LIB_GPURUNTIME_ENTRIES_CUH
