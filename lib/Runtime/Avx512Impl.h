//===- Avx512Impl.h - Shared by the AVX-512 kernel files ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The pieces the AVX-512 kernels of several families share: masks and
// stores, the transpose of x for the batched kernels, the column tile that
// writes their outputs, and the batched row kernel of csr and nm. Only
// x86-64 includes it (the *Avx512.cpp files are empty elsewhere); the
// functions carry target attributes, so the library runs on any x86-64 and
// selects them at run time.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_RUNTIME_AVX512IMPL_H
#define PRUNE_OPT_LIB_RUNTIME_AVX512IMPL_H

#include "KernelsImpl.h"

#if PRUNE_X86
#include <immintrin.h>

#include <cstdint>

#define AVX512                                                                 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,popcnt")))

namespace pruneopt::kernels {
namespace __attribute__((visibility("hidden"))) impl {
// Internal linkage in each file, as in KernelsImpl.h.
namespace {
/// Software prefetch distance: the hardware prefetchers of the VMs measured
/// here do not keep up with one stream per row (2:4 went from 3.7 to 2.7 ms
/// on 4096x4096 with it).
constexpr int64_t kPrefetchFloats = 512;
/// The same in bytes of values, for the kernels of every value type.
constexpr int64_t kPrefetchBytes = 4 * kPrefetchFloats;

AVX512 inline __mmask16 tailMask(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
}

/// Stored values i .. i+15 as f32, lanes outside `m` zero (the i8 scale is
/// applied per output, not here).
template <ValueType VT>
AVX512 inline __m512 load16(Vals<VT> v, int64_t i,
                            __mmask16 m = __mmask16(0xFFFF)) {
  if constexpr (VT == ValueType::F32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float *>(v.data) + i);
  } else if constexpr (VT == ValueType::I8) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
        _mm_maskz_loadu_epi8(m, static_cast<const int8_t *>(v.data) + i)));
  } else {
    __m256i h =
        _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(v.data) + i);
    if constexpr (VT == ValueType::BF16)
      return _mm512_castsi512_ps(
          _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    else
      return _mm512_cvtph_ps(h);
  }
}

/// Prefetches the values of entries [i, i + n) (into L1 by default), one
/// line at a time.
template <auto Hint = _MM_HINT_T0, ValueType VT>
AVX512 inline void prefetchValues(Vals<VT> v, int64_t i, int64_t n) {
  const char *p = static_cast<const char *>(v.at(i));
  const int64_t bytes = static_cast<const char *>(v.at(i + n)) - p;
  for (int64_t b = 0; b < bytes; b += 64)
    _mm_prefetch(p + b, Hint);
}

/// Stores 16 outputs (masked at the end of the row or batch) with the
/// epilogue in registers, as finish() does for one: v (+ y) (+ bias), then
/// ReLU. `bias` holds the 16 outputs' biases; it is read only if a.bias.
AVX512 inline void storeOut(float *y, __m512 v, __mmask16 mask, const Args &a,
                            __m512 bias) {
  if (a.acc)
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, y));
  if (a.bias)
    v = _mm512_add_ps(v, bias);
  // max(0, v) = 0 > v ? 0 : v: (v)maxps returns its second operand when
  // either is NaN or both are zero, so NaN and -0 are kept as in finish().
  if (a.relu)
    v = _mm512_max_ps(_mm512_setzero_ps(), v);
  _mm512_mask_storeu_ps(y, mask, v);
}

