//===- PruneDialect.cpp - The prune dialect -------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "mlir/IR/BuiltinOps.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"
#include "prune-opt/Layout/Layout.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::prune;
namespace kernels = ::pruneopt::kernels;

#include "prune-opt/Dialect/Prune/PruneDialect.cpp.inc"
#include "prune-opt/Dialect/Prune/PruneEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "prune-opt/Dialect/Prune/PruneAttrs.cpp.inc"

void PruneDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "prune-opt/Dialect/Prune/PruneAttrs.cpp.inc"
      >();
}

LogicalResult PruneDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kDecisionAttrName) {
    if (!isa<DecisionAttr>(attr.getValue()))
      return op->emitError() << "'" << name
                             << "' must be a #prune.decision attribute";
    return success();
  }
  if (name == kLayoutAttrName) {
    if (!isa<LayoutAttr>(attr.getValue()))
      return op->emitError() << "'" << name
                             << "' must be a #prune.layout attribute";
    return success();
  }
  if (name == kGpuCallAttrName) {
    if (!isa<GpuCallAttr>(attr.getValue()))
      return op->emitError() << "'" << name
                             << "' must be a #prune.gpu_call attribute";
    return success();
  }
  if (name == kWeightFilesAttrName) {
    auto list = dyn_cast<ArrayAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !list || list.empty() ||
        !llvm::all_of(list, [](Attribute a) {
          auto s = dyn_cast<StringAttr>(a);
          return s && !s.getValue().empty();
        }))
      return op->emitError() << "'" << name
                             << "' must be a non-empty array of file names "
                                "on a builtin.module";
    return success();
  }
  return op->emitError() << "unknown attribute '" << name
                         << "' of the prune dialect (expected '"
                         << kDecisionAttrName << "', '" << kLayoutAttrName
                         << "', '" << kGpuCallAttrName << "' or '"
                         << kWeightFilesAttrName << "')";
}

//===----------------------------------------------------------------------===//
// Parameter parsers and printers
//===----------------------------------------------------------------------===//

FailureOr<llvm::APFloat> mlir::prune::detail::parseDouble(AsmParser &parser) {
  double value = 0;
  if (parser.parseFloat(value))
    return failure();
  return llvm::APFloat(value);
}

void mlir::prune::detail::printDouble(AsmPrinter &printer,
                                      const llvm::APFloat &value) {
  printer.printFloat(value);
}

FailureOr<SmallVector<int64_t>>
mlir::prune::detail::parseIntList(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return parser.parseInteger(values.emplace_back());
      }))
    return failure();
  return values;
}

