//===- DenseAmx.cpp - The refit's preconditioner setup in bf16 ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The least-squares refit's conjugate gradients factor, per row of the
// layer, the r x r Woodbury system of their low-rank preconditioner:
// C = sum over the row's kept inputs s of g_s v_s v_s^T (V: the model's
// n x r directions, g: its diagonal part inverted), k r^2 flops for k
// kept. In f32 (OpenBLAS ssyrk) that was most of the refit's time at 50 %.
// Here it runs on bf16 dot products: V's entries are bf16 values and g's
// powers of two (the caller rounds them so, once), so every product
// g_s v_sj v_sl is exact and C is the f32 sum of exact terms: the
// preconditioner stays the exact Woodbury inverse of an SPD model.
//
// Per row: A = V_S^T (r x k, bf16) by compressing each row of V^T with the
// row's mask (VBMI2), B = G V_S in the pair-interleaved (VNNI) layout,
// then C's upper triangle: on AMX tiles (32 x 32 blocks, 2 x 2 tiles
// each), or with AVX512-BF16's vdpbf16ps (8 x 32 blocks, 16 zmm sums;
// ~1.8x the f32 FMA's throughput on Zen 4 and Zen 5).
//
//===----------------------------------------------------------------------===//

#include "Dense.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PRUNE_AMX                                                              \
  __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,"       \
                        "avx512vbmi2,bmi2,popcnt")))

namespace {
constexpr int64_t tileK = 32; ///< bf16 per tile row (64 bytes)

struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colBytes[16] = {};
  uint8_t rows[16] = {};
};

int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

#define PRUNE_BF16_PACK                                                        \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")))
#define PRUNE_AVX512_BF16                                                      \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,avx512bf16,"    \
                        "bmi2,popcnt")))

/// The operands of C = A B (upper triangle) for one row's kept inputs:
/// A = V_S^T (rp rows of kp bf16, stride lda), B = G V_S (kp / 2 rows of
/// rp pairs), and cs, C's rp x rp f32 scratch; rp and kp multiples of 32,
/// the padding zero.
struct Operands {
  const uint16_t *a, *b;
  float *cs;
  int64_t rp, kp, lda;
};

PRUNE_BF16_PACK Operands pack(int64_t r, int64_t n, const uint16_t *vt,
                              const float *v, const float *g,
                              const uint8_t *keep,
                              std::vector<uint16_t> &scratch) {
  const int64_t rp = roundUp(std::max<int64_t>(r, 1), 32);
  int64_t k = 0;
  for (int64_t s = 0; s < n; ++s)
    k += keep[s] != 0;
  const int64_t kp = roundUp(std::max<int64_t>(k, 1), tileK);
  // A: rp rows of kp (with a stride off a multiple of 4 KB: the rows of a
  // tile in different L1 sets), then B: kp / 2 rows of rp pairs, then C:
  // rp x rp f32.
  const int64_t lda = kp + 32;
  const size_t aSize = rp * lda + 64, bSize = kp * rp, cSize = 2 * rp * rp;
  scratch.resize(aSize + bSize + cSize + 32);
  uint16_t *a = scratch.data();
  uint16_t *b = a + aSize;
  float *cs = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(b + bSize) + 63) & ~uintptr_t(63));

  // A = V_S^T: each row of V^T compressed by the mask, 32 inputs at a
  // time (the full 64-byte store runs past the row's valid entries; the
  // next store or the tail's zeros overwrite it).
  std::vector<__mmask32> masks((n + 31) / 32);
  for (int64_t s0 = 0, w = 0; s0 < n; s0 += 32, ++w) {
    uint32_t m = 0;
    for (int64_t s = s0; s < std::min(n, s0 + 32); ++s)
      m |= uint32_t(keep[s] != 0) << (s - s0);
    masks[w] = m;
  }
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t j = 0; j < rp; ++j) {
    uint16_t *dst = a + j * lda;
    if (j < r) {
      const uint16_t *src = vt + j * n;
      for (int64_t s0 = 0, w = 0; s0 < n; s0 += 32, ++w) {
        const __mmask32 in = s0 + 32 <= n ? ~__mmask32(0)
                                          : __mmask32((1u << (n - s0)) - 1);
        const __m512i x = _mm512_maskz_loadu_epi16(in, src + s0);
        _mm512_storeu_si512(dst, _mm512_maskz_compress_epi16(masks[w], x));
        dst += _mm_popcnt_u32(masks[w]);
      }
    }
    for (uint16_t *end = a + j * lda + kp; dst < end; dst += 32)
      _mm512_mask_storeu_epi16(
          dst, __mmask32(end - dst >= 32 ? ~0u : (1u << (end - dst)) - 1),
          zero);
  }

  // B = G V_S, pairs of kept inputs interleaved: one 32-bit lane holds the
  // bf16 of input 2p (low half) and 2p + 1 (high half) for one column.
  // g is a power of two and V's entries bf16 values: g v is exact in bf16,
  // its f32 bits' upper half.
  const __m512i high = _mm512_set1_epi32(int32_t(0xffff0000u));
  int64_t s = 0;
  for (int64_t p = 0; p < kp / 2; ++p) {
    int64_t pair[2] = {-1, -1};
    for (int h = 0; h < 2; ++h) {
      while (s < n && !keep[s])
        ++s;
      if (s < n)
        pair[h] = s++;
    }
    uint32_t *row = reinterpret_cast<uint32_t *>(b + p * 2 * rp);
    for (int64_t l = 0; l < rp; l += 16) {
      const __mmask16 m = l + 16 <= r  ? __mmask16(0xffff)
                          : l >= r     ? __mmask16(0)
                                       : __mmask16((1u << (r - l)) - 1);
      __m512 x[2];
      for (int h = 0; h < 2; ++h)
        x[h] = pair[h] < 0 ? _mm512_setzero_ps()
                           : _mm512_mul_ps(
                                 _mm512_maskz_loadu_ps(m, v + pair[h] * r + l),
                                 _mm512_set1_ps(g[pair[h]]));
      const __m512i lane = _mm512_or_si512(
          _mm512_and_si512(_mm512_castps_si512(x[1]), high),
          _mm512_srli_epi32(_mm512_castps_si512(x[0]), 16));
      _mm512_storeu_si512(row + l, lane);
    }
  }
  return {a, b, cs, rp, kp, lda};
}

