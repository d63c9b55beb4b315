//===- LinalgUtils.cpp - Helpers for rewriting linalg ops -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/LinalgUtils.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/SmallBitVector.h"

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

/// Groups the results of `map` (a projected permutation) into the operand's
/// 2-D form: its dims other than the `ignored` loops (of size 1) must be
/// the loops `first` then the loops `second`, in these orders; one of the
/// two may be empty (a 1-D form). Ignored dims join a neighbouring group.
/// Nullopt if they are not.
static std::optional<SmallVector<ReassociationIndices>>
groupResults(AffineMap map, const llvm::SmallBitVector &ignored,
             ArrayRef<unsigned> first, ArrayRef<unsigned> second) {
  SmallVector<unsigned> expected(first.begin(), first.end());
  expected.append(second.begin(), second.end());
  SmallVector<unsigned> seen;
  SmallVector<int64_t> seenAt;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (ignored.test(d))
      continue;
    seen.push_back(d);
    seenAt.push_back(i);
  }
  if (seen != expected)
    return std::nullopt;
  int64_t rank = map.getNumResults();
  SmallVector<ReassociationIndices> groups(1);
  int64_t cut = first.empty() || second.empty() ? rank : seenAt[first.size()];
  for (int64_t i = 0; i < rank; ++i) {
    if (i == cut)
      groups.emplace_back();
    groups.back().push_back(i);
  }
  return groups;
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
  int64_t k = -1, n = -1;
  SmallVector<unsigned> ms; // batch loops, in the input's order
  // Loops of size 1 that fit no role (e.g. the batch of a batch_matmul
  // with batch 1, in all three operands): they carry no data.
  llvm::SmallBitVector ignored(ranges.size());
  for (unsigned d = 0; d < ranges.size(); ++d) {
    bool inW = wMap.isFunctionOfDim(d), inX = xMap.isFunctionOfDim(d),
         inY = yMap.isFunctionOfDim(d);
    if (inW && inX && !inY && k < 0)
      k = d;
    else if (inW && inY && !inX && n < 0)
      n = d;
    else if (inX && inY && !inW)
      ms.push_back(d);
    else if (ranges[d] == 1)
      ignored.set(d);
    else
      return std::nullopt;
  }
  if (k < 0 || n < 0)
    return std::nullopt;
  // Batch loops in the order the input reads them.
  llvm::sort(ms, [&](unsigned a, unsigned b) {
    return *xMap.getResultPosition(getAffineDimExpr(a, op.getContext())) <
           *xMap.getResultPosition(getAffineDimExpr(b, op.getContext()));
  });
  auto kk = static_cast<unsigned>(k), nn = static_cast<unsigned>(n);
  // The weight: exactly k and n (and unit dims).
  if (!groupResults(wMap, ignored, {kk}, {nn}) &&
      !groupResults(wMap, ignored, {nn}, {kk}))
    return std::nullopt;
  auto firstNonUnit = [&](AffineMap map) -> unsigned {
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (!ignored.test(d))
        return d;
    }
    return 0;
  };
  FullyConnected fc;
  fc.weightOperand = weightOperand;
  fc.inputOperand = inputOperand;
  fc.outputs = ranges[n];
  fc.reduction = ranges[k];
  fc.batch = 1;
  for (unsigned m : ms)
    fc.batch *= ranges[m];
  fc.vector = ms.empty();
  fc.weightKN = firstNonUnit(wMap) == kk;
  fc.inputKM = !fc.vector && firstNonUnit(xMap) == kk;
  fc.outputNM = !fc.vector && firstNonUnit(yMap) == nn;
  fc.featureDim =
      *yMap.getResultPosition(getAffineDimExpr(nn, op.getContext()));
  std::optional<SmallVector<ReassociationIndices>> xGroups, yGroups;
  if (fc.vector) {
    xGroups = groupResults(xMap, ignored, {}, {kk});
    yGroups = groupResults(yMap, ignored, {}, {nn});
  } else {
    xGroups = fc.inputKM ? groupResults(xMap, ignored, {kk}, ms)
                         : groupResults(xMap, ignored, ms, {kk});
    yGroups = fc.outputNM ? groupResults(yMap, ignored, {nn}, ms)
                          : groupResults(yMap, ignored, ms, {nn});
  }
  if (!xGroups || !yGroups)
    return std::nullopt;
  unsigned rank2 = fc.vector ? 1 : 2;
  if (xMap.getNumResults() != rank2 || ms.size() > 1)
    fc.inputGroups = *xGroups;
  if (yMap.getNumResults() != rank2 || ms.size() > 1)
    fc.outputGroups = *yGroups;
  return fc;
}

