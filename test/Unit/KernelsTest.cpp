//===- KernelsTest.cpp - The pruned-layer micro-kernels vs a reference ----===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Every format, with the AVX-512 and the portable kernels, one and several
// threads, batch sizes that hit every path (one-row kernels, batched chunks
// of 16 and 32, remainders), odd shapes, and both y = xW^T and y += xW^T,
// against a double-precision reference on the same pruned W.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Runtime/Kernels.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <limits>
#include <random>
#include <sys/resource.h>
#include <thread>

using namespace pruneopt::kernels;

namespace {
enum class Pattern { Unstructured, Block, NM };

struct Case {
  int64_t rows, cols;
  Pattern pattern;
  int64_t p = 1, q = 1; // block r x c, or n:m
  double sparsity = 0.9;
};

std::vector<float> makeWeight(const Case &c, std::mt19937 &rng) {
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  std::vector<float> w(c.rows * c.cols);
  for (auto &v : w)
    v = val(rng);
  if (c.pattern == Pattern::Unstructured) {
    for (auto &v : w)
      if (u(rng) < c.sparsity)
        v = 0;
  } else if (c.pattern == Pattern::Block) {
    for (int64_t br = 0; br < c.rows / c.p; ++br)
      for (int64_t bc = 0; bc < c.cols / c.q; ++bc)
        if (u(rng) < c.sparsity)
          for (int64_t i = 0; i < c.p; ++i)
            for (int64_t j = 0; j < c.q; ++j)
              w[(br * c.p + i) * c.cols + bc * c.q + j] = 0;
  } else {
    // Keep n random entries of each group of m; sometimes fewer.
    for (int64_t o = 0; o < c.rows; ++o)
      for (int64_t g = 0; g < c.cols / c.q; ++g) {
        std::vector<int> idx(c.q);
        for (int j = 0; j < c.q; ++j)
          idx[j] = j;
        std::shuffle(idx.begin(), idx.end(), rng);
        int64_t keep = u(rng) < 0.1 ? c.p - 1 : c.p;
        for (int64_t j = keep; j < c.q; ++j)
          w[o * c.cols + g * c.q + idx[j]] = 0;
      }
  }
  return w;
}

/// Runs `pw` on random x and y0 and compares with the reference. With
/// `transposed`, x is given as xT[cols][ld] and y as yT[rows][ld] (the
/// layouts of im2col convolutions), padded so strides matter. With
/// `epilogue`, a bias is added and ReLU applied after the product.
void check(const PackedWeight &pw, const std::vector<float> &w, int64_t rows,
           int64_t cols, int64_t batch, bool acc, bool transposed,
           std::mt19937 &rng, const char *what, bool epilogue = false) {
  std::uniform_real_distribution<float> val(-1, 1);
  int64_t xs, xk, ys, yo, xSize, ySize;
  if (transposed) {
    int64_t ld = batch + 3;
    xs = 1, xk = ld, ys = 1, yo = ld;
    xSize = cols * ld, ySize = rows * ld;
  } else {
    xs = cols + 3, xk = 1, ys = rows + 5, yo = 1;
    xSize = batch * xs, ySize = batch * ys;
  }
  std::vector<float> x(xSize, NAN), y(ySize, NAN);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < cols; ++k)
      x[b * xs + k * xk] = val(rng);
  std::vector<float> y0(batch * rows);
  for (auto &v : y0)
    v = val(rng);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < rows; ++o)
      y[b * ys + o * yo] = y0[b * rows + o];
  std::vector<float> bias(rows);
  for (auto &v : bias)
    v = val(rng);
  runStrided(pw, x.data(), xs, xk, y.data(), ys, yo, batch, acc,
             epilogue ? bias.data() : nullptr, epilogue);
  std::vector<bool> written(ySize, false);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < rows; ++o) {
      double ref = acc ? y0[b * rows + o] : 0.0, mag = std::fabs(ref);
      for (int64_t k = 0; k < cols; ++k) {
        double t = double(w[o * cols + k]) * x[b * xs + k * xk];
        ref += t;
        mag += std::fabs(t);
      }
      if (epilogue)
        ref = std::max(ref + bias[o], 0.0);
      ASSERT_NEAR(y[b * ys + o * yo], ref, 1e-5 * (mag + 1))
          << what << " batch " << batch << " b " << b << " o " << o
          << (transposed ? " (transposed)" : "");
      written[b * ys + o * yo] = true;
    }
  // Nothing else was written.
  for (int64_t i = 0; i < ySize; ++i)
    if (!written[i])
      ASSERT_TRUE(std::isnan(y[i])) << what << " wrote outside y at " << i;
}

/// W packed in `format` with values of `type` (quantizeValues, a packer,
/// narrowValues: what the compiler's layout::materialize does).
PackedWeight packAs(Format format, const std::vector<float> &w, const Case &c,
                    ValueType type) {
  std::vector<float> scales;
  std::vector<float> q = quantizeValues(w.data(), c.rows, c.cols, type, scales);
  PackedWeight p;
  switch (format) {
  case Format::Dense:
    p = packDense(q.data(), c.rows, c.cols);
    break;
  case Format::CSR:
    p = packCSR(q.data(), c.rows, c.cols);
    break;
  case Format::Bitmask:
    p = packBitmask(q.data(), c.rows, c.cols);
    break;
  case Format::TiledCSR:
    p = packTiledCSR(q.data(), c.rows, c.cols);
    break;
  case Format::WindowCSR:
    p = packWindowCSR(q.data(), c.rows, c.cols);
    break;
  case Format::BSR:
    EXPECT_TRUE(packBSR(q.data(), c.rows, c.cols, c.p, c.q, p));
    break;
  case Format::NM:
    EXPECT_TRUE(packNM(q.data(), c.rows, c.cols, c.p, c.q, p));
    break;
  }
  narrowValues(p, type, scales);
  return p;
}

