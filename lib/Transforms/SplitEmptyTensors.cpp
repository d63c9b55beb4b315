//===- SplitEmptyTensors.cpp - The nn-split-empty-tensors pass ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSPLITEMPTYTENSORS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
struct NNSplitEmptyTensorsPass
    : public prune::impl::NNSplitEmptyTensorsBase<NNSplitEmptyTensorsPass> {
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> empties;
    getOperation().walk([&](tensor::EmptyOp op) { empties.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (tensor::EmptyOp empty : empties) {
      if (empty->hasOneUse() &&
          empty->getUses().begin()->getOwner()->getBlock() ==
              empty->getBlock())
        continue;
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
        rewriter.modifyOpInPlace(user,
                                 [&] { use->set(copy->getResult(0)); });
      }
      rewriter.eraseOp(empty);
    }
  }
};
} // namespace