/// If `op` is an `OpT`, records its layout, strides and dilations in `c`.
template <typename OpT>
static bool matchConvOp(Operation *op, ConvLayout layout,
                        ConvAsFullyConnected &c) {
  auto conv = dyn_cast<OpT>(op);
  if (!conv)
    return false;
  c.layout = layout;
  auto strides = conv.getStrides().template getValues<int64_t>();
  auto dilations = conv.getDilations().template getValues<int64_t>();
  c.strideH = strides[0];
  c.strideW = strides[1];
  c.dilationH = dilations[0];
  c.dilationW = dilations[1];
  return true;
}

/// The input, filter and output types of a convolution on tensors with two
/// inputs, all static and f32; failure otherwise.
static LogicalResult convTypes(linalg::LinalgOp op, RankedTensorType &in,
                               RankedTensorType &filter,
                               RankedTensorType &out) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return failure();
  in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  filter = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  out = dyn_cast<RankedTensorType>(op->getOperand(2).getType());
  return success(in && filter && out && in.hasStaticShape() &&
                 filter.hasStaticShape() && out.hasStaticShape() &&
                 in.getElementType().isF32() &&
                 filter.getElementType().isF32() &&
                 out.getElementType().isF32());
}

bool mlir::prune::readsInputInPlace(const ConvAsFullyConnected &conv) {
  return (conv.layout == ConvLayout::NchwFchw ||
          conv.layout == ConvLayout::DwNchwChw) &&
         conv.images == 1 && conv.strideH == 1 && conv.strideW == 1 &&
         !conv.fc.weightKN;
}

int64_t mlir::prune::inPlacePositions(linalg::LinalgOp op,
                                      const ConvAsFullyConnected &conv) {
  auto in = cast<ShapedType>(op->getOperand(0).getType());
  return (conv.oh - 1) * in.getDimSize(3) + conv.ow;
}

std::optional<ConvAsFullyConnected>
mlir::prune::matchConvAsFullyConnected(linalg::LinalgOp op,
                                       unsigned filterOperand) {
  ConvAsFullyConnected c;
  Operation *o = op.getOperation();
  if (!matchConvOp<linalg::Conv2DNchwFchwOp>(o, ConvLayout::NchwFchw, c) &&
      !matchConvOp<linalg::Conv2DNhwcHwcfOp>(o, ConvLayout::NhwcHwcf, c) &&
      !matchConvOp<linalg::Conv2DNhwcFhwcOp>(o, ConvLayout::NhwcFhwc, c))
    return std::nullopt;
  RankedTensorType in, filter, out;
  if (filterOperand != 1 || failed(convTypes(op, in, filter, out)))
    return std::nullopt;
  c.images = in.getDimSize(0);
  // Where each size sits in the filter and the output, per layout.
  struct Dims {
    ConvLayout layout;
    int f, c, kh, kw; // filter dims
    int oh, ow;       // output dims
  };
  static constexpr Dims kDims[] = {
      {ConvLayout::NchwFchw, 0, 1, 2, 3, 2, 3}, // [F, C, KH, KW] -> [N, F, OH, OW]
      {ConvLayout::NhwcHwcf, 3, 2, 0, 1, 1, 2}, // [KH, KW, C, F] -> [N, OH, OW, F]
      {ConvLayout::NhwcFhwc, 0, 3, 1, 2, 1, 2}, // [F, KH, KW, C] -> [N, OH, OW, F]
  };
  const Dims *dims = llvm::find_if(
      kDims, [&](const Dims &d) { return d.layout == c.layout; });
  if (dims == std::end(kDims))
    return std::nullopt; // depthwise: matchDepthwiseAsFullyConnected
  c.filters = filter.getDimSize(dims->f);
  c.channels = filter.getDimSize(dims->c);
  c.kh = filter.getDimSize(dims->kh);
  c.kw = filter.getDimSize(dims->kw);
  c.oh = out.getDimSize(dims->oh);
  c.ow = out.getDimSize(dims->ow);
  c.fc.weightOperand = 1;
  c.fc.inputOperand = 0;
  c.fc.outputs = c.filters;
  c.fc.reduction = c.channels * c.kh * c.kw;
  c.fc.inputKM = true; // im2col patches [C*KH*KW, positions]
  if (c.nhwc()) {
    c.fc.batch = c.images * c.oh * c.ow; // output [N*OH*OW, F]
    c.fc.weightKN = c.layout == ConvLayout::NhwcHwcf;
    c.fc.featureDim = 3;
  } else {
    c.fc.batch = c.oh * c.ow; // per image: output [F, OH*OW]
    c.fc.outputNM = true;
    c.fc.featureDim = 1;
  }
  return c;
}

