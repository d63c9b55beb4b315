//===- Avx2Impl.h - Shared by the AVX2 kernel files -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The pieces the AVX2 kernels share: 8 stored values of any value type
// widened to f32, the store of 8 outputs with the epilogue, the gathered
// dot product of the one-row sparse kernels, and the transposed x, output
// tile and row kernel of the batched ones. Only x86-64 includes it (the
// *Avx2.cpp files are empty elsewhere); the functions carry target
// attributes, so the library runs on any x86-64 and selects them at run
// time (impl::avx2()).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H
#define PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H

#include "KernelsImpl.h"

#if PRUNE_X86
#include <immintrin.h>

#include <cstdint>
#include <cstring>

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

/// Stored value i as f32, inline (Vals::operator[] calls the out-of-line
/// fromBF16 / fromF16).
template <ValueType VT> AVX2 inline float value1(Vals<VT> v, int64_t i) {
  if constexpr (VT == ValueType::BF16) {
    uint32_t bits = uint32_t(static_cast<const uint16_t *>(v.data)[i]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  } else if constexpr (VT == ValueType::F16) {
    return _cvtsh_ss(static_cast<const uint16_t *>(v.data)[i]);
  } else {
    return v[i];
  }
}

/// Horizontal sum of the 8 lanes.
AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// Lane r: the sum of v[r]'s 8 lanes (r < 8).
AVX2 inline __m256 hsum8(const __m256 v[8]) {
  // Pairs of lanes, then quadruples, in each 128-bit half.
  __m256 q0 =
      _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  __m256 q1 =
      _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20),
                       _mm256_permute2f128_ps(q0, q1, 0x31));
}

