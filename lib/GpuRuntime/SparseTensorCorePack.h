//===- SparseTensorCorePack.h - Packs 2:4 weights for mma.sp ----*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The host packer of the 2:4 sparse tensor core kernel: a row-major f32 W
// (rows x cols) that is 2:4 along K -- at most 2 nonzeros in every group of
// 4 consecutive inputs, the groups starting at input 0 (a last group of
// fewer than 4 inputs is padded with zeros) -- to the 16-bit values and
// metadata in the order SparseTensorCore.h describes. Used by Runtime.cpp
// (prune_gpu_upload_nm24_sptc), by nn-lower-kernels (compiled models with
// sparse-tensor-cores=f16|bf16: the arrays become constants), by the tests
// and by prune-gpu-check. Host C++ only, header-only (no LLVM, no CUDA).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCOREPACK_H
#define PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCOREPACK_H

#include "Float16.h"
#include "SparseTensorCore.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pruneopt::gpu {

/// A packed 2:4 weight (host arrays; SparseTensorCore.h has the layout).
struct SptcPacked {
  SptcType type = SptcType::F16;
  int64_t rows = 0, cols = 0, rowTiles = 0, kTiles = 0;
  std::vector<uint32_t> values, meta;

  /// The kernel's view of these (host) arrays.
  SptcWeightView view() const {
    SptcWeightView v;
    v.type = type;
    v.rows = rows;
    v.cols = cols;
    v.rowTiles = rowTiles;
    v.kTiles = kTiles;
    v.values = values.data();
    v.meta = meta.data();
    return v;
  }
};

namespace detail {
/// The stored entries of one group of 4 inputs: indices i0 < i1 within the
/// group and the values there (16-bit bits).
struct SptcGroup {
  unsigned i0 = 0, i1 = 1;
  uint16_t v0 = 0, v1 = 0;
};

/// Group `g` (inputs 4g..4g+3) of row `row` of W, zeros past rows x cols;
/// the group has at most 2 nonzeros (checked before). A group with fewer
/// stores explicit zeros at the lowest free positions, so that the indices
/// always increase (what mma.sp::ordered_metadata requires).
inline SptcGroup sptcGroup(const float *w, int64_t rows, int64_t cols,
                           SptcType type, int64_t row, int64_t g) {
  unsigned at[2] = {0, 0}, n = 0;
  float v[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < 4; ++i) {
    int64_t k = 4 * g + i;
    if (row < rows && k < cols)
      v[i] = w[row * cols + k];
    if (v[i] != 0.0f && n < 2)
      at[n++] = i;
  }
  for (unsigned i = 0; n < 2; ++i) // padding: the lowest unused positions
    if (n == 0 || at[0] != i) {
      at[n++] = i;
      if (n == 2 && at[0] > at[1]) {
        unsigned s = at[0];
        at[0] = at[1];
        at[1] = s;
      }
    }
  SptcGroup out;
  out.i0 = at[0];
  out.i1 = at[1];
  out.v0 = toSixteen(type, v[at[0]]);
  out.v1 = toSixteen(type, v[at[1]]);
  return out;
}
} // namespace detail

/// Checks that W (row-major rows x cols) is 2:4 along K and representable
/// in `type` and packs it into `out`. On failure returns false and says
/// why in *error (the first offending group or value, in row-major order).
inline bool packSptc24(const float *w, int64_t rows, int64_t cols,
                       SptcType type, SptcPacked &out, std::string *error) {
  auto fail = [&](std::string message) {
    if (error)
      *error = std::move(message);
    return false;
  };
  if (rows <= 0 || cols <= 0)
    return fail("rows and cols must be positive");
  if (type != SptcType::F16 && type != SptcType::BF16)
    return fail("the value type must be f16 or bf16");
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t k0 = 0; k0 < cols; k0 += 4) {
      int nonzeros = 0;
      int64_t end = k0 + 4 < cols ? k0 + 4 : cols;
      for (int64_t k = k0; k < end; ++k) {
        float v = w[o * cols + k];
        nonzeros += v != 0.0f;
        if (std::isfinite(v) && !std::isfinite(roundToSixteen(type, v)))
          return fail("the weight at row " + std::to_string(o) + ", column " +
                      std::to_string(k) + " (" + std::to_string(v) +
                      ") overflows " + sixteenName(type) +
                      (type == SptcType::F16 ? " (largest finite 65504)" : ""));
      }
      if (nonzeros > 2)
        return fail("row " + std::to_string(o) + ", columns " +
                    std::to_string(k0) + ".." + std::to_string(end - 1) +
                    " hold " + std::to_string(nonzeros) +
                    " nonzeros: not 2:4 (at most 2 of every 4 consecutive "
                    "inputs, groups starting at column 0)");
    }

  out.type = type;
  out.rows = rows;
  out.cols = cols;
  out.rowTiles = sptcCeilDiv(rows, kSptcTileRows);
  out.kTiles = sptcCeilDiv(cols, kSptcTileK);
  const int64_t kPairs = (out.kTiles + 1) / 2;
  out.values.assign(size_t(sptcValueWords(rows, cols)), 0);
  out.meta.assign(size_t(sptcMetaWords(rows, cols)), 0);
  using detail::sptcGroup;
  for (int64_t rt = 0; rt < out.rowTiles; ++rt)
    for (int64_t kt = 0; kt < out.kTiles; ++kt)
      for (int lane = 0; lane < 32; ++lane)
        for (int r = 0; r < 4; ++r) {
          // A register r of `lane` (SparseTensorCore.h).
          int64_t row = rt * kSptcTileRows + lane / 4 + (r & 1 ? 8 : 0);
          int64_t g = kt * 8 + lane % 4 + (r & 2 ? 4 : 0);
          detail::SptcGroup s = sptcGroup(w, rows, cols, type, row, g);
          out.values[size_t(((rt * out.kTiles + kt) * 32 + lane) * 4 + r)] =
              uint32_t(s.v0) | uint32_t(s.v1) << 16;
        }
  for (int64_t rt = 0; rt < out.rowTiles; ++rt)
    for (int64_t p = 0; p < kPairs; ++p)
      for (int lane = 0; lane < 32; ++lane) {
        // Lane 4q + 2 sel + s: the metadata of k-tile 2p + sel, columns
        // 16s.. of rows q and q + 8.
        int q = lane / 4, sel = lane % 4 / 2, s = lane % 2;
        int64_t kt = 2 * p + sel;
        uint32_t word = 0;
        for (int j = 0; j < 16; ++j) {
          unsigned index = j % 2; // a dummy tile: indices 0, 1
          if (kt < out.kTiles) {
            int64_t row = rt * kSptcTileRows + q + (j >= 8 ? 8 : 0);
            int64_t g = kt * 8 + 4 * s + (j % 8) / 2;
            detail::SptcGroup e = sptcGroup(w, rows, cols, type, row, g);
            index = j % 2 ? e.i1 : e.i0;
          }
          word |= uint32_t(index) << (2 * j);
        }
        out.meta[size_t((rt * kPairs + p) * 32 + lane)] = word;
      }
  return true;
}

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_SPARSETENSORCOREPACK_H
