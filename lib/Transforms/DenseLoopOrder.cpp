//===- DenseLoopOrder.cpp - The nn-dense-loop-order pass ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNDENSELOOPORDER
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

/// The loop order that puts the output's innermost parallel loop last and
/// the reductions right outside it, or nothing if it is already so or does
/// not apply.
static std::optional<SmallVector<unsigned>>
vectorFriendlyOrder(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (!last || iters[last.getPosition()] != utils::IteratorType::parallel)
    return std::nullopt;
  unsigned inner = last.getPosition();
  SmallVector<unsigned> order;
  for (unsigned l = 0; l < iters.size(); ++l)
    if (l != inner && iters[l] == utils::IteratorType::parallel)
      order.push_back(l);
  for (unsigned l = 0; l < iters.size(); ++l)
    if (iters[l] == utils::IteratorType::reduction)
      order.push_back(l);
  order.push_back(inner);
  if (llvm::equal(order, llvm::seq<unsigned>(0, iters.size())))
    return std::nullopt;
  return order;
}

namespace {
struct NNDenseLoopOrderPass
    : public prune::impl::NNDenseLoopOrderBase<NNDenseLoopOrderPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!WeightAnalysis::isContraction(op))
        return;
      if (llvm::any_of(op->getOperandTypes(), [](Type t) {
            return sparse_tensor::getSparseTensorEncoding(t) != nullptr;
          }))
        return; // the sparsifier orders sparse loops itself
      candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      std::optional<SmallVector<unsigned>> order = vectorFriendlyOrder(op);
      if (!order)
        continue;
      rewriter.setInsertionPoint(op);
      if (succeeded(linalg::interchangeGenericOp(rewriter, op, *order)))
        ++numInterchanged;
    }
  }
};
} // namespace
