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

/// A 2-D convolution computed as a fully connected layer over im2col
/// patches: linalg.conv_2d_nchw_fchw with batch 1, f32, static shapes.
/// The weight is the filter viewed as [F, C*KH*KW]; the "batch" is the
/// OH*OW output positions.
struct ConvAsFullyConnected {
  int64_t channels = 0, filters = 0, kh = 0, kw = 0, oh = 0, ow = 0;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  FullyConnected fc; // outputs = F, reduction = C*KH*KW, batch = OH*OW
};

std::optional<ConvAsFullyConnected>
matchConvAsFullyConnected(linalg::LinalgOp op, unsigned filterOperand);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_LINALGUTILS_H
