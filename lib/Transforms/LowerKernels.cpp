//===- LowerKernels.cpp - The nn-lower-kernels pass -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Replaces fully connected contractions with constant weights by calls of
// the kernel library (include/prune-opt/Runtime/Kernels.h), packing the
// weight at compile time. Why calls and not generated loops: the kernels
// need AVX-512 expand/permute/gather sequences, software prefetching and
// batch register blocking that neither the sparsifier nor the vectorizer
// produce in MLIR 22; measured gains are in docs/Benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Runtime/Kernels.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/LinalgUtils.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
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
  FailureOr<ArrayRef<char>> raw = getRawWeightBytes(attr, loc);
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
  FailureOr<std::vector<double>> vals = readWeight(valAttr, loc);
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
  Value init = op.getDpsInits()[0];
  if (auto bc = init.getDefiningOp<linalg::BroadcastOp>()) {
    int64_t rank = cast<ShapedType>(init.getType()).getRank();
    SmallVector<int64_t> others;
    for (int64_t i = 0; i < rank; ++i)
      if (i != featureDim)
        others.push_back(i);
    if (isBiasType(bc.getInput()) && llvm::equal(bc.getDimensions(), others)) {
      ep.bias = bc.getInput();
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
      if (!isBiasType(bias) || maps[1].getNumResults() != 1 ||
          maps[1].getResult(0) != getAffineDimExpr(featureDim, ctx))
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
    : public mlir::prune::impl::NNLowerKernelsBase<NNLowerKernelsPass> {
  using Base::Base;
  PRUNE_OPT_CHECKED_OPTIONS("nn-lower-kernels")

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (csrTiledBatch < 0) {
      emitError(module.getLoc())
          << "nn-lower-kernels: option 'csr-tiled-batch' must be >= 0, got "
          << int64_t(csrTiledBatch);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> candidates;
    // Contractions only: lowering one erases the elementwise ops (and the
    // broadcast init) it absorbs, which must not be visited afterwards.
    module.walk([&](linalg::LinalgOp op) {
      if (matchConvAsFullyConnected(op, 1) || matchFullyConnected(op, 0) ||
          matchFullyConnected(op, 1))
        candidates.push_back(op);
    });
    bool hadError = false;
    for (linalg::LinalgOp op : candidates) {
      FailureOr<bool> lowered = tryLower(op);
      if (failed(lowered))
        hadError = true;
    }
    if (hadError)
      signalPassFailure();
  }

  /// The weight operand's data as the op sees it (row-major), its
  /// decision and kernel format; nullopt if it is not a constant.
  struct WeightData {
    std::vector<float> data;
    DictionaryAttr decision;
    std::string format = "dense";
    Operation *def = nullptr;
  };
  FailureOr<std::optional<WeightData>> readOperandWeight(Value weight) {
    WeightData wd;
    wd.def = weight.getDefiningOp();
    if (!wd.def)
      return std::optional<WeightData>();
    if (auto assemble = dyn_cast<sparse_tensor::AssembleOp>(wd.def)) {
      FailureOr<std::vector<float>> decoded = decodeAssembled(assemble);
      if (failed(decoded))
        return std::optional<WeightData>();
      wd.data = std::move(*decoded);
      wd.decision = assemble->getAttrOfType<DictionaryAttr>(kPruneAttrName);
      wd.format = "csr";
      if (wd.decision)
        if (auto f = wd.decision.getAs<StringAttr>("format"))
          wd.format = f.getValue().str();
      return std::optional<WeightData>(std::move(wd));
    }
    ElementsAttr attr = getConstantValue(wd.def);
    if (!attr || !lowerDense || !attr.getElementType().isF32())
      return std::optional<WeightData>();
    FailureOr<std::vector<double>> values = readWeight(attr, wd.def->getLoc());
    if (failed(values))
      return failure();
    wd.data.assign(values->begin(), values->end());
    wd.decision = wd.def->getAttrOfType<DictionaryAttr>(kPruneAttrName);
    return std::optional<WeightData>(std::move(wd));
  }

  /// Returns true if lowered, false if not applicable, failure on error.
  FailureOr<bool> tryLower(linalg::LinalgOp op) {
    if (std::optional<ConvAsFullyConnected> conv =
            matchConvAsFullyConnected(op, 1)) {
      auto wd = readOperandWeight(op->getOperand(1));
      if (failed(wd))
        return failure();
      if (!*wd)
        return false;
      lowerConv(op, *conv, **wd);
      ++numLowered;
      if ((*wd)->def->use_empty())
        eraseWithConstants((*wd)->def);
      return true;
    }
    for (unsigned w = 0; w < 2; ++w) {
      std::optional<FullyConnected> fc = matchFullyConnected(op, w);
      if (!fc)
        continue;
      auto wd = readOperandWeight(op->getOperand(w));
      if (failed(wd))
        return failure();
      if (!*wd)
        continue;
      WeightData &data = **wd;
      int64_t rows = fc->outputs, cols = fc->reduction;
      if (fc->weightKN) { // to [out, in]
        std::vector<float> t(rows * cols);
        for (int64_t o = 0; o < rows; ++o)
          for (int64_t k = 0; k < cols; ++k)
            t[o * cols + k] = data.data[k * rows + o];
        data.data = std::move(t);
      }
      lowerFullyConnected(op, *fc, data);
      ++numLowered;
      if (data.def->use_empty())
        eraseWithConstants(data.def);
      return true;
    }
    return false;
  }

  void lowerFullyConnected(linalg::LinalgOp op, const FullyConnected &fc,
                           const WeightData &wd) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value x = op->getOperand(fc.inputOperand);
    Value init = op.getDpsInits()[0];
    Epilogue ep = matchEpilogue(op, fc.vector ? 0 : (fc.outputNM ? 0 : 1),
                                fc.outputs, fuseEpilogue);
    SmallVector<int64_t> outShape =
        fc.outputNM ? SmallVector<int64_t>{fc.outputs, fc.batch}
                    : SmallVector<int64_t>{fc.batch, fc.outputs};
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
          b, loc, op->getResult(0).getType(), result,
          ArrayRef<ReassociationIndices>{{0, 1}});
    replaceAndClean(op, result, ep);
  }

  /// im2col, transposed: patches[(c*KH+kh)*KW+kw, oh*OW+ow] =
  /// in[0, c, oh*sh + kh*dh, ow*sw + kw*dw], then the FC kernel with the
  /// filter as [F, C*KH*KW] writing out[F, OH*OW]. Both layouts have the
  /// output positions innermost, which is how the batched kernels read
  /// and write them: no transposition at run time.
  void lowerConv(linalg::LinalgOp op, const ConvAsFullyConnected &conv,
                 const WeightData &wd) {
    MLIRContext *ctx = &getContext();
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value in = op->getOperand(0);
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // Loops (c, kh, kw, oh, ow).
    AffineMap inMap =
        AffineMap::get(5, 0,
                       {getAffineConstantExpr(0, ctx), d(0),
                        d(3) * conv.strideH + d(1) * conv.dilationH,
                        d(4) * conv.strideW + d(2) * conv.dilationW},
                       ctx);
    AffineMap outMap = AffineMap::getMultiDimIdentityMap(5, ctx);
    auto patchType = RankedTensorType::get(
        {conv.channels, conv.kh, conv.kw, conv.oh, conv.ow}, f32);
    Value empty = tensor::EmptyOp::create(b, loc, patchType.getShape(), f32);
    auto gather = linalg::GenericOp::create(
        b, loc, patchType, ValueRange{in}, ValueRange{empty},
        ArrayRef<AffineMap>{inMap, outMap},
        SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, args[0]);
        });
    Value patches = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({conv.fc.reduction, conv.fc.batch}, f32),
        gather.getResult(0), ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}});
    FullyConnected fc = conv.fc;
    fc.inputKM = true;
    Value init = op.getDpsInits()[0];
    Epilogue ep =
        matchEpilogue(op, /*featureDim=*/1, conv.filters, fuseEpilogue);
    if (!isZeroFill(init) && !ep.biasFromInit)
      init = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({conv.filters, conv.fc.batch}, f32),
          init, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    Value result = emitCall(b, loc, op, fc, wd, patches, init, ep);
    result = tensor::ExpandShapeOp::create(
        b, loc, op->getResult(0).getType(), result,
        ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    replaceAndClean(op, result, ep);
  }

  /// Replaces `op` (and the elementwise ops its call absorbed) by `result`.
  void replaceAndClean(linalg::LinalgOp op, Value result, const Epilogue &ep) {
    Value init = op.getDpsInits()[0];
    Value last =
        ep.ops.empty() ? op->getResult(0) : ep.ops.back()->getResult(0);
    last.replaceAllUsesWith(result);
    for (linalg::GenericOp g : llvm::reverse(ep.ops))
      g->erase();
    Operation *initDef = init.getDefiningOp();
    op->erase();
    if (initDef && initDef->use_empty() &&
        isa<linalg::FillOp, linalg::BroadcastOp>(initDef)) {
      Value dest = cast<DestinationStyleOpInterface>(initDef).getDpsInits()[0];
      initDef->erase();
      if (Operation *e = dest.getDefiningOp())
        if (e->use_empty() && isa<tensor::EmptyOp>(e))
          e->erase();
    }
  }

  void eraseWithConstants(Operation *def) {
    SmallVector<Value> operands(def->getOperands());
    def->erase();
    for (Value v : operands)
      if (Operation *d = v.getDefiningOp())
        if (d->use_empty() && getConstantValue(d))
          d->erase();
  }

  /// Packs the weight in `format` (falling back to CSR with a remark).
  kernels::PackedWeight pack(Operation *op, const std::vector<float> &w,
                             int64_t rows, int64_t cols, StringRef format,
                             DictionaryAttr decision) {
    if (format == "dense")
      return kernels::packDense(w.data(), rows, cols);
    if (format == "bitmask")
      return kernels::packBitmask(w.data(), rows, cols);
    kernels::PackedWeight packed;
    if (format == "bsr") {
      int64_t r = 1, c = 1;
      if (decision)
        if (auto block = decision.getAs<StringAttr>("block")) {
          auto [rs, cs] = block.getValue().split('x');
          (void)rs.getAsInteger(10, r);
          (void)cs.getAsInteger(10, c);
        }
      if (kernels::packBSR(w.data(), rows, cols, r, c, packed))
        return packed;
      emitRemark(op->getLoc()) << "nn-lower-kernels: " << r << "x" << c
                               << " blocks do not tile this " << rows << "x"
                               << cols << " weight; using csr";
    } else if (format == "nm") {
      int64_t n = 0, m = 0;
      if (decision) {
        if (auto a = decision.getAs<IntegerAttr>("n"))
          n = a.getInt();
        if (auto a = decision.getAs<IntegerAttr>("m"))
          m = a.getInt();
      }
      if (kernels::packNM(w.data(), rows, cols, n, m, packed))
        return packed;
      emitRemark(op->getLoc())
          << "nn-lower-kernels: weight is not " << n << ":" << m
          << " along its " << cols << " inputs; using csr";
    }
    return kernels::packCSR(w.data(), rows, cols);
  }

  /// Creates (once) the declaration of a kernel entry point.
  func::FuncOp getOrCreateDecl(StringRef name, TypeRange inputs) {
    ModuleOp module = getOperation();
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      return f;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto f = func::FuncOp::create(b, module.getLoc(), name,
                                  b.getFunctionType(inputs, {}));
    f.setPrivate();
    f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
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
          values, key);
    } else {
      attr = writeIntArray(ctx, elt.getIntOrFloatBitWidth(), false, ints, key);
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
  /// returns the result tensor in the output layout.
  Value emitCall(OpBuilder &b, Location loc, Operation *op,
                 const FullyConnected &fc, const WeightData &wd, Value x,
                 Value init, const Epilogue &ep) {
    MLIRContext *ctx = &getContext();
    Type f32 = b.getF32Type();
    int64_t rows = fc.outputs, cols = fc.reduction, batch = fc.batch;
    DictionaryAttr decision = wd.decision;
    kernels::PackedWeight packed =
        pack(wd.def, wd.data, rows, cols, wd.format, decision);
    // Batched layers: csr, bitmask and N:M weights run faster as csr-tiled
    // (at batch 32, 4096^2: 2:4 3.5x faster than the N:M kernel, bitmask at
    // 70 % 10x faster; their per-row selects and expands only pay at
    // batch 1).
    if ((packed.format == kernels::Format::CSR ||
         packed.format == kernels::Format::Bitmask ||
         packed.format == kernels::Format::NM) &&
        csrTiledBatch > 0 && batch >= csrTiledBatch)
      packed = kernels::packTiledCSR(wd.data.data(), rows, cols);

    auto dynStrided =
        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                               {ShapedType::kDynamic, ShapedType::kDynamic});
    auto dyn2d = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                 f32, dynStrided);
    auto perm = AffineMapAttr::get(
        AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx));

    auto xType = cast<RankedTensorType>(x.getType());
    Value xBuf = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(xType.getShape(), f32, dynStrided), x,
        /*readOnly=*/true);
    if (fc.inputKM)
      xBuf = memref::TransposeOp::create(b, loc, xBuf, perm);
    xBuf = memref::CastOp::create(b, loc, dyn2d, xBuf);

    // Output buffer in the op's layout, viewed as [batch, rows].
    SmallVector<int64_t> outShape = fc.outputNM
                                        ? SmallVector<int64_t>{rows, batch}
                                        : SmallVector<int64_t>{batch, rows};
    Value out = memref::AllocOp::create(b, loc, MemRefType::get(outShape, f32));
    bool accumulate = !isZeroFill(init) && !ep.biasFromInit;
    if (accumulate) {
      Value initBuf = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(outShape, f32, dynStrided), init,
          /*readOnly=*/true);
      memref::CopyOp::create(b, loc, initBuf, out);
    }
    Value outView = out;
    if (fc.outputNM)
      outView = memref::TransposeOp::create(b, loc, outView, perm);
    outView = memref::CastOp::create(b, loc, dyn2d, outView);

    std::string key = "nn_kernel";
    if (decision)
      if (auto name = decision.getAs<StringAttr>("name"))
        key = ("nn_kernel_" + name.getValue()).str();
    SmallVector<Value> args = {outView, xBuf};
    std::string fn;
    Type i32 = b.getI32Type(), i16 = b.getIntegerType(16),
         i8 = b.getIntegerType(8), i64 = b.getI64Type();
    auto ints = [](auto &vec) {
      return std::vector<int64_t>(vec.begin(), vec.end());
    };
    auto idxArray = [&]() {
      if (packed.colBits == 8)
        return constantArray(b, loc, i8, ints(packed.col8), {}, key + "_col");
      if (packed.colBits == 32)
        return constantArray(b, loc, i32, ints(packed.col32), {}, key + "_col");
      return constantArray(b, loc, i16, ints(packed.col16), {}, key + "_col");
    };
    auto rowPtrArray = [&]() {
      return constantArray(b, loc, i32, ints(packed.rowPtr), {},
                           key + "_rowptr");
    };
    Value values =
        constantArray(b, loc, f32, {}, packed.values, key + "_values");
    switch (packed.format) {
    case kernels::Format::Dense:
      fn = "prune_mr_dense";
      args.push_back(values);
      break;
    case kernels::Format::CSR:
      fn = llvm::formatv("prune_mr_csr{0}", packed.colBits).str();
      args.push_back(rowPtrArray());
      args.push_back(idxArray());
      args.push_back(values);
      break;
    case kernels::Format::Bitmask:
      fn = "prune_mr_bitmask";
      args.push_back(rowPtrArray());
      args.push_back(
          constantArray(b, loc, i16, ints(packed.masks), {}, key + "_masks"));
      args.push_back(values);
      break;
    case kernels::Format::BSR:
      fn = llvm::formatv("prune_mr_bsr{0}", packed.colBits).str();
      args.push_back(rowPtrArray());
      args.push_back(idxArray());
      args.push_back(values);
      args.push_back(
          arith::ConstantIntOp::create(b, loc, i64, packed.blockRows));
      args.push_back(
          arith::ConstantIntOp::create(b, loc, i64, packed.blockCols));
      break;
    case kernels::Format::TiledCSR:
      fn = "prune_mr_csr_tiled";
      args.push_back(
          constantArray(b, loc, i32, ints(packed.rowPtr), {}, key + "_meta"));
      args.push_back(
          constantArray(b, loc, i16, ints(packed.masks), {}, key + "_runs"));
      args.push_back(
          constantArray(b, loc, i8, ints(packed.codes), {}, key + "_rowids"));
      args.push_back(idxArray());
      args.push_back(values);
      break;
    case kernels::Format::NM:
      fn = "prune_mr_nm";
      args.push_back(
          constantArray(b, loc, i8, ints(packed.codes), {}, key + "_codes"));
      args.push_back(values);
      args.push_back(arith::ConstantIntOp::create(b, loc, i64, packed.n));
      args.push_back(arith::ConstantIntOp::create(b, loc, i64, packed.m));
      break;
    }
    int32_t flags =
        (accumulate ? PRUNE_ACCUMULATE : 0) | (ep.relu ? PRUNE_RELU : 0);
    args.push_back(arith::ConstantIntOp::create(b, loc, i32, flags));
    // The bias (constant) as memref<?xf32>; none: an empty one.
    auto biasType = MemRefType::get({ShapedType::kDynamic}, f32);
    Value bias;
    if (ep.bias)
      bias = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({rows}, f32), ep.bias, /*readOnly=*/true);
    else
      bias = memref::AllocaOp::create(b, loc, MemRefType::get({0}, f32));
    args.push_back(memref::CastOp::create(b, loc, biasType, bias));
    func::FuncOp decl = getOrCreateDecl(fn, ValueRange(args).getTypes());
    auto call = func::CallOp::create(b, loc, decl, args);
    static const char *names[] = {"dense", "csr", "bitmask",
                                  "bsr",   "nm",  "csr-tiled"};
    call->setAttr(kKernelAttrName,
                  b.getStringAttr(names[static_cast<int>(packed.format)]));
    call->setAttr("nn.kernel_bytes", b.getI64IntegerAttr(packed.bytes()));
    if (ep.bias || ep.relu)
      call->setAttr("nn.epilogue",
                    b.getStringAttr(ep.bias && ep.relu ? "bias+relu"
                                    : ep.bias          ? "bias"
                                                       : "relu"));

    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(outShape, f32), out, /*restrict=*/true,
        /*writable=*/true);
  }
};
} // namespace
