//===- BSRAvx2.cpp - The AVX2 bsr kernels ---------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bsr 4x1 and 1x4, every value type (other block shapes return false: the
// portable kernel runs). One batch row: two blocks per vector of 8 values;
// batched (>= 4 rows), each value is one broadcast times 8 batch rows per
// FMA on the transposed x.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// One batch row, R x C = 4x1 or 1x4, block rows [br0, br1).
template <int R, ValueType VT, typename C>
AVX2 void bsrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                   const C *col, Vals<VT> vals, int64_t br0, int64_t br1) {
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  for (int64_t br = br0; br < br1; ++br) {
    int64_t i = rowPtr[br], e = rowPtr[br + 1];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    // Two blocks: 8 values; the inputs are x[c] 4 times (4x1) or the 4
    // inputs of the block column (1x4), for each block.
    auto pair = [&](int64_t j) AVX2 {
      __m256 xv;
      if constexpr (R == 4)
        xv = _mm256_blend_ps(_mm256_broadcast_ss(x + col[j]),
                             _mm256_broadcast_ss(x + col[j + 1]), 0xF0);
      else
        xv = _mm256_loadu2_m128(x + 4 * col[j + 1], x + 4 * col[j]);
      return _mm256_mul_ps(load8(vals, 4 * j), xv);
    };
    for (; i + 4 <= e; i += 4) {
      acc0 = _mm256_add_ps(acc0, pair(i));
      acc1 = _mm256_add_ps(acc1, pair(i + 2));
    }
    for (; i + 2 <= e; i += 2)
      acc0 = _mm256_add_ps(acc0, pair(i));
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 s =
        _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    alignas(16) float t[4];
    _mm_store_ps(t, s);
    if (i < e) // the last block of an odd count: 4 values, scalar
      for (int j = 0; j < 4; ++j)
        t[j] += value1(vals, 4 * i + j) * x[R == 4 ? col[i] : 4 * col[i] + j];
    if constexpr (R == 4) {
      for (int j = 0; j < 4; ++j) {
        int64_t o = 4 * br + j;
        float *y = yRow + o * a.yo;
        *y = finish(t[j] * vals.scale(o), y, a, o);
      }
    } else {
      float *y = yRow + br * a.yo;
      *y = finish((t[0] + t[1] + t[2] + t[3]) * vals.scale(br), y, a, br);
    }
  }
}

/// Batched, R x Cb blocks, block rows [br0, br1): each value broadcast
/// times the NV vectors of its input's xT row.
template <int R, int Cb, int NV, ValueType VT, typename C>
AVX2 void bsrBatched(ColumnTile<NV> &tile, const float *xT,
                     const int32_t *rowPtr, const C *col, Vals<VT> vals,
                     int64_t br0, int64_t br1) {
  constexpr int W = 8 * NV;
  for (int64_t br = br0; br < br1; ++br) {
    __m256 acc[R][NV];
    for (int ii = 0; ii < R; ++ii)
      for (int j = 0; j < NV; ++j)
        acc[ii][j] = _mm256_setzero_ps();
    for (int64_t i = rowPtr[br]; i < rowPtr[br + 1]; ++i) {
      const float *xb = xT + int64_t(col[i]) * Cb * W;
      for (int jj = 0; jj < Cb; ++jj)
        for (int ii = 0; ii < R; ++ii) {
          __m256 v = _mm256_set1_ps(value1(vals, (i * R + ii) * Cb + jj));
          for (int j = 0; j < NV; ++j)
            acc[ii][j] = _mm256_fmadd_ps(v, _mm256_load_ps(xb + jj * W + 8 * j),
                                         acc[ii][j]);
        }
    }
    if constexpr (R == 4)
      for (int ii = 0; ii < R; ++ii)
        tile.put(br * R + ii, acc[ii], vals.scale(br * R + ii));
    else
      tile.put(br, acc[0], vals.scale(br));
  }
}

template <int R, ValueType VT, typename C>
void bsrKernel(Args a, const int32_t *rowPtr, const C *col, Vals<VT> vals,
               double work) {
  const int64_t blockRows = a.rows / R;
  if (a.batch < kBatchedFrom) {
    std::vector<float> xCopy;
    ensureUnitK(a, xCopy);
    parallelUnits(blockRows, work, [&](int64_t br0, int64_t br1) {
      for (int64_t b = 0; b < a.batch; ++b)
        bsrRows1<R>(a, b, rowPtr, col, vals, br0, br1);
    });
    return;
  }
  // Chunks of 16 batch rows: R * 2 accumulators stay in registers.
  forBatchChunks(a, 16, [&](int64_t b0, int64_t nb, int nv, const float *xT) {
    parallelUnits(blockRows, work * nb / a.batch,
                  [&](int64_t br0, int64_t br1) {
                    withNV4(nv, [&](auto nvTag) {
                      constexpr int NV = decltype(nvTag)::value;
                      ColumnTile<NV> tile(a, b0, nb);
                      bsrBatched<R, R == 4 ? 1 : 4>(tile, xT, rowPtr, col, vals,
                                                    br0, br1);
                      tile.flush();
                    });
                  });
  });
}
} // namespace

bool pruneopt::kernels::impl::bsrAvx2(const Args &a, const WeightRef &w,
                                      double work) {
  const int64_t r = w.blockRows, c = w.blockCols;
  if (!((r == 4 && c == 1) || (r == 1 && c == 4)))
    return false;
  withValues(w, [&](auto vals) {
    auto byShape = [&](const auto *col) {
      if (r == 4)
        bsrKernel<4>(a, w.rowPtr, col, vals, work);
      else
        bsrKernel<1>(a, w.rowPtr, col, vals, work);
    };
    if (w.colBits == 8)
      byShape(w.col8);
    else if (w.colBits == 16)
      byShape(w.col16);
    else
      byShape(w.col32);
  });
  return true;
}
#endif // PRUNE_X86
