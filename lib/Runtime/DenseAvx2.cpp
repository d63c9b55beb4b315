//===- DenseAvx2.cpp - The AVX2 dense kernels -----------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// dense, every value type: R batch rows x one panel of 16 outputs in
// registers, the whole K per call, the 16 values of each k widened once
// for the R rows. Panels outside, batch blocks inside (a panel stays in L2
// while every block reads it). Batched with fewer than 16 outputs or a
// transposed x of few columns (im2col convolutions): the batch along the
// vectors instead, 6 outputs x 16 batch rows in registers (denseByBatch).
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// Panels read together by one batch row: separate streams, so that more
/// lines are in flight from memory.
constexpr int64_t kOneRowPanels = 4;

/// Columns up to which a transposed x runs denseByBatch.
constexpr int64_t kByBatchMaxCols = 768;

/// Batch rows [b0, b0 + R) x full panels [p, p + P). U steps of k in
/// flight, so that U * R * P * 2 accumulators cover the FMA latency.
template <int R, int P, ValueType VT>
AVX2 void denseBlock(const Args &a, Vals<VT> vals, int64_t p, int64_t b0) {
  constexpr int U = R * P == 1 ? 4 : R * P <= 3 ? 2 : 1;
  // Bytes of values per step of k, prefetched this far ahead of the loads
  // (the hardware prefetcher alone lags on these streams).
  constexpr int64_t kStep = 16 * (VT == ValueType::F32  ? 4
                                  : VT == ValueType::I8 ? 1
                                                        : 2);
  constexpr int64_t kAhead = VT == ValueType::I8 ? 2048 : 1024;
  __m256 c[U][R][P][2];
  for (int u = 0; u < U; ++u)
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < P; ++q)
        c[u][r][q][0] = c[u][r][q][1] = _mm256_setzero_ps();
  const int64_t panel = a.cols * 16;
  const float *x[R];
  for (int r = 0; r < R; ++r)
    x[r] = a.x + (b0 + r) * a.xs;
  auto step = [&](int64_t k, int u) AVX2 {
    for (int q = 0; q < P; ++q) {
      int64_t i = (p + q) * panel + k * 16;
      __m256 w0 = load8(vals, i), w1 = load8(vals, i + 8);
      for (int r = 0; r < R; ++r) {
        __m256 xb = _mm256_broadcast_ss(x[r] + k);
        c[u][r][q][0] = _mm256_fmadd_ps(w0, xb, c[u][r][q][0]);
        c[u][r][q][1] = _mm256_fmadd_ps(w1, xb, c[u][r][q][1]);
      }
    }
  };
  // Steps of k per prefetch: one per 64-byte line (a multiple of U).
  constexpr int S = std::max<int64_t>(U, 64 / kStep);
  int64_t k = 0;
  for (; k + S <= a.cols; k += S) {
    for (int q = 0; q < P; ++q)
      for (int64_t off = 0; off < S * kStep; off += 64)
        _mm_prefetch(
            static_cast<const char *>(vals.at((p + q) * panel + k * 16)) +
                kAhead + off,
            _MM_HINT_T0);
    for (int s = 0; s < S; ++s)
      step(k + s, s % U);
  }
  for (; k < a.cols; ++k)
    step(k, 0);
  for (int q = 0; q < P; ++q) {
    const int64_t o = (p + q) * 16;
    __m256 s0 = _mm256_set1_ps(1.0f), s1 = s0;
    if constexpr (VT == ValueType::I8) {
      s0 = _mm256_loadu_ps(vals.scales + o);
      s1 = _mm256_loadu_ps(vals.scales + o + 8);
    }
    __m256 bias0 = loadBias(a, o, 8), bias1 = loadBias(a, o + 8, 8);
    for (int r = 0; r < R; ++r) {
      __m256 v0 = c[0][r][q][0], v1 = c[0][r][q][1];
      for (int u = 1; u < U; ++u) {
        v0 = _mm256_add_ps(v0, c[u][r][q][0]);
        v1 = _mm256_add_ps(v1, c[u][r][q][1]);
      }
      v0 = _mm256_mul_ps(v0, s0);
      v1 = _mm256_mul_ps(v1, s1);
      float *y = a.y + (b0 + r) * a.ys + o * a.yo;
      if (a.yo == 1) {
        storeOut(y, v0, 8, a, bias0);
        storeOut(y + 8, v1, 8, a, bias1);
        continue;
      }
      alignas(32) float tmp[16];
      _mm256_store_ps(tmp, v0);
      _mm256_store_ps(tmp + 8, v1);
      for (int j = 0; j < 16; ++j)
        y[j * a.yo] = finish(tmp[j], y + j * a.yo, a, o + j);
    }
  }
}

