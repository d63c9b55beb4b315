//===- CriteriaTest.cpp - Unit tests of the pruning criteria --------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Criteria.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <tuple>

using namespace mlir::prune;

static int64_t countZeros(const std::vector<uint8_t> &keep) {
  return std::count(keep.begin(), keep.end(), 0);
}

TEST(Criteria, TargetZerosRoundsHalfAway) {
  EXPECT_EQ(targetZeros(10, 0.8), 8);
  EXPECT_EQ(targetZeros(100352, 0.8), 80282); // 80281.6
  EXPECT_EQ(targetZeros(5, 0.5), 3);          // 2.5 -> 3
  EXPECT_EQ(targetZeros(7, 0.0), 0);
  EXPECT_EQ(targetZeros(7, 0.999999), 7);
}

TEST(Criteria, MagnitudeRemovesSmallestExactly) {
  std::vector<double> w = {0.5, -3.0, 0.1, 2.0, -0.2, 1.0};
  auto keep = selectLowest(magnitudeScores(w), 3);
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 1, 0, 1, 0, 1}));
}

TEST(Criteria, TiesBrokenByIndex) {
  std::vector<double> w = {1.0, -1.0, 1.0, 1.0};
  auto keep = selectLowest(magnitudeScores(w), 2);
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 0, 1, 1}));
}

TEST(Criteria, ExistingZerosCountAndPruningIsIdempotent) {
  std::vector<double> w = {0.0, 5.0, 0.0, 4.0, 3.0};
  auto keep = selectLowest(magnitudeScores(w), 2);
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 1, 0, 1, 1}));
  auto keepRandom = selectLowest(randomScores(w, 7), 2);
  EXPECT_EQ(keepRandom, keep) << "random must prune existing zeros first";
}

TEST(Criteria, ExactCountOnLargeRandomTensor) {
  std::vector<double> w(10007);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(double(i)) * (i % 13);
  for (double s : {0.0, 0.5, 0.8, 0.9, 0.95}) {
    auto keep = selectLowest(magnitudeScores(w), targetZeros(w.size(), s));
    EXPECT_EQ(countZeros(keep), targetZeros(w.size(), s));
    // Every pruned magnitude is <= every kept magnitude.
    double maxPruned = 0, minKept = 1e300;
    for (size_t i = 0; i < w.size(); ++i) {
      if (keep[i])
        minKept = std::min(minKept, std::fabs(w[i]));
      else
        maxPruned = std::max(maxPruned, std::fabs(w[i]));
    }
    EXPECT_LE(maxPruned, minKept);
  }
}

TEST(Criteria, RandomIsSeededAndUniform) {
  std::vector<double> w(1000, 1.0);
  auto a = selectLowest(randomScores(w, 1), 500);
  auto b = selectLowest(randomScores(w, 1), 500);
  auto c = selectLowest(randomScores(w, 2), 500);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(countZeros(a), 500);
  // Roughly half of each half is pruned.
  int64_t firstHalf = std::count(a.begin(), a.begin() + 500, 0);
  EXPECT_GT(firstHalf, 200);
  EXPECT_LT(firstHalf, 300);
}

