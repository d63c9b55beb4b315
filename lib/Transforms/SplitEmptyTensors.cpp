//===- SplitEmptyTensors.cpp - The nn-split-empty-tensors pass ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSPLITEMPTYTENSORS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
/// Replaces a tensor.empty by one copy per use, right before its user.
struct SplitEmptyTensorPattern : OpRewritePattern<tensor::EmptyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::EmptyOp empty,
                                PatternRewriter &rewriter) const override {
    if (empty->hasOneUse() &&
        empty->getUses().begin()->getOwner()->getBlock() == empty->getBlock())
      return rewriter.notifyMatchFailure(
          empty, "already a single use in the same block");
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : empty->getUses())
      uses.push_back(&use);
    for (OpOperand *use : uses) {
      Operation *user = use->getOwner();
      // Dynamic sizes must dominate the new position: they do if they are
      // defined in an ancestor block of the user, which holds for any use
      // the original empty dominated.
      rewriter.setInsertionPoint(user);
      Operation *copy = rewriter.clone(*empty);
      rewriter.modifyOpInPlace(user, [&] { use->set(copy->getResult(0)); });
    }
    rewriter.eraseOp(empty);
    return success();
  }
};

struct NNSplitEmptyTensorsPass
    : public prune::impl::NNSplitEmptyTensorsBase<NNSplitEmptyTensorsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitEmptyTensorPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
