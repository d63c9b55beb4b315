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
    : public WeightWritingPass<NNFoldWeightTransposesPass,
                               prune::impl::NNFoldWeightTransposesBase> {
  void runOnModule() {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (WeightAnalysis::isContraction(op))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions) {
      for (unsigned i = 0, e = op.getNumDpsInputs(); i < e; ++i) {
        // A chain of linalg.transpose, linalg.copy and copying
        // linalg.generic ops (consumer side first) back to a constant.
        SmallVector<linalg::LinalgOp> views;
        SmallVector<SmallVector<int64_t>> perms;
        Value v = op->getOperand(i);
        while (auto view = v.getDefiningOp<linalg::LinalgOp>()) {
          std::optional<SmallVector<int64_t>> perm = getViewPermutation(view);
          if (!perm)
            break;
          views.push_back(view);
          perms.push_back(std::move(*perm));
          v = view.getDpsInputOperand(0)->get();
        }
        if (views.empty())
          continue;
        Operation *source = v.getDefiningOp();
        ElementsAttr value = source ? getConstantValue(source) : nullptr;
        if (!value || !isSupportedWeightElementType(
                          value.getShapedType().getElementType()))
          continue;
        FailureOr<std::vector<double>> data =
            readWeight(value, source);
        if (failed(data))
          continue; // (missing data: leave the transpose to run)
        std::vector<double> transposed = std::move(*data);
        SmallVector<int64_t> shape(value.getShapedType().getShape());
        for (size_t k = views.size(); k-- > 0;) {
          transposed = permuteDims(transposed, shape, perms[k]);
          SmallVector<int64_t> next;
          for (int64_t d : perms[k])
            next.push_back(shape[d]);
          shape = std::move(next);
        }
        auto type = cast<RankedTensorType>(views.front()->getResult(0).getType());
        rewriter.setInsertionPoint(source);
        // Keep the weight's name recognisable: `<resource key>_t`.
        std::string key = "nn_transposed";
        if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
          key = (resource.getRawHandle().getKey() + "_t").str();
        auto folded = arith::ConstantOp::create(
            rewriter, source->getLoc(),
            cast<TypedAttr>(writeWeight(type, transposed, key, writer)));
        folded->setDiscardableAttrs(source->getDiscardableAttrDictionary());
        rewriter.modifyOpInPlace(op, [&] { op->setOperand(i, folded); });
        ++numFolded;
        for (linalg::LinalgOp view : views) {
          if (!view->use_empty())
            break;
          Value init = view.getDpsInitOperand(0)->get();
          rewriter.eraseOp(view);
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
