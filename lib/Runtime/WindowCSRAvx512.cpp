//===- WindowCSRAvx512.cpp - The AVX-512 csr-window kernel ----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// csr-window, every value type, one batch row at a time: a group of 16
// rows accumulates in one vector (lane r = row r). Each step loads its
// 32-column window of x into two registers and permutes the entries'
// inputs out of them (vpermt2ps: one shuffle for 16 entries where csr
// gathers each input with a load); the step's mask expands its products
// to their rows' lanes. i8 weights: pairs of steps share a window, and
// one expansion puts both steps' entries in their rows' lanes.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#include <cstring>

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

/// AVX512 plus what the i8 kernel uses (vpexpandw, pext).
#define AVX512_VBMI2                                                           \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi2,"      \
                        "bmi2,fma,popcnt")))

namespace {
/// Whether every |x[0, n)| < 2^64 (no infinity, no NaN, and no overflow
/// of sums of up to 2^31 products by values up to 2^7 * 2^24).
AVX512 inline bool tameInputs(const float *x, int64_t n) {
  const __m512 limit = _mm512_set1_ps(0x1p64f);
  __mmask16 ok = 0xffff;
  int64_t k = 0;
  for (; k + 16 <= n; k += 16)
    ok &= _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + k)), limit,
                             _CMP_LT_OQ);
  const __mmask16 tail = tailMask(n - k);
  ok &= _mm512_mask_cmp_ps_mask(
            tail, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + k)), limit,
            _CMP_LT_OQ) |
        __mmask16(~tail);
  return ok == 0xffff;
}

