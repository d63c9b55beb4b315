//===- TiledCSRAvx2.cpp - The AVX2 csr-tiled kernels ----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr-tiled, every value type. One batch row: each row visit of a tile is a
// gathered dot product over the tile's 256 inputs (in L1), added to the
// row's 8 partial sums (in L1) and summed once per block row. Batched: each
// entry is one broadcast value times the row of the transposed x tile.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// The csr-tiled arrays and their shape.
struct Tiled {
  const int32_t *meta;
  const uint16_t *runs;
  const uint8_t *rowIds, *col;
  int64_t blocks, tiles;
  const int32_t *runStart() const { return meta + 2 * (blocks + 1); }
};

/// One batch row (x: the input padded to whole tiles), block rows
/// [rb0, rb1).
template <ValueType VT>
AVX2 void tiledRows1(const Args &a, const float *x, float *yRow, const Tiled &t,
                     Vals<VT> vals, int64_t rb0, int64_t rb1) {
  alignas(32) float sum[kTileRows][8];
  const int32_t *runStart = t.runStart();
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    int64_t o0 = rb * kTileRows, n = std::min(kTileRows, a.rows - o0);
    std::fill(&sum[0][0], &sum[0][0] + n * 8, 0.0f);
    int64_t i = t.meta[rb];
    const uint8_t *rowId = t.rowIds + t.meta[t.blocks + 1 + rb];
    for (int64_t tile = 0; tile < t.tiles; ++tile) {
      const float *xp = x + tile * kTileCols;
      for (int64_t q = runStart[rb * t.tiles + tile];
           q < runStart[rb * t.tiles + tile + 1]; ++q) {
        int64_t count = t.runs[2 * q];
        for (int r = t.runs[2 * q + 1]; r > 0; --r, i += count) {
          float *s = sum[*rowId++];
          _mm256_store_ps(
              s, _mm256_add_ps(_mm256_load_ps(s),
                               gatherDot(vals, t.col, xp, i, i + count, 0)));
        }
      }
    }
    for (int64_t o = 0; o < n; ++o) {
      float *y = yRow + (o0 + o) * a.yo;
      *y = finish(hsum(_mm256_load_ps(sum[o])) * vals.scale(o0 + o), y, a,
                  o0 + o);
    }
  }
}

/// Batched, block rows [rb0, rb1): each tile's runs accumulate into `sum`
/// ([256][8*NV]), which then goes to y through `tile`.
template <int NV, ValueType VT>
AVX2 void tiledBatched(ColumnTile<NV> &out, const float *xT, int64_t ldx,
                       const Tiled &t, Vals<VT> vals, int64_t rb0, int64_t rb1,
                       float *sum) {
  constexpr int U = kChains<NV> / 2, W = 8 * NV;
  const int32_t *runStart = t.runStart();
  const uint8_t *col = t.col;
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    int64_t o0 = rb * kTileRows, n = std::min(kTileRows, out.a.rows - o0);
    std::fill(sum, sum + n * W, 0.0f);
    int64_t i = t.meta[rb];
    const uint8_t *rowId = t.rowIds + t.meta[t.blocks + 1 + rb];
    for (int64_t tile = 0; tile < t.tiles; ++tile) {
      const float *xp = xT + tile * kTileCols * ldx;
      for (int64_t q = runStart[rb * t.tiles + tile];
           q < runStart[rb * t.tiles + tile + 1]; ++q) {
        int64_t count = t.runs[2 * q];
        for (int r = t.runs[2 * q + 1]; r > 0; --r, i += count) {
          __m256 acc[U][NV];
          for (int u = 0; u < U; ++u)
            for (int j = 0; j < NV; ++j)
              acc[u][j] = _mm256_setzero_ps();
          batchedEntries<NV, U>(
              acc, xp, i, i + count, vals,
              [&](int64_t e) { return int64_t(col[e]); }, ldx);
          float *s = sum + int64_t(*rowId++) * W;
          for (int j = 0; j < NV; ++j) {
            __m256 v = acc[0][j];
            for (int u = 1; u < U; ++u)
              v = _mm256_add_ps(v, acc[u][j]);
            _mm256_store_ps(s + 8 * j,
                            _mm256_add_ps(_mm256_load_ps(s + 8 * j), v));
          }
        }
      }
    }
    for (int64_t o = 0; o < n; ++o)
      out.put(o0 + o, reinterpret_cast<const __m256 *>(sum + o * W),
              vals.scale(o0 + o));
  }
}

template <ValueType VT>
void tiledKernel(const Args &a, const Tiled &t, Vals<VT> vals, double work) {
  if (a.batch < kBatchedFrom) {
    // x copied to unit stride and padded to whole tiles: the last partial
    // group of a row reads inputs of earlier entries, up to the tile's end.
    std::vector<float> x(t.tiles * kTileCols, 0.0f);
    for (int64_t b = 0; b < a.batch; ++b) {
      for (int64_t k = 0; k < a.cols; ++k)
        x[k] = a.x[b * a.xs + k * a.xk];
      parallelUnits(t.blocks, work / a.batch, [&](int64_t rb0, int64_t rb1) {
        tiledRows1(a, x.data(), a.y + b * a.ys, t, vals, rb0, rb1);
      });
    }
    return;
  }
  // Chunks of 16 batch rows: a tile of xT (16 KB) and the block row's sums
  // (16 KB) share L1.
  forBatchChunksGiven(
      a, 16, [&](int64_t b0, int64_t nb, int nv, const float *xT, int64_t ldx) {
        parallelUnits(
            t.blocks, work * nb / a.batch, [&](int64_t rb0, int64_t rb1) {
              thread_local std::vector<float> buf;
              buf.resize(kTileRows * 8 * nv + 8);
              float *sum = reinterpret_cast<float *>(
                  (reinterpret_cast<uintptr_t>(buf.data()) + 31) &
                  ~uintptr_t(31));
              withNV4(nv, [&](auto nvTag) {
                constexpr int NV = decltype(nvTag)::value;
                ColumnTile<NV> out(a, b0, nb);
                tiledBatched<NV>(out, xT, ldx, t, vals, rb0, rb1, sum);
                out.flush();
              });
            });
      });
}
} // namespace

bool pruneopt::kernels::impl::tiledAvx2(const Args &a, const WeightRef &w,
                                        double work) {
  Tiled t{w.meta,
          w.runs,
          w.rowIds,
          w.col8,
          (a.rows + kTileRows - 1) / kTileRows,
          (a.cols + kTileCols - 1) / kTileCols};
  withValues(w, [&](auto vals) { tiledKernel(a, t, vals, work); });
  return true;
}
#endif // PRUNE_X86
