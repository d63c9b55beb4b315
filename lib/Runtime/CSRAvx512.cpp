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

/// Rows of up to this many entries run scalar loads and FMAs (two chains)
/// instead of one masked gather. 128x784 from cache through run(), 1
/// thread, AMD Zen 4 (slow gathers), min of 30 x 2000 calls, gather
/// against scalar: 1 entry per row 0.80-0.83 against 0.33 us, 4 0.81
/// against 0.45, 8 0.82 against 0.67; 12 and 16 were faster scalar too
/// (1.47 / 1.39 against 0.97 / 1.07 us) but are left to the gather, which
/// the Xeon the cost model was fitted on runs at ~6 ns per row.
constexpr int64_t kScalarRow = 8;

// CSR, one batch row: 16 nonzeros per gather, values of any type widened
// in registers.
template <int Bits, ValueType VT>
AVX512 void csrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                     const void *col, Vals<VT> vals, int64_t o0, int64_t o1) {
  const float *x = a.x + b * a.xs;
  auto row = [&](int64_t o) AVX512 {
    int64_t i = rowPtr[o], e = rowPtr[o + 1];
    // (bf16 and f16 widen through out-of-line conversions: gathers.)
    if (VT != ValueType::BF16 && VT != ValueType::F16 && e - i <= kScalarRow) {
      auto colAt = [&](int64_t j) -> int64_t {
        if constexpr (Bits == 32)
          return static_cast<const int32_t *>(col)[j];
        else if constexpr (Bits == 8)
          return static_cast<const uint8_t *>(col)[j];
        else
          return static_cast<const uint16_t *>(col)[j];
      };
      float s0 = 0.0f, s1 = 0.0f;
      for (; i + 2 <= e; i += 2) {
        s0 = __builtin_fmaf(vals[i], x[colAt(i)], s0);
        s1 = __builtin_fmaf(vals[i + 1], x[colAt(i + 1)], s1);
      }
      if (i < e)
        s0 = __builtin_fmaf(vals[i], x[colAt(i)], s0);
      return _mm512_zextps128_ps512(_mm_set_ss(s0 + s1));
    }
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

/// One block of csrRowSpans: output row y over the NV * 16 positions from
/// b (the last vector masked to `nb` when Tail), NV independent FMA chains.
template <int NV, bool Tail, typename ColOf>
AVX512 inline void spanBlock(const Args &a, const float *values, ColOf colOf,
                             int64_t i0, int64_t e, int64_t b, int64_t nb,
                             float *y, __m512 bias) {
  __m512 acc[NV];
  for (int j = 0; j < NV; ++j)
    acc[j] = _mm512_setzero_ps();
  const __mmask16 last =
      Tail ? tailMask(nb - b - 16 * (NV - 1)) : __mmask16(0xFFFF);
  for (int64_t i = i0; i < e; ++i) {
    const __m512 v = _mm512_set1_ps(values[i]);
    const float *xr = a.x + colOf(i) * a.xk + b;
    for (int j = 0; j < NV - 1; ++j)
      acc[j] = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 16 * j), acc[j]);
    const float *xl = xr + 16 * (NV - 1);
    acc[NV - 1] = _mm512_fmadd_ps(
        v, Tail ? _mm512_maskz_loadu_ps(last, xl) : _mm512_loadu_ps(xl),
        acc[NV - 1]);
  }
  for (int j = 0; j < NV; ++j)
    storeOut(y + b + 16 * j, acc[j], j == NV - 1 ? last : __mmask16(0xFFFF), a,
             bias);
}

/// Batched csr on an x read in place and a y whose output rows are
/// contiguous (ys == 1: a sparse convolution in place, [F, P'] output):
/// one output row at a time over the whole batch, 128 lanes (8 independent
/// FMA chains) per block; the last block has only the vectors it needs
/// (LeNet's 136 positions: 9 vectors per entry, not 16), the last of them
/// masked. The chunked path (forBatchChunks) calls batchedRow once per row
/// and 32 lanes: on LeNet's convolutions at 90-99 % (6 and 16 rows of 892
/// and 136 positions, a few entries each) those ~250 calls were most of
/// the time. Only when x is small enough to stay in cache across rows
/// (xFitsCache).
template <typename ColOf>
AVX512 void csrRowSpans(const Args &a, const int32_t *rowPtr,
                        const float *values, ColOf colOf, int64_t o0,
                        int64_t o1) {
  constexpr int V = 8;
  const int64_t nb = a.batch;
  for (int64_t o = o0; o < o1; ++o) {
    const int64_t i0 = rowPtr[o], e = rowPtr[o + 1];
    float *y = a.y + o * a.yo;
    const __m512 bias =
        a.bias ? _mm512_set1_ps(a.bias[o]) : _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 16 * V <= nb; b += 16 * V)
      spanBlock<V, false>(a, values, colOf, i0, e, b, nb, y, bias);
    if (b == nb)
      continue;
    withNVUpTo<V>((nb - b + 15) / 16, [&](auto nv) AVX512 {
      spanBlock<decltype(nv)::value, true>(a, values, colOf, i0, e, b, nb, y,
                                           bias);
    });
  }
}

/// fn(colOf) with colOf(i) the column of stored entry i, read from the
/// csr column array of `colBits` (8, 16 or 32) bits.
template <typename Fn> void withColOf(const void *col, int colBits, Fn fn) {
  if (colBits == 32)
    fn([&](int64_t i) {
      return int64_t(static_cast<const int32_t *>(col)[i]);
    });
  else if (colBits == 8)
    fn([&](int64_t i) {
      return int64_t(static_cast<const uint8_t *>(col)[i]);
    });
  else
    fn([&](int64_t i) {
      return int64_t(static_cast<const uint16_t *>(col)[i]);
    });
}

/// True when the x a batched kernel reads in place (every column's batch
/// span) stays in L2 while every output row passes over it.
inline bool xFitsCache(const Args &a) {
  return ((a.cols - 1) * a.xk + a.batch) * int64_t(sizeof(float)) <=
         (int64_t(256) << 10);
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
  if (xGiven(a) && a.ys == 1 && xFitsCache(a)) {
    parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
      withColOf(col, colBits, [&](auto colOf) {
        csrRowSpans(a, rowPtr, values, colOf, o0, o1);
      });
    });
    return true;
  }
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
            withColOf(col, colBits, [&](auto colOf) { rowsNV(nvTag, colOf); });
          };
          withNV(nv, byWidth);
        });
      });
  return true;
}
#endif // PRUNE_X86
