//===- DataAware.cpp - Pruning criteria that use calibration data ---------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/DataAware.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <tuple>

using namespace mlir::prune;
using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

static Eigen::Map<const RowMatrix> gramMap(llvm::ArrayRef<double> gram,
                                           int64_t cols) {
  return Eigen::Map<const RowMatrix>(gram.data(), cols, cols);
}

std::vector<double> mlir::prune::obdScores(const Matrix &w,
                                           llvm::ArrayRef<double> gram) {
  std::vector<double> s(w.data.size());
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      double v = w.at(r, c);
      s[r * w.cols + c] = 0.5 * gram[c * w.cols + c] * v * v;
    }
  return s;
}

std::vector<double> mlir::prune::wandaScores(const Matrix &w,
                                             llvm::ArrayRef<double> gram) {
  std::vector<double> s(w.data.size());
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      s[r * w.cols + c] = std::fabs(w.at(r, c)) *
                          std::sqrt(std::max(gram[c * w.cols + c], 0.0));
  return s;
}

std::vector<uint8_t> mlir::prune::selectLowestPerRow(const Matrix &scores,
                                                     int64_t zerosPerRow) {
  std::vector<uint8_t> keep(scores.data.size(), 1);
  zerosPerRow = std::clamp<int64_t>(zerosPerRow, 0, scores.cols);
  std::vector<int64_t> order(scores.cols);
  for (int64_t r = 0; r < scores.rows; ++r) {
    std::iota(order.begin(), order.end(), 0);
    auto less = [&](int64_t a, int64_t b) {
      return std::tie(scores.data[r * scores.cols + a], a) <
             std::tie(scores.data[r * scores.cols + b], b);
    };
    if (zerosPerRow < scores.cols)
      std::nth_element(order.begin(), order.begin() + zerosPerRow, order.end(),
                       less);
    for (int64_t i = 0; i < zerosPerRow; ++i)
      keep[r * scores.cols + order[i]] = 0;
  }
  return keep;
}

/// H = X^T X with inputs never seen (H_jj == 0) marked `dead` and pinned to
/// an identity row/column (their weights cannot matter to the layer loss:
/// they are pruned first and H stays invertible), plus `damp` times the
/// mean diagonal (returned in `meanDiag`, before dampening).
static Eigen::MatrixXd dampedHessian(llvm::ArrayRef<double> gram, int64_t cols,
                                     double damp, std::vector<uint8_t> &dead,
                                     double &meanDiag) {
  Eigen::MatrixXd H = gramMap(gram, cols);
  dead.assign(cols, 0);
  for (int64_t c = 0; c < cols; ++c)
    if (!(H(c, c) > 0)) {
      dead[c] = 1;
      H.row(c).setZero();
      H.col(c).setZero();
      H(c, c) = 1;
    }
  meanDiag = H.diagonal().mean();
  H.diagonal().array() += damp * meanDiag;
  return H;
}

