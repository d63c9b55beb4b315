//===- UnitSliceStrides.cpp - The nn-unit-slice-strides pass --------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNUNITSLICESTRIDES
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
/// The strides of `op` with those of its size-1 dimensions set to 1 (a
/// size-1 dimension reads one element whatever its stride); nullopt when
/// there is nothing to change.
std::optional<SmallVector<OpFoldResult>>
unitStrides(OffsetSizeAndStrideOpInterface op, Builder &b) {
  SmallVector<OpFoldResult> strides = op.getMixedStrides();
  bool changed = false;
  for (auto [size, stride] : llvm::zip(op.getMixedSizes(), strides)) {
    if (!isConstantIntValue(size, 1) || isConstantIntValue(stride, 1))
      continue;
    stride = b.getIndexAttr(1);
    changed = true;
  }
  if (!changed)
    return std::nullopt;
  return strides;
}

struct ExtractSliceStrides : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExtractSliceOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<SmallVector<OpFoldResult>> strides =
        unitStrides(op, rewriter);
    if (!strides)
      return rewriter.notifyMatchFailure(op, "no size-1 dimension strided");
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), op.getSource(), op.getMixedOffsets(),
        op.getMixedSizes(), *strides);
    return success();
  }
};

template <typename InsertOp>
struct InsertSliceStrides : OpRewritePattern<InsertOp> {
  using OpRewritePattern<InsertOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(InsertOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<SmallVector<OpFoldResult>> strides =
        unitStrides(op, rewriter);
    if (!strides)
      return rewriter.notifyMatchFailure(op, "no size-1 dimension strided");
    rewriter.replaceOpWithNewOp<InsertOp>(op, op.getSource(), op.getDest(),
                                          op.getMixedOffsets(),
                                          op.getMixedSizes(), *strides);
    return success();
  }
};

struct NNUnitSliceStridesPass
    : public prune::impl::NNUnitSliceStridesBase<NNUnitSliceStridesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExtractSliceStrides, InsertSliceStrides<tensor::InsertSliceOp>,
                 InsertSliceStrides<tensor::ParallelInsertSliceOp>>(
        &getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
