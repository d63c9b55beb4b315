//===- Criteria.cpp - Pruning criteria on plain buffers -------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Criteria.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

using namespace mlir::prune;

int64_t mlir::prune::targetZeros(int64_t n, double sparsity) {
  double k = std::round(sparsity * static_cast<double>(n));
  return std::clamp<int64_t>(static_cast<int64_t>(k), 0, n);
}

std::vector<double> mlir::prune::magnitudeScores(llvm::ArrayRef<double> w) {
  std::vector<double> scores(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    scores[i] = std::fabs(w[i]);
  return scores;
}

/// splitmix64: a tiny, well-mixed generator with the same output everywhere
/// (std::mt19937 distributions are not portable across standard libraries).
static uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<double> mlir::prune::randomScores(llvm::ArrayRef<double> w,
                                              uint64_t seed) {
  std::vector<double> scores(w.size());
  uint64_t state = seed;
  for (size_t i = 0; i < w.size(); ++i) {
    double r = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
    scores[i] = w[i] == 0.0 ? -1.0 : r;
  }
  return scores;
}

std::vector<uint8_t> mlir::prune::selectLowest(llvm::ArrayRef<double> scores,
                                               int64_t numZeros) {
  size_t n = scores.size();
  std::vector<uint8_t> keep(n, 1);
  numZeros = std::clamp<int64_t>(numZeros, 0, n);
  if (numZeros == 0)
    return keep;
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto less = [&](uint32_t a, uint32_t b) {
    return std::tie(scores[a], a) < std::tie(scores[b], b);
  };
  if (static_cast<size_t>(numZeros) < n)
    std::nth_element(order.begin(), order.begin() + numZeros, order.end(),
                     less);
  for (int64_t i = 0; i < numZeros; ++i)
    keep[order[i]] = 0;
  return keep;
}

std::vector<std::vector<uint8_t>>
mlir::prune::selectLowestGlobal(llvm::ArrayRef<std::vector<double>> scores,
                                int64_t numZeros) {
  std::vector<std::vector<uint8_t>> keep;
  std::vector<std::pair<uint32_t, uint32_t>> order; // (tensor, element)
  for (size_t t = 0; t < scores.size(); ++t) {
    keep.emplace_back(scores[t].size(), 1);
    for (size_t i = 0; i < scores[t].size(); ++i)
      order.emplace_back(t, i);
  }
  numZeros = std::clamp<int64_t>(numZeros, 0, order.size());
  if (numZeros == 0)
    return keep;
  auto less = [&](const std::pair<uint32_t, uint32_t> &a,
                  const std::pair<uint32_t, uint32_t> &b) {
    return std::tie(scores[a.first][a.second], a.first, a.second) <
           std::tie(scores[b.first][b.second], b.first, b.second);
  };
  if (static_cast<size_t>(numZeros) < order.size())
    std::nth_element(order.begin(), order.begin() + numZeros, order.end(),
                     less);
  for (int64_t i = 0; i < numZeros; ++i)
    keep[order[i].first][order[i].second] = 0;
  return keep;
}