Matrix mlir::prune::sparseGPT(const Matrix &input, llvm::ArrayRef<double> gram,
                              const SparseGPTOptions &options, bool *failed) {
  const int64_t rows = input.rows, cols = input.cols;
  RowMatrix W = Eigen::Map<const RowMatrix>(input.data.data(), rows, cols);
  if (failed)
    *failed = false;
  std::vector<uint8_t> dead;
  double meanDiag = 0;
  Eigen::MatrixXd H = dampedHessian(gram, cols, options.damp, dead, meanDiag);

  // U: upper Cholesky factor of H^-1 (H^-1 = U^T U), from one Cholesky of
  // H with its inputs reversed (J H J = L L^T, J the reversal): then
  // H^-1 = J L^-T L^-1 J = U^T U with U = J L^-1 J upper triangular. One
  // factorization and one triangular inverse (2/3 n^3 flops) instead of
  // factor, inverse and factor again (~3 n^3).
  Eigen::MatrixXd R = H.reverse();
  Eigen::LLT<Eigen::MatrixXd> llt(R);
  if (llt.info() != Eigen::Success) {
    R.diagonal().array() += meanDiag; // one heavier retry
    llt.compute(R);
  }
  if (llt.info() != Eigen::Success) {
    if (failed)
      *failed = true;
    return input;
  }
  Eigen::MatrixXd U = Eigen::MatrixXd::Identity(cols, cols);
  llt.matrixL().solveInPlace(U); // L^-1
  U = U.reverse().eval();
  if (!U.allFinite()) {
    if (failed)
      *failed = true;
    return input;
  }

  // Zeros per block, exactly round(sparsity * rows * cols) in total.
  const int64_t bs = std::max<int64_t>(options.blockSize, 1);
  const int64_t numBlocks = (cols + bs - 1) / bs;
  std::vector<int64_t> blockZeros(numBlocks, 0);
  if (options.nmM == 0) {
    int64_t total = static_cast<int64_t>(
        std::llround(options.sparsity * double(rows * cols)));
    int64_t assigned = 0;
    for (int64_t b = 0; b < numBlocks; ++b) {
      int64_t width = std::min(bs, cols - b * bs);
      blockZeros[b] = total * rows * width / (rows * cols);
      assigned += blockZeros[b];
    }
    for (int64_t b = 0; assigned < total; b = (b + 1) % numBlocks) {
      int64_t width = std::min(bs, cols - b * bs);
      if (blockZeros[b] < rows * width) {
        ++blockZeros[b];
        ++assigned;
      }
    }
  }

  std::vector<uint8_t> keep(rows * cols, 1);
  // Updates are lazy at two levels: a block's errors reach the rest of its
  // super-block (up to 128 columns) right after the block, and the columns
  // past the super-block once per super-block, as one product with k = the
  // super-block's width (a k of 16 leaves the GEMM far from peak). The
  // same sums as applying each block's update to every later column.
  const int64_t superBlocks = std::max<int64_t>(1, 128 / bs);
  RowMatrix ErrS;
  for (int64_t b = 0; b < numBlocks; ++b) {
    const int64_t i1 = b * bs, i2 = std::min(cols, i1 + bs), count = i2 - i1;
    const int64_t s1 = b / superBlocks * superBlocks * bs;
    const int64_t s2 = std::min(cols, s1 + superBlocks * bs);
    if (i1 == s1)
      ErrS = RowMatrix::Zero(rows, s2 - s1);
    RowMatrix W1 = W.block(0, i1, rows, count);
    RowMatrix Err1 = RowMatrix::Zero(rows, count);
    Eigen::MatrixXd U1 = U.block(i1, i1, count, count);

    if (options.nmM == 0) {
      // Mask for the whole block: lowest w^2 / [U]_qq^2; dead inputs first.
      std::vector<std::tuple<double, int64_t>> order;
      order.reserve(rows * count);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < count; ++j) {
          double d = U1(j, j);
          double score = dead[i1 + j] ? -1.0 : W1(r, j) * W1(r, j) / (d * d);
          order.emplace_back(score, r * cols + i1 + j);
        }
      int64_t k = blockZeros[b];
      if (k < int64_t(order.size()))
        std::nth_element(order.begin(), order.begin() + k, order.end());
      for (int64_t i = 0; i < k; ++i)
        keep[std::get<1>(order[i])] = 0;
    }
    for (int64_t j = 0; j < count; ++j) {
      const int64_t c = i1 + j;
      if (options.nmM != 0 && (c % options.nmM) == 0) {
        // N:M: choose this group's mask now, on the updated weights.
        int64_t width = std::min<int64_t>(options.nmM, cols - c);
        for (int64_t r = 0; r < rows; ++r) {
          std::vector<std::tuple<double, int64_t>> group;
          for (int64_t g = 0; g < width; ++g) {
            int64_t jj = j + g;
            double score;
            if (jj < count) {
              double d = U1(jj, jj);
              score = dead[c + g] ? -1.0 : W1(r, jj) * W1(r, jj) / (d * d);
            } else {
              double d = U(c + g, c + g);
              score = dead[c + g] ? -1.0 : W(r, c + g) * W(r, c + g) / (d * d);
            }
            group.emplace_back(score, c + g);
          }
          std::sort(group.begin(), group.end());
          int64_t prune = width == int64_t(options.nmM)
                              ? int64_t(options.nmM - options.nmN)
                              : 0;
          for (int64_t g = 0; g < prune; ++g)
            keep[r * cols + std::get<1>(group[g])] = 0;
        }
      }
      const double d = U1(j, j);
      for (int64_t r = 0; r < rows; ++r) {
        double w = W1(r, j);
        double q = keep[r * cols + c] ? w : 0.0;
        double err = (w - q) / d;
        // Update the remaining columns of the block.
        for (int64_t jj = j + 1; jj < count; ++jj)
          W1(r, jj) -= err * U1(j, jj);
        W1(r, j) = q;
        Err1(r, j) = err;
      }
    }
    W.block(0, i1, rows, count) = W1;
    // noalias: the products go straight into W (no temporary, 3x faster).
    if (i2 < s2)
      W.block(0, i2, rows, s2 - i2).noalias() -=
          Err1 * U.block(i1, i2, count, s2 - i2);
    ErrS.block(0, i1 - s1, rows, count) = Err1;
    if (i2 == s2 && s2 < cols)
      W.block(0, s2, rows, cols - s2).noalias() -=
          ErrS * U.block(s1, s2, s2 - s1, cols - s2);
  }
  Matrix out{rows, cols, std::vector<double>(rows * cols)};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out.at(r, c) = keep[r * cols + c] ? W(r, c) : 0.0;
  return out;
}

