//===- Avx2Impl.h - Shared by the AVX2 kernel files -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The pieces the AVX2 kernels share: 8 stored values of any value type
// widened to f32, and the store of 8 outputs with the epilogue. Only x86-64
// includes it (the *Avx2.cpp files are empty elsewhere); the functions
// carry target attributes, so the library runs on any x86-64 and selects
// them at run time (impl::avx2()).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H
#define PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H

#include "KernelsImpl.h"

#if PRUNE_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c,popcnt,bmi,bmi2")))

namespace pruneopt::kernels {
namespace __attribute__((visibility("hidden"))) impl {
namespace {
/// Stored values i .. i+7 as f32 (the i8 scale is applied per output, not
/// here).
template <ValueType VT> AVX2 inline __m256 load8(Vals<VT> v, int64_t i) {
  if constexpr (VT == ValueType::F32)
    return _mm256_loadu_ps(static_cast<const float *>(v.data) + i);
  else if constexpr (VT == ValueType::I8)
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
        reinterpret_cast<const __m128i *>(static_cast<const int8_t *>(v.data) +
                                          i))));
  else if constexpr (VT == ValueType::BF16)
    return _mm256_castsi256_ps(_mm256_slli_epi32(
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(
            static_cast<const uint16_t *>(v.data) + i))),
        16));
  else
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(
        static_cast<const uint16_t *>(v.data) + i)));
}

/// Horizontal sum of the 8 lanes.
AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
} // namespace
} // namespace impl
} // namespace pruneopt::kernels

#endif // PRUNE_X86
#endif // PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H