/// i8 values, groups [g0, g1) for batch row b of x (>= 32 columns): one
/// pair of steps at a time, both from one window (Kernels.h: up to two
/// entries per row, row-interleaved u16 entries column | value << 8, the
/// interleaved 32-bit mask). With VBMI2 one vpexpandw puts row r's entries
/// in dword lane r (the first in its low word); without, two vpexpandd and
/// two permutes split them. Sharing the window saves two loads and a shift
/// per pair (the pairs take ~5 % more steps than single steps would).
/// With every input finite and below 2^64 (Tame) the products are not
/// masked: a lane without an entry adds 0 * x = 0, and the masks stay out
/// of the mask registers (4096x4096 at 90 %, 1 thread, from cache: ~20 %
/// faster), and with VBMI2 the values are widened times 2^24 (~8 %);
/// otherwise lanes without an entry keep their sums (an infinite input
/// adds no NaN, as in csr). Both instantiations carry the VBMI2 target (an
/// attribute cannot depend on the template argument); only the Vbmi2
/// branch uses its intrinsic, and the other instantiation compiles to
/// AVX-512 F/BW/DQ/VL + BMI2 code (checked with objdump: no vpexpandw/b,
/// vpcompressw/b, vpshld/vpshrd).
template <bool Vbmi2, bool Tame>
AVX512_VBMI2 void windowPairsI8(const Args &a, const WeightRef &w, int64_t b,
                                const float *x, Vals<ValueType::I8> vals,
                                int64_t g0, int64_t g1) {
  const int64_t groups = (a.rows + 15) / 16;
  const int32_t *pairStart = w.meta, *entryStart = w.meta + groups + 1;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                         22, 24, 26, 28, 30),
                odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  /// One group in flight: its next pair (mask, shift), entries and window,
  /// its sums.
  struct Group {
    const uint16_t *mask, *words;
    const uint8_t *shift, *end;
    const float *xw;
    __m512 acc0, acc1;
  };
  auto start = [&](int64_t g) AVX512_VBMI2 {
    return Group{w.masks + 2 * int64_t(pairStart[g]),
                 static_cast<const uint16_t *>(vals.data) + entryStart[g],
                 w.shifts + pairStart[g],
                 w.shifts + pairStart[g + 1],
                 x,
                 _mm512_setzero_ps(),
                 _mm512_setzero_ps()};
  };
  auto step = [&](__m512 &acc, __m512 xv, __m512i value, unsigned m)
                  AVX512_VBMI2 {
                    if constexpr (Tame)
                      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(value), xv, acc);
                    else
                      acc = _mm512_mask3_fmadd_ps(_mm512_cvtepi32_ps(value), xv,
                                                  acc, __mmask16(m));
                  };
  auto pair = [&](Group &q) AVX512_VBMI2 {
    // Entries 32 KB ahead into L2 and 2 KB into L1, masks 2 KB into L2
    // (4096x4096 at 90 %, 1 thread: ~10 % faster from cache and from DRAM
    // than entries 16 KB ahead alone).
    _mm_prefetch(reinterpret_cast<const char *>(q.words + 16384), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char *>(q.words + 1024), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(q.mask + 1024), _MM_HINT_T1);
    // Bit 2r: row r has a first entry; bit 2r + 1: a second.
    uint32_t both;
    std::memcpy(&both, q.mask, 4);
    q.mask += 2;
    q.xw += *q.shift++;
    const __m512 lo = _mm512_loadu_ps(q.xw), hi = _mm512_loadu_ps(q.xw + 16);
    __m512i e0, e1, v0, v1;
    if constexpr (Vbmi2) {
      const __m512i pair =
          _mm512_maskz_expand_epi16(both, _mm512_loadu_si512(q.words));
      e0 = pair;
      e1 = _mm512_srli_epi32(pair, 16);
      if constexpr (Tame) {
        // The values times 2^24 (their byte moved to the top, the sums
        // scaled back at the end): two instructions, not three.
        v0 = _mm512_shuffle_epi8(
            pair,
            _mm512_set4_epi32(0x0dffffff, 0x09ffffff, 0x05ffffff, 0x01ffffff));
        v1 = _mm512_and_si512(pair, _mm512_set1_epi32(int(0xff000000u)));
      } else {
        v0 = _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 24);
        v1 = _mm512_srai_epi32(pair, 24);
      }
    } else {
      // Rows 0-7 from the first popcount(both & 0xffff) entries, rows
      // 8-15 from the rest: lane 2j / 2j + 1 = row j, entry 0 / 1.
      const unsigned lo16 = both & 0xffff, hi16 = both >> 16;
      const __m512i rows0 = _mm512_maskz_expand_epi32(
          __mmask16(lo16), _mm512_cvtepi16_epi32(_mm256_loadu_si256(
                               reinterpret_cast<const __m256i *>(q.words))));
      const __m512i rows8 = _mm512_maskz_expand_epi32(
          __mmask16(hi16), _mm512_cvtepi16_epi32(_mm256_loadu_si256(
                               reinterpret_cast<const __m256i *>(
                                   q.words + __builtin_popcount(lo16)))));
      e0 = _mm512_permutex2var_epi32(rows0, even, rows8);
      e1 = _mm512_permutex2var_epi32(rows0, odd, rows8);
      v0 = _mm512_srai_epi32(e0, 8);
      v1 = _mm512_srai_epi32(e1, 8);
    }
    q.words += __builtin_popcount(both);
    step(q.acc0, _mm512_permutex2var_ps(lo, e0, hi), v0,
         Tame ? 0 : _pext_u32(both, 0x55555555u));
    step(q.acc1, _mm512_permutex2var_ps(lo, e1, hi), v1,
         Tame ? 0 : _pext_u32(both, 0xaaaaaaaau));
  };
  auto finish = [&](Group &q, int64_t g) AVX512_VBMI2 {
    while (q.shift != q.end)
      pair(q);
    storeSums16(a, b, vals, 16 * g, std::min<int64_t>(16, a.rows - 16 * g),
                Vbmi2 && Tame ? _mm512_mul_ps(_mm512_add_ps(q.acc0, q.acc1),
                                              _mm512_set1_ps(0x1p-24f))
                              : _mm512_add_ps(q.acc0, q.acc1));
  };
  // Two groups at a time, their pairs interleaved: two independent chains
  // and two streams of entries from memory (4096x4096 at 90 %, 1 thread:
  // ~17 % faster both in cache and from DRAM than one group at a time;
  // with four at a time, in arrays, the compiler kept the groups in memory
  // and it was slower than one).
  int64_t g = g0;
  for (; g + 2 <= g1; g += 2) {
    Group p = start(g), q = start(g + 1);
    for (int64_t n = std::min(p.end - p.shift, q.end - q.shift); n > 0; --n) {
      pair(p);
      pair(q);
    }
    finish(p, g);
    finish(q, g + 1);
  }
  if (g < g1) {
    Group p = start(g);
    finish(p, g);
  }
}

