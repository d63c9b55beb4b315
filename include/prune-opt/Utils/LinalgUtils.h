//===- LinalgUtils.h - Helpers for rewriting linalg ops ---------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_LINALGUTILS_H
#define PRUNE_OPT_UTILS_LINALGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::prune {

/// Makes input `operandIndex` of `op` read `newInput`, whose dimension `d`
/// is dimension `order[d]` of the current operand (a permuted view of the
/// same data), by permuting the operand's indexing map. Named ops are
/// generalized first (a named op's maps are fixed). Returns the op that now
/// reads `newInput` (`op` itself or its generic replacement).
FailureOr<linalg::LinalgOp> readPermutedInput(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              unsigned operandIndex,
                                              Value newInput,
                                              ArrayRef<int64_t> order);

/// A contraction y = x W^T (+ y) in linalg form: one reduction loop k, one
/// weight-output loop n, at most one batch loop m, f32 everywhere, static
/// shapes, each operand indexed by a permutation of its loops.
struct FullyConnected {
  unsigned weightOperand = 0, inputOperand = 0;
  int64_t batch = 1, outputs = 0, reduction = 0;
  bool weightKN = false; // weight indexed [k, n] (else [n, k])
  bool inputKM = false;  // input indexed [k, m] (else [m, k] or [k])
  bool outputNM = false; // output indexed [n, m] (else [m, n] or [n])
  bool vector = false;   // no batch loop: input [k], output [n]
};

/// Matches `op` as a fully connected layer whose weight is input
/// `weightOperand`.
std::optional<FullyConnected> matchFullyConnected(linalg::LinalgOp op,
                                                  unsigned weightOperand);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_LINALGUTILS_H
