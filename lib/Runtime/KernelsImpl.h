//===- KernelsImpl.h - Shared by the kernel files -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Runtime: the arguments every kernel takes, the helpers the
// format families share, and the functions each family file provides. Layout
// of the library:
//   Pool.cpp              threads, ISA selection, prune_kernels_* settings
//   Pack.cpp              format names, pack*, PackedWeight::bytes
//   <Family>.cpp          a format family's kernel run<Format> (the choice
//                         of ISA, the threads, the portable kernel) and its
//                         raw entry point prune_fc_<family> (Dense, CSR,
//                         TiledCSR, WindowCSR, Bitmask, BSR, NM)
//   <Family>Avx512.cpp    the family's AVX-512 kernels (Avx512Impl.h: what
//                         they share)
//   Dispatch.cpp          kernelCall, run / runStrided (from Kernels.def)
//   CInterface.cpp        the _mlir_ciface_prune_mr_* functions (from
//                         Kernels.def)
// Everything here has hidden visibility: the library exports only Kernels.h.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_RUNTIME_KERNELSIMPL_H
#define PRUNE_OPT_LIB_RUNTIME_KERNELSIMPL_H

#include "prune-opt/Runtime/Kernels.h"

#include <algorithm>
#include <functional>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#define PRUNE_X86 1
#else
#define PRUNE_X86 0
#endif

namespace pruneopt::kernels {
namespace __attribute__((visibility("hidden"))) impl {

/// y(b, o) = y[b * ys + o * yo] and x(b, k) = x[b * xs + k * xk]: the
/// kernels read transposed inputs and write transposed outputs in place
/// (convolutions lowered by im2col produce both).
struct Args {
  float *y;
  int64_t ys;
  const float *x;
  int64_t xs;
  int64_t batch, rows, cols;
  bool acc;
  int64_t yo = 1, xk = 1;
  /// The epilogue, applied at each output's one final store (finish(),
  /// storeOut()): bias[o] (may be null) is added after accumulating, then
  /// ReLU if `relu`.
  const float *bias = nullptr;
  bool relu = false;
};

/// The arrays and parameters of a packed weight as a kernel reads them:
/// pointers into a PackedWeight (run, runStrided), into the memrefs of a
/// compiled model (CInterface.cpp) or the raw entry points' arguments. The
/// fields mirror PackedWeight's; Kernels.def names them.
struct WeightRef {
  int colBits = 16; // csr, bsr: which of col8 / col16 / col32
  int64_t blockRows = 1, blockCols = 1; // bsr
  int64_t n = 0, m = 0;                 // nm
  ValueType valueType = ValueType::F32;
  const float *values = nullptr;   // f32
  const uint16_t *values16 = nullptr; // bf16, f16
  const int8_t *values8 = nullptr; // i8
  const float *scales = nullptr;   // i8: one per output row
  const int32_t *rowPtr = nullptr;
  const uint8_t *col8 = nullptr;
  const uint16_t *col16 = nullptr;
  const int32_t *col32 = nullptr;
  const uint16_t *masks = nullptr;
  const uint8_t *codes = nullptr;
  const int32_t *meta = nullptr;
  const uint16_t *runs = nullptr;
  const uint8_t *rowIds = nullptr;
  const uint8_t *shifts = nullptr;

