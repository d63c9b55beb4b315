//===- BitmaskAvx512.cpp - The AVX-512 bitmask kernel ---------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bitmask: one batch row at a time, 16 weights expanded per mask, 4 chunks
// in flight; values of every type. With VPOPCNTDQ the expansion is a
// permute by per-lane popcounts instead of vexpandps. Narrow values with
// VBMI2 expand their bytes / words, four / two chunks at once.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
#include <cstring>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

/// AVX512 plus VPOPCNTDQ (the permute path of bitmaskRows1).
#define AVX512_VPOPCNT                                                         \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,"                  \
                        "avx512vpopcntdq,fma,popcnt")))
/// AVX512 plus VBMI2 (vpexpandb/w) and BMI2 (bzhi): bitmaskRowsNarrow.
#define AVX512_VBMI2_BITMASK                                                   \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi2,"      \
                        "bmi2,fma,popcnt")))

namespace {
// Bitmask, one batch row: expand 16 weights per mask, 4 chunks in flight.
// Values of every type (the arrays are padded by 16 values: whole vectors
// are loaded at the last entries). The expansions bound it: ~1.3-1.7 ns
// per chunk of 16 columns on the Xeon (2-3 shuffle-port uops each with the
// mask's move to a mask register), ~1.65 on a Zen 5, about twice the dense
// kernel's per 16 columns. With VPOPCNTDQ on AMD (Popcnt,
// avx512PermuteExpand) lane i takes value popcount(mask & (2^i - 1)) by
// vpermps: four single uops instead of vexpandps, 1.8-1.9x faster on the
// Zen 5 (f32, 512x512 at 80 % from cache 26.9 -> 13.7 us; 4096x4096 from
// DRAM 1.88-1.96 -> 1.05-1.08 ms, dense 1.5-1.6). Intel CPUs run these
// shuffles on one port and keep vexpandps (not measured there). Both
// instantiations carry the VPOPCNTDQ target; only the Popcnt one uses it.
template <bool Popcnt, ValueType VT>
AVX512_VPOPCNT void bitmaskRows1(const Args &a, int64_t b,
                                 const int32_t *rowPtr, const uint16_t *masks,
                                 Vals<VT> vals, int64_t o0, int64_t o1) {
  const float *x = a.x + b * a.xs;
  // Lane i: the mask bits below i.
  const __m512i below = _mm512_setr_epi32(0, 1, 3, 7, 15, 31, 63, 127, 255, 511,
                                          1023, 2047, 4095, 8191, 16383, 32767);
  auto expand = [&](unsigned m, int64_t v) AVX512_VPOPCNT {
    if constexpr (Popcnt)
      return _mm512_maskz_permutexvar_ps(__mmask16(m),
                                         _mm512_popcnt_epi32(_mm512_and_si512(
                                             _mm512_set1_epi32(int(m)), below)),
                                         load16(vals, v));
    else
      return _mm512_maskz_expand_ps(__mmask16(m), load16(vals, v));
  };
  int64_t chunks = (a.cols + 15) / 16, full = a.cols / 16;
  __mmask16 lastMask = tailMask(a.cols - full * 16);
  auto row = [&](int64_t o) AVX512_VPOPCNT {
    int64_t v = rowPtr[o];
    const uint16_t *mk = masks + o * chunks;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t c = 0;
    for (; c + 4 <= full; c += 4) {
      _mm_prefetch(static_cast<const char *>(vals.at(v)) + kPrefetchBytes,
                   _MM_HINT_T0);
      for (int u = 0; u < 4; ++u) {
        unsigned m = mk[c + u];
        __m512 w = expand(m, v);
        v += __builtin_popcount(m);
        acc[u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + 16 * (c + u)), acc[u]);
      }
    }
    for (; c < chunks; ++c) {
      unsigned m = mk[c];
      __m512 w = expand(m, v);
      v += __builtin_popcount(m);
      __m512 xv = c < full ? _mm512_loadu_ps(x + 16 * c)
                           : _mm512_maskz_loadu_ps(lastMask, x + 16 * c);
      acc[0] = _mm512_fmadd_ps(w, xv, acc[0]);
    }
    return _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                         _mm512_add_ps(acc[2], acc[3]));
  };
  rowsBy16(a, b, vals, o0, o1, row);
}

