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

namespace mlir::prune {
#define GEN_PASS_DEF_NNLOWERKERNELS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;
namespace kernels = ::prune::kernels;

static constexpr StringLiteral kKernelAttrName = "nn.kernel";

/// Reads a 1-D integer constant (i8..i64 or index) into int64s.
static FailureOr<std::vector<int64_t>> readIntArray(Value value,
                                                    Location loc) {
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
    case 8: out[i] = *reinterpret_cast<const int8_t *>(p); break;
    case 16: { int16_t v; std::memcpy(&v, p, 2); out[i] = v; break; }
    case 32: { int32_t v; std::memcpy(&v, p, 4); out[i] = v; break; }
    default: { int64_t v; std::memcpy(&v, p, 8); out[i] = v; break; }
    }
  }
  return out;
}

/// The dense [rows, cols] weight of an assembled CSR operand (levels dense,
/// compressed; identity map), or failure.
static FailureOr<std::vector<float>>
decodeAssembled(sparse_tensor::AssembleOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  auto enc = sparse_tensor::getSparseTensorEncoding(type);
  if (!enc || type.getRank() != 2 || !enc.isIdentity() ||
      !sparse_tensor::isDenseLT(enc.getLvlType(0)) ||
      !sparse_tensor::isCompressedLT(enc.getLvlType(1)) ||
      op.getLevels().size() != 2)
    return failure();
  Location loc = op.getLoc();
  auto pos = readIntArray(op.getLevels()[0], loc);
  auto crd = readIntArray(op.getLevels()[1], loc);
  Operation *valDef = op.getValues().getDefiningOp();
  ElementsAttr valAttr = valDef ? getConstantValue(valDef) : nullptr;
  if (failed(pos) || failed(crd) || !valAttr)
    return failure();
  FailureOr<std::vector<double>> vals = readWeight(valAttr, loc);
  if (failed(vals))
    return failure();
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (static_cast<int64_t>(pos->size()) != rows + 1)
    return failure();
  std::vector<float> w(rows * cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = (*pos)[r]; p < (*pos)[r + 1]; ++p) {
      if (p < 0 || p >= static_cast<int64_t>(vals->size()) ||
          (*crd)[p] < 0 || (*crd)[p] >= cols)
        return failure();
      w[r * cols + (*crd)[p]] = (*vals)[p];
    }
  return w;
}

/// True if `value` is a linalg.fill of 0.0.
static bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

