//===- CSR.cpp - The portable csr kernel ----------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr weights (u8, u16 or i32 columns): the portable kernel and the raw
// entry point prune_fc_csr, which picks it or CSRAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <typename V>
void csrRef(const Args &a, const int32_t *rowPtr, const void *col, int colBits,
            V values, int64_t o0, int64_t o1) {
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t i = rowPtr[o]; i < rowPtr[o + 1]; ++i)
        s += values[i] * x[colAt(col, colBits, i) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s * values.scale(o), y, a, o);
    }
}

} // namespace

void pruneopt::kernels::impl::runCSR(const Args &a, const WeightRef &w) {
  const int32_t *rowPtr = w.rowPtr;
  const void *col = w.col();
  int colBits = w.colBits;
  double work = double(a.batch) * rowPtr[a.rows] * 2;
#if PRUNE_X86
  if (avx512() && csrAvx512(a, w, work))
    return;
  if (avx2() && csrAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto values) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      csrRef(a, rowPtr, col, colBits, values, o0, o1);
    });
  });
}

extern "C" {
void prune_fc_csr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  const int32_t *rowPtr, const void *col, int32_t colBits,
                  const float *values, int32_t flags, const float *bias) {
  WeightRef w;
  w.rowPtr = rowPtr;
  w.setCol(col, colBits);
  w.values = values;
  runCSR(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias), w);
}
} // extern "C"
