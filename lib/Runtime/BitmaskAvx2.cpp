//===- BitmaskAvx2.cpp - The AVX2 bitmask kernels -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// bitmask, every value type. Up to 3 batch rows: per mask byte, the packed
// values of its set bits are expanded to their 8 columns (one shuffle from
// a 256-entry table, zeros at the clear bits) and multiplied with 8
// contiguous inputs of each row. Compressing x instead (packing the inputs
// of the set bits, then a contiguous dot product with the packed values)
// was as fast at 90 % sparsity and 1.2-1.5x slower at 50 %: it stores every
// 8 inputs and reads them again. Batched (>= 4 rows): each row's columns
// are compressed that way, then each entry is one broadcast value times
// the transposed x (the csr row kernel).
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// For each mask byte: lane j holds the rank of bit j among the set bits
/// (the packed value of column j) if it is set, else -128 (pshufb zeroes
/// such a lane, and its sign selects the zero of blendv).
struct ExpandTable {
  alignas(64) int8_t lanes[256][8];
  constexpr ExpandTable() : lanes() {
    for (int m = 0; m < 256; ++m) {
      int n = 0;
      for (int j = 0; j < 8; ++j)
        lanes[m][j] = m & (1 << j) ? int8_t(n++) : int8_t(-128);
    }
  }
};
constexpr ExpandTable kExpand;

/// kExpand for 16-bit values: the byte pair of each lane's value, or two
/// -128 (pshufb writes the 16-bit zero, +0 in bf16 and f16).
struct ExpandTable16 {
  alignas(64) int8_t bytes[256][16];
  constexpr ExpandTable16() : bytes() {
    for (int m = 0; m < 256; ++m) {
      int n = 0;
      for (int j = 0; j < 8; ++j) {
        bool set = m & (1 << j);
        bytes[m][2 * j] = set ? int8_t(2 * n) : int8_t(-128);
        bytes[m][2 * j + 1] = set ? int8_t(2 * n + 1) : int8_t(-128);
        n += set;
      }
    }
  }
};
constexpr ExpandTable16 kExpand16;

/// The vpshufb controls that turn 16 stored values, in both 128-bit lanes,
/// into the 32-bit lanes of mask byte m: bf16 values to their high halves
/// (f32 as they are), i8 values to their high bytes (q * 2^24 as an
/// integer; the sum is scaled back once). Zero at clear bits.
template <ValueType VT> struct ExpandTable32 {
  alignas(64) int8_t bytes[256][32];
  constexpr ExpandTable32() : bytes() {
    for (int m = 0; m < 256; ++m) {
      int n = 0;
      for (int j = 0; j < 8; ++j) {
        bool set = m & (1 << j);
        for (int k = 0; k < 4; ++k)
          bytes[m][4 * j + k] = int8_t(-128);
        if (set && VT == ValueType::I8) {
          bytes[m][4 * j + 3] = int8_t(n);
        } else if (set) {
          bytes[m][4 * j + 2] = int8_t(2 * n);
          bytes[m][4 * j + 3] = int8_t(2 * n + 1);
        }
        n += set;
      }
    }
  }
};
template <ValueType VT> constexpr ExpandTable32<VT> kExpand32;

/// What expand8 multiplies the i8 values by (see ExpandTable32).
template <ValueType VT>
constexpr float kExpandScale = VT == ValueType::I8 ? 1.0f / (1 << 24) : 1.0f;

/// For each mask byte, the positions of its set bits in increasing order
/// (the vpermps control that packs those lanes to the front).
struct PackTable {
  alignas(64) uint8_t lanes[256][8];
  constexpr PackTable() : lanes() {
    for (int m = 0; m < 256; ++m) {
      int n = 0;
      for (int j = 0; j < 8; ++j)
        if (m & (1 << j))
          lanes[m][n++] = uint8_t(j);
    }
  }
};
constexpr PackTable kPack;

