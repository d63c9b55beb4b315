//===- Gram.h - Accumulation of calibration Gram matrices -------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// H = X^T X over the rows of X that calibration produces block by block
// (nn-calibrate: one block per captured activation and sample).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_CRITERIA_GRAM_H
#define PRUNE_OPT_CRITERIA_GRAM_H

#include <cstdint>
#include <vector>

namespace mlir::prune {

/// Sums X^T X over blocks of rows (each row `cols` inputs). Each block (or,
/// for blocks of fewer than stageRows() rows, a staged group of them) is a
/// float SYRK into a float partial sum, which is added into a double sum
/// every flushRows() rows and at the end: float products, double totals.
/// Memory: 12 bytes per element of the cols x cols matrix, plus the stage.
class GramAccumulator {
public:
  /// `threads`: threads of the SYRK (OpenBLAS builds; 1 otherwise).
  explicit GramAccumulator(int64_t cols, unsigned threads = 1);

  /// Adds the `rows` rows of `x` (row-major, rows x cols).
  void add(const float *x, int64_t rows);

  /// The symmetric cols x cols sum so far (row-major, double).
  std::vector<double> gram();

  int64_t cols() const { return numCols; }
  /// Rows added so far.
  int64_t rows() const { return totalRows; }
  /// Blocks of fewer rows are gathered up to this many before a SYRK.
  int64_t stageRows() const { return stageCapacity; }
  /// Rows summed in float between two additions into the double sum.
  static constexpr int64_t flushRows() { return 16384; }

private:
  void syrk(const float *x, int64_t rows);
  void flush();

  int64_t numCols;
  unsigned threads;
  int64_t totalRows = 0, stageCapacity = 0, staged = 0, unflushed = 0;
  std::vector<float> stage;   ///< stageCapacity x cols
  std::vector<float> partial; ///< lower triangle, since the last flush
  std::vector<double> sum;    ///< lower triangle
};

} // namespace mlir::prune

#endif // PRUNE_OPT_CRITERIA_GRAM_H
