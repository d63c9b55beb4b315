//===- LinalgUtils.cpp - Helpers for rewriting linalg ops -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/LinalgUtils.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "llvm/ADT/Sequence.h"

using namespace mlir;
using namespace mlir::prune;

FailureOr<linalg::LinalgOp>
mlir::prune::readPermutedInput(RewriterBase &rewriter, linalg::LinalgOp op,
                               unsigned operandIndex, Value newInput,
                               ArrayRef<int64_t> order) {
  AffineMap oldMap = op.getIndexingMapsArray()[operandIndex];
  if (order.size() != oldMap.getNumResults())
    return failure();
  bool identity = llvm::equal(order, llvm::seq<int64_t>(0, order.size()));
  if (identity) {
    rewriter.modifyOpInPlace(op, [&] { op->setOperand(operandIndex, newInput); });
    return op;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> converted =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(converted))
      return failure();
    generic = *converted;
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t d : order)
    exprs.push_back(oldMap.getResult(d));
  SmallVector<Attribute> maps(generic.getIndexingMaps().getValue());
  maps[operandIndex] = AffineMapAttr::get(AffineMap::get(
      oldMap.getNumDims(), oldMap.getNumSymbols(), exprs, op.getContext()));
  rewriter.modifyOpInPlace(generic, [&] {
    generic.setIndexingMapsAttr(rewriter.getArrayAttr(maps));
    generic->setOperand(operandIndex, newInput);
  });
  return cast<linalg::LinalgOp>(generic.getOperation());
}