/// f32, bf16 and f16 values: groups [g0, g1) for batch row b of x (>= 32
/// columns), one step at a time.
template <ValueType VT>
AVX512 void windowRows(const Args &a, const WeightRef &w, int64_t b,
                       const float *x, Vals<VT> vals, int64_t g0, int64_t g1) {
  const int64_t groups = (a.rows + 15) / 16;
  const int32_t *stepStart = w.meta, *entryStart = w.meta + groups + 1;
  const uint16_t *masks = w.masks;
  const uint8_t *shifts = w.shifts, *col = w.col8;
  for (int64_t g = g0; g < g1; ++g) {
    int64_t s = stepStart[g], e = entryStart[g];
    const int64_t end = stepStart[g + 1];
    const float *xw = x;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    // The loads of 16 columns and values run past the step's entries (the
    // packer pads the arrays); the expand keeps the first popcount(mask).
    auto step = [&](int64_t s, __m512 &acc) AVX512 {
      xw += shifts[s];
      // The mask in a general register for the popcount, moved to a mask
      // register (loaded into one straight from memory, the compiler moved
      // it back for the popcount: 5-10 % slower, 4096x4096 i8 at 90 %).
      const unsigned m = masks[s];
      const __m512i c = _mm512_cvtepu8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(col + e)));
      const __m512 xv = _mm512_permutex2var_ps(_mm512_loadu_ps(xw), c,
                                               _mm512_loadu_ps(xw + 16));
      acc = _mm512_add_ps(
          acc, _mm512_maskz_expand_ps(__mmask16(m),
                                      _mm512_mul_ps(load16(vals, e), xv)));
      e += __builtin_popcount(m);
    };
    for (; s + 2 <= end; s += 2) {
      prefetchValues(vals, e + kPrefetchFloats, 32);
      _mm_prefetch(reinterpret_cast<const char *>(col + e + kPrefetchFloats),
                   _MM_HINT_T0);
      step(s, acc0);
      step(s + 1, acc1);
    }
    if (s < end)
      step(s, acc0);
    storeSums16(a, b, vals, 16 * g, std::min<int64_t>(16, a.rows - 16 * g),
                _mm512_add_ps(acc0, acc1));
  }
}
} // namespace

void pruneopt::kernels::impl::windowAvx512(const Args &a, const WeightRef &w,
                                           double work) {
  const int64_t groups = (a.rows + 15) / 16;
  forEachBatchRow(
      a, w, groups, work,
      [&](auto, const Args &a1, int64_t b, auto vals, int64_t g0, int64_t g1) {
        const float *x = a1.x + b * a1.xs;
        // Fewer than 32 columns: the one window reads a
        // zero-padded copy.
        alignas(64) float padded[32] = {};
        if (a1.cols < 32) {
          std::copy(x, x + a1.cols, padded);
          x = padded;
        }
        if constexpr (std::is_same_v<decltype(vals), Vals<ValueType::I8>>) {
          const bool tame = tameInputs(x, std::max<int64_t>(a1.cols, 32));
          if (avx512Vbmi2() && tame)
            windowPairsI8<true, true>(a1, w, b, x, vals, g0, g1);
          else if (avx512Vbmi2())
            windowPairsI8<true, false>(a1, w, b, x, vals, g0, g1);
          else if (tame)
            windowPairsI8<false, true>(a1, w, b, x, vals, g0, g1);
          else
            windowPairsI8<false, false>(a1, w, b, x, vals, g0, g1);
        } else {
          windowRows(a1, w, b, x, vals, g0, g1);
        }
      });
}
#endif // PRUNE_X86