TEST(Criteria, GlobalSelectionUsesOneThreshold) {
  std::vector<std::vector<double>> scores = {{0.1, 0.2, 0.3, 0.4},
                                             {10.0, 20.0}};
  auto keep = selectLowestGlobal(scores, 3);
  EXPECT_EQ(keep[0], (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(keep[1], (std::vector<uint8_t>{1, 1}));
  // Ties across tensors: lower tensor index first.
  auto tie = selectLowestGlobal({{1.0, 1.0}, {1.0}}, 2);
  EXPECT_EQ(tie[0], (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(tie[1], (std::vector<uint8_t>{1}));
}

/// The masks of a global selection by sorting every (score, tensor,
/// element).
static std::vector<std::vector<uint8_t>>
sortedGlobalSelection(const std::vector<std::vector<double>> &scores,
                      int64_t numZeros) {
  std::vector<std::tuple<double, size_t, size_t>> all;
  std::vector<std::vector<uint8_t>> keep;
  for (size_t t = 0; t < scores.size(); ++t) {
    keep.emplace_back(scores[t].size(), 1);
    for (size_t i = 0; i < scores[t].size(); ++i)
      all.emplace_back(scores[t][i] == 0.0 ? 0.0 : scores[t][i], t, i);
  }
  std::sort(all.begin(), all.end());
  for (int64_t z = 0; z < numZeros && z < int64_t(all.size()); ++z)
    keep[std::get<1>(all[z])][std::get<2>(all[z])] = 0;
  return keep;
}

TEST(Criteria, StreamingGlobalSelectionMatchesTheSortedOrder) {
  // Many ties (scores on a coarse grid), negative scores (random's -1 for
  // zeros), -0.0 and +0.0, and collect limits that force the selection
  // through one, two and more histogram passes before it collects.
  std::mt19937 gen(41);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<std::vector<double>> scores;
    int64_t total = 0;
    for (int t = 0; t < 1 + trial; ++t) {
      std::vector<double> s(gen() % 3000 + (t == 0 ? 1 : 0));
      for (double &v : s) {
        unsigned kind = gen() % 8;
        if (kind == 0)
          v = -1.0;
        else if (kind == 1)
          v = (gen() % 2) ? 0.0 : -0.0;
        else if (kind == 2)
          v = double(gen() % 16) * 0.25; // ties
        else
          v = std::ldexp(double(gen() % 100000), -int(gen() % 40));
      }
      total += s.size();
      scores.push_back(std::move(s));
    }
    for (double sparsity : {0.0, 0.1, 0.5, 0.9, 1.0})
      for (int64_t limit : {int64_t(1), int64_t(7), int64_t(1) << 23}) {
        int64_t zeros = targetZeros(total, sparsity);
        StreamingLowestSelect select(
            [&](int64_t n) {
              EXPECT_EQ(n, total);
              return targetZeros(n, sparsity);
            },
            total, limit);
        while (select.needsPass()) {
          ASSERT_LT(select.passes(), 6);
          for (const auto &s : scores)
            select.add(s);
          select.finishPass();
        }
        EXPECT_EQ(select.numZeros(), zeros);
        auto want = sortedGlobalSelection(scores, zeros);
        for (size_t t = 0; t < scores.size(); ++t)
          ASSERT_EQ(select.mask(scores[t]), want[t])
              << "trial " << trial << " sparsity " << sparsity << " limit "
              << limit << " tensor " << t;
        if (zeros > 0 && limit > 1000)
          EXPECT_EQ(select.passes(), 2); // a histogram, then one bucket
      }
  }
}

TEST(Criteria, GlobalSelectionPrunesNaNScoresLast) {
  // NaN (e.g. from a calibration Hessian that overflowed) is never below
  // the threshold, whatever its sign bit.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto keep = selectLowestGlobal({{-nan, 1.0, nan}, {2.0, 0.5}}, 3);
  EXPECT_EQ(keep[0], (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(keep[1], (std::vector<uint8_t>{0, 0}));
}

TEST(Patterns, MatrixLayoutPutsOutputsFirst) {
  // W[in=3, out=2] (keras): rows are outputs, columns inputs.
  MatrixLayout l = makeMatrixLayout({3, 2}, {true, false});
  EXPECT_EQ(l.rows, 2);
  EXPECT_EQ(l.cols, 3);
  EXPECT_EQ(l.index, (std::vector<int64_t>{0, 2, 4, 1, 3, 5}));
  // Conv FCHW: F x (C*KH*KW), identity order.
  MatrixLayout conv = makeMatrixLayout({2, 1, 2, 2}, {false, true, true, true});
  EXPECT_EQ(conv.rows, 2);
  EXPECT_EQ(conv.cols, 4);
  EXPECT_EQ(conv.index[5], 5);
}

TEST(Patterns, NMKeepsAtMostNPerGroupAlongTheReduction) {
  // 3 outputs x 8 inputs, random-ish values.
  std::vector<double> w(24);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::cos(3.7 * i) * (1 + i % 5);
  MatrixLayout l = makeMatrixLayout({3, 8}, {false, true});
  for (auto [n, m] : {std::pair<unsigned, unsigned>{2, 4}, {1, 4}, {4, 8}}) {
    auto keep = selectNM(magnitudeScores(w), l, n, m);
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t g = 0; g < 8; g += m) {
        int kept = 0;
        double minKept = 1e300, maxPruned = 0;
        for (unsigned j = 0; j < m; ++j) {
          int64_t i = r * 8 + g + j;
          kept += keep[i];
          if (keep[i])
            minKept = std::min(minKept, std::fabs(w[i]));
          else
            maxPruned = std::max(maxPruned, std::fabs(w[i]));
        }
        EXPECT_EQ(kept, int(n));
        EXPECT_LE(maxPruned, minKept);
      }
  }
}

TEST(Patterns, BlocksAndChannelsAreWhole) {
  MatrixLayout l = makeMatrixLayout({4, 6}, {false, true});
  int64_t numGroups;
  auto groups = blockGroups(l, 4, 1, numGroups); // 4x1 blocks
  EXPECT_EQ(numGroups, 6);
  EXPECT_EQ(groups[0], 0);
  EXPECT_EQ(groups[6], 0); // same column, next row
  EXPECT_EQ(groups[1], 1);
  auto edge = blockGroups(l, 3, 4, numGroups); // ragged edges
  EXPECT_EQ(numGroups, 4);
  EXPECT_EQ(edge[23], 3);
  std::vector<double> w(24, 1.0);
  w[2] = w[8] = w[14] = w[20] = 0.1; // column 2 is weak
  auto scores = groupScores(magnitudeScores(w), groups, 6);
  auto keep = expandGroupMask(selectLowest(scores, 1), groups);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 6; ++c)
      EXPECT_EQ(keep[r * 6 + c], c == 2 ? 0 : 1);
  // Channels: rows. Mean squares do not favour larger groups.
  auto rows = blockGroups(l, 1, 6, numGroups);
  EXPECT_EQ(numGroups, 4);
  EXPECT_DOUBLE_EQ(groupScores(magnitudeScores(w), rows, 4)[1],
                   (5 + 0.01) / 6);
}

TEST(Criteria, ChannelStats) {
  std::vector<float> spread(32);
  for (int i = 0; i < 32; ++i)
    spread[i] = i;
  ChannelStats st = channelStats(spread);
  EXPECT_NEAR(st.entropy, std::log(32.0), 1e-9); // one value per bin
  EXPECT_DOUBLE_EQ(st.zeroFraction, 1.0 / 32);
  EXPECT_DOUBLE_EQ(st.meanAbs, 15.5);
  ChannelStats dead = channelStats(std::vector<float>(10, 0.0f));
  EXPECT_EQ(dead.entropy, 0.0);
  EXPECT_EQ(dead.zeroFraction, 1.0);
  ChannelStats twoValued = channelStats({0, 0, 1, 1});
  EXPECT_NEAR(twoValued.entropy, std::log(2.0), 1e-12);
}

// A model that overflows gives infinite or NaN activations: the statistics
// stay defined (the histogram spans the finite values; non-finite ones go to
// the end bins instead of through an undefined float-to-int conversion).
TEST(Criteria, ChannelStatsWithNonFiniteValues) {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  ChannelStats st = channelStats({0.0f, 1.0f, inf, -inf, nan, 1.0f});
  EXPECT_TRUE(std::isinf(st.meanAbs) || std::isnan(st.meanAbs));
  EXPECT_NEAR(st.zeroFraction, 1.0 / 6, 1e-12);
  EXPECT_TRUE(std::isfinite(st.entropy));
  EXPECT_GT(st.entropy, 0.0);
  ChannelStats allInf = channelStats({inf, inf, -inf});
  EXPECT_EQ(allInf.entropy, 0.0);
}

// Blocks of a weight with no elements: no groups (was a division by zero).
TEST(Patterns, BlockGroupsOfAnEmptyWeight) {
  MatrixLayout layout = makeMatrixLayout({0, 4}, {true, false});
  int64_t numGroups = -1;
  std::vector<int64_t> groupOf = blockGroups(layout, 1, layout.cols, numGroups);
  EXPECT_EQ(numGroups, 0);
  EXPECT_TRUE(groupOf.empty());
}

// Adaptive allocation (scope=adaptive): the greedy search over a sparsity
// grid, given each layer's relative error at every grid point.

TEST(Adaptive, GridIsFivePercentStepsThen98) {
  std::vector<double> grid = adaptiveSparsityGrid();
  ASSERT_EQ(grid.size(), 21u);
  EXPECT_EQ(grid.front(), 0.0);
  EXPECT_EQ(grid[19], 0.05 * 19);
  EXPECT_EQ(grid.back(), 0.98);
}

TEST(Adaptive, BudgetGridAddsFinerStepsPast95) {
  std::vector<double> grid = budgetSparsityGrid();
  ASSERT_EQ(grid.size(), 25u);
  EXPECT_TRUE(std::is_sorted(grid.begin(), grid.end()));
  std::vector<double> tail(grid.end() - 6, grid.end());
  EXPECT_EQ(tail,
            (std::vector<double>{0.05 * 19, 0.96, 0.97, 0.98, 0.99, 0.995}));
}

TEST(Adaptive, GreedyPicksTheCheaperLayer) {
  // Layer 1 loses less error per removed weight at every step: it takes
  // both steps, layer 0 stays dense.
  std::vector<double> grid = {0, 0.25, 0.5, 0.75};
  std::vector<std::vector<double>> err = {{0, 0.1, 0.4, 0.9},
                                          {0, 0.01, 0.05, 0.5}};
  AdaptiveAllocation a = allocateSparsities({100, 100}, err, grid, 0.25);
  EXPECT_EQ(a.wanted, 50);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{0, 50}));
  EXPECT_EQ(a.sparsities, (std::vector<double>{0.0, 0.5}));
  EXPECT_EQ(a.shortfall, 0);
}

TEST(Adaptive, EqualCostsGoToTheFirstLayer) {
  std::vector<double> grid = {0, 0.5};
  std::vector<std::vector<double>> err = {{0, 0.3}, {0, 0.3}};
  AdaptiveAllocation a = allocateSparsities({10, 10}, err, grid, 0.25);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{5, 0}));
}

