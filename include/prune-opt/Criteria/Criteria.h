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

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::prune {

enum class Criterion { Magnitude, Random };
enum class Scope { Layer, Global };

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
/// in total, the lowest by (score, tensor index, element index).
std::vector<std::vector<uint8_t>>
selectLowestGlobal(llvm::ArrayRef<std::vector<double>> scores,
                   int64_t numZeros);

} // namespace mlir::prune

#endif // PRUNE_OPT_CRITERIA_CRITERIA_H