/// The 8 weights of mask byte m, whose packed values start at stored value
/// i, as f32 (zeros at the clear bits).
template <ValueType VT>
AVX2 inline __m256 expand8(Vals<VT> v, int64_t i, unsigned m) {
  // 8- and 16-bit values are moved before widening, by pshufb (which
  // zeroes the lanes of clear bits itself): for i8 and bf16, one vpshufb
  // from the two copies of 16 bytes of values makes the 32-bit lanes.
  if constexpr (VT == ValueType::I8 || VT == ValueType::BF16) {
    __m256i w = _mm256_shuffle_epi8(
        _mm256_broadcastsi128_si256(
            _mm_loadu_si128(static_cast<const __m128i *>(v.at(i)))),
        _mm256_load_si256(
            reinterpret_cast<const __m256i *>(kExpand32<VT>.bytes[m])));
    if constexpr (VT == ValueType::I8)
      return _mm256_cvtepi32_ps(w);
    else
      return _mm256_castsi256_ps(w);
  } else if constexpr (VT == ValueType::F16) {
    return _mm256_cvtph_ps(_mm_shuffle_epi8(
        _mm_loadu_si128(static_cast<const __m128i *>(v.at(i))),
        _mm_load_si128(reinterpret_cast<const __m128i *>(kExpand16.bytes[m]))));
  } else {
    __m128i e =
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(kExpand.lanes[m]));
    __m256i c = _mm256_cvtepi8_epi32(e);
    __m256 w = _mm256_permutevar8x32_ps(load8(v, i), c);
    return _mm256_blendv_ps(w, _mm256_setzero_ps(), _mm256_castsi256_ps(c));
  }
}

/// Batch rows [b0, b0 + NB) (xp: their inputs, zero padded to whole masks,
/// ld apart, 32-byte aligned), output rows [o0, o1): the weights of each
/// mask byte are expanded once for the NB rows.
template <int NB, ValueType VT>
AVX2 void bitmaskRows(const Args &a, const float *xp, int64_t ld, int64_t b0,
                      const int32_t *rowPtr, const uint16_t *masks,
                      Vals<VT> vals, int64_t o0, int64_t o1) {
  const int64_t chunks = (a.cols + 15) / 16, bytes = 2 * chunks;
  constexpr int U = NB == 1 ? 4 : 2; // FMA chains per batch row
  for (int64_t o = o0; o < o1; ++o) {
    // Byte t of the row's masks covers columns 8t .. 8t+7.
    const uint8_t *mb = reinterpret_cast<const uint8_t *>(masks + o * chunks);
    int64_t i = rowPtr[o];
    __m256 acc[NB][U];
    for (int b = 0; b < NB; ++b)
      for (int u = 0; u < U; ++u)
        acc[b][u] = _mm256_setzero_ps();
    auto step = [&](int64_t t, int u) AVX2 {
      unsigned m = mb[t];
      __m256 w = expand8(vals, i, m);
      for (int b = 0; b < NB; ++b)
        acc[b][u] =
            _mm256_fmadd_ps(w, _mm256_load_ps(xp + b * ld + 8 * t), acc[b][u]);
      i += __builtin_popcount(m);
    };
    // Unrolled: the loop's own counter and branch would be a good part of
    // a step's integer ops.
    int64_t t = 0;
    for (; t + 8 <= bytes; t += 8) {
      _mm_prefetch(static_cast<const char *>(vals.at(i + kPrefetchEntries)),
                   _MM_HINT_T0);
      for (int u = 0; u < 8; ++u)
        step(t + u, u % U);
    }
    for (; t < bytes; ++t)
      step(t, 0);
    for (int b = 0; b < NB; ++b) {
      for (int u = 1; u < U; ++u)
        acc[b][0] = _mm256_add_ps(acc[b][0], acc[b][u]);
      float *y = a.y + (b0 + b) * a.ys + o * a.yo;
      *y =
          finish(hsum(acc[b][0]) * (vals.scale(o) * kExpandScale<VT>), y, a, o);
    }
  }
}

