//===- Criteria.h - Pruning criteria on plain buffers -----------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Numeric pruning criteria. Plain C++ on buffers: no MLIR types, so every
// criterion is unit-tested on its own.
//
// A criterion turns weights into *scores* (lower = pruned first); a selector
// turns scores into a mask with an exact number of zeros. Elements that are
// already zero always score lowest, so they count towards the target and
// pruning is idempotent.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_CRITERIA_CRITERIA_H
#define PRUNE_OPT_CRITERIA_CRITERIA_H

#include "prune-opt/Dialect/Prune/PruneEnums.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace mlir::prune {

// Criterion, Refit, Scope, PrunePattern: PruneEnums.td (shared with the
// #prune.decision attribute and the pass options).

/// A weight seen as a matrix [rows = outputs, cols = reduction]: matrix
/// element (r, c) is weight element `index[r * cols + c]` (output dimensions
/// first, reduction dimensions last, each in the weight's own order).
struct MatrixLayout {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> index;
};

/// The layout of a row-major tensor of `shape` whose dimensions
/// `isReduction[d]` are reduction dimensions. With no reduction dimension,
/// the innermost one is used.
MatrixLayout makeMatrixLayout(llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<bool> isReduction);

/// Number of zeros for a tensor of `n` elements at `sparsity`:
/// round-half-away-from-zero of `sparsity * n`, clamped to [0, n].
int64_t targetZeros(int64_t n, double sparsity);

/// Magnitude scores: |w|.
std::vector<double> magnitudeScores(llvm::ArrayRef<double> weights);

/// Random scores in [0, 1) from a fixed generator seeded with `seed` (the
/// same on every platform); zeros of `weights` score -1 (pruned first).
std::vector<double> randomScores(llvm::ArrayRef<double> weights,
                                 uint64_t seed);

/// Keep-mask (1 = keep) with exactly `numZeros` zeros: the `numZeros`
/// elements with the lowest (score, index).
std::vector<uint8_t> selectLowest(llvm::ArrayRef<double> scores,
                                  int64_t numZeros);

/// Global selection: masks for several tensors with exactly `numZeros` zeros
/// in total, the lowest by (score, tensor index, element index). (All
/// scores in memory: StreamingLowestSelect below, fed from the vectors.)
std::vector<std::vector<uint8_t>>
selectLowestGlobal(llvm::ArrayRef<std::vector<double>> scores,
                   int64_t numZeros);

/// The global selection of selectLowestGlobal (the same masks) over scores
/// that come one tensor at a time and are not kept: the memory is a
/// histogram and at most `collectLimit` scores, whatever the model's size.
/// It takes passes over all the scores: in each, add() every tensor's
/// scores (any order), then finishPass(); while needsPass() is true,
/// another pass is needed. Then mask() gives each tensor its keep-mask,
/// called once per tensor in tensor order.
///
/// A radix selection on the scores as ordered 64-bit keys: the first pass
/// counts them in buckets of their top bits (2^12 to 2^20 buckets, about
/// `sizeHint` / 256: 8 MiB at most) and finds the bucket that holds the
/// threshold (the numZeros-th lowest); the next collects that bucket's
/// scores and takes the exact threshold from them, or, when the bucket
/// holds more than `collectLimit`, histograms its next 16 bits first. Two
/// passes in the usual case.
class StreamingLowestSelect {
public:
  /// `numZerosFor(total)`: the zeros to select once the first pass has
  /// counted the scores.
  /// `sizeHint`: about how many scores there are.
  explicit StreamingLowestSelect(std::function<int64_t(int64_t)> numZerosFor,
                                 int64_t sizeHint,
                                 int64_t collectLimit = int64_t(1) << 23);

  bool needsPass() const { return !done; }
  void add(llvm::ArrayRef<double> scores);
  void finishPass();
  /// The keep-mask of the next tensor (1 = keep).
  std::vector<uint8_t> mask(llvm::ArrayRef<double> scores);

  int64_t total() const { return count; }
  int64_t numZeros() const { return zeros; }
  int64_t passes() const { return numPasses; }

  /// The order of the selection: uint64 keys ordered as the doubles (-0.0
  /// as +0.0; NaN above everything).
  static uint64_t key(double score);

private:
  std::function<int64_t(int64_t)> numZerosFor;
  int64_t collectLimit;
  int64_t zeros = 0, count = 0, numPasses = 0;
  bool done = false;
  /// Keys whose top `prefixBits` bits are `prefix` are in range; `below`
  /// keys are lower than all of them.
  uint64_t prefix = 0;
  int prefixBits = 0;
  int64_t below = 0;
  int histBits; ///< this pass histograms; 0: it collects
  std::vector<int64_t> histogram;
  std::vector<uint64_t> collected;
  /// The result: keys below `threshold` go, and the first `ties` equal to
  /// it (in tensor, element order).
  uint64_t threshold = 0;
  int64_t ties = 0;
  bool pruneNone = false;
};

