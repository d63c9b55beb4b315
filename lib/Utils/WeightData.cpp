//===- WeightData.cpp - Read and write weight constants -------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/WeightData.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>
#include <sys/mman.h>

using namespace mlir;
using namespace mlir::prune;

bool mlir::prune::isSupportedWeightElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

FailureOr<WeightBytes> mlir::prune::getRawWeightBytes(ElementsAttr attr,
                                                      Operation *owner) {
  Location loc = owner->getLoc();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return WeightBytes(dense.getRawData());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    DenseResourceElementsHandle handle = resource.getRawHandle();
    AsmResourceBlob *blob = handle.getBlob();
    if (blob)
      return WeightBytes(blob->getData());
    if (getWeightFiles(owner).empty())
      return emitError(loc) << "weight data is missing: resource '"
                            << handle.getKey()
                            << "' has no blob (elided or absent from the "
                               "file's dialect_resources) and the module "
                               "names no weight files ('"
                            << kWeightFilesAttrName << "')";
    return readExternalWeight(resource, owner, loc);
  }
  return emitError(loc) << "unsupported weight attribute kind "
                        << attr.getType();
}

double mlir::prune::halfBitsToDouble(uint16_t bits, bool bf16) {
  llvm::APFloat v(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                  llvm::APInt(16, bits));
  return v.convertToDouble();
}