Matrix mlir::prune::lsqRefit(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
                             llvm::ArrayRef<double> gram, double damp) {
  const int64_t cols = w.cols;
  auto H = gramMap(gram, cols);
  Matrix out{w.rows, cols, std::vector<double>(w.data.size(), 0.0)};
  std::vector<int64_t> kept;
  for (int64_t r = 0; r < w.rows; ++r) {
    kept.clear();
    for (int64_t c = 0; c < cols; ++c)
      if (keep[r * cols + c])
        kept.push_back(c);
    if (kept.empty())
      continue;
    const int64_t k = kept.size();
    Eigen::MatrixXd A(k, k);
    Eigen::VectorXd rhs(k);
    Eigen::Map<const Eigen::VectorXd> wr(&w.data[r * cols], cols);
    for (int64_t a = 0; a < k; ++a) {
      for (int64_t b = 0; b < k; ++b)
        A(a, b) = H(kept[a], kept[b]);
      rhs(a) = H.row(kept[a]).dot(wr);
    }
    double mean = A.diagonal().mean();
    A.diagonal().array() += damp * (mean > 0 ? mean : 1.0);
    Eigen::LDLT<Eigen::MatrixXd> ldlt(A);
    Eigen::VectorXd x = ldlt.solve(rhs);
    bool ok = ldlt.info() == Eigen::Success && x.allFinite();
    for (int64_t a = 0; a < k; ++a)
      out.at(r, kept[a]) = ok ? x(a) : w.at(r, kept[a]);
  }
  return out;
}

namespace {
/// fn(r) for every row, rows split over the hardware threads (the rows of
/// exact OBS are independent and each costs O(removals * cols^2)).
template <typename Fn> void forEachRow(int64_t rows, Fn fn) {
  int64_t threads = std::min<int64_t>(
      rows, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t r = t; r < rows; r += threads)
        fn(r);
    });
  for (int64_t r = 0; r < rows; r += threads)
    fn(r);
  for (auto &th : pool)
    th.join();
}

