//===- BSR.cpp - The portable bsr kernel ----------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bsr weights (R x C blocks): the portable kernel (any block shape) and the
// raw entry point prune_fc_bsr, which picks it or BSRAvx512.cpp (common
// block shapes).
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <typename V>
void bsrRef(const Args &a, int64_t r, int64_t c, const int32_t *rowPtr,
            const void *col, int colBits, V values, int64_t br0, int64_t br1) {
  std::vector<float> s(r);
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t br = br0; br < br1; ++br) {
      const float *x = a.x + b * a.xs;
      std::fill(s.begin(), s.end(), 0.0f);
      for (int64_t i = rowPtr[br]; i < rowPtr[br + 1]; ++i) {
        const float *xb = x + colAt(col, colBits, i) * c * a.xk;
        int64_t v = i * r * c;
        for (int64_t ii = 0; ii < r; ++ii)
          for (int64_t j = 0; j < c; ++j)
            s[ii] += values[v + ii * c + j] * xb[j * a.xk];
      }
      for (int64_t ii = 0; ii < r; ++ii) {
        float *y = a.y + b * a.ys + (br * r + ii) * a.yo;
        *y = finish(s[ii] * values.scale(br * r + ii), y, a, br * r + ii);
      }
    }
}

} // namespace

void pruneopt::kernels::impl::runBSR(const Args &a, const WeightRef &w) {
  int64_t r = w.blockRows, c = w.blockCols;
  const int32_t *rowPtr = w.rowPtr;
  const void *col = w.col();
  int colBits = w.colBits;
  int64_t blockRows = a.rows / r;
  double work = double(a.batch) * rowPtr[blockRows] * r * c * 2;
#if PRUNE_X86
  // Fast paths for the common block shapes; others run the portable code.
  if (avx512() && bsrAvx512(a, w, work))
    return;
  if (avx2() && bsrAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto values) {
    parallelUnits(blockRows, work, [&](int64_t b0, int64_t b1) {
      bsrRef(a, r, c, rowPtr, col, colBits, values, b0, b1);
    });
  });
}

extern "C" {
void prune_fc_bsr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  int64_t r, int64_t c, const int32_t *rowPtr, const void *col,
                  int32_t colBits, const float *values, int32_t flags,
                  const float *bias) {
  WeightRef w;
  w.blockRows = r;
  w.blockCols = c;
  w.rowPtr = rowPtr;
  w.setCol(col, colBits);
  w.values = values;
  runBSR(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias), w);
}
} // extern "C"