uint16_t mlir::prune::doubleToHalfBits(double value, bool bf16) {
  llvm::APFloat v(value);
  bool losesInfo;
  v.convert(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
            llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return v.bitcastToAPInt().getZExtValue();
}

static double loadElement(const char *p, Type elt) {
  if (elt.isF32()) {
    float f;
    std::memcpy(&f, p, sizeof(f));
    return f;
  }
  if (elt.isF64()) {
    double d;
    std::memcpy(&d, p, sizeof(d));
    return d;
  }
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return halfBitsToDouble(bits, elt.isBF16());
}

static void storeElement(char *p, Type elt, double value) {
  if (elt.isF32()) {
    float f = static_cast<float>(value);
    std::memcpy(p, &f, sizeof(f));
    return;
  }
  if (elt.isF64()) {
    std::memcpy(p, &value, sizeof(value));
    return;
  }
  uint16_t bits = doubleToHalfBits(value, elt.isBF16());
  std::memcpy(p, &bits, sizeof(bits));
}

FailureOr<std::vector<double>> mlir::prune::readWeight(ElementsAttr attr,
                                                       Operation *owner) {
  Location loc = owner->getLoc();
  auto type = cast<ShapedType>(attr.getType());
  Type elt = type.getElementType();
  if (!isSupportedWeightElementType(elt))
    return emitError(loc) << "unsupported weight element type " << elt
                          << " (expected f16, bf16, f32 or f64)";
  FailureOr<WeightBytes> bytes = getRawWeightBytes(attr, owner);
  if (failed(bytes))
    return failure();
  int64_t n = type.getNumElements();
  size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  bool splat = false;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    splat = dense.isSplat();
  if (!splat && bytes->size() != static_cast<size_t>(n) * eltBytes)
    return emitError(loc) << "weight data has " << bytes->size()
                          << " bytes, expected " << n * eltBytes << " for "
                          << type;
  std::vector<double> values(n);
  const char *data = bytes->data();
  if (splat) {
    std::fill(values.begin(), values.end(), loadElement(data, elt));
  } else if (elt.isF32()) {
    const float *f = reinterpret_cast<const float *>(data);
    if (reinterpret_cast<uintptr_t>(data) % alignof(float) == 0)
      std::copy(f, f + n, values.begin());
    else
      for (int64_t i = 0; i < n; ++i)
        values[i] = loadElement(data + i * eltBytes, elt);
  } else {
    for (int64_t i = 0; i < n; ++i)
      values[i] = loadElement(data + i * eltBytes, elt);
  }
  return values;
}

ElementsAttr mlir::prune::writeWeight(RankedTensorType type,
                                      ArrayRef<double> values,
                                      StringRef blobName,
                                      WeightWriter *writer) {
  if (writer && writer->isExternal())
    return writer->writeFloats(type, values, blobName);
  Type elt = type.getElementType();
  size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      values.size() * eltBytes, /*align=*/std::max<size_t>(eltBytes, 4),
      /*dataIsMutable=*/true);
  char *data = blob.getMutableData().data();
  if (elt.isF32()) {
    float *f = reinterpret_cast<float *>(data); // aligned to 4 above
    for (size_t i = 0; i < values.size(); ++i)
      f[i] = static_cast<float>(values[i]);
  } else {
    for (size_t i = 0; i < values.size(); ++i)
      storeElement(data + i * eltBytes, elt, values[i]);
  }
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

ElementsAttr mlir::prune::writeWeightReusing(ElementsAttr current,
                                            RankedTensorType type,
                                            ArrayRef<double> values,
                                            StringRef blobName,
                                            WeightWriter *writer) {
  if (writer && writer->isExternal())
    return writer->writeFloats(type, values, blobName);
  auto resource = dyn_cast<DenseResourceElementsAttr>(current);
  if (!resource || resource.getType() != type ||
      resource.getRawHandle().getKey() != blobName)
    return writeWeight(type, values, blobName);
  // Rewrite the blob this pass created before (keeps its name stable when
  // pruning runs again): in place when it is ours to write.
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  Type elt = type.getElementType();
  size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  if (!blob || !blob->isMutable() ||
      blob->getData().size() != values.size() * eltBytes) {
    ElementsAttr fresh = writeWeight(type, values, blobName);
    AsmResourceBlob *freshBlob =
        cast<DenseResourceElementsAttr>(fresh).getRawHandle().getBlob();
    resource.getRawHandle().getResource()->setBlob(std::move(*freshBlob));
    return resource;
  }
  char *data = blob->getMutableData().data();
  for (size_t i = 0; i < values.size(); ++i)
    storeElement(data + i * eltBytes, elt, values[i]);
  return resource;
}

void mlir::prune::releaseBlob(DenseResourceElementsHandle handle) {
  AsmResourceBlob *blob = handle.getBlob();
  if (!blob)
    return;
  ArrayRef<char> data = blob->getData();
#ifdef MADV_PAGEOUT
  // Only memory the blob does not own (a mapping of the input file, as the
  // bytecode reader makes) is given back: the kernel drops its pages and
  // reads them again if anyone looks. MADV_PAGEOUT never changes contents
  // (anonymous pages without swap just stay). Heap blobs stay as they are:
  // another module of the context (a clone) may still read them.
  if (!blob->isMutable() && data.size() >= (1 << 16)) {
    uintptr_t page = 4096;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(data.data()) + page - 1) &
                      ~(page - 1);
    uintptr_t end =
        (reinterpret_cast<uintptr_t>(data.data()) + data.size()) & ~(page - 1);
    if (end > begin)
      (void)madvise(reinterpret_cast<void *>(begin), end - begin,
                    MADV_PAGEOUT);
  }
#endif
}

void mlir::prune::releaseUnreferencedBlobs(
    Operation *root, ArrayRef<DenseResourceElementsHandle> candidates) {
  if (candidates.empty())
    return;
  llvm::DenseSet<void *> referenced;
  root->walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
      referenced.insert(attr.getRawHandle().getResource());
    });
  });
  for (DenseResourceElementsHandle handle : candidates)
    if (!referenced.contains(handle.getResource()))
      releaseBlob(handle);
}

ElementsAttr mlir::prune::writeIntArray(MLIRContext *ctx, unsigned bitWidth,
                                        bool isIndex, ArrayRef<int64_t> values,
                                        StringRef blobName,
                                        WeightWriter *writer) {
  if (writer && writer->isExternal())
    return writer->writeInts(bitWidth, isIndex, values, blobName);
  Type elt = isIndex ? Type(IndexType::get(ctx))
                     : Type(IntegerType::get(ctx, bitWidth));
  unsigned storeBits = isIndex ? 64 : bitWidth;
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, elt);
  size_t eltBytes = storeBits / 8;
  std::vector<char> bytes(std::max<size_t>(values.size() * eltBytes, 1));
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t v = static_cast<uint64_t>(values[i]);
    std::memcpy(bytes.data() + i * eltBytes, &v, eltBytes); // little endian
  }
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(bytes.data(), values.size() * eltBytes),
      std::max<size_t>(eltBytes, 4));
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

