//===- LayoutTest.cpp - The layout policy and cost model ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Layout/Layout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace mlir::prune::layout;
namespace kernels = ::pruneopt::kernels;

namespace {
/// A rows x cols weight with `keepEvery`-th entry nonzero.
std::vector<float> sparseWeight(int64_t rows, int64_t cols, int keepEvery) {
  std::vector<float> w(rows * cols, 0.0f);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.5f, 1.5f);
  for (size_t i = 0; i < w.size(); ++i)
    if (i % keepEvery == 0)
      w[i] = dist(rng);
  return w;
}
} // namespace

TEST(Layout, FormatTableRoundTrips) {
  for (int i = 0; i < kernels::kNumFormats; ++i) {
    auto f = static_cast<kernels::Format>(i);
    kernels::Format parsed;
    ASSERT_TRUE(kernels::parseFormat(kernels::formatName(f), parsed));
    EXPECT_EQ(parsed, f);
  }
  kernels::Format unused;
  EXPECT_FALSE(kernels::parseFormat("coo", unused));
  EXPECT_TRUE(kernels::isSelectable(kernels::Format::CSR));
  EXPECT_FALSE(kernels::isSelectable(kernels::Format::TiledCSR));
}

TEST(Layout, BatchedLayoutRule) {
  EXPECT_FALSE(usesBatchedLayout(kernels::Format::CSR, 7, 8));
  EXPECT_TRUE(usesBatchedLayout(kernels::Format::CSR, 8, 8));
  EXPECT_TRUE(usesBatchedLayout(kernels::Format::Bitmask, 32, 8));
  EXPECT_TRUE(usesBatchedLayout(kernels::Format::NM, 32, 8));
  EXPECT_FALSE(usesBatchedLayout(kernels::Format::BSR, 32, 8));
  EXPECT_FALSE(usesBatchedLayout(kernels::Format::Dense, 32, 8));
  EXPECT_FALSE(usesBatchedLayout(kernels::Format::CSR, 32, 0)); // 0 = never
}

TEST(Layout, MaterializeIsThePacker) {
  std::vector<float> w = sparseWeight(32, 64, 4);
  PackedWeight p;
  ASSERT_TRUE(materialize(w.data(), 32, 64, kernels::Format::CSR, false, {}, p));
  kernels::PackedWeight ref = kernels::packCSR(w.data(), 32, 64);
  EXPECT_EQ(p.format, kernels::Format::CSR);
  EXPECT_EQ(p.bytes(), ref.bytes());
  EXPECT_EQ(p.values, ref.values);
  // The batched regime of csr, bitmask and N:M is csr-tiled.
  for (kernels::Format f : {kernels::Format::CSR, kernels::Format::Bitmask}) {
    ASSERT_TRUE(materialize(w.data(), 32, 64, f, true, {}, p));
    EXPECT_EQ(p.format, kernels::Format::TiledCSR);
  }
  // Structure that does not fit: no layout.
  EXPECT_FALSE(materialize(w.data(), 32, 64, kernels::Format::BSR, false,
                           {3, 1, 0, 0}, p));
  EXPECT_FALSE(materialize(w.data(), 32, 64, kernels::Format::NM, false,
                           {0, 0, 1, 8}, p)); // 2 in every 8, not 1:8
  ASSERT_TRUE(materialize(w.data(), 32, 64, kernels::Format::BSR, false,
                          {4, 1, 0, 0}, p));
  EXPECT_EQ(p.blockRows, 4);
}

TEST(Layout, IndexBits) {
  std::vector<float> w = sparseWeight(16, 300, 3);
  EXPECT_EQ(indexBits(kernels::packDense(w.data(), 16, 300)), 0);
  EXPECT_EQ(indexBits(kernels::packCSR(w.data(), 16, 300)), 16); // K > 256
  EXPECT_EQ(indexBits(kernels::packCSR(w.data(), 16, 200)), 8);
  EXPECT_EQ(indexBits(kernels::packBitmask(w.data(), 16, 300)), 1);
  EXPECT_EQ(indexBits(kernels::packTiledCSR(w.data(), 16, 300)), 8);
}

TEST(Layout, AutoPicksSparseOnlyPastTheMargin) {
  CostModel model;
  model.cacheKiB = 0; // weights stream from memory
  model.bandwidthGBs = 1;
  // 90 % zeros at batch 1: a sparse format reads ~5x fewer bytes.
  std::vector<float> sparse = sparseWeight(256, 256, 10);
  KernelLayout l = chooseKernelLayout(sparse.data(), 256, 256, {{1, false}},
                                      std::nullopt, {}, model, 8);
  EXPECT_NE(l.format, kernels::Format::Dense);
  EXPECT_FALSE(l.batched);
  ASSERT_EQ(l.costs.size(), 3u); // dense, csr, bitmask
  EXPECT_EQ(l.costs[0].first, kernels::Format::Dense);
  double chosen = 0;
  for (auto [f, cost] : l.costs)
    if (f == l.format)
      chosen = cost;
  EXPECT_LE(chosen, (1 + model.margin) * l.costs[0].second);
  // Nothing pruned: dense.
  std::vector<float> dense = sparseWeight(256, 256, 1);
  l = chooseKernelLayout(dense.data(), 256, 256, {{1, false}}, std::nullopt,
                         {}, model, 8);
  EXPECT_EQ(l.format, kernels::Format::Dense);
  EXPECT_EQ(l.packed.format, kernels::Format::Dense);
}