/// c's upper triangle (r x r) from the rp x rp scratch.
void copyUpper(int64_t r, const Operands &o, float *c) {
  for (int64_t i = 0; i < r; ++i)
    std::memcpy(c + i * r + i, o.cs + i * o.rp + i, (r - i) * sizeof(float));
}

PRUNE_AMX void gramAmx(int64_t r, int64_t n, const uint16_t *vt, const float *v,
                       const float *g, const uint8_t *keep, float *c,
                       std::vector<uint16_t> &scratch) {
  const Operands o = pack(r, n, vt, v, g, keep, scratch);
  const uint16_t *a = o.a, *b = o.b;
  float *cs = o.cs;
  const int64_t rp = o.rp, kp = o.kp, lda = o.lda;
  // C's upper triangle in 32 x 32 blocks: tiles 0-3 accumulate, 4-5 hold
  // A's two row tiles, 6-7 B's two column tiles.
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colBytes[t] = 64;
  }
  _tile_loadconfig(&cfg);
  for (int64_t i0 = 0; i0 < rp; i0 += 32)
    for (int64_t j0 = i0; j0 < rp; j0 += 32) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t q = 0; q < kp; q += tileK) {
        _tile_loadd(4, a + i0 * lda + q, lda * 2);
        _tile_loadd(5, a + (i0 + 16) * lda + q, lda * 2);
        _tile_loadd(6, b + q * rp + j0 * 2, rp * 4);
        _tile_loadd(7, b + q * rp + (j0 + 16) * 2, rp * 4);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, cs + i0 * rp + j0, rp * 4);
      _tile_stored(1, cs + i0 * rp + j0 + 16, rp * 4);
      _tile_stored(2, cs + (i0 + 16) * rp + j0, rp * 4);
      _tile_stored(3, cs + (i0 + 16) * rp + j0 + 16, rp * 4);
    }
  _tile_release();
  copyUpper(r, o, c);
}