/// All ones in lanes [0, n) (n clamped to [0, 8]).
AVX2 inline __m256i laneMask(int64_t n) {
  int m = int(std::min<int64_t>(std::max<int64_t>(n, 0), 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(m),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Stores outputs y[0, n) (unit stride, n <= 8) with the epilogue in
/// registers, as finish() does for one: v (+ y) (+ bias), then ReLU.
/// `bias` holds the outputs' biases; it is read only if a.bias.
AVX2 inline void storeOut(float *y, __m256 v, int64_t n, const Args &a,
                          __m256 bias) {
  __m256i m = laneMask(n);
  if (a.acc)
    v = _mm256_add_ps(v,
                      n >= 8 ? _mm256_loadu_ps(y) : _mm256_maskload_ps(y, m));
  if (a.bias)
    v = _mm256_add_ps(v, bias);
  // max(0, v) = 0 > v ? 0 : v: maxps returns its second operand when either
  // is NaN or both are zero, so NaN and -0 are kept as in finish().
  if (a.relu)
    v = _mm256_max_ps(_mm256_setzero_ps(), v);
  if (n >= 8)
    _mm256_storeu_ps(y, v);
  else
    _mm256_maskstore_ps(y, m, v);
}

/// The biases of outputs [o, o + n), n <= 8 (zero without a bias).
AVX2 inline __m256 loadBias(const Args &a, int64_t o, int64_t n) {
  if (!a.bias)
    return _mm256_setzero_ps();
  return n >= 8 ? _mm256_loadu_ps(a.bias + o)
                : _mm256_maskload_ps(a.bias + o, laneMask(n));
}

/// Outputs [o, o + n) (n <= 8) of the batch row at yRow: v times the
/// outputs' `scales` (i8 values; null: none), with the epilogue.
AVX2 inline void storeOuts(const Args &a, float *yRow, int64_t o, int64_t n,
                           __m256 v, const float *scales) {
  if (scales)
    v = _mm256_mul_ps(v, n >= 8 ? _mm256_loadu_ps(scales + o)
                                : _mm256_maskload_ps(scales + o, laneMask(n)));
  if (a.yo == 1)
    return storeOut(yRow + o, v, n, a, loadBias(a, o, n));
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  for (int64_t r = 0; r < n; ++r) {
    float *y = yRow + (o + r) * a.yo;
    *y = finish(t[r], y, a, o + r);
  }
}

/// Software prefetch distance of the sparse kernels' streams, in entries.
constexpr int64_t kPrefetchEntries = 256;

/// x[col[i]], .., x[col[i + 7]]. Scalar loads inserted into a vector, the
/// u8 / u16 indices taken from 64-bit words: 0.75 cycles per entry on Zen 3,
/// where vgatherdps takes 1.35 (10.8 cycles per 8 lanes).
template <typename C>
AVX2 inline __m256 gather8(const float *x, const C *col, int64_t i) {
  if constexpr (sizeof(C) == 1) {
    uint64_t c;
    std::memcpy(&c, col + i, 8);
    return _mm256_setr_ps(x[c & 0xff], x[(c >> 8) & 0xff], x[(c >> 16) & 0xff],
                          x[(c >> 24) & 0xff], x[(c >> 32) & 0xff],
                          x[(c >> 40) & 0xff], x[(c >> 48) & 0xff], x[c >> 56]);
  } else if constexpr (sizeof(C) == 2) {
    uint64_t c, d;
    std::memcpy(&c, col + i, 8);
    std::memcpy(&d, col + i + 4, 8);
    return _mm256_setr_ps(x[c & 0xffff], x[(c >> 16) & 0xffff],
                          x[(c >> 32) & 0xffff], x[c >> 48], x[d & 0xffff],
                          x[(d >> 16) & 0xffff], x[(d >> 32) & 0xffff],
                          x[d >> 48]);
  } else {
    return _mm256_i32gather_ps(
        x, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(col + i)), 4);
  }
}

/// sum_i vals[i] x[col[i]] over entries [i, e) of one row, as 8 lanes to
/// add up. `first` is the first entry of the arrays: the last partial group
/// reads the 8 entries that end at e (zeroing those before i, whose inputs
/// must lie in x), which are in the arrays when e - 8 >= first.
template <ValueType VT, typename C>
AVX2 inline __m256 gatherDot(Vals<VT> vals, const C *col, const float *x,
                             int64_t i, int64_t e, int64_t first) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(),
         acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  for (; i + 32 <= e; i += 32) {
    _mm_prefetch(static_cast<const char *>(vals.at(i + kPrefetchEntries)),
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(col + i + kPrefetchEntries),
                 _MM_HINT_T0);
    acc0 = _mm256_fmadd_ps(load8(vals, i), gather8(x, col, i), acc0);
    acc1 = _mm256_fmadd_ps(load8(vals, i + 8), gather8(x, col, i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load8(vals, i + 16), gather8(x, col, i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load8(vals, i + 24), gather8(x, col, i + 24), acc3);
  }
  for (; i + 8 <= e; i += 8)
    acc1 = _mm256_fmadd_ps(load8(vals, i), gather8(x, col, i), acc1);
  if (i < e) {
    if (e - 8 >= first) {
      // Both zeroed, so that no inf or NaN of the other entries leaks in.
      __m256 keep = _mm256_castsi256_ps(
          _mm256_xor_si256(laneMask(8 - (e - i)), _mm256_set1_epi32(-1)));
      acc2 = _mm256_fmadd_ps(_mm256_and_ps(load8(vals, e - 8), keep),
                             _mm256_and_ps(gather8(x, col, e - 8), keep), acc2);
    } else {
      float s = 0;
      for (; i < e; ++i)
        s += value1(vals, i) * x[col[i]];
      acc2 = _mm256_add_ps(acc2, _mm256_setr_ps(s, 0, 0, 0, 0, 0, 0, 0));
    }
  }
  return _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
}

/// Transposes the 8x8 block whose rows are r[0..8) in place (r[j] becomes
/// column j).
AVX2 inline void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // s[4q + c], 128-bit lane l: column 4l + c of rows 4q .. 4q+3.
  for (int q = 0; q < 8; q += 4) {
    s[q] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
  }
}

/// withNVUpTo for nv = 1 .. 4 (the 8-row batch vectors per chunk).
template <typename Fn> void withNV4(int nv, Fn fn) { withNVUpTo<4>(nv, fn); }

/// x[b0 .. b0+nb) transposed into xT[K][8*nv] (zero padded, 32-byte
/// aligned): each entry of the batched kernels reads one aligned row of it.
/// A caller's transposed x (xs == 1) is copied too, for the padding.
AVX2 inline float *transposeX(const Args &a, int64_t b0, int64_t nb, int nv,
                              std::vector<float> &buf) {
  int64_t w = 8 * nv;
  buf.resize(a.cols * w + 8);
  float *xT = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(buf.data()) + 31) & ~uintptr_t(31));
  if (a.xk != 1) {
    std::fill(xT, xT + a.cols * w, 0.0f);
    for (int64_t k = 0; k < a.cols; ++k)
      for (int64_t b = 0; b < nb; ++b)
        xT[k * w + b] = a.x[(b0 + b) * a.xs + k * a.xk];
    return xT;
  }
  // 8x8 blocks transposed in registers: whole lines of x read, whole lines
  // of xT written.
  for (int64_t k0 = 0; k0 < a.cols; k0 += 8) {
    int64_t kn = std::min<int64_t>(8, a.cols - k0);
    __m256i kMask = laneMask(kn);
    for (int j = 0; j < nv; ++j) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) {
        int64_t b = 8 * j + i;
        const float *p = a.x + (b0 + b) * a.xs + k0;
        r[i] = b >= nb    ? _mm256_setzero_ps()
               : kn == 8 ? _mm256_loadu_ps(p)
                         : _mm256_maskload_ps(p, kMask);
      }
      transpose8(r);
      for (int64_t i = 0; i < kn; ++i)
        _mm256_store_ps(xT + (k0 + i) * w + 8 * j, r[i]);
    }
  }
  return xT;
}