/// Full panels [p, p + np) for every batch row.
template <ValueType VT>
AVX2 void densePanels(const Args &a, Vals<VT> vals, int64_t p, int64_t np) {
  if (a.batch == 1 && np == kOneRowPanels)
    return denseBlock<1, kOneRowPanels>(a, vals, p, 0);
  for (int64_t q = p; q < p + np; ++q) {
    int64_t b = 0;
    for (; b + 6 <= a.batch; b += 6)
      denseBlock<6, 1>(a, vals, q, b);
    switch (a.batch - b) {
    case 1:
      denseBlock<1, 1>(a, vals, q, b);
      break;
    case 2:
      denseBlock<2, 1>(a, vals, q, b);
      break;
    case 3:
      denseBlock<3, 1>(a, vals, q, b);
      break;
    case 4:
      denseBlock<4, 1>(a, vals, q, b);
      break;
    case 5:
      denseBlock<5, 1>(a, vals, q, b);
      break;
    default:
      break;
    }
  }
}

/// The last rows % 16 outputs, stored [K][rows % 16] (see packDense), for
/// each batch row: 16 lanes per step of k, of which those past the width
/// read the next steps' values and are never stored; U steps in flight. The
/// last steps, whose 16 lanes would run past the weight, read a zero-padded
/// copy.
template <ValueType VT> AVX2 void denseTail(const Args &a, Vals<VT> vals) {
  const int64_t width = a.rows % 16, o = a.rows - width;
  if (width == 0)
    return;
  constexpr int U = 4;
  const int64_t base = o * a.cols, n = width * a.cols;
  // Steps k with base + k * width + 16 <= base + n.
  const int64_t safe =
      n < 16 ? 0 : std::min<int64_t>(a.cols, (n - 16) / width + 1);
  const float *scales = VT == ValueType::I8 ? vals.scales : nullptr;
  for (int64_t b = 0; b < a.batch; ++b) {
    const float *x = a.x + b * a.xs;
    __m256 c[U][2];
    for (int u = 0; u < U; ++u)
      c[u][0] = c[u][1] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + U <= safe; k += U)
      for (int u = 0; u < U; ++u) {
        int64_t i = base + (k + u) * width;
        __m256 xb = _mm256_broadcast_ss(x + k + u);
        c[u][0] = _mm256_fmadd_ps(load8(vals, i), xb, c[u][0]);
        c[u][1] = _mm256_fmadd_ps(load8(vals, i + 8), xb, c[u][1]);
      }
    for (; k < a.cols; ++k) {
      int64_t i = base + k * width;
      __m256 w0, w1;
      if (k < safe) {
        w0 = load8(vals, i);
        w1 = load8(vals, i + 8);
      } else {
        alignas(32) float t[16] = {};
        for (int64_t j = 0; j < width; ++j)
          t[j] = value1(vals, i + j);
        w0 = _mm256_load_ps(t);
        w1 = _mm256_load_ps(t + 8);
      }
      __m256 xb = _mm256_broadcast_ss(x + k);
      c[0][0] = _mm256_fmadd_ps(w0, xb, c[0][0]);
      c[0][1] = _mm256_fmadd_ps(w1, xb, c[0][1]);
    }
    __m256 v0 = _mm256_add_ps(_mm256_add_ps(c[0][0], c[1][0]),
                              _mm256_add_ps(c[2][0], c[3][0]));
    __m256 v1 = _mm256_add_ps(_mm256_add_ps(c[0][1], c[1][1]),
                              _mm256_add_ps(c[2][1], c[3][1]));
    float *yRow = a.y + b * a.ys;
    storeOuts(a, yRow, o, std::min<int64_t>(width, 8), v0, scales);
    if (width > 8)
      storeOuts(a, yRow, o + 8, width - 8, v1, scales);
  }
}