ElementsAttr mlir::prune::getConstantValue(Operation *op) {
  if (auto cst = dyn_cast<arith::ConstantOp>(op))
    return dyn_cast<ElementsAttr>(cst.getValue());
  if (auto cst = dyn_cast<tosa::ConstOp>(op))
    return cst.getValuesAttr();
  return nullptr;
}

void mlir::prune::setConstantValue(Operation *op, ElementsAttr value) {
  if (auto cst = dyn_cast<arith::ConstantOp>(op))
    return cst.setValueAttr(cast<TypedAttr>(value));
  if (auto cst = dyn_cast<tosa::ConstOp>(op))
    return cst.setValuesAttr(value);
  llvm_unreachable("not a weight-defining op");
}

std::vector<double> mlir::prune::permuteDims(ArrayRef<double> values,
                                             ArrayRef<int64_t> shape,
                                             ArrayRef<int64_t> order) {
  size_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1), outShape;
  for (int64_t d = int64_t(rank) - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  for (int64_t d : order)
    outShape.push_back(shape[d]);
  std::vector<double> out(values.size());
  if (rank == 2 && order[0] == 1 && order[1] == 0) {
    // A transpose, in 8 x 8 tiles: eight cache lines each side. (64 x 64
    // tiles took 12-13 ns per element at 2048 x 5632 against 1.2-2.5: with
    // a row stride of a multiple of 4 KB the tile's 64 lines of one side
    // share an L1 set of 12 ways, and every access missed.)
    int64_t rows = shape[0], cols = shape[1];
    constexpr int64_t kTile = 8;
    for (int64_t r0 = 0; r0 < rows; r0 += kTile)
      for (int64_t c0 = 0; c0 < cols; c0 += kTile)
        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c)
          for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
            out[c * rows + r] = values[r * cols + c];
    return out;
  }
  SmallVector<int64_t> idx(rank, 0);
  for (size_t linear = 0; linear < out.size(); ++linear) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i)
      src += idx[i] * inStrides[order[i]];
    out[linear] = values[src];
    for (int64_t i = int64_t(rank) - 1; i >= 0; --i) {
      if (++idx[i] < outShape[i])
        break;
      idx[i] = 0;
    }
  }
  return out;
}

LogicalResult
mlir::prune::checkResourceBlobAlignments(const llvm::MemoryBuffer &input,
                                         llvm::raw_ostream &os) {
  if (isBytecode(input.getMemBufferRef()))
    return success();
  StringRef text = input.getBuffer();
  size_t metadata = text.find("{-#");
  if (metadata == StringRef::npos)
    return success();
  // An entry `key: "0x00000000<data>"`; an empty blob is not allocated.
  constexpr StringRef kZeroAligned = "\"0x00000000";
  for (size_t pos = text.find(kZeroAligned, metadata); pos != StringRef::npos;
       pos = text.find(kZeroAligned, pos + 1)) {
    size_t data = pos + kZeroAligned.size();
    if (data >= text.size() || !llvm::isHexDigit(text[data]))
      continue;
    StringRef before = text.take_front(pos).rtrim();
    if (!before.consume_back(":"))
      continue;
    before = before.rtrim();
    size_t keyStart = before.size();
    while (keyStart > 0 && (llvm::isAlnum(before[keyStart - 1]) ||
                            StringRef("_.$-").contains(before[keyStart - 1])))
      --keyStart;
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBuffer(input.getMemBufferRef(),
                                         /*RequiresNullTerminator=*/false),
        llvm::SMLoc());
    sourceMgr.PrintMessage(
        os, llvm::SMLoc::getFromPointer(text.data() + pos),
        llvm::SourceMgr::DK_Error,
        "resource blob '" + before.drop_front(keyStart) +
            "' declares alignment 0 in its first four bytes (a blob's "
            "alignment is a power of two; MLIR 22's parser aborts on 0)");
    return failure();
  }
  return success();
}