/// Every format of the case's pattern, with values of every type, on the
/// best kernels, the AVX2 ones and the portable ones, against the
/// reference on W as that value type stores it (dequantized()).
void runAll(const Case &c) {
  std::mt19937 rng(42);
  std::vector<float> w = makeWeight(c, rng);
  std::vector<Format> formats = {Format::Dense, Format::CSR, Format::Bitmask,
                                 Format::TiledCSR, Format::WindowCSR};
  if (c.pattern == Pattern::Block)
    formats.push_back(Format::BSR);
  if (c.pattern == Pattern::NM)
    formats.push_back(Format::NM);
  for (int t = 0; t < kNumValueTypes; ++t) {
    ValueType type = static_cast<ValueType>(t);
    std::vector<float> ref = dequantized(w.data(), c.rows, c.cols, type);
    std::vector<PackedWeight> packs;
    for (Format f : formats)
      packs.push_back(packAs(f, w, c, type));
    // isa 3: AVX-512 without VBMI2 and VPOPCNTDQ (csr-window i8 and
    // bitmask's permute expansion need them).
    for (int isa : {1, 2, 0, 3})
      for (int threads : {1, 2}) {
        prune_kernels_set_isa(isa);
        prune_kernels_set_num_threads(threads);
        prune_kernels_set_parallel_threshold(0); // split even tiny layers
        for (const PackedWeight &pw : packs) {
          if (isa == 3 && pw.format != Format::WindowCSR &&
              pw.format != Format::Bitmask)
            continue;
          std::string what = std::string(formatName(pw.format)) + " " +
                             valueTypeName(type) + " isa " +
                             std::to_string(isa);
          for (int64_t batch : {1, 2, 3, 4, 16, 17, 40})
            for (bool acc : {false, true})
              for (bool transposed : {false, true})
                check(pw, ref, c.rows, c.cols, batch, acc, transposed, rng,
                      what.c_str(), /*epilogue=*/acc == transposed);
        }
      }
  }
  prune_kernels_set_isa(1);
  prune_kernels_set_parallel_threshold(200000);
}
} // namespace

TEST(Kernels, Unstructured) {
  runAll({37, 50, Pattern::Unstructured});             // u8 columns
  runAll({64, 300, Pattern::Unstructured, 1, 1, 0.5}); // u16 columns
  runAll({33, 129, Pattern::Unstructured, 1, 1, 0.0});
  // csr-tiled: 3 block rows (the last partial) x 3 column tiles.
  runAll({530, 700, Pattern::Unstructured, 1, 1, 0.9});
  // LeNet's convolutions as im2col products: fewer outputs than a dense
  // panel, and one full panel.
  runAll({6, 25, Pattern::Unstructured, 1, 1, 0.0});
  // A partial dense panel wider than 8 (the MNIST MLP's 10 outputs), and
  // one with so few columns that its last steps read the padded copy.
  runAll({10, 128, Pattern::Unstructured, 1, 1, 0.5});
  runAll({26, 3, Pattern::Unstructured, 1, 1, 0.0});
  runAll({16, 150, Pattern::Unstructured, 1, 1, 0.0});
  // ~6 entries per row (u16 columns): the AVX-512 one-row csr kernel's
  // scalar rows (up to 8 entries) and its gathers (longer rows).
  runAll({40, 300, Pattern::Unstructured, 1, 1, 0.98});
}

TEST(Kernels, ColumnWidths) {
  std::vector<float> w(3 * 70000, 0.0f);
  w[0 * 70000 + 5] = 1.0f;
  w[1 * 70000 + 69999] = 2.0f; // needs 32-bit columns
  w[2 * 70000 + 300] = 3.0f;
  EXPECT_EQ(packCSR(w.data(), 3, 70000).colBits, 32);
  EXPECT_EQ(packCSR(w.data(), 3, 256).colBits, 8);
  EXPECT_EQ(packCSR(w.data(), 3, 257).colBits, 16);
  PackedWeight p;
  ASSERT_TRUE(packBSR(w.data(), 3, 70000, 1, 2, p)); // 35000 block columns
  EXPECT_EQ(p.colBits, 16);
  std::mt19937 rng(1);
  // csr-window: window moves of more than 255 columns take steps without
  // entries (3 rows in one group: ~69999/255 of them).
  PackedWeight window = packWindowCSR(w.data(), 3, 70000);
  EXPECT_EQ(window.nnz, 3);
  EXPECT_GT(window.masks.size(), 270u);
  for (int isa : {1, 0}) {
    prune_kernels_set_isa(isa);
    for (int64_t batch : {1, 5}) {
      check(packCSR(w.data(), 3, 70000), w, 3, 70000, batch, false, false, rng,
            "csr32");
      check(window, w, 3, 70000, batch, false, false, rng, "csr-window");
    }
  }
  prune_kernels_set_isa(1);
}

TEST(Kernels, Blocks) {
  for (auto [r, c] : std::vector<std::pair<int, int>>{{4, 1},
                                                      {1, 4},
                                                      {8, 1},
                                                      {16, 1},
                                                      {1, 8},
                                                      {1, 16},
                                                      {2, 2},
                                                      {4, 4},
                                                      {8, 8},
                                                      {2, 1},
                                                      {1, 2},
                                                      {3, 2}})
    runAll({48, 96, Pattern::Block, r, c, 0.7}); // u8 block columns
  runAll({16, 600, Pattern::Block, 4, 1, 0.9});  // u16 block columns
  runAll({16, 1200, Pattern::Block, 1, 4, 0.9}); // u16 (300 block cols)
}

TEST(Kernels, NM) {
  runAll({19, 64, Pattern::NM, 2, 4});
  runAll({19, 100, Pattern::NM, 2, 4}); // rows of 50 values: padded words
  // 35 words per row: the AVX-512 2:4 kernel splits K into chunks from 4
  // batch rows on (16 words at 8 rows; the last chunk and word partial).
  runAll({20, 1100, Pattern::NM, 2, 4});
  runAll({16, 48, Pattern::NM, 4, 8});
  runAll({16, 48, Pattern::NM, 1, 4});
}

TEST(Kernels, PackRejects) {
  std::vector<float> w(8 * 8, 1.0f);
  PackedWeight p;
  EXPECT_FALSE(packBSR(w.data(), 8, 8, 3, 1, p)); // 8 % 3 != 0
  EXPECT_FALSE(packNM(w.data(), 8, 8, 2, 4, p));  // dense groups
  EXPECT_FALSE(packNM(w.data(), 8, 6, 2, 4, p));  // 6 % 4 != 0
}