/// The greedy OBS trajectory of one row: removes `steps` weights and
/// returns each removal's loss increment; `w` ends updated.
std::vector<double> greedyRow(Eigen::VectorXd &w, const Eigen::MatrixXd &hinv0,
                              const std::vector<uint8_t> &dead, int64_t steps) {
  const int64_t cols = w.size();
  Eigen::MatrixXd hinv = hinv0;
  std::vector<uint8_t> alive(cols, 1);
  std::vector<double> losses;
  losses.reserve(steps);
  for (int64_t t = 0; t < steps; ++t) {
    int64_t q = -1;
    double best = 0;
    for (int64_t c = 0; c < cols; ++c) {
      if (!alive[c])
        continue;
      // Dead inputs and existing zeros cost nothing: first.
      double d = std::max(hinv(c, c), 1e-300);
      double loss = dead[c] ? -1.0 : w[c] * w[c] / (2.0 * d);
      if (q < 0 || loss < best) {
        q = c;
        best = loss;
      }
    }
    if (q < 0)
      break;
    double d = std::max(hinv(q, q), 1e-300);
    if (!dead[q]) {
      Eigen::VectorXd col = hinv.col(q);
      w.noalias() -= (w[q] / d) * col;
      hinv.noalias() -= (col * col.transpose()) / d;
    }
    w[q] = 0.0;
    alive[q] = 0;
    for (int64_t c = 0; c < cols; ++c)
      if (!alive[c])
        w[c] = 0.0; // keep removed weights exactly zero
    losses.push_back(std::max(best, 0.0));
  }
  return losses;
}
} // namespace

Matrix mlir::prune::exactOBS(const Matrix &input, llvm::ArrayRef<double> gram,
                             double sparsity, double damp, bool *failed) {
  const int64_t rows = input.rows, cols = input.cols;
  if (failed)
    *failed = false;
  std::vector<uint8_t> dead;
  double meanDiag = 0;
  Eigen::MatrixXd H = dampedHessian(gram, cols, damp, dead, meanDiag);
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() != Eigen::Success) {
    if (failed)
      *failed = true;
    return input;
  }
  Eigen::MatrixXd hinv = llt.solve(Eigen::MatrixXd::Identity(cols, cols));
  hinv = 0.5 * (hinv + hinv.transpose());

  const int64_t total =
      static_cast<int64_t>(std::llround(sparsity * double(rows * cols)));
  // Trajectories up to a cap (rows rarely need far more than the average).
  const int64_t cap = std::min<int64_t>(
      cols, static_cast<int64_t>(std::ceil(1.5 * sparsity * cols)) + 4);
  std::vector<std::vector<double>> losses(rows);
  forEachRow(rows, [&](int64_t r) {
    Eigen::VectorXd w(cols);
    for (int64_t c = 0; c < cols; ++c)
      w[c] = input.at(r, c);
    losses[r] = greedyRow(w, hinv, dead, cap);
  });
  // Allocate: repeatedly take the cheapest next removal of any row (each
  // row's removals in its own order), exactly `total` of them (ties by row).
  std::vector<int64_t> counts(rows, 0);
  using Entry = std::tuple<double, int64_t>; // (loss, row)
  std::vector<Entry> heap;
  for (int64_t r = 0; r < rows; ++r)
    if (!losses[r].empty())
      heap.emplace_back(losses[r][0], r);
  auto cmp = [](const Entry &a, const Entry &b) { return a > b; };
  std::make_heap(heap.begin(), heap.end(), cmp);
  int64_t assigned = 0;
  while (assigned < total && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    int64_t r = std::get<1>(heap.back());
    heap.pop_back();
    ++counts[r];
    ++assigned;
    if (counts[r] < static_cast<int64_t>(losses[r].size())) {
      heap.emplace_back(losses[r][counts[r]], r);
      std::push_heap(heap.begin(), heap.end(), cmp);
    }
  }
  Matrix out = input;
  forEachRow(rows, [&](int64_t r) {
    Eigen::VectorXd w(cols);
    for (int64_t c = 0; c < cols; ++c)
      w[c] = input.at(r, c);
    greedyRow(w, hinv, dead, counts[r]);
    for (int64_t c = 0; c < cols; ++c)
      out.at(r, c) = w[c];
  });
  // (If the caps left fewer than `total` removals, the caller's exact-count
  // check tops up with the smallest remaining weights.)
  return out;
}
