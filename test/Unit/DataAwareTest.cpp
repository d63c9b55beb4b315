//===- DataAwareTest.cpp - Unit tests of the data-aware criteria ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Criteria/DataAware.h"

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir::prune;

namespace {
/// Correlated calibration data X (n x cols) and its Gram matrix.
struct Calib {
  Eigen::MatrixXd X;
  std::vector<double> gram;
};

Calib makeCalib(int64_t n, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd Z(n, cols), mix(cols, cols);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j)
      Z(i, j) = normal(gen);
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mix(i, j) = (i == j ? 1.0 : 0.1 * normal(gen));
  Calib c{Z * mix, {}};
  Eigen::MatrixXd H = c.X.transpose() * c.X;
  c.gram.assign(H.data(), H.data() + cols * cols); // symmetric
  return c;
}

Matrix randomWeights(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  Matrix w{rows, cols, std::vector<double>(rows * cols)};
  for (double &v : w.data)
    v = normal(gen);
  return w;
}

/// Layer loss ||X W^T - X W'^T||_F^2.
double loss(const Calib &c, const Matrix &w, const Matrix &w2) {
  Eigen::MatrixXd D(w.cols, w.rows);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t j = 0; j < w.cols; ++j)
      D(j, r) = w.at(r, j) - w2.at(r, j);
  return (c.X * D).squaredNorm();
}

int64_t zeros(const Matrix &w) {
  return std::count(w.data.begin(), w.data.end(), 0.0);
}
} // namespace

TEST(DataAware, OBSOneWeightEqualsClosedForm) {
  const int64_t cols = 6;
  Calib c = makeCalib(50, cols, 1);
  Matrix w = randomWeights(1, cols, 2);
  w.at(0, 0) = 1e-3; // the weight that goes
  SparseGPTOptions opts;
  opts.sparsity = 1.0 / cols;
  opts.damp = 0.0;
  Matrix pruned = sparseGPT(w, c.gram, opts);
  ASSERT_EQ(pruned.at(0, 0), 0.0);
  // OBS: delta = -(w_q / [H^-1]_qq) H^-1[:, q].
  Eigen::Map<const Eigen::MatrixXd> H(c.gram.data(), cols, cols);
  Eigen::MatrixXd Hinv = H.inverse();
  for (int64_t j = 1; j < cols; ++j) {
    double expected = w.at(0, j) - w.at(0, 0) / Hinv(0, 0) * Hinv(j, 0);
    EXPECT_NEAR(pruned.at(0, j), expected, 1e-9);
  }
  // And the loss is the OBS saliency w_q^2 / [H^-1]_qq.
  EXPECT_NEAR(loss(c, w, pruned), w.at(0, 0) * w.at(0, 0) / Hinv(0, 0), 1e-12);
}

TEST(DataAware, SparseGPTExactCountAndBeatsMagnitude) {
  Calib c = makeCalib(400, 64, 3);
  Matrix w = randomWeights(16, 64, 4);
  for (double s : {0.5, 0.8, 0.9}) {
    SparseGPTOptions opts;
    opts.sparsity = s;
    opts.blockSize = 8; // several blocks
    Matrix obs = sparseGPT(w, c.gram, opts);
    EXPECT_EQ(zeros(obs), targetZeros(w.data.size(), s));
    Matrix mag = w;
    auto keep = selectLowest(magnitudeScores(w.data),
                             targetZeros(w.data.size(), s));
    for (size_t i = 0; i < keep.size(); ++i)
      mag.data[i] *= keep[i];
    EXPECT_LT(loss(c, w, obs), 0.9 * loss(c, w, mag)) << "sparsity " << s;
  }
}

TEST(DataAware, SparseGPTNMMasksAreValid) {
  Calib c = makeCalib(200, 32, 5);
  Matrix w = randomWeights(8, 32, 6);
  SparseGPTOptions opts;
  opts.nmN = 2;
  opts.nmM = 4;
  opts.blockSize = 8;
  Matrix obs = sparseGPT(w, c.gram, opts);
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t g = 0; g < 32; g += 4) {
      int kept = 0;
      for (int j = 0; j < 4; ++j)
        kept += obs.at(r, g + j) != 0.0;
      EXPECT_LE(kept, 2);
    }
  EXPECT_EQ(zeros(obs), 8 * 32 / 2);
}