TEST(Kernels, Bytes) {
  std::vector<float> w(64 * 64, 0.0f);
  for (int i = 0; i < 64 * 64; i += 10)
    w[i] = 1.0f;
  PackedWeight csr = packCSR(w.data(), 64, 64);
  // 410 values + 410 u8 columns + 65 row pointers.
  EXPECT_EQ(csr.nnz, 410);
  EXPECT_EQ(csr.bytes(), 410 * 4 + 410 * 1 + 65 * 4);
  PackedWeight bm = packBitmask(w.data(), 64, 64);
  EXPECT_EQ(bm.bytes(), 410 * 4 + 64 * 4 * 2 + 65 * 4);
  EXPECT_EQ(packDense(w.data(), 64, 64).bytes(), 64 * 64 * 4);
  // Dense panels are not padded: the last partial panel is stored narrow.
  EXPECT_EQ(packDense(w.data(), 10, 64).bytes(), 10 * 64 * 4);
  EXPECT_EQ(packDense(w.data(), 37, 64).values.size(), 37u * 64);
  // 2:4 of 64 inputs: 32 values per row, one u32 of codes per 16 values.
  PackedWeight nm;
  std::vector<float> w24(4 * 64, 0.0f);
  for (int i = 0; i < 4 * 64; i += 2)
    w24[i] = 1.0f;
  ASSERT_TRUE(packNM(w24.data(), 4, 64, 2, 4, nm));
  EXPECT_EQ(nm.bytes(), 4 * 32 * 4 + 4 * 2 * 4);
  // csr-tiled, one block: rows hold 6 or 7 entries, so two runs (longest
  // first); 410 values + 410 u8 columns + 64 u8 row ids + 2 runs (u16
  // pairs) + meta (2 entry starts, 2 row-id starts, 2 run starts).
  PackedWeight tiled = packTiledCSR(w.data(), 64, 64);
  int64_t sevens = 0;
  for (int64_t o = 0; o < 64; ++o)
    sevens += csr.rowPtr[o + 1] - csr.rowPtr[o] == 7;
  EXPECT_EQ(tiled.runs, (std::vector<uint16_t>{7, uint16_t(sevens), 6,
                                               uint16_t(64 - sevens)}));
  EXPECT_EQ(tiled.rowIds.size(), 64u); // one (row, tile) visit per row
  EXPECT_EQ(tiled.meta, (std::vector<int32_t>{0, 410, 0, 64, 0, 2}));
  EXPECT_TRUE(tiled.rowPtr.empty() && tiled.masks.empty() &&
              tiled.codes.empty());
  EXPECT_EQ(tiled.bytes(), 410 * 4 + 410 + 64 + 2 * 2 * 2 + 6 * 4);
}

/// csr-window's arrays, worked out by hand: the window starts at the
/// group's leftmost entry not taken yet (at most cols - 32), takes at most
/// one entry per row, and moves of more than 255 columns take a step
/// without entries.
TEST(Kernels, WindowLayout) {
  const int64_t rows = 17, cols = 300;
  std::vector<float> w(rows * cols, 0.0f);
  auto at = [&](int64_t o, int64_t k) -> float & { return w[o * cols + k]; };
  at(0, 0) = 1, at(0, 5) = 2, at(0, 40) = 3, at(0, 299) = 4;
  at(1, 31) = 5;
  at(16, 290) = 6; // the second group
  PackedWeight p = packWindowCSR(w.data(), rows, cols);
  // Group 0: windows at 0 (rows 0 and 1), 5, 40, then 268 (= 300 - 32,
  // not 299); group 1: 268 = 255 + 13 (a step without entries first).
  EXPECT_EQ(p.meta, (std::vector<int32_t>{0, 4, 6, 0, 5, 6}));
  EXPECT_EQ(p.masks, (std::vector<uint16_t>{3, 1, 1, 1, 0, 1}));
  EXPECT_EQ(p.shifts, (std::vector<uint8_t>{0, 5, 35, 228, 255, 13}));
  std::vector<uint8_t> col(p.col8.begin(), p.col8.begin() + p.nnz);
  EXPECT_EQ(col, (std::vector<uint8_t>{0, 31, 0, 0, 31, 22}));
  std::vector<float> values(p.values.begin(), p.values.begin() + p.nnz);
  EXPECT_EQ(values, (std::vector<float>{1, 5, 2, 3, 4, 6}));
  // Padded by 16 entries (the kernel's loads of 16).
  EXPECT_EQ(p.col8.size(), 6u + 16);
  EXPECT_EQ(p.values.size(), 6u + 16);
  EXPECT_EQ(p.bytes(), 6 * 4 + 6 * 4 + 6 * 2 + 6 + (6 + 16));
}

