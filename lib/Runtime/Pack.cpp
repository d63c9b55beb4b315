//===- Pack.cpp - Packing weights for the kernels -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The packers of Kernels.h (one per format; the layouts are documented
// there), the bytes a packed weight costs, and the format names of
// Formats.def.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
struct FormatRow {
  const char *name;
  bool selectable;
};
constexpr FormatRow kFormatRows[] = {
#define PRUNE_FORMAT(Enum, Name, Selectable, Description) {Name, Selectable},
#include "prune-opt/Runtime/Formats.def"
};
} // namespace

const char *pruneopt::kernels::formatName(Format format) {
  return kFormatRows[static_cast<int>(format)].name;
}

bool pruneopt::kernels::parseFormat(const char *name, Format &format) {
  for (int i = 0; i < kNumFormats; ++i)
    if (std::strcmp(kFormatRows[i].name, name) == 0) {
      format = static_cast<Format>(i);
      return true;
    }
  return false;
}

bool pruneopt::kernels::isSelectable(Format format) {
  return kFormatRows[static_cast<int>(format)].selectable;
}

static constexpr const char *kValueTypeNames[] = {"f32", "bf16", "f16", "i8"};

const char *pruneopt::kernels::valueTypeName(ValueType type) {
  return kValueTypeNames[static_cast<int>(type)];
}

bool pruneopt::kernels::parseValueType(const char *name, ValueType &type) {
  for (int i = 0; i < kNumValueTypes; ++i)
    if (std::strcmp(kValueTypeNames[i], name) == 0) {
      type = static_cast<ValueType>(i);
      return true;
    }
  return false;
}

int pruneopt::kernels::valueBytes(ValueType type) {
  return type == ValueType::F32 ? 4 : type == ValueType::I8 ? 1 : 2;
}

uint16_t pruneopt::kernels::toBF16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet, keep the sign
    return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1); // round to nearest even
  return uint16_t(u >> 16);
}

float pruneopt::kernels::fromBF16(uint16_t bits) {
  uint32_t u = uint32_t(bits) << 16;
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

uint16_t pruneopt::kernels::toF16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u) // NaN
    return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) // rounds to >= 65520: infinity
    return uint16_t(sign | 0x7c00u);
  if (a < 0x38800000u) { // below the smallest normal 2^-14: a subnormal
    // Scale by 2^24 exactly (the result is an integer number of 2^-24
    // units), rounding to nearest even in the float addition.
    float f;
    std::memcpy(&f, &a, 4);
    float r = f * 16777216.0f; // units of 2^-24
    // round half to even
    float fl = float(int32_t(r));
    float diff = r - fl;
    int32_t q = int32_t(fl);
    if (diff > 0.5f || (diff == 0.5f && (q & 1)))
      ++q;
    return uint16_t(sign | uint32_t(q));
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa.
  uint32_t h = a - 0x38000000u; // exponent -112, then drop 13 bits
  h += 0xfffu + ((h >> 13) & 1);
  return uint16_t(sign | (h >> 13));
}

float pruneopt::kernels::fromF16(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  uint32_t e = (bits >> 10) & 0x1f, m = bits & 0x3ffu;
  float v;
  if (e == 0) { // zero or subnormal: m * 2^-24
    v = float(m) * (1.0f / 16777216.0f);
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u |= sign;
    std::memcpy(&v, &u, 4);
    return v;
  }
  uint32_t u = e == 31 ? (sign | 0x7f800000u | (m << 13))
                       : (sign | ((e + 112) << 23) | (m << 13));
  std::memcpy(&v, &u, 4);
  return v;
}