/// N:M: in every group of `m` consecutive columns of each row, keep the `n`
/// elements with the highest (score, -index) and prune the others (existing
/// zeros go first). Requires `layout.cols % m == 0` and n < m. Returns a
/// keep-mask in weight element order.
std::vector<uint8_t> selectNM(llvm::ArrayRef<double> scores,
                              const MatrixLayout &layout, unsigned n,
                              unsigned m);

/// Group ids (in weight element order) of `blockRows` x `blockCols` blocks of
/// the matrix (edge blocks may be smaller); `numGroups` is set.
std::vector<int64_t> blockGroups(const MatrixLayout &layout,
                                 int64_t blockRows, int64_t blockCols,
                                 int64_t &numGroups);

/// Group score: the mean of max(score, 0)^2 over the group's elements (for
/// magnitude scores, the mean squared weight: an L2 criterion that does not
/// favour big groups).
std::vector<double> groupScores(llvm::ArrayRef<double> scores,
                                llvm::ArrayRef<int64_t> groupOf,
                                int64_t numGroups);

/// Element keep-mask from a group keep-mask.
std::vector<uint8_t> expandGroupMask(llvm::ArrayRef<uint8_t> groupKeep,
                                     llvm::ArrayRef<int64_t> groupOf);

/// The sparsity grid of adaptive allocation: 0, 5 %, ..., 95 %, then 98 %.
std::vector<double> adaptiveSparsityGrid();

/// The sparsity grid of the budgets: adaptiveSparsityGrid with 96 % and
/// 97 % between its 95 % and 98 %, then 99 % and 99.5 %. A latency budget
/// of a small model (a quarter of the MNIST MLP's ~4 us) needs its largest
/// layer past 98 %; a sparsity target does not (adaptive allocation reaches
/// any target up to 98 % on its grid). Between 95 % and 98 % the cost of a
/// layer at batch 1 drops by ~30 % (the MLP's 128x784: 0.51 to 0.36 of the
/// model's latency) while its error rises fastest: without 96 and 97 % the
/// MLP's budget-latency=0.5 plan stopped at 98 % (0.33 of dense, 0.82
/// accuracy) where 96 % keeps 0.90 at 0.47.
std::vector<double> budgetSparsityGrid();

/// Per-layer sparsities chosen by adaptive allocation.
struct AdaptiveAllocation {
  int64_t wanted = 0;             ///< round(sparsity * total elements)
  std::vector<int64_t> zeros;     ///< zeros per layer (sum: wanted - shortfall)
  std::vector<double> sparsities; ///< zeros[l] / layerSizes[l]
  int64_t shortfall = 0; ///< zeros missing when every layer reached the top
                         ///< of the grid (0 otherwise)
};

/// Adaptive allocation over layers of `layerSizes[l]` elements whose relative
/// error at sparsity `grid[g]` (ascending, starting at 0) is
/// `errorsOnGrid[l][g]`: starting from the bottom of the grid, repeatedly
/// moves the layer whose next step (the next grid point that removes more of
/// its weights) costs the least error per removed weight (ties: the lowest
/// layer index) until the layers hold at least round(sparsity * total) zeros.
/// The surplus of the last step is handed back to the layer that took it (a
/// sparsity between grid points), so the total is exact unless the grid ran
/// out (see `shortfall`).
AdaptiveAllocation
allocateSparsities(llvm::ArrayRef<int64_t> layerSizes,
                   llvm::ArrayRef<std::vector<double>> errorsOnGrid,
                   llvm::ArrayRef<double> grid, double sparsity);

/// Per-layer grid points chosen by budget allocation.
struct BudgetAllocation {
  std::vector<size_t> points; ///< grid point per layer
  double cost = 0;            ///< sum of cost[l][points[l]]
  double error = 0;           ///< sum of err[l][points[l]]
  bool met = false;           ///< cost <= budget
};

/// Budget allocation: layer `l` at grid point `g` (point 0 = unpruned) costs
/// `cost[l][g]` (bytes or ns; not necessarily monotone: a format may store
/// more than dense at low sparsity) and has relative error `err[l][g]`.
/// Starting from point 0 everywhere, repeatedly moves the layer whose move
/// to a later point that lowers its cost has the least error added per unit
/// of cost saved (ties: the larger saving, then the lowest layer), until
/// the total cost is <= `budget`. Then, while some layer can step back to
/// an earlier point with less error and the total stays within the budget,
/// the one that removes the most error does (the last greedy step usually
/// overshoots). If even the cheapest point of every layer misses the
/// budget, those points are returned with `met` false.
BudgetAllocation
allocateToBudget(llvm::ArrayRef<std::vector<double>> cost,
                 llvm::ArrayRef<std::vector<double>> err, double budget);

/// Statistics of one output channel's activations.
struct ChannelStats {
  double meanAbs = 0;      ///< Mean |a|.
  double zeroFraction = 0; ///< Fraction of exact zeros (dead ReLU outputs).
  double entropy = 0;      ///< Entropy (nats) of a 32-bin histogram over
                           ///< [min, max]; 0 for a constant channel.
};
ChannelStats channelStats(llvm::ArrayRef<float> values);

} // namespace mlir::prune

#endif // PRUNE_OPT_CRITERIA_CRITERIA_H
