//===- NMAvx512.cpp - The AVX-512 N:M kernels -----------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// N:M: 2:4 (every value type) decodes 16 values per u32 and selects their
// inputs with one permute per batch row; other N:M (batched, f32 values)
// run the batched row kernel of csr.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
#include <cstring>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// The inputs of a 2:4 word's 16 values within its 32 columns: value j
/// (group j / 2) at 4 (j / 2) + its 2-bit code.
AVX512 inline __m512i nm24Index(uint32_t word) {
  const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
  const __m512i base = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20,
                                         20, 24, 24, 28, 28);
  return _mm512_add_epi32(
      _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32(int(word)), shifts),
                       _mm512_set1_epi32(3)),
      base);
}

// 2:4: 16 values cover 32 inputs; one permute per batch row selects them.
// NB batch rows share each decoded chunk (batch register blocking). Words
// [qBegin, qEnd) of rows [o0, o1): their sums are added to part[(o - o0) *
// NB + b]; the last chunk of K stores the outputs.
template <int NB, ValueType VT, bool Chunked>
AVX512 void nm24Rows(const Args &a, int64_t b0, const uint8_t *codes,
                     Vals<VT> vals, int64_t o0, int64_t o1, int64_t qBegin,
                     int64_t qEnd, float *part, bool last) {
  const int64_t stride = nmStride(a.cols, 2, 4), words = stride / 16;
  const float *x[NB];
  for (int b = 0; b < NB; ++b)
    x[b] = a.x + (b0 + b) * a.xs;
  // Words in flight: U * NB FMA chains (~8 cover the FMA latency).
  constexpr int U = NB == 1 ? 8 : NB == 2 ? 4 : NB <= 4 ? 2 : 1;
  constexpr int64_t kAhead = kPrefetchBytes / Vals<VT>::kBytes;
  constexpr int kLines = VT == ValueType::F32 ? 1 : 4;
  for (int64_t o = o0; o < o1; ++o) {
    const int64_t v = o * stride;
    const uint8_t *cw = codes + o * words * 4;
    __m512 acc[U][NB];
    for (int u = 0; u < U; ++u)
      for (int b = 0; b < NB; ++b)
        acc[u][b] = _mm512_setzero_ps();
    for (int64_t q0 = qBegin; q0 < qEnd; q0 += U)
      for (int u = 0; u < U; ++u) {
        // u is a constant once unrolled: acc[u] stays in registers (acc
        // indexed by q % U went through the stack, 2:4 i8 ran 1.5x slower).
        const int64_t q = q0 + u;
        if (U > 1 && q == qEnd)
          break;
        uint32_t word;
        std::memcpy(&word, cw + 4 * q, 4);
        // Whole rows: kPrefetchBytes of values ahead along the row (the
        // codes, a quarter byte per value, as far). K in chunks: the next
        // row's values and codes at this word, the next ones read (further
        // along this row is the next chunk, read after every row's).
        if (VT == ValueType::F32 || (q & 3) == 0) { // once per line of values
          const int64_t ahead = Chunked ? 16 * words : kAhead;
          prefetchValues(vals, v + 16 * q + ahead, 16 * kLines);
          _mm_prefetch(reinterpret_cast<const char *>(cw + 4 * q) + ahead / 4,
                       _MM_HINT_T0);
        }
        const __m512i idx = nm24Index(word);
        __m512 w = load16(vals, v + 16 * q);
        int64_t k = 32 * q;
        bool full = k + 32 <= a.cols;
        __mmask16 mLo = tailMask(a.cols - k),
                  mHi = tailMask(std::max<int64_t>(a.cols - k - 16, 0));
        for (int b = 0; b < NB; ++b) {
          __m512 lo, hi;
          if (full) {
            lo = _mm512_loadu_ps(x[b] + k);
            hi = _mm512_loadu_ps(x[b] + k + 16);
          } else {
            lo = _mm512_maskz_loadu_ps(mLo, x[b] + k);
            hi = _mm512_maskz_loadu_ps(mHi, x[b] + k + 16);
          }
          __m512 g = _mm512_permutex2var_ps(lo, idx, hi);
          acc[u][b] = _mm512_fmadd_ps(w, g, acc[u][b]);
        }
      }
    for (int b = 0; b < NB; ++b) {
      __m512 t = acc[0][b];
      for (int u = 1; u < U; ++u)
        t = _mm512_add_ps(t, acc[u][b]);
      float sum = _mm512_reduce_add_ps(t);
      if constexpr (Chunked) {
        sum = part[(o - o0) * NB + b] += sum;
        if (!last)
          continue;
      }
      float *y = a.y + (b0 + b) * a.ys + o * a.yo;
      *y = finish(sum * vals.scale(o), y, a, o);
    }
  }
}