/// Batched with the batch along the vectors: outputs [o, o + R) x 8 * NV
/// batch rows, whose inputs at k lie at xp + k * xk (Masked: only the first
/// nb of them; the rest are not read). w: W[o + r, k] at w[k * ws + r] (f32).
/// The layout of im2col convolutions (x transposed, few outputs, many
/// batch rows), where 16-output panels leave most lanes empty.
template <int R, int NV, bool Masked>
AVX2 void denseCols(ColumnTile<NV> &tile, const float *xp, int64_t xk,
                    int64_t nb, const float *w, int64_t ws, int64_t o,
                    const float *scales) {
  __m256 acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j)
      acc[r][j] = _mm256_setzero_ps();
  __m256i mask[NV];
  for (int j = 0; j < NV; ++j)
    mask[j] = laneMask(nb - 8 * j);
  const int64_t cols = tile.a.cols;
  for (int64_t k = 0; k < cols; ++k) {
    const float *xr = xp + k * xk;
    __m256 xv[NV];
    for (int j = 0; j < NV; ++j)
      xv[j] = Masked ? _mm256_maskload_ps(xr + 8 * j, mask[j])
                     : _mm256_loadu_ps(xr + 8 * j);
    for (int r = 0; r < R; ++r) {
      __m256 wb = _mm256_broadcast_ss(w + k * ws + r);
      for (int j = 0; j < NV; ++j)
        acc[r][j] = _mm256_fmadd_ps(wb, xv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    tile.put(o + r, acc[r], scales ? scales[o + r] : 1.0f);
}

/// Outputs [o, o + n), n <= 6, of one batch block (see denseCols).
template <int NV, bool Masked>
AVX2 void denseColsN(ColumnTile<NV> &tile, const float *xp, int64_t xk,
                     int64_t nb, const float *w, int64_t ws, int64_t o,
                     int64_t n, const float *scales) {
  switch (n) {
  case 1:
    return denseCols<1, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  case 2:
    return denseCols<2, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  case 3:
    return denseCols<3, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  case 4:
    return denseCols<4, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  case 5:
    return denseCols<5, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  default:
    return denseCols<6, NV, Masked>(tile, xp, xk, nb, w, ws, o, scales);
  }
}

/// Groups of panels (~64 KB of f32 values) outside, batch blocks of 16
/// rows inside (their inputs stay in L1 while the group's outputs read
/// them), outputs 6 at a time. Narrow values are widened once per group
/// (as f32 they are broadcast from memory, not shuffled). A transposed x
/// (xs == 1) is read in place; otherwise each block is transposed first.
template <ValueType VT>
AVX2 void denseByBatch(const Args &a, Vals<VT> vals, double work) {
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (a.batch + kBlock - 1) / kBlock;
  const int64_t panels = (a.rows + 15) / 16;
  const int64_t group = std::max<int64_t>(1, 1024 / a.cols);
  const float *scales = VT == ValueType::I8 ? vals.scales : nullptr;
  parallelUnits(blocks, work, [&](int64_t u0, int64_t u1) AVX2 {
    thread_local std::vector<float> xBuf, wBuf;
    for (int64_t p0 = 0; p0 < panels; p0 += group) {
      const int64_t o1 = std::min(a.rows, (p0 + group) * 16);
      const int64_t base = p0 * 16 * a.cols, n = (o1 - p0 * 16) * a.cols;
      const float *wg;
      if constexpr (VT == ValueType::F32) {
        wg = static_cast<const float *>(vals.data) + base;
      } else {
        wBuf.resize(n);
        int64_t i = 0;
        for (; i + 8 <= n; i += 8)
          _mm256_storeu_ps(wBuf.data() + i, load8(vals, base + i));
        for (; i < n; ++i)
          wBuf[i] = value1(vals, base + i);
        wg = wBuf.data();
      }
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t b0 = u * kBlock, nb = std::min(kBlock, a.batch - b0);
        const int nv = int((nb + 7) / 8);
        const float *xp = a.x + b0;
        int64_t xk = a.xk;
        bool masked = nb % 8 != 0;
        if (a.xs != 1) {
          xp = transposeX(a, b0, nb, nv, xBuf);
          xk = 8 * nv;
          masked = false; // zero padded
        }
        withNV(nv, [&](auto nvTag) AVX2 {
          constexpr int NV = decltype(nvTag)::value;
          ColumnTile<NV> tile(a, b0, nb);
          for (int64_t o = p0 * 16; o < o1; o += 16) {
            const int64_t width = std::min<int64_t>(16, a.rows - o);
            const float *w = wg + (o - p0 * 16) * a.cols;
            for (int64_t r = 0; r < width; r += 6) {
              int64_t m = std::min<int64_t>(6, width - r);
              if (masked)
                denseColsN<NV, true>(tile, xp, xk, nb, w + r, width, o + r, m,
                                     scales);
              else
                denseColsN<NV, false>(tile, xp, xk, nb, w + r, width, o + r, m,
                                      scales);
            }
          }
          tile.flush();
        });
      }
    }
  });
}
} // namespace

bool pruneopt::kernels::impl::denseAvx2(const Args &args, const WeightRef &w,
                                        double work) {
  // Fewer than 16 outputs would all run in denseTail. A transposed x is
  // read in place while a block's inputs (cols x 16 floats) stay in L1;
  // with more columns (1152 and up measured) the panels are faster.
  if (args.batch >= kBatchedFrom &&
      (args.rows < 16 || (args.xs == 1 && args.cols <= kByBatchMaxCols))) {
    withValues(w, [&](auto vals) { denseByBatch(args, vals, work); });
    return true;
  }
  Args a = args;
  std::vector<float> xCopy;
  ensureUnitK(a, xCopy);
  // Units of kOneRowPanels panels, the last one with the partial panel.
  const int64_t full = a.rows / 16, g = kOneRowPanels;
  const int64_t units = std::max<int64_t>((a.rows + 16 * g - 1) / (16 * g), 1);
  withValues(w, [&](auto vals) {
    parallelUnits(units, work, [&](int64_t u0, int64_t u1) {
      for (int64_t p = u0 * g; p < std::min(u1 * g, full); p += g)
        densePanels(a, vals, p, std::min(g, full - p));
      if (u1 == units)
        denseTail(a, vals);
    });
  });
  return true;
}
#endif // PRUNE_X86
