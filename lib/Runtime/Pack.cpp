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

#include <cstring>

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

int64_t PackedWeight::bytes() const {
  return nnz * 4 + int64_t(rowPtr.size()) * 4 + int64_t(col8.size()) +
         int64_t(col16.size()) * 2 + int64_t(col32.size()) * 4 +
         int64_t(masks.size()) * 2 + int64_t(codes.size()) +
         int64_t(meta.size()) * 4 + int64_t(runs.size()) * 2 +
         int64_t(rowIds.size());
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
