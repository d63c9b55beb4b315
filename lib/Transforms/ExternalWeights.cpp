//===- ExternalWeights.cpp - Passes for weights outside the IR ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// nn-store-weights (move weights into a safetensors file), nn-embed-weights
// (bring them back) and nn-external-weight-loads (the lowering's run-time
// loads). The file format and the lookup rules: Utils/ExternalWeights.h.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSTOREWEIGHTS
#define GEN_PASS_DEF_NNEMBEDWEIGHTS
#define GEN_PASS_DEF_NNEXTERNALWEIGHTLOADS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

/// The module attribute with the bytes the compiled model loads from files.
static constexpr StringLiteral kExternalBytesAttrName =
    "nn.external_weight_bytes";

/// The name of the global holding weight file `i`'s path.
static constexpr StringLiteral kPathGlobalPrefix = "__prune_weight_file_";

namespace {

/// One tensor the store pass moves.
struct Moving {
  enum Kind { Blob, External, Dense } kind;
  TensorToWrite out;
  DenseResourceElementsAttr resource; // what the IR refers to afterwards
  Operation *owner;                   // an op holding it
  DenseResourceElementsAttr old;      // Blob, External: the attribute now
};

struct NNStoreWeightsPass
    : public prune::impl::NNStoreWeightsBase<NNStoreWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      module.emitError() << "nn-store-weights: option 'file' is required "
                            "(the safetensors file to write)";
      return signalPassFailure();
    }
    if (minBytes < 0) {
      module.emitError() << "nn-store-weights: 'min-bytes' must be >= 0";
      return signalPassFailure();
    }
    if (module.lookupSymbol(std::string(kPathGlobalPrefix) + "0")) {
      module.emitError()
          << "nn-store-weights: the module is already lowered with its "
             "weights loaded from files at run time; store the weights "
             "before nn-lower-cpu";
      return signalPassFailure();
    }
    SmallVector<std::string> oldFiles = getWeightFiles(module);
    for (const std::string &listed : oldFiles) {
      bool same = false;
      if (!llvm::sys::fs::equivalent(listed, std::string(file), same) &&
          same) {
        module.emitError()
            << "nn-store-weights: '" << file
            << "' is one of the module's weight files ('" << listed
            << "'); write a new file (the module on disk still refers to "
               "this one)";
        return signalPassFailure();
      }
    }
    MLIRContext *ctx = &getContext();
    auto &manager = DenseResourceElementsHandle::getManagerInterface(ctx);

    // What moves, in IR order; a resource once, whatever refers to it.
    std::vector<Moving> moving;
    llvm::DenseSet<void *> seen;
    llvm::DenseMap<Attribute, Attribute> replacement;
    bool failedLookup = false;
    auto dtypeOf = [](ShapedType type) -> std::optional<TensorDType> {
      auto ranked = dyn_cast<RankedTensorType>(type);
      if (!ranked || !ranked.hasStaticShape())
        return std::nullopt;
      return tensorDTypeFor(ranked.getElementType());
    };
    module->walk([&](Operation *op) {
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
        DenseResourceElementsHandle handle = attr.getRawHandle();
        std::optional<TensorDType> dtype = dtypeOf(attr.getType());
        if (!dtype || !seen.insert(handle.getResource()).second)
          return; // (i1 and friends stay in the IR)
        auto type = cast<RankedTensorType>(attr.getType());
        uint64_t bytes =
            uint64_t(type.getNumElements()) * tensorDTypeBytes(*dtype);
        Moving m{Moving::External,
                 {handle.getKey().str(), *dtype,
                  SmallVector<int64_t>(type.getShape()), bytes},
                 attr,
                 op,
                 attr};
        if (handle.getBlob()) {
          // A blob cannot be taken off its key: the tensor moves under a
          // new key without one.
          m.kind = Moving::Blob;
          auto fresh = manager.insert(handle.getKey());
          m.out.name = fresh.getKey().str();
          m.resource = DenseResourceElementsAttr::get(type, fresh);
          replacement[attr] = m.resource;
        } else if (failed(findExternalTensor(op, m.out.name, type,
                                             op->getLoc()))) {
          failedLookup = true;
          return;
        }
        moving.push_back(std::move(m));
      });
      // dense<> float constants (weights, biases; integer constants are
      // shapes, permutations, quantization parameters that lowerings want
      // to see as attributes).
      auto dense = dyn_cast_or_null<DenseElementsAttr>(getConstantValue(op));
      if (!dense || dense.isSplat() ||
          !isa<FloatType>(dense.getElementType()))
        return;
      std::optional<TensorDType> dtype = dtypeOf(dense.getType());
      if (!dtype)
        return;
      auto type = cast<RankedTensorType>(dense.getType());
      uint64_t bytes =
          uint64_t(type.getNumElements()) * tensorDTypeBytes(*dtype);
      if (bytes < uint64_t(minBytes) || dense.getRawData().size() != bytes)
        return;
      auto handle = manager.insert("nn_weight");
      moving.push_back({Moving::Dense,
                        {handle.getKey().str(), *dtype,
                         SmallVector<int64_t>(type.getShape()), bytes},
                        DenseResourceElementsAttr::get(type, handle),
                        op,
                        nullptr});
    });
    if (failedLookup)
      return signalPassFailure();

    // Write, one tensor in memory (or mapped) at a time.
    std::vector<TensorToWrite> tensors;
    for (const Moving &m : moving)
      tensors.push_back(m.out);
    llvm::Error err = writeWeightFile(
        file, tensors, [&](size_t i) -> llvm::Expected<WeightBytes> {
          const Moving &m = moving[i];
          FailureOr<WeightBytes> bytes = failure();
          if (m.kind == Moving::Dense)
            bytes = WeightBytes(
                cast<DenseElementsAttr>(getConstantValue(m.owner))
                    .getRawData());
          else
            bytes = getRawWeightBytes(m.old, m.owner);
          if (failed(bytes))
            return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                           "cannot read tensor '" +
                                               m.out.name + "'");
          return std::move(*bytes);
        });
    if (err) {
      module.emitError() << "nn-store-weights: "
                         << llvm::toString(std::move(err));
      return signalPassFailure();
    }
    numStored = moving.size();

    // The IR now refers to the file.
    for (const Moving &m : moving)
      if (m.kind == Moving::Dense)
        setConstantValue(m.owner, m.resource);
    if (!replacement.empty()) {
      AttrTypeReplacer replacer;
      replacer.addReplacement(
          [&](DenseResourceElementsAttr attr) -> std::optional<Attribute> {
            auto it = replacement.find(attr);
            if (it == replacement.end())
              return std::nullopt;
            return it->second;
          });
      replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                            /*replaceLocs=*/false,
                                            /*replaceTypes=*/false);
    }
    module->setAttr(kWeightFilesAttrName,
                    ArrayAttr::get(ctx, {StringAttr::get(ctx, file)}));
    dropUnlistedWeightFiles(module, oldFiles);
    if (moving.empty())
      module.emitWarning() << "nn-store-weights: the module has no weights "
                              "to store; '"
                           << file << "' holds no tensors";
  }
};

