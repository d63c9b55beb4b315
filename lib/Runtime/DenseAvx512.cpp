//===- DenseAvx512.cpp - The AVX-512 dense kernels ------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// dense: R batch rows x P panels of 16 outputs in registers, the whole K
// per call; panel groups outside, batch chunks inside. Fewer than 16
// outputs with transposed x and y (im2col convolutions) and 16 or more
// batch rows: 16 batch rows per vector, 4 outputs x 4 vectors in
// registers.
//
//===----------------------------------------------------------------------===//

#include "Avx512Impl.h"

#if PRUNE_X86
#include <cstring>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
// Dense: R batch rows x P panels of 16 outputs, the whole K per call.
// Tail: the one partial last panel (P = 1), stored [k][rows % 16]. Values
// of every type, widened 16 at a time (i8: the outputs' scales applied to
// the sums).
template <int R, int P, bool Tail = false, ValueType VT>
AVX512 void denseBlock(const Args &a, Vals<VT> vals, int64_t p0, int64_t b0) {
  const int64_t width = Tail ? a.rows % 16 : 16;
  const __mmask16 lanes = tailMask(width);
  // U interleaved steps of k, each with its own accumulators: at least ~8
  // independent FMA chains (2 ports, 4 cycles) even for one batch row of
  // one panel (the MNIST MLP's 10x128 ran 232 ns with one chain, 128x784
  // 5.0 us with four).
  constexpr int U = R * P >= 8 ? 1 : R * P >= 4 ? 2 : 4;
  __m512 c[U][R][P];
  for (int u = 0; u < U; ++u)
    for (int r = 0; r < R; ++r)
      for (int p = 0; p < P; ++p)
        c[u][r][p] = _mm512_setzero_ps();
  const int64_t w = p0 * a.cols * 16; // the group's first value
  const float *x[R];
  for (int r = 0; r < R; ++r)
    x[r] = a.x + (b0 + r) * a.xs;
  auto step = [&](int64_t k, __m512(&acc)[R][P]) AVX512 {
    __m512 wv[P];
    for (int p = 0; p < P; ++p) {
      const int64_t wk = w + p * a.cols * 16 + k * width;
      _mm_prefetch(static_cast<const char *>(vals.at(wk)) + kPrefetchBytes,
                   _MM_HINT_T0);
      wv[p] = load16(vals, wk, lanes);
    }
    for (int r = 0; r < R; ++r) {
      __m512 xb = _mm512_set1_ps(x[r][k * a.xk]);
      for (int p = 0; p < P; ++p)
        acc[r][p] = _mm512_fmadd_ps(wv[p], xb, acc[r][p]);
    }
  };
  int64_t k = 0;
  for (; k + U <= a.cols; k += U)
    for (int u = 0; u < U; ++u)
      step(k + u, c[u]);
  for (; k < a.cols; ++k)
    step(k, c[0]);
  for (int u = 1; u < U; ++u)
    for (int r = 0; r < R; ++r)
      for (int p = 0; p < P; ++p)
        c[0][r][p] = _mm512_add_ps(c[0][r][p], c[u][r][p]);
  for (int p = 0; p < P; ++p) {
    int64_t o = (p0 + p) * 16;
    __mmask16 mask = tailMask(a.rows - o);
    if constexpr (VT == ValueType::I8) {
      __m512 scales = _mm512_maskz_loadu_ps(mask, vals.scales + o);
      for (int r = 0; r < R; ++r)
        c[0][r][p] = _mm512_mul_ps(c[0][r][p], scales);
    }
    for (int r = 0; r < R; ++r) {
      float *y = a.y + (b0 + r) * a.ys + o * a.yo;
      if (a.yo == 1) {
        storeOut(y, c[0][r][p], mask, a,
                 a.bias ? _mm512_maskz_loadu_ps(mask, a.bias + o)
                        : _mm512_setzero_ps());
        continue;
      }
      alignas(64) float tmp[16];
      _mm512_store_ps(tmp, c[0][r][p]);
      for (int64_t j = 0; j < std::min<int64_t>(16, a.rows - o); ++j)
        y[j * a.yo] = finish(tmp[j], y + j * a.yo, a, o + j);
    }
  }
}

template <int P, bool Tail = false, ValueType VT>
AVX512 void denseRowsP(const Args &a, Vals<VT> panels, int64_t p0, int64_t b0,
                       int64_t r) {
  switch (r) {
  case 1:
    return denseBlock<1, P, Tail>(a, panels, p0, b0);
  case 2:
    return denseBlock<2, P, Tail>(a, panels, p0, b0);
  case 3:
    return denseBlock<3, P, Tail>(a, panels, p0, b0);
  case 4:
    return denseBlock<4, P, Tail>(a, panels, p0, b0);
  case 5:
    return denseBlock<5, P, Tail>(a, panels, p0, b0);
  case 6:
    return denseBlock<6, P, Tail>(a, panels, p0, b0);
  case 7:
    return denseBlock<7, P, Tail>(a, panels, p0, b0);
  default:
    return denseBlock<8, P, Tail>(a, panels, p0, b0);
  }
}

