//===- NMAvx2.cpp - The AVX2 N:M kernels ----------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// N:M, every value type. 2:4: x is copied with each 16 inputs reordered so
// that one in-lane permute (vpermilps, which reads the 2-bit codes as they
// are) and a blend select the inputs of 8 values; up to 4 batch rows share
// each decoded word. Other N:M, batched: the batched row kernel of csr on
// the decoded columns.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// Batch rows [b0, b0 + NB), output rows [o0, o1). xp holds each batch
/// row's inputs (`padK` apart), every 16 reordered as [0..3, 8..11, 4..7,
/// 12..15]: the low 128-bit lane of its first vector then holds the group
/// of values 0-1 of a half word, the high lane that of values 4-5, and the
/// second vector the groups of values 2-3 and 6-7.
template <int NB, ValueType VT>
AVX2 void nm24Rows(const Args &a, const float *xp, int64_t padK, int64_t b0,
                   const uint8_t *codes, Vals<VT> vals, int64_t o0,
                   int64_t o1) {
  const int64_t stride = nmStride(a.cols, 2, 4), words = stride / 16;
  const __m256i shiftsLo = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i shiftsHi = _mm256_setr_epi32(16, 18, 20, 22, 24, 26, 28, 30);
  // Words in flight per batch row: U * 2 FMA chains cover the FMA latency
  // (one batch row alone would wait on two).
  constexpr int U = NB == 1 ? 2 : 1;
  for (int64_t o = o0; o < o1; ++o) {
    const int64_t v = o * stride;
    const uint8_t *cw = codes + o * words * 4;
    __m256 acc[U][2][NB];
    for (int u = 0; u < U; ++u)
      for (int b = 0; b < NB; ++b)
        acc[u][0][b] = acc[u][1][b] = _mm256_setzero_ps();
    for (int64_t q0 = 0; q0 < words; q0 += U)
      for (int u = 0; u < U; ++u) {
        const int64_t q = q0 + u;
        if (U > 1 && q == words)
          break;
        _mm_prefetch(static_cast<const char *>(vals.at(v + 16 * q + 512)),
                     _MM_HINT_T0);
        uint32_t bits;
        std::memcpy(&bits, cw + 4 * q, 4);
        __m256i wv = _mm256_set1_epi32(int(bits));
        __m256i idx0 = _mm256_srlv_epi32(wv, shiftsLo);
        __m256i idx1 = _mm256_srlv_epi32(wv, shiftsHi);
        __m256 w0 = load8(vals, v + 16 * q), w1 = load8(vals, v + 16 * q + 8);
        for (int b = 0; b < NB; ++b) {
          const float *xr = xp + b * padK + 32 * q;
          __m256 g0 = _mm256_blend_ps(
              _mm256_permutevar_ps(_mm256_load_ps(xr), idx0),
              _mm256_permutevar_ps(_mm256_load_ps(xr + 8), idx0), 0xCC);
          __m256 g1 = _mm256_blend_ps(
              _mm256_permutevar_ps(_mm256_load_ps(xr + 16), idx1),
              _mm256_permutevar_ps(_mm256_load_ps(xr + 24), idx1), 0xCC);
          acc[u][0][b] = _mm256_fmadd_ps(w0, g0, acc[u][0][b]);
          acc[u][1][b] = _mm256_fmadd_ps(w1, g1, acc[u][1][b]);
        }
      }
    for (int b = 0; b < NB; ++b) {
      __m256 s = _mm256_add_ps(acc[0][0][b], acc[0][1][b]);
      for (int u = 1; u < U; ++u)
        s = _mm256_add_ps(s, _mm256_add_ps(acc[u][0][b], acc[u][1][b]));
      float *y = a.y + (b0 + b) * a.ys + o * a.yo;
      *y = finish(hsum(s) * vals.scale(o), y, a, o);
    }
  }
}

template <ValueType VT>
void nm24(const Args &a, const uint8_t *codes, Vals<VT> vals, double work) {
  const int64_t padK = nmStride(a.cols, 2, 4) * 2;
  // The reordered, zero-padded copy of x (32-byte aligned).
  std::vector<float> buf(a.batch * padK + 8, 0.0f);
  float *xp = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(buf.data()) + 31) & ~uintptr_t(31));
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t k = 0; k < a.cols; ++k) {
      int64_t r = k % 16;
      int64_t to = k - r +
                   (r >= 4 && r < 8    ? r + 4
                    : r >= 8 && r < 12 ? r - 4
                                       : r);
      xp[b * padK + to] = a.x[b * a.xs + k * a.xk];
    }
  // Rows outside, batch blocks of 4 inside: a row's values stay in L1.
  parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
    for (int64_t r0 = o0; r0 < o1; r0 += 64) {
      int64_t r1 = std::min(r0 + 64, o1);
      for (int64_t b = 0; b < a.batch; b += 4) {
        const float *x = xp + b * padK;
        switch (std::min<int64_t>(4, a.batch - b)) {
        case 1:
          nm24Rows<1>(a, x, padK, b, codes, vals, r0, r1);
          break;
        case 2:
          nm24Rows<2>(a, x, padK, b, codes, vals, r0, r1);
          break;
        case 3:
          nm24Rows<3>(a, x, padK, b, codes, vals, r0, r1);
          break;
        default:
          nm24Rows<4>(a, x, padK, b, codes, vals, r0, r1);
        }
      }
    }
  });
}

/// Other N:M, batched: each row's columns decoded once, then the csr row
/// kernel. (2:4 ran 2x slower this way at 32 batch rows than nm24Rows:
/// every row streams the whole transposed x from L2.)
template <ValueType VT>
void nmBatched(const Args &a, int64_t n, int64_t m, const uint8_t *codes,
               Vals<VT> vals, double work) {
  const int64_t stride = nmStride(a.cols, n, m), perRow = a.cols / m * n;
  const bool is24 = n == 2 && m == 4;
  forBatchChunks(a, 32, [&](int64_t b0, int64_t nb, int nv, const float *xT) {
    parallelUnits(a.rows, work * nb / a.batch, [&](int64_t o0, int64_t o1) {
      std::vector<int32_t> cols(perRow);
      withNV4(nv, [&](auto nvTag) {
        constexpr int NV = decltype(nvTag)::value;
        ColumnTile<NV> tile(a, b0, nb);
        for (int64_t o = o0; o < o1; ++o) {
          const int64_t base = o * stride;
          for (int64_t j = 0; j < perRow; ++j)
            cols[j] = int32_t(j / n * m + nmOffset(codes, is24, base + j));
          batchedRow<NV>(tile, xT, o, base, base + perRow, vals,
                         [&](int64_t i) { return int64_t(cols[i - base]); });
        }
        tile.flush();
      });
    });
  });
}
} // namespace

bool pruneopt::kernels::impl::nmAvx2(const Args &a, const WeightRef &w,
                                     double work) {
  bool is24 = w.n == 2 && w.m == 4;
  if (!is24 && a.batch < kBatchedFrom)
    return false; // the portable kernel (few rows of uncommon patterns)
  withValues(w, [&](auto vals) {
    if (is24)
      nm24(a, w.codes, vals, work);
    else
      nmBatched(a, w.n, w.m, w.codes, vals, work);
  });
  return true;
}
#endif // PRUNE_X86
