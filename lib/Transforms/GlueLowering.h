//===- GlueLowering.h - How nn-lower-cpu runs the ops between kernels -----===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The predicates of nn-vectorize-pooling and nn-flatten-elementwise, shared
// with the cost model of the work outside the weights' kernels
// (predictOtherNs), which prices what those passes rewrite as they run.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_TRANSFORMS_GLUELOWERING_H
#define PRUNE_OPT_LIB_TRANSFORMS_GLUELOWERING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::prune {

/// Longer input rows (NCHW) or channel vectors (NHWC) stay loops in
/// nn-vectorize-pooling.
constexpr int64_t kMaxPoolRowElements = 1024;

/// Larger windows (global pooling) stay loops in nn-vectorize-pooling, which
/// unrolls the window into the loop body.
constexpr int64_t kMaxPoolWindowElements = 64;

/// Whether nn-vectorize-pooling rewrites `op`: linalg.pooling_nchw_sum,
/// pooling_nchw_max, pooling_nhwc_sum or pooling_nhwc_max on static
/// dense tensors of one float type with no empty output dim, unit
/// dilations, windows of at most kMaxPoolWindowElements, vectors (NCHW:
/// input rows; NHWC: channels) of at most kMaxPoolRowElements.
bool isVectorizablePooling(Operation *op);

/// The elements nn-vectorize-pooling's code reads from `op`'s input (an
/// isVectorizablePooling op): NCHW, one input row per (image, channel,
/// output row, window row); NHWC, one vector of channels per (image, output
/// row and column, window element).
int64_t vectorizedPoolingReads(Operation *op);

/// Whether nn-flatten-elementwise runs `op` (once generalized) as one loop:
/// on tensors, at least two loops, all parallel, no linalg.index, every
/// operand dense and indexed by the identity or a scalar.
bool isFlattenableElementwise(linalg::LinalgOp op);

} // namespace mlir::prune

#endif // PRUNE_OPT_LIB_TRANSFORMS_GLUELOWERING_H
