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
/// Bit i of m moved to bit 2i (16 -> 32 bits).
inline uint32_t spread16(uint32_t m) {
  m = (m | m << 8) & 0x00ff00ffu;
  m = (m | m << 4) & 0x0f0f0f0fu;
  m = (m | m << 2) & 0x33333333u;
  return (m | m << 1) & 0x55555555u;
}

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
        // i8: (column, value) byte pairs, each pair of steps' entries by
        // row, then step (Kernels.h).
        const uint8_t *entry = reinterpret_cast<const uint8_t *>(w.values8);
        for (int64_t s = stepStart[g]; s < end; s += 2) {
          const int64_t base0 = base + w.shifts[s];
          const unsigned m0 = w.masks[s], m1 = s + 1 < end ? w.masks[s + 1] : 0;
          base = s + 1 < end ? base0 + w.shifts[s + 1] : base0;
          // The entries in stored order: bit 2r + step of the
          // interleaved masks, ascending (what the AVX-512 kernel's pdep
          // builds); one iteration per entry, the step's window by select.
          const uint32_t both = spread16(m0) | spread16(m1) << 1;
          for (uint32_t m = both; m; m &= m - 1, ++e) {
            const int bit = __builtin_ctz(m);
            const int64_t k = (bit & 1 ? base : base0) + entry[2 * e];
            sum[bit >> 1] += float(int8_t(entry[2 * e + 1])) * x[k * a.xk];
          }
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