/// Batched paths: x in chunks of up to `chunk` (<= 32) rows, fn(b0, nb, nv,
/// xT, ldx) for each, xT [K][ldx] our transposed copy (ldx = 8*nv). When x
/// arrives transposed (xs == 1: im2col patches, or a convolution's input read
/// in place with overlapping rows, xk = 1) the full chunks read it where it is
/// (stride xk, unaligned loads); the last partial chunk is copied (its loads of
/// 8 lanes must not run past x). `inPlace` false: always copied.
template <typename Fn>
void forBatchChunksGiven(const Args &a, int64_t chunk, Fn fn,
                         bool inPlace = true) {
  thread_local std::vector<float> buf;
  for (int64_t b0 = 0; b0 < a.batch; b0 += chunk) {
    int64_t nb = std::min<int64_t>(chunk, a.batch - b0);
    int nv = int((nb + 7) / 8);
    if (inPlace && a.xs == 1 && nb == chunk && nb % 8 == 0)
      fn(b0, nb, nv, a.x + b0, a.xk);
    else
      fn(b0, nb, nv, transposeX(a, b0, nb, nv, buf), int64_t(8 * nv));
  }
}

/// forBatchChunksGiven with every chunk copied: fn(b0, nb, nv, xT) for
/// the kernels that read xT at stride 8*nv.
template <typename Fn>
void forBatchChunks(const Args &a, int64_t chunk, Fn fn) {
  forBatchChunksGiven(
      a, chunk,
      [&](int64_t b0, int64_t nb, int nv, const float *xT, int64_t) {
        fn(b0, nb, nv, xT);
      },
      /*inPlace=*/false);
}