/// The driver of the one-batch-row kernels (csr, bsr 4x1): x made unit
/// stride along k, the value type and the column width resolved, `units`
/// (rows or block rows) split over the threads; calls rows1(bits, a, b,
/// vals, u0, u1) for every batch row b, bits an std::integral_constant.
template <typename Rows1>
void forEachBatchRow(Args a, const WeightRef &w, int64_t units, double work,
                     Rows1 rows1) {
  std::vector<float> xCopy;
  ensureUnitK(a, xCopy);
  withValues(w, [&](auto vals) {
    parallelUnits(units, work, [&](int64_t u0, int64_t u1) {
      for (int64_t b = 0; b < a.batch; ++b) {
        if (w.colBits == 8)
          rows1(std::integral_constant<int, 8>(), a, b, vals, u0, u1);
        else if (w.colBits == 16)
          rows1(std::integral_constant<int, 16>(), a, b, vals, u0, u1);
        else
          rows1(std::integral_constant<int, 32>(), a, b, vals, u0, u1);
      }
    });
  });
}

/// Lane j of the result: the sum of r[j]'s lanes. The 16 horizontal sums
/// of a group of outputs in 46 shuffles and adds (16 _mm512_reduce_add_ps
/// take 128, and each ends in a scalar store).
AVX512 inline __m512 reduce16(const __m512 r[16]) {
  __m512 s1[8], s2[4], s3[2];
  for (int i = 0; i < 8; ++i) // 256-bit half h of s1[i]: row i + 8h
    s1[i] = _mm512_add_ps(_mm512_shuffle_f32x4(r[i], r[i + 8], 0x44),
                          _mm512_shuffle_f32x4(r[i], r[i + 8], 0xee));
  for (int i = 0; i < 4; ++i) // 128-bit lane q of s2[i]: row i + {0,8,4,12}[q]
    s2[i] = _mm512_add_ps(_mm512_shuffle_f32x4(s1[i], s1[i + 4], 0x88),
                          _mm512_shuffle_f32x4(s1[i], s1[i + 4], 0xdd));
  for (int i = 0; i < 2; ++i) // lane q: 2 sums of row i + off, 2 of i + 2 + off
    s3[i] = _mm512_add_ps(
        _mm512_shuffle_ps(s2[i], s2[i + 2], _MM_SHUFFLE(1, 0, 1, 0)),
        _mm512_shuffle_ps(s2[i], s2[i + 2], _MM_SHUFFLE(3, 2, 3, 2)));
  // Lane q: rows off + 0, 2, 1, 3.
  __m512 s4 =
      _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], _MM_SHUFFLE(2, 0, 2, 0)),
                    _mm512_shuffle_ps(s3[0], s3[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_permutexvar_ps(
      _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15),
      s4);
}

/// Lane j < n of `s` is output o + j's product (of batch row b): scaled,
/// finished and stored together (as one vector where y is contiguous).
template <ValueType VT>
AVX512 inline void storeSums16(const Args &a, int64_t b, Vals<VT> vals,
                               int64_t o, int64_t n, __m512 s) {
  float *yRow = a.y + b * a.ys;
  const __mmask16 m = tailMask(n);
  if constexpr (VT == ValueType::I8)
    s = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, vals.scales + o));
  if (a.yo == 1) {
    storeOut(yRow + o, s, m, a,
             a.bias ? _mm512_maskz_loadu_ps(m, a.bias + o)
                    : _mm512_setzero_ps());
    return;
  }
  alignas(64) float t[16];
  _mm512_store_ps(t, s);
  for (int64_t j = 0; j < n; ++j) {
    float *y = yRow + (o + j) * a.yo;
    *y = finish(t[j], y, a, o + j);
  }
}

/// Outputs [o0, o1) of batch row b in groups of 16: row(o) is the vector
/// whose lanes sum to output o's product. A group's sums are reduced,
/// scaled and finished together and, where the outputs are contiguous,
/// stored as one vector: a short row (the MLP's 98 % layer keeps ~16 of
/// 784) cost a reduction, a scalar epilogue and a store each.
template <ValueType VT, typename Row>
AVX512 inline void rowsBy16(const Args &a, int64_t b, Vals<VT> vals, int64_t o0,
                            int64_t o1, Row row) {
  for (int64_t o = o0; o < o1; o += 16) {
    const int64_t n = std::min<int64_t>(16, o1 - o);
    __m512 r[16];
    for (int64_t j = 0; j < 16; ++j)
      r[j] = j < n ? row(o + j) : _mm512_setzero_ps();
    storeSums16(a, b, vals, o, n, reduce16(r));
  }
}

