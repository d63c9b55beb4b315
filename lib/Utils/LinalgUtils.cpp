//===- LinalgUtils.cpp - Helpers for rewriting linalg ops -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/LinalgUtils.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "llvm/ADT/Sequence.h"

using namespace mlir;
using namespace mlir::prune;

FailureOr<linalg::LinalgOp>
mlir::prune::readPermutedInput(RewriterBase &rewriter, linalg::LinalgOp op,
                               unsigned operandIndex, Value newInput,
                               ArrayRef<int64_t> order) {
  AffineMap oldMap = op.getIndexingMapsArray()[operandIndex];
  if (order.size() != oldMap.getNumResults())
    return failure();
  bool identity = llvm::equal(order, llvm::seq<int64_t>(0, order.size()));
  if (identity) {
    rewriter.modifyOpInPlace(op,
                             [&] { op->setOperand(operandIndex, newInput); });
    return op;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> converted =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(converted))
      return failure();
    generic = *converted;
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t d : order)
    exprs.push_back(oldMap.getResult(d));
  SmallVector<Attribute> maps(generic.getIndexingMaps().getValue());
  maps[operandIndex] = AffineMapAttr::get(AffineMap::get(
      oldMap.getNumDims(), oldMap.getNumSymbols(), exprs, op.getContext()));
  rewriter.modifyOpInPlace(generic, [&] {
    generic.setIndexingMapsAttr(rewriter.getArrayAttr(maps));
    generic->setOperand(operandIndex, newInput);
  });
  return cast<linalg::LinalgOp>(generic.getOperation());
}

std::optional<FullyConnected>
mlir::prune::matchFullyConnected(linalg::LinalgOp op, unsigned weightOperand) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      weightOperand > 1 || !op.hasPureTensorSemantics() ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return std::nullopt;
    if (!op.getMatchingIndexingMap(&operand).isProjectedPermutation())
      return std::nullopt;
  }
  unsigned inputOperand = 1 - weightOperand;
  AffineMap wMap = op.getIndexingMapsArray()[weightOperand];
  AffineMap xMap = op.getIndexingMapsArray()[inputOperand];
  AffineMap yMap = op.getIndexingMapsArray()[2];
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t k = -1, n = -1, m = -1;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    bool inW = wMap.isFunctionOfDim(d), inX = xMap.isFunctionOfDim(d),
         inY = yMap.isFunctionOfDim(d);
    if (inW && inX && !inY && k < 0)
      k = d;
    else if (inW && inY && !inX && n < 0)
      n = d;
    else if (inX && inY && !inW && m < 0)
      m = d;
    else
      return std::nullopt;
  }
  if (k < 0 || n < 0 || wMap.getNumResults() != 2 ||
      xMap.getNumResults() != (m < 0 ? 1u : 2u) ||
      yMap.getNumResults() != (m < 0 ? 1u : 2u))
    return std::nullopt;
  auto dimAt = [](AffineMap map, unsigned i) {
    return cast<AffineDimExpr>(map.getResult(i)).getPosition();
  };
  FullyConnected fc;
  fc.weightOperand = weightOperand;
  fc.inputOperand = inputOperand;
  fc.outputs = ranges[n];
  fc.reduction = ranges[k];
  fc.batch = m < 0 ? 1 : ranges[m];
  fc.vector = m < 0;
  fc.weightKN = dimAt(wMap, 0) == static_cast<unsigned>(k);
  fc.inputKM = m >= 0 && dimAt(xMap, 0) == static_cast<unsigned>(k);
  fc.outputNM = m >= 0 && dimAt(yMap, 0) == static_cast<unsigned>(n);
  return fc;
}

std::optional<ConvAsFullyConnected>
mlir::prune::matchConvAsFullyConnected(linalg::LinalgOp op,
                                       unsigned filterOperand) {
  auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation());
  if (!conv || filterOperand != 1 || !conv.hasPureTensorSemantics())
    return std::nullopt;
  auto in = dyn_cast<RankedTensorType>(conv.getInputs()[0].getType());
  auto filter = dyn_cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto out = dyn_cast<RankedTensorType>(conv.getOutputs()[0].getType());
  if (!in || !filter || !out || !in.hasStaticShape() ||
      !filter.hasStaticShape() || !out.hasStaticShape() ||
      !in.getElementType().isF32() || !filter.getElementType().isF32() ||
      !out.getElementType().isF32() || in.getDimSize(0) != 1)
    return std::nullopt;
  ConvAsFullyConnected c;
  c.filters = filter.getDimSize(0);
  c.channels = filter.getDimSize(1);
  c.kh = filter.getDimSize(2);
  c.kw = filter.getDimSize(3);
  c.oh = out.getDimSize(2);
  c.ow = out.getDimSize(3);
  auto strides = conv.getStrides().getValues<int64_t>();
  auto dilations = conv.getDilations().getValues<int64_t>();
  c.strideH = strides[0];
  c.strideW = strides[1];
  c.dilationH = dilations[0];
  c.dilationW = dilations[1];
  c.fc.weightOperand = 1;
  c.fc.inputOperand = 0;
  c.fc.outputs = c.filters;
  c.fc.reduction = c.channels * c.kh * c.kw;
  c.fc.batch = c.oh * c.ow;
  c.fc.outputNM = true; // output [F, OH*OW]
  return c;
}