/// Collects the columns the batched kernels produce (one output row o, nb
/// batch rows) and writes them to y 8 outputs at a time, transposed in
/// registers: writing each column straight to y would touch nb lines `ys`
/// floats apart for every output.
template <int NV> struct ColumnTile {
  const Args &a;
  int64_t b0, nb;
  int64_t o0 = 0;
  int n = 0;
  alignas(32) float buf[8][8 * NV];

  ColumnTile(const Args &a, int64_t b0, int64_t nb) : a(a), b0(b0), nb(nb) {}
  /// Output o of the chunk's rows: acc times `scale` (the i8 row scale).
  AVX2 void put(int64_t o, const __m256 *acc, float scale) {
    __m256 sc = _mm256_set1_ps(scale);
    if (a.ys == 1) { // transposed output: the column is contiguous
      float *y = a.y + b0 + o * a.yo;
      __m256 bias = a.bias ? _mm256_set1_ps(a.bias[o]) : _mm256_setzero_ps();
      for (int j = 0; j < NV; ++j)
        storeOut(y + 8 * j, _mm256_mul_ps(acc[j], sc), nb - 8 * j, a, bias);
      return;
    }
    if (n == 8 || (n > 0 && o != o0 + n))
      flush();
    if (n == 0)
      o0 = o;
    for (int j = 0; j < NV; ++j)
      _mm256_store_ps(buf[n] + 8 * j, _mm256_mul_ps(acc[j], sc));
    ++n;
  }
  AVX2 void flush() {
    if (n == 8 && a.yo == 1) {
      __m256 bias = loadBias(a, o0, 8);
      for (int j = 0; j < NV; ++j) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i)
          r[i] = _mm256_load_ps(buf[i] + 8 * j);
        transpose8(r);
        for (int64_t b = 0; b < std::min<int64_t>(8, nb - 8 * j); ++b)
          storeOut(a.y + (b0 + 8 * j + b) * a.ys + o0, r[b], 8, a, bias);
      }
    } else {
      for (int64_t b = 0; b < nb; ++b) {
        float *y = a.y + (b0 + b) * a.ys + o0 * a.yo;
        for (int r = 0; r < n; ++r)
          y[r * a.yo] = finish(buf[r][b], y + r * a.yo, a, o0 + r);
      }
    }
    n = 0;
  }
};

/// The batched entry loop: acc += vals[i] * xT[colOf(i)] (NV vectors of
/// 8 batch rows) over entries [i, e), spread over U sets of accumulators.
template <int NV, int U, ValueType VT, typename ColOf>
AVX2 inline void batchedEntries(__m256 (&acc)[U][NV], const float *xT,
                                int64_t i, int64_t e, Vals<VT> vals,
                                ColOf colOf, int64_t ldx = 8 * NV) {
  const int64_t W = ldx;
  for (; i + 8 <= e; i += 8) {
    // Narrow values are widened 8 at a time and broadcast from memory (a
    // load, not a shuffle).
    alignas(32) float wide[8];
    const float *vp;
    if constexpr (VT == ValueType::F32) {
      vp = static_cast<const float *>(vals.data) + i;
    } else {
      _mm256_store_ps(wide, load8(vals, i));
      vp = wide;
    }
    for (int u = 0; u < 8; ++u) {
      __m256 v = _mm256_broadcast_ss(vp + u);
      const float *xr = xT + colOf(i + u) * W;
      for (int j = 0; j < NV; ++j)
        acc[u % U][j] =
            _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8 * j), acc[u % U][j]);
    }
  }
  for (; i < e; ++i) {
    __m256 v = _mm256_set1_ps(value1(vals, i));
    const float *xr = xT + colOf(i) * W;
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8 * j), acc[0][j]);
  }
}

/// Accumulators per entry loop: ~8 independent FMA chains cover the FMA
/// latency (4 cycles, 2 ports on Zen 3).
template <int NV> constexpr int kChains = NV >= 3 ? 2 : NV == 2 ? 4 : 8;

/// Batched row kernel of csr (and N:M other than 2:4): entries [i, e) of
/// output row o, `colOf(i)` the input column of entry i.
template <int NV, ValueType VT, typename ColOf>
AVX2 inline void batchedRow(ColumnTile<NV> &tile, const float *xT, int64_t o,
                            int64_t i, int64_t e, Vals<VT> vals, ColOf colOf,
                            int64_t ldx = 8 * NV) {
  constexpr int U = kChains<NV>;
  __m256 acc[U][NV];
  for (int u = 0; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[u][j] = _mm256_setzero_ps();
  batchedEntries<NV, U>(acc, xT, i, e, vals, colOf, ldx);
  for (int u = 1; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm256_add_ps(acc[0][j], acc[u][j]);
  tile.put(o, acc[0], vals.scale(o));
}
} // namespace
} // namespace impl
} // namespace pruneopt::kernels

#endif // PRUNE_X86
#endif // PRUNE_OPT_LIB_RUNTIME_AVX2IMPL_H
