//===- VectorizePooling.cpp - nn-vectorize-pooling, nn-flatten-elementwise ===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// NCHW sum and max pooling as row vectors: per (n, c, output row) the
// output row is one vector; per window row the input row is read once and
// each window column's inputs (every stride-th element) are picked out of
// it by a constant vector.shuffle. Generalized to loops instead, LLVM
// unrolls the short innermost loops fully and then vectorizes across
// output rows or channels with gathers and scatters (LeNet's two poolings:
// most of a pruned model's time on a Zen 4).
//
// Elementwise ops on small static shapes suffer the same way (1x6x14x14:
// the 14 columns unrolled, the rows gathered): nn-flatten-elementwise runs
// them as one loop over all their elements.
//
//===----------------------------------------------------------------------===//

#include "GlueLowering.h"

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNFLATTENELEMENTWISE
#define GEN_PASS_DEF_NNVECTORIZEPOOLING
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

/// The pooling's input and output shapes and strides.
template <typename PoolOp> static bool poolingShapes(PoolOp op) {
  if (!op.hasPureTensorSemantics())
    return false;
  auto inType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  auto windowType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  if (!inType || !outType || !windowType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || !windowType.hasStaticShape() ||
      !isa<FloatType>(outType.getElementType()) ||
      inType.getElementType() != outType.getElementType())
    return false;
  auto strides = llvm::to_vector(op.getStrides().template getValues<int64_t>());
  auto dilations =
      llvm::to_vector(op.getDilations().template getValues<int64_t>());
  if (strides.size() != 2 || dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return false;
  ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape(),
                    window = windowType.getShape();
  return in[3] <= prune::kMaxPoolRowElements && out[3] > 0 && out[2] > 0 &&
         strides[1] * (out[3] - 1) + window[1] <= in[3] &&
         strides[0] * (out[2] - 1) + window[0] <= in[2];
}

bool mlir::prune::isVectorizablePooling(Operation *op) {
  if (auto sum = dyn_cast<linalg::PoolingNchwSumOp>(op))
    return poolingShapes(sum);
  if (auto max = dyn_cast<linalg::PoolingNchwMaxOp>(op))
    return poolingShapes(max);
  return false;
}

bool mlir::prune::isFlattenableElementwise(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
      op.getNumParallelLoops() != op.getNumLoops())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    if (sparse_tensor::getSparseTensorEncoding(operand.get().getType()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isIdentity() && map.getNumResults() != 0)
      return false;
  }
  return true;
}

namespace {
/// linalg.pooling_nchw_sum / pooling_nchw_max (isVectorizablePooling).
template <typename PoolOp>
struct VectorizePoolingPattern : OpRewritePattern<PoolOp> {
  VectorizePoolingPattern(MLIRContext *ctx, Pass::Statistic &numVectorized)
      : OpRewritePattern<PoolOp>(ctx), numVectorized(numVectorized) {}

  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (!prune::isVectorizablePooling(op))
      return rewriter.notifyMatchFailure(
          op, "dynamic shapes, dilations, not one float type, rows over "
              "kMaxPoolRowElements, or windows out of bounds");
    Value input = op.getInputs()[0], init = op.getOutputs()[0];
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(init.getType());
    Type elem = outType.getElementType();
    auto strides =
        llvm::to_vector(op.getStrides().template getValues<int64_t>());
    ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape(),
                      window =
                          cast<RankedTensorType>(op.getInputs()[1].getType())
                              .getShape();
    int64_t rowWidth = in[3], outWidth = out[3];

    Location loc = op.getLoc();
    auto idx = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    Value zero = idx(0), one = idx(1);
    Value pad = arith::ConstantOp::create(rewriter, loc, elem,
                                          rewriter.getZeroAttr(elem));
    auto rowType = VectorType::get({rowWidth}, elem);
    auto outRowType = VectorType::get({outWidth}, elem);
    // Window column kw picks inputs kw, kw + s, kw + 2s, ... of the row.
    SmallVector<SmallVector<int64_t>> picks(window[1]);
    for (int64_t kw = 0; kw < window[1]; ++kw)
      for (int64_t ow = 0; ow < outWidth; ++ow)
        picks[kw].push_back(strides[1] * ow + kw);

    // for n, c, oh: the output row accumulates, window row by window row.
    SmallVector<Value> bounds = {idx(out[0]), idx(out[1]), idx(out[2])};
    SmallVector<Value> ivs;
    Value result = init;
    SmallVector<scf::ForOp> loops;
    for (Value bound : bounds) {
      auto loop = scf::ForOp::create(rewriter, loc, zero, bound, one, result);
      if (!loops.empty())
        scf::YieldOp::create(rewriter, loc, loop.getResults());
      loops.push_back(loop);
      rewriter.setInsertionPointToStart(loop.getBody());
      ivs.push_back(loop.getInductionVar());
      result = loop.getRegionIterArgs()[0];
    }
    Value n = ivs[0], c = ivs[1], oh = ivs[2];
    Value acc = vector::TransferReadOp::create(
        rewriter, loc, outRowType, result, ValueRange{n, c, oh, zero}, pad,
        ArrayRef<bool>{true});
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    for (int64_t kh = 0; kh < window[0]; ++kh) {
      Value ih = affine::AffineApplyOp::create(
          rewriter, loc, AffineMap::get(1, 0, d0 * strides[0] + kh), oh);
      Value row = vector::TransferReadOp::create(rewriter, loc, rowType, input,
                                                 ValueRange{n, c, ih, zero},
                                                 pad, ArrayRef<bool>{true});
      for (int64_t kw = 0; kw < window[1]; ++kw) {
        Value picked =
            vector::ShuffleOp::create(rewriter, loc, row, row, picks[kw]);
        if constexpr (std::is_same_v<PoolOp, linalg::PoolingNchwSumOp>)
          acc = arith::AddFOp::create(rewriter, loc, acc, picked);
        else
          acc = arith::MaximumFOp::create(rewriter, loc, acc, picked);
      }
    }
    Value written = vector::TransferWriteOp::create(rewriter, loc, acc, result,
                                                    ValueRange{n, c, oh, zero},
                                                    ArrayRef<bool>{true})
                        .getResult();
    scf::YieldOp::create(rewriter, loc, written);
    rewriter.replaceOp(op, loops.front().getResults());
    ++numVectorized;
    return success();
  }

  Pass::Statistic &numVectorized;
};

struct NNVectorizePoolingPass
    : public prune::impl::NNVectorizePoolingBase<NNVectorizePoolingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizePoolingPattern<linalg::PoolingNchwSumOp>,
                 VectorizePoolingPattern<linalg::PoolingNchwMaxOp>>(
        &getContext(), numVectorized);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

/// All of a generic's loops as one where isFlattenableElementwise.
static SmallVector<ReassociationIndices> flattenableDims(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()) ||
      !prune::isFlattenableElementwise(op))
    return {};
  ReassociationIndices all;
  for (int64_t d = 0; d < op.getNumLoops(); ++d)
    all.push_back(d);
  return {all};
}

struct NNFlattenElementwisePass
    : public prune::impl::NNFlattenElementwiseBase<NNFlattenElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, flattenableDims);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
