//===- CriteriaTest.cpp - Unit tests of the pruning criteria --------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Criteria.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

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
