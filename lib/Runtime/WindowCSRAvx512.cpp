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
// gathers each input with a load); the step's mask expands its entries
// (i8) or their products (other value types) to their rows' lanes.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

/// AVX512 plus what the i8 kernel's pairing uses (vpexpandw, pdep).
#define AVX512_VBMI2                                                           \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi2,"      \
                        "bmi2,fma,popcnt")))

namespace {
/// acc += values * x[window + columns] for a step's 16 entries in their
/// rows' lanes (lanes without an entry: m's bit clear, acc kept: no 0 * x,
/// an infinite input adds no NaN, as in csr). `entry` holds each lane's
/// column in its low 5 bits (vpermt2ps reads those only) and `value`.
AVX512 inline void windowStep(__m512 &acc, const float *window, __m512i entry,
                              __m512i value, unsigned m) {
  acc = _mm512_mask3_fmadd_ps(
      _mm512_cvtepi32_ps(value),
      _mm512_permutex2var_ps(_mm512_loadu_ps(window), entry,
                             _mm512_loadu_ps(window + 16)),
      acc, __mmask16(m));
}

/// i8 values, groups [g0, g1) for batch row b of x (>= 32 columns): two
/// steps at a time from their row-interleaved u16 entries (column | value
/// << 8). With VBMI2 one vpexpandw puts both steps' entries of row r in
/// dword lane r (step 0 in its low word); without, two vpexpandd and two
/// permutes split them. Fewer shuffles per step than the other value
/// types' kernel (the shuffle port bounds it): 4096x4096 at 90 %, 1
/// thread, ~0.24 against ~0.31 ms with the weight in cache. Both
/// instantiations carry the VBMI2 target (an attribute cannot depend on
/// the template argument); only the Vbmi2 branch uses its intrinsic, and
/// the other instantiation compiles to AVX-512 F/BW/DQ/VL + BMI2 code
/// (checked with objdump: no vpexpandw/b, vpcompressw/b, vpshld/vpshrd).
template <bool Vbmi2>
AVX512_VBMI2 void windowPairsI8(const Args &a, const WeightRef &w, int64_t b,
                                const float *x, Vals<ValueType::I8> vals,
                                int64_t g0, int64_t g1) {
  const int64_t groups = (a.rows + 15) / 16;
  const int32_t *stepStart = w.meta, *entryStart = w.meta + groups + 1;
  const uint16_t *masks = w.masks;
  const uint8_t *shifts = w.shifts;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                         22, 24, 26, 28, 30),
                odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  /// One group in flight: its next step, entries and window, its sums.
  struct Group {
    int64_t g, s, end;
    const uint16_t *words;
    const float *xw;
    __m512 acc0, acc1;
  };
  auto start = [&](int64_t g) AVX512_VBMI2 {
    return Group{g,
                 stepStart[g],
                 stepStart[g + 1],
                 static_cast<const uint16_t *>(vals.data) + entryStart[g],
                 x,
                 _mm512_setzero_ps(),
                 _mm512_setzero_ps()};
  };
  // Steps s (window x0, mask m0) and s + 1 (x1, m1) of group q.
  auto pair = [&](Group &q, const float *x0, unsigned m0, const float *x1,
                  unsigned m1) AVX512_VBMI2 {
    // Bit 2r: step s has an entry in row r; bit 2r + 1: step s + 1.
    const unsigned both =
        _pdep_u32(m0, 0x55555555u) | _pdep_u32(m1, 0xaaaaaaaau);
    __m512i e0, e1, v0, v1;
    if constexpr (Vbmi2) {
      const __m512i pair =
          _mm512_maskz_expand_epi16(both, _mm512_loadu_si512(q.words));
      e0 = pair;
      e1 = _mm512_srli_epi32(pair, 16);
      v0 = _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 24);
      v1 = _mm512_srai_epi32(pair, 24);
    } else {
      // Rows 0-7 from the first popcount(both & 0xffff) entries, rows
      // 8-15 from the rest: lane 2j / 2j + 1 = row j, step s / s + 1.
      const unsigned lo = both & 0xffff, hi = both >> 16;
      const __m512i rows0 = _mm512_maskz_expand_epi32(
          __mmask16(lo), _mm512_cvtepi16_epi32(_mm256_loadu_si256(
                             reinterpret_cast<const __m256i *>(q.words))));
      const __m512i rows8 = _mm512_maskz_expand_epi32(
          __mmask16(hi), _mm512_cvtepi16_epi32(_mm256_loadu_si256(
                             reinterpret_cast<const __m256i *>(
                                 q.words + __builtin_popcount(lo)))));
      e0 = _mm512_permutex2var_epi32(rows0, even, rows8);
      e1 = _mm512_permutex2var_epi32(rows0, odd, rows8);
      v0 = _mm512_srai_epi32(e0, 8);
      v1 = _mm512_srai_epi32(e1, 8);
    }
    q.words += __builtin_popcount(both);
    windowStep(q.acc0, x0, e0, v0, m0);
    windowStep(q.acc1, x1, e1, v1, m1);
  };
  // The next two steps of q (s + 2 <= end).
  auto twoSteps = [&](Group &q) AVX512_VBMI2 {
    // 16 KB ahead into L2 (~350 steps): ~5 % faster from DRAM than 4 KB
    // into L1, which was ~10 % faster than 2 KB.
    _mm_prefetch(reinterpret_cast<const char *>(q.words + 8192), _MM_HINT_T1);
    const float *x0 = q.xw + shifts[q.s];
    q.xw = x0 + shifts[q.s + 1];
    pair(q, x0, masks[q.s], q.xw, masks[q.s + 1]);
    q.s += 2;
  };
  auto finish = [&](Group &q) AVX512_VBMI2 {
    while (q.s + 2 <= q.end)
      twoSteps(q);
    if (q.s < q.end) { // the last step alone
      q.xw += shifts[q.s];
      pair(q, q.xw, masks[q.s], q.xw, 0);
    }
    storeSums16(a, b, vals, 16 * q.g, std::min<int64_t>(16, a.rows - 16 * q.g),
                _mm512_add_ps(q.acc0, q.acc1));
  };
  // Two groups at a time, their steps interleaved: two independent chains
  // of steps and two streams of entries from memory (4096x4096 at 90 %, 1
  // thread: ~17 % faster both in cache and from DRAM than one group at a
  // time; with four at a time, in arrays, the compiler kept the groups in
  // memory and it was slower than one).
  int64_t g = g0;
  for (; g + 2 <= g1; g += 2) {
    Group p = start(g), q = start(g + 1);
    while (p.s + 2 <= p.end && q.s + 2 <= q.end) {
      twoSteps(p);
      twoSteps(q);
    }
    finish(p);
    finish(q);
  }
  if (g < g1) {
    Group p = start(g);
    finish(p);
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
          if (avx512Vbmi2())
            windowPairsI8<true>(a1, w, b, x, vals, g0, g1);
          else
            windowPairsI8<false>(a1, w, b, x, vals, g0, g1);
        } else {
          windowRows(a1, w, b, x, vals, g0, g1);
        }
      });
}
#endif // PRUNE_X86
