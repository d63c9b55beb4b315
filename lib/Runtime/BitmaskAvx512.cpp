//===- BitmaskAvx512.cpp - The AVX-512 bitmask kernel ---------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bitmask: one batch row at a time, 16 weights expanded per mask, 4 chunks
// in flight; values of every type. With VPOPCNTDQ the expansion is a
// permute by per-lane popcounts instead of vexpandps.
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
} // namespace

void pruneopt::kernels::impl::bitmaskAvx512(Args a, const WeightRef &w,
                                            double work) {
  std::vector<float> xCopy;
  ensureUnitK(a, xCopy);
  const bool popcnt = avx512PermuteExpand();
  withValues(w, [&](auto vals) {
    parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
      for (int64_t b = 0; b < a.batch; ++b)
        popcnt ? bitmaskRows1<true>(a, b, w.rowPtr, w.masks, vals, o0, o1)
               : bitmaskRows1<false>(a, b, w.rowPtr, w.masks, vals, o0, o1);
    });
  });
}
#endif // PRUNE_X86
