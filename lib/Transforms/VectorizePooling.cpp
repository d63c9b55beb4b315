//===- VectorizePooling.cpp - nn-vectorize-pooling, nn-flatten-elementwise ===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Sum and max pooling as vectors. NCHW: per (n, c, output row) the output
// row is one vector; per window row the input row is read once and each
// window column's inputs (every stride-th element) are picked out of it by
// a constant vector.shuffle. NHWC: per (n, output row, output column) the
// channels are one vector, one read per window element. Generalized to
// loops instead, LLVM unrolls the short innermost loops fully and then
// vectorizes across output rows or channels with gathers and scatters
// (LeNet's two poolings: most of a pruned model's time on a Zen 4).
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

/// NHWC (channels innermost) or NCHW (image rows innermost).
template <typename PoolOp>
constexpr bool kNhwc = std::is_same_v<PoolOp, linalg::PoolingNhwcSumOp> ||
                       std::is_same_v<PoolOp, linalg::PoolingNhwcMaxOp>;
template <typename PoolOp>
constexpr bool kMax = std::is_same_v<PoolOp, linalg::PoolingNchwMaxOp> ||
                      std::is_same_v<PoolOp, linalg::PoolingNhwcMaxOp>;

/// Static shapes of one float type, unit dilations, windows in bounds, and
/// the vectors (NCHW: an input row; NHWC: the channels) at most
/// kMaxPoolRowElements long.
template <typename PoolOp> static bool vectorizable(PoolOp op) {
  if (!op.hasPureTensorSemantics())
    return false;
  auto inType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  auto windowType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  if (!inType || !outType || !windowType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || !windowType.hasStaticShape() ||
      inType.getEncoding() || outType.getEncoding() ||
      !isa<FloatType>(outType.getElementType()) ||
      inType.getElementType() != outType.getElementType() ||
      llvm::is_contained(outType.getShape(), 0))
    return false;
  // The window is unrolled into the loop body (global pooling stays loops).
  if (windowType.getNumElements() > prune::kMaxPoolWindowElements)
    return false;
  auto strides = llvm::to_vector(op.getStrides().template getValues<int64_t>());
  auto dilations =
      llvm::to_vector(op.getDilations().template getValues<int64_t>());
  if (strides.size() != 2 || dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return false;
  ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape(),
                    window = windowType.getShape();
  // The spatial dims: (2, 3) in NCHW, (1, 2) in NHWC.
  int64_t h = kNhwc<PoolOp> ? 1 : 2, w = h + 1;
  int64_t vector = kNhwc<PoolOp> ? in[3] : in[w];
  return vector > 0 && vector <= prune::kMaxPoolRowElements && out[w] > 0 &&
         out[h] > 0 && strides[1] * (out[w] - 1) + window[1] <= in[w] &&
         strides[0] * (out[h] - 1) + window[0] <= in[h];
}

bool mlir::prune::isVectorizablePooling(Operation *op) {
  if (auto pool = dyn_cast<linalg::PoolingNchwSumOp>(op))
    return vectorizable(pool);
  if (auto pool = dyn_cast<linalg::PoolingNchwMaxOp>(op))
    return vectorizable(pool);
  if (auto pool = dyn_cast<linalg::PoolingNhwcSumOp>(op))
    return vectorizable(pool);
  if (auto pool = dyn_cast<linalg::PoolingNhwcMaxOp>(op))
    return vectorizable(pool);
  return false;
}

int64_t mlir::prune::vectorizedPoolingReads(Operation *op) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  ArrayRef<int64_t> in =
      cast<ShapedType>(linalgOp.getDpsInputs()[0].getType()).getShape();
  ArrayRef<int64_t> out =
      cast<ShapedType>(linalgOp.getDpsInits()[0].getType()).getShape();
  ArrayRef<int64_t> window =
      cast<ShapedType>(linalgOp.getDpsInputs()[1].getType()).getShape();
  bool nhwc = isa<linalg::PoolingNhwcSumOp, linalg::PoolingNhwcMaxOp>(op);
  return out[0] * out[1] * out[2] * window[0] * (nhwc ? window[1] : 1) * in[3];
}

