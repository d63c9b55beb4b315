//===- FoldWeightTransposes.cpp - The nn-fold-weight-transposes pass ------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/LinalgUtils.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNFOLDWEIGHTTRANSPOSES
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

namespace {
struct NNFoldWeightTransposesPass
    : public prune::impl::NNFoldWeightTransposesBase<
          NNFoldWeightTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (WeightAnalysis::isContraction(op))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions) {
      for (unsigned i = 0, e = op.getNumDpsInputs(); i < e; ++i) {
        auto transpose =
            op->getOperand(i).getDefiningOp<linalg::TransposeOp>();
        if (!transpose)
          continue;
        Operation *source = transpose.getInput().getDefiningOp();
        if (!source || !getConstantValue(source))
          continue;
        // Input dim d is transposed dim j where permutation[j] == d.
        ArrayRef<int64_t> perm = transpose.getPermutation();
        SmallVector<int64_t> order(perm.size());
        for (auto [j, d] : llvm::enumerate(perm))
          order[d] = j;
        FailureOr<linalg::LinalgOp> reader = readPermutedInput(
            rewriter, op, i, transpose.getInput(), order);
        if (failed(reader))
          continue;
        op = *reader;
        ++numFolded;
        if (transpose->use_empty()) {
          Value init = transpose.getInit();
          rewriter.eraseOp(transpose);
          if (Operation *def = init.getDefiningOp())
            if (isa<tensor::EmptyOp>(def) && def->use_empty())
              rewriter.eraseOp(def);
        }
      }
    }
  }
};
} // namespace
