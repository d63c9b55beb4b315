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

#include "prune-opt/Analysis/WeightAnalysis.h"
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
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#include <cmath>

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
struct NNSparsifyPass : public prune::impl::NNSparsifyBase<NNSparsifyPass> {
  using Base::Base;
  PRUNE_OPT_CHECKED_OPTIONS("nn-sparsify")

  void runOnOperation() override {
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
    auto &analysis = getAnalysis<WeightAnalysis>();
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> maybeDead;
    // Consumers replaced by their generic form.
    llvm::DenseMap<Operation *, Operation *> replaced;
    bool hadError = false;
    int64_t decided = 0;
    for (const WeightInfo &w : analysis.getWeights()) {
      auto decision = w.constOp->getAttrOfType<DictionaryAttr>(kPruneAttrName);
      if (!decision)
        continue;
      ++decided;
      int64_t zeros = 0, elements = 1;
      if (auto z = decision.getAs<IntegerAttr>("zeros"))
        zeros = z.getInt();
      if (auto e = decision.getAs<IntegerAttr>("elements"))
        elements = std::max<int64_t>(e.getInt(), 1);
      double achieved = static_cast<double>(zeros) / elements;
      bool keepDense = format == SparseFormat::Dense || achieved < minSparsity;
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
      // Fully connected uses: the kernel formats of nn-lower-kernels.
      std::string kernelFormat = "csr";
      if (!keepDense) {
        FailureOr<std::optional<KernelChoice>> choice =
            chooseKernelFormat(w, decision);
        if (failed(choice)) {
          hadError = true;
          continue;
        }
        if (*choice) {
          decision = (*choice)->decision;
          kernelFormat = (*choice)->format;
          keepDense = kernelFormat == "dense";
        } else if (format == SparseFormat::Bitmask ||
                   format == SparseFormat::BSR || format == SparseFormat::NM) {
          emitRemark(w.constOp->getLoc())
              << "nn-sparsify: weight '" << w.name
              << "' is not only used by fully connected layers; the "
                 "bitmask/bsr/nm kernels are for those, using csr";
        }
      }
      if (!keepDense && format == SparseFormat::Auto && kernelFormat == "csr" &&
          !decision.get("cost_dense_ns")) {
        auto [dense, csr] = estimateCosts(w, elements - zeros);
        decision = withCosts(decision, dense, csr);
        keepDense = !(csr < 0.9 * dense);
      }
      if (keepDense) {
        w.constOp->setAttr(kPruneAttrName, withFormat(decision, "dense"));
        continue;
      }
      FailureOr<std::vector<double>> values =
          readWeight(w.value, w.constOp->getLoc());
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
        Operation *newConsumer = sparsifyUse(
            rewriter, consumer, use, std::move(buf), decision, kernelFormat);
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
        w.constOp->setAttr(kPruneAttrName, withFormat(decision, "dense"));
    }
    // Erase views and constants nothing reads any more (consumer side first,
    // so a chain dies link by link).
    for (Operation *op : maybeDead) {
      if (!op->use_empty())
        continue;
      SmallVector<Value> inputs(op->getOperands());
      rewriter.eraseOp(op);
      for (Value in : inputs)
        if (Operation *def = in.getDefiningOp())
          if (isa<tensor::EmptyOp>(def) && def->use_empty())
            rewriter.eraseOp(def);
    }
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

  struct KernelChoice {
    std::string format;
    DictionaryAttr decision;
  };

  /// For a weight whose every use is a fully connected layer (the ops
  /// nn-lower-kernels lowers), picks the kernel format: the one `format`
  /// names, or for `auto` the cheapest by the kernel cost model. Returns
  /// nullopt for other weights, failure on unreadable data.
  FailureOr<std::optional<KernelChoice>>
  chooseKernelFormat(const WeightInfo &w, DictionaryAttr decision) {
    // Convolutions run as FC over transposed im2col patches (nn-lower-kernels).
    SmallVector<FullyConnected> fcs;
    for (const WeightUse &use : w.uses) {
      auto op = dyn_cast<linalg::LinalgOp>(use.consumer);
      if (!op || !use.isDirectView())
        return std::optional<KernelChoice>();
      std::optional<FullyConnected> fc =
          matchFullyConnected(op, use.operandIndex);
      if (!fc)
        if (auto conv = matchConvAsFullyConnected(op, use.operandIndex)) {
          fc = conv->fc;
          fc->inputKM = true;
        }
      if (!fc || (!fcs.empty() && (fc->outputs != fcs.front().outputs ||
                                   fc->reduction != fcs.front().reduction)))
        return std::optional<KernelChoice>();
      fcs.push_back(*fc);
    }
    if (fcs.empty())
      return std::optional<KernelChoice>();
    FailureOr<std::vector<double>> values =
        readWeight(w.value, w.constOp->getLoc());
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

    auto pattern = decision.getAs<StringAttr>("pattern");
    StringRef pat = pattern ? pattern.getValue() : "";
    std::vector<std::pair<std::string, kernels::PackedWeight>> candidates;
    int64_t maxBatch = 0;
    for (const FullyConnected &fc : fcs)
      maxBatch = std::max(maxBatch, fc.batch);
    auto add = [&](StringRef name) {
      kernels::PackedWeight p;
      if (name == "dense")
        p = kernels::packDense(wf.data(), rows, cols);
      else if (name == "csr")
        p = kernels::packCSR(wf.data(), rows, cols);
      else if (name == "bitmask")
        p = kernels::packBitmask(wf.data(), rows, cols);
      else if (name == "bsr") {
        int64_t r = 0, c = 0;
        if (auto block = decision.getAs<StringAttr>("block")) {
          auto [rs, cs] = block.getValue().split('x');
          (void)rs.getAsInteger(10, r);
          (void)cs.getAsInteger(10, c);
        }
        if (!kernels::packBSR(wf.data(), rows, cols, r, c, p))
          return false;
      } else if (name == "nm") {
        auto n = decision.getAs<IntegerAttr>("n");
        auto m = decision.getAs<IntegerAttr>("m");
        if (!n || !m ||
            !kernels::packNM(wf.data(), rows, cols, n.getInt(), m.getInt(), p))
          return false;
      }
      // What nn-lower-kernels packs (its default csr-tiled-batch): batched
      // csr, bitmask and N:M weights run as csr-tiled.
      if (maxBatch >= kernels::kTiledFromBatch &&
          (p.format == kernels::Format::CSR ||
           p.format == kernels::Format::Bitmask ||
           p.format == kernels::Format::NM))
        p = kernels::packTiledCSR(wf.data(), rows, cols);
      candidates.push_back({name.str(), std::move(p)});
      return true;
    };
    switch (format) {
    case SparseFormat::Auto:
      add("dense");
      add("csr");
      add("bitmask");
      if (pat == "block")
        add("bsr");
      if (pat == "nm")
        add("nm");
      break;
    case SparseFormat::Dense:
      add("dense");
      break;
    case SparseFormat::CSR:
      add("csr");
      break;
    case SparseFormat::Bitmask:
      add("bitmask");
      break;
    case SparseFormat::BSR:
    case SparseFormat::NM: {
      StringRef name = format == SparseFormat::BSR ? "bsr" : "nm";
      if (!add(name)) {
        emitRemark(w.constOp->getLoc())
            << "nn-sparsify: weight '" << w.name << "' has no " << name
            << " structure (pattern '" << pat << "'); using csr";
        add("csr");
      }
      break;
    }
    }
    Builder b(&getContext());
    NamedAttrList attrs(decision);
    double bestCost = 0, denseCost = 0;
    size_t best = 0;
    for (auto [i, cand] : llvm::enumerate(candidates)) {
      double cost = 0;
      for (const FullyConnected &fc : fcs)
        cost += kernelCost(cand.second, fc.batch, fc.inputKM);
      attrs.set(("cost_" + cand.first + "_ns"),
                b.getF64FloatAttr(std::round(cost)));
      if (cand.first == "dense")
        denseCost = cost;
      // A sparse format must beat dense by 10%: the model's error margin.
      double effective =
          cand.first == "dense" || denseCost == 0 ? cost : cost / 0.9;
      if (i == 0 || effective < bestCost) {
        bestCost = effective;
        best = i;
      }
    }
    const kernels::PackedWeight &chosen = candidates[best].second;
    attrs.set("kernel_bytes", b.getI64IntegerAttr(chosen.bytes()));
    StringRef index = "-";
    switch (chosen.format) {
    case kernels::Format::Dense:
      break;
    case kernels::Format::TiledCSR:
      index = "u8-tiled"; // csr-tiled: u8 columns within 256x256 blocks
      break;
    case kernels::Format::CSR:
    case kernels::Format::BSR:
      index = chosen.colBits == 8 ? "u8" : chosen.colBits == 16 ? "u16" : "i32";
      break;
    case kernels::Format::Bitmask:
      index = "1-bit";
      break;
    case kernels::Format::NM:
      index = chosen.n == 2 && chosen.m == 4 ? "2-bit" : "u8";
      break;
    }
    attrs.set("kernel_index", b.getStringAttr(index));
    return std::optional<KernelChoice>(KernelChoice{
        candidates[best].first, attrs.getDictionary(&getContext())});
  }

  /// Expected ns of one call of a kernel (docs/Design.md, "Kernel cost
  /// model"): the larger of the time to stream its bytes and its compute
  /// time, with per-element costs measured by prune-bench on the dev VM.
  double kernelCost(const kernels::PackedWeight &p, int64_t batch,
                    bool transposedInput) {
    // Batched sparse kernels transpose x unless it arrives transposed.
    double transpose = transposedInput ? 0.0 : p.cols * batch * 0.5;
    double bytes = p.bytes();
    bool resident = bytes <= cacheKiB * 1024.0;
    double bw = bandwidthGBs * (resident ? 8.0 : 1.0); // bytes per ns
    double memory = bytes / bw;
    double vectors = std::ceil(batch / 16.0); // batched kernels: lanes
    // Per output row: a horizontal sum per batch row in the one-row
    // kernels, a column store per 32 batch rows in the batched ones.
    bool batched = batch >= 4;
    double perRow = batched ? std::ceil(batch / 32.0) * 10.0 : batch * 3.0;
    double compute = 0, rows = p.rows;
    switch (p.format) {
    case kernels::Format::Dense:
      compute = rows * p.cols * batch / 16.0 * (batch == 1 ? 1.0 : 0.30) +
                rows * batch * 0.5;
      break;
    case kernels::Format::CSR:
      compute =
          (batched ? p.nnz * vectors * 1.2 + transpose : p.nnz * batch * 0.45) +
          rows * perRow;
      break;
    case kernels::Format::TiledCSR: {
      // Always batched, in chunks of up to 32 batch rows: per entry and
      // chunk (0.75 ns with 16 lanes, 0.9 with 32), per (row, column tile)
      // visit and chunk (8 ns), plus the transposes of x and y. Fitted on
      // 64x64 to 4096x4096 layers, batch 8 to 64 (prune-bench).
      double chunks = std::ceil(batch / 32.0);
      compute = p.nnz * chunks * (batch <= 16 ? 0.75 : 0.9) +
                double(p.rowIds.size()) * chunks * 8.0 + transpose +
                rows * batch * 0.5;
      break;
    }
    case kernels::Format::Bitmask:
      compute =
          rows * std::ceil(p.cols / 16.0) * batch * 1.5 + rows * batch * 3.0;
      break;
    case kernels::Format::BSR:
      compute =
          (batched ? p.nnz * vectors * 0.6 + transpose : p.nnz * batch * 0.10) +
          rows / p.blockRows * perRow;
      break;
    case kernels::Format::NM:
      compute = ((p.n == 2 && p.m == 4) ? p.nnz / 16.0 * batch * 2.5
                                        : p.nnz * batch * 1.5) +
                rows * batch * 3.0;
      break;
    }
    return std::max(memory, compute);
  }

  /// Cost model of format=auto (ns per call, summed over the weight's
  /// uses); see the pass description and docs/Design.md.
  std::pair<double, double> estimateCosts(const WeightInfo &w, int64_t nnz) {
    double n = w.numElements();
    double bytes = n * w.type.getElementTypeBitWidth() / 8.0;
    bool resident = bytes <= cacheKiB * 1024.0;
    double dense = 0, csr = 0;
    for (const WeightUse &use : w.uses) {
      auto op = cast<linalg::LinalgOp>(use.consumer);
      // Reuse: extents of the parallel loops the weight is not indexed by.
      AffineMap wMap =
          op.getMatchingIndexingMap(&op->getOpOperand(use.operandIndex));
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
      double reuse = 1;
      for (unsigned l = 0; l < ranges.size(); ++l)
        if (iters[l] == utils::IteratorType::parallel &&
            !wMap.isFunctionOfDim(l))
          reuse *= ShapedType::isDynamic(ranges[l]) ? 1 : ranges[l];
      double outputs = 1;
      int64_t reductionDims = 0;
      for (auto [d, role] : llvm::enumerate(use.operandRoles)) {
        if (role == DimRole::Reduction)
          ++reductionDims;
        else
          outputs *=
              cast<ShapedType>(op->getOperand(use.operandIndex).getType())
                  .getDimSize(d);
      }
      double cMac = reuse > 1 ? 0.25 : 0.10;
      double cNnz = reuse > 1 ? 0.75 : (resident ? 0.5 : 1.2);
      dense += n * std::max(reuse * cMac, resident ? 0.0 : 0.45);
      csr += nnz * reuse * cNnz * (reductionDims > 1 ? 3.0 : 1.0) +
             outputs * reuse * 2.0;
    }
    return {dense, csr};
  }

  DictionaryAttr withCosts(DictionaryAttr decision, double dense, double csr) {
    NamedAttrList attrs(decision);
    Builder b(&getContext());
    attrs.set("cost_dense_ns", b.getF64FloatAttr(std::round(dense)));
    attrs.set("cost_csr_ns", b.getF64FloatAttr(std::round(csr)));
    return attrs.getDictionary(&getContext());
  }

  DictionaryAttr withFormat(DictionaryAttr decision, StringRef fmt) {
    NamedAttrList attrs(decision);
    attrs.set("format", StringAttr::get(&getContext(), fmt));
    return attrs.getDictionary(&getContext());
  }

  /// Creates the constant arrays and the assemble op in front of the
  /// consumer and makes the consumer read it; returns the (possibly new)
  /// consumer.
  Operation *sparsifyUse(IRRewriter &rewriter, Operation *consumer,
                         const WeightUse &use, Buffer buf,
                         DictionaryAttr decision, StringRef kernelFormat) {
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
            writeIntArray(ctx, indexWidth, isIndex, *array, "nn_sparse_index");
        levels.push_back(
            arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(attr)));
      }
    }
    auto valuesType = RankedTensorType::get(
        {static_cast<int64_t>(st.values.size())}, operandType.getElementType());
    ElementsAttr valuesAttr =
        writeWeight(valuesType, st.values, "nn_sparse_values");
    Value values =
        arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(valuesAttr));
    auto op = sparse_tensor::AssembleOp::create(rewriter, loc, sparseType,
                                                levels, values);
    NamedAttrList attrs(decision);
    attrs.set("format", rewriter.getStringAttr(kernelFormat));
    op->setAttr(kPruneAttrName, attrs.getDictionary(ctx));
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