/// Transposed x and y (im2col convolutions: x(b, k) = x[b + k*xk], y(b, o)
/// = y[b + o*yo]): 16 batch rows per vector, OB outputs x NV vectors in
/// registers, each weight broadcast from its panel. Output panels would
/// waste lanes on a layer with few outputs and store every y element alone
/// (LeNet's first convolution, 6x25 at 576 positions: 12.6 us that way).
template <int OB, int NV, ValueType VT>
AVX512 void denseTBlock(const Args &a, Vals<VT> panels, int64_t o0,
                        int64_t b0) {
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(a.batch - b0 - 16 * j, 0));
  const bool full = b0 + 16 * NV <= a.batch;
  __m512 c[OB][NV];
  for (int i = 0; i < OB; ++i)
    for (int j = 0; j < NV; ++j)
      c[i][j] = _mm512_setzero_ps();
  int64_t w[OB], wStep[OB];
  for (int i = 0; i < OB; ++i) {
    w[i] = panelOffset(o0 + i, 0, a.rows, a.cols);
    wStep[i] = panelOffset(o0 + i, 1, a.rows, a.cols) -
               panelOffset(o0 + i, 0, a.rows, a.cols);
  }
  for (int64_t k = 0; k < a.cols; ++k) {
    const float *xk = a.x + k * a.xk + b0;
    __m512 xv[NV];
    for (int j = 0; j < NV; ++j)
      xv[j] = full ? _mm512_loadu_ps(xk + 16 * j)
                   : _mm512_maskz_loadu_ps(lanes[j], xk + 16 * j);
    for (int i = 0; i < OB; ++i) {
      __m512 wv = _mm512_set1_ps(panels[w[i] + k * wStep[i]]);
      for (int j = 0; j < NV; ++j)
        c[i][j] = _mm512_fmadd_ps(wv, xv[j], c[i][j]);
    }
  }
  for (int i = 0; i < OB; ++i) {
    const int64_t o = o0 + i;
    __m512 bias = a.bias ? _mm512_set1_ps(a.bias[o]) : _mm512_setzero_ps();
    if constexpr (VT == ValueType::I8)
      for (int j = 0; j < NV; ++j)
        c[i][j] = _mm512_mul_ps(c[i][j], _mm512_set1_ps(panels.scale(o)));
    for (int j = 0; j < NV; ++j)
      storeOut(a.y + o * a.yo + b0 + 16 * j, c[i][j], lanes[j], a, bias);
  }
}

/// Outputs [o0, o1) of the transposed case, 4 at a time (4 x 4 vectors:
/// 16 accumulators, 4 loads and 4 broadcasts per 16 FMAs).
template <ValueType VT>
AVX512 void denseTransposed(const Args &a, Vals<VT> panels, int64_t o0,
                            int64_t o1) {
  for (int64_t b0 = 0; b0 < a.batch; b0 += 64) {
    int64_t o = o0;
    for (; o + 4 <= o1; o += 4)
      denseTBlock<4, 4>(a, panels, o, b0);
    for (; o < o1; ++o)
      denseTBlock<1, 4>(a, panels, o, b0);
  }
}

template <ValueType VT>
AVX512 void denseAvx(const Args &a, Vals<VT> panels, int64_t p0, int64_t p1) {
  // Panel groups outside, batch chunks inside: a group's panels stay in L2
  // while every batch chunk reads them. The partial last panel (if any)
  // goes alone, with masked loads.
  const int64_t full = a.rows / 16;
  int64_t group = a.batch <= 2 ? 4 : 2;
  for (int64_t p = p0; p < std::min(p1, full); p += group) {
    int64_t np = std::min(group, std::min(p1, full) - p);
    for (int64_t b0 = 0; b0 < a.batch; b0 += 8) {
      int64_t r = std::min<int64_t>(8, a.batch - b0);
      if (np == 4 && r <= 2) {
        if (r == 1)
          denseBlock<1, 4>(a, panels, p, b0);
        else
          denseBlock<2, 4>(a, panels, p, b0);
      } else if (np == 2) {
        denseRowsP<2>(a, panels, p, b0, r);
      } else {
        for (int64_t q = p; q < p + np; ++q)
          denseRowsP<1>(a, panels, q, b0, r);
      }
    }
  }
  if (p1 > full && a.rows % 16)
    for (int64_t b0 = 0; b0 < a.batch; b0 += 8)
      denseRowsP<1, true>(a, panels, full, b0,
                          std::min<int64_t>(8, a.batch - b0));
}

template <ValueType VT>
void denseValues(const Args &a, Vals<VT> panels, double work) {
  int64_t batch = a.batch, rows = a.rows;
  // Fewer than 16 outputs only: with full panels the panel kernel was
  // faster on transposed layers too (16x150 at 100 positions 4.7 vs 6.0
  // us, 120x784 at 32: 50 vs 94 us).
  if (a.xs == 1 && a.ys == 1 && batch >= 16 && rows < 16) {
    parallelUnits((rows + 3) / 4, work, [&](int64_t u0, int64_t u1) {
      denseTransposed(a, panels, u0 * 4, std::min(u1 * 4, rows));
    });
    return;
  }
  int64_t numPanels = (rows + 15) / 16;
  int64_t group = batch <= 2 ? 4 : 2;
  int64_t units = (numPanels + group - 1) / group;
  parallelUnits(units, work, [&](int64_t u0, int64_t u1) {
    denseAvx(a, panels, u0 * group, std::min(u1 * group, numPanels));
  });
}
} // namespace

void pruneopt::kernels::impl::denseAvx512(const Args &a, const WeightRef &w,
                                          double work) {
  withValues(w, [&](auto panels) { denseValues(a, panels, work); });
}
#endif // PRUNE_X86