/// Transposes the 16x16 block whose rows are r[0..16) in place (r[j]
/// becomes column j): unpack pairs of rows, then 4x4 blocks within each
/// 128-bit lane, then the lanes.
AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // r[4q + c], lane l: column 4l + c of rows 4q .. 4q+3.
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
}

/// x[b0 .. b0+nb) transposed into xT[K][16*nv] (zero padded), 64-byte
/// aligned: unaligned rows split every load across two cache lines, which
/// made the batched kernels 2x slower.
AVX512 inline float *transposeX(const Args &a, int64_t b0, int64_t nb, int nv,
                         std::vector<float> &buf) {
  int64_t w = 16 * nv;
  buf.resize(a.cols * w + 16);
  float *xT = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~uintptr_t(63));
  if (a.xk != 1) {
    std::fill(xT, xT + a.cols * w, 0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      const float *x = a.x + (b0 + b) * a.xs;
      for (int64_t k = 0; k < a.cols; ++k)
        xT[k * w + b] = x[k * a.xk];
    }
    return xT;
  }
  // 16x16 blocks transposed in registers: reads whole lines of x and writes
  // whole lines of xT. The scalar loop (one 4-byte store per line, 32
  // passes over xT) cost up to 1 ms at 4096 x 32 with x not in cache, a
  // third of the batched CSR kernel's time.
  for (int64_t k0 = 0; k0 < a.cols; k0 += 16) {
    int64_t kn = std::min<int64_t>(16, a.cols - k0);
    __mmask16 kMask = tailMask(kn);
    for (int j = 0; j < nv; ++j) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) {
        int64_t b = 16 * j + i;
        r[i] = b < nb ? _mm512_maskz_loadu_ps(kMask, a.x + (b0 + b) * a.xs + k0)
                      : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int64_t i = 0; i < kn; ++i)
        _mm512_store_ps(xT + (k0 + i) * w + 16 * j, r[i]);
    }
  }
  return xT;
}

/// x arrives transposed, xT[K][batch] with stride xk (e.g. im2col patches,
/// or a convolution's input read in place: xk = 1, overlapping rows): the
/// batched kernels read it where it is.
inline bool xGiven(const Args &a) { return a.xs == 1; }

AVX512 inline __m512 loadLanes(const float *p, __mmask16 lanes, bool masked) {
  return masked ? _mm512_maskz_loadu_ps(lanes, p) : _mm512_loadu_ps(p);
}

/// Collects the columns the batched kernels produce (one output row o, nb
/// batch rows) and writes them to y 16 rows at a time. Writing each column
/// straight to y touches nb lines `ys` floats apart: with ys a multiple of
/// 1024 they all map to one L1 set, and above 12 batch rows every store
/// missed (batch 16 ran 2x slower than batch 12).
template <int NV> struct ColumnTile {
  const Args &a;
  int64_t b0, nb;
  int64_t o0 = 0;
  int n = 0;
  alignas(64) float buf[16][16 * NV];

  ColumnTile(const Args &a, int64_t b0, int64_t nb) : a(a), b0(b0), nb(nb) {}
  /// True when x is the caller's transposed input (no padding) and this
  /// chunk has fewer than 16*NV rows: loads must not run past them.
  bool partialGiven() const { return xGiven(a) && nb < 16 * NV; }
  AVX512 void put(int64_t o, const __m512 *acc) {
    if (a.ys == 1) { // transposed output: the column is contiguous
      float *y = a.y + b0 + o * a.yo;
      for (int j = 0; j < NV; ++j)
        storeOut(y + 16 * j, acc[j],
                 tailMask(std::max<int64_t>(nb - 16 * j, 0)), a,
                 a.bias ? _mm512_set1_ps(a.bias[o]) : _mm512_setzero_ps());
      return;
    }
    if (n == 16 || (n > 0 && o != o0 + n))
      flush();
    if (n == 0)
      o0 = o;
    for (int j = 0; j < NV; ++j)
      _mm512_store_ps(buf[n] + 16 * j, acc[j]);
    ++n;
  }
  AVX512 void flush() {
    for (int64_t b = 0; b < nb; ++b) {
      float *y = a.y + (b0 + b) * a.ys + o0 * a.yo;
      for (int r = 0; r < n; ++r)
        y[r * a.yo] = finish(buf[r][b], y + r * a.yo, a, o0 + r);
    }
    n = 0;
  }
};