std::vector<float> pruneopt::kernels::quantizeValues(
    const float *w, int64_t rows, int64_t cols, ValueType type,
    std::vector<float> &scales) {
  std::vector<float> out(w, w + rows * cols);
  scales.clear();
  switch (type) {
  case ValueType::F32:
    break;
  case ValueType::BF16:
    for (float &v : out)
      v = fromBF16(toBF16(v));
    break;
  case ValueType::F16:
    for (float &v : out)
      v = fromF16(toF16(v));
    break;
  case ValueType::I8:
    scales.assign(rows, 1.0f);
    for (int64_t o = 0; o < rows; ++o) {
      float amax = 0;
      for (int64_t k = 0; k < cols; ++k)
        amax = std::max(amax, std::fabs(w[o * cols + k]));
      // An all-zero row keeps scale 1 (its q are 0); the scale is an f32
      // whose quotient is rounded, then clamped. A row of denormals whose
      // amax / 127 underflows to 0 takes the least denormal instead (its q
      // are then at most 64, and exact).
      if (amax > 0 && std::isfinite(amax))
        scales[o] =
            std::max(amax / 127.0f, std::numeric_limits<float>::denorm_min());
      for (int64_t k = 0; k < cols; ++k) {
        float q = std::nearbyint(w[o * cols + k] / scales[o]);
        out[o * cols + k] = std::clamp(q, -127.0f, 127.0f);
      }
    }
    break;
  }
  return out;
}

std::vector<float> pruneopt::kernels::dequantized(const float *w, int64_t rows,
                                                  int64_t cols,
                                                  ValueType type) {
  std::vector<float> scales;
  std::vector<float> out = quantizeValues(w, rows, cols, type, scales);
  if (type == ValueType::I8)
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t k = 0; k < cols; ++k)
        out[o * cols + k] *= scales[o];
  return out;
}

/// The csr-window walk of one group (Kernels.h): each window starts at the
/// group's leftmost entry not taken yet (at most cols - 32) and takes up to
/// `perRow` entries of each row from it, in column order; a move of more
/// than 255 columns takes steps without entries. rowCols[r]: row r's
/// columns, ascending. take(r, j, i, base): row r's entry i is its j-th
/// in the window at `base`; endStep(shift): a step ends (after its takes).
template <typename Take, typename EndStep>
static void walkWindows(const std::vector<std::vector<int32_t>> &rowCols,
                        int64_t cols, int perRow, Take take, EndStep endStep) {
  constexpr int64_t kWindow = 32;
  // The last window starts at cols - 32 (x has no columns past the end);
  // narrower weights have one window at 0 (the kernel pads x).
  const int64_t lastBase = std::max<int64_t>(0, cols - kWindow);
  std::vector<size_t> next(rowCols.size(), 0);
  int64_t base = 0;
  while (true) {
    int64_t left = cols;
    for (size_t r = 0; r < rowCols.size(); ++r)
      if (next[r] < rowCols[r].size())
        left = std::min<int64_t>(left, rowCols[r][next[r]]);
    if (left == cols)
      return;
    const int64_t target = std::max(base, std::min(left, lastBase));
    for (; target - base > 255; base += 255) // moves without entries
      endStep(uint8_t(255));
    for (size_t r = 0; r < rowCols.size(); ++r)
      for (int j = 0; j < perRow && next[r] < rowCols[r].size() &&
                      rowCols[r][next[r]] < target + kWindow;
           ++j, ++next[r])
        take(int(r), j, next[r], target);
    endStep(uint8_t(target - base));
    base = target;
  }
}

/// csr-window with i8 values (Kernels.h): the steps of each group re-cut
/// into pairs that share a window (up to two entries per row from it), one
/// u16 per entry (column | value << 8) in values8, each pair's entries
/// ordered by row, then entry; masks two u16 per pair (the interleaved
/// mask: bit 2r / 2r + 1 = row r's first / second entry), shifts one per
/// pair; padded for the kernel's loads of 32 entries.
static void pairWindowSteps(PackedWeight &p) {
  const int64_t groups = (p.rows + 15) / 16;
  const std::vector<int32_t> stepStart(p.meta.begin(),
                                       p.meta.begin() + groups + 1),
      entryStart(p.meta.begin() + groups + 1, p.meta.end());
  std::vector<int8_t> words;
  words.reserve(2 * (p.nnz + 32));
  std::vector<uint16_t> masks;
  std::vector<uint8_t> shifts;
  std::vector<int32_t> pairStart;
  std::vector<std::vector<int32_t>> rowCols(16);
  std::vector<std::vector<int8_t>> rowValues(16);
  for (int64_t g = 0; g < groups; ++g) {
    // The group's entries by row, from its steps.
    for (int r = 0; r < 16; ++r) {
      rowCols[r].clear();
      rowValues[r].clear();
    }
    int64_t base = 0, e = entryStart[g];
    for (int64_t s = stepStart[g]; s < stepStart[g + 1]; ++s) {
      base += p.shifts[s];
      for (unsigned m = p.masks[s]; m; m &= m - 1, ++e) {
        rowCols[__builtin_ctz(m)].push_back(int32_t(base + p.col8[e]));
        rowValues[__builtin_ctz(m)].push_back(p.values8[e]);
      }
    }
    pairStart.push_back(shifts.size());
    uint32_t both = 0;
    walkWindows(
        rowCols, p.cols, 2,
        [&](int r, int j, size_t i, int64_t target) {
          both |= 1u << (2 * r + j);
          words.push_back(int8_t(rowCols[r][i] - target));
          words.push_back(rowValues[r][i]);
        },
        [&](uint8_t shift) {
          masks.insert(masks.end(), {uint16_t(both), uint16_t(both >> 16)});
          shifts.push_back(shift);
          both = 0;
        });
  }
  pairStart.push_back(shifts.size());
  p.meta = std::move(pairStart);
  p.meta.insert(p.meta.end(), entryStart.begin(), entryStart.end());
  words.resize(2 * (p.nnz + 32), 0);
  p.values8 = std::move(words);
  p.masks = std::move(masks);
  p.shifts = std::move(shifts);
  p.col8.clear();
}