/// Narrow values with VBMI2, one batch row: the chunks of one 512-bit
/// register of values per step (four of i8, two of bf16 / f16), their masks
/// read as one mask. One masked load takes the step's popcount values (no
/// read past them) and one vpexpandb / vpexpandw puts them in their
/// columns; each 16 are then widened to f32. bitmaskRows1 instead expands
/// 16 widened values per chunk (a broadcast, an and, a popcount and a
/// permute, each on 512 bits): i8 from cache, 1 thread, on a Zen 4
/// (4096x4096 at 90 %, 512x512 at 50 %) 1.07-1.16 ns per chunk against
/// 1.57-1.65.
template <ValueType VT>
AVX512_VBMI2_BITMASK void
bitmaskRowsNarrow(const Args &a, int64_t b, const int32_t *rowPtr,
                  const uint16_t *masks, Vals<VT> vals, int64_t o0,
                  int64_t o1) {
  constexpr bool I8 = VT == ValueType::I8;
  constexpr int kChunks = I8 ? 4 : 2; // per step
  using Mask = std::conditional_t<I8, uint64_t, uint32_t>;
  const float *x = a.x + b * a.xs;
  // The expansion of mask m of the values from entry v on.
  auto expand = [&](Mask m, int64_t v, int count) AVX512_VBMI2_BITMASK {
    if constexpr (I8)
      return _mm512_maskz_expand_epi8(
          m,
          _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, count),
                                  static_cast<const int8_t *>(vals.data) + v));
    else
      return _mm512_maskz_expand_epi16(
          m, _mm512_maskz_loadu_epi16(_bzhi_u32(~0u, count),
                                      static_cast<const uint16_t *>(vals.data) +
                                          v));
  };
  // Chunk u of an expansion as f32.
  auto widen = [](__m512i e, int u) AVX512_VBMI2_BITMASK {
    if constexpr (I8) {
      const __m128i q = u == 0   ? _mm512_castsi512_si128(e)
                        : u == 1 ? _mm512_extracti32x4_epi32(e, 1)
                        : u == 2 ? _mm512_extracti32x4_epi32(e, 2)
                                 : _mm512_extracti32x4_epi32(e, 3);
      return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
    } else {
      const __m256i h =
          u == 0 ? _mm512_castsi512_si256(e) : _mm512_extracti64x4_epi64(e, 1);
      if constexpr (VT == ValueType::BF16)
        return _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
      else
        return _mm512_cvtph_ps(h);
    }
  };
  const int64_t chunks = (a.cols + 15) / 16, full = a.cols / 16;
  const __mmask16 lastMask = tailMask(a.cols - full * 16);
  auto row = [&](int64_t o) AVX512_VBMI2_BITMASK {
    int64_t v = rowPtr[o];
    const uint16_t *mk = masks + o * chunks;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t c = 0;
    for (; c + kChunks <= full; c += kChunks) {
      _mm_prefetch(static_cast<const char *>(vals.at(v)) + kPrefetchBytes,
                   _MM_HINT_T0);
      Mask m;
      std::memcpy(&m, mk + c, sizeof m); // chunk c + u's mask in bits 16u ..
      const int count = __builtin_popcountll(m);
      const __m512i e = expand(m, v, count);
      v += count;
      for (int u = 0; u < kChunks; ++u)
        acc[u] = _mm512_fmadd_ps(widen(e, u), _mm512_loadu_ps(x + 16 * (c + u)),
                                 acc[u]);
    }
    for (; c < chunks; ++c) {
      const unsigned m = mk[c];
      const int count = __builtin_popcount(m);
      const __m512 xv = c < full ? _mm512_loadu_ps(x + 16 * c)
                                 : _mm512_maskz_loadu_ps(lastMask, x + 16 * c);
      acc[0] = _mm512_fmadd_ps(widen(expand(Mask(m), v, count), 0), xv, acc[0]);
      v += count;
    }
    return _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                         _mm512_add_ps(acc[2], acc[3]));
  };
  rowsBy16(a, b, vals, o0, o1, row);
}
} // namespace

void pruneopt::kernels::impl::bitmaskAvx512(Args a, const WeightRef &w,
                                            double work) {
  std::vector<float> xCopy;
  ensureUnitK(a, xCopy);
  const bool popcnt = avx512PermuteExpand(), vbmi2 = avx512Vbmi2();
  withValues(w, [&](auto vals) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      for (int64_t b = 0; b < a.batch; ++b) {
        if constexpr (!std::is_same_v<decltype(vals), Vals<ValueType::F32>>)
          if (vbmi2) {
            bitmaskRowsNarrow(a, b, w.rowPtr, w.masks, vals, o0, o1);
            continue;
          }
        popcnt ? bitmaskRows1<true>(a, b, w.rowPtr, w.masks, vals, o0, o1)
               : bitmaskRows1<false>(a, b, w.rowPtr, w.masks, vals, o0, o1);
      }
    });
  });
}
#endif // PRUNE_X86