// 2:4 at one batch row, whole rows: four output rows at a time (R), so that R
// streams of values are in flight and each pair of input vectors is loaded
// once for the R rows (4096x4096 from DRAM, one thread, a Zen 5, R = 4
// against one row at a time: f32 1.31-1.41 against 1.69-1.88 ms, i8 0.52
// against 0.66; R = 6 and 8 spilled the accumulators, i8 1.1 ms). Whole
// rows of x: at R = 4 they are read once per four rows, where the chunks of
// K kept several batch rows' inputs in L1.
template <ValueType VT>
AVX512 void nm24RowGroups(const Args &a, int64_t b0, const uint8_t *codes,
                          Vals<VT> vals, int64_t o0, int64_t o1) {
  const int64_t stride = nmStride(a.cols, 2, 4), words = stride / 16;
  const float *x = a.x + b0 * a.xs;
  constexpr int64_t kAhead = kPrefetchBytes / Vals<VT>::kBytes;
  constexpr int kLines = VT == ValueType::F32 ? 1 : 4;
  constexpr int R = 4, U = 2; // 8 FMA chains
  int64_t o = o0;
  for (; o + R <= o1; o += R) {
    __m512 acc[U][R];
    for (int u = 0; u < U; ++u)
      for (int r = 0; r < R; ++r)
        acc[u][r] = _mm512_setzero_ps();
    auto step = [&](int64_t q, __m512(&sum)[R]) AVX512 {
      const int64_t k = 32 * q;
      const bool full = k + 32 <= a.cols;
      __m512 lo, hi;
      if (full) {
        lo = _mm512_loadu_ps(x + k);
        hi = _mm512_loadu_ps(x + k + 16);
      } else {
        lo = _mm512_maskz_loadu_ps(tailMask(a.cols - k), x + k);
        hi = _mm512_maskz_loadu_ps(
            tailMask(std::max<int64_t>(a.cols - k - 16, 0)), x + k + 16);
      }
      for (int r = 0; r < R; ++r) {
        const int64_t v = (o + r) * stride + 16 * q;
        const uint8_t *cw = codes + (o + r) * words * 4 + 4 * q;
        if (VT == ValueType::F32 || (q & 3) == 0) {
          // f32: kPrefetchBytes ahead along the row. Narrower values: this
          // row's counterpart in the next group of R, into L2 (kAhead was
          // one row of i8 values: rows o + 1 to o + 3 of the next group
          // went unprefetched; 4096x4096 i8 from DRAM, the kernel alone,
          // four alternations on a Zen 5: 450-573 against 578-712 us).
          if constexpr (VT == ValueType::F32) {
            prefetchValues(vals, v + kAhead, 16 * kLines);
            _mm_prefetch(reinterpret_cast<const char *>(cw) + kAhead / 4,
                         _MM_HINT_T0);
          } else {
            prefetchValues<_MM_HINT_T1>(vals, v + R * stride, 16 * kLines);
            _mm_prefetch(reinterpret_cast<const char *>(cw) + R * words * 4,
                         _MM_HINT_T1);
          }
        }
        uint32_t word;
        std::memcpy(&word, cw, 4);
        const __m512i idx = nm24Index(word);
        sum[r] = _mm512_fmadd_ps(load16(vals, v),
                                 _mm512_permutex2var_ps(lo, idx, hi), sum[r]);
      }
    };
    int64_t q = 0;
    for (; q + U <= words; q += U)
      for (int u = 0; u < U; ++u)
        step(q + u, acc[u]);
    for (; q < words; ++q)
      step(q, acc[0]);
    for (int r = 0; r < R; ++r) {
      __m512 t = acc[0][r];
      for (int u = 1; u < U; ++u)
        t = _mm512_add_ps(t, acc[u][r]);
      float *y = a.y + b0 * a.ys + (o + r) * a.yo;
      *y = finish(_mm512_reduce_add_ps(t) * vals.scale(o + r), y, a, o + r);
    }
  }
  if (o < o1)
    nm24Rows<1, VT, false>(a, b0, codes, vals, o, o1, 0, words, nullptr, true);
}