void pruneopt::kernels::narrowValues(PackedWeight &p, ValueType type,
                                     std::vector<float> scales) {
  p.valueType = type;
  switch (type) {
  case ValueType::F32:
    return;
  case ValueType::BF16:
  case ValueType::F16:
    p.values16.resize(p.values.size());
    for (size_t i = 0; i < p.values.size(); ++i)
      p.values16[i] =
          type == ValueType::BF16 ? toBF16(p.values[i]) : toF16(p.values[i]);
    break;
  case ValueType::I8:
    p.values8.resize(p.values.size());
    for (size_t i = 0; i < p.values.size(); ++i)
      p.values8[i] = int8_t(p.values[i]);
    p.scales = std::move(scales);
    if (p.format == Format::WindowCSR)
      pairWindowSteps(p);
    break;
  }
  p.values.clear();
  p.values.shrink_to_fit();
}

int64_t PackedWeight::bytes() const {
  // csr-window i8 keeps its columns in values8 (one byte per entry).
  const int64_t pairedColumns =
      format == Format::WindowCSR && valueType == ValueType::I8 ? nnz : 0;
  return nnz * valueBytes(valueType) + pairedColumns +
         int64_t(scales.size()) * 4 + int64_t(rowPtr.size()) * 4 +
         int64_t(col8.size()) + int64_t(col16.size()) * 2 +
         int64_t(col32.size()) * 4 + int64_t(masks.size()) * 2 +
         int64_t(codes.size()) + int64_t(meta.size()) * 4 +
         int64_t(runs.size()) * 2 + int64_t(rowIds.size()) +
         int64_t(shifts.size());
}

static PackedWeight startPack(Format format, int64_t rows, int64_t cols) {
  PackedWeight p;
  p.format = format;
  p.rows = rows;
  p.cols = cols;
  return p;
}

PackedWeight pruneopt::kernels::packDense(const float *w, int64_t rows,
                                          int64_t cols) {
  PackedWeight p = startPack(Format::Dense, rows, cols);
  // Full panels [k][16], then the last rows % 16 outputs as [k][width]
  // (no padding: the kernel loads that panel masked).
  p.values.resize(rows * cols);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t k = 0; k < cols; ++k)
      p.values[panelOffset(o, k, rows, cols)] = w[o * cols + k];
  p.nnz = rows * cols;
  return p;
}

static void setColumns(PackedWeight &p, const std::vector<int32_t> &cols,
                       int64_t maxCol) {
  p.colBits = maxCol <= 256 ? 8 : maxCol <= 65536 ? 16 : 32;
  if (p.colBits == 8)
    p.col8.assign(cols.begin(), cols.end());
  else if (p.colBits == 32)
    p.col32 = cols;
  else
    p.col16.assign(cols.begin(), cols.end());
}

/// The nonzeros of W row by row into p.values / p.rowPtr; onNonzero(o, k)
/// for each.
template <typename F>
static void collectRows(PackedWeight &p, const float *w, F onNonzero) {
  p.rowPtr.push_back(0);
  for (int64_t o = 0; o < p.rows; ++o) {
    for (int64_t k = 0; k < p.cols; ++k)
      if (w[o * p.cols + k] != 0.0f) {
        onNonzero(o, k);
        p.values.push_back(w[o * p.cols + k]);
      }
    p.rowPtr.push_back(p.values.size());
  }
  p.nnz = p.values.size();
}

