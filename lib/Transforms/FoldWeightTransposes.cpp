//===- FoldWeightTransposes.cpp - The nn-fold-weight-transposes pass ------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectResourceBlobManager.h"
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
        ElementsAttr value = source ? getConstantValue(source) : nullptr;
        if (!value || !isSupportedWeightElementType(
                          value.getShapedType().getElementType()))
          continue;
        FailureOr<std::vector<double>> data =
            readWeight(value, source->getLoc());
        if (failed(data))
          continue; // (missing data: leave the transpose to run)
        auto type = cast<RankedTensorType>(transpose.getResult()[0].getType());
        std::vector<double> transposed = permuteDims(
            *data, value.getShapedType().getShape(), transpose.getPermutation());
        rewriter.setInsertionPoint(source);
        // Keep the weight's name recognisable: `<resource key>_t`.
        std::string key = "nn_transposed";
        if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
          key = (resource.getRawHandle().getKey() + "_t").str();
        auto folded = arith::ConstantOp::create(
            rewriter, source->getLoc(),
            cast<TypedAttr>(writeWeight(type, transposed, key)));
        folded->setDiscardableAttrs(source->getDiscardableAttrDictionary());
        rewriter.modifyOpInPlace(op, [&] { op->setOperand(i, folded); });
        ++numFolded;
        if (transpose->use_empty()) {
          Value init = transpose.getInit();
          rewriter.eraseOp(transpose);
          if (Operation *def = init.getDefiningOp())
            if (isa<tensor::EmptyOp>(def) && def->use_empty())
              rewriter.eraseOp(def);
        }
        if (source->use_empty())
          rewriter.eraseOp(source);
      }
    }
  }
};
} // namespace
