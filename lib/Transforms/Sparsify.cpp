//===- Sparsify.cpp - The nn-sparsify pass --------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Mechanism: gives each pruned weight use a sparse_tensor operand assembled
// from constant arrays computed here. Why assemble and not the alternatives
// (measured on a 1024x1024 layer at 90%, see docs/Design.md): a dense
// constant + sparse_tensor.convert re-converts on every call (~10x slower),
// and a `sparse<>` literal unrolls into one runtime call per nonzero.
//
//===----------------------------------------------------------------------===//

#include "StoragePrediction.h"
#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Layout/Layout.h"
#include "prune-opt/Runtime/Kernels.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/LinalgUtils.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Threading.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#include <map>

#define DEBUG_TYPE "nn-sparsify"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSPARSIFY
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;
using sparse_tensor::LevelFormat;
namespace kernels = ::pruneopt::kernels;
using sparse_tensor::LevelType;

namespace {
/// A dense row-major tensor held in a plain buffer.
struct Buffer {
  SmallVector<int64_t> shape;
  std::vector<double> data;
};

/// Compressed storage of a tensor with dense outer and compressed inner
/// levels, in the layout sparse_tensor.assemble expects.
struct Storage {
  SmallVector<std::vector<int64_t>> positions;   // per compressed level
  SmallVector<std::vector<int64_t>> coordinates; // per compressed level
  std::vector<double> values;
};
} // namespace

static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Returns `buf` with its dimensions reordered: result dim l is dim
/// `order[l]` of `buf`.
static Buffer permute(const Buffer &buf, ArrayRef<int64_t> order) {
  Buffer out;
  for (int64_t d : order)
    out.shape.push_back(buf.shape[d]);
  out.data = permuteDims(buf.data, buf.shape, order);
  return out;
}

/// Applies a view op (constant side to consumer side) to the data.
static Buffer applyView(Operation *view, Buffer in) {
  // Transposes and copies (linalg.copy, copying linalg.generic) permute.
  if (std::optional<SmallVector<int64_t>> perm = getViewPermutation(view))
    return permute(in, *perm);
  // Reshapes and casts keep the row-major data.
  auto type = cast<RankedTensorType>(view->getResult(0).getType());
  in.shape.assign(type.getShape().begin(), type.getShape().end());
  return in;
}

/// Builds the storage of `buf` with levels `lvlToDim` (level l stores
/// dimension lvlToDim[l]); the first `numDense` levels are dense, the rest
/// compressed.
static Storage buildStorage(const Buffer &buf, ArrayRef<int64_t> lvlToDim,
                            unsigned numDense) {
  unsigned rank = buf.shape.size();
  SmallVector<int64_t> strides = stridesOf(buf.shape);
  SmallVector<int64_t> lvlSizes;
  for (int64_t d : lvlToDim)
    lvlSizes.push_back(buf.shape[d]);
  int64_t parents = 1;
  for (unsigned l = 0; l < numDense; ++l)
    parents *= lvlSizes[l];

  Storage st;
  unsigned numCompressed = rank - numDense;
  st.positions.resize(numCompressed);
  st.coordinates.resize(numCompressed);
  // Entries so far at each compressed level; a new entry at level l opens a
  // segment for level l+1.
  SmallVector<int64_t> lvlIdx(rank, 0), prev(rank, -1);
  bool first = true;
  if (numCompressed > 0)
    st.positions[0].assign(parents + 1, 0);
  int64_t total = buf.data.size();
  for (int64_t linear = 0; linear < total; ++linear) {
    int64_t src = 0;
    for (unsigned l = 0; l < rank; ++l)
      src += lvlIdx[l] * strides[lvlToDim[l]];
    double v = buf.data[src];
    if (v != 0.0 && numCompressed > 0) {
      int64_t parent = 0;
      for (unsigned l = 0; l < numDense; ++l)
        parent = parent * lvlSizes[l] + lvlIdx[l];
      // First level (in level order) where this entry differs from the last.
      unsigned diff = 0;
      if (!first)
        while (diff < rank && lvlIdx[diff] == prev[diff])
          ++diff;
      for (unsigned c = 0; c < numCompressed; ++c) {
        unsigned l = numDense + c;
        if (!first && diff > l)
          continue; // same entry as before at this level
        st.coordinates[c].push_back(lvlIdx[l]);
        if (c == 0) {
          ++st.positions[0][parent + 1];
        } else {
          // Segment of level c is the entry just added at level c-1.
          int64_t seg = st.coordinates[c - 1].size() - 1;
          if (st.positions[c].size() < static_cast<size_t>(seg) + 2)
            st.positions[c].resize(seg + 2, 0);
          ++st.positions[c][seg + 1];
        }
      }
      st.values.push_back(v);
      prev = lvlIdx;
      first = false;
    }
    for (int64_t l = rank - 1; l >= 0; --l) {
      if (++lvlIdx[l] < lvlSizes[l])
        break;
      lvlIdx[l] = 0;
    }
  }
  if (numCompressed == 0) {
    st.values = buf.data;
    return st;
  }
  // Every segment needs a position entry, even trailing empty ones.
  for (unsigned c = 1; c < numCompressed; ++c)
    st.positions[c].resize(st.coordinates[c - 1].size() + 1, 0);
  for (auto &pos : st.positions)
    for (size_t i = 1; i < pos.size(); ++i)
      pos[i] += pos[i - 1];
  return st;
}