std::optional<ConvAsFullyConnected>
mlir::prune::matchDepthwiseAsFullyConnected(linalg::LinalgOp op) {
  ConvAsFullyConnected c;
  Operation *o = op.getOperation();
  if (!matchConvOp<linalg::DepthwiseConv2DNhwcHwcOp>(o, ConvLayout::DwNhwcHwc,
                                                     c) &&
      !matchConvOp<linalg::DepthwiseConv2DNhwcHwcmOp>(
          o, ConvLayout::DwNhwcHwcm, c) &&
      !matchConvOp<linalg::DepthwiseConv2DNchwChwOp>(o, ConvLayout::DwNchwChw,
                                                     c) &&
      !matchConvOp<linalg::Conv2DNgchwFgchwOp>(o, ConvLayout::GNgchwFgchw, c) &&
      !matchConvOp<linalg::Conv2DNgchwGfchwOp>(o, ConvLayout::GNgchwGfchw, c) &&
      !matchConvOp<linalg::Conv2DNhwgcGfhwcOp>(o, ConvLayout::GNhwgcGfhwc, c))
    return std::nullopt;
  RankedTensorType in, filter, out;
  if (failed(convTypes(op, in, filter, out)))
    return std::nullopt;
  c.images = in.getDimSize(0);
  int64_t perGroup = 1; // grouped: filters per group
  if (c.layout == ConvLayout::GNgchwFgchw ||
      c.layout == ConvLayout::GNgchwGfchw) { // out [N, G, F, OH, OW]
    bool fFirst = c.layout == ConvLayout::GNgchwFgchw;
    c.groups = filter.getDimSize(fFirst ? 1 : 0);
    perGroup = filter.getDimSize(fFirst ? 0 : 1);
    c.channels = c.groups * filter.getDimSize(2);
    c.kh = filter.getDimSize(3);
    c.kw = filter.getDimSize(4);
    c.oh = out.getDimSize(3);
    c.ow = out.getDimSize(4);
  } else if (c.layout == ConvLayout::GNhwgcGfhwc) { // out [N, OH, OW, G, F]
    c.groups = filter.getDimSize(0);
    perGroup = filter.getDimSize(1);
    c.kh = filter.getDimSize(2);
    c.kw = filter.getDimSize(3);
    c.channels = c.groups * filter.getDimSize(4);
    c.oh = out.getDimSize(1);
    c.ow = out.getDimSize(2);
  } else if (c.layout == ConvLayout::DwNchwChw) { // [C, KH, KW], out [N, C, OH, OW]
    c.channels = filter.getDimSize(0);
    c.kh = filter.getDimSize(1);
    c.kw = filter.getDimSize(2);
    c.oh = out.getDimSize(2);
    c.ow = out.getDimSize(3);
  } else { // [KH, KW, C(, M)], out [N, OH, OW, C(, M)]
    c.kh = filter.getDimSize(0);
    c.kw = filter.getDimSize(1);
    c.channels = filter.getDimSize(2);
    if (c.layout == ConvLayout::DwNhwcHwcm)
      c.multiplier = filter.getDimSize(3);
    c.oh = out.getDimSize(1);
    c.ow = out.getDimSize(2);
  }
  c.filters = c.grouped() ? c.groups * perGroup : c.channels * c.multiplier;
  c.fc.weightOperand = 1;
  c.fc.inputOperand = 0;
  c.fc.outputs = c.filters;
  c.fc.reduction = c.channels * c.kh * c.kw;
  c.fc.inputKM = true;
  if (c.nhwc()) {
    c.fc.batch = c.images * c.oh * c.ow;
    c.fc.featureDim = 3; // (HWCM: the features are dims 3 and 4)
  } else {
    c.fc.batch = c.oh * c.ow;
    c.fc.outputNM = true;
    c.fc.featureDim = 1;
  }
  return c;
}