TEST(DataAware, DeadInputsArePrunedFirst) {
  const int64_t cols = 8;
  Calib c = makeCalib(100, cols, 7);
  for (int64_t j = 0; j < cols; ++j) // input 3 never fires
    c.gram[3 * cols + j] = c.gram[j * cols + 3] = 0.0;
  Matrix w = randomWeights(4, cols, 8);
  for (int64_t r = 0; r < 4; ++r)
    w.at(r, 3) = 100.0; // large, but useless
  SparseGPTOptions opts;
  opts.sparsity = 4.0 / 32;
  Matrix obs = sparseGPT(w, c.gram, opts);
  for (int64_t r = 0; r < 4; ++r)
    EXPECT_EQ(obs.at(r, 3), 0.0);
}

TEST(DataAware, LsqRefitIsTheLeastSquaresOptimum) {
  const int64_t cols = 10;
  Calib c = makeCalib(80, cols, 9);
  Matrix w = randomWeights(3, cols, 10);
  auto keep = selectLowest(magnitudeScores(w.data), 15);
  Matrix masked = w;
  for (size_t i = 0; i < keep.size(); ++i)
    masked.data[i] *= keep[i];
  Matrix refit = lsqRefit(w, keep, c.gram, 1e-12);
  EXPECT_LT(loss(c, w, refit), loss(c, w, masked));
  // Normal equations on the kept set: (H (w' - w))_S = 0.
  Eigen::Map<const Eigen::MatrixXd> H(c.gram.data(), cols, cols);
  for (int64_t r = 0; r < 3; ++r) {
    Eigen::VectorXd d(cols);
    for (int64_t j = 0; j < cols; ++j) {
      d(j) = refit.at(r, j) - w.at(r, j);
      if (!keep[r * cols + j])
        EXPECT_EQ(refit.at(r, j), 0.0);
    }
    Eigen::VectorXd g = H * d;
    for (int64_t j = 0; j < cols; ++j)
      if (keep[r * cols + j])
        EXPECT_NEAR(g(j), 0.0, 1e-6 * H.diagonal().maxCoeff());
  }
}

TEST(DataAware, WandaAndOBDScores) {
  Matrix w{2, 2, {1.0, -2.0, 3.0, 0.5}};
  std::vector<double> gram = {4.0, 1.0, 1.0, 9.0};
  auto wanda = wandaScores(w, gram);
  EXPECT_DOUBLE_EQ(wanda[1], 2.0 * 3.0); // |W_01| * ||X_1||
  EXPECT_DOUBLE_EQ(wanda[2], 3.0 * 2.0);
  auto obd = obdScores(w, gram);
  EXPECT_DOUBLE_EQ(obd[3], 0.5 * 9.0 * 0.25);
  Matrix scores{2, 2, wanda};
  auto keep = selectLowestPerRow(scores, 1);
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 1, 1, 0}));
}

TEST(DataAware, ExactOBSOneWeightEqualsClosedForm) {
  const int64_t cols = 6;
  Calib c = makeCalib(50, cols, 11);
  Matrix w = randomWeights(1, cols, 12);
  // The weight with the least saliency w_q^2 / [H^-1]_qq goes first.
  Eigen::Map<const Eigen::MatrixXd> H(c.gram.data(), cols, cols);
  Eigen::MatrixXd Hinv = H.inverse();
  int64_t q = 0;
  for (int64_t j = 1; j < cols; ++j)
    if (w.at(0, j) * w.at(0, j) / Hinv(j, j) <
        w.at(0, q) * w.at(0, q) / Hinv(q, q))
      q = j;
  Matrix pruned = exactOBS(w, c.gram, 1.0 / cols, /*damp=*/0.0);
  ASSERT_EQ(pruned.at(0, q), 0.0);
  for (int64_t j = 0; j < cols; ++j)
    if (j != q)
      EXPECT_NEAR(pruned.at(0, j),
                  w.at(0, j) - w.at(0, q) / Hinv(q, q) * Hinv(j, q), 1e-9);
  EXPECT_NEAR(loss(c, w, pruned), w.at(0, q) * w.at(0, q) / Hinv(q, q),
              1e-12);
}

TEST(DataAware, ExactOBSExactCountAndBeatsSparseGPT) {
  Calib c = makeCalib(400, 48, 13);
  Matrix w = randomWeights(12, 48, 14);
  w.at(3, 5) = 0.0; // an existing zero counts
  for (double s : {0.5, 0.8, 0.9}) {
    Matrix exact = exactOBS(w, c.gram, s);
    EXPECT_EQ(zeros(exact), targetZeros(w.data.size(), s)) << s;
    SparseGPTOptions opts;
    opts.sparsity = s;
    Matrix approx = sparseGPT(w, c.gram, opts);
    // Greedy exact OBS with allocation across rows beats the blocked
    // approximation on these problems.
    EXPECT_LT(loss(c, w, exact), loss(c, w, approx)) << "sparsity " << s;
  }
}
