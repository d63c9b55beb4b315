//===- CSRAvx512.cpp - The AVX-512 csr kernels ----------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr: one batch row gathers 16 inputs per step (every value type);
// batched (>= 4 rows, f32 values), every entry is one FMA per 16 batch
// rows on the transposed x.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
#include <cstring>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
template <int Bits> AVX512 inline __m512i loadCols(const void *col, int64_t i) {
  if constexpr (Bits == 32)
    return _mm512_loadu_si512(static_cast<const int32_t *>(col) + i);
  else if constexpr (Bits == 8)
    return _mm512_cvtepu8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(
            static_cast<const uint8_t *>(col) + i)));
  else
    return _mm512_cvtepu16_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
            static_cast<const uint16_t *>(col) + i)));
}

template <int Bits>
AVX512 inline __m512i loadColsMasked(const void *col, int64_t i, __mmask16 m) {
  if constexpr (Bits == 32)
    return _mm512_maskz_loadu_epi32(m, static_cast<const int32_t *>(col) + i);
  else if constexpr (Bits == 8)
    return _mm512_cvtepu8_epi32(
        _mm_maskz_loadu_epi8(m, static_cast<const uint8_t *>(col) + i));
  else
    return _mm512_cvtepu16_epi32(
        _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(col) + i));
}

// CSR, one batch row: 16 nonzeros per gather, values of any type widened
// in registers.
template <int Bits, ValueType VT>
AVX512 void csrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                     const void *col, Vals<VT> vals, int64_t o0, int64_t o1) {
  const float *x = a.x + b * a.xs;
  auto row = [&](int64_t o) AVX512 {
    int64_t i = rowPtr[o], e = rowPtr[o + 1];
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (; i + 32 <= e; i += 32) {
      prefetchValues(vals, i + kPrefetchFloats, 32);
      _mm_prefetch(static_cast<const char *>(col) +
                       (i + kPrefetchFloats) * (Bits / 8),
                   _MM_HINT_T0);
      __m512 g0 = _mm512_i32gather_ps(loadCols<Bits>(col, i), x, 4);
      __m512 g1 = _mm512_i32gather_ps(loadCols<Bits>(col, i + 16), x, 4);
      acc0 = _mm512_fmadd_ps(load16(vals, i), g0, acc0);
      acc1 = _mm512_fmadd_ps(load16(vals, i + 16), g1, acc1);
    }
    for (; i + 8 < e; i += 16) {
      __mmask16 m = tailMask(e - i);
      __m512 g = _mm512_mask_i32gather_ps(
          _mm512_setzero_ps(), m, loadColsMasked<Bits>(col, i, m), x, 4);
      acc0 = _mm512_fmadd_ps(load16(vals, i, m), g, acc0);
    }
    if (i < e) {
      // At most 8 left: a gather of 8 lanes costs half one of 16 (short
      // rows are mostly tail).
      __mmask16 m = tailMask(e - i);
      __m256 g = _mm256_mmask_i32gather_ps(
          _mm256_setzero_ps(), __mmask8(m),
          _mm512_castsi512_si256(loadColsMasked<Bits>(col, i, m)), x, 4);
      acc1 =
          _mm512_fmadd_ps(load16(vals, i, m), _mm512_zextps256_ps512(g), acc1);
    }
    return _mm512_add_ps(acc0, acc1);
  };
  rowsBy16(a, b, vals, o0, o1, row);
}
} // namespace

bool pruneopt::kernels::impl::csrAvx512(const Args &a, const WeightRef &w,
                                        double work) {
  const int32_t *rowPtr = w.rowPtr;
  const void *col = w.col();
  const int colBits = w.colBits;
  const int64_t batch = a.batch, rows = a.rows;
  if (batch < kBatchedFrom) {
    forEachBatchRow(a, w, rows, work,
                    [&](auto bits, const Args &a1, int64_t b, auto vals,
                        int64_t o0, int64_t o1) {
                      csrRows1<decltype(bits)::value>(a1, b, rowPtr, col, vals,
                                                      o0, o1);
                    });
    return true;
  }
  // Batched: f32 here; narrower values take the AVX2 kernel.
  if (w.valueType != ValueType::F32)
    return false;
  const float *values = w.values;
  forBatchChunks(
      a, [&](int64_t b0, int64_t nb, int nv, const float *xT, int64_t ldx) {
        parallelUnits(rows, work * nb / batch, [&](int64_t o0, int64_t o1) {
          const char *cb = static_cast<const char *>(col);
          int cw = colBits / 8;
          auto rowsNV = [&](auto nvTag, auto colOf) {
            constexpr int NV = decltype(nvTag)::value;
            ColumnTile<NV> tile(a, b0, nb);
            for (int64_t o = o0; o < o1; ++o)
              if (xGiven(a))
                batchedRow<NV, true>(tile, xT, ldx, nb, o, rowPtr[o],
                                     rowPtr[o + 1], values, colOf, cb, cw);
              else
                batchedRow<NV, false>(tile, xT, ldx, nb, o, rowPtr[o],
                                      rowPtr[o + 1], values, colOf, cb, cw);
            tile.flush();
          };
          auto byWidth = [&](auto nvTag) {
            if (colBits == 32)
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const int32_t *>(col)[i]);
              });
            else if (colBits == 8)
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const uint8_t *>(col)[i]);
              });
            else
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const uint16_t *>(col)[i]);
              });
          };
          withNV(nv, byWidth);
        });
      });
  return true;
}
#endif // PRUNE_X86
