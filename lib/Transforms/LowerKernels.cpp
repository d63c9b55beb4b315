//===- LowerKernels.cpp - The nn-lower-kernels pass -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Replaces fully connected contractions with constant weights by calls of
// the kernel library (include/prune-opt/Runtime/Kernels.h), packing the
// weight at compile time -- or, with target=gpu, by calls that
// nn-lower-gpu-calls turns into launches of the GPU kernels
// (LowerGpuCalls.cpp; docs/Design.md, "GPU backend"). Why calls and not generated loops: the kernels
// need AVX-512 expand/permute/gather sequences, software prefetching and
// batch register blocking that neither the sparsifier nor the vectorizer
// produce in MLIR 22; measured gains are in docs/Benchmarks.md.
//
//===----------------------------------------------------------------------===//

// (The 2:4 sparse tensor core packer is host C++ of lib/GpuRuntime, private
// to the GPU backend: no CUDA, no LLVM.)
#include "../GpuRuntime/SparseTensorCorePack.h"

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"
#include "prune-opt/Layout/Layout.h"
#include "prune-opt/Runtime/Kernels.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/LinalgUtils.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNLOWERKERNELS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;
namespace kernels = ::pruneopt::kernels;

static constexpr StringLiteral kKernelAttrName = "nn.kernel";

/// Reads a 1-D integer constant (i8..i64 or index) into int64s.
static FailureOr<std::vector<int64_t>> readIntArray(Value value, Location loc) {
  Operation *def = value.getDefiningOp();
  ElementsAttr attr = def ? getConstantValue(def) : nullptr;
  if (!attr)
    return failure();
  Type elt = attr.getElementType();
  unsigned bits = elt.isIndex() ? 64 : elt.getIntOrFloatBitWidth();
  FailureOr<WeightBytes> raw = getRawWeightBytes(attr, def);
  if (failed(raw))
    return failure();
  int64_t n = attr.getNumElements();
  std::vector<int64_t> out(n);
  bool splat = raw->size() * 8 < static_cast<size_t>(n) * bits;
  for (int64_t i = 0; i < n; ++i) {
    const char *p = raw->data() + (splat ? 0 : i * (bits / 8));
    switch (bits) {
    case 8:
      out[i] = *reinterpret_cast<const int8_t *>(p);
      break;
    case 16: {
      int16_t v;
      std::memcpy(&v, p, 2);
      out[i] = v;
      break;
    }
    case 32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      out[i] = v;
      break;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      out[i] = v;
      break;
    }
    }
  }
  return out;
}

/// The dense row-major data of an assembled operand from nn-sparsify:
/// identity map, dense levels then compressed levels, constant arrays.
static FailureOr<std::vector<float>>
decodeAssembled(sparse_tensor::AssembleOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  auto enc = sparse_tensor::getSparseTensorEncoding(type);
  if (!enc || !enc.isIdentity() || !type.hasStaticShape())
    return failure();
  unsigned rank = type.getRank(), numDense = 0;
  while (numDense < rank && sparse_tensor::isDenseLT(enc.getLvlType(numDense)))
    ++numDense;
  for (unsigned l = numDense; l < rank; ++l)
    if (!sparse_tensor::isCompressedLT(enc.getLvlType(l)))
      return failure();
  unsigned numCompressed = rank - numDense;
  if (op.getLevels().size() != 2 * numCompressed)
    return failure();
  Location loc = op.getLoc();
  SmallVector<std::vector<int64_t>> pos, crd;
  for (unsigned c = 0; c < numCompressed; ++c) {
    auto p = readIntArray(op.getLevels()[2 * c], loc);
    auto q = readIntArray(op.getLevels()[2 * c + 1], loc);
    if (failed(p) || failed(q))
      return failure();
    pos.push_back(std::move(*p));
    crd.push_back(std::move(*q));
  }
  Operation *valDef = op.getValues().getDefiningOp();
  ElementsAttr valAttr = valDef ? getConstantValue(valDef) : nullptr;
  if (!valAttr)
    return failure();
  FailureOr<std::vector<double>> vals = readWeight(valAttr, valDef);
  if (failed(vals))
    return failure();
  ArrayRef<int64_t> shape = type.getShape();
  std::vector<float> out(type.getNumElements(), 0.0f);
  bool bad = false;
  // Walks level `l` under segment `parent`; `linear` is the row-major
  // offset of the coordinates so far.
  std::function<void(unsigned, int64_t, int64_t)> walk =
      [&](unsigned l, int64_t parent, int64_t linear) {
        if (bad)
          return;
        if (l < numDense) {
          for (int64_t i = 0; i < shape[l]; ++i)
            walk(l + 1, parent * shape[l] + i, linear * shape[l] + i);
          return;
        }
        unsigned c = l - numDense;
        if (parent + 1 >= static_cast<int64_t>(pos[c].size())) {
          bad = true;
          return;
        }
        for (int64_t p = pos[c][parent]; p < pos[c][parent + 1]; ++p) {
          if (p < 0 || p >= static_cast<int64_t>(crd[c].size()) ||
              crd[c][p] < 0 || crd[c][p] >= shape[l]) {
            bad = true;
            return;
          }
          int64_t next = linear * shape[l] + crd[c][p];
          if (l + 1 == rank) {
            if (p >= static_cast<int64_t>(vals->size())) {
              bad = true;
              return;
            }
            out[next] = (*vals)[p];
          } else {
            walk(l + 1, p, next);
          }
        }
      };
  if (numCompressed == 0)
    return failure();
  walk(0, 0, 0);
  if (bad)
    return failure();
  return out;
}

/// True if `value` is a linalg.fill of 0.0.
static bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// A bias add and/or ReLU after a contraction, fused into its kernel call
/// (the kernels apply them while the output is in cache).
struct Epilogue {
  Value bias;                // a constant [outputs], or null
  bool biasFromInit = false; // the contraction's init broadcasts it
  bool relu = false;
  SmallVector<linalg::GenericOp> ops; // the fused elementwise ops, in order
};

static bool isZeroConst(Value v) { return matchPattern(v, m_AnyZeroFloat()); }

static bool isConstantTensor(Value v) {
  Operation *def = v.getDefiningOp();
  return def && getConstantValue(def);
}

/// `v` is ReLU of `x`: maximumf(x, 0), or select(cmpf ugt|uge (x, 0), x, 0).
/// (Both keep NaN, as the kernels' max(0, v) does; maxnumf and ordered
/// compares do not and are not fused.)
static bool isRelu(Value v, Value x) {
  Operation *def = v.getDefiningOp();
  if (auto m = dyn_cast_or_null<arith::MaximumFOp>(def))
    return (m.getLhs() == x && isZeroConst(m.getRhs())) ||
           (m.getRhs() == x && isZeroConst(m.getLhs()));
  auto select = dyn_cast_or_null<arith::SelectOp>(def);
  if (!select || select.getTrueValue() != x ||
      !isZeroConst(select.getFalseValue()))
    return false;
  auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
  return cmp && cmp.getLhs() == x && isZeroConst(cmp.getRhs()) &&
         (cmp.getPredicate() == arith::CmpFPredicate::UGT ||
          cmp.getPredicate() == arith::CmpFPredicate::UGE);
}