TEST(Layout, ObjectivesDecideBetweenFasterAndSmaller) {
  CostModel model;
  // Size: a smaller format predicted up to (1 + margin) x dense is taken;
  // more than that, or not smaller, is not.
  EXPECT_TRUE(model.prefersSparse(105, 100, 40, 100));
  EXPECT_FALSE(model.prefersSparse(111, 100, 40, 100));
  EXPECT_FALSE(model.prefersSparse(50, 100, 100, 100));
  // Latency: only below (1 - margin) x dense, whatever the bytes.
  model.objective = Objective::Latency;
  EXPECT_FALSE(model.prefersSparse(95, 100, 40, 100));
  EXPECT_TRUE(model.prefersSparse(89, 100, 400, 100));

  // A cache-resident 80 % layer at batch 1 (the dense kernel is as fast
  // as csr there): latency keeps it dense, size stores the smallest format
  // that is predicted not slower.
  std::vector<float> w = sparseWeight(100, 256, 5);
  model.objective = Objective::Latency;
  KernelLayout fastest = chooseKernelLayout(w.data(), 100, 256, {{1, false}},
                                            std::nullopt, {}, model, 8);
  model.objective = Objective::Size;
  KernelLayout smallest = chooseKernelLayout(w.data(), 100, 256, {{1, false}},
                                             std::nullopt, {}, model, 8);
  EXPECT_LE(smallest.packed.bytes(), fastest.packed.bytes());
  double dense = smallest.costs.front().second, chosen = 0;
  for (auto [f, cost] : smallest.costs)
    if (f == smallest.format)
      chosen = cost;
  EXPECT_LE(chosen, (1 + model.margin) * dense);
  // Nothing smaller is acceptable: every candidate that stores fewer
  // bytes is predicted slower than dense by more than the margin.
  for (auto [f, cost] : smallest.costs) {
    PackedWeight p;
    ASSERT_TRUE(materialize(w.data(), 100, 256, f, false, {}, p));
    if (p.bytes() < smallest.packed.bytes())
      EXPECT_GT(cost, (1 + model.margin) * dense);
  }
}

TEST(Layout, StructuredCandidatesAndBatchedRegime) {
  CostModel model;
  std::vector<float> w = sparseWeight(64, 64, 2); // 1 in 2 along each row
  KernelLayout l = chooseKernelLayout(w.data(), 64, 64, {{32, false}},
                                      std::nullopt, {0, 0, 2, 4}, model, 8);
  ASSERT_EQ(l.costs.size(), 4u); // + nm
  EXPECT_EQ(l.costs[3].first, kernels::Format::NM);
  EXPECT_EQ(l.batch, 32);
  // Requested csr at batch 32: the batched layout, csr-tiled.
  l = chooseKernelLayout(w.data(), 64, 64, {{32, false}}, kernels::Format::CSR,
                         {}, model, 8);
  EXPECT_EQ(l.format, kernels::Format::CSR);
  EXPECT_TRUE(l.batched);
  EXPECT_EQ(l.packed.format, kernels::Format::TiledCSR);
  // ... but not with csr-tiled-batch = 0.
  l = chooseKernelLayout(w.data(), 64, 64, {{32, false}}, kernels::Format::CSR,
                         {}, model, 0);
  EXPECT_FALSE(l.batched);
  EXPECT_EQ(l.packed.format, kernels::Format::CSR);
}

TEST(Layout, RequestedFormatThatDoesNotFitFallsBackToCSR) {
  CostModel model;
  std::vector<float> w = sparseWeight(30, 64, 2);
  KernelLayout l = chooseKernelLayout(w.data(), 30, 64, {{1, false}},
                                      kernels::Format::BSR, {4, 1, 0, 0},
                                      model, 8);
  EXPECT_TRUE(l.fellBack);
  EXPECT_EQ(l.format, kernels::Format::CSR);
}

TEST(Layout, LoopCosts) {
  CostModel model;
  // Resident, no reuse: dense = n * 0.10, csr = nnz * 0.5 + outputs * 2.
  auto [dense, csr] = loopCosts(1000, 4000, 100, {{1, 10, 1}}, model);
  EXPECT_DOUBLE_EQ(dense, 100.0);
  EXPECT_DOUBLE_EQ(csr, 100 * 0.5 + 10 * 2.0);
  // Conv-like CSF (two reduction dims) triples the per-entry cost.
  auto [dense2, csr2] = loopCosts(1000, 4000, 100, {{1, 10, 2}}, model);
  EXPECT_DOUBLE_EQ(csr2, 100 * 0.5 * 3 + 10 * 2.0);
  (void)dense2;
}
