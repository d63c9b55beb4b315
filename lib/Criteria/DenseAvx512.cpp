//===- DenseAvx512.cpp - The refit's float kernels, AVX-512 ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The least-squares refit's row solves at high sparsity (a few hundred
// unknowns per row, one factorization per row of the layer):
// - the float Cholesky: right-looking, blocks of 16 rows, the trailing
//   upper triangle updated by rank-16 outer products with 4 rows x 64
//   columns in registers. At these sizes LAPACK's recursive potrf spends
//   its time in the overhead of small BLAS-3 calls: 240 us against
//   OpenBLAS's SkylakeX spotrf's 410 us at n = 410, about the same at 1000
//   (one thread, best of 200);
// - the right-hand sides: one row of H against several rows of W, H read
//   once for four of them.
// Compiled for AVX-512 with target attributes and taken only when the CPU
// has it (haveAvx512).
//
//===----------------------------------------------------------------------===//

#include "Dense.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define PRUNE_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,fma")))

namespace {
/// The first `n` lanes (all when n >= 16, none when n <= 0).
PRUNE_AVX512 inline __mmask16 firstLanes(int64_t n) {
  return n >= 16  ? __mmask16(0xffff)
         : n <= 0 ? __mmask16(0)
                  : __mmask16((1u << n) - 1);
}

/// a[i0 + r][j] -= sum_{q < nb} u[q][i0 + r] * u[q][j] for the R rows from
/// i0 and the columns j of [j0, j1) at or right of the diagonal (the upper
/// triangle only): a rank-`nb` update of R rows by the rows of `u` (stride
/// lda), C vectors of 16 columns at a time.
template <int R, int C>
PRUNE_AVX512 void updateRows(int64_t nb, const float *u, int64_t lda, float *a,
                             int64_t i0, int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; j += 16 * C) {
    __mmask16 m[C];
    for (int c = 0; c < C; ++c)
      m[c] = firstLanes(j1 - (j + 16 * c));
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c)
        acc[r][c] =
            _mm512_maskz_loadu_ps(m[c], a + (i0 + r) * lda + j + 16 * c);
    for (int64_t q = 0; q < nb; ++q) {
      const float *uq = u + q * lda;
      __m512 b[C];
      for (int c = 0; c < C; ++c)
        b[c] = _mm512_maskz_loadu_ps(m[c], uq + j + 16 * c);
      for (int r = 0; r < R; ++r) {
        const __m512 s = _mm512_set1_ps(uq[i0 + r]);
        for (int c = 0; c < C; ++c)
          acc[r][c] = _mm512_fnmadd_ps(s, b[c], acc[r][c]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        // Row i0 + r of the chunk at the diagonal starts r columns in
        // (below the diagonal: not ours to write).
        __mmask16 keep = m[c];
        if (j == i0 && c == 0)
          keep &= __mmask16(~((1u << r) - 1));
        _mm512_mask_storeu_ps(a + (i0 + r) * lda + j + 16 * c, keep, acc[r][c]);
      }
  }
}

/// updateRows over the R rows' whole upper triangle [i0, n): 64 columns at
/// a time, the rest 16 at a time (fewer masked lanes: 8 % faster at 410).
template <int R>
PRUNE_AVX512 void updateTrailing(int64_t nb, const float *u, int64_t lda,
                                 float *a, int64_t i0, int64_t n) {
  const int64_t wide = i0 + (n - i0) / 64 * 64;
  updateRows<R, 4>(nb, u, lda, a, i0, i0, wide);
  updateRows<R, 1>(nb, u, lda, a, i0, wide, n);
}

/// out[r] = h . rows[r] for R rows: h is loaded once per 16 elements for
/// all of them, two accumulators per row.
template <int R>
PRUNE_AVX512 void dotRows(int64_t n, const float *h, const float *const *rows,
                          float *out) {
  __m512 acc[2][R];
  for (int u = 0; u < 2; ++u)
    for (int r = 0; r < R; ++r)
      acc[u][r] = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 32 <= n; j += 32)
    for (int u = 0; u < 2; ++u) {
      const __m512 x = _mm512_loadu_ps(h + j + 16 * u);
      for (int r = 0; r < R; ++r)
        acc[u][r] = _mm512_fmadd_ps(x, _mm512_loadu_ps(rows[r] + j + 16 * u),
                                    acc[u][r]);
    }
  for (; j < n; j += 16) {
    const __mmask16 m = firstLanes(n - j);
    const __m512 x = _mm512_maskz_loadu_ps(m, h + j);
    for (int r = 0; r < R; ++r)
      acc[0][r] =
          _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, rows[r] + j), acc[0][r]);
  }
  for (int r = 0; r < R; ++r)
    out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[0][r], acc[1][r]));
}

PRUNE_AVX512 void dotsImpl(int64_t n, const float *h, const float *const *rows,
                           int64_t count, float *out) {
  int64_t r = 0;
  for (; r + 4 <= count; r += 4)
    dotRows<4>(n, h, rows + r, out + r);
  switch (count - r) {
  case 3:
    return dotRows<3>(n, h, rows + r, out + r);
  case 2:
    return dotRows<2>(n, h, rows + r, out + r);
  case 1:
    return dotRows<1>(n, h, rows + r, out + r);
  default:
    return;
  }
}

PRUNE_AVX512 bool choleskyUpperImpl(int64_t n, float *a, int64_t lda) {
  constexpr int64_t nb = 16;
  for (int64_t k0 = 0; k0 < n; k0 += nb) {
    const int64_t kb = std::min(nb, n - k0);
    // The block's rows of U, one at a time: row k is (a[k][k:] - sum over
    // the block's earlier rows q of u[q][k] u[q][k:]) / sqrt(its pivot),
    // that sum with the update kernel (12 % faster at 410 than one axpy
    // per earlier row).
    for (int64_t k = k0; k < k0 + kb; ++k) {
      float *ak = a + k * lda;
      if (k > k0)
        updateTrailing<1>(k - k0, a + k0 * lda, lda, a, k, n);
      const float d = ak[k];
      if (!(d > 0.0f) || !std::isfinite(d))
        return false;
      const float root = std::sqrt(d);
      const __m512 inv = _mm512_set1_ps(1.0f / root);
      ak[k] = root;
      for (int64_t j = k + 1; j < n; j += 16) {
        const __mmask16 m = firstLanes(n - j);
        _mm512_mask_storeu_ps(
            ak + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, ak + j), inv));
      }
    }
    // The trailing upper triangle, 4 rows at a time.
    const float *u = a + k0 * lda;
    int64_t i = k0 + kb;
    for (; i + 4 <= n; i += 4)
      updateTrailing<4>(kb, u, lda, a, i, n);
    for (; i < n; ++i)
      updateTrailing<1>(kb, u, lda, a, i, n);
  }
  return true;
}
} // namespace

bool mlir::prune::dense::haveAvx512() {
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
  }();
  return have;
}

bool mlir::prune::dense::choleskyUpperAvx512(int64_t n, float *a, int64_t lda) {
  return choleskyUpperImpl(n, a, lda);
}

void mlir::prune::dense::dotsAvx512(int64_t n, const float *h,
                                    const float *const *rows, int64_t count,
                                    float *out) {
  dotsImpl(n, h, rows, count, out);
}

#else

bool mlir::prune::dense::haveAvx512() { return false; }

bool mlir::prune::dense::choleskyUpperAvx512(int64_t, float *, int64_t) {
  return false;
}

void mlir::prune::dense::dotsAvx512(int64_t, const float *,
                                    const float *const *, int64_t, float *) {}

#endif