/// The epilogue of `op`, whose result has its `outputs` features along
/// dimension `featureDim`: a constant bias broadcast as its init, then
/// single-use elementwise `linalg.generic`s adding a constant per-feature
/// bias, applying ReLU, or both (bias first).
static Epilogue matchEpilogue(linalg::LinalgOp op, unsigned featureDim,
                              int64_t outputs, bool enabled) {
  Epilogue ep;
  if (!enabled)
    return ep;
  MLIRContext *ctx = op->getContext();
  auto isBiasType = [&](Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && t.getRank() == 1 && t.getDimSize(0) == outputs &&
           t.getElementType().isF32() && isConstantTensor(v);
  };
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  // A bias of the output's rank, 1 except along the features, read at
  // [.., f, ..] (tosa.add of a [1, 1, N] constant: identity or broadcast
  // map, constant 0 in the unit dims).
  auto isFullRankBias = [&](Value v, AffineMap map) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != outType.getRank() || t.getRank() < 2 ||
        !t.getElementType().isF32() || map.getNumResults() != t.getRank() ||
        !isConstantTensor(v))
      return false;
    for (int64_t i = 0; i < t.getRank(); ++i) {
      AffineExpr e = map.getResult(i);
      if (i == featureDim) {
        if (t.getDimSize(i) != outputs || e != getAffineDimExpr(i, ctx))
          return false;
      } else if (t.getDimSize(i) != 1 ||
                 !(isa<AffineConstantExpr>(e) ||
                   (e == getAffineDimExpr(i, ctx) &&
                    outType.getDimSize(i) == 1))) {
        return false;
      }
    }
    return true;
  };
  Value init = op.getDpsInits()[0];
  int64_t rank = outType.getRank();
  if (auto bc = init.getDefiningOp<linalg::BroadcastOp>()) {
    SmallVector<int64_t> others;
    for (int64_t i = 0; i < rank; ++i)
      if (i != featureDim)
        others.push_back(i);
    if (isBiasType(bc.getInput()) && llvm::equal(bc.getDimensions(), others)) {
      ep.bias = bc.getInput();
      ep.biasFromInit = true;
    }
  } else if (auto g = init.getDefiningOp<linalg::GenericOp>()) {
    // The same broadcast as a generic (tosa-to-linalg's conv bias):
    // out[..., f, ...] = bias[f].
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    Block &body = g.getRegion().front();
    if (g.getNumDpsInputs() == 1 && g.getNumDpsInits() == 1 &&
        g.getNumParallelLoops() == g.getNumLoops() &&
        maps.back().isIdentity() && maps[0].getNumResults() == 1 &&
        maps[0].getResult(0) == getAffineDimExpr(featureDim, ctx) &&
        body.getOperations().size() == 1 &&
        body.getTerminator()->getOperand(0) == body.getArgument(0) &&
        isBiasType(g.getDpsInputOperand(0)->get())) {
      ep.bias = g.getDpsInputOperand(0)->get();
      ep.biasFromInit = true;
    }
  }
  Value cur = op->getResult(0);
  while (!ep.relu && cur.hasOneUse()) {
    auto g = dyn_cast<linalg::GenericOp>(*cur.getUsers().begin());
    if (!g || g.getNumDpsInits() != 1 || g->getNumResults() != 1 ||
        g.getNumParallelLoops() != g.getNumLoops() ||
        g.getDpsInputOperand(0)->get() != cur ||
        g.getResult(0).getType() != cur.getType())
      break;
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    Block &body = g.getRegion().front();
    if (!maps.front().isIdentity() || !maps.back().isIdentity() ||
        !body.getArgument(g.getNumDpsInputs()).use_empty())
      break;
    Value in0 = body.getArgument(0);
    Value yielded = body.getTerminator()->getOperand(0);
    size_t numOps = body.getOperations().size() - 1;
    if (g.getNumDpsInputs() == 1) {
      if (numOps > 2 || !isRelu(yielded, in0))
        break;
      ep.relu = true;
    } else if (g.getNumDpsInputs() == 2 && !ep.bias) {
      Value bias = g.getDpsInputOperand(1)->get();
      bool vectorBias = isBiasType(bias) && maps[1].getNumResults() == 1 &&
                        maps[1].getResult(0) ==
                            getAffineDimExpr(featureDim, ctx);
      if (!vectorBias && !isFullRankBias(bias, maps[1]))
        break;
      Value in1 = body.getArgument(1);
      arith::AddFOp add;
      for (Operation &o : body.without_terminator())
        if (auto a = dyn_cast<arith::AddFOp>(o))
          if ((a.getLhs() == in0 && a.getRhs() == in1) ||
              (a.getLhs() == in1 && a.getRhs() == in0))
            add = a;
      if (!add)
        break;
      bool plain = yielded == add.getResult() && numOps == 1;
      bool withRelu = !plain && numOps <= 3 && isRelu(yielded, add.getResult());
      if (!plain && !withRelu)
        break;
      ep.bias = bias;
      ep.relu = withRelu;
    } else {
      break;
    }
    ep.ops.push_back(g);
    cur = g.getResult(0);
  }
  return ep;
}

