//===- StoragePrediction.cpp - What nn-sparsify would store ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "StoragePrediction.h"

#include "GlueLowering.h"
#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::prune;

std::optional<SmallVector<FullyConnected>>
mlir::prune::fullyConnectedUses(const WeightInfo &w) {
  SmallVector<FullyConnected> fcs;
  for (const WeightUse &use : w.uses) {
    auto op = dyn_cast<linalg::LinalgOp>(use.consumer);
    if (!op || !use.isDirectView())
      return std::nullopt;
    std::optional<FullyConnected> fc =
        matchFullyConnected(op, use.operandIndex);
    if (!fc)
      if (auto conv = matchConvAsFullyConnected(op, use.operandIndex)) {
        fc = conv->fc;
        fc->inputKM = true;
      }
    if (!fc || (!fcs.empty() && (fc->outputs != fcs.front().outputs ||
                                 fc->reduction != fcs.front().reduction)))
      return std::nullopt;
    fcs.push_back(*fc);
  }
  if (fcs.empty())
    return std::nullopt;
  return fcs;
}

SmallVector<layout::LoopUse> mlir::prune::loopUsesOf(const WeightInfo &w) {
  SmallVector<layout::LoopUse> uses;
  for (const WeightUse &use : w.uses) {
    auto op = cast<linalg::LinalgOp>(use.consumer);
    // Reuse: extents of the parallel loops the weight is not indexed by.
    AffineMap wMap =
        op.getMatchingIndexingMap(&op->getOpOperand(use.operandIndex));
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    layout::LoopUse lu;
    lu.reductionDims = 0;
    for (unsigned l = 0; l < ranges.size(); ++l)
      if (iters[l] == utils::IteratorType::parallel &&
          !wMap.isFunctionOfDim(l))
        lu.reuse *= ShapedType::isDynamic(ranges[l]) ? 1 : ranges[l];
    for (auto [d, role] : llvm::enumerate(use.operandRoles)) {
      if (role == DimRole::Reduction)
        ++lu.reductionDims;
      else
        lu.outputs *=
            cast<ShapedType>(op->getOperand(use.operandIndex).getType())
                .getDimSize(d);
    }
    uses.push_back(lu);
  }
  return uses;
}

/// Elements along the weight's non-reduction dimensions (the rows of its
/// CSR form), as its first use sees them.
static double outputsOf(const WeightInfo &w) {
  double outputs = 1;
  if (w.uses.empty())
    return outputs;
  const WeightUse &use = w.uses.front();
  auto type =
      cast<ShapedType>(use.consumer->getOperand(use.operandIndex).getType());
  for (auto [d, role] : llvm::enumerate(use.operandRoles))
    if (role != DimRole::Reduction)
      outputs *= type.getDimSize(d);
  return outputs;
}

double mlir::prune::loopCsrBytes(const WeightInfo &w, double nnz,
                                 unsigned indexWidth) {
  // Values and coordinates per entry, a position per output row (CSR; CSF
  // adds a few more).
  double eltBytes = w.type.getElementTypeBitWidth() / 8.0;
  double idxBytes = indexWidth == 0 ? 8.0 : indexWidth / 8.0;
  return nnz * (eltBytes + idxBytes) + (outputsOf(w) + 1) * idxBytes;
}

/// The in-place grids of `w`'s uses when every use is a convolution that
/// reads its input in place with a sparse filter; empty otherwise.
/// The convolution (full or depthwise) `use` is when nn-lower-kernels runs
/// it on a sparse filter reading the input in place (lowerConvInPlace).
static std::optional<ConvAsFullyConnected> inPlaceConv(const WeightUse &use) {
  auto op = dyn_cast<linalg::LinalgOp>(use.consumer);
  if (!op)
    return std::nullopt;
  std::optional<ConvAsFullyConnected> conv =
      matchConvAsFullyConnected(op, use.operandIndex);
  if (!conv)
    conv = matchDepthwiseAsFullyConnected(op);
  if (!conv || !readsInputInPlace(*conv))
    return std::nullopt;
  return conv;
}

static SmallVector<int64_t> inPlaceConvPositions(const WeightInfo &w) {
  SmallVector<int64_t> positions;
  for (const WeightUse &use : w.uses) {
    std::optional<ConvAsFullyConnected> conv = inPlaceConv(use);
    if (!conv)
      return {};
    positions.push_back(
        inPlacePositions(cast<linalg::LinalgOp>(use.consumer), *conv));
  }
  return positions;
}

