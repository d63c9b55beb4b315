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

/// Row-major transpose of `values` (shape `shape`) by `perm`: result dim i
/// is input dim perm[i].
static std::vector<double> transposeData(ArrayRef<double> values,
                                         ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> perm) {
  size_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1), outShape;
  for (int64_t d = int64_t(rank) - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  for (int64_t p : perm)
    outShape.push_back(shape[p]);
  std::vector<double> out(values.size());
  SmallVector<int64_t> idx(rank, 0);
  for (size_t linear = 0; linear < out.size(); ++linear) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i)
      src += idx[i] * inStrides[perm[i]];
    out[linear] = values[src];
    for (int64_t i = int64_t(rank) - 1; i >= 0; --i) {
      if (++idx[i] < outShape[i])
        break;
      idx[i] = 0;
    }
  }
  return out;
}

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
        std::vector<double> transposed = transposeData(
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