TEST(Adaptive, SmallLayerSkipsGridPointsThatRemoveNothing) {
  // Layer 1 has 4 elements: 0, 0, 1, 2 zeros at the grid points. Its next
  // step is 25 % (one weight for 0.001, the cheapest step), not 10 % (no
  // weight for no error: 0/0, which would never be chosen).
  std::vector<double> grid = {0, 0.1, 0.25, 0.5};
  std::vector<std::vector<double>> err = {{0, 0.2, 0.5, 0.9},
                                          {0, 0, 0.001, 0.5}};
  AdaptiveAllocation a = allocateSparsities({100, 4}, err, grid, 0.25);
  EXPECT_EQ(a.wanted, 26);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{25, 1}));
  EXPECT_EQ(a.sparsities, (std::vector<double>{0.25, 0.25}));
  EXPECT_EQ(a.shortfall, 0);
}

TEST(Adaptive, OvershootIsHandedBackSoTheTotalIsExact) {
  // Steps of 50 weights towards 60: layer 0 (cheaper) takes 50, layer 1's
  // step would make 100; it keeps only the 10 still needed.
  std::vector<double> grid = {0, 0.5};
  std::vector<std::vector<double>> err = {{0, 0.1}, {0, 0.2}};
  AdaptiveAllocation a = allocateSparsities({100, 100}, err, grid, 0.3);
  EXPECT_EQ(a.wanted, 60);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{50, 10}));
  EXPECT_EQ(a.zeros[0] + a.zeros[1], 60);
  EXPECT_EQ(a.sparsities, (std::vector<double>{0.5, 0.1}));
  EXPECT_EQ(a.shortfall, 0);
}

