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
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

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
/// Interchanges the loops of a dense contraction into vectorFriendlyOrder.
struct DenseLoopOrderPattern : OpRewritePattern<linalg::GenericOp> {
  DenseLoopOrderPattern(MLIRContext *ctx, Pass::Statistic &numInterchanged)
      : OpRewritePattern(ctx), numInterchanged(numInterchanged) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!WeightAnalysis::isContraction(op))
      return rewriter.notifyMatchFailure(op, "not a contraction");
    if (llvm::any_of(op->getOperandTypes(), [](Type t) {
          return sparse_tensor::getSparseTensorEncoding(t) != nullptr;
        }))
      return rewriter.notifyMatchFailure(
          op, "has a sparse operand (the sparsifier orders its loops)");
    std::optional<SmallVector<unsigned>> order = vectorFriendlyOrder(op);
    if (!order)
      return rewriter.notifyMatchFailure(
          op, "already in order, or the output's last dimension is not a "
              "plain parallel loop");
    if (failed(linalg::interchangeGenericOp(rewriter, op, *order)))
      return rewriter.notifyMatchFailure(op, "interchange failed");
    ++numInterchanged;
    return success();
  }

  Pass::Statistic &numInterchanged;
};

struct NNDenseLoopOrderPass
    : public prune::impl::NNDenseLoopOrderBase<NNDenseLoopOrderPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DenseLoopOrderPattern>(&getContext(), numInterchanged);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