  /// The column indices of csr/bsr (colBits wide).
  const void *col() const {
    return colBits == 8    ? static_cast<const void *>(col8)
           : colBits == 32 ? static_cast<const void *>(col32)
                           : static_cast<const void *>(col16);
  }
  void setCol(const void *col, int bits) {
    colBits = bits;
    if (bits == 8)
      col8 = static_cast<const uint8_t *>(col);
    else if (bits == 32)
      col32 = static_cast<const int32_t *>(col);
    else
      col16 = static_cast<const uint16_t *>(col);
  }
};

/// The values of a weight of value type VT as the kernels read them:
/// vals[i] is stored value i widened to f32, vals.scale(o) the factor of
/// output row o's sum (1 but for i8). Kernels accumulate sum_i vals[i] x
/// and apply the scale once per output, before the epilogue.
template <ValueType VT> struct Vals {
  /// Bytes per stored value.
  static constexpr int kBytes = VT == ValueType::F32  ? 4
                                : VT == ValueType::I8 ? 1
                                                      : 2;
  const void *data;
  const float *scales;
  const void *at(int64_t i) const {
    return static_cast<const char *>(data) + i * kBytes;
  }
  float operator[](int64_t i) const {
    if constexpr (VT == ValueType::F32)
      return static_cast<const float *>(data)[i];
    else if constexpr (VT == ValueType::I8)
      return float(static_cast<const int8_t *>(data)[i]);
    else if constexpr (VT == ValueType::BF16)
      return fromBF16(static_cast<const uint16_t *>(data)[i]);
    else
      return fromF16(static_cast<const uint16_t *>(data)[i]);
  }
  float scale(int64_t o) const {
    if constexpr (VT == ValueType::I8)
      return scales[o];
    else
      return 1.0f;
  }
};

/// Calls fn(Vals<VT>) with the values of `w` (its value type).
template <typename Fn> void withValues(const WeightRef &w, Fn fn) {
  switch (w.valueType) {
  case ValueType::F32:
    return fn(Vals<ValueType::F32>{w.values, nullptr});
  case ValueType::BF16:
    return fn(Vals<ValueType::BF16>{w.values16, nullptr});
  case ValueType::F16:
    return fn(Vals<ValueType::F16>{w.values16, nullptr});
  case ValueType::I8:
    return fn(Vals<ValueType::I8>{w.values8, w.scales});
  }
}

/// The kernel of each format (lib/Runtime/<Family>.cpp): y (+)= x W^T with
/// the epilogue of `a`, on the portable or the AVX-512 kernels, threads
/// included. run, runStrided and the C interface call them through the
/// rows of Kernels.def.
#define PRUNE_FORMAT(Enum, Name, Selectable, Description)                      \
  void run##Enum(const Args &a, const WeightRef &w);
#include "prune-opt/Runtime/Formats.def"

/// The Args of a raw entry point (prune_fc_*).
inline Args makeArgs(float *y, int64_t ys, int64_t yo, const float *x,
                     int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                     int64_t cols, int32_t flags, const float *bias) {
  Args a{y, ys, x, xs, batch, rows, cols, (flags & PRUNE_ACCUMULATE) != 0};
  a.yo = yo;
  a.xk = xk;
  a.bias = bias;
  a.relu = (flags & PRUNE_RELU) != 0;
  return a;
}

/// Whether the AVX-512 kernels run (the CPU has them and
/// prune_kernels_set_isa did not turn them off).
bool avx512();
/// Whether the AVX-512 kernels that need VBMI2 (and BMI2) run: Ice Lake and
/// later, Zen 4 and later (csr-window i8, bitmask with narrow values;
/// prune_kernels_set_isa(3) turns them off to test the others).
bool avx512Vbmi2();
/// Whether bitmask expands its values by a permute of per-lane popcounts
/// (VPOPCNTDQ) instead of vexpandps: on AMD CPUs with it (Zen 4 and later;
/// measured 1.8-1.9x faster on a Zen 5; Intel keeps vexpandps, not
/// measured there). prune_kernels_set_isa(3) turns it off with VBMI2's.
bool avx512PermuteExpand();
/// Whether the AVX2 kernels run (the CPU has AVX2, FMA and F16C and
/// prune_kernels_set_isa did not turn vector kernels off). They serve every
/// value type on CPUs without AVX-512 and, on CPUs with it, the 16- and 8-bit
/// value types of the formats whose AVX-512 kernels read f32 only.
bool avx2();

/// Splits [0, units) over the pool when `work` (multiply-adds) is large
/// enough to pay for waking threads; fn(begin, end) gets unit ranges.
void parallelUnits(int64_t units, double work,
                   const std::function<void(int64_t, int64_t)> &fn);

// The helpers below have internal linkage in every file that includes them,
// as they had when the library was one file: the compiler may then change
// their calling convention and drop unused arguments (the kernels' register
// allocation depends on it).
namespace {
/// The final value of output o, whose product is v and whose place in y is
/// *y: the epilogue nn-lower-kernels fuses (see PRUNE_RELU), applied where
/// the kernels store each output once, at the end.
inline float finish(float v, const float *y, const Args &a, int64_t o) {
  if (a.acc)
    v = *y + v;
  if (a.bias)
    v += a.bias[o];
  if (a.relu) // max(0, v) keeps NaN, as arith.maximumf and cmpf ugt do
    v = 0.0f > v ? 0.0f : v;
  return v;
}

inline int64_t colAt(const void *col, int bits, int64_t i) {
  if (bits == 8)
    return static_cast<const uint8_t *>(col)[i];
  return bits == 32 ? static_cast<const int32_t *>(col)[i]
                    : static_cast<const uint16_t *>(col)[i];
}

/// Index of W[o, k] in the dense panel layout (see packDense).
inline int64_t panelOffset(int64_t o, int64_t k, int64_t rows, int64_t cols) {
  int64_t panel = o / 16, width = panel == rows / 16 ? rows % 16 : 16;
  return panel * cols * 16 + k * width + o % 16;
}

/// In-group offset of stored value `i` of a row (see packNM).
inline int64_t nmOffset(const uint8_t *codes, bool is24, int64_t i) {
  if (!is24)
    return codes[i];
  return (codes[i / 16 * 4 + (i % 16) / 4] >> (2 * (i % 4))) & 3;
}

inline int64_t nmStride(int64_t cols, int64_t n, int64_t m) {
  int64_t perRow = cols / m * n;
  return n == 2 && m == 4 ? (perRow + 15) / 16 * 16 : perRow;
}

/// Calls fn(std::integral_constant<int, NV>()) with NV = nv for nv in
/// 1 .. Max - 1 and NV = Max otherwise, so that a kernel is instantiated
/// for every vector count up to Max.
template <int Max, int N = 1, typename Fn> void withNVUpTo(int64_t nv, Fn fn) {
  if constexpr (N < Max) {
    if (nv == N)
      return fn(std::integral_constant<int, N>());
    return withNVUpTo<Max, N + 1>(nv, fn);
  } else {
    return fn(std::integral_constant<int, Max>());
  }
}

/// withNVUpTo for nv = 1 or 2 (the batch vectors per chunk).
template <typename Fn> void withNV(int nv, Fn fn) { withNVUpTo<2>(nv, fn); }

/// Batches below this run the one-row kernels once per row.
constexpr int64_t kBatchedFrom = 4;

/// The one-row kernels read x with unit stride along k: copy otherwise.
inline void ensureUnitK(Args &a, std::vector<float> &buf) {
  if (a.xk == 1)
    return;
  buf.resize(a.batch * a.cols);
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t k = 0; k < a.cols; ++k)
      buf[b * a.cols + k] = a.x[b * a.xs + k * a.xk];
  a.x = buf.data();
  a.xs = a.cols;
  a.xk = 1;
}

} // namespace

#if PRUNE_X86
// The AVX2 half of each family (<Family>Avx2.cpp, Avx2Impl.h), for every
// value type. Those returning bool return false for the cases they have no
// kernel for (the portable kernel runs).
bool denseAvx2(const Args &a, const WeightRef &w, double work);
bool csrAvx2(const Args &a, const WeightRef &w, double work);
bool tiledAvx2(const Args &a, const WeightRef &w, double work);
bool bitmaskAvx2(const Args &a, const WeightRef &w, double work);
bool bsrAvx2(const Args &a, const WeightRef &w, double work);
bool nmAvx2(const Args &a, const WeightRef &w, double work);

// The AVX-512 half of each family (<Family>Avx512.cpp): the whole call,
// threads included. Dense, csr (one batch row), csr-tiled, csr-window,
// bitmask, 2:4 and bsr 4x1 (one batch row) take every value type, the others
// f32; those returning bool return false for the cases they have no kernel for
// (the AVX2 kernel runs).
void denseAvx512(const Args &a, const WeightRef &w, double work);
bool csrAvx512(const Args &a, const WeightRef &w, double work);
void tiledAvx512(const Args &a, const WeightRef &w, double work);
void bitmaskAvx512(Args a, const WeightRef &w, double work);
bool bsrAvx512(Args a, const WeightRef &w, double work);
bool nmAvx512(const Args &a, const WeightRef &w, double work);
void windowAvx512(const Args &a, const WeightRef &w, double work);
#endif

} // namespace impl
} // namespace pruneopt::kernels

#endif // PRUNE_OPT_LIB_RUNTIME_KERNELSIMPL_H
