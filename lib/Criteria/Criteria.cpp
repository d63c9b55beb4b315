//===- Criteria.cpp - Pruning criteria on plain buffers -------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Criteria.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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
  // The numZeros-th smallest score is the threshold: everything below it
  // goes, and of the scores equal to it the lowest indices (the order
  // (score, index)). nth_element on a contiguous copy, not on indices.
  std::vector<double> sorted(scores.begin(), scores.end());
  std::nth_element(sorted.begin(), sorted.begin() + (numZeros - 1),
                   sorted.end());
  double threshold = sorted[numZeros - 1];
  sorted = {};
  int64_t below = 0;
  for (double s : scores)
    below += s < threshold;
  int64_t ties = numZeros - below;
  for (size_t i = 0; i < n; ++i) {
    if (scores[i] < threshold) {
      keep[i] = 0;
    } else if (scores[i] == threshold && ties > 0) {
      keep[i] = 0;
      --ties;
    }
  }
  return keep;
}

std::vector<std::vector<uint8_t>>
mlir::prune::selectLowestGlobal(llvm::ArrayRef<std::vector<double>> scores,
                                int64_t numZeros) {
  int64_t total = 0;
  for (const std::vector<double> &s : scores)
    total += s.size();
  StreamingLowestSelect select([&](int64_t) { return numZeros; }, total);
  while (select.needsPass()) {
    for (const std::vector<double> &s : scores)
      select.add(s);
    select.finishPass();
  }
  std::vector<std::vector<uint8_t>> keep;
  for (const std::vector<double> &s : scores)
    keep.push_back(select.mask(s));
  return keep;
}

StreamingLowestSelect::StreamingLowestSelect(
    std::function<int64_t(int64_t)> numZerosFor, int64_t sizeHint,
    int64_t collectLimit)
    : numZerosFor(std::move(numZerosFor)),
      collectLimit(std::max<int64_t>(1, collectLimit)) {
  int bits = 64 - __builtin_clzll(uint64_t(std::max<int64_t>(sizeHint, 1)));
  histBits = std::clamp(bits - 8, 12, 20);
  histogram.assign(size_t(1) << histBits, 0);
}

uint64_t StreamingLowestSelect::key(double score) {
  if (std::isnan(score))
    return ~uint64_t(0); // never below the threshold, as in selectLowest
  if (score == 0.0)
    score = 0.0; // -0.0 ties with +0.0, as the doubles compare
  uint64_t u;
  std::memcpy(&u, &score, sizeof(u));
  const uint64_t sign = uint64_t(1) << 63;
  return (u & sign) ? ~u : (u | sign);
}

void StreamingLowestSelect::add(llvm::ArrayRef<double> scores) {
  if (done)
    return;
  if (numPasses == 0)
    count += scores.size();
  const int shift = 64 - prefixBits;
  auto inRange = [&](uint64_t k) {
    return prefixBits == 0 || (k >> shift) == prefix;
  };
  if (histBits > 0) {
    const int down = 64 - histBits;
    for (double s : scores) {
      uint64_t k = key(s);
      if (inRange(k))
        ++histogram[(k << prefixBits) >> down];
    }
  } else {
    for (double s : scores) {
      uint64_t k = key(s);
      if (inRange(k))
        collected.push_back(k);
    }
  }
}