/// csr-window with i8 values, worked out by hand: the steps re-cut into
/// pairs that share a window, up to two entries per row from it, the
/// entries (column, value) by row, then entry, and two u16 masks per pair
/// (bit 2r / 2r + 1: row r's first / second entry).
TEST(Kernels, WindowLayoutInt8) {
  const int64_t rows = 17, cols = 300;
  std::vector<float> w(rows * cols, 0.0f);
  auto at = [&](int64_t o, int64_t k) -> float & { return w[o * cols + k]; };
  at(0, 0) = 1, at(0, 5) = 2, at(0, 40) = 3, at(0, 299) = -4;
  at(1, 31) = 5;
  at(16, 290) = 6;
  PackedWeight p = packWindowCSR(w.data(), rows, cols);
  narrowValues(p, ValueType::I8, std::vector<float>(rows, 1.0f));
  // Group 0: window 0 (row 0's entries 0 and 5, row 1's 31), 40, then
  // 268; group 1: a pair without entries (255), then 268.
  EXPECT_EQ(p.meta, (std::vector<int32_t>{0, 3, 5, 0, 5, 6}));
  EXPECT_EQ(p.masks, (std::vector<uint16_t>{7, 0, 1, 0, 1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(p.shifts, (std::vector<uint8_t>{0, 40, 228, 255, 13}));
  std::vector<int8_t> words(p.values8.begin(), p.values8.begin() + 12);
  EXPECT_EQ(words,
            (std::vector<int8_t>{0, 1, 5, 2, 31, 5, 0, 3, 31, -4, 22, 6}));
  EXPECT_EQ(p.values8.size(), 2u * (6 + 32)); // the kernel's loads of 32
  EXPECT_TRUE(p.col8.empty());
  EXPECT_EQ(p.bytes(), 6 * 2 + rows * 4 + 10 * 2 + 6 * 4 + 5);
}

/// The sparse formats that skip what is not stored (csr, csr-window) give
/// an output whose row has no entry in an input's column a finite value
/// when that input is infinite or NaN (no 0 * inf), with every value type
/// and kernel; the rows that use it get what the reference gets, also for
/// a huge finite input.
TEST(Kernels, NonFiniteInputs) {
  std::mt19937 rng(3);
  const Case c{40, 200, Pattern::Unstructured, 1, 1, 0.9};
  std::vector<float> w = makeWeight(c, rng);
  std::uniform_real_distribution<float> val(-1, 1);
  // The first group's first window starts at its leftmost entry: the
  // AVX-512 csr-window kernels read that input in every lane of its first
  // step, with an entry or not.
  int64_t badColumn = c.cols;
  for (int64_t o = 0; o < 16; ++o)
    for (int64_t k = 0; k < badColumn; ++k)
      if (w[o * c.cols + k] != 0.0f)
        badColumn = k;
  ASSERT_LT(badColumn, c.cols);
  for (int t = 0; t < kNumValueTypes; ++t) {
    const ValueType type = static_cast<ValueType>(t);
    const std::vector<float> ref = dequantized(w.data(), c.rows, c.cols, type);
    for (Format f : {Format::CSR, Format::WindowCSR}) {
      const PackedWeight pw = packAs(f, w, c, type);
      for (int isa : {1, 0, 3}) {
        prune_kernels_set_isa(isa);
        // 1e30: finite, but times 2^24 (the i8 kernel's widening) and a
        // value, past the largest float.
        for (float bad : {INFINITY, -INFINITY, NAN, 1e30f}) {
          for (int64_t batch : {1, 2}) {
            std::vector<float> x(batch * c.cols), y(batch * c.rows);
            for (float &v : x)
              v = val(rng);
            x[badColumn] = bad; // batch row 0 only
            run(pw, x.data(), c.cols, y.data(), c.rows, batch, false);
            for (int64_t b = 0; b < batch; ++b)
              for (int64_t o = 0; o < c.rows; ++o) {
                double r = 0, mag = 0;
                for (int64_t k = 0; k < c.cols; ++k)
                  if (ref[o * c.cols + k] != 0.0f) {
                    const double term =
                        double(ref[o * c.cols + k]) * x[b * c.cols + k];
                    r += term;
                    mag += std::fabs(term);
                  }
                const float got = y[b * c.rows + o];
                const std::string what =
                    std::string(formatName(f)) + " " + valueTypeName(type) +
                    " isa " + std::to_string(isa) + " x " +
                    std::to_string(bad) + " b " + std::to_string(b) + " o " +
                    std::to_string(o);
                if (std::isfinite(r))
                  ASSERT_NEAR(got, r, 1e-5 * (mag + 1)) << what;
                else if (std::isnan(r))
                  ASSERT_TRUE(std::isnan(got)) << what;
                else
                  ASSERT_EQ(got, r) << what;
              }
          }
        }
      }
    }
  }
  prune_kernels_set_isa(1);
}

//===----------------------------------------------------------------------===//
// The fused epilogue (bias, ReLU) applied inside the kernels
//===----------------------------------------------------------------------===//

namespace {
/// The weights of every format: unstructured (dense, csr, bitmask,
/// csr-tiled), 4x1 blocks (bsr) and 2:4 (nm). 530 x 300: three csr-tiled
/// block rows (the last partial) x two column tiles, u16 csr columns, a
/// partial last dense panel.
std::vector<std::pair<PackedWeight, std::vector<float>>> everyFormat() {
  std::mt19937 rng(7);
  const int64_t rows = 530, cols = 300;
  std::vector<std::pair<PackedWeight, std::vector<float>>> out;
  std::vector<float> w =
      makeWeight({rows, cols, Pattern::Unstructured, 1, 1, 0.8}, rng);
  out.push_back({packDense(w.data(), rows, cols), w});
  out.push_back({packCSR(w.data(), rows, cols), w});
  out.push_back({packBitmask(w.data(), rows, cols), w});
  out.push_back({packTiledCSR(w.data(), rows, cols), w});
  out.push_back({packWindowCSR(w.data(), rows, cols), w});
  std::vector<float> wb = makeWeight({rows, cols, Pattern::Block, 2, 1}, rng);
  PackedWeight p;
  EXPECT_TRUE(packBSR(wb.data(), rows, cols, 2, 1, p));
  out.push_back({p, wb});
  std::vector<float> wn = makeWeight({rows, cols, Pattern::NM, 2, 4}, rng);
  EXPECT_TRUE(packNM(wn.data(), rows, cols, 2, 4, p));
  out.push_back({p, wn});
  return out;
}

/// Runs every format with every epilogue (none, accumulate, bias, relu,
/// bias+relu, all three), batches that take every path, row-major and
/// transposed x and y (padded strides), on `isa`. Each result must equal
/// (1) the same call without the epilogue followed by the old separate
/// sweep (bias added, then max(0, v) keeping NaN), bit for bit, and
/// (2) a double-precision reference of the masked dense product.
void checkEpilogues(int isa, int threads) {
  prune_kernels_set_isa(isa);
  prune_kernels_set_num_threads(threads);
  prune_kernels_set_parallel_threshold(0);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> val(-1, 1);
  for (auto &[pw, w] : everyFormat()) {
    const int64_t rows = pw.rows, cols = pw.cols;
    const char *what = formatName(pw.format);
    std::vector<float> bias(rows);
    for (auto &v : bias)
      v = val(rng);
    for (int64_t batch : {1, 3, 8, 32, 37})
      for (bool transposed : {false, true}) {
        int64_t xs, xk, ys, yo, xSize, ySize;
        if (transposed) {
          int64_t ld = batch + 3;
          xs = 1, xk = ld, ys = 1, yo = ld;
          xSize = cols * ld, ySize = rows * ld;
        } else {
          xs = cols + 3, xk = 1, ys = rows + 5, yo = 1;
          xSize = batch * xs, ySize = batch * ys;
        }
        std::vector<float> x(xSize, NAN), y0(ySize, NAN);
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t k = 0; k < cols; ++k)
            x[b * xs + k * xk] = val(rng);
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t o = 0; o < rows; ++o)
            y0[b * ys + o * yo] = val(rng);
        y0[(batch - 1) * ys + (rows / 2) * yo] = NAN; // kept by ReLU
        // Double reference of the product.
        std::vector<double> ref(batch * rows), mag(batch * rows);
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t o = 0; o < rows; ++o)
            for (int64_t k = 0; k < cols; ++k) {
              double t = double(w[o * cols + k]) * x[b * xs + k * xk];
              ref[b * rows + o] += t;
              mag[b * rows + o] += std::fabs(t);
            }
        for (bool acc : {false, true}) {
          // The product alone (with accumulation), then the old sweep.
          std::vector<float> plain = y0;
          runStrided(pw, x.data(), xs, xk, plain.data(), ys, yo, batch, acc);
          for (bool withBias : {false, true})
            for (bool relu : {false, true}) {
              if (acc && withBias != relu)
                continue; // acc alone and acc+bias+relu
              std::vector<float> y = y0;
              runStrided(pw, x.data(), xs, xk, y.data(), ys, yo, batch, acc,
                         withBias ? bias.data() : nullptr, relu);
              std::string tag = std::string(what) + " isa " +
                                std::to_string(isa) + " batch " +
                                std::to_string(batch) +
                                (transposed ? " transposed" : "") +
                                (acc ? " acc" : "") + (withBias ? " bias" : "") +
                                (relu ? " relu" : "");
              std::vector<bool> written(ySize, false);
              for (int64_t b = 0; b < batch; ++b)
                for (int64_t o = 0; o < rows; ++o) {
                  int64_t i = b * ys + o * yo;
                  written[i] = true;
                  float sweep = plain[i];
                  if (withBias)
                    sweep += bias[o];
                  if (relu)
                    sweep = 0.0f > sweep ? 0.0f : sweep;
                  ASSERT_EQ(std::memcmp(&y[i], &sweep, sizeof(float)), 0)
                      << tag << " b " << b << " o " << o << ": " << y[i]
                      << " vs " << sweep;
                  double r = ref[b * rows + o] + (acc ? y0[i] : 0.0) +
                             (withBias ? bias[o] : 0.0);
                  if (relu)
                    r = 0.0 > r ? 0.0 : r; // NaN stays NaN
                  if (std::isnan(r)) {
                    ASSERT_TRUE(std::isnan(y[i])) << tag;
                    continue;
                  }
                  ASSERT_NEAR(y[i], r, 1e-5 * (mag[b * rows + o] + 2)) << tag;
                }
              for (int64_t i = 0; i < ySize; ++i)
                if (!written[i])
                  ASSERT_TRUE(std::isnan(y[i]))
                      << tag << " wrote outside y at " << i;
            }
        }
      }
  }
  prune_kernels_set_isa(1);
  prune_kernels_set_parallel_threshold(200000);
}
} // namespace