bool mlir::prune::isFlattenableElementwise(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
      op.getNumParallelLoops() != op.getNumLoops())
    return false;
  // linalg.index would become a divide and remainder per element.
  if (!op->getRegion(0).getOps<linalg::IndexOp>().empty())
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
/// linalg.pooling_{nchw,nhwc}_{sum,max} (isVectorizablePooling).
template <typename PoolOp>
struct VectorizePoolingPattern : OpRewritePattern<PoolOp> {
  VectorizePoolingPattern(MLIRContext *ctx, Pass::Statistic &numVectorized)
      : OpRewritePattern<PoolOp>(ctx), numVectorized(numVectorized) {}

  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (!prune::isVectorizablePooling(op))
      return rewriter.notifyMatchFailure(
          op, "dynamic, empty or sparse shapes, dilations, not one float "
              "type, vectors over kMaxPoolRowElements or windows over "
              "kMaxPoolWindowElements");
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
    Location loc = op.getLoc();
    auto idx = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    Value zero = idx(0), one = idx(1);
    Value pad = arith::ConstantOp::create(rewriter, loc, elem,
                                          rewriter.getZeroAttr(elem));
    // The output's first three dims are the loops (NCHW: n, c, oh; NHWC:
    // n, oh, ow); its last is the vector.
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
    SmallVector<Value> at = {ivs[0], ivs[1], ivs[2], zero};
    Value acc = vector::TransferReadOp::create(
        rewriter, loc, VectorType::get({out[3]}, elem), result, at, pad,
        ArrayRef<bool>{true});
    auto combine = [&](Value a, Value b) -> Value {
      if constexpr (kMax<PoolOp>)
        return arith::MaximumFOp::create(rewriter, loc, a, b);
      else
        return arith::AddFOp::create(rewriter, loc, a, b);
    };
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    auto inputIndex = [&](Value outIndex, int64_t stride, int64_t k) -> Value {
      return affine::AffineApplyOp::create(
          rewriter, loc, AffineMap::get(1, 0, d0 * stride + k), outIndex);
    };
    // The window in the op's order: rows, then columns.
    for (int64_t kh = 0; kh < window[0]; ++kh) {
      if constexpr (kNhwc<PoolOp>) {
        // One vector of channels per window element.
        Value ih = inputIndex(ivs[1], strides[0], kh);
        for (int64_t kw = 0; kw < window[1]; ++kw) {
          Value iw = inputIndex(ivs[2], strides[1], kw);
          Value channels = vector::TransferReadOp::create(
              rewriter, loc, VectorType::get({in[3]}, elem), input,
              ValueRange{ivs[0], ih, iw, zero}, pad, ArrayRef<bool>{true});
          acc = combine(acc, channels);
        }
      } else {
        // One input row; window column kw picks its elements kw, kw + s,
        // kw + 2s, ...
        Value ih = inputIndex(ivs[2], strides[0], kh);
        Value row = vector::TransferReadOp::create(
            rewriter, loc, VectorType::get({in[3]}, elem), input,
            ValueRange{ivs[0], ivs[1], ih, zero}, pad, ArrayRef<bool>{true});
        for (int64_t kw = 0; kw < window[1]; ++kw) {
          SmallVector<int64_t> picks;
          for (int64_t ow = 0; ow < out[3]; ++ow)
            picks.push_back(strides[1] * ow + kw);
          acc = combine(
              acc, vector::ShuffleOp::create(rewriter, loc, row, row, picks));
        }
      }
    }
    Value written = vector::TransferWriteOp::create(rewriter, loc, acc, result,
                                                    at, ArrayRef<bool>{true})
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
                 VectorizePoolingPattern<linalg::PoolingNchwMaxOp>,
                 VectorizePoolingPattern<linalg::PoolingNhwcSumOp>,
                 VectorizePoolingPattern<linalg::PoolingNhwcMaxOp>>(
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