namespace {
struct NNSparsifyPass
    : public WeightWritingPass<NNSparsifyPass, prune::impl::NNSparsifyBase> {
  using WeightWritingPass::WeightWritingPass;
  PRUNE_OPT_CHECKED_OPTIONS("nn-sparsify")

  void runOnModule() {
    ModuleOp module = getOperation();
    if (!llvm::is_contained({0u, 8u, 16u, 32u, 64u}, unsigned(indexWidth))) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'index-width' must be one "
             "of 0, 8, 16, 32, 64, got "
          << unsigned(indexWidth);
      return signalPassFailure();
    }
    if (!(minSparsity >= 0.0 && minSparsity <= 1.0)) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'min-sparsity' must be in [0, 1], got "
          << minSparsity;
      return signalPassFailure();
    }
    if (!(bandwidthGBs > 0.0 && std::isfinite(bandwidthGBs))) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'bandwidth-gbs' must be a finite number "
             "> 0, got "
          << bandwidthGBs;
      return signalPassFailure();
    }
    if (cacheKiB < 0) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'cache-kib' must be >= 0, got " << cacheKiB;
      return signalPassFailure();
    }
    if (csrTiledBatch < 0) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'csr-tiled-batch' must be >= 0, got "
          << int64_t(csrTiledBatch);
      return signalPassFailure();
    }
    if (failed(parseValueTypes(module.getLoc())))
      return signalPassFailure();
    if (!autoFormats.empty()) {
      if (requestedFormat()) {
        emitError(module.getLoc())
            << "nn-sparsify: option 'formats' is for format=auto";
        return signalPassFailure();
      }
      model.autoFormats = 0;
      for (const std::string &name : autoFormats) {
        kernels::Format f;
        if (!kernels::parseFormat(name.c_str(), f) ||
            !kernels::isSelectable(f)) {
          emitError(module.getLoc())
              << "nn-sparsify: option 'formats': '" << name
              << "' is not a storage format nn-sparsify can choose";
          return signalPassFailure();
        }
        model.autoFormats |= 1u << static_cast<int>(f);
      }
    }
    if (!(margin >= 0.0 && margin < 1.0)) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'margin' must be in [0, 1), got " << margin;
      return signalPassFailure();
    }
    if (!(sizeSlack >= 0.0 && sizeSlack < 1.0)) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'size-slack' must be in [0, 1), got "
          << sizeSlack;
      return signalPassFailure();
    }
    if (!(gpuBandwidthGBs >= 0.0 && std::isfinite(gpuBandwidthGBs))) {
      emitError(module.getLoc())
          << "nn-sparsify: option 'gpu-bandwidth-gbs' must be a finite "
             "number >= 0 (0 = the chip's), got "
          << gpuBandwidthGBs;
      return signalPassFailure();
    }
    if (std::optional<kernels::Format> requested = requestedFormat();
        target == Target::Gpu && requested &&
        !layout::hasGpuKernel(*requested)) {
      emitError(module.getLoc())
          << "nn-sparsify: format=" << kernels::formatName(*requested)
          << " has no GPU kernels (target=gpu runs dense, csr, bsr and nm)";
      return signalPassFailure();
    }
    model.bandwidthGBs = bandwidthGBs;
    model.cacheKiB = cacheKiB;
    model.margin = margin;
    model.sizeSlack = sizeSlack;
    model.isa = targetIsa == IsaOption::Host       ? layout::hostIsa()
                : targetIsa == IsaOption::Portable ? layout::Isa::Portable
                : targetIsa == IsaOption::Avx2     ? layout::Isa::Avx2
                                                   : layout::Isa::Avx512;
    model.objective = objective;
    model.target = target;
    auto &analysis = getAnalysis<WeightAnalysis>();
    model.gpu.chip = gpuChip;
    model.gpu.hbmGBs = gpuBandwidthGBs;
    model.gpu.weightsInL2 =
        layout::weightsFitInL2(weightBytes(analysis), gpuChip);
    prefetchKernelLayouts(analysis);
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> maybeDead;
    // Consumers replaced by their generic form.
    llvm::DenseMap<Operation *, Operation *> replaced;
    bool hadError = false;
    int64_t decided = 0;
    for (const WeightInfo &w : analysis.getWeights()) {
      DecisionAttr decision = getDecision(w.constOp);
      if (!decision)
        continue;
      ++decided;
      int64_t zeros = decision.getZeros();
      int64_t elements = std::max<int64_t>(decision.getElements(), 1);
      double achieved = static_cast<double>(zeros) / elements;
      bool forcedDense =
          format == FormatOption::Dense || achieved < minSparsity;
      bool keepDense = forcedDense;
      // TOSA consumers: sparse operands are linalg's. Pruned in place, the
      // weight computes the masked model densely.
      if (!keepDense) {
        auto tosaUse = llvm::find_if(
            w.uses, [](const WeightUse &use) { return use.isTosa(); });
        if (tosaUse != w.uses.end()) {
          emitRemark(w.constOp->getLoc())
              << "nn-sparsify: weight '" << w.name << "' kept dense: '"
              << tosaUse->consumer->getName()
              << "' is a TOSA op; for sparse kernels convert the model to "
                 "linalg before nn-prune (--nn-tosa-to-linalg)";
          keepDense = true;
        }
      }
      // A consumer that sees the weight with a dynamic shape (through a
      // tensor.cast) cannot take compile-time sparse arrays of fixed shape.
      if (!keepDense && llvm::any_of(w.uses, [](const WeightUse &use) {
            return !cast<ShapedType>(
                        use.consumer->getOperand(use.operandIndex).getType())
                        .hasStaticShape();
          })) {
        emitRemark(w.constOp->getLoc())
            << "nn-sparsify: weight '" << w.name
            << "' kept dense: a consumer reads it with a dynamic shape";
        keepDense = true;
      }
      // All zeros: an empty sparse tensor does not lower upstream ("offset 0
      // is out-of-bounds"); the dense zeros compute the same.
      if (!keepDense && zeros >= elements) {
        emitRemark(w.constOp->getLoc())
            << "nn-sparsify: weight '" << w.name
            << "' is all zeros: kept dense";
        keepDense = true;
      }
      // The layout, decided here once. Fully connected uses: the kernel
      // formats of nn-lower-kernels, chosen by the layout policy.
      LayoutAttr layout;
      // Dense weights of fully connected layers still get a kernel layout
      // when their values are narrowed (value-type).
      if (target == Target::Gpu &&
          decision.getValueType() != kernels::ValueType::F32)
        emitRemark(w.constOp->getLoc())
            << "nn-sparsify: weight '" << w.name << "' stays f32 with "
            << "target=gpu (the GPU kernels read f32 values), not the "
            << kernels::valueTypeName(decision.getValueType())
            << " its budget planned";
      bool narrowDense = forcedDense && typesFor(decision).front() !=
                                            kernels::ValueType::F32;
      if (narrowDense && !tosaOrDynamic(w)) {
        FailureOr<LayoutAttr> choice =
            chooseKernelLayout(w, decision, kernels::Format::Dense);
        if (failed(choice)) {
          hadError = true;
          continue;
        }
        layout = *choice;
      }
      if (!keepDense) {
        FailureOr<LayoutAttr> choice =
            chooseKernelLayout(w, decision, requestedFormat());
        if (failed(choice)) {
          hadError = true;
          continue;
        }
        layout = *choice;
        if (layout)
          keepDense = layout.getFormat() == kernels::Format::Dense;
        else if (format == FormatOption::Bitmask ||
                 format == FormatOption::BSR || format == FormatOption::NM)
          emitRemark(w.constOp->getLoc())
              << "nn-sparsify: weight '" << w.name
              << "' is not only used by fully connected layers; the "
                 "bitmask/bsr/nm kernels are for those, using csr";
      }
      // The GPU kernels are fully connected ones: auto has no costs for
      // other weights there.
      if (!keepDense && !layout && target == Target::Gpu &&
          format == FormatOption::Auto) {
        emitRemark(w.constOp->getLoc())
            << "nn-sparsify: weight '" << w.name
            << "' kept dense: with target=gpu, format=auto decides only "
               "weights whose every use is a fully connected layer or a "
               "2-D convolution (the GPU kernels' shape)";
        keepDense = true;
      }
      // Other contractions: upstream's sparsifier loops (CSR / CSF).
      if (!keepDense && !layout) {
        DictionaryAttr costs;
        if (format == FormatOption::Auto) {
          auto [dense, csr] = estimateCosts(w, elements - zeros);
          costs = costsAttr({{kernels::Format::Dense, dense},
                             {kernels::Format::CSR, csr}});
          double eltBytes = w.type.getElementTypeBitWidth() / 8.0;
          double csrBytes = loopCsrBytes(w, elements - zeros, indexWidth);
          keepDense = !modelFor(decision).prefersSparse(
              csr, dense, csrBytes, w.numElements() * eltBytes);
        }
        // nn-lower-kernels still runs the uses it covers (depthwise and
        // grouped convolutions as block-diagonal csr) in this layout.
        int64_t batch = kernelBatch(w);
        BatchRegime regime =
            layout::usesBatchedLayout(kernels::Format::CSR, batch,
                                      csrTiledBatch, target)
                ? BatchRegime::Batched
                : BatchRegime::Single;
        if (valueTypes.front() != kernels::ValueType::F32 ||
            valueTypes.size() > 1)
          emitRemark(w.constOp->getLoc())
              << "nn-sparsify: weight '" << w.name
              << "' is not only used by fully connected layers: its values "
                 "stay f32 (value-type is for the kernel layouts)";
        layout = LayoutAttr::get(&getContext(), kernels::Format::CSR,
                                 kernels::ValueType::F32, target, regime,
                                 batch, 0, 0, 0, 0, indexWidth, 0, costs);
      }
      if (keepDense) {
        setLayout(w.constOp, asDense(layout));
        continue;
      }
      FailureOr<std::vector<double>> values =
          readWeight(w.value, w.constOp);
      if (failed(values)) {
        hadError = true;
        continue;
      }
      bool allRewritten = true;
      for (const WeightUse &use : w.uses) {
        if (!use.isDirectView()) {
          auto call = llvm::find_if(use.viewChain, [](Operation *op) {
            return isa<func::CallOp>(op);
          });
          InFlightDiagnostic remark = emitRemark(use.consumer->getLoc());
          remark << "nn-sparsify: weight '" << w.name << "' left dense here: ";
          if (call != use.viewChain.end())
            remark << "it reaches this op through a call to @"
                   << cast<func::CallOp>(*call).getCallee()
                   << " (the callee is shared by its callers; run --inline "
                      "before nn-sparsify to sparsify it)";
          else
            remark << "it reaches this op through a broadcast";
          allRewritten = false;
          continue;
        }
        Operation *current = replaced.lookup(use.consumer);
        Value operand =
            (current ? current : use.consumer)->getOperand(use.operandIndex);
        if (sparse_tensor::getSparseTensorEncoding(operand.getType()))
          continue;
        Buffer buf{SmallVector<int64_t>(w.type.getShape()), *values};
        for (Operation *view : use.viewChain)
          buf = applyView(view, std::move(buf));
        Operation *consumer = replaced.lookup(use.consumer);
        if (!consumer)
          consumer = use.consumer;
        Operation *newConsumer = sparsifyUse(rewriter, consumer, use,
                                             std::move(buf), decision, layout);
        // (generalizeNamedOp already replaced the named op.)
        if (newConsumer != consumer)
          replaced[use.consumer] = newConsumer;
        for (Operation *view : llvm::reverse(use.viewChain))
          maybeDead.push_back(view);
        ++numSparsified;
      }
      if (allRewritten)
        maybeDead.push_back(w.constOp);
      else
        setLayout(w.constOp, asDense(layout));
    }
    // Erase views and constants nothing reads any more (consumer side first,
    // so a chain dies link by link).
    std::vector<DenseResourceElementsHandle> erasedBlobs;
    for (Operation *op : maybeDead) {
      if (!op->use_empty())
        continue;
      if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(
              getConstantValue(op)))
        erasedBlobs.push_back(res.getRawHandle());
      SmallVector<Value> inputs(op->getOperands());
      rewriter.eraseOp(op);
      for (Value in : inputs)
        if (Operation *def = in.getDefiningOp())
          if (isa<tensor::EmptyOp>(def) && def->use_empty())
            rewriter.eraseOp(def);
    }
    // The dense data of the weights now stored sparse is dead.
    releaseUnreferencedBlobs(module, erasedBlobs);
    if (hadError)
      return signalPassFailure();
    // Nothing decided and nothing sparsified before: say so.
    if (decided == 0 &&
        !module.walk([](sparse_tensor::AssembleOp) {
                 return WalkResult::interrupt();
               }).wasInterrupted())
      emitWarning(module.getLoc())
          << "nn-sparsify: nothing to do: no weight carries a pruning "
             "decision (run --nn-prune first)";
  }

  /// For a weight whose every use is a fully connected layer (the ops
  /// nn-lower-kernels lowers), the layout the policy picks: the format
  /// `format` names, or for `auto` the cheapest by the kernel cost model.
  /// Returns a null layout for other weights, failure on unreadable data.
  FailureOr<LayoutAttr>
  chooseKernelLayout(const WeightInfo &w, DecisionAttr decision,
                     std::optional<kernels::Format> requested) {
    // The choice may have been computed ahead (prefetchKernelLayouts).
    FailureOr<std::optional<Computed>> choice = failure();
    auto ahead = prefetched.find({&w, requested});
    if (ahead != prefetched.end()) {
      choice = std::move(ahead->second);
      prefetched.erase(ahead);
    } else {
      choice = computeKernelLayout(w, decision, requested);
    }
    if (failed(choice))
      return failure();
    if (!*choice)
      return LayoutAttr();
    const layout::KernelLayout &chosen = (*choice)->layout;
    layout::Structure structure{decision.getBlockRows(),
                                decision.getBlockCols(), decision.getN(),
                                decision.getM()};
    if (chosen.fellBack)
      emitRemark(w.constOp->getLoc())
          << "nn-sparsify: weight '" << w.name << "' has no "
          << kernels::formatName(*requested) << " structure (pattern '"
          << stringifyPrunePattern(decision.getPattern()) << "'); using csr";
    bool isBSR = chosen.format == kernels::Format::BSR;
    bool isNM = chosen.format == kernels::Format::NM;
    return LayoutAttr::get(
        &getContext(), chosen.format, chosen.valueType, target,
        chosen.batched ? BatchRegime::Batched : BatchRegime::Single,
        chosen.batch, isBSR ? structure.blockRows : 0,
        isBSR ? structure.blockCols : 0, isNM ? structure.n : 0,
        isNM ? structure.m : 0, (*choice)->indexBits, (*choice)->bytes,
        costsAttr(chosen.costs));
  }

  /// A kernel layout without its packed arrays.
  struct Computed {
    layout::KernelLayout layout;
    int64_t indexBits = 0, bytes = 0;
  };

  /// The numeric part of chooseKernelLayout: no IR changes, no diagnostics
  /// but a read error, so that it can run on several weights at once. The
  /// packed arrays are dropped (only their size and index width are kept).
  FailureOr<std::optional<Computed>>
  computeKernelLayout(const WeightInfo &w, DecisionAttr decision,
                      std::optional<kernels::Format> requested) {
    // Convolutions run as FC over transposed im2col patches (nn-lower-kernels).
    std::optional<SmallVector<FullyConnected>> fcUses = fullyConnectedUses(w);
    if (!fcUses)
      return std::optional<Computed>();
    ArrayRef<FullyConnected> fcs = *fcUses;
    FailureOr<std::vector<double>> values =
        readWeight(w.value, w.constOp);
    if (failed(values))
      return failure();
    // W[out, in] as the first use sees it.
    const WeightUse &use = w.uses.front();
    Buffer buf{SmallVector<int64_t>(w.type.getShape()), *values};
    for (Operation *view : use.viewChain)
      buf = applyView(view, std::move(buf));
    int64_t rows = fcs.front().outputs, cols = fcs.front().reduction;
    // Unit dims (batch_matmul with batch 1) and filters ([KH, KW, C, F] =
    // [K, F], [F, C, KH, KW] = [F, K]): the 2-D matrix of the same data.
    buf.shape = fcs.front().weightKN ? SmallVector<int64_t>{cols, rows}
                                     : SmallVector<int64_t>{rows, cols};
    if (fcs.front().weightKN)
      buf = permute(buf, {1, 0});
    std::vector<float> wf(buf.data.begin(), buf.data.end());

    SmallVector<layout::FcUse> uses;
    for (const FullyConnected &fc : fcs)
      uses.push_back({fc.batch, fc.inputKM});
    layout::Structure structure{decision.getBlockRows(),
                                decision.getBlockCols(), decision.getN(),
                                decision.getM()};
    layout::CostModel weightModel = modelFor(decision);
    layout::KernelLayout choice = layout::chooseKernelLayout(
        wf.data(), rows, cols, uses, requested, structure, weightModel,
        csrTiledBatch, typesFor(decision));
    int64_t bits = layout::indexBits(choice.packed);
    int64_t bytes = choice.packed.bytes();
    choice.packed = kernels::PackedWeight();
    Computed computed{std::move(choice), bits, bytes};
    return std::optional<Computed>(std::move(computed));
  }

  /// Computes the kernel layout of the weights the main loop will ask for
  /// (sparse, not forced dense, fully connected) on the context's threads,
  /// so that the expensive part (reading, transposing, packing every
  /// candidate) runs in parallel; the main loop then only builds the IR.
  /// A weight the loop decides otherwise just leaves its entry unused.
  void prefetchKernelLayouts(WeightAnalysis &analysis) {
    MLIRContext *ctx = &getContext();
    if (!ctx->isMultithreadingEnabled() || format == FormatOption::Dense)
      return;
    std::vector<std::pair<const WeightInfo *, DecisionAttr>> todo;
    for (const WeightInfo &w : analysis.getWeights()) {
      DecisionAttr decision = getDecision(w.constOp);
      if (!decision || decision.getZeros() >= decision.getElements() ||
          double(decision.getZeros()) / std::max<int64_t>(
                                            decision.getElements(), 1) <
              minSparsity ||
          tosaOrDynamic(w))
        continue;
      todo.push_back({&w, decision});
    }
    if (todo.size() < 2)
      return;
    std::vector<FailureOr<std::optional<Computed>>> results(
        todo.size(), failure());
    // Diagnostics (read errors) come out in weight order.
    ParallelDiagnosticHandler handler(ctx);
    std::optional<kernels::Format> requested = requestedFormat();
    parallelFor(ctx, 0, todo.size(), [&](size_t i) {
      handler.setOrderIDForThread(i);
      results[i] = computeKernelLayout(*todo[i].first, todo[i].second,
                                       requested);
      handler.eraseOrderIDForThread();
    });
    for (size_t i = 0; i < todo.size(); ++i)
      prefetched.try_emplace({todo[i].first, requested},
                             std::move(results[i]));
  }

  std::map<std::pair<const WeightInfo *, std::optional<kernels::Format>>,
           FailureOr<std::optional<Computed>>>
      prefetched;


  /// value-type and value-types as the value types layouts may store, widest
  /// first (one unless value-type=auto).
  SmallVector<kernels::ValueType> valueTypes;

  LogicalResult parseValueTypes(Location loc) {
    bool isAuto = valueType == "auto";
    std::vector<std::string> names =
        !isAuto ? std::vector<std::string>{valueType}
        : valueTypesAllowed.empty()
            ? std::vector<std::string>{"f32", "bf16", "f16", "i8"}
            : std::vector<std::string>(valueTypesAllowed.begin(),
                                       valueTypesAllowed.end());
    std::string bad;
    if (!layout::parseValueTypes(names, valueTypes, bad))
      return emitError(loc) << "nn-sparsify: option '"
                            << (isAuto ? "value-types" : "value-type")
                            << "' must be f32, bf16, f16"
                            << (isAuto ? " or i8" : ", i8 or auto")
                            << ", got '" << bad << "'";
    if (!isAuto && !valueTypesAllowed.empty())
      return emitError(loc) << "nn-sparsify: option 'value-types' is for "
                               "value-type=auto";
    if (target == Target::Gpu &&
        (valueTypes.size() > 1 || valueTypes[0] != kernels::ValueType::F32))
      return emitError(loc) << "nn-sparsify: target=gpu has no value type "
                               "but f32 (the GPU kernels read f32 values)";
    return success();
  }

  /// The value types a weight may be stored with: the one its budget
  /// planned (nn-prune{budget-value-types}), else value-type's.
  /// With target=gpu (f32 kernels only) a narrower planned type is dropped
  /// (the weight loop says so in a remark).
  SmallVector<kernels::ValueType> typesFor(DecisionAttr decision) const {
    if (decision.getValueType() != kernels::ValueType::F32 &&
        target != Target::Gpu)
      return {decision.getValueType()};
    return valueTypes;
  }

  /// The cost model for a weight: a weight of a budget (nn-prune{budget-
  /// bytes|budget-latency}) gets the format its plan assumed, the smallest
  /// or the fastest (layout::budgetModel).
  layout::CostModel modelFor(DecisionAttr decision) const {
    layout::CostModel m = model;
    if (decision.getPredictedBytes() > 0 || decision.getPredictedNs() > 0) {
      layout::CostModel plan =
          layout::budgetModel(decision.getPredictedBytes() > 0, model.isa);
      m.objective = plan.objective;
      m.margin = plan.margin;
      m.sizeSlack = plan.sizeSlack;
    }
    return m;
  }

  /// Whether the weight stays a dense constant whatever its layout (TOSA
  /// consumers, dynamic shapes).
  static bool tosaOrDynamic(const WeightInfo &w) {
    return llvm::any_of(w.uses, [](const WeightUse &use) {
      return use.isTosa() ||
             !cast<ShapedType>(
                  use.consumer->getOperand(use.operandIndex).getType())
                  .hasStaticShape();
    });
  }

  /// The format the `format` option names; nullopt for auto.
  std::optional<kernels::Format> requestedFormat() const {
    if (format == FormatOption::Auto)
      return std::nullopt;
    return static_cast<kernels::Format>(format.getValue());
  }

  /// Bytes of every weight of the module, dense (the GPU cost model's L2
  /// residency: weights stay in L2 between calls only if all of them fit).
  static double weightBytes(const WeightAnalysis &analysis) {
    double bytes = 0;
    for (const WeightInfo &w : analysis.getWeights())
      bytes += double(w.numElements()) * w.type.getElementTypeBitWidth() / 8;
    return bytes;
  }

  /// The largest batch of the uses nn-lower-kernels runs as kernel calls
  /// (1 if none).
  static int64_t kernelBatch(const WeightInfo &w) {
    int64_t batch = 1;
    for (const WeightUse &use : w.uses) {
      auto op = dyn_cast<linalg::LinalgOp>(use.consumer);
      if (!op)
        continue;
      if (auto fc = matchFullyConnected(op, use.operandIndex))
        batch = std::max(batch, fc->batch);
      else if (auto conv = matchConvAsFullyConnected(op, use.operandIndex))
        batch = std::max(batch, conv->fc.batch);
      else if (auto dw = matchDepthwiseAsFullyConnected(op))
        batch = std::max(batch, dw->fc.batch);
    }
    return batch;
  }

  /// {format name: predicted ns (rounded)}.
  DictionaryAttr
  costsAttr(ArrayRef<std::pair<kernels::Format, double>> costs) {
    Builder b(&getContext());
    NamedAttrList attrs;
    for (auto [f, ns] : costs)
      attrs.set(kernels::formatName(f), b.getF64FloatAttr(std::round(ns)));
    return attrs.getDictionary(&getContext());
  }

  /// The weight stays a dense constant: `layout` (the costs that chose
  /// dense) as format dense.
  LayoutAttr asDense(LayoutAttr layout) {
    if (layout && layout.getFormat() == kernels::Format::Dense)
      return layout;
    return LayoutAttr::get(&getContext(), kernels::Format::Dense,
                           kernels::ValueType::F32, target,
                           BatchRegime::Single, layout ? layout.getBatch() : 1,
                           0, 0, 0, 0, 0, 0,
                           layout ? layout.getCosts() : DictionaryAttr());
  }

  /// Cost model of format=auto for contractions the kernels do not cover
  /// (ns per call, summed over the weight's uses); see the pass
  /// description and docs/Design.md.
  std::pair<double, double> estimateCosts(const WeightInfo &w, int64_t nnz) {
    double n = w.numElements();
    double bytes = n * w.type.getElementTypeBitWidth() / 8.0;
    return layout::loopCosts(n, bytes, nnz, loopUsesOf(w), model);
  }

  layout::CostModel model;

  /// Creates the constant arrays and the assemble op in front of the
  /// consumer and makes the consumer read it; returns the (possibly new)
  /// consumer.
  Operation *sparsifyUse(IRRewriter &rewriter, Operation *consumer,
                         const WeightUse &use, Buffer buf,
                         DecisionAttr decision, LayoutAttr layout) {
    MLIRContext *ctx = &getContext();
    unsigned rank = buf.shape.size();
    // Level order: output / batch dims first, reduction dims last.
    SmallVector<int64_t> lvlToDim;
    for (unsigned d = 0; d < rank; ++d)
      if (use.operandRoles[d] != DimRole::Reduction)
        lvlToDim.push_back(d);
    unsigned numDense = lvlToDim.size();
    for (unsigned d = 0; d < rank; ++d)
      if (use.operandRoles[d] == DimRole::Reduction)
        lvlToDim.push_back(d);
    if (numDense == rank) // no reduction dim: compress the innermost level
      numDense = rank - 1;
    // NHWC depthwise filters ([KH, KW, C(, M)]): no named op reads them in
    // level order (the op would become a generic that nn-lower-kernels
    // does not lower); keep their dims, the innermost compressed.
    if (isa<linalg::DepthwiseConv2DNhwcHwcOp,
            linalg::DepthwiseConv2DNhwcHwcmOp>(consumer) &&
        use.operandIndex == 1) {
      lvlToDim = llvm::to_vector(llvm::seq<int64_t>(0, rank));
      numDense = rank - 1;
    }
    bool permuted = !llvm::equal(lvlToDim, llvm::seq<int64_t>(0, rank));

    // The encoding is always the identity: the data is permuted here, at
    // compile time, into level order and the permutation moves into the
    // consumer's indexing map. A permuted dimToLvl (CSC) would send the
    // kernel through upstream's sparse-reinterpret-map, where MLIR 22 has
    // known crashes for non-trivial maps (docs/Design.md); the named op is
    // kept whenever no permutation is needed.
    if (permuted)
      buf = permute(buf, lvlToDim);
    SmallVector<LevelType> lvlTypes;
    for (unsigned l = 0; l < rank; ++l)
      lvlTypes.push_back(l < numDense ? LevelType(LevelFormat::Dense)
                                      : LevelType(LevelFormat::Compressed));
    auto enc = sparse_tensor::SparseTensorEncodingAttr::get(
        ctx, lvlTypes, AffineMap(), AffineMap(), indexWidth, indexWidth);
    auto operandType = cast<RankedTensorType>(
        consumer->getOperand(use.operandIndex).getType());
    auto sparseType =
        RankedTensorType::get(buf.shape, operandType.getElementType(), enc);

    auto identity = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    Storage st = buildStorage(buf, identity, numDense);
    rewriter.setInsertionPoint(consumer);
    Location loc = consumer->getLoc();
    bool isIndex = indexWidth == 0;
    SmallVector<Value> levels;
    for (unsigned c = 0; c < st.positions.size(); ++c) {
      for (auto *array : {&st.positions[c], &st.coordinates[c]}) {
        ElementsAttr attr =
            writeIntArray(ctx, indexWidth, isIndex, *array, "nn_sparse_index", writer);
        levels.push_back(
            arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(attr)));
      }
    }
    auto valuesType = RankedTensorType::get(
        {static_cast<int64_t>(st.values.size())}, operandType.getElementType());
    ElementsAttr valuesAttr =
        writeWeight(valuesType, st.values, "nn_sparse_values", writer);
    Value values =
        arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(valuesAttr));
    auto op = sparse_tensor::AssembleOp::create(rewriter, loc, sparseType,
                                                levels, values);
    setDecision(op, decision);
    setLayout(op, layout);
    // An HWCF filter in level order is FHWC: the same convolution as the
    // named conv_2d_nhwc_fhwc (which nn-lower-kernels lowers; a generic
    // would go to the sparsifier).
    if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(consumer))
      if (use.operandIndex == 1 &&
          llvm::equal(lvlToDim, ArrayRef<int64_t>{3, 0, 1, 2})) {
        auto fhwc = linalg::Conv2DNhwcFhwcOp::create(
            rewriter, loc, conv->getResultTypes(),
            ValueRange{conv.getInputs()[0], op.getResult()},
            conv.getOutputs(), conv.getStrides(), conv.getDilations());
        rewriter.replaceOp(conv, fhwc->getResults());
        return fhwc.getOperation();
      }
    FailureOr<linalg::LinalgOp> reader =
        readPermutedInput(rewriter, cast<linalg::LinalgOp>(consumer),
                          use.operandIndex, op.getResult(), lvlToDim);
    if (failed(reader)) {
      rewriter.eraseOp(op);
      return consumer;
    }
    return reader->getOperation();
  }
};
} // namespace