void mlir::prune::detail::printIntList(AsmPrinter &printer,
                                       ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

FailureOr<kernels::Format> mlir::prune::detail::parseFormat(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  if (parser.parseKeywordOrString(&name))
    return failure();
  kernels::Format format;
  if (!kernels::parseFormat(name.c_str(), format)) {
    InFlightDiagnostic diag = parser.emitError(loc)
                              << "unknown storage format '" << name
                              << "' (formats:";
    for (int i = 0; i < kernels::kNumFormats; ++i)
      diag << " " << kernels::formatName(static_cast<kernels::Format>(i));
    diag << ")";
    return failure();
  }
  return format;
}

void mlir::prune::detail::printFormat(AsmPrinter &printer,
                                      kernels::Format format) {
  printer.printKeywordOrString(kernels::formatName(format));
}

FailureOr<kernels::ValueType>
mlir::prune::detail::parseValueType(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  if (parser.parseKeywordOrString(&name))
    return failure();
  kernels::ValueType type;
  if (!kernels::parseValueType(name.c_str(), type))
    return parser.emitError(loc)
           << "unknown value type '" << name << "' (f32, bf16, f16, i8)";
  return type;
}

void mlir::prune::detail::printValueType(AsmPrinter &printer,
                                         kernels::ValueType type) {
  printer.printKeywordOrString(kernels::valueTypeName(type));
}

//===----------------------------------------------------------------------===//
// DecisionAttr
//===----------------------------------------------------------------------===//

LogicalResult
DecisionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     StringRef name, Criterion criterion, PrunePattern pattern,
                     int64_t n, int64_t m, int64_t blockRows,
                     int64_t blockCols, Scope scope, Refit refit,
                     llvm::APFloat sparsityValue, int64_t zeros,
                     int64_t elements, int64_t predictedBytes,
                     int64_t predictedNs, kernels::ValueType valueType) {
  if (&sparsityValue.getSemantics() != &llvm::APFloat::IEEEdouble())
    return emitError() << "sparsity must be an f64";
  double sparsity = sparsityValue.convertToDouble();
  if (!(sparsity >= 0.0 && sparsity <= 1.0))
    return emitError() << "sparsity must be in [0, 1], got " << sparsity;
  if (elements < 0 || zeros < 0 || zeros > elements)
    return emitError() << "expected 0 <= zeros <= elements, got zeros = "
                       << zeros << ", elements = " << elements;
  if (predictedBytes < 0 || predictedNs < 0)
    return emitError() << "predicted_bytes and predicted_ns must be >= 0";
  bool isNM = pattern == PrunePattern::NM;
  if (isNM && !(n >= 0 && n < m))
    return emitError() << "pattern nm needs 0 <= n < m, got n = " << n
                       << ", m = " << m;
  if (!isNM && (n != 0 || m != 0))
    return emitError() << "n and m are for pattern nm only";
  bool isBlock = pattern == PrunePattern::Block;
  if (isBlock && !(blockRows > 0 && blockCols > 0))
    return emitError() << "pattern block needs block_rows > 0 and "
                          "block_cols > 0";
  if (!isBlock && (blockRows != 0 || blockCols != 0))
    return emitError() << "block_rows and block_cols are for pattern block "
                          "only";
  return success();
}

double DecisionAttr::getAchievedSparsity() const {
  return getElements() > 0 ? double(getZeros()) / double(getElements()) : 0.0;
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 kernels::Format format,
                                 kernels::ValueType valueType, Target target,
                                 BatchRegime regime, int64_t batch,
                                 int64_t blockRows, int64_t blockCols,
                                 int64_t n, int64_t m, int64_t indexBits,
                                 int64_t bytes, DictionaryAttr costs) {
  if (!kernels::isSelectable(format))
    return emitError() << "format '" << kernels::formatName(format)
                       << "' is a materialized layout, not a choice (csr-tiled"
                          " is csr with regime = batched)";
  if (regime == BatchRegime::Batched &&
      !llvm::is_contained({kernels::Format::CSR, kernels::Format::WindowCSR,
                           kernels::Format::Bitmask, kernels::Format::NM},
                          format))
    return emitError() << "format '" << kernels::formatName(format)
                       << "' has no batched regime (csr, csr-window, bitmask "
                          "and nm do)";
  if (target == Target::Gpu && !layout::hasGpuKernel(format))
    return emitError() << "format '" << kernels::formatName(format)
                       << "' has no GPU kernels (target = gpu: dense, csr, "
                          "bsr and nm)";
  if (target == Target::Gpu && valueType != kernels::ValueType::F32)
    return emitError() << "target = gpu has no value type but f32 (the GPU "
                          "kernels read f32 values)";
  if (target == Target::Gpu && regime == BatchRegime::Batched)
    return emitError() << "target = gpu has no batched regime (the GPU "
                          "kernels run csr, bsr and nm as they are at every "
                          "batch)";
  if (batch < 1)
    return emitError() << "batch must be >= 1, got " << batch;
  bool isBSR = format == kernels::Format::BSR;
  if (isBSR != (blockRows > 0 && blockCols > 0) || blockRows < 0 ||
      blockCols < 0)
    return emitError() << "block_rows and block_cols (both > 0) go with format "
                          "bsr, and only with it";
  bool isNM = format == kernels::Format::NM;
  if (isNM ? !(n >= 0 && n < m) : (n != 0 || m != 0))
    return emitError() << "n and m (0 <= n < m) go with format nm, and only "
                          "with it";
  if (!llvm::is_contained({0, 1, 2, 8, 16, 32, 64}, indexBits))
    return emitError() << "index_bits must be one of 0, 1, 2, 8, 16, 32, 64, "
                          "got "
                       << indexBits;
  if (bytes < 0)
    return emitError() << "bytes must be >= 0";
  if (costs)
    for (NamedAttribute cost : costs) {
      kernels::Format f;
      if (!kernels::parseFormat(cost.getName().str().c_str(), f))
        return emitError() << "costs: '" << cost.getName().getValue()
                           << "' is not a storage format";
      if (!isa<FloatAttr>(cost.getValue()))
        return emitError() << "costs: the cost of '"
                           << cost.getName().getValue()
                           << "' must be a float (ns)";
    }
  return success();
}