PredictedStorage mlir::prune::predictStorage(
    const WeightInfo &w, llvm::ArrayRef<float> matrix, int64_t rows,
    int64_t cols, const layout::CostModel &model, int64_t tiledFromBatch,
    unsigned indexWidth, layout::ValueType valueType) {
  double denseBytes =
      double(w.numElements()) * w.type.getElementTypeBitWidth() / 8.0;
  PredictedStorage result;
  std::optional<SmallVector<FullyConnected>> fcs = fullyConnectedUses(w);
  if (fcs && fcs->front().outputs == rows && fcs->front().reduction == cols) {
    SmallVector<layout::FcUse> uses;
    for (const FullyConnected &fc : *fcs)
      uses.push_back({fc.batch, fc.inputKM});
    layout::KernelLayout choice = layout::chooseKernelLayout(
        matrix.data(), rows, cols, uses, std::nullopt, layout::Structure(),
        model, tiledFromBatch, {valueType});
    result.format = choice.format;
    // A dense f32 weight stays the constant it is (its element type's bytes).
    result.bytes = choice.format == layout::Format::Dense &&
                           valueType == layout::ValueType::F32
                       ? denseBytes
                       : double(choice.packed.bytes());
    for (auto [format, ns] : choice.costs) {
      if (format == choice.format)
        result.ns = ns;
      if (format == layout::Format::Dense)
        result.denseNs = ns;
    }
    // Convolutions that read their input in place run a sparse filter as
    // csr with the batched kernel over the wider grid
    // (nn-lower-kernels' lowerConvInPlace).
    if (choice.format != layout::Format::Dense) {
      SmallVector<int64_t> positions = inPlaceConvPositions(w);
      if (!positions.empty()) {
        layout::PackedWeight csr;
        layout::materialize(matrix.data(), rows, cols, layout::Format::CSR,
                            /*batched=*/false, layout::Structure(), csr,
                            valueType);
        result.ns = 0;
        for (int64_t p : positions)
          result.ns += layout::inPlaceConvCost(csr, p, model);
      }
    }
    return result;
  }
  // Upstream's sparsifier loops: CSR or dense by the loop cost model.
  int64_t nnz = llvm::count_if(matrix, [](float v) { return v != 0.0f; });
  auto [dense, csr] = layout::loopCosts(double(w.numElements()), denseBytes,
                                        nnz, loopUsesOf(w), model);
  result.denseNs = dense;
  double csrBytes = loopCsrBytes(w, nnz, indexWidth);
  if (nnz > 0 && model.prefersSparse(csr, dense, csrBytes, denseBytes)) {
    result.format = layout::Format::CSR;
    result.bytes = csrBytes;
    result.ns = csr;
  } else {
    result.bytes = denseBytes;
    result.ns = dense;
  }
  return result;
}

/// The per-op and per-iteration constants of predictOtherNs, refitted on
/// a Zen 4 (2026-12-03) after the intermediates moved to the stack
/// (nn-stack-buffers) and the glue was vectorized: both MNIST models with
/// every weight at 99.5 % (the last at 90 %), median of 20,000 calls in
/// prune-run --bench, less their kernels timed alone through runStrided
/// (least of 3,000 calls): the MLP 0.94 us, 0.54 of it kernels; LeNet
/// 1.76 us, 1.12 of it kernels. The constants before (80 ns per op, 0.07
/// per pooling read, 60 per kernel call; fitted before those changes)
/// predicted 0.76 and 1.47 us for the rest; these predict 0.40 and 0.70.
/// Per op 30 ns, per iteration of a loop nest that stays scalar 0.24.
static constexpr double kOtherOpNs = 30.0, kOtherIterationNs = 0.24;
/// Per element of a flattened elementwise op (nn-flatten-elementwise: one
/// contiguous vector loop) and per input row element a vectorized pooling
/// reads (nn-vectorize-pooling: a row read and a shuffle per window
/// column). A divide over 1x6x14x14 ~0.04 us (1.0 as loops; prune-run
/// --bench --mode=aot on a Zen 4, less an empty model).
static constexpr double kFlatElementNs = 0.03, kPoolRowElementNs = 0.035;
/// Per call of the model (its arguments' and result's descriptors, the
/// result buffer) and per kernel call whose output stays on the heap (an
/// aligned_alloc and a free; nn-stack-buffers puts outputs of up to 32 KiB
/// on the stack, where they cost nothing per call).
static constexpr double kModelCallNs = 150.0, kKernelCallNs = 60.0;
/// Per element of an im2col matrix. The copies are vector moves since
/// nn-lower-cpu lowers buffers through aligned_alloc. 0.1 ns was fitted on
/// LeNet's whole JIT code (34,600 patch elements, ~3.5 us of ~19 us on a
/// Xeon), when that code still held the scalar poolings; a model of one
/// dense LeNet convolution, alone (perf's share of its JIT code against
/// the kernel's, prune-run --mode=aot --bench, Zen 4): 6x1x5x5 on 32x32,
/// 19,600 elements, ~0.7 us with its fill; 16x6x5x5 on 14x14, 15,000
/// elements, ~0.7 us with a broadcast and a fill: ~0.04 ns.
static constexpr double kIm2colElementNs = 0.04;

