//===- TosaConsts.cpp - The nn-tosa-consts-to-arith pass ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// tosa.const -> arith.constant with its discardable attributes (prune.*,
// nn.calib) kept, so that decisions taken on a TOSA model survive the
// conversion to linalg (upstream's tosa-to-arith drops them).
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNTOSACONSTSTOARITH
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
/// tosa.const -> arith.constant with the same value, location and
/// discardable attributes.
struct TosaConstToArithPattern : OpRewritePattern<tosa::ConstOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::ConstOp op,
                                PatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValuesAttr());
    if (!value || value.getType() != op.getType())
      return rewriter.notifyMatchFailure(
          op, "value is not typed as the result (left to tosa-to-arith)");
    auto cst = arith::ConstantOp::create(rewriter, op.getLoc(), value);
    for (NamedAttribute attr : op->getDiscardableAttrs())
      cst->setAttr(attr.getName(), attr.getValue());
    rewriter.replaceOp(op, cst.getResult());
    return success();
  }
};

struct NNTosaConstsToArithPass
    : public prune::impl::NNTosaConstsToArithBase<NNTosaConstsToArithPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TosaConstToArithPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