kernels::Format LayoutAttr::getMaterializedFormat() const {
  return getRegime() == BatchRegime::Batched ? kernels::Format::TiledCSR
                                             : getFormat();
}

std::string LayoutAttr::getIndexName() const {
  switch (getMaterializedFormat()) {
  case kernels::Format::Dense:
    return "-";
  case kernels::Format::TiledCSR:
    return "u8-tiled"; // u8 columns within 256x256 tiles
  case kernels::Format::WindowCSR:
    return "u8-window"; // u8 columns within 32-column windows
  case kernels::Format::Bitmask:
    return "1-bit";
  case kernels::Format::NM:
    return getIndexBits() == 2 ? "2-bit" : "u8";
  case kernels::Format::CSR:
  case kernels::Format::BSR:
    break;
  }
  switch (getIndexBits()) {
  case 0:
    return "-";
  case 32:
  case 64:
    return "i" + std::to_string(getIndexBits());
  default:
    return "u" + std::to_string(getIndexBits());
  }
}

std::optional<double> LayoutAttr::getCost(kernels::Format format) const {
  if (!getCosts())
    return std::nullopt;
  if (auto cost = getCosts().getAs<FloatAttr>(kernels::formatName(format)))
    return cost.getValueAsDouble();
  return std::nullopt;
}

LogicalResult GpuCallAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef layout, int64_t rows, int64_t cols,
                                  int64_t batch, int64_t flags, bool bias,
                                  ArrayRef<int64_t> arrayBytes,
                                  ArrayRef<int64_t> scalars) {
  if (!llvm::is_contained(pruneopt::gpu::gpuLayouts(), layout.str()))
    return emitError() << "unknown GPU layout '" << layout << "'";
  if (rows <= 0 || cols <= 0 || batch <= 0)
    return emitError() << "rows, cols and batch must be > 0";
  if (flags < 0 || flags > 3)
    return emitError() << "flags must be in [0, 3] (accumulate | relu)";
  if (arrayBytes.empty() || arrayBytes.size() > 3 ||
      llvm::any_of(arrayBytes, [](int64_t b) { return b < 0; }))
    return emitError() << "array_bytes must hold 1 to 3 sizes >= 0";
  if (scalars.size() > 2)
    return emitError() << "at most 2 scalars";
  // The sparse tensor core kernel reads its arrays by the shape alone: they
  // must be the packer's sizes (GpuPlan.h).
  if (pruneopt::gpu::isSptcLayout(layout.str())) {
    int64_t values = pruneopt::gpu::sptcValueWords(rows, cols) * 4,
            meta = pruneopt::gpu::sptcMetaWords(rows, cols) * 4;
    if (arrayBytes.size() != 2 || arrayBytes[0] != values ||
        arrayBytes[1] != meta)
      return emitError() << "layout '" << layout << "' of " << rows << "x"
                         << cols << " needs array_bytes = [" << values << ", "
                         << meta << "] (values, metadata)";
    if (!scalars.empty())
      return emitError() << "layout '" << layout << "' takes no scalars";
  }
  return success();
}