/// A convolution that reads its input in place (nn-lower-kernels'
/// lowerConvInPlace): filter column (c, kh, kw) renumbered to input offset
/// c*H*W + kh*dh*W + kw*dw, x the input itself with unit strides (rows
/// overlap), batch P' = (OH-1)*W + OW positions of a grid as wide as the
/// input, y transposed with row stride OH*W. Every ISA, csr and csr-tiled,
/// f32 and i8 values, bias + ReLU: the valid outputs match a direct
/// convolution, the dropped columns (ow >= OW) are the only others
/// written, and nothing past P'.
TEST(Kernels, ConvInPlace) {
  struct Geometry {
    int64_t c, h, w, f, kh, kw, dh, dw;
  };
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  for (Geometry g :
       {Geometry{1, 9, 11, 3, 3, 3, 1, 1}, Geometry{3, 6, 7, 5, 2, 3, 2, 1},
        Geometry{2, 12, 13, 17, 5, 5, 1, 2},
        // P' = 430: three full blocks of 128 positions and a partial one
        // (the AVX-512 csr kernel's row spans).
        Geometry{2, 20, 24, 4, 3, 3, 1, 1},
        // 1x1 filters, P' = h*w: the row spans' last block of 2, 4, 7
        // and 8 vectors, and none (256).
        Geometry{2, 4, 7, 3, 1, 1, 1, 1}, Geometry{1, 8, 23, 2, 1, 1, 1, 1},
        Geometry{1, 10, 10, 2, 1, 1, 1, 1}, Geometry{1, 8, 31, 2, 1, 1, 1, 1},
        Geometry{1, 16, 16, 3, 1, 1, 1, 1}}) {
    const int64_t oh = g.h - (g.kh - 1) * g.dh, ow = g.w - (g.kw - 1) * g.dw;
    const int64_t k = g.c * g.kh * g.kw;
    const int64_t cols =
        (g.c - 1) * g.h * g.w + (g.kh - 1) * g.dh * g.w + (g.kw - 1) * g.dw + 1;
    const int64_t positions = (oh - 1) * g.w + ow, ld = oh * g.w;
    std::vector<float> filter(g.f * k);
    for (auto &v : filter)
      v = u(rng) < 0.6 ? 0.0f : val(rng);
    std::vector<float> in(g.c * g.h * g.w), bias(g.f);
    for (auto &v : in)
      v = val(rng);
    for (auto &v : bias)
      v = val(rng);
    for (ValueType type : {ValueType::F32, ValueType::I8}) {
      std::vector<float> scales;
      std::vector<float> q =
          quantizeValues(filter.data(), g.f, k, type, scales);
      std::vector<float> ref = dequantized(filter.data(), g.f, k, type);
      std::vector<float> renumbered(g.f * cols, 0.0f);
      for (int64_t f = 0; f < g.f; ++f)
        for (int64_t c = 0; c < g.c; ++c)
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j)
              renumbered[f * cols + c * g.h * g.w + i * g.dh * g.w + j * g.dw] =
                  q[f * k + (c * g.kh + i) * g.kw + j];
      for (Format format : {Format::CSR, Format::TiledCSR}) {
        PackedWeight pw = format == Format::CSR
                              ? packCSR(renumbered.data(), g.f, cols)
                              : packTiledCSR(renumbered.data(), g.f, cols);
        narrowValues(pw, type, scales);
        for (int isa : {1, 2, 0})
          for (int threads : {1, 2}) {
            prune_kernels_set_isa(isa);
            prune_kernels_set_num_threads(threads);
            prune_kernels_set_parallel_threshold(0);
            std::vector<float> y(g.f * ld, NAN);
            runStrided(pw, in.data(), 1, 1, y.data(), 1, ld, positions, false,
                       bias.data(), true);
            std::string what = std::string(formatName(format)) + " " +
                               valueTypeName(type) + " isa " +
                               std::to_string(isa) + " threads " +
                               std::to_string(threads);
            for (int64_t f = 0; f < g.f; ++f)
              for (int64_t p = 0; p < ld; ++p) {
                float got = y[f * ld + p];
                if (p >= positions) {
                  ASSERT_TRUE(std::isnan(got)) << what << " wrote past P'";
                  continue;
                }
                int64_t r = p / g.w, col = p % g.w;
                if (col >= ow)
                  continue; // a dropped column
                double sum = bias[f], mag = std::fabs(sum);
                for (int64_t c = 0; c < g.c; ++c)
                  for (int64_t i = 0; i < g.kh; ++i)
                    for (int64_t j = 0; j < g.kw; ++j) {
                      double t =
                          double(ref[f * k + (c * g.kh + i) * g.kw + j]) *
                          in[(c * g.h + r + i * g.dh) * g.w + col + j * g.dw];
                      sum += t;
                      mag += std::fabs(t);
                    }
                ASSERT_NEAR(got, std::max(sum, 0.0), 1e-5 * (mag + 1))
                    << what << " f " << f << " p " << p;
              }
          }
      }
    }
  }
  prune_kernels_set_isa(1);
  prune_kernels_set_num_threads(1);
  prune_kernels_set_parallel_threshold(200000);
}

TEST(Kernels, EpiloguePortable) {
  checkEpilogues(/*isa=*/0, /*threads=*/1);
  checkEpilogues(/*isa=*/0, /*threads=*/2);
}

TEST(Kernels, EpilogueAvx2) {
  if (!prune_kernels_has_avx2())
    GTEST_SKIP() << "no AVX2 on this CPU";
  checkEpilogues(/*isa=*/2, /*threads=*/1);
  checkEpilogues(/*isa=*/2, /*threads=*/2);
}