struct NNEmbedWeightsPass
    : public prune::impl::NNEmbedWeightsBase<NNEmbedWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (getWeightFiles(module).empty()) {
      module.emitRemark() << "nn-embed-weights: the module names no weight "
                             "files; nothing to embed";
      return;
    }
    llvm::DenseSet<void *> seen;
    bool failedRead = false;
    module->walk([&](Operation *op) {
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
        DenseResourceElementsHandle handle = attr.getRawHandle();
        if (handle.getBlob() || !seen.insert(handle.getResource()).second)
          return;
        FailureOr<WeightBytes> bytes = getRawWeightBytes(attr, op);
        if (failed(bytes)) {
          failedRead = true;
          return;
        }
        Type elt = attr.getElementType();
        size_t align = elt.isIndex()
                           ? 8
                           : std::max<size_t>(1, elt.getIntOrFloatBitWidth() / 8);
        handle.getResource()->setBlob(
            HeapAsmResourceBlob::allocateAndCopyWithAlign(
                bytes->getBytes(), std::max<size_t>(align, 4),
                /*dataIsMutable=*/true));
        ++numEmbedded;
      });
    });
    if (failedRead)
      return signalPassFailure();
    SmallVector<std::string> oldFiles = getWeightFiles(module);
    module->removeAttr(kWeightFilesAttrName);
    dropUnlistedWeightFiles(module, oldFiles);
  }
};