/// The im2col matrix elements of `op`'s use of `weight` when `op` is a
/// convolution (its iterations over everything but the weight's output
/// dims); 0 for other ops.
static double im2colElements(linalg::LinalgOp op, OpOperand *weight) {
  if (!linalg::isaConvolutionOpInterface(op))
    return 0;
  double iterations = 1;
  for (int64_t r : op.getStaticLoopRanges())
    iterations *= ShapedType::isDynamic(r) ? 1 : r;
  AffineMap map = op.getMatchingIndexingMap(weight);
  auto iterators = op.getIteratorTypesArray();
  auto shape = cast<ShapedType>(weight->get().getType()).getShape();
  double outputs = 1;
  for (auto [d, e] : llvm::enumerate(map.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      if (iterators[dim.getPosition()] == utils::IteratorType::parallel &&
          !ShapedType::isDynamic(shape[d]))
        outputs *= shape[d];
  return iterations / outputs;
}

double mlir::prune::predictIm2colNs(const WeightInfo &w,
                                    layout::Format format) {
  double ns = 0;
  for (const WeightUse &use : w.uses) {
    auto op = dyn_cast<linalg::LinalgOp>(use.consumer);
    if (!op)
      continue;
    // A sparse filter of a convolution that reads its input in place: no
    // patches.
    if (format != layout::Format::Dense && inPlaceConv(use))
      continue;
    ns += im2colElements(op, &op->getOpOperand(use.operandIndex)) *
          kIm2colElementNs;
  }
  return ns;
}

double mlir::prune::predictOtherNs(Operation *root,
                                   llvm::ArrayRef<WeightInfo> weights) {
  // The weights' consumers (kernel calls, their im2col copies in
  // predictIm2colNs) and the views between them and their constants
  // (folded or copied once).
  llvm::DenseSet<Operation *> consumers, views;
  for (const WeightInfo &w : weights)
    for (const WeightUse &use : w.uses) {
      consumers.insert(use.consumer);
      views.insert(use.viewChain.begin(), use.viewChain.end());
    }
  // What the kernel calls absorb: their inits' producers (a zero fill, a
  // bias broadcast) and the elementwise chain on their results (bias add,
  // ReLU: nn-lower-kernels fuses it into the call's epilogue, and what it
  // does not fuse runs as vector loops).
  llvm::DenseSet<Value> kernelValues;
  auto onlyUser = [](Value v) -> Operation * {
    return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
  };
  auto absorbed = [&](linalg::LinalgOp op) {
    if (op->getNumResults() != 1)
      return false;
    Value result = op->getResult(0);
    if (Operation *user = onlyUser(result))
      if (consumers.contains(user))
        if (auto dps = dyn_cast<DestinationStyleOpInterface>(user))
          if (llvm::is_contained(dps.getDpsInits(), result))
            return true;
    if (op.getNumParallelLoops() != op.getNumLoops())
      return false;
    return llvm::any_of(op.getDpsInputs(), [&](Value in) {
      return kernelValues.contains(in) && onlyUser(in) == op.getOperation();
    });
  };
  double ns = kModelCallNs;
  for (Operation *consumer : consumers)
    for (Type type : consumer->getResultTypes()) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (!shaped || !shaped.hasStaticShape() ||
          shaped.getNumElements() *
                  llvm::divideCeil(shaped.getElementTypeBitWidth(), 8) >
              kMaxStackBufferBytes)
        ns += kKernelCallNs;
    }
  root->walk([&](Operation *op) {
    if (views.contains(op))
      return;
    if (consumers.contains(op)) {
      kernelValues.insert(op->result_begin(), op->result_end());
      return;
    }
    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      RankedTensorType type = pad.getResultType();
      if (type.hasStaticShape())
        ns += kOtherOpNs + type.getNumElements() * kOtherIterationNs;
      return;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      return;
    if (absorbed(linalgOp)) {
      kernelValues.insert(op->result_begin(), op->result_end());
      return;
    }
    if (isVectorizablePooling(op)) {
      ns += kOtherOpNs + double(vectorizedPoolingReads(op)) * kPoolRowElementNs;
      return;
    }
    double iterations = 1;
    for (int64_t r : linalgOp.getStaticLoopRanges())
      iterations *= ShapedType::isDynamic(r) ? 1 : r;
    ns += kOtherOpNs + iterations * (isFlattenableElementwise(linalgOp)
                                         ? kFlatElementNs
                                         : kOtherIterationNs);
  });
  return ns;
}

double mlir::prune::predictOtherBytes(Operation *root,
                                      llvm::ArrayRef<WeightInfo> weights) {
  llvm::DenseSet<Operation *> weightOps;
  for (const WeightInfo &w : weights)
    weightOps.insert(w.constOp);
  double bytes = 0;
  root->walk([&](Operation *op) {
    ElementsAttr value;
    if (weightOps.contains(op) || op->getNumResults() != 1 ||
        !matchPattern(op->getResult(0), m_Constant(&value)))
      return;
    auto type = dyn_cast<ShapedType>(value.getType());
    if (!type || !type.hasStaticShape() || value.isSplat() ||
        !type.getElementType().isIntOrIndexOrFloat())
      return;
    unsigned bits = type.getElementType().isIndex()
                        ? 64
                        : type.getElementType().getIntOrFloatBitWidth();
    bytes += double(type.getNumElements()) * ((bits + 7) / 8);
  });
  return bytes;
}