void StreamingLowestSelect::finishPass() {
  if (done)
    return;
  if (numPasses++ == 0) {
    zeros = std::clamp<int64_t>(numZerosFor(count), 0, count);
    if (zeros == 0) {
      pruneNone = done = true;
      histogram = {};
      return;
    }
  }
  // The rank of the threshold among the keys in range (1-based). (Every
  // pass must see the same scores; if one did not, the clamps below keep
  // the selection in bounds and the count of zeros is off.)
  int64_t rank = zeros - below;
  if (histBits == 0) {
    if (collected.empty()) {
      pruneNone = done = true;
      return;
    }
    rank = std::clamp<int64_t>(rank, 1, collected.size());
    std::nth_element(collected.begin(), collected.begin() + (rank - 1),
                     collected.end());
    threshold = collected[rank - 1];
    int64_t less = 0;
    for (uint64_t k : collected)
      less += k < threshold;
    ties = rank - less;
    collected = {};
    done = true;
    return;
  }
  int64_t cumulative = 0;
  size_t bucket = 0;
  while (bucket + 1 < histogram.size() && cumulative + histogram[bucket] < rank)
    cumulative += histogram[bucket++];
  const int64_t inBucket = histogram[bucket];
  below += cumulative;
  prefix = prefixBits == 0 ? uint64_t(bucket)
                           : (prefix << histBits) | uint64_t(bucket);
  prefixBits += histBits;
  if (prefixBits == 64) { // every bit known: the bucket is one key
    threshold = prefix;
    ties = zeros - below;
    histogram = {};
    done = true;
    return;
  }
  if (inBucket <= collectLimit) {
    histBits = 0;
    histogram = {};
    collected.reserve(inBucket);
  } else {
    histBits = std::min(16, 64 - prefixBits);
    histogram.assign(size_t(1) << histBits, 0);
  }
}

std::vector<uint8_t>
StreamingLowestSelect::mask(llvm::ArrayRef<double> scores) {
  std::vector<uint8_t> keep(scores.size(), 1);
  if (pruneNone)
    return keep;
  for (size_t i = 0; i < scores.size(); ++i) {
    uint64_t k = key(scores[i]);
    if (k < threshold) {
      keep[i] = 0;
    } else if (k == threshold && ties > 0) {
      keep[i] = 0;
      --ties;
    }
  }
  return keep;
}

MatrixLayout mlir::prune::makeMatrixLayout(llvm::ArrayRef<int64_t> shape,
                                           llvm::ArrayRef<bool> isReduction) {
  size_t rank = shape.size();
  std::vector<size_t> order; // output dims, then reduction dims
  bool anyReduction = false;
  for (size_t d = 0; d < rank; ++d)
    anyReduction |= isReduction[d];
  auto reduces = [&](size_t d) {
    return anyReduction ? bool(isReduction[d]) : d + 1 == rank;
  };
  for (size_t d = 0; d < rank; ++d)
    if (!reduces(d))
      order.push_back(d);
  size_t numOutputs = order.size();
  for (size_t d = 0; d < rank; ++d)
    if (reduces(d))
      order.push_back(d);

  MatrixLayout layout;
  layout.rows = 1;
  layout.cols = 1;
  for (size_t l = 0; l < rank; ++l)
    (l < numOutputs ? layout.rows : layout.cols) *= shape[order[l]];
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  int64_t total = layout.rows * layout.cols;
  layout.index.resize(total);
  std::vector<int64_t> idx(rank, 0); // multi-index in `order`
  for (int64_t p = 0; p < total; ++p) {
    int64_t src = 0;
    for (size_t l = 0; l < rank; ++l)
      src += idx[l] * strides[order[l]];
    layout.index[p] = src;
    for (int64_t l = static_cast<int64_t>(rank) - 1; l >= 0; --l) {
      if (++idx[l] < shape[order[l]])
        break;
      idx[l] = 0;
    }
  }
  return layout;
}

std::vector<uint8_t> mlir::prune::selectNM(llvm::ArrayRef<double> scores,
                                           const MatrixLayout &layout,
                                           unsigned n, unsigned m) {
  std::vector<uint8_t> keep(scores.size(), 1);
  std::vector<int64_t> group(m);
  for (int64_t r = 0; r < layout.rows; ++r) {
    for (int64_t c0 = 0; c0 + m <= layout.cols; c0 += m) {
      for (unsigned j = 0; j < m; ++j)
        group[j] = layout.index[r * layout.cols + c0 + j];
      // Lowest (score, index) first; prune the first m - n.
      std::sort(group.begin(), group.end(), [&](int64_t a, int64_t b) {
        return std::tie(scores[a], a) < std::tie(scores[b], b);
      });
      for (unsigned j = 0; j < m - n; ++j)
        keep[group[j]] = 0;
    }
  }
  return keep;
}