struct NNExternalWeightLoadsPass
    : public prune::impl::NNExternalWeightLoadsBase<
          NNExternalWeightLoadsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (getWeightFiles(module).empty())
      return;
    MLIRContext *ctx = &getContext();
    // Globals whose value is a blob-less resource (what bufferization made
    // of the constants), and their readers.
    SmallVector<memref::GlobalOp> globals;
    for (auto global : module.getOps<memref::GlobalOp>())
      if (auto r = dyn_cast_or_null<DenseResourceElementsAttr>(
              global.getInitialValueAttr()))
        if (!r.getRawHandle().getBlob())
          globals.push_back(global);
    if (globals.empty())
      return;
    // Only private constants read through memref.get_global become
    // run-time loads (a read-only mapping of the file): anything else would
    // write into it or keep referring to the erased global.
    llvm::DenseMap<StringAttr, SmallVector<memref::GetGlobalOp>> readers;
    module->walk([&](memref::GetGlobalOp op) {
      readers[op.getNameAttr().getAttr()].push_back(op);
    });
    for (memref::GlobalOp global : globals) {
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(global.getSymNameAttr(), module);
      size_t reads = readers.lookup(global.getSymNameAttr()).size();
      if (!global.getConstant() || !global.isPrivate() || !uses ||
          size_t(std::distance(uses->begin(), uses->end())) != reads) {
        global.emitError()
            << "a global whose data is in a weight file must be a private "
               "constant read only through memref.get_global to be loaded "
               "at run time; embed the weights first (nn-embed-weights)";
        return signalPassFailure();
      }
    }
    OpBuilder b(ctx);
    int64_t loadedBytes = 0;
    Type i8 = b.getI8Type(), i64 = b.getI64Type();
    auto bytesType = MemRefType::get({ShapedType::kDynamic}, i8);
    // The run-time entry point.
    StringRef fnName = "prune_rt_weight";
    auto fn = module.lookupSymbol<func::FuncOp>(fnName);
    if (!fn) {
      b.setInsertionPointToStart(module.getBody());
      fn = func::FuncOp::create(
          b, module.getLoc(), fnName,
          b.getFunctionType({bytesType, i64, i64, i64}, {bytesType}));
      fn.setPrivate();
      fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    }
    // One global per file with its path.
    llvm::StringMap<memref::GlobalOp> pathGlobals;
    auto pathGlobal = [&](StringRef path) {
      memref::GlobalOp &global = pathGlobals[path];
      if (global)
        return global;
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto type = MemRefType::get({int64_t(path.size())}, i8);
      std::string name =
          (kPathGlobalPrefix + Twine(pathGlobals.size() - 1)).str();
      auto value = DenseElementsAttr::get(
          RankedTensorType::get({int64_t(path.size())}, i8),
          ArrayRef<char>(path.data(), path.size()));
      global = memref::GlobalOp::create(b, module.getLoc(), name,
                                        b.getStringAttr("private"), type,
                                        value, /*constant=*/true,
                                        /*alignment=*/nullptr);
      return global;
    };
    for (memref::GlobalOp global : globals) {
      auto attr = cast<DenseResourceElementsAttr>(global.getInitialValueAttr());
      MemRefType type = global.getType();
      FailureOr<ExternalTensor> found = findExternalTensor(
          global, attr.getRawHandle().getKey(), attr.getType(),
          global.getLoc());
      if (failed(found))
        return signalPassFailure();
      unsigned eltBytes = tensorDTypeBytes(found->entry.dtype);
      loadedBytes += found->entry.end - found->entry.begin;
      if (found->entry.begin % eltBytes != 0) {
        global.emitError()
            << "tensor '" << found->entry.name << "' of '"
            << found->file->getPath()
            << "' is not aligned to its element size; rewrite the file with "
               "nn-store-weights";
        return signalPassFailure();
      }
      for (memref::GetGlobalOp get : readers.lookup(global.getSymNameAttr())) {
        Location loc = get.getLoc();
        b.setInsertionPoint(get);
        memref::GlobalOp pathG = pathGlobal(found->file->getPath());
        Value path = memref::GetGlobalOp::create(b, loc, pathG.getType(),
                                                 pathG.getSymName());
        path = memref::CastOp::create(b, loc, bytesType, path);
        auto i64c = [&](uint64_t v) -> Value {
          return arith::ConstantIntOp::create(b, loc, i64, int64_t(v));
        };
        Value raw =
            func::CallOp::create(
                b, loc, fn,
                ValueRange{path, i64c(found->entry.begin),
                           i64c(found->entry.end - found->entry.begin),
                           i64c(found->file->getFileSize())})
                .getResult(0);
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        Value view = memref::ViewOp::create(
            b, loc, MemRefType::get(type.getShape(), type.getElementType()),
            raw, zero, ValueRange{});
        if (view.getType() != get.getType())
          view = memref::CastOp::create(b, loc, get.getType(), view);
        get.replaceAllUsesWith(view);
        get.erase();
        ++numLoads;
      }
      global.erase();
    }
    // What the compiled model reads from files (prune-run's "parameters as
    // stored"); survives the conversion to the LLVM dialect.
    module->setAttr(kExternalBytesAttrName,
                    b.getI64IntegerAttr(loadedBytes));
  }
};

} // namespace