TEST(Adaptive, StopsAt98PercentWithAShortfall) {
  std::vector<double> grid = adaptiveSparsityGrid();
  std::vector<std::vector<double>> err(2);
  for (double s : grid) {
    err[0].push_back(s * s);
    err[1].push_back(2 * s * s);
  }
  AdaptiveAllocation a = allocateSparsities({100, 100}, err, grid, 0.99);
  EXPECT_EQ(a.wanted, 198);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{98, 98}));
  EXPECT_EQ(a.shortfall, 2);
}

TEST(Adaptive, OneLayerGetsExactlyTheTarget) {
  std::vector<double> grid = {0, 0.25, 0.5};
  std::vector<std::vector<double>> err = {{0, 0.2, 0.6}};
  AdaptiveAllocation a = allocateSparsities({10}, err, grid, 0.33);
  EXPECT_EQ(a.wanted, 3);
  EXPECT_EQ(a.zeros, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.sparsities, (std::vector<double>{0.3}));
  EXPECT_EQ(a.shortfall, 0);
}

TEST(Adaptive, NoLayers) {
  AdaptiveAllocation a =
      allocateSparsities({}, {}, adaptiveSparsityGrid(), 0.5);
  EXPECT_EQ(a.wanted, 0);
  EXPECT_TRUE(a.zeros.empty());
  EXPECT_TRUE(a.sparsities.empty());
  EXPECT_EQ(a.shortfall, 0);
}

// Budget allocation (nn-prune budget-bytes / budget-latency): the greedy on
// error added per unit of cost saved, then the step back.

