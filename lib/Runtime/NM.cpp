//===- NM.cpp - The portable N:M kernel -----------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// N:M weights (values + in-group offsets): the portable kernel and the raw
// entry point prune_fc_nm, which picks it or NMAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {

template <typename V>
void nmRef(const Args &a, int64_t n, int64_t m, const uint8_t *codes, V values,
           int64_t o0, int64_t o1) {
  bool is24 = n == 2 && m == 4;
  int64_t stride = nmStride(a.cols, n, m), perRow = a.cols / m * n;
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t i = 0; i < perRow; ++i)
        s += values[o * stride + i] *
             x[((i / n) * m + nmOffset(codes, is24, o * stride + i)) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s * values.scale(o), y, a, o);
    }
}
} // namespace

void pruneopt::kernels::impl::runNM(const Args &a, const WeightRef &w) {
  int64_t n = w.n, m = w.m;
  const uint8_t *codes = w.codes;
  double work = double(a.batch) * a.rows * (a.cols / m * n) * 2;
#if PRUNE_X86
  if (avx512() && nmAvx512(a, w, work))
    return;
  if (avx2() && nmAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto values) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      nmRef(a, n, m, codes, values, o0, o1);
    });
  });
}

extern "C" {
void prune_fc_nm(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                 int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                 int64_t n, int64_t m, const uint8_t *codes,
                 const float *values, int32_t flags, const float *bias) {
  WeightRef w;
  w.n = n;
  w.m = m;
  w.codes = codes;
  w.values = values;
  runNM(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias), w);
}
} // extern "C"
