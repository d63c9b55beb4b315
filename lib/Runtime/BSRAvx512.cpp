//===- BSRAvx512.cpp - The AVX-512 bsr kernels ----------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bsr, for the common block shapes (unrolled at compile time): one batch
// row at a time below 4 rows, batched along the transposed x above.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
#include <cstring>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
// BSR, one batch row: U blocks in flight, R x C unrolled at compile time.
template <int R, int C, int Bits>
AVX512 void bsrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                     const void *col, const float *values, int64_t br0,
                     int64_t br1) {
  constexpr int U = R * C >= 16 ? 1 : 4;
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  for (int64_t br = br0; br < br1; ++br) {
    float s[U][R][C] = {};
    int64_t i = rowPtr[br], e = rowPtr[br + 1];
    for (; i + U <= e; i += U) {
      _mm_prefetch(
          reinterpret_cast<const char *>(values + i * R * C + kPrefetchFloats),
          _MM_HINT_T0);
      for (int u = 0; u < U; ++u) {
        const float *xb = x + colAt(col, Bits, i + u) * C;
        const float *v = values + (i + u) * R * C;
        for (int ii = 0; ii < R; ++ii)
          for (int j = 0; j < C; ++j)
            s[u][ii][j] += v[ii * C + j] * xb[j];
      }
    }
    for (; i < e; ++i) {
      const float *xb = x + colAt(col, Bits, i) * C;
      const float *v = values + i * R * C;
      for (int ii = 0; ii < R; ++ii)
        for (int j = 0; j < C; ++j)
          s[0][ii][j] += v[ii * C + j] * xb[j];
    }
    for (int ii = 0; ii < R; ++ii) {
      float t = 0;
      for (int u = 0; u < U; ++u)
        for (int j = 0; j < C; ++j)
          t += s[u][ii][j];
      float *y = yRow + (br * R + ii) * a.yo;
      *y = finish(t, y, a, br * R + ii);
    }
  }
}

// BSR, batched: every block entry is NV FMAs along the batch.
template <int R, int C, int NV, int Bits>
AVX512 void bsrBatched(const Args &a, const float *xT, int64_t ldx, int64_t b0,
                       int64_t nb, const int32_t *rowPtr, const void *col,
                       const float *values, int64_t br0, int64_t br1) {
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(nb - 16 * j, 0));
  ColumnTile<NV> tile(a, b0, nb);
  bool masked = tile.partialGiven();
  for (int64_t br = br0; br < br1; ++br) {
    __m512 acc[R][NV];
    for (int ii = 0; ii < R; ++ii)
      for (int j = 0; j < NV; ++j)
        acc[ii][j] = _mm512_setzero_ps();
    for (int64_t i = rowPtr[br]; i < rowPtr[br + 1]; ++i) {
      const float *v = values + i * R * C;
      _mm_prefetch(reinterpret_cast<const char *>(v + kPrefetchFloats),
                   _MM_HINT_T0);
      const float *xb = xT + colAt(col, Bits, i) * C * ldx;
      for (int jj = 0; jj < C; ++jj) {
        __m512 xv[NV];
        for (int j = 0; j < NV; ++j)
          xv[j] = loadLanes(xb + jj * ldx + 16 * j, lanes[j], masked);
        for (int ii = 0; ii < R; ++ii) {
          __m512 w = _mm512_set1_ps(v[ii * C + jj]);
          for (int j = 0; j < NV; ++j)
            acc[ii][j] = _mm512_fmadd_ps(w, xv[j], acc[ii][j]);
        }
      }
    }
    for (int ii = 0; ii < R; ++ii)
      tile.put(br * R + ii, acc[ii]);
  }
  tile.flush();
}
} // namespace

bool pruneopt::kernels::impl::bsrAvx512(Args a, int64_t r, int64_t c,
                                      const int32_t *rowPtr, const void *col,
                                      int colBits, const float *values,
                                      double work) {
  int64_t batch = a.batch, blockRows = a.rows / r;
  auto dispatch = [&](auto R, auto C) {
    constexpr int kR = decltype(R)::value, kC = decltype(C)::value;
    if (batch < kBatchedFrom) {
      std::vector<float> xCopy;
      ensureUnitK(a, xCopy);
      parallelUnits(blockRows, work, [&](int64_t b0, int64_t b1) {
        for (int64_t b = 0; b < batch; ++b)
          colBits == 8 ? bsrRows1<kR, kC, 8>(a, b, rowPtr, col, values, b0, b1)
          : colBits == 16
              ? bsrRows1<kR, kC, 16>(a, b, rowPtr, col, values, b0, b1)
              : bsrRows1<kR, kC, 32>(a, b, rowPtr, col, values, b0, b1);
      });
      return true;
    }
    forBatchChunks(a, [&](int64_t bb, int64_t nb, int nv, const float *xT,
                          int64_t ldx) {
      parallelUnits(blockRows, work * nb / batch, [&](int64_t b0, int64_t b1) {
        auto run = [&](auto nvTag, auto bitsTag) {
          bsrBatched<kR, kC, decltype(nvTag)::value, decltype(bitsTag)::value>(
              a, xT, ldx, bb, nb, rowPtr, col, values, b0, b1);
        };
        auto byBits = [&](auto nvTag) {
          if (colBits == 8)
            run(nvTag, std::integral_constant<int, 8>());
          else if (colBits == 16)
            run(nvTag, std::integral_constant<int, 16>());
          else
            run(nvTag, std::integral_constant<int, 32>());
        };
        withNV(nv, byBits);
      });
    });
    return true;
  };
  using I1 = std::integral_constant<int, 1>;
  using I2 = std::integral_constant<int, 2>;
  using I4 = std::integral_constant<int, 4>;
  using I8 = std::integral_constant<int, 8>;
  using I16 = std::integral_constant<int, 16>;
  if (r == 4 && c == 1)
    return dispatch(I4(), I1());
  if (r == 8 && c == 1)
    return dispatch(I8(), I1());
  if (r == 16 && c == 1)
    return dispatch(I16(), I1());
  if (r == 2 && c == 1)
    return dispatch(I2(), I1());
  if (r == 1 && c == 2)
    return dispatch(I1(), I2());
  if (r == 1 && c == 4)
    return dispatch(I1(), I4());
  if (r == 1 && c == 8)
    return dispatch(I1(), I8());
  if (r == 1 && c == 16)
    return dispatch(I1(), I16());
  if (r == 2 && c == 2)
    return dispatch(I2(), I2());
  if (r == 4 && c == 4)
    return dispatch(I4(), I4());
  if (r == 8 && c == 8)
    return dispatch(I8(), I8());
  return false;
}
#endif // PRUNE_X86