template <bool Chunked, ValueType VT>
AVX512 void nm24Block(const Args &a, int64_t b0, int64_t nb,
                      const uint8_t *codes, Vals<VT> values, int64_t o0,
                      int64_t o1, int64_t qBegin, int64_t qEnd, float *part,
                      bool last) {
  switch (nb) {
  case 1:
    return nm24Rows<1, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 2:
    return nm24Rows<2, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 3:
    return nm24Rows<3, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 4:
    return nm24Rows<4, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 5:
    return nm24Rows<5, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 6:
    return nm24Rows<6, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  case 7:
    return nm24Rows<7, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  default:
    return nm24Rows<8, VT, Chunked>(a, b0, codes, values, o0, o1, qBegin, qEnd,
                                    part, last);
  }
}
} // namespace

bool pruneopt::kernels::impl::nmAvx512(const Args &a, const WeightRef &w,
                                       double work) {
  const int64_t n = w.n, m = w.m;
  const uint8_t *codes = w.codes;
  const bool is24 = n == 2 && m == 4;
  const int64_t batch = a.batch, rows = a.rows, cols = a.cols;
  if (is24) {
    Args a1 = a;
    std::vector<float> xCopy;
    ensureUnitK(a1, xCopy);
    // Rows outside, batch blocks of 8 inside: a row's values stay in L1.
    // K in chunks whose inputs (nb rows of them) fit in 16 KiB of L1: whole
    // rows of x for every output re-read 64 KiB from L2 at 4 batch rows
    // (4096x4096 2:4 took 4.4 ms at batch 4, dense 3.8).
    const int64_t words = nmStride(cols, 2, 4) / 16;
    withValues(w, [&](auto vals) {
      parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
        float part[64 * 8];
        for (int64_t r0 = o0; r0 < o1; r0 += 64) {
          const int64_t r1 = std::min(r0 + 64, o1);
          for (int64_t b = 0; b < batch; b += 8) {
            const int64_t nb = std::min<int64_t>(8, batch - b);
            const int64_t chunk = std::max<int64_t>(4, 16384 / (128 * nb));
            if (nb == 1) { // whole rows, four at a time
              nm24RowGroups(a1, b, codes, vals, r0, r1);
              continue;
            }
            if (words <= chunk) { // whole rows
              nm24Block<false>(a1, b, nb, codes, vals, r0, r1, 0, words, part,
                               true);
              continue;
            }
            std::fill(part, part + (r1 - r0) * nb, 0.0f);
            for (int64_t q = 0; q < words; q += chunk)
              nm24Block<true>(a1, b, nb, codes, vals, r0, r1, q,
                              std::min(q + chunk, words), part,
                              q + chunk >= words);
          }
        }
      });
    });
    return true;
  }
  // Other N:M, batched, f32 values; narrower values take the AVX2 kernel.
  if (batch < kBatchedFrom || w.valueType != ValueType::F32)
    return false;
  const float *values = w.values;
  int64_t stride = nmStride(cols, n, m), perRow = cols / m * n;
  forBatchChunks(a, [&](int64_t b0, int64_t nb, int nv, const float *xT,
                        int64_t ldx) {
    parallelUnits(rows, work * nb / batch, [&](int64_t o0, int64_t o1) {
      // Columns of one row, decoded once per row (no divisions inside).
      std::vector<int32_t> cols(perRow);
      ColumnTile<1> tile1(a, b0, nb);
      ColumnTile<2> tile2(a, b0, nb);
      for (int64_t o = o0; o < o1; ++o) {
        int64_t base = o * stride;
        for (int64_t j = 0, g = 0, q = 0; j < perRow; ++j) {
          cols[j] = g + nmOffset(codes, is24, base + j);
          if (++q == n) {
            q = 0;
            g += m;
          }
        }
        const float *v = values + base;
        auto colOf = [&](int64_t j) { return int64_t(cols[j]); };
        bool given = xGiven(a);
        if (nv == 1)
          given
              ? batchedRow<1, true>(tile1, xT, ldx, nb, o, 0, perRow, v, colOf)
              : batchedRow<1, false>(tile1, xT, ldx, nb, o, 0, perRow, v,
                                     colOf);
        else
          given
              ? batchedRow<2, true>(tile2, xT, ldx, nb, o, 0, perRow, v, colOf)
              : batchedRow<2, false>(tile2, xT, ldx, nb, o, 0, perRow, v,
                                     colOf);
      }
      tile1.flush();
      tile2.flush();
    });
  });
  return true;
}
#endif // PRUNE_X86