/// C's upper triangle with vdpbf16ps: blocks of 8 rows (A's 8 rows, 8 x
/// kp bf16 = 32 KB at k = 2048, stay in L1) by 32 columns (two vectors of
/// B's pairs per pair of inputs, streamed from L2), 16 sums in registers:
/// per pair of inputs two loads of B, eight 32-bit broadcasts of A and 16
/// dot products. Blocks wholly below the diagonal are skipped.
PRUNE_AVX512_BF16 void gramDp(int64_t r, int64_t n, const uint16_t *vt,
                              const float *v, const float *g,
                              const uint8_t *keep, float *c,
                              std::vector<uint16_t> &scratch) {
  const Operands o = pack(r, n, vt, v, g, keep, scratch);
  constexpr int64_t rowsPerBlock = 8;
  const int64_t pairs = o.kp / 2;
  for (int64_t i0 = 0; i0 < o.rp; i0 += rowsPerBlock) {
    const uint32_t *arow[rowsPerBlock];
    for (int64_t i = 0; i < rowsPerBlock; ++i)
      arow[i] = reinterpret_cast<const uint32_t *>(o.a + (i0 + i) * o.lda);
    for (int64_t j0 = i0 / 32 * 32; j0 < o.rp; j0 += 32) {
      __m512 sum[rowsPerBlock][2];
      for (auto &row : sum)
        row[0] = row[1] = _mm512_setzero_ps();
      const uint16_t *bcol = o.b + j0 * 2;
      for (int64_t p = 0; p < pairs; ++p, bcol += 2 * o.rp) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bcol),
                       b1 = (__m512bh)_mm512_loadu_si512(bcol + 32);
        for (int64_t i = 0; i < rowsPerBlock; ++i) {
          const __m512bh ai = (__m512bh)_mm512_set1_epi32(int32_t(arow[i][p]));
          sum[i][0] = _mm512_dpbf16_ps(sum[i][0], ai, b0);
          sum[i][1] = _mm512_dpbf16_ps(sum[i][1], ai, b1);
        }
      }
      for (int64_t i = 0; i < rowsPerBlock; ++i) {
        _mm512_storeu_ps(o.cs + (i0 + i) * o.rp + j0, sum[i][0]);
        _mm512_storeu_ps(o.cs + (i0 + i) * o.rp + j0 + 16, sum[i][1]);
      }
    }
  }
  copyUpper(r, o, c);
}

/// Whether the environment sets `name` (to anything but "").
bool disabledBy(const char *name) {
  const char *v = std::getenv(name);
  return v && *v;
}
} // namespace

bool mlir::prune::dense::haveAmxBf16() {
  static const bool have = [] {
    if (disabledBy("PRUNE_OPT_NO_AMX") || disabledBy("PRUNE_OPT_NO_BF16"))
      return false; // the other paths' tests on AMX machines
    // AVX-512 F/BW/VBMI2 usable (the OS saves their state, which also
    // makes xgetbv below safe)...
    if (!dense::haveAvx512() || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vbmi2"))
      return false;
    // ...AMX-BF16 and AMX-TILE (CPUID leaf 7, EDX bits 22 and 24)...
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(edx >> 22 & 1) ||
        !(edx >> 24 & 1))
      return false;
    // ...the OS saves the tile state (XCR0 bits 17 and 18)...
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & (3u << 17)) != (3u << 17))
      return false;
    // ...and grants it to this process (Linux 5.16 on, once per process).
    constexpr long archReqXcompPerm = 0x1023, xfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, archReqXcompPerm, xfeatureXtiledata) == 0;
  }();
  return have;
}

bool mlir::prune::dense::haveAvx512Bf16() {
  static const bool have = [] {
    if (disabledBy("PRUNE_OPT_NO_BF16"))
      return false; // the f32 path's tests
    // (haveAvx512: the CPU has AVX-512 F/VL/DQ and the OS saves its state.)
    return dense::haveAvx512() && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi2") &&
           __builtin_cpu_supports("avx512bf16");
  }();
  return have;
}

void mlir::prune::dense::weightedGramAmx(int64_t r, int64_t n,
                                         const uint16_t *vt, const float *v,
                                         const float *g, const uint8_t *keep,
                                         float *c,
                                         std::vector<uint16_t> &scratch) {
  gramAmx(r, n, vt, v, g, keep, c, scratch);
}

void mlir::prune::dense::weightedGramAvx512Bf16(
    int64_t r, int64_t n, const uint16_t *vt, const float *v, const float *g,
    const uint8_t *keep, float *c, std::vector<uint16_t> &scratch) {
  gramDp(r, n, vt, v, g, keep, c, scratch);
}

#else

bool mlir::prune::dense::haveAmxBf16() { return false; }
bool mlir::prune::dense::haveAvx512Bf16() { return false; }

void mlir::prune::dense::weightedGramAmx(int64_t, int64_t, const uint16_t *,
                                         const float *, const float *,
                                         const uint8_t *, float *,
                                         std::vector<uint16_t> &) {}
void mlir::prune::dense::weightedGramAvx512Bf16(int64_t, int64_t,
                                                const uint16_t *, const float *,
                                                const float *, const uint8_t *,
                                                float *,
                                                std::vector<uint16_t> &) {}

#endif

bool mlir::prune::dense::haveBf16Gram() {
  return haveAmxBf16() || haveAvx512Bf16();
}

void mlir::prune::dense::weightedGramBf16(int64_t r, int64_t n,
                                          const uint16_t *vt, const float *v,
                                          const float *g, const uint8_t *keep,
                                          float *c,
                                          std::vector<uint16_t> &scratch) {
  if (haveAmxBf16())
    weightedGramAmx(r, n, vt, v, g, keep, c, scratch);
  else
    weightedGramAvx512Bf16(r, n, vt, v, g, keep, c, scratch);
}
