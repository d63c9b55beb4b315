//===- TiledCSR.cpp - The portable csr-tiled kernel -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr-tiled weights (csr in 256x256 blocks, rows grouped by entry count):
// the walk over its arrays, the portable kernel and the raw entry point
// prune_fc_csr_tiled, which picks it or TiledCSRAvx512.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// Walks the csr-tiled arrays: fn(o, k, value) for each entry of block rows
/// [rb0, rb1).
template <typename V, typename Fn>
void forTiledEntries(int64_t rows, int64_t cols, const int32_t *meta,
                     const uint16_t *runs, const uint8_t *rowIds,
                     const uint8_t *col, V values, int64_t rb0,
                     int64_t rb1, Fn fn) {
  int64_t blocks = (rows + kTileRows - 1) / kTileRows;
  int64_t tiles = (cols + kTileCols - 1) / kTileCols;
  const int32_t *runStart = meta + 2 * (blocks + 1);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    int64_t i = meta[rb], v = meta[blocks + 1 + rb];
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t q = runStart[rb * tiles + t];
           q < runStart[rb * tiles + t + 1]; ++q)
        for (int64_t n = 0; n < runs[2 * q + 1]; ++n, ++v)
          for (int64_t e = i + runs[2 * q]; i < e; ++i)
            fn(rb * kTileRows + rowIds[v], t * kTileCols + col[i], values[i]);
  }
}

template <typename V>
void tiledRef(const Args &a, const int32_t *meta, const uint16_t *runs,
              const uint8_t *rowIds, const uint8_t *col, V values, int64_t rb0,
              int64_t rb1) {
  int64_t o0 = rb0 * kTileRows, o1 = std::min(a.rows, rb1 * kTileRows);
  std::vector<float> sum(o1 - o0);
  for (int64_t b = 0; b < a.batch; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    const float *x = a.x + b * a.xs;
    forTiledEntries(
        a.rows, a.cols, meta, runs, rowIds, col, values, rb0, rb1,
        [&](int64_t o, int64_t k, float v) { sum[o - o0] += v * x[k * a.xk]; });
    for (int64_t o = o0; o < o1; ++o) {
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(sum[o - o0] * values.scale(o), y, a, o);
    }
  }
}
} // namespace

void pruneopt::kernels::impl::runTiledCSR(const Args &a, const WeightRef &w) {
  const int32_t *meta = w.meta;
  const uint16_t *runs = w.runs;
  const uint8_t *rowIds = w.rowIds, *col = w.col8;
  int64_t blocks = (a.rows + kTileRows - 1) / kTileRows;
  double work = double(a.batch) * meta[blocks] * 2;
#if PRUNE_X86
  if (avx512())
    return tiledAvx512(a, w, work);
  if (avx2() && tiledAvx2(a, w, work))
    return;
#endif
  withValues(w, [&](auto values) {
    parallelUnits(blocks, work, [&](int64_t rb0, int64_t rb1) {
      tiledRef(a, meta, runs, rowIds, col, values, rb0, rb1);
    });
  });
}

extern "C" {
void prune_fc_csr_tiled(float *y, int64_t ys, int64_t yo, const float *x,
                        int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                        int64_t cols, const int32_t *meta, const uint16_t *runs,
                        const uint8_t *rowIds, const uint8_t *col,
                        const float *values, int32_t flags, const float *bias) {
  WeightRef w;
  w.meta = meta;
  w.runs = runs;
  w.rowIds = rowIds;
  w.col8 = col;
  w.colBits = 8;
  w.values = values;
  runTiledCSR(makeArgs(y, ys, yo, x, xs, xk, batch, rows, cols, flags, bias),
              w);
}
} // extern "C"