std::vector<int64_t> mlir::prune::blockGroups(const MatrixLayout &layout,
                                              int64_t blockRows,
                                              int64_t blockCols,
                                              int64_t &numGroups) {
  std::vector<int64_t> groupOf(layout.index.size());
  numGroups = 0;
  if (layout.rows <= 0 || layout.cols <= 0 || blockRows <= 0 || blockCols <= 0)
    return groupOf; // no elements, no groups
  int64_t blocksPerRow = (layout.cols + blockCols - 1) / blockCols;
  int64_t blockRowCount = (layout.rows + blockRows - 1) / blockRows;
  numGroups = blocksPerRow * blockRowCount;
  for (int64_t r = 0; r < layout.rows; ++r)
    for (int64_t c = 0; c < layout.cols; ++c)
      groupOf[layout.index[r * layout.cols + c]] =
          (r / blockRows) * blocksPerRow + c / blockCols;
  return groupOf;
}

std::vector<double> mlir::prune::groupScores(llvm::ArrayRef<double> scores,
                                             llvm::ArrayRef<int64_t> groupOf,
                                             int64_t numGroups) {
  std::vector<double> sum(numGroups, 0.0);
  std::vector<int64_t> count(numGroups, 0);
  for (size_t i = 0; i < scores.size(); ++i) {
    double s = std::max(scores[i], 0.0);
    sum[groupOf[i]] += s * s;
    ++count[groupOf[i]];
  }
  for (int64_t g = 0; g < numGroups; ++g)
    sum[g] = count[g] ? sum[g] / count[g] : 0.0;
  return sum;
}

std::vector<uint8_t>
mlir::prune::expandGroupMask(llvm::ArrayRef<uint8_t> groupKeep,
                             llvm::ArrayRef<int64_t> groupOf) {
  std::vector<uint8_t> keep(groupOf.size());
  for (size_t i = 0; i < groupOf.size(); ++i)
    keep[i] = groupKeep[groupOf[i]];
  return keep;
}

std::vector<double> mlir::prune::adaptiveSparsityGrid() {
  std::vector<double> grid;
  for (int i = 0; i <= 19; ++i)
    grid.push_back(0.05 * i);
  grid.push_back(0.98);
  return grid;
}

std::vector<double> mlir::prune::budgetSparsityGrid() {
  std::vector<double> grid = adaptiveSparsityGrid();
  grid.insert(grid.end() - 1, {0.96, 0.97});
  grid.push_back(0.99);
  grid.push_back(0.995);
  return grid;
}

AdaptiveAllocation
mlir::prune::allocateSparsities(llvm::ArrayRef<int64_t> layerSizes,
                                llvm::ArrayRef<std::vector<double>> err,
                                llvm::ArrayRef<double> grid, double sparsity) {
  size_t numLayers = layerSizes.size();
  int64_t total = 0;
  for (int64_t n : layerSizes)
    total += n;
  AdaptiveAllocation result;
  int64_t want = targetZeros(total, sparsity);
  result.wanted = want;
  std::vector<size_t> at(numLayers, 0);
  auto zerosAt = [&](size_t l, size_t g) {
    return targetZeros(layerSizes[l], grid[g]);
  };
  int64_t have = 0;
  size_t last = numLayers;
  while (have < want) {
    size_t best = numLayers, bestNext = 0;
    double bestCost = 0;
    for (size_t l = 0; l < numLayers; ++l) {
      // The next grid point that removes more weights (small layers can
      // have equal counts at neighbouring points).
      size_t next = at[l] + 1;
      while (next < grid.size() && zerosAt(l, next) <= zerosAt(l, at[l]))
        ++next;
      if (next >= grid.size())
        continue;
      int64_t gain = zerosAt(l, next) - zerosAt(l, at[l]);
      double cost = (err[l][next] - err[l][at[l]]) / gain;
      if (best == numLayers || cost < bestCost) {
        best = l;
        bestNext = next;
        bestCost = cost;
      }
    }
    if (best == numLayers)
      break; // every layer at the top of the grid
    have += zerosAt(best, bestNext) - zerosAt(best, at[best]);
    at[best] = bestNext;
    last = best;
  }
  // The last step may overshoot: hand the surplus back to the layer that
  // took it, as a sparsity between grid points.
  result.zeros.resize(numLayers);
  for (size_t l = 0; l < numLayers; ++l)
    result.zeros[l] = zerosAt(l, at[l]);
  if (have > want && last < numLayers)
    result.zeros[last] -= have - want;
  if (have < want)
    result.shortfall = want - have;
  for (size_t l = 0; l < numLayers; ++l)
    result.sparsities.push_back(double(result.zeros[l]) /
                                double(layerSizes[l]));
  return result;
}