PackedWeight pruneopt::kernels::packCSR(const float *w, int64_t rows,
                                        int64_t cols) {
  PackedWeight p = startPack(Format::CSR, rows, cols);
  std::vector<int32_t> col;
  collectRows(p, w, [&](int64_t, int64_t k) { col.push_back(k); });
  setColumns(p, col, cols);
  return p;
}

PackedWeight pruneopt::kernels::packTiledCSR(const float *w, int64_t rows,
                                             int64_t cols) {
  PackedWeight p = startPack(Format::TiledCSR, rows, cols);
  int64_t blocks = (rows + kTileRows - 1) / kTileRows;
  int64_t tiles = (cols + kTileCols - 1) / kTileCols;
  std::vector<int32_t> entryStart, rowStart, runStart;
  std::vector<std::pair<int, int>> visits; // (entries, row in block)
  for (int64_t rb = 0; rb < blocks; ++rb) {
    entryStart.push_back(p.values.size());
    rowStart.push_back(p.rowIds.size());
    int64_t o0 = rb * kTileRows, o1 = std::min(rows, o0 + kTileRows);
    for (int64_t t = 0; t < tiles; ++t) {
      runStart.push_back(p.runs.size() / 2);
      int64_t k0 = t * kTileCols, k1 = std::min(cols, k0 + kTileCols);
      visits.clear();
      for (int64_t o = o0; o < o1; ++o) {
        int count = 0;
        for (int64_t k = k0; k < k1; ++k)
          count += w[o * cols + k] != 0.0f;
        if (count)
          visits.push_back({count, int(o - o0)});
      }
      // Longest first; rows in order within a run.
      std::sort(visits.begin(), visits.end(), [](auto &l, auto &r) {
        return l.first != r.first ? l.first > r.first : l.second < r.second;
      });
      for (size_t v = 0; v < visits.size(); ++v) {
        if (v == 0 || visits[v].first != visits[v - 1].first) {
          p.runs.push_back(visits[v].first);
          p.runs.push_back(0);
        }
        ++p.runs.back();
        int64_t o = o0 + visits[v].second;
        p.rowIds.push_back(visits[v].second);
        for (int64_t k = k0; k < k1; ++k)
          if (w[o * cols + k] != 0.0f) {
            p.col8.push_back(k - k0);
            p.values.push_back(w[o * cols + k]);
          }
      }
    }
  }
  entryStart.push_back(p.values.size());
  rowStart.push_back(p.rowIds.size());
  runStart.push_back(p.runs.size() / 2);
  p.meta = entryStart;
  p.meta.insert(p.meta.end(), rowStart.begin(), rowStart.end());
  p.meta.insert(p.meta.end(), runStart.begin(), runStart.end());
  p.colBits = 8;
  p.nnz = p.values.size();
  return p;
}

PackedWeight pruneopt::kernels::packBitmask(const float *w, int64_t rows,
                                            int64_t cols) {
  PackedWeight p = startPack(Format::Bitmask, rows, cols);
  int64_t chunks = (cols + 15) / 16;
  p.masks.assign(rows * chunks, 0);
  collectRows(p, w, [&](int64_t o, int64_t k) {
    p.masks[o * chunks + k / 16] |= uint16_t(1u << (k % 16));
  });
  // The kernel loads 16 values per mask and expands the selected ones: the
  // last loads may run up to 16 values past the end.
  p.values.resize(p.nnz + 16, 0.0f);
  return p;
}