TEST(Kernels, EpilogueAvx512) {
  if (!prune_kernels_has_avx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  checkEpilogues(/*isa=*/1, /*threads=*/1);
  checkEpilogues(/*isa=*/1, /*threads=*/2);
}

//===----------------------------------------------------------------------===//
// The table of entry points (Kernels.def) and of formats (Formats.def)
//===----------------------------------------------------------------------===//

TEST(Kernels, FormatNames) {
  const char *names[] = {"dense", "csr",       "bitmask",   "bsr",
                         "nm",    "csr-tiled", "csr-window"};
  ASSERT_EQ(kNumFormats, 7);
  for (int i = 0; i < kNumFormats; ++i) {
    Format f = static_cast<Format>(i), parsed;
    EXPECT_STREQ(formatName(f), names[i]);
    ASSERT_TRUE(parseFormat(formatName(f), parsed)) << names[i];
    EXPECT_EQ(parsed, f);
    EXPECT_EQ(isSelectable(f), f != Format::TiledCSR);
  }
  Format f;
  EXPECT_FALSE(parseFormat("csr8", f));
  EXPECT_FALSE(parseFormat("", f));
}

namespace {
/// "suffix:f32" / "suffix:i32" / "suffix:u8" ... for each array of a call.
std::string describe(const KernelCall &call) {
  std::string s = call.symbol + "(";
  for (const KernelArray &a : call.arrays)
    s += std::string(a.suffix) + ":" +
         (a.isFloat ? "f" : a.isSigned ? "i" : "u") +
         std::to_string(a.elementBits) + " ";
  for (int64_t v : call.scalars)
    s += std::to_string(v) + " ";
  return s + ")";
}

/// The arrays of a call point into the packed weight, whole.
void expectArraysOf(const KernelCall &call, const PackedWeight &p) {
  for (const KernelArray &a : call.arrays) {
    std::string suffix = a.suffix;
    auto same = [&](const auto &v) {
      EXPECT_EQ(a.data, static_cast<const void *>(v.data())) << suffix;
      EXPECT_EQ(a.size, int64_t(v.size())) << suffix;
    };
    if (suffix == "_values")
      same(p.values);
    else if (suffix == "_rowptr")
      same(p.rowPtr);
    else if (suffix == "_col")
      p.colBits == 8 ? same(p.col8) : p.colBits == 16 ? same(p.col16)
                                                      : same(p.col32);
    else if (suffix == "_masks")
      same(p.masks);
    else if (suffix == "_codes")
      same(p.codes);
    else if (suffix == "_meta")
      same(p.meta);
    else if (suffix == "_runs")
      same(p.runs);
    else if (suffix == "_rowids")
      same(p.rowIds);
    else if (suffix == "_shifts")
      same(p.shifts);
    else
      ADD_FAILURE() << "unknown array " << suffix;
  }
}
} // namespace

TEST(Kernels, KernelCall) {
  std::mt19937 rng(5);
  std::vector<float> w = makeWeight({8, 64, Pattern::Block, 2, 2, 0.5}, rng);
  std::vector<float> w24 = makeWeight({8, 64, Pattern::NM, 2, 4}, rng);
  std::vector<float> wide(3 * 70000, 0.0f);
  wide[69999] = 1.0f;
  wide[70000 + 300] = 2.0f;
  PackedWeight bsr, bsr16, bsr32, nm, nm48;
  ASSERT_TRUE(packBSR(w.data(), 8, 64, 2, 2, bsr));
  ASSERT_TRUE(packBSR(wide.data(), 3, 70000, 1, 2, bsr16));
  ASSERT_TRUE(packBSR(wide.data(), 3, 70000, 1, 1, bsr32));
  ASSERT_TRUE(packNM(w24.data(), 8, 64, 2, 4, nm));
  ASSERT_TRUE(packNM(w24.data(), 8, 64, 4, 8, nm48));
  std::vector<std::pair<PackedWeight, std::string>> cases = {
      {packDense(w.data(), 8, 64), "prune_mr_dense(_values:f32 )"},
      {packCSR(w.data(), 8, 64),
       "prune_mr_csr8(_rowptr:i32 _col:u8 _values:f32 )"},
      {packCSR(wide.data(), 3, 700),
       "prune_mr_csr16(_rowptr:i32 _col:u16 _values:f32 )"},
      {packCSR(wide.data(), 3, 70000),
       "prune_mr_csr32(_rowptr:i32 _col:i32 _values:f32 )"},
      {packBitmask(w.data(), 8, 64),
       "prune_mr_bitmask(_rowptr:i32 _masks:u16 _values:f32 )"},
      {bsr, "prune_mr_bsr8(_rowptr:i32 _col:u8 _values:f32 2 2 )"},
      {bsr16, "prune_mr_bsr16(_rowptr:i32 _col:u16 _values:f32 1 2 )"},
      {bsr32, "prune_mr_bsr32(_rowptr:i32 _col:i32 _values:f32 1 1 )"},
      {packTiledCSR(w.data(), 8, 64),
       "prune_mr_csr_tiled(_meta:i32 _runs:u16 _rowids:u8 _col:u8 "
       "_values:f32 )"},
      {packWindowCSR(w.data(), 8, 64),
       "prune_mr_csr_window(_meta:i32 _masks:u16 _shifts:u8 _col:u8 "
       "_values:f32 )"},
      {nm, "prune_mr_nm(_codes:u8 _values:f32 2 4 )"},
      {nm48, "prune_mr_nm(_codes:u8 _values:f32 4 8 )"},
  };
  for (const auto &[p, expected] : cases) {
    KernelCall call = kernelCall(p);
    EXPECT_EQ(describe(call), expected) << formatName(p.format);
    expectArraysOf(call, p);
  }
  // intAt reads unsigned indices as such.
  std::vector<float> top(3 * 256, 0.0f);
  top[255] = 1.0f;
  PackedWeight csr = packCSR(top.data(), 3, 256);
  KernelCall call = kernelCall(csr);
  ASSERT_EQ(call.arrays[1].size, 1);
  EXPECT_EQ(call.arrays[1].intAt(0), 255);
}

namespace {
/// MLIR's C-interface memref descriptors.
struct MemRef1 {
  const void *allocated, *aligned;
  int64_t offset, size, stride;
};
struct MemRef2 {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};

/// Calls _mlir_ciface_<call.symbol>(y, x, arrays..., scalars..., flags,
/// bias) as a compiled model does, from kernelCall's description alone.
void callCInterface(const KernelCall &call, MemRef2 *y, MemRef2 *x,
                    int32_t flags, MemRef1 *bias) {
  std::string name = "_mlir_ciface_" + call.symbol;
  void *fn = dlsym(RTLD_DEFAULT, name.c_str());
  ASSERT_NE(fn, nullptr) << name;
  std::vector<MemRef1> a;
  for (const KernelArray &array : call.arrays)
    a.push_back({array.data, array.data, 0, array.size, 1});
  const std::vector<int64_t> &s = call.scalars;
  using M1 = MemRef1 *;
  using M2 = MemRef2 *;
  switch (a.size() * 10 + s.size()) {
  case 10:
    return reinterpret_cast<void (*)(M2, M2, M1, int32_t, M1)>(fn)(
        y, x, &a[0], flags, bias);
  case 22:
    return reinterpret_cast<void (*)(M2, M2, M1, M1, int64_t, int64_t, int32_t,
                                     M1)>(fn)(y, x, &a[0], &a[1], s[0], s[1],
                                              flags, bias);
  case 30:
    return reinterpret_cast<void (*)(M2, M2, M1, M1, M1, int32_t, M1)>(fn)(
        y, x, &a[0], &a[1], &a[2], flags, bias);
  case 32:
    return reinterpret_cast<void (*)(M2, M2, M1, M1, M1, int64_t, int64_t,
                                     int32_t, M1)>(fn)(
        y, x, &a[0], &a[1], &a[2], s[0], s[1], flags, bias);
  case 50:
    return reinterpret_cast<void (*)(M2, M2, M1, M1, M1, M1, M1, int32_t, M1)>(
        fn)(y, x, &a[0], &a[1], &a[2], &a[3], &a[4], flags, bias);
  default:
    FAIL() << name << ": no test call for " << a.size() << " arrays and "
           << s.size() << " scalars";
  }
}

/// The same product through the raw entry point prune_fc_<format>.
void callRaw(const PackedWeight &p, float *y, int64_t ys, int64_t yo,
             const float *x, int64_t xs, int64_t xk, int64_t batch,
             int32_t flags, const float *bias) {
  const void *col = p.colBits == 8    ? (const void *)p.col8.data()
                    : p.colBits == 32 ? (const void *)p.col32.data()
                                      : (const void *)p.col16.data();
  int64_t r = p.rows, c = p.cols;
  switch (p.format) {
  case Format::Dense:
    return prune_fc_dense(y, ys, yo, x, xs, xk, batch, r, c, p.values.data(),
                          flags, bias);
  case Format::CSR:
    return prune_fc_csr(y, ys, yo, x, xs, xk, batch, r, c, p.rowPtr.data(),
                        col, p.colBits, p.values.data(), flags, bias);
  case Format::Bitmask:
    return prune_fc_bitmask(y, ys, yo, x, xs, xk, batch, r, c,
                            p.rowPtr.data(), p.masks.data(), p.values.data(),
                            flags, bias);
  case Format::BSR:
    return prune_fc_bsr(y, ys, yo, x, xs, xk, batch, r, c, p.blockRows,
                        p.blockCols, p.rowPtr.data(), col, p.colBits,
                        p.values.data(), flags, bias);
  case Format::NM:
    return prune_fc_nm(y, ys, yo, x, xs, xk, batch, r, c, p.n, p.m,
                       p.codes.data(), p.values.data(), flags, bias);
  case Format::TiledCSR:
    return prune_fc_csr_tiled(y, ys, yo, x, xs, xk, batch, r, c,
                              p.meta.data(), p.runs.data(), p.rowIds.data(),
                              p.col8.data(), p.values.data(), flags, bias);
  case Format::WindowCSR:
    return prune_fc_csr_window(y, ys, yo, x, xs, xk, batch, r, c, p.meta.data(),
                               p.masks.data(), p.shifts.data(), p.col8.data(),
                               p.values.data(), flags, bias);
  }
}
} // namespace

/// The C interface (called from kernelCall's description, as nn-lower-kernels
/// emits it) and the raw entry points compute what runStrided does, bit for
/// bit, for every format, epilogue and layout.
TEST(Kernels, EntryPoints) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> val(-1, 1);
  prune_kernels_set_parallel_threshold(0);
  auto formats = everyFormat();
  std::vector<float> wide(3 * 70000, 0.0f);
  for (int64_t i = 0; i < 3 * 70000; i += 997)
    wide[i] = val(rng);
  formats.push_back({packCSR(wide.data(), 3, 70000), wide}); // csr32
  PackedWeight bsr32;
  ASSERT_TRUE(packBSR(wide.data(), 3, 70000, 1, 1, bsr32));
  formats.push_back({bsr32, wide});
  for (int isa : {0, 1}) {
    prune_kernels_set_isa(isa);
    for (auto &[pw, w] : formats) {
      int64_t rows = pw.rows, cols = pw.cols;
      KernelCall call = kernelCall(pw);
      std::vector<float> bias(rows);
      for (auto &v : bias)
        v = val(rng);
      for (int64_t batch : {1, 5, 37})
        for (bool transposed : {false, true})
          for (int32_t flags : {0, int(PRUNE_ACCUMULATE), int(PRUNE_RELU),
                                PRUNE_ACCUMULATE | PRUNE_RELU})
            for (bool withBias : {false, true}) {
              // x [batch, cols] and y [batch, rows], or transposed in place.
              int64_t ld = batch + 3;
              int64_t xs = transposed ? 1 : cols + 3,
                      xk = transposed ? ld : 1;
              int64_t ys = transposed ? 1 : rows + 5,
                      yo = transposed ? ld : 1;
              std::vector<float> x(transposed ? cols * ld : batch * xs);
              std::vector<float> y0(transposed ? rows * ld : batch * ys);
              for (auto &v : x)
                v = val(rng);
              for (auto &v : y0)
                v = val(rng);
              std::vector<float> want = y0, got = y0, raw = y0;
              runStrided(pw, x.data(), xs, xk, want.data(), ys, yo, batch,
                         flags & PRUNE_ACCUMULATE,
                         withBias ? bias.data() : nullptr, flags & PRUNE_RELU);
              MemRef2 yd{got.data(), got.data(), 0, {batch, rows}, {ys, yo}};
              MemRef2 xd{x.data(), x.data(), 0, {batch, cols}, {xs, xk}};
              MemRef1 bd{bias.data(), bias.data(), 0,
                         withBias ? rows : 0, 1};
              callCInterface(call, &yd, &xd, flags, &bd);
              callRaw(pw, raw.data(), ys, yo, x.data(), xs, xk, batch, flags,
                      withBias ? bias.data() : nullptr);
              std::string tag = call.symbol + " isa " + std::to_string(isa) +
                                " batch " + std::to_string(batch) +
                                " flags " + std::to_string(flags) +
                                (withBias ? " bias" : "") +
                                (transposed ? " transposed" : "");
              ASSERT_EQ(std::memcmp(got.data(), want.data(),
                                    want.size() * sizeof(float)),
                        0)
                  << tag;
              ASSERT_EQ(std::memcmp(raw.data(), want.data(),
                                    want.size() * sizeof(float)),
                        0)
                  << tag << " (raw)";
            }
    }
  }
  prune_kernels_set_isa(1);
  prune_kernels_set_parallel_threshold(200000);
}