BudgetAllocation
mlir::prune::allocateToBudget(llvm::ArrayRef<std::vector<double>> cost,
                              llvm::ArrayRef<std::vector<double>> err,
                              double budget) {
  size_t numLayers = cost.size();
  BudgetAllocation result;
  result.points.assign(numLayers, 0);
  std::vector<size_t> &at = result.points;
  double total = 0;
  for (size_t l = 0; l < numLayers; ++l)
    total += cost[l][0];
  // Greedy: the least error per unit of cost saved.
  while (total > budget) {
    size_t best = numLayers, bestPoint = 0;
    double bestRatio = 0, bestSaving = 0;
    for (size_t l = 0; l < numLayers; ++l)
      for (size_t g = at[l] + 1; g < cost[l].size(); ++g) {
        double saving = cost[l][at[l]] - cost[l][g];
        if (!(saving > 0))
          continue;
        double ratio = std::max(0.0, err[l][g] - err[l][at[l]]) / saving;
        if (best == numLayers || ratio < bestRatio ||
            (ratio == bestRatio && saving > bestSaving)) {
          best = l;
          bestPoint = g;
          bestRatio = ratio;
          bestSaving = saving;
        }
      }
    if (best == numLayers)
      break; // no move saves anything: the budget is out of reach
    total -= bestSaving;
    at[best] = bestPoint;
  }
  if (total > budget) {
    // Out of reach: the cheapest point of every layer.
    total = 0;
    for (size_t l = 0; l < numLayers; ++l) {
      at[l] = std::min_element(cost[l].begin(), cost[l].end()) -
              cost[l].begin();
      total += cost[l][at[l]];
    }
  } else {
    // Step back where the budget allows it, the largest error gain first.
    while (true) {
      size_t best = numLayers, bestPoint = 0;
      double bestGain = 0;
      for (size_t l = 0; l < numLayers; ++l)
        for (size_t g = 0; g < at[l]; ++g) {
          double gain = err[l][at[l]] - err[l][g];
          if (gain > bestGain &&
              total - cost[l][at[l]] + cost[l][g] <= budget) {
            best = l;
            bestPoint = g;
            bestGain = gain;
          }
        }
      if (best == numLayers)
        break;
      total += cost[best][bestPoint] - cost[best][at[best]];
      at[best] = bestPoint;
    }
  }
  result.cost = total;
  for (size_t l = 0; l < numLayers; ++l)
    result.error += err[l][at[l]];
  result.met = total <= budget;
  return result;
}

ChannelStats mlir::prune::channelStats(llvm::ArrayRef<float> values) {
  ChannelStats st;
  if (values.empty())
    return st;
  // The histogram spans the finite values; infinities and NaNs (a model
  // that overflows) go to the end bins, never through a float-to-int
  // conversion of a non-finite number.
  double lo = INFINITY, hi = -INFINITY, sumAbs = 0;
  int64_t zeros = 0;
  for (float v : values) {
    if (std::isfinite(v)) {
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
    sumAbs += std::fabs(v);
    zeros += v == 0.0f;
  }
  st.meanAbs = sumAbs / values.size();
  st.zeroFraction = double(zeros) / values.size();
  if (hi > lo) {
    constexpr int kBins = 32;
    int64_t counts[kBins] = {};
    for (float v : values) {
      double t = (double(v) - lo) / (hi - lo) * kBins;
      int bin = !(t > 0) ? 0 : t >= kBins ? kBins - 1 : static_cast<int>(t);
      ++counts[bin];
    }
    for (int64_t c : counts)
      if (c) {
        double p = double(c) / values.size();
        st.entropy -= p * std::log(p);
      }
  }
  return st;
}