template <ValueType VT>
void bitmaskFew(const Args &a, const int32_t *rowPtr, const uint16_t *masks,
                Vals<VT> vals, double work) {
  const int64_t ld = (a.cols + 15) / 16 * 16;
  // x zero padded to whole masks (32-byte aligned): every 8 inputs are one
  // aligned load, and strided inputs are gathered once.
  std::vector<float> buf(a.batch * ld + 8, 0.0f);
  float *xp = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(buf.data()) + 31) & ~uintptr_t(31));
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t k = 0; k < a.cols; ++k)
      xp[b * ld + k] = a.x[b * a.xs + k * a.xk];
  parallelUnits(a.rows, work, [&](int64_t o0, int64_t o1) {
    switch (a.batch) {
    case 1:
      return bitmaskRows<1>(a, xp, ld, 0, rowPtr, masks, vals, o0, o1);
    case 2:
      return bitmaskRows<2>(a, xp, ld, 0, rowPtr, masks, vals, o0, o1);
    default:
      return bitmaskRows<3>(a, xp, ld, 0, rowPtr, masks, vals, o0, o1);
    }
  });
}

/// The columns of the set bits of the row's masks (`mb`, `bytes` of them)
/// into cols (room for 8 past the last), from iota (0 .. 8*bytes-1,
/// 32-byte aligned): per mask byte, one vpermps packs the columns of the
/// set bits to the front and one store appends them (the next store
/// overwrites the lanes past them).
AVX2 inline void packColumns(const uint8_t *mb, int64_t bytes,
                             const int32_t *iota, int32_t *cols) {
  int64_t n = 0;
  for (int64_t t = 0; t < bytes; ++t) {
    unsigned m = mb[t];
    __m256i ctl = _mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(kPack.lanes[m])));
    _mm256_storeu_si256(
        reinterpret_cast<__m256i *>(cols + n),
        _mm256_permutevar8x32_epi32(
            _mm256_load_si256(reinterpret_cast<const __m256i *>(iota + 8 * t)),
            ctl));
    n += __builtin_popcount(m);
  }
}

/// Batched: each row's columns decoded by packColumns, then the csr row
/// kernel.
template <ValueType VT>
void bitmaskBatched(const Args &a, const int32_t *rowPtr, const uint16_t *masks,
                    Vals<VT> vals, double work) {
  const int64_t chunks = (a.cols + 15) / 16, ld = 16 * chunks;
  std::vector<int32_t> iotaBuf(ld + 8);
  int32_t *iota = reinterpret_cast<int32_t *>(
      (reinterpret_cast<uintptr_t>(iotaBuf.data()) + 31) & ~uintptr_t(31));
  for (int64_t k = 0; k < ld; ++k)
    iota[k] = int32_t(k);
  forBatchChunks(a, 32, [&](int64_t b0, int64_t nb, int nv, const float *xT) {
    parallelUnits(a.rows, work * nb / a.batch, [&](int64_t o0, int64_t o1) {
      std::vector<int32_t> cols(ld + 8);
      withNV4(nv, [&](auto nvTag) {
        constexpr int NV = decltype(nvTag)::value;
        ColumnTile<NV> tile(a, b0, nb);
        for (int64_t o = o0; o < o1; ++o) {
          const int64_t i0 = rowPtr[o];
          packColumns(reinterpret_cast<const uint8_t *>(masks + o * chunks),
                      2 * chunks, iota, cols.data());
          batchedRow<NV>(tile, xT, o, i0, rowPtr[o + 1], vals,
                         [&](int64_t i) { return int64_t(cols[i - i0]); });
        }
        tile.flush();
      });
    });
  });
}
} // namespace

bool pruneopt::kernels::impl::bitmaskAvx2(const Args &a, const WeightRef &w,
                                          double work) {
  withValues(w, [&](auto vals) {
    if (a.batch < kBatchedFrom)
      bitmaskFew(a, w.rowPtr, w.masks, vals, work);
    else
      bitmaskBatched(a, w.rowPtr, w.masks, vals, work);
  });
  return true;
}
#endif // PRUNE_X86
