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

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_LINALGUTILS_H