PackedWeight pruneopt::kernels::packWindowCSR(const float *w, int64_t rows,
                                              int64_t cols) {
  PackedWeight p = startPack(Format::WindowCSR, rows, cols);
  constexpr int64_t kGroup = 16;
  const int64_t groups = (rows + kGroup - 1) / kGroup;
  std::vector<int32_t> stepStart, entryStart;
  for (int64_t g = 0; g < groups; ++g) {
    stepStart.push_back(p.masks.size());
    entryStart.push_back(p.values.size());
    const int64_t n = std::min(kGroup, rows - g * kGroup);
    std::vector<std::vector<int32_t>> rowCols(n);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t k = 0; k < cols; ++k)
        if (w[(g * kGroup + r) * cols + k] != 0.0f)
          rowCols[r].push_back(k);
    uint16_t mask = 0;
    walkWindows(
        rowCols, cols, 1,
        [&](int r, int, size_t i, int64_t target) {
          const int64_t k = rowCols[r][i];
          mask |= uint16_t(1u << r);
          p.col8.push_back(uint8_t(k - target));
          p.values.push_back(w[(g * kGroup + r) * cols + k]);
        },
        [&](uint8_t shift) {
          p.masks.push_back(mask);
          p.shifts.push_back(shift);
          mask = 0;
        });
  }
  stepStart.push_back(p.masks.size());
  entryStart.push_back(p.values.size());
  p.meta = stepStart;
  p.meta.insert(p.meta.end(), entryStart.begin(), entryStart.end());
  p.colBits = 8;
  p.nnz = p.values.size();
  // The kernel loads 16 columns and values per step and uses the first
  // popcount(mask): the last loads may run up to 16 entries past the end.
  p.col8.resize(p.nnz + 16, 0);
  p.values.resize(p.nnz + 16, 0.0f);
  return p;
}

bool pruneopt::kernels::packBSR(const float *w, int64_t rows, int64_t cols,
                                int64_t r, int64_t c, PackedWeight &p) {
  if (r <= 0 || c <= 0 || rows % r || cols % c)
    return false;
  p = startPack(Format::BSR, rows, cols);
  p.blockRows = r;
  p.blockCols = c;
  p.rowPtr.push_back(0);
  std::vector<int32_t> col;
  for (int64_t br = 0; br < rows / r; ++br) {
    for (int64_t bc = 0; bc < cols / c; ++bc) {
      bool any = false;
      for (int64_t i = 0; i < r && !any; ++i)
        for (int64_t j = 0; j < c && !any; ++j)
          any = w[(br * r + i) * cols + bc * c + j] != 0.0f;
      if (!any)
        continue;
      col.push_back(bc);
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < c; ++j)
          p.values.push_back(w[(br * r + i) * cols + bc * c + j]);
    }
    p.rowPtr.push_back(col.size());
  }
  p.nnz = p.values.size();
  setColumns(p, col, cols / c);
  return true;
}

bool pruneopt::kernels::packNM(const float *w, int64_t rows, int64_t cols,
                               int64_t n, int64_t m, PackedWeight &p) {
  if (n <= 0 || m <= n || m > 256 || cols % m)
    return false;
  p = startPack(Format::NM, rows, cols);
  p.n = n;
  p.m = m;
  bool is24 = n == 2 && m == 4;
  int64_t perRow = cols / m * n;
  // 2:4 codes come in u32 words of 16 values: pad each row to 16 values.
  int64_t stride = is24 ? (perRow + 15) / 16 * 16 : perRow;
  p.values.assign(rows * stride, 0.0f);
  std::vector<uint8_t> offsets(rows * stride, 0);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t g = 0; g < cols / m; ++g) {
      int64_t kept = 0;
      const float *group = w + o * cols + g * m;
      for (int64_t j = 0; j < m; ++j)
        if (group[j] != 0.0f) {
          if (kept == n)
            return false;
          p.values[o * stride + g * n + kept] = group[j];
          offsets[o * stride + g * n + kept++] = j;
        }
      // Pad with explicit zeros at unused offsets (kept sorted).
      for (int64_t j = 0; kept < n && j < m; ++j)
        if (group[j] == 0.0f) {
          bool used = false;
          for (int64_t q = 0; q < kept; ++q)
            used |= offsets[o * stride + g * n + q] == j;
          if (!used) {
            offsets[o * stride + g * n + kept] = j;
            p.values[o * stride + g * n + kept++] = 0.0f;
          }
        }
    }
  p.nnz = rows * perRow;
  if (!is24) {
    p.codes = std::move(offsets);
    return true;
  }
  p.codes.assign(rows * stride / 16 * 4, 0);
  for (int64_t i = 0; i < rows * stride; ++i)
    p.codes[i / 16 * 4 + (i % 16) / 4] |= uint8_t(offsets[i] << (2 * (i % 4)));
  return true;
}