/// Batched row kernel shared by csr and nm: `colOf(i)` gives the input
/// column of stored entry i; entries [i, e) of row o.
/// Given: xT is the caller's (stride ldx, maybe partial: masked loads);
/// otherwise our padded copy (stride 16*NV, a shift; plain loads).
template <int NV, bool Given, typename ColOf>
AVX512 inline void
batchedRow(ColumnTile<NV> &tile, const float *xT, int64_t ldx, int64_t nb,
           int64_t o, int64_t i, int64_t e, const float *values, ColOf colOf,
           const char *colBytes = nullptr, int colWidth = 0) {
  // 8 independent FMA chains cover the FMA latency.
  constexpr int U = NV == 1 ? 8 : 4;
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(nb - 16 * j, 0));
  // Masked loads cost ~1.5x here; only a partial chunk of a caller's xT
  // (not our padded copy) needs them.
  const bool masked = Given && tile.partialGiven();
  if constexpr (!Given)
    ldx = 16 * NV;
  __m512 acc[U][NV];
  for (int u = 0; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[u][j] = _mm512_setzero_ps();
  for (; i + U <= e; i += U) {
    if ((i & 15) < U) { // once per cache line of values
      _mm_prefetch(reinterpret_cast<const char *>(values + i + kPrefetchFloats),
                   _MM_HINT_T0);
      if (colBytes)
        _mm_prefetch(colBytes + (i + kPrefetchFloats) * colWidth, _MM_HINT_T0);
    }
    for (int u = 0; u < U; ++u) {
      __m512 v = _mm512_set1_ps(values[i + u]);
      const float *xr = xT + colOf(i + u) * ldx;
      for (int j = 0; j < NV; ++j)
        acc[u][j] = _mm512_fmadd_ps(v, loadLanes(xr + 16 * j, lanes[j], masked),
                                    acc[u][j]);
    }
  }
  for (; i < e; ++i) {
    __m512 v = _mm512_set1_ps(values[i]);
    const float *xr = xT + colOf(i) * ldx;
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm512_fmadd_ps(v, loadLanes(xr + 16 * j, lanes[j], masked),
                                  acc[0][j]);
  }
  for (int u = 1; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm512_add_ps(acc[0][j], acc[u][j]);
  tile.put(o, acc[0]);
}

/// Batched paths: transposes x in chunks of up to 32 rows and calls
/// fn(b0, nb, nv, xT, ldx) for each.
template <typename Fn> void forBatchChunks(const Args &a, Fn fn) {
  thread_local std::vector<float> xT;
  bool given = xGiven(a);
  for (int64_t b0 = 0; b0 < a.batch; b0 += 32) {
    int64_t nb = std::min<int64_t>(32, a.batch - b0);
    int nv = nb > 16 ? 2 : 1;
    if (given) {
      fn(b0, nb, nv, a.x + b0, a.xk);
      continue;
    }
    fn(b0, nb, nv, transposeX(a, b0, nb, nv, xT), int64_t(16 * nv));
  }
}

} // namespace
} // namespace impl
} // namespace pruneopt::kernels

#endif // PRUNE_X86
#endif // PRUNE_OPT_LIB_RUNTIME_AVX512IMPL_H