namespace {
struct NNLowerKernelsPass
    : public WeightWritingPass<NNLowerKernelsPass,
                               mlir::prune::impl::NNLowerKernelsBase> {
  using WeightWritingPass::WeightWritingPass;
  PRUNE_OPT_CHECKED_OPTIONS("nn-lower-kernels")

  void runOnModule() {
    ModuleOp module = getOperation();
    if (csrTiledBatch < 0) {
      emitError(module.getLoc())
          << "nn-lower-kernels: option 'csr-tiled-batch' must be >= 0, got "
          << int64_t(csrTiledBatch);
      return signalPassFailure();
    }
    if (target != "cpu" && target != "gpu") {
      emitError(module.getLoc())
          << "nn-lower-kernels: option 'target' must be cpu or gpu, got '"
          << target << "'";
      return signalPassFailure();
    }
    if (sparseTensorCores != "off" && sparseTensorCores != "f16" &&
        sparseTensorCores != "bf16") {
      emitError(module.getLoc())
          << "nn-lower-kernels: option 'sparse-tensor-cores' must be off, "
             "f16 or bf16, got '"
          << sparseTensorCores << "'";
      return signalPassFailure();
    }
    if (sparseTensorCores != "off" && !onGpu()) {
      emitError(module.getLoc())
          << "nn-lower-kernels: option 'sparse-tensor-cores' needs "
             "target=gpu";
      return signalPassFailure();
    }

    // The pattern is applied to the contractions that exist now, in program
    // order: lowering one erases the elementwise ops (and the broadcast
    // init) it absorbs, and creates no op the pattern must see. No folding,
    // no constant CSE: the rest of the module is left as it is.
    SmallVector<Operation *> contractions;
    module.walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() > 0)
        contractions.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerToKernelCall>(&getContext(), *this);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps)
        .setUseTopDownTraversal(true)
        .enableFolding(false)
        .enableConstantCSE(false);
    hadError = false;
    // (The driver's worklist pops from the back: reversed, the contractions
    // are rewritten in program order, which fixes the order of the kernel
    // declarations and resource names.)
    std::reverse(contractions.begin(), contractions.end());
    (void)applyOpPatternsGreedily(contractions, std::move(patterns), config);
    if (hadError)
      signalPassFailure();
  }

  /// Lowers one contraction to a kernel call.
  struct LowerToKernelCall
      : public OpInterfaceRewritePattern<linalg::LinalgOp> {
    LowerToKernelCall(MLIRContext *ctx, NNLowerKernelsPass &pass)
        : OpInterfaceRewritePattern<linalg::LinalgOp>(ctx), pass(pass) {}
    LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                  PatternRewriter &rewriter) const override {
      pass.rw = &rewriter;
      std::string whyNot;
      FailureOr<bool> lowered = pass.tryLower(op, whyNot);
      if (failed(lowered)) {
        pass.hadError = true; // (diagnosed)
        return rewriter.notifyMatchFailure(op, "the weight's data is unreadable");
      }
      if (!*lowered)
        return rewriter.notifyMatchFailure(op, whyNot);
      return success();
    }
    NNLowerKernelsPass &pass;
  };

  /// The rewriter of the pattern being applied.
  RewriterBase *rw = nullptr;
  bool hadError = false;

  /// The weight operand's data as the op sees it (row-major), its
  /// decision and kernel format; nullopt if it is not a constant.
  struct WeightData {
    std::vector<float> data;
    /// nn-sparsify's choice; null for weights it did not see (then a
    /// sparse operand is csr, a constant dense).
    LayoutAttr layout;
    /// nn-prune's decision (names the packed arrays' resources).
    DecisionAttr decision;
    kernels::Format format = kernels::Format::Dense;
    Operation *def = nullptr;
  };
  FailureOr<std::optional<WeightData>> readOperandWeight(Value weight) {
    WeightData wd;
    wd.def = weight.getDefiningOp();
    if (!wd.def)
      return std::optional<WeightData>();
    wd.layout = getLayout(wd.def);
    wd.decision = getDecision(wd.def);
    if (auto assemble = dyn_cast<sparse_tensor::AssembleOp>(wd.def)) {
      FailureOr<std::vector<float>> decoded = decodeAssembled(assemble);
      if (failed(decoded))
        return std::optional<WeightData>();
      wd.data = std::move(*decoded);
      wd.format = wd.layout ? wd.layout.getFormat() : kernels::Format::CSR;
      return std::optional<WeightData>(std::move(wd));
    }
    ElementsAttr attr = getConstantValue(wd.def);
    if (!attr || !lowerDense || !attr.getElementType().isF32())
      return std::optional<WeightData>();
    FailureOr<std::vector<double>> values = readWeight(attr, wd.def);
    if (failed(values))
      return failure();
    wd.data.assign(values->begin(), values->end());
    return std::optional<WeightData>(std::move(wd));
  }

  /// Returns true if lowered, false if not applicable (`whyNot` says why),
  /// failure on error.
  FailureOr<bool> tryLower(linalg::LinalgOp op, std::string &whyNot) {
    static constexpr const char *kNoWeight =
        "the weight is neither a constant nor an assembled sparse constant "
        "(or is not f32, or dense=false)";
    if (std::optional<ConvAsFullyConnected> conv =
            matchConvAsFullyConnected(op, 1)) {
      auto wd = readOperandWeight(op->getOperand(1));
      if (failed(wd))
        return failure();
      if (!*wd) {
        whyNot = kNoWeight;
        return false;
      }
      lowerConv(op, *conv, **wd);
      return finishLowering(**wd);
    }
    if (std::optional<ConvAsFullyConnected> dw =
            matchDepthwiseAsFullyConnected(op)) {
      auto wd = readOperandWeight(op->getOperand(1));
      if (failed(wd))
        return failure();
      if (!*wd) {
        whyNot = kNoWeight;
        return false;
      }
      // Dense filters: upstream's vectorized loops are faster (measured:
      // block-diagonal CSR + im2col 1.5-2.6x slower; sparse filters 2.6x
      // faster than the sparsifier's loops).
      if (!denseBlockDiagonal && !isa<sparse_tensor::AssembleOp>((*wd)->def)) {
        whyNot = "dense depthwise / grouped filter: upstream's loops are "
                 "faster (dense-block-diagonal=false)";
        return false;
      }
      // The block-diagonal weight is (C-1)/C zeros whatever the filter's
      // format: CSR (csr-tiled when batched) computes only the filter's
      // nonzeros.
      (*wd)->data = expandDepthwiseFilter(*dw, (*wd)->data);
      (*wd)->format = kernels::Format::CSR;
      lowerConv(op, *dw, **wd);
      return finishLowering(**wd);
    }
    for (unsigned w = 0; w < 2; ++w) {
      std::optional<FullyConnected> fc = matchFullyConnected(op, w);
      if (!fc)
        continue;
      auto wd = readOperandWeight(op->getOperand(w));
      if (failed(wd))
        return failure();
      if (!*wd) {
        whyNot = kNoWeight;
        continue;
      }
      WeightData &data = **wd;
      int64_t rows = fc->outputs, cols = fc->reduction;
      if (fc->weightKN) // [in, out] to [out, in]
        data.data = transposed(data.data, cols, rows);
      lowerFullyConnected(op, *fc, data);
      return finishLowering(data);
    }
    if (whyNot.empty())
      whyNot = "not a fully connected layer or a 2-D convolution with static "
               "shapes";
    return false;
  }

  void lowerFullyConnected(linalg::LinalgOp op, const FullyConnected &fc,
                           const WeightData &wd) {
    RewriterBase &b = *rw;
    b.setInsertionPoint(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value x = op->getOperand(fc.inputOperand);
    Value init = op.getDpsInits()[0];
    Epilogue ep = matchEpilogue(op, fc.featureDim, fc.outputs, fuseEpilogue);
    SmallVector<int64_t> outShape =
        fc.outputNM ? SmallVector<int64_t>{fc.outputs, fc.batch}
                    : SmallVector<int64_t>{fc.batch, fc.outputs};
    // Operands with unit or several batch dims (batch_matmul): their 2-D
    // (vector: 1-D) form.
    auto collapsed = [&](ArrayRef<int64_t> shape2d) {
      return RankedTensorType::get(fc.vector ? shape2d.take_back(1) : shape2d,
                                   f32);
    };
    SmallVector<int64_t> inShape =
        fc.inputKM ? SmallVector<int64_t>{fc.reduction, fc.batch}
                   : SmallVector<int64_t>{fc.batch, fc.reduction};
    if (!fc.inputGroups.empty())
      x = tensor::CollapseShapeOp::create(b, loc, collapsed(inShape), x,
                                          fc.inputGroups);
    if (!fc.outputGroups.empty() && !isZeroFill(init) && !ep.biasFromInit)
      init = tensor::CollapseShapeOp::create(b, loc, collapsed(outShape), init,
                                             fc.outputGroups);
    if (fc.vector) {
      x = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, fc.reduction}, f32), x,
          ArrayRef<ReassociationIndices>{{0, 1}});
      if (!isZeroFill(init) && !ep.biasFromInit)
        init = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get(outShape, f32), init,
            ArrayRef<ReassociationIndices>{{0, 1}});
    }
    Value result = emitCall(b, loc, op, fc, wd, x, init, ep);
    if (fc.vector)
      result = tensor::CollapseShapeOp::create(
          b, loc, collapsed(outShape), result,
          ArrayRef<ReassociationIndices>{{0, 1}});
    if (!fc.outputGroups.empty())
      result = tensor::ExpandShapeOp::create(
          b, loc, op->getResult(0).getType(), result, fc.outputGroups);
    replaceAndClean(op, result, ep);
  }

  /// A sparse convolution that reads its input in place (direct sparse
  /// convolution; NCHW, one image, unit strides, a csr filter, no
  /// accumulation into a non-zero init): no im2col patches. Outputs are
  /// computed on a grid as wide as the input, position p = oh*W + ow for
  /// ow < W (the columns ow >= OW are computed and dropped), and filter
  /// column (c, kh, kw) becomes input offset c*H*W + kh*dh*W + kw*dw, so
  /// that patch (k, p) = in[offset(k) + p]: x is the flattened input
  /// viewed as [P', K'] with unit strides (rows overlap), P' = (OH-1)*W + OW
  /// (the last read is in's last element), K' = the largest offset + 1.
  /// The packed filter has the same entries, renumbered. Returns false
  /// (nothing changed) when it does not apply: the im2col path then runs.
  bool lowerConvInPlace(linalg::LinalgOp op, const ConvAsFullyConnected &conv,
                        WeightData &wd) {
    if (onGpu() || !readsInputInPlace(conv) ||
        wd.format != kernels::Format::CSR)
      return false;
    auto inType = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!inType || !outType || !inType.hasStaticShape() ||
        inType.getRank() != 4 || !outType.hasStaticShape())
      return false;
    const int64_t c = inType.getDimSize(1), h = inType.getDimSize(2),
                  w = inType.getDimSize(3);
    const int64_t filters = conv.fc.outputs, k = conv.fc.reduction;
    if (c * conv.kh * conv.kw != k || int64_t(wd.data.size()) != filters * k)
      return false;
    const int64_t cols = (c - 1) * h * w + (conv.kh - 1) * conv.dilationH * w +
                         (conv.kw - 1) * conv.dilationW + 1;
    const int64_t positions = inPlacePositions(op, conv);
    // (The renumbered filter is built dense: bounded.)
    if (filters * cols > (int64_t(1) << 24))
      return false;
    Value init = op.getDpsInits()[0];
    Epilogue ep =
        matchEpilogue(op, conv.fc.featureDim, conv.filters, fuseEpilogue);
    if (!isZeroFill(init) && !ep.biasFromInit)
      return false;

    RewriterBase &b = *rw;
    b.setInsertionPoint(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    // csr with the batched kernel, not csr-tiled: the input fits in L1 and
    // most of the renumbered columns are empty, so column tiles only add
    // visits (LeNet's 16x150 filter at 90 %, 1041 renumbered columns: 2.6
    // vs 3.8 us; with im2col patches the tiled kernel took 2.0 plus the
    // copy).
    WeightData direct = wd;
    if (LayoutAttr l = wd.layout)
      direct.layout = LayoutAttr::get(
          l.getContext(), l.getFormat(), l.getValueType(), l.getTarget(),
          BatchRegime::Single, l.getBatch(), l.getBlockRows(), l.getBlockCols(),
          l.getN(), l.getM(), l.getIndexBits(), l.getBytes(), l.getCosts());
    direct.data.assign(filters * cols, 0.0f);
    for (int64_t f = 0; f < filters; ++f)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t i = 0; i < conv.kh; ++i)
          for (int64_t j = 0; j < conv.kw; ++j)
            direct.data[f * cols + ci * h * w + i * conv.dilationH * w +
                        j * conv.dilationW] =
                wd.data[f * k + (ci * conv.kh + i) * conv.kw + j];
    FullyConnected fc = conv.fc;
    fc.reduction = cols;
    fc.batch = positions;
    Value flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({c * h * w}, f32), op->getOperand(0),
        ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
    InPlaceConv inPlace{positions, cols, conv.oh * w};
    Value wide = emitCall(b, loc, op, fc, direct, flat, init, ep, 1, &inPlace);
    // [F, OH*W] -> [F, OH, W] -> the valid [F, OH, OW] -> [1, F, OH, OW].
    Value grid = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({filters, conv.oh, w}, f32), wide,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    Value valid = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({filters, conv.oh, conv.ow}, f32), grid,
        ArrayRef<OpFoldResult>{zero, zero, zero},
        ArrayRef<OpFoldResult>{b.getIndexAttr(filters), b.getIndexAttr(conv.oh),
                               b.getIndexAttr(conv.ow)},
        ArrayRef<OpFoldResult>{one, one, one});
    Value result = tensor::ExpandShapeOp::create(
        b, loc, outType, valid,
        ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    replaceAndClean(op, result, ep);
    return true;
  }

  /// im2col, transposed: patches[(c*KH+kh)*KW+kw, (n*OH+oh)*OW+ow] =
  /// in[n, c, oh*sh + kh*dh, ow*sw + kw*dw] (NHWC: rows (kh*KW+kw)*C+c,
  /// reading in[n, oh*sh + kh*dh, ow*sw + kw*dw, c]), then the FC kernel
  /// with the filter as [F, C*KH*KW]. NCHW writes out[n][F, OH*OW], one
  /// call per image; NHWC writes out[N*OH*OW, F] in one call. The patches
  /// have the output positions innermost, which is how the batched kernels
  /// read them: no transposition at run time.
  void lowerConv(linalg::LinalgOp op, const ConvAsFullyConnected &conv,
                 WeightData &wd) {
    if (lowerConvInPlace(op, conv, wd))
      return;
    MLIRContext *ctx = &getContext();
    RewriterBase &b = *rw;
    b.setInsertionPoint(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value in = op->getOperand(0);
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    int64_t positions = conv.images * conv.oh * conv.ow;
    // Loops (r0, r1, r2, n, oh, ow): (c, kh, kw) for NCHW, (kh, kw, c) for
    // NHWC, the order of the filter's reduction dims.
    AffineExpr h = d(4) * conv.strideH, w = d(5) * conv.strideW;
    AffineMap inMap;
    SmallVector<int64_t> patchShape;
    if (conv.nhwc()) {
      inMap = AffineMap::get(6, 0,
                             {d(3), h + d(0) * conv.dilationH,
                              w + d(1) * conv.dilationW, d(2)},
                             ctx);
      patchShape = {conv.kh, conv.kw, conv.channels};
    } else {
      inMap = AffineMap::get(6, 0,
                             {d(3), d(0), h + d(1) * conv.dilationH,
                              w + d(2) * conv.dilationW},
                             ctx);
      patchShape = {conv.channels, conv.kh, conv.kw};
    }
    patchShape.append({conv.images, conv.oh, conv.ow});
    unsigned numLoops = 6;
    SmallVector<ReassociationIndices> patchGroups = {{0, 1, 2}, {3, 4, 5}};
    if (conv.grouped()) {
      // Loops (g, r0, r1, r2, n, oh, ow): the group outermost, rows
      // (g, c, kh, kw) for NGCHW, (g, kh, kw, c) for NHWGC.
      numLoops = 7;
      int64_t cg = conv.channels / conv.groups;
      h = d(5) * conv.strideH;
      w = d(6) * conv.strideW;
      if (conv.nhwc()) {
        inMap = AffineMap::get(7, 0,
                               {d(4), h + d(1) * conv.dilationH,
                                w + d(2) * conv.dilationW, d(0), d(3)},
                               ctx);
        patchShape = {conv.groups, conv.kh, conv.kw, cg};
      } else {
        inMap = AffineMap::get(7, 0,
                               {d(4), d(0), d(1), h + d(2) * conv.dilationH,
                                w + d(3) * conv.dilationW},
                               ctx);
        patchShape = {conv.groups, cg, conv.kh, conv.kw};
      }
      patchShape.append({conv.images, conv.oh, conv.ow});
      patchGroups = {{0, 1, 2, 3}, {4, 5, 6}};
    }
    AffineMap outMap = AffineMap::getMultiDimIdentityMap(numLoops, ctx);
    auto patchType = RankedTensorType::get(patchShape, f32);
    Value empty = tensor::EmptyOp::create(b, loc, patchType.getShape(), f32);
    auto gather = linalg::GenericOp::create(
        b, loc, patchType, ValueRange{in}, ValueRange{empty},
        ArrayRef<AffineMap>{inMap, outMap},
        SmallVector<utils::IteratorType>(numLoops,
                                         utils::IteratorType::parallel),
        [](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, args[0]);
        });
    Value patches = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({conv.fc.reduction, positions}, f32),
        gather.getResult(0), patchGroups);
    FullyConnected fc = conv.fc;
    if (fc.weightKN) // HWCF: [KH*KW*C, F] to [F, KH*KW*C]
      wd.data = transposed(wd.data, fc.reduction, fc.outputs);
    Value init = op.getDpsInits()[0];
    // (HWCM depthwise, grouped: the features span two dims; no fused
    // epilogue.)
    Epilogue ep = matchEpilogue(op, conv.fc.featureDim, conv.filters,
                                fuseEpilogue &&
                                    conv.layout != ConvLayout::DwNhwcHwcm &&
                                    !conv.grouped());
    // The output as the kernel sees it: NHWC [N*OH*OW, F]; NCHW
    // [N, F, OH*OW] (one [F, OH*OW] per call).
    // ([F, OH*OW] with one image.)
    SmallVector<ReassociationIndices> outGroups;
    SmallVector<int64_t> outShape;
    if (conv.layout == ConvLayout::DwNhwcHwcm ||
        conv.layout == ConvLayout::GNhwgcGfhwc) { // [N, OH, OW, C|G, M|F]
      outGroups = {{0, 1, 2}, {3, 4}};
      outShape = {positions, conv.filters};
    } else if (conv.grouped()) { // [N, G, F, OH, OW]
      if (conv.images == 1) {
        outGroups = {{0, 1, 2}, {3, 4}};
        outShape = {conv.filters, conv.oh * conv.ow};
      } else {
        outGroups = {{0}, {1, 2}, {3, 4}};
        outShape = {conv.images, conv.filters, conv.oh * conv.ow};
      }
    } else if (conv.nhwc()) {
      outGroups = {{0, 1, 2}, {3}};
      outShape = {positions, conv.filters};
    } else if (conv.images == 1) {
      outGroups = {{0, 1}, {2, 3}};
      outShape = {conv.filters, conv.oh * conv.ow};
    } else {
      outGroups = {{0}, {1}, {2, 3}};
      outShape = {conv.images, conv.filters, conv.oh * conv.ow};
    }
    auto outType = RankedTensorType::get(outShape, f32);
    if (!isZeroFill(init) && !ep.biasFromInit)
      init = tensor::CollapseShapeOp::create(b, loc, outType, init, outGroups);
    Value result =
        emitCall(b, loc, op, fc, wd, patches, init, ep,
                 conv.nhwc() ? 1 : conv.images);
    result = tensor::ExpandShapeOp::create(
        b, loc, op->getResult(0).getType(), result, outGroups);
    replaceAndClean(op, result, ep);
  }

  static std::vector<float> transposed(const std::vector<float> &w,
                                       int64_t rows, int64_t cols) {
    std::vector<float> t(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        t[c * rows + r] = w[r * cols + c];
    return t;
  }

  /// Replaces `op` (and the elementwise ops its call absorbed) by `result`.
  void replaceAndClean(linalg::LinalgOp op, Value result, const Epilogue &ep) {
    Value init = op.getDpsInits()[0];
    Value last =
        ep.ops.empty() ? op->getResult(0) : ep.ops.back()->getResult(0);
    rw->replaceAllUsesWith(last, result);
    for (linalg::GenericOp g : llvm::reverse(ep.ops))
      rw->eraseOp(g);
    Operation *initDef = init.getDefiningOp();
    rw->eraseOp(op);
    if (initDef && initDef->use_empty() &&
        (isa<linalg::FillOp, linalg::BroadcastOp>(initDef) ||
         (ep.biasFromInit && isa<linalg::GenericOp>(initDef)))) {
      Value dest = cast<DestinationStyleOpInterface>(initDef).getDpsInits()[0];
      rw->eraseOp(initDef);
      if (Operation *e = dest.getDefiningOp())
        if (e->use_empty() && isa<tensor::EmptyOp>(e))
          rw->eraseOp(e);
    }
  }

  /// Counts a lowered contraction; erases its weight if nothing else
  /// reads it. Returns true (lowered).
  bool finishLowering(const WeightData &wd) {
    ++numLowered;
    if (wd.def->use_empty())
      eraseWithConstants(wd.def);
    return true;
  }

  void eraseWithConstants(Operation *def) {
    SmallVector<Value> operands(def->getOperands());
    rw->eraseOp(def);
    for (Value v : operands)
      if (Operation *d = v.getDefiningOp())
        if (d->use_empty() && getConstantValue(d))
          rw->eraseOp(d);
  }

  /// Materializes the weight in its layout: nn-sparsify's (the format and
  /// batch regime it recorded), else csr / dense with the batched-layout
  /// rule at this call's batch. A layout that does not fit the weight
  /// (hand-written IR) falls back to csr with a remark.
  kernels::PackedWeight materialize(Operation *op, const WeightData &wd,
                                    int64_t rows, int64_t cols,
                                    int64_t batch) {
    LayoutAttr l = wd.layout;
    bool batched = l ? l.getRegime() == BatchRegime::Batched
                     : layout::usesBatchedLayout(wd.format, batch,
                                                 csrTiledBatch);
    if (onGpu()) {
      // The GPU kernels read csr, bsr and N:M as the CPU packers store them
      // (unbatched: the batched GPU kernels tile the batch themselves) and
      // dense row-major (gpuArrays); bitmask and csr-tiled have no GPU
      // kernel.
      batched = false;
      if (l && l.getValueType() != kernels::ValueType::F32) {
        emitRemark(op->getLoc())
            << "nn-lower-kernels: the GPU kernels read f32 values; using "
               "the weight's f32 values, not "
            << kernels::valueTypeName(l.getValueType());
        WeightData f32 = wd;
        f32.layout = LayoutAttr::get(
            l.getContext(), l.getFormat(), kernels::ValueType::F32,
            l.getTarget(), l.getRegime(), l.getBatch(), l.getBlockRows(),
            l.getBlockCols(), l.getN(), l.getM(), l.getIndexBits(),
            l.getBytes(), l.getCosts());
        return materialize(op, f32, rows, cols, batch);
      }
      if (!layout::hasGpuKernel(wd.format)) {
        emitRemark(op->getLoc())
            << "nn-lower-kernels: no GPU kernel for "
            << kernels::formatName(wd.format) << "; using csr";
        WeightData csr = wd;
        csr.format = kernels::Format::CSR;
        return materialize(op, csr, rows, cols, batch);
      }
    }
    layout::Structure structure;
    if (l)
      structure = {l.getBlockRows(), l.getBlockCols(), l.getN(), l.getM()};
    kernels::PackedWeight packed;
    kernels::ValueType valueType =
        l ? l.getValueType() : kernels::ValueType::F32;
    if (layout::materialize(wd.data.data(), rows, cols, wd.format, batched,
                            structure, packed, valueType))
      return packed;
    if (wd.format == kernels::Format::BSR)
      emitRemark(op->getLoc())
          << "nn-lower-kernels: " << structure.blockRows << "x"
          << structure.blockCols << " blocks do not tile this " << rows << "x"
          << cols << " weight; using csr";
    else
      emitRemark(op->getLoc())
          << "nn-lower-kernels: weight is not " << structure.n << ":"
          << structure.m << " along its " << cols << " inputs; using csr";
    layout::materialize(wd.data.data(), rows, cols, kernels::Format::CSR,
                        !onGpu() && layout::usesBatchedLayout(
                                        kernels::Format::CSR, batch,
                                        csrTiledBatch),
                        {}, packed, valueType);
    return packed;
  }

  //===--------------------------------------------------------------------===//
  // target=gpu
  //===--------------------------------------------------------------------===//

  bool onGpu() const { return target == "gpu"; }

  /// A weight as the GPU kernels take it (GpuPlan.h).
  struct GpuWeight {
    std::string layout; // dense, csr16, bsr8, nm24, ...
    SmallVector<int64_t> arrayBytes;
    std::vector<int64_t> scalars; // bsr: block shape; nm: n, m
  };

  /// sparse-tensor-cores=f16|bf16: a 2:4 weight (GPU layout nm24) packed
  /// for mma.sp with 16-bit values (SparseTensorCorePack.h); none
  /// otherwise, or, with a remark, when the weight does not fit the type.
  std::optional<pruneopt::gpu::SptcPacked>
  packForSparseTensorCores(Operation *op, const WeightData &wd,
                           const kernels::PackedWeight &packed, int64_t rows,
                           int64_t cols) {
    if (!onGpu() || sparseTensorCores == "off" ||
        gpuLayoutName(packed) != "nm24")
      return std::nullopt;
    using pruneopt::gpu::SptcType;
    SptcType type =
        sparseTensorCores == "bf16" ? SptcType::BF16 : SptcType::F16;
    pruneopt::gpu::SptcPacked out;
    std::string why;
    if (pruneopt::gpu::packSptc24(wd.data.data(), rows, cols, type, out, &why))
      return out;
    emitRemark(op->getLoc())
        << "nn-lower-kernels: not on the sparse tensor cores (" << why
        << "); using nm24";
    return std::nullopt;
  }

  /// The GPU layout name of a packed weight (GpuPlan.h).
  static std::string gpuLayoutName(const kernels::PackedWeight &w) {
    kernels::KernelCall call = kernels::kernelCall(w);
    StringRef symbol = call.symbol;
    symbol.consume_front("prune_mr_");
    if (w.format == kernels::Format::NM && call.scalars.size() == 2 &&
        call.scalars[0] == 2 && call.scalars[1] == 4)
      return "nm24";
    return symbol.str();
  }

  /// target=gpu: calls a new private declaration `@prune_gpu_fc_<i>` with
  /// the layer's arguments (y, x, the weight's arrays, the bias) and a
  /// #prune.gpu_call describing it; nn-lower-gpu-calls defines it after
  /// bufferization (docs/Design.md, "GPU backend").
  Operation *emitGpuCallDecl(OpBuilder &b, Location loc, ValueRange args,
                             const GpuWeight &g, bool hasBias, int64_t rows,
                             int64_t cols, int64_t batch, int32_t flags) {
    ModuleOp module = getOperation();
    std::string name;
    for (unsigned i = 0;; ++i) {
      name = "prune_gpu_fc_" + std::to_string(i);
      if (!module.lookupSymbol(name))
        break;
    }
    func::FuncOp decl;
    {
      OpBuilder::InsertionGuard guard(*rw);
      rw->setInsertionPointToStart(module.getBody());
      decl = func::FuncOp::create(*rw, module.getLoc(), name,
                                  rw->getFunctionType(args.getTypes(), {}));
      decl.setPrivate();
    }
    decl->setAttr(PruneDialect::kGpuCallAttrName,
                  GpuCallAttr::get(&getContext(), g.layout, rows, cols, batch,
                                   flags, hasBias, g.arrayBytes, g.scalars));
    return func::CallOp::create(b, loc, decl, args);
  }

  /// Creates (once) the declaration of a kernel entry point.
  func::FuncOp getOrCreateDecl(StringRef name, TypeRange inputs) {
    ModuleOp module = getOperation();
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      return f;
    OpBuilder::InsertionGuard guard(*rw);
    rw->setInsertionPointToStart(module.getBody());
    auto f = func::FuncOp::create(*rw, module.getLoc(), name,
                                  rw->getFunctionType(inputs, {}));
    f.setPrivate();
    f->setAttr("llvm.emit_c_interface", rw->getUnitAttr());
    return f;
  }

  Value constantArray(OpBuilder &b, Location loc, Type elt,
                      ArrayRef<int64_t> ints, ArrayRef<float> floats,
                      StringRef key) {
    MLIRContext *ctx = b.getContext();
    ElementsAttr attr;
    if (isa<FloatType>(elt)) {
      std::vector<double> values(floats.begin(), floats.end());
      attr = writeWeight(
          RankedTensorType::get({static_cast<int64_t>(values.size())}, elt),
          values, key, writer);
    } else {
      attr = writeIntArray(ctx, elt.getIntOrFloatBitWidth(), false, ints, key, writer);
    }
    Value cst = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
    auto tensorType = cast<RankedTensorType>(cst.getType());
    auto memrefType =
        MemRefType::get(tensorType.getShape(), tensorType.getElementType());
    Value buf = bufferization::ToBufferOp::create(b, loc, memrefType, cst,
                                                  /*readOnly=*/true);
    return memref::CastOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, elt), buf);
  }

  /// Emits the kernel call for x ([batch, in], or [in, batch] when
  /// fc.inputKM) and init (a zero fill, or a tensor in the output layout);
  /// returns the result tensor in the output layout. `images` > 1 (NCHW
  /// convolutions; needs inputKM and outputNM): x is [in, images*batch],
  /// the output [images, out, batch], one call per image in an scf.for.
  /// lowerConvInPlace's call: x is the flattened input, read as
  /// [positions, cols] with unit strides; the output is [rows, outCols], of
  /// which the kernel writes the first `positions` columns.
  struct InPlaceConv {
    int64_t positions, cols, outCols;
  };

  Value emitCall(OpBuilder &b, Location loc, Operation *op,
                 const FullyConnected &fc, const WeightData &wd, Value x,
                 Value init, const Epilogue &ep, int64_t images = 1,
                 const InPlaceConv *inPlace = nullptr) {
    MLIRContext *ctx = &getContext();
    Type f32 = b.getF32Type();
    int64_t rows = fc.outputs, cols = fc.reduction, batch = fc.batch;
    kernels::PackedWeight packed = materialize(wd.def, wd, rows, cols, batch);

    auto dynStrided =
        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                               {ShapedType::kDynamic, ShapedType::kDynamic});
    auto dyn2d = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                 f32, dynStrided);
    auto perm = AffineMapAttr::get(
        AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx));

    auto xType = cast<RankedTensorType>(x.getType());
    Value xBuf;
    if (inPlace) {
      auto flatType = MemRefType::get(
          xType.getShape(), f32,
          StridedLayoutAttr::get(ctx, ShapedType::kDynamic, {1}));
      Value flat = bufferization::ToBufferOp::create(b, loc, flatType, x,
                                                     /*readOnly=*/true);
      auto meta = memref::ExtractStridedMetadataOp::create(b, loc, flat);
      auto viewType = MemRefType::get(
          {inPlace->positions, inPlace->cols}, f32,
          StridedLayoutAttr::get(ctx, ShapedType::kDynamic, {1, 1}));
      xBuf = memref::ReinterpretCastOp::create(
          b, loc, viewType, flat, OpFoldResult(meta.getOffset()),
          ArrayRef<OpFoldResult>{b.getIndexAttr(inPlace->positions),
                                 b.getIndexAttr(inPlace->cols)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
      xBuf = memref::CastOp::create(b, loc, dyn2d, xBuf);
    } else {
      xBuf = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(xType.getShape(), f32, dynStrided), x,
          /*readOnly=*/true);
    }
    Value xAll = xBuf;
    if (images == 1 && !inPlace) {
      if (fc.inputKM)
        xBuf = memref::TransposeOp::create(b, loc, xBuf, perm);
      xBuf = memref::CastOp::create(b, loc, dyn2d, xBuf);
    }

    // Output buffer in the op's layout, viewed as [batch, rows].
    SmallVector<int64_t> outShape = fc.outputNM
                                        ? SmallVector<int64_t>{rows, batch}
                                        : SmallVector<int64_t>{batch, rows};
    if (images > 1)
      outShape.insert(outShape.begin(), images);
    if (inPlace) // [rows, outCols]: the kernel writes [rows, positions]
      outShape = {rows, inPlace->outCols};
    Value out = memref::AllocOp::create(b, loc, MemRefType::get(outShape, f32),
                                        b.getI64IntegerAttr(kBufferAlignment));
    bool accumulate = !isZeroFill(init) && !ep.biasFromInit;
    if (accumulate) {
      auto strided = StridedLayoutAttr::get(
          ctx, ShapedType::kDynamic,
          SmallVector<int64_t>(outShape.size(), ShapedType::kDynamic));
      Value initBuf = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(outShape, f32, strided), init,
          /*readOnly=*/true);
      memref::CopyOp::create(b, loc, initBuf, out);
    }
    Value outView = out;
    if (inPlace)
      outView = memref::SubViewOp::create(
          b, loc, out,
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(rows),
                                 b.getIndexAttr(inPlace->positions)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    if (images == 1) {
      if (fc.outputNM)
        outView = memref::TransposeOp::create(b, loc, outView, perm);
      outView = memref::CastOp::create(b, loc, dyn2d, outView);
    }

    std::string key = "nn_kernel";
    if (wd.decision)
      key = ("nn_kernel_" + wd.decision.getName()).str();
    SmallVector<Value> args = {outView, xBuf};
    // The entry point and its arrays and scalars, from the kernel library's
    // table (include/prune-opt/Runtime/Kernels.def).
    kernels::KernelCall kernelCall = kernels::kernelCall(packed);
    std::string fn = kernelCall.symbol;
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    int64_t kernelBytes = packed.bytes();
    SmallVector<Value> arrays;
    GpuWeight gpu{onGpu() ? gpuLayoutName(packed) : "", {}, kernelCall.scalars};
    // The GPU's own layouts: dense is the weight row-major (one array); a
    // 2:4 weight on the sparse tensor cores its 16-bit values and metadata.
    std::optional<pruneopt::gpu::SptcPacked> sptc =
        packForSparseTensorCores(wd.def, wd, packed, rows, cols);
    if (onGpu() && packed.format == kernels::Format::Dense) {
      arrays.push_back(
          constantArray(b, loc, f32, {}, wd.data, key + "_values"));
      gpu.arrayBytes = {int64_t(wd.data.size()) * 4};
    } else if (sptc) {
      gpu.layout =
          std::string("sptc24") + pruneopt::gpu::sixteenName(sptc->type);
      gpu.scalars.clear();
      kernelBytes = 0;
      for (auto [words, suffix] : {std::pair(&sptc->values, "_sptc_values"),
                                   std::pair(&sptc->meta, "_sptc_meta")}) {
        std::vector<int64_t> ints(words->begin(), words->end());
        arrays.push_back(constantArray(b, loc, i32, ints, {}, key + suffix));
        gpu.arrayBytes.push_back(int64_t(words->size()) * 4);
        kernelBytes += gpu.arrayBytes.back();
      }
    } else {
      // The kernel library's arrays (the GPU's too): created values first,
      // then the others in argument order (the order the IR has always had).
      arrays.resize(kernelCall.arrays.size());
      for (const kernels::KernelArray &array : kernelCall.arrays)
        gpu.arrayBytes.push_back(array.size *
                                 (array.isFloat ? 4 : array.elementBits / 8));
      for (bool floats : {true, false})
        for (auto [i, array] : llvm::enumerate(kernelCall.arrays)) {
          if (array.isFloat != floats)
            continue;
          std::string name = key + array.suffix;
          if (array.isFloat) {
            arrays[i] = constantArray(
                b, loc, f32, {}, ArrayRef<float>(array.floats(), array.size),
                name);
            continue;
          }
          std::vector<int64_t> ints(array.size);
          for (int64_t j = 0; j < array.size; ++j)
            ints[j] = array.intAt(j);
          arrays[i] = constantArray(b, loc, b.getIntegerType(array.elementBits),
                                    ints, {}, name);
        }
    }
    args.append(arrays.begin(), arrays.end());
    for (int64_t scalar : kernelCall.scalars)
      args.push_back(arith::ConstantIntOp::create(b, loc, i64, scalar));
    int32_t flags =
        (accumulate ? PRUNE_ACCUMULATE : 0) | (ep.relu ? PRUNE_RELU : 0);
    args.push_back(arith::ConstantIntOp::create(b, loc, i32, flags));
    // The bias (constant) as memref<?xf32>; none: an empty one.
    auto biasType = MemRefType::get({ShapedType::kDynamic}, f32);
    Value bias;
    if (ep.bias) {
      Value biasTensor = ep.bias;
      auto biasType = cast<RankedTensorType>(biasTensor.getType());
      if (biasType.getRank() > 1) // [1, 1, N] (tosa.add)
        biasTensor = tensor::CollapseShapeOp::create(
            b, loc, RankedTensorType::get({rows}, f32), biasTensor,
            ArrayRef<ReassociationIndices>{
                llvm::to_vector(llvm::seq<int64_t>(0, biasType.getRank()))});
      bias = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({rows}, f32), biasTensor, /*readOnly=*/true);
    }
    else
      bias = memref::AllocaOp::create(b, loc, MemRefType::get({0}, f32));
    args.push_back(memref::CastOp::create(b, loc, biasType, bias));
    auto makeCall = [&](OpBuilder &cb) {
      Operation *call;
      if (onGpu()) {
        SmallVector<Value> gpuArgs = {args[0], args[1]};
        gpuArgs.append(arrays.begin(), arrays.end());
        gpuArgs.push_back(args.back());
        call = emitGpuCallDecl(cb, loc, gpuArgs, gpu, ep.bias != nullptr, rows,
                               cols, batch, flags);
      } else {
        func::FuncOp decl = getOrCreateDecl(fn, ValueRange(args).getTypes());
        call = func::CallOp::create(cb, loc, decl, args);
      }
      call->setAttr(kKernelAttrName,
                    cb.getStringAttr(kernels::formatName(packed.format)));
      call->setAttr("nn.kernel_bytes", cb.getI64IntegerAttr(kernelBytes));
      if (ep.bias || ep.relu)
        call->setAttr("nn.epilogue",
                      cb.getStringAttr(ep.bias && ep.relu ? "bias+relu"
                                       : ep.bias          ? "bias"
                                                          : "relu"));
    };
    if (images == 1) {
      makeCall(b);
    } else {
      // One call per image: x columns [i*batch, (i+1)*batch), out[i].
      Value lb = arith::ConstantIndexOp::create(b, loc, 0);
      Value ub = arith::ConstantIndexOp::create(b, loc, images);
      Value step = arith::ConstantIndexOp::create(b, loc, 1);
      scf::ForOp::create(
          b, loc, lb, ub, step, ValueRange{},
          [&](OpBuilder &lbld, Location l, Value i, ValueRange) {
            Value col = arith::MulIOp::create(
                lbld, l, i, arith::ConstantIndexOp::create(lbld, l, batch));
            OpFoldResult zero = lbld.getIndexAttr(0),
                         one = lbld.getIndexAttr(1);
            Value xi = memref::SubViewOp::create(
                lbld, l, xAll, ArrayRef<OpFoldResult>{zero, col},
                ArrayRef<OpFoldResult>{lbld.getIndexAttr(cols),
                                       lbld.getIndexAttr(batch)},
                ArrayRef<OpFoldResult>{one, one});
            xi = memref::TransposeOp::create(lbld, l, xi, perm);
            args[1] = memref::CastOp::create(lbld, l, dyn2d, xi);
            auto outSlice = memref::SubViewOp::inferRankReducedResultType(
                {rows, batch}, cast<MemRefType>(out.getType()),
                ArrayRef<int64_t>{ShapedType::kDynamic, 0, 0},
                ArrayRef<int64_t>{1, rows, batch},
                ArrayRef<int64_t>{1, 1, 1});
            Value yi = memref::SubViewOp::create(
                lbld, l, cast<MemRefType>(outSlice), out,
                ArrayRef<OpFoldResult>{i, zero, zero},
                ArrayRef<OpFoldResult>{one, lbld.getIndexAttr(rows),
                                       lbld.getIndexAttr(batch)},
                ArrayRef<OpFoldResult>{one, one, one});
            yi = memref::TransposeOp::create(lbld, l, yi, perm);
            args[0] = memref::CastOp::create(lbld, l, dyn2d, yi);
            makeCall(lbld);
            scf::YieldOp::create(lbld, l);
          });
    }

    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(outShape, f32), out, /*restrict=*/true,
        /*writable=*/true);
  }
};
} // namespace
