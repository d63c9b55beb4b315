//===- Dense.cpp - The portable dense kernel ------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// dense weights (panels of 16 outputs, see Kernels.h): the portable kernel
// and the raw entry point prune_fc_dense, which picks it or DenseAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <typename V>
void denseRef(const Args &a, V panels, int64_t o0, int64_t o1) {
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t k = 0; k < a.cols; ++k)
        s += panels[panelOffset(o, k, a.rows, a.cols)] * x[k * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s * panels.scale(o), y, a, o);
    }
}
} // namespace

void pruneopt::kernels::impl::runDense(const Args &a, const WeightRef &w) {
  double work = double(a.batch) * a.rows * a.cols;
#if PRUNE_X86
  if (avx512())
    return denseAvx512(a, w, work);
  if (avx2() && denseAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto panels) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      denseRef(a, panels, o0, o1);
    });
  });
}

extern "C" {
void prune_fc_dense(float *y, int64_t ys, int64_t yo, const float *x,
                    int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                    int64_t cols, const float *panels, int32_t flags,
                    const float *bias) {
  WeightRef w;
  w.values = panels;
  runDense(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias), w);
}
} // extern "C"