namespace {
/// Synthetic layers on a 0..95 % grid: bytes as CSR-like storage (dense
/// until it pays: 8 bytes per kept weight vs 4 dense) and error growing
/// like s^2 scaled per layer.
struct Synthetic {
  std::vector<std::vector<double>> cost, err;
  std::vector<double> grid;
  double dense = 0;
  Synthetic(const std::vector<double> &sizes,
            const std::vector<double> &sensitivity) {
    for (int g = 0; g < 20; ++g)
      grid.push_back(0.05 * g);
    for (size_t l = 0; l < sizes.size(); ++l) {
      std::vector<double> c, e;
      for (double s : grid) {
        c.push_back(std::min(4 * sizes[l], 8 * (1 - s) * sizes[l] + 16));
        e.push_back(sensitivity[l] * s * s);
      }
      cost.push_back(c);
      err.push_back(e);
      dense += 4 * sizes[l];
    }
  }
  /// The same sparsity everywhere that meets `budget` (the lowest grid
  /// point that does), and its error; -1 if none does.
  std::pair<int, double> uniform(double budget) const {
    for (size_t g = 0; g < grid.size(); ++g) {
      double total = 0, error = 0;
      for (size_t l = 0; l < cost.size(); ++l) {
        total += cost[l][g];
        error += err[l][g];
      }
      if (total <= budget)
        return {int(g), error};
    }
    return {-1, 0};
  }
};
} // namespace

TEST(Budget, MeetsTheBudgetWithLessErrorThanUniform) {
  Synthetic s({10000, 2000, 500}, {1.0, 4.0, 0.2});
  for (double fraction : {0.5, 0.25}) {
    double budget = fraction * s.dense;
    BudgetAllocation a = allocateToBudget(s.cost, s.err, budget);
    EXPECT_TRUE(a.met);
    EXPECT_LE(a.cost, budget);
    double cost = 0, error = 0;
    for (size_t l = 0; l < a.points.size(); ++l) {
      cost += s.cost[l][a.points[l]];
      error += s.err[l][a.points[l]];
    }
    EXPECT_DOUBLE_EQ(a.cost, cost);
    EXPECT_DOUBLE_EQ(a.error, error);
    auto [point, uniformError] = s.uniform(budget);
    ASSERT_GE(point, 0);
    EXPECT_LE(a.error, uniformError) << "fraction " << fraction;
  }
}

TEST(Budget, SkipsPointsThatSaveNothing) {
  // Layer 0's cost is flat up to point 2 (a format that only pays from
  // there): the greedy jumps to it; layer 1 is too costly in error.
  std::vector<std::vector<double>> cost = {{100, 100, 60, 40},
                                           {100, 80, 60, 40}};
  std::vector<std::vector<double>> err = {{0, 0.01, 0.02, 0.5},
                                          {0, 0.5, 0.9, 1.0}};
  BudgetAllocation a = allocateToBudget(cost, err, 160);
  EXPECT_TRUE(a.met);
  EXPECT_EQ(a.points, (std::vector<size_t>{2, 0}));
  EXPECT_DOUBLE_EQ(a.cost, 160);
}

TEST(Budget, StepsBackWhenTheLastStepOvershoots) {
  // The cheapest ratio is layer 0's jump to point 2 (saves 80 of the 10
  // needed); afterwards layer 0 steps back to point 1, which suffices.
  std::vector<std::vector<double>> cost = {{100, 90, 20}, {100, 95, 90}};
  std::vector<std::vector<double>> err = {{0, 0.05, 0.06}, {0, 1, 2}};
  BudgetAllocation a = allocateToBudget(cost, err, 190);
  EXPECT_TRUE(a.met);
  EXPECT_EQ(a.points, (std::vector<size_t>{1, 0}));
  EXPECT_DOUBLE_EQ(a.error, 0.05);
}

TEST(Budget, OutOfReachReturnsTheCheapestPoints) {
  std::vector<std::vector<double>> cost = {{100, 120, 50}, {100, 70, 80}};
  std::vector<std::vector<double>> err = {{0, 0.1, 0.2}, {0, 0.1, 0.2}};
  BudgetAllocation a = allocateToBudget(cost, err, 100);
  EXPECT_FALSE(a.met);
  EXPECT_EQ(a.points, (std::vector<size_t>{2, 1}));
  EXPECT_DOUBLE_EQ(a.cost, 120);
}

TEST(Budget, FullBudgetPrunesNothing) {
  std::vector<std::vector<double>> cost = {{100, 50}};
  std::vector<std::vector<double>> err = {{0, 0.1}};
  BudgetAllocation a = allocateToBudget(cost, err, 100);
  EXPECT_TRUE(a.met);
  EXPECT_EQ(a.points, (std::vector<size_t>{0}));
}
