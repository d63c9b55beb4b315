//===- CSRAvx2.cpp - The AVX2 csr kernels ---------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr, every value type: one batch row gathers 8 inputs per step; batched
// (>= 4 rows), every entry is one broadcast value times 8 batch rows per
// FMA on the transposed x.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <ValueType VT, typename C>
AVX2 void csrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                   const C *col, Vals<VT> vals, int64_t o0, int64_t o1) {
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  // 8 rows at a time: their sums reduced together and stored as one vector
  // (2-3 % faster than a reduction per row on the MNIST MLP's 128x784).
  for (int64_t o = o0; o < o1; o += 8) {
    int64_t n = std::min<int64_t>(8, o1 - o);
    __m256 acc[8];
    for (int64_t r = 0; r < 8; ++r)
      acc[r] =
          r < n ? gatherDot(vals, col, x, rowPtr[o + r], rowPtr[o + r + 1], 0)
                : _mm256_setzero_ps();
    storeOuts(a, yRow, o, n, hsum8(acc),
              VT == ValueType::I8 ? vals.scales : nullptr);
  }
}

template <ValueType VT, typename C>
void csrKernel(Args a, const int32_t *rowPtr, const C *col, Vals<VT> vals,
               double work) {
  if (a.batch < kBatchedFrom) {
    std::vector<float> xCopy;
    ensureUnitK(a, xCopy);
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      for (int64_t b = 0; b < a.batch; ++b)
        csrRows1(a, b, rowPtr, col, vals, o0, o1);
    });
    return;
  }
  forBatchChunksGiven(
      a, 32, [&](int64_t b0, int64_t nb, int nv, const float *xT, int64_t ldx) {
        parallelUnits(a.rows, work * nb / a.batch, [&](int64_t o0, int64_t o1) {
          withNV4(nv, [&](auto nvTag) {
            constexpr int NV = decltype(nvTag)::value;
            ColumnTile<NV> tile(a, b0, nb);
            for (int64_t o = o0; o < o1; ++o)
              batchedRow<NV>(
                  tile, xT, o, rowPtr[o], rowPtr[o + 1], vals,
                  [&](int64_t i) { return int64_t(col[i]); }, ldx);
            tile.flush();
          });
        });
      });
}
} // namespace

bool pruneopt::kernels::impl::csrAvx2(const Args &a, const WeightRef &w,
                                      double work) {
  withValues(w, [&](auto vals) {
    if (w.colBits == 8)
      csrKernel(a, w.rowPtr, w.col8, vals, work);
    else if (w.colBits == 16)
      csrKernel(a, w.rowPtr, w.col16, vals, work);
    else
      csrKernel(a, w.rowPtr, w.col32, vals, work);
  });
  return true;
}
#endif // PRUNE_X86
