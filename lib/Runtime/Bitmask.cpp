//===- Bitmask.cpp - The portable bitmask kernel --------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bitmask weights (1-bit masks + packed values): the portable kernel and
// the raw entry point prune_fc_bitmask, which picks it or
// BitmaskAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <typename V>
void bitmaskRef(const Args &a, const int32_t *rowPtr, const uint16_t *masks,
                V values, int64_t o0, int64_t o1) {
  int64_t chunks = (a.cols + 15) / 16;
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      int64_t v = rowPtr[o];
      float s = 0;
      for (int64_t c = 0; c < chunks; ++c)
        for (uint32_t mk = masks[o * chunks + c]; mk; mk &= mk - 1)
          s += values[v++] * x[(16 * c + __builtin_ctz(mk)) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s * values.scale(o), y, a, o);
    }
}
} // namespace

void pruneopt::kernels::impl::runBitmask(const Args &a, const WeightRef &w) {
  const int32_t *rowPtr = w.rowPtr;
  const uint16_t *masks = w.masks;
  double work = double(a.batch) * a.rows * a.cols / 8;
#if PRUNE_X86
  if (avx512())
    return bitmaskAvx512(a, w, work);
  if (avx2() && bitmaskAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto values) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      bitmaskRef(a, rowPtr, masks, values, o0, o1);
    });
  });
}

extern "C" {
void prune_fc_bitmask(float *y, int64_t ys, int64_t yo, const float *x,
                      int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                      int64_t cols, const int32_t *rowPtr,
                      const uint16_t *masks, const float *values, int32_t flags,
                      const float *bias) {
  WeightRef w;
  w.rowPtr = rowPtr;
  w.masks = masks;
  w.values = values;
  runBitmask(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias), w);
}
} // extern "C"