namespace {
struct NNLowerKernelsPass
    : public mlir::prune::impl::NNLowerKernelsBase<NNLowerKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> candidates;
    module.walk([&](linalg::LinalgOp op) { candidates.push_back(op); });
    bool hadError = false;
    for (linalg::LinalgOp op : candidates) {
      FailureOr<bool> lowered = tryLower(op);
      if (failed(lowered))
        hadError = true;
    }
    if (hadError)
      signalPassFailure();
  }

  /// Returns true if lowered, false if not applicable, failure on error.
  FailureOr<bool> tryLower(linalg::LinalgOp op) {
    for (unsigned w = 0; w < 2; ++w) {
      std::optional<FullyConnected> fc = matchFullyConnected(op, w);
      if (!fc)
        continue;
      Value weight = op->getOperand(w);
      Operation *def = weight.getDefiningOp();
      if (!def)
        continue;
      std::vector<float> dense;
      DictionaryAttr decision;
      StringRef format = "dense";
      if (auto assemble = dyn_cast<sparse_tensor::AssembleOp>(def)) {
        FailureOr<std::vector<float>> decoded = decodeAssembled(assemble);
        if (failed(decoded))
          continue;
        if (fc->weightKN)
          continue; // nn-sparsify always stores [out, in]
        dense = std::move(*decoded);
        decision = assemble->getAttrOfType<DictionaryAttr>(kPruneAttrName);
        format = "csr";
        if (decision)
          if (auto f = decision.getAs<StringAttr>("format"))
            format = f.getValue();
      } else if (ElementsAttr attr = getConstantValue(def)) {
        if (!lowerDense || !attr.getElementType().isF32())
          continue;
        FailureOr<std::vector<double>> values = readWeight(attr, def->getLoc());
        if (failed(values))
          return failure();
        int64_t rows = fc->outputs, cols = fc->reduction;
        dense.resize(rows * cols);
        for (int64_t o = 0; o < rows; ++o)
          for (int64_t k = 0; k < cols; ++k)
            dense[o * cols + k] =
                (*values)[fc->weightKN ? k * rows + o : o * cols + k];
        decision = def->getAttrOfType<DictionaryAttr>(kPruneAttrName);
      } else {
        continue;
      }
      if (failed(emitCall(op, *fc, dense, format, decision)))
        return failure();
      ++numLowered;
      if (def->use_empty())
        eraseWithConstants(def);
      return true;
    }
    return false;
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
      emitRemark(op->getLoc())
          << "nn-lower-kernels: " << r << "x" << c
          << " blocks do not tile this " << rows << "x" << cols
          << " weight; using csr";
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

  LogicalResult emitCall(linalg::LinalgOp op, const FullyConnected &fc,
                         const std::vector<float> &w, StringRef format,
                         DictionaryAttr decision) {
    MLIRContext *ctx = &getContext();
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    int64_t rows = fc.outputs, cols = fc.reduction, batch = fc.batch;
    kernels::PackedWeight packed = pack(op, w, rows, cols, format, decision);

    auto dynLayout = StridedLayoutAttr::get(
        ctx, ShapedType::kDynamic, {ShapedType::kDynamic, ShapedType::kDynamic});
    auto dyn2d = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                 f32, dynLayout);
    auto perm = AffineMapAttr::get(
        AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx));

    // Input as a [batch, cols] view.
    Value x = op->getOperand(fc.inputOperand);
    if (fc.vector)
      x = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, cols}, f32), x,
          ArrayRef<ReassociationIndices>{{0, 1}});
    auto xType = cast<RankedTensorType>(x.getType());
    Value xBuf = bufferization::ToBufferOp::create(
        b, loc,
        MemRefType::get(xType.getShape(), f32,
                        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                                               {ShapedType::kDynamic,
                                                ShapedType::kDynamic})),
        x, /*readOnly=*/true);
    if (fc.inputKM)
      xBuf = memref::TransposeOp::create(b, loc, xBuf, perm);
    xBuf = memref::CastOp::create(b, loc, dyn2d, xBuf);

    // Output buffer in the op's layout, viewed as [batch, rows].
    SmallVector<int64_t> outShape =
        fc.outputNM ? SmallVector<int64_t>{rows, batch}
                    : SmallVector<int64_t>{batch, rows};
    auto outType = MemRefType::get(outShape, f32);
    Value out = memref::AllocOp::create(b, loc, outType);
    Value init = op.getDpsInits()[0];
    bool accumulate = !isZeroFill(init);
    if (accumulate) {
      Value initT = init;
      if (fc.vector)
        initT = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get(outShape, f32), init,
            ArrayRef<ReassociationIndices>{{0, 1}});
      Value initBuf = bufferization::ToBufferOp::create(
          b, loc,
          MemRefType::get(outShape, f32,
                          StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                                                 {ShapedType::kDynamic,
                                                  ShapedType::kDynamic})),
          initT, /*readOnly=*/true);
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
      return packed.wideIndex
                 ? constantArray(b, loc, i32, ints(packed.col32), {}, key + "_col")
                 : constantArray(b, loc, i16, ints(packed.col16), {}, key + "_col");
    };
    Value values =
        constantArray(b, loc, f32, {}, packed.values, key + "_values");
    switch (packed.format) {
    case kernels::Format::Dense:
      fn = "prune_mr_dense";
      args.push_back(values);
      break;
    case kernels::Format::CSR:
      fn = packed.wideIndex ? "prune_mr_csr32" : "prune_mr_csr16";
      args.push_back(constantArray(b, loc, i32, ints(packed.rowPtr), {},
                                   key + "_rowptr"));
      args.push_back(idxArray());
      args.push_back(values);
      break;
    case kernels::Format::Bitmask:
      fn = "prune_mr_bitmask";
      args.push_back(constantArray(b, loc, i32, ints(packed.rowPtr), {},
                                   key + "_rowptr"));
      args.push_back(
          constantArray(b, loc, i16, ints(packed.masks), {}, key + "_masks"));
      args.push_back(values);
      break;
    case kernels::Format::BSR:
      fn = packed.wideIndex ? "prune_mr_bsr32" : "prune_mr_bsr16";
      args.push_back(constantArray(b, loc, i32, ints(packed.rowPtr), {},
                                   key + "_rowptr"));
      args.push_back(idxArray());
      args.push_back(values);
      args.push_back(arith::ConstantIntOp::create(b, loc, i64, packed.blockRows));
      args.push_back(arith::ConstantIntOp::create(b, loc, i64, packed.blockCols));
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
    args.push_back(arith::ConstantIntOp::create(b, loc, i32, accumulate));
    func::FuncOp decl = getOrCreateDecl(fn, ValueRange(args).getTypes());
    auto call = func::CallOp::create(b, loc, decl, args);
    static const char *names[] = {"dense", "csr", "bitmask", "bsr", "nm"};
    call->setAttr(kKernelAttrName,
                  b.getStringAttr(names[static_cast<int>(packed.format)]));
    call->setAttr("nn.kernel_bytes", b.getI64IntegerAttr(packed.bytes()));

    Value result = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(outShape, f32), out, /*restrict=*/true,
        /*writable=*/true);
    if (fc.vector)
      result = tensor::CollapseShapeOp::create(
          b, loc, op->getResult(0).getType(), result,
          ArrayRef<ReassociationIndices>{{0, 1}});
    op->getResult(0).replaceAllUsesWith(result);
    Operation *initDef = init.getDefiningOp();
    op->erase();
    if (initDef && initDef->use_empty() && isa<linalg::FillOp>(initDef)) {
      Value dest = cast<linalg::FillOp>(initDef).getOutputs()[0];
      initDef->erase();
      if (Operation *e = dest.getDefiningOp())
        if (e->use_empty() && isa<tensor::EmptyOp>(e))
          e->erase();
    }
    return success();
  }
};
} // namespace
