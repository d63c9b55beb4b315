//===- BSRAvx512.cpp - The AVX-512 bsr kernels ----------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bsr, for the common block shapes (unrolled at compile time): one batch
// row at a time below 4 rows, batched along the transposed x above; 4x1
// blocks below 4 rows with values of every type.
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

/// The column indices of blocks [j, j + 4) (lanes outside `m` zero).
template <int Bits>
AVX512 inline __m128i cols4(const void *col, int64_t j, __mmask8 m) {
  if constexpr (Bits == 8)
    return _mm_cvtepu8_epi32(
        _mm_maskz_loadu_epi8(m, static_cast<const uint8_t *>(col) + j));
  else if constexpr (Bits == 16)
    return _mm_cvtepu16_epi32(
        _mm_maskz_loadu_epi16(m, static_cast<const uint16_t *>(col) + j));
  else
    return _mm_maskz_loadu_epi32(m, static_cast<const int32_t *>(col) + j);
}

// BSR 4x1, one batch row, every value type: 4 blocks per vector of 16
// values (lane 4b + r: row r of block b), their 4 inputs gathered once and
// each repeated over its block's 4 lanes. (The generic bsrRows1 above,
// which the compiler vectorizes, ran 0.75 ms on 4096x4096 at 90 % in f32; the
// AVX2 kernel, two blocks per 8 values, 0.50 ms in i8.)
template <int Bits, ValueType VT>
AVX512 void bsr41Rows1(const Args &a, int64_t b, const int32_t *rowPtr,
                       const void *col, Vals<VT> vals, int64_t br0,
                       int64_t br1) {
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  const __m512i repeat =
      _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  // Blocks [j, j + n), n <= 4.
  auto four = [&](int64_t j, int64_t n, __m512 acc) AVX512 {
    const __mmask8 m = __mmask8((1u << n) - 1);
    __m128 g = _mm_mmask_i32gather_ps(_mm_setzero_ps(), m,
                                      cols4<Bits>(col, j, m), x, 4);
    __m512 xv = _mm512_permutexvar_ps(repeat, _mm512_castps128_ps512(g));
    return _mm512_fmadd_ps(load16(vals, 4 * j, tailMask(4 * n)), xv, acc);
  };
  for (int64_t br = br0; br < br1; ++br) {
    int64_t i = rowPtr[br], e = rowPtr[br + 1];
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (; i + 8 <= e; i += 8) {
      prefetchValues(vals, 4 * i + kPrefetchFloats, 32);
      _mm_prefetch(static_cast<const char *>(col) +
                       (i + kPrefetchFloats / 4) * (Bits / 8),
                   _MM_HINT_T0);
      acc0 = four(i, 4, acc0);
      acc1 = four(i + 4, 4, acc1);
    }
    for (; i < e; i += 4)
      acc0 = four(i, std::min<int64_t>(4, e - i), acc0);
    __m512 acc = _mm512_add_ps(acc0, acc1);
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc),
                             _mm512_extractf32x8_ps(acc, 1));
    __m128 q =
        _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const int64_t o = 4 * br;
    if constexpr (VT == ValueType::I8)
      q = _mm_mul_ps(q, _mm_loadu_ps(vals.scales + o));
    if (a.yo == 1) {
      storeOut(yRow + o, _mm512_castps128_ps512(q), 0xF, a,
               a.bias ? _mm512_maskz_loadu_ps(0xF, a.bias + o)
                      : _mm512_setzero_ps());
      continue;
    }
    alignas(16) float t[4];
    _mm_store_ps(t, q);
    for (int r = 0; r < 4; ++r) {
      float *y = yRow + (o + r) * a.yo;
      *y = finish(t[r], y, a, o + r);
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

bool pruneopt::kernels::impl::bsrAvx512(Args a, const WeightRef &w,
                                        double work) {
  const int64_t r = w.blockRows, c = w.blockCols;
  const int32_t *rowPtr = w.rowPtr;
  const void *col = w.col();
  const int colBits = w.colBits;
  int64_t batch = a.batch, blockRows = a.rows / r;
  if (r == 4 && c == 1 && batch < kBatchedFrom) {
    forEachBatchRow(a, w, blockRows, work,
                    [&](auto bits, const Args &a1, int64_t b, auto vals,
                        int64_t b0, int64_t b1) {
                      bsr41Rows1<decltype(bits)::value>(a1, b, rowPtr, col,
                                                        vals, b0, b1);
                    });
    return true;
  }
  // Other shapes and batches: f32 values here; narrower ones take the AVX2
  // kernel.
  if (w.valueType != ValueType::F32)
    return false;
  const float *values = w.values;
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
