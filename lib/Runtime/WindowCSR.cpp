//===- WindowCSR.cpp - The portable csr-window kernel ---------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr-window weights (16-row groups stepping through 32-column windows of
// x; Kernels.h): the walk over their arrays, the portable kernel and the
// raw entry point prune_fc_csr_window, which picks it or
// WindowCSRAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <typename V>
void windowRef(const Args &a, const WeightRef &w, V values, int64_t g0,
               int64_t g1) {
  const int64_t groups = (a.rows + 15) / 16;
  const int32_t *stepStart = w.meta, *entryStart = w.meta + groups + 1;
  for (int64_t b = 0; b < a.batch; ++b) {
    const float *x = a.x + b * a.xs;
    for (int64_t g = g0; g < g1; ++g) {
      float sum[16] = {};
      int64_t base = 0, e = entryStart[g];
      const int64_t end = stepStart[g + 1];
      if constexpr (V::kBytes == 1) {
        // i8: pairs of steps sharing a window, (column, value) byte pairs
        // by row, then entry; two u16 masks per pair (Kernels.h).
        const uint8_t *entry = reinterpret_cast<const uint8_t *>(w.values8);
        for (int64_t s = stepStart[g]; s < end; ++s) {
          base += w.shifts[s];
          const uint32_t both = w.masks[2 * s] | uint32_t(w.masks[2 * s + 1])
                                                     << 16;
          for (uint32_t m = both; m; m &= m - 1, ++e)
            sum[__builtin_ctz(m) >> 1] += float(int8_t(entry[2 * e + 1])) *
                                          x[(base + entry[2 * e]) * a.xk];
        }
      } else {
        for (int64_t s = stepStart[g]; s < end; ++s) {
          base += w.shifts[s];
          for (unsigned m = w.masks[s]; m; m &= m - 1, ++e)
            sum[__builtin_ctz(m)] += values[e] * x[(base + w.col8[e]) * a.xk];
        }
      }
      const int64_t o0 = 16 * g, n = std::min<int64_t>(16, a.rows - o0);
      for (int64_t r = 0; r < n; ++r) {
        float *y = a.y + b * a.ys + (o0 + r) * a.yo;
        *y = finish(sum[r] * values.scale(o0 + r), y, a, o0 + r);
      }
    }
  }
}
} // namespace

void pruneopt::kernels::impl::runWindowCSR(const Args &a, const WeightRef &w) {
  const int64_t groups = (a.rows + 15) / 16;
  double work = double(a.batch) * w.meta[2 * groups + 1] * 2;
#if PRUNE_X86
  if (avx512())
    return windowAvx512(a, w, work);
#endif
  withValues(w, [&](auto values) {
    parallelUnits(groups, work, [&](int64_t g0, int64_t g1) {
      windowRef(a, w, values, g0, g1);
    });
  });
}

extern "C" {
void prune_fc_csr_window(float *y, int64_t ys, int64_t yo, const float *x,
                         int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                         int64_t cols, const int32_t *meta,
                         const uint16_t *masks, const uint8_t *shifts,
                         const uint8_t *col, const float *values, int32_t flags,
                         const float *bias) {
  WeightRef w;
  w.meta = meta;
  w.masks = masks;
  w.shifts = shifts;
  w.col8 = col;
  w.colBits = 8;
  w.values = values;
  runWindowCSR(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias),
               w);
}
} // extern "C"