//===----------------------------------------------------------------------===//
// Value types: conversions, quantization, entry points, bytes
//===----------------------------------------------------------------------===//

TEST(Kernels, SixteenBitConversions) {
  // Exact values, ties to even, overflow, subnormals, NaN.
  EXPECT_EQ(toF16(1.0f), 0x3c00);
  EXPECT_EQ(toF16(-2.0f), 0xc000);
  EXPECT_EQ(toF16(65504.0f), 0x7bff);
  EXPECT_EQ(toF16(65520.0f), 0x7c00);      // rounds to infinity
  EXPECT_EQ(toF16(1.0f + 0x1p-11f), 0x3c00); // tie: to even
  EXPECT_EQ(toF16(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(toF16(0x1p-24f), 0x0001);        // smallest subnormal
  EXPECT_EQ(toF16(0x1p-25f), 0x0000);        // tie to even: zero
  EXPECT_EQ(toF16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(toF16(0x1p-14f), 0x0400);        // smallest normal
  EXPECT_TRUE(std::isnan(fromF16(toF16(NAN))));
  EXPECT_EQ(toBF16(1.0f), 0x3f80);
  EXPECT_EQ(toBF16(1.0f + 0x1p-8f), 0x3f80); // tie: to even
  EXPECT_EQ(toBF16(1.0f + 3 * 0x1p-8f), 0x3f82);
  EXPECT_TRUE(std::isnan(fromBF16(toBF16(NAN))));
  // Round trips of every 16-bit pattern that is not NaN.
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fromF16(uint16_t(h));
    if (!std::isnan(f))
      ASSERT_EQ(toF16(f), h) << h;
    float b = fromBF16(uint16_t(h));
    if (!std::isnan(b))
      ASSERT_EQ(toBF16(b), h) << h;
  }
  // Against the hardware conversion, on random floats of every magnitude.
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = bits(rng);
    float f;
    std::memcpy(&f, &u, 4);
    if (std::isnan(f))
      continue;
    _Float16 h = static_cast<_Float16>(f);
    uint16_t hb;
    std::memcpy(&hb, &h, 2);
    ASSERT_EQ(toF16(f), hb) << f;
  }
}

TEST(Kernels, Int8QuantizationOfDenormals) {
  // A row whose max |w| / 127 underflows to 0 (found by prune-fuzz: w / 0
  // was NaN, its conversion to int8 undefined): the scale is the least
  // denormal, and the q are exact.
  const float tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> w = {tiny, -tiny, 0.0f, 3 * tiny};
  std::vector<float> scales;
  std::vector<float> q = quantizeValues(w.data(), 1, 4, ValueType::I8, scales);
  ASSERT_EQ(scales.size(), 1u);
  EXPECT_EQ(scales[0], tiny);
  EXPECT_EQ(q, (std::vector<float>{1, -1, 0, 3}));
  EXPECT_EQ(dequantized(w.data(), 1, 4, ValueType::I8), w);
}

TEST(Kernels, Int8Quantization) {
  // Per output row: scale = max |w| / 127, q = round(w / scale).
  std::vector<float> w = {0.5f, -1.0f, 0.0f, 0.25f, // row 0: scale 1/127
                          0.0f, 0.0f, 0.0f, 0.0f,   // row 1: all zero
                          3.0f, 0.01f, -3.0f, 1.5f};
  std::vector<float> scales;
  std::vector<float> q = quantizeValues(w.data(), 3, 4, ValueType::I8, scales);
  ASSERT_EQ(scales.size(), 3u);
  EXPECT_FLOAT_EQ(scales[0], 1.0f / 127);
  EXPECT_EQ(scales[1], 1.0f);
  EXPECT_FLOAT_EQ(scales[2], 3.0f / 127);
  std::vector<float> expect = {64, -127, 0, 32, 0, 0, 0, 0, 127, 0, -127, 64};
  EXPECT_EQ(q, expect); // 0.01 / (3/127) = 0.42: pruned by rounding
  std::vector<float> d = dequantized(w.data(), 3, 4, ValueType::I8);
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(d[i], w[i], scales[i / 4] / 2 + 1e-7) << i;
  // Packed: the csr keeps the entries that stayed nonzero, as i8.
  PackedWeight p = packCSR(q.data(), 3, 4);
  narrowValues(p, ValueType::I8, scales);
  EXPECT_TRUE(p.values.empty());
  EXPECT_EQ(p.values8, (std::vector<int8_t>{64, -127, 32, 127, -127, 64}));
  EXPECT_EQ(p.bytes(), 6 * 1 + 3 * 4 + 4 * 4 + 6); // values, scales, rowPtr, u8 col
  KernelCall call = kernelCall(p);
  EXPECT_EQ(call.symbol, "prune_mr_csr8_i8");
  ASSERT_EQ(call.arrays.size(), 4u);
  EXPECT_STREQ(call.arrays[2].suffix, "_values");
  EXPECT_EQ(call.arrays[2].elementBits, 8);
  EXPECT_TRUE(call.arrays[2].isSigned);
  EXPECT_STREQ(call.arrays[3].suffix, "_scales");
  EXPECT_TRUE(call.arrays[3].isFloat);
  // 16-bit values: their bits, unsigned.
  PackedWeight h = packDense(w.data(), 3, 4);
  narrowValues(h, ValueType::BF16, {});
  EXPECT_EQ(kernelCall(h).symbol, "prune_mr_dense_bf16");
  EXPECT_EQ(h.bytes(), 12 * 2);
  ValueType t;
  EXPECT_TRUE(parseValueType("f16", t));
  EXPECT_EQ(t, ValueType::F16);
  EXPECT_FALSE(parseValueType("int8", t));
}

// Workers that take no part in calls do not spin: warming the pool up while
// calls run on the caller's thread alone costs no CPU time (before, each
// warm-up had every worker spin 2 ms beside the serial call it preceded).
TEST(Kernels, IdleWorkersDoNotSpin) {
  prune_kernels_set_num_threads(2); // at least one worker
  prune_kernels_set_num_threads(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // settle
  auto cpuMs = [] {
    rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
  };
  double before = cpuMs();
  for (int i = 0; i < 10; ++i) {
    prune_kernels_warm_up();
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
  }
  EXPECT_LT(cpuMs() - before, 5.0); // spinning workers: >= 20 ms
}