std::vector<float>
mlir::prune::expandDepthwiseFilter(const ConvAsFullyConnected &c,
                                   const std::vector<float> &filter) {
  int64_t rows = c.filters, cols = c.fc.reduction, m = c.multiplier;
  std::vector<float> w(rows * cols, 0.0f);
  if (c.grouped()) {
    int64_t g = c.groups, f = rows / g, cg = c.channels / g,
            k = cols / g; // per group: F filters, C channels, K inputs
    for (int64_t gi = 0; gi < g; ++gi)
      for (int64_t fi = 0; fi < f; ++fi)
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t y = 0; y < c.kh; ++y)
            for (int64_t x = 0; x < c.kw; ++x) {
              int64_t row = gi * f + fi;
              if (c.layout == ConvLayout::GNhwgcGfhwc) // [G, F, KH, KW, C]
                w[row * cols + gi * k + (y * c.kw + x) * cg + ci] =
                    filter[(((gi * f + fi) * c.kh + y) * c.kw + x) * cg + ci];
              else { // rows (c, kh, kw); [G, F, C, ..] or [F, G, C, ..]
                int64_t lead = c.layout == ConvLayout::GNgchwGfchw
                                   ? gi * f + fi
                                   : fi * g + gi;
                w[row * cols + gi * k + (ci * c.kh + y) * c.kw + x] =
                    filter[((lead * cg + ci) * c.kh + y) * c.kw + x];
              }
            }
    return w;
  }
  for (int64_t ch = 0; ch < c.channels; ++ch)
    for (int64_t y = 0; y < c.kh; ++y)
      for (int64_t x = 0; x < c.kw; ++x)
        for (int64_t j = 0; j < m; ++j) {
          int64_t row = ch * m + j;
          if (c.layout == ConvLayout::DwNchwChw) // rows (c, kh, kw)
            w[row * cols + (ch * c.kh + y) * c.kw + x] =
                filter[(ch * c.kh + y) * c.kw + x];
          else // rows (kh, kw, c); filter [KH, KW, C, M]
            w[row * cols + (y * c.kw + x) * c.channels + ch] =
                filter[((y * c.kw + x) * c.channels + ch) * m + j];
        }
  return w;
}

bool mlir::prune::hasValidReassociation(Operation *reshape) {
  SmallVector<ReassociationIndices> groups;
  int64_t rank;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(reshape)) {
    groups = collapse.getReassociationIndices();
    rank = collapse.getSrcType().getRank();
  } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(reshape)) {
    groups = expand.getReassociationIndices();
    rank = expand.getResultType().getRank();
  } else {
    return false;
  }
  int64_t next = 0;
  for (const ReassociationIndices &group : groups)
    for (int64_t d : group)
      if (d != next++)
        return false;
  return next == rank;
}
