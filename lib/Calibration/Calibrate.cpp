//===- Calibrate.cpp - The nn-calibrate pass ------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Runs the model on calibration inputs inside the compiler and records the
// Gram matrix of every weight's layer inputs. The model is instrumented (the
// activation operand of each contraction becomes an extra result of the
// entry), JIT-compiled by the execution library, and the activations are
// turned into rows of X (im2col for convolutions) on the host.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Criteria/Gram.h"
#include "prune-opt/Execution/Inputs.h"
#include "prune-opt/Execution/Runner.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Complex/IR/Complex.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <unistd.h>

namespace mlir::prune {
#define GEN_PASS_DEF_NNCALIBRATE
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

namespace {
/// How to turn one captured activation into rows of X for one weight use.
struct Capture {
  const WeightInfo *weight;
  Operation *consumer;
  unsigned actOperand;
  unsigned result = 0; // extra result of the instrumented entry
  int64_t cols = 1;
  SmallVector<int64_t> redLoops, redExtents; // weight reduction dims order
  SmallVector<int64_t> rowLoops, rowExtents; // loops that make rows of X
  // Activation dim a = sum_l coeff[a][l] * loop_l + offset[a].
  SmallVector<SmallVector<int64_t>> coeff;
  SmallVector<int64_t> offset, actStrides;
  // Per-output-channel statistics of the layer's output after its
  // elementwise tail (bias, activation function), when it can be found.
  Value postAct;
  unsigned postActResult = 0;
  int64_t channelDim = -1, channels = 0;
};
} // namespace

/// Decomposes `e` into sum(coeff[l] * d_l) + offset; false if not affine-
/// linear in the dims.
static bool linearize(AffineExpr e, MutableArrayRef<int64_t> coeff,
                      int64_t &offset, int64_t scale = 1) {
  if (auto dim = dyn_cast<AffineDimExpr>(e)) {
    coeff[dim.getPosition()] += scale;
    return true;
  }
  if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
    offset += scale * cst.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (bin.getKind() == AffineExprKind::Add)
    return linearize(bin.getLHS(), coeff, offset, scale) &&
           linearize(bin.getRHS(), coeff, offset, scale);
  if (bin.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearize(bin.getLHS(), coeff, offset, scale * c.getValue());
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearize(bin.getRHS(), coeff, offset, scale * c.getValue());
  }
  return false;
}

/// Follows `v` through its single-use chain of elementwise linalg.generic
/// ops that read and write it with identity maps (bias add, activation):
/// the layer's output "after the activation".
static Value followElementwise(Value v) {
  while (v.hasOneUse()) {
    OpOperand &use = *v.getUses().begin();
    auto g = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!g || g.getNumDpsInits() != 1 || !g.isDpsInput(&use) ||
        g->getResult(0).getType() != v.getType() ||
        g.getNumParallelLoops() != g.getNumLoops() ||
        !g.getMatchingIndexingMap(&use).isIdentity() ||
        !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
      break;
    v = g->getResult(0);
  }
  return v;
}

/// Plans the capture of `use`, or returns a reason why it cannot be done.
static FailureOr<Capture> planCapture(const WeightInfo &w, const WeightUse &use,
                                      func::FuncOp entry, std::string &why) {
  Operation *consumer = use.consumer;
  if (consumer->getBlock() != &entry.front()) {
    why = "its consumer is not in the entry function's body";
    return failure();
  }
  auto op = dyn_cast<linalg::LinalgOp>(consumer);
  if (!op) {
    why = "its consumer is a TOSA op (convert the model to linalg first: "
          "--nn-tosa-to-linalg)";
    return failure();
  }
  if (op.getNumDpsInputs() != 2) {
    why = "its consumer does not have exactly two inputs";
    return failure();
  }
  Capture c;
  c.weight = &w;
  c.consumer = consumer;
  c.actOperand = use.operandIndex == 0 ? 1 : 0;
  auto actType =
      dyn_cast<RankedTensorType>(consumer->getOperand(c.actOperand).getType());
  if (!actType || !actType.hasStaticShape()) {
    why = "its activation is not a statically shaped tensor";
    return failure();
  }
  // Constant dim -> consumed operand dim, through transposes and casts.
  unsigned rank = w.type.getRank();
  SmallVector<int64_t> operandDim = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  for (Operation *view : use.viewChain) {
    if (std::optional<SmallVector<int64_t>> perm = getViewPermutation(view)) {
      for (int64_t &d : operandDim)
        d = llvm::find(*perm, d) - perm->begin();
    } else if (!isa<tensor::CastOp>(view)) {
      why = "it reaches its consumer through a reshape, broadcast or call";
      return failure();
    }
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap weightMap = maps[use.operandIndex];
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (int64_t r : ranges)
    if (ShapedType::isDynamic(r)) {
      why = "its consumer has dynamic loop bounds";
      return failure();
    }
  SmallVector<DimRole> roles = w.roles();
  llvm::SmallBitVector weightLoops(ranges.size());
  bool anyReduction = llvm::is_contained(roles, DimRole::Reduction);
  for (unsigned d = 0; d < rank; ++d) {
    auto dim = dyn_cast<AffineDimExpr>(weightMap.getResult(operandDim[d]));
    if (!dim) {
      why = "its consumer indexes it with a non-trivial expression";
      return failure();
    }
    weightLoops.set(dim.getPosition());
    if (roles[d] == DimRole::Batch || roles[d] == DimRole::Mixed) {
      why = "it has batch-like dimensions";
      return failure();
    }
    bool reduces = anyReduction ? roles[d] == DimRole::Reduction
                                : d + 1 == rank;
    if (reduces) {
      c.redLoops.push_back(dim.getPosition());
      c.redExtents.push_back(ranges[dim.getPosition()]);
      c.cols *= ranges[dim.getPosition()];
    }
  }
  AffineMap actMap = maps[c.actOperand];
  c.coeff.assign(actMap.getNumResults(),
                 SmallVector<int64_t>(ranges.size(), 0));
  c.offset.assign(actMap.getNumResults(), 0);
  for (auto [a, e] : llvm::enumerate(actMap.getResults()))
    if (!linearize(e, c.coeff[a], c.offset[a])) {
      why = "its activation is indexed non-linearly";
      return failure();
    }
  for (unsigned l = 0; l < ranges.size(); ++l) {
    bool usedByAct = llvm::any_of(c.coeff, [&](auto &row) { return row[l]; });
    bool isRed = llvm::is_contained(c.redLoops, int64_t(l));
    if (usedByAct && !isRed) {
      if (weightLoops.test(l)) {
        why = "an output dimension of it also indexes the activation";
        return failure();
      }
      c.rowLoops.push_back(l);
      c.rowExtents.push_back(ranges[l]);
    }
  }
  // The output channel: the output-map position of the weight's one output
  // loop.
  SmallVector<int64_t> outputLoops;
  for (unsigned d = 0; d < rank; ++d)
    if (roles[d] == DimRole::Output)
      outputLoops.push_back(
          cast<AffineDimExpr>(weightMap.getResult(operandDim[d])).getPosition());
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outputLoops.size() == 1 && consumer->getNumResults() == 1)
    for (auto [i, e] : llvm::enumerate(outMap.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(e);
          dim && dim.getPosition() == outputLoops[0]) {
        c.channelDim = i;
        c.channels = ranges[outputLoops[0]];
        c.postAct = followElementwise(consumer->getResult(0));
      }

  ArrayRef<int64_t> shape = actType.getShape();
  c.actStrides.assign(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    c.actStrides[d] = c.actStrides[d + 1] * shape[d + 1];
  return c;
}

/// The rows of X for one sample, in `x` (rows x cols, row-major, float:
/// what the Gram accumulation's SYRK reads); returns the number of rows.
static int64_t gatherRows(const Capture &c, const HostTensor &act,
                          std::vector<float> &x) {
  int64_t numRows = 1;
  for (int64_t e : c.rowExtents)
    numRows *= e;
  x.resize(numRows * c.cols);
  // The activation's linear index is affine in the loops: base + sum over
  // loops l of loops[l] * stride[l]. Rows and columns step through it
  // incrementally (a 2048x4096 activation per sample: the per-element
  // recomputation took ~0.3 s of each sample's ~1.2 s).
  const size_t numLoops = c.coeff.empty() ? 0 : c.coeff[0].size();
  int64_t base = 0;
  SmallVector<int64_t> stride(numLoops, 0);
  for (size_t a = 0; a < c.coeff.size(); ++a) {
    base += c.offset[a] * c.actStrides[a];
    for (size_t l = 0; l < numLoops; ++l)
      stride[l] += c.coeff[a][l] * c.actStrides[a];
  }
  SmallVector<int64_t> rowStride, redStride;
  for (int64_t l : c.rowLoops)
    rowStride.push_back(stride[l]);
  for (int64_t l : c.redLoops)
    redStride.push_back(stride[l]);
  // Advances a mixed-radix counter (last digit fastest) and `linear` with it.
  auto advance = [](MutableArrayRef<int64_t> idx, ArrayRef<int64_t> extents,
                    ArrayRef<int64_t> strides, int64_t &linear) {
    for (int64_t i = int64_t(idx.size()) - 1; i >= 0; --i) {
      linear += strides[i];
      if (++idx[i] < extents[i])
        return;
      linear -= extents[i] * strides[i];
      idx[i] = 0;
    }
  };
  auto gather = [&](auto load) {
    SmallVector<int64_t> rowIdx(c.rowLoops.size(), 0);
    SmallVector<int64_t> redIdx(c.redLoops.size(), 0);
    int64_t rowBase = base;
    // The innermost reduction loop's stride, for runs along it.
    const int64_t innerExtent = redIdx.empty() ? 1 : c.redExtents.back();
    const int64_t innerStride = redIdx.empty() ? 0 : redStride.back();
    for (int64_t r = 0; r < numRows; ++r) {
      float *out = &x[r * c.cols];
      int64_t linear = rowBase;
      std::fill(redIdx.begin(), redIdx.end(), 0);
      for (int64_t col = 0; col < c.cols; col += innerExtent) {
        for (int64_t k = 0; k < innerExtent; ++k)
          out[col + k] = load(linear + k * innerStride);
        // The run covered the innermost digit: carry into the others.
        if (!redIdx.empty())
          advance(MutableArrayRef<int64_t>(redIdx).drop_back(),
                  ArrayRef<int64_t>(c.redExtents).drop_back(),
                  ArrayRef<int64_t>(redStride).drop_back(), linear);
      }
      advance(rowIdx, c.rowExtents, rowStride, rowBase);
    }
  };
  if (act.kind == ElementKind::F32) {
    const float *p = static_cast<const float *>(act.data());
    gather([p](int64_t i) { return p[i]; });
  } else {
    gather([&act](int64_t i) { return float(act.get(i)); });
  }
  return numRows;
}

namespace {
struct NNCalibratePass
    : public WeightWritingPass<NNCalibratePass, prune::impl::NNCalibrateBase> {
  using WeightWritingPass::WeightWritingPass;
  PRUNE_OPT_CHECKED_OPTIONS("nn-calibrate")

  LogicalResult fail(const llvm::Twine &msg) {
    emitError(getOperation().getLoc()) << "nn-calibrate: " << msg;
    return failure();
  }

  void runOnModule() {
    if (sequentialPrune.empty()) {
      if (failed(calibrate()))
        signalPassFailure();
      return;
    }
    // Sequential: calibrate, prune one weight, repeat on the pruned model.
    std::vector<std::string> ids;
    for (const WeightInfo &w : getAnalysis<WeightAnalysis>().getWeights())
      ids.push_back(w.idString());
    for (auto [k, id] : llvm::enumerate(ids)) {
      if (failed(calibrate()))
        return signalPassFailure();
      OpPassManager pm(ModuleOp::getOperationName());
      std::string text =
          "nn-prune{" + sequentialPrune.getValue() + " only=" + id + "}";
      std::string diag;
      llvm::raw_string_ostream os(diag);
      if (failed(parsePassPipeline(text, pm, os))) {
        emitError(getOperation().getLoc())
            << "nn-calibrate: bad sequential-prune options '"
            << sequentialPrune << "': " << diag;
        return signalPassFailure();
      }
      if (failed(runPipeline(pm, getOperation())))
        return signalPassFailure();
      llvm::errs() << llvm::formatv("nn-calibrate: pruned {0} ({1}/{2})\n",
                                    id, k + 1, ids.size());
    }
  }

  static double physicalMemoryBytes() {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? double(pages) * double(size) : 8.0 * (1 << 30);
  }

  LogicalResult calibrate() {
    ModuleOp module = getOperation();
    func::FuncOp entryFunc;
    for (auto func : module.getOps<func::FuncOp>())
      if ((entry.empty() && func.isPublic() && !func.isExternal()) ||
          func.getName() == entry) {
        entryFunc = func;
        break;
      }
    if (!entryFunc || entryFunc.isExternal())
      return fail(entry.empty() ? llvm::Twine("the module has no public "
                                              "function to run")
                                : "no function named '" + entry +
                                      "' with a body");
    if (images.empty() == inputs.empty())
      return fail("give calibration inputs with exactly one of images= or "
                  "inputs=");
    if (limit <= 0 || first < 0)
      return fail("first must be >= 0 and limit > 0");
    if (maxMemoryMiB < 0)
      return fail("max-memory-mib must be >= 0");

    // (Recomputed on every call: sequential mode prunes in between.)
    WeightAnalysis analysis(module);
    std::vector<Capture> captures;
    for (const WeightInfo &w : analysis.getWeights()) {
      if (!isSupportedWeightElementType(w.type.getElementType()))
        continue;
      for (const WeightUse &use : w.uses) {
        std::string why;
        FailureOr<Capture> c = planCapture(w, use, entryFunc, why);
        if (failed(c)) {
          emitRemark(w.constOp->getLoc())
              << "nn-calibrate: no statistics for weight '" << w.name
              << "': " << why;
          continue;
        }
        captures.push_back(std::move(*c));
      }
    }

    if (captures.empty()) {
      InFlightDiagnostic diag =
          emitWarning(module.getLoc())
          << "nn-calibrate: nothing calibrated: no weight feeding a "
             "contraction of @"
          << entryFunc.getName() << " can be captured";
      if (analysis.getWeights().empty())
        WeightAnalysis::explainNoWeights(module,
                                         *diag.getUnderlyingDiagnostic());
      return success();
    }

    // Instrument a clone: every captured activation becomes a result.
    OwningOpRef<ModuleOp> clone(module.clone());
    SmallVector<Operation *> origOps, cloneOps;
    module->walk<WalkOrder::PreOrder>([&](Operation *op) { origOps.push_back(op); });
    clone->walk<WalkOrder::PreOrder>([&](Operation *op) { cloneOps.push_back(op); });
    llvm::DenseMap<Operation *, Operation *> toClone;
    for (auto [a, b] : llvm::zip(origOps, cloneOps))
      toClone[a] = b;
    auto cloneEntry = cast<func::FuncOp>(toClone[entryFunc]);
    auto ret = cast<func::ReturnOp>(cloneEntry.front().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    for (Capture &c : captures) {
      c.result = results.size();
      results.push_back(toClone[c.consumer]->getOperand(c.actOperand));
      if (c.postAct) {
        c.postActResult = results.size();
        Operation *def = c.postAct.getDefiningOp();
        results.push_back(
            toClone[def]->getResult(cast<OpResult>(c.postAct).getResultNumber()));
      }
    }
    ret->setOperands(results);
    cloneEntry.setFunctionType(FunctionType::get(
        &getContext(), cloneEntry.getArgumentTypes(),
        ValueRange(results).getTypes()));
    // The instrumented entry gets a name of its own; an untouched copy keeps
    // the original name for any caller.
    std::string instrumented = ("__nn_calibrate_" + entryFunc.getName()).str();
    cloneEntry.setName(instrumented);
    cloneEntry.setPublic();
    OpBuilder(cloneEntry).clone(*entryFunc);

    auto compiled = CompiledModel::compile(*clone, instrumented, "");
    if (!compiled)
      return fail("cannot run the model: " +
                  llvm::toString(compiled.takeError()));
    auto specs = (*compiled)->inputSpecs();
    llvm::Expected<InputSource> source =
        images.empty()
            ? InputSource::fromNpy(std::vector<std::string>(inputs.begin(),
                                                            inputs.end()),
                                   specs, entryFunc.getName())
            : InputSource::fromImages(images, preprocess, specs);
    if (!source)
      return fail(llvm::toString(source.takeError()));
    int64_t count = std::min<int64_t>(limit, source->size() - first);
    if (auto err = source->checkRange(first, count))
      return fail(llvm::toString(std::move(err)));

    // The statistics must fit: a 65536-input layer alone needs a 32 GiB
    // Gram matrix (and the accumulation half as much again: its float
    // partial sums, GramAccumulator). Refuse before allocating, naming the
    // largest weights.
    {
      llvm::DenseMap<const WeightInfo *, int64_t> cols;
      for (const Capture &c : captures)
        cols[c.weight] = c.cols;
      double need = 0;
      const Capture *largest = nullptr;
      for (const Capture &c : captures) {
        if (!largest || c.cols > largest->cols)
          largest = &c;
      }
      for (auto [w, n] : cols)
        need += double(n) * double(n) * (sizeof(double) + sizeof(float));
      double limitBytes = maxMemoryMiB > 0
                              ? double(maxMemoryMiB) * 1024 * 1024
                              : 0.5 * physicalMemoryBytes();
      if (largest && need > limitBytes) {
        emitError(largest->weight->constOp->getLoc())
            << llvm::formatv(
                   "nn-calibrate: the statistics need {0:F1} GiB (weight "
                   "'{1}' alone a {2}x{2} Gram matrix, {3:F1} GiB), more "
                   "than the limit of {4:F1} GiB: raise max-memory-mib= or "
                   "exclude wide layers from calibration",
                   need / (1 << 30), largest->weight->name, largest->cols,
                   double(largest->cols) * largest->cols * 8 / (1 << 30),
                   limitBytes / (1 << 30));
        return failure();
      }
    }

    // One Gram matrix per weight (summed over its uses): a float SYRK per
    // captured block into double totals; for layers of 1024 inputs or more
    // on the context's threads (the model runs one sample at a time between
    // the blocks). Smaller ones stay on one thread, so that their sums
    // never depend on the machine.
    unsigned threads = getContext().isMultithreadingEnabled()
                           ? getContext().getNumThreads()
                           : 1;
    llvm::DenseMap<const WeightInfo *, std::unique_ptr<GramAccumulator>> grams;
    for (const Capture &c : captures)
      if (!grams.count(c.weight))
        grams[c.weight] = std::make_unique<GramAccumulator>(
            c.cols, c.cols >= 1024 ? threads : 1);
    // Post-activation values per output channel (subsampled to bound
    // memory), for the activation and entropy criteria.
    llvm::DenseMap<const WeightInfo *, std::vector<std::vector<float>>> acts;
    for (const Capture &c : captures)
      if (c.postAct && !acts.count(c.weight))
        acts[c.weight].resize(c.channels);
    auto start = std::chrono::steady_clock::now();
    auto lastReport = start;
    std::vector<float> x;
    for (int64_t s = first; s < first + count; ++s) {
      auto args = source->sample(s);
      if (!args)
        return fail(llvm::toString(args.takeError()));
      auto outs = (*compiled)->run(*args);
      if (!outs)
        return fail(llvm::toString(outs.takeError()));
      for (const Capture &c : captures) {
        int64_t numRows = gatherRows(c, (*outs)[c.result], x);
        if (!std::all_of(x.begin(), x.end(),
                         [](float v) { return std::isfinite(v); }))
          return fail("the activations of weight '" + c.weight->name +
                      "' contain NaN or infinite values");
        grams[c.weight]->add(x.data(), numRows);
        if (c.postAct) {
          const HostTensor &out = (*outs)[c.postActResult];
          auto &perChannel = acts[c.weight];
          int64_t inner = 1;
          for (size_t d = c.channelDim + 1; d < out.shape.size(); ++d)
            inner *= out.shape[d];
          int64_t total = out.numElements();
          // At most ~4096 values per channel and sample, and at most
          // kMaxValues per weight over all samples (128 sequences of 2048
          // tokens into 4096 channels kept every value: 4 GiB).
          constexpr int64_t kMaxValues = int64_t(64) << 20;
          int64_t budget = std::clamp<int64_t>(
              kMaxValues / c.channels / std::max<int64_t>(1, count), 1, 4096);
          int64_t step = std::max<int64_t>(1, total / c.channels / budget);
          for (int64_t i = 0; i < total; i += step)
            perChannel[(i / inner) % c.channels].push_back(out.get(i));
        }
      }
      auto now = std::chrono::steady_clock::now();
      if (now - lastReport > std::chrono::seconds(1)) {
        llvm::errs() << llvm::formatv("nn-calibrate: {0}/{1} samples\n",
                                      s - first + 1, count);
        lastReport = now;
      }
    }

    Builder b(&getContext());
    for (const WeightInfo &w : analysis.getWeights()) {
      auto it = grams.find(&w);
      if (it == grams.end())
        continue;
      int64_t cols = it->second->cols();
      int64_t numRows = it->second->rows();
      std::vector<double> data = it->second->gram();
      it->second.reset();
      auto type = RankedTensorType::get({cols, cols}, b.getF64Type());
      ElementsAttr gram = writeWeight(type, data, w.name + "_gram", writer);
      SmallVector<NamedAttribute> calib = {
          b.getNamedAttr("gram", cast<Attribute>(gram)),
          b.getNamedAttr("rows", b.getI64IntegerAttr(numRows)),
          b.getNamedAttr("samples", b.getI64IntegerAttr(count))};
      if (auto a = acts.find(&w); a != acts.end()) {
        std::vector<double> mean, zeros, entropy;
        for (const std::vector<float> &v : a->second) {
          ChannelStats st = channelStats(v);
          mean.push_back(st.meanAbs);
          zeros.push_back(st.zeroFraction);
          entropy.push_back(st.entropy);
        }
        auto vecType = RankedTensorType::get({int64_t(mean.size())},
                                             b.getF64Type());
        calib.push_back(b.getNamedAttr(
            "act_mean", writeWeight(vecType, mean, w.name + "_act_mean", writer)));
        calib.push_back(b.getNamedAttr(
            "act_zeros", writeWeight(vecType, zeros, w.name + "_act_zeros", writer)));
        calib.push_back(b.getNamedAttr(
            "act_entropy",
            writeWeight(vecType, entropy, w.name + "_act_entropy", writer)));
      }
      w.constOp->setAttr("nn.calib", b.getDictionaryAttr(calib));
      ++numCalibrated;
    }
    return success();
  }
};
} // namespace
