//===- Report.cpp - The nn-report pass ------------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/Format.h"
#include "prune-opt/Utils/SafeOutput.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNREPORT
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

namespace {
struct Row {
  std::string name, id, location, consumers, shape, elementType;
  std::string criterion, pattern, format = "dense", valueType = "f32";
  std::optional<int64_t> n, m;
  std::string block;
  std::string patternText() const {
    if (pattern.empty())
      return "-";
    if (n)
      return llvm::formatv("{0} {1}:{2}", pattern, *n, *m).str();
    if (!block.empty())
      return pattern + " " + block;
    return pattern;
  }
  std::optional<double> target;
  int64_t elements = 0, zeros = 0;
  std::optional<unsigned> posWidth, crdWidth;
  std::string kernelIndex;            // index of the kernel format
  std::optional<int64_t> kernelBytes; // what the kernel reads for W
  int64_t bytesDense = 0, bytesStored = 0, bytesIR = 0;
  int64_t flopsDense = 0, flopsExecuted = 0;
  double sparsity() const { return elements ? double(zeros) / elements : 0; }
  /// Bytes stored per weight (values, indices, scales).
  double bytesPerWeight() const {
    return elements ? double(bytesStored) / elements : 0;
  }
};
} // namespace

static std::string formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                         file.getLine(), file.getColumn())
        .str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}

static std::string shapeString(ShapedType type) {
  std::string s;
  for (int64_t d : type.getShape())
    s += std::to_string(d) + "x";
  if (!s.empty())
    s.pop_back();
  return s;
}

static std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

static int64_t bytesOf(ShapedType type) {
  Type elt = type.getElementType();
  int64_t bits = elt.isIndex() ? 64 : elt.getIntOrFloatBitWidth();
  return type.getNumElements() * ((bits + 7) / 8);
}

static int64_t flopsOf(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return 0;
  int64_t flops = 2;
  for (int64_t r : linalgOp.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(r))
      return 0;
    flops *= r;
  }
  return flops;
}

/// Sums over all rows, shared by the table and the JSON.
struct Totals {
  int64_t bytes = 0, stored = 0, flops = 0, executed = 0, elements = 0,
          zeros = 0, pruned = 0;
  explicit Totals(ArrayRef<Row> rows) {
    for (const Row &r : rows) {
      bytes += r.bytesDense;
      stored += r.bytesStored;
      flops += r.flopsDense;
      executed += r.flopsExecuted;
      elements += r.elements;
      zeros += r.zeros;
      pruned += !r.criterion.empty();
    }
  }
};

static void readDecision(DecisionAttr d, LayoutAttr layout, Row &row) {
  if (d) {
    row.name = d.getName().str();
    row.criterion = stringifyCriterion(d.getCriterion()).str();
    row.pattern = stringifyPrunePattern(d.getPattern()).str();
    if (d.getPattern() == PrunePattern::NM) {
      row.n = d.getN();
      row.m = d.getM();
    }
    if (d.getPattern() == PrunePattern::Block)
      row.block = llvm::formatv("{0}x{1}", d.getBlockRows(), d.getBlockCols());
    row.target = d.getTargetSparsity();
    row.zeros = d.getZeros();
  }
  if (layout) {
    row.format = ::pruneopt::kernels::formatName(layout.getFormat());
    row.valueType = ::pruneopt::kernels::valueTypeName(layout.getValueType());
    if (layout.getBytes() > 0) {
      row.kernelBytes = layout.getBytes();
      row.kernelIndex = layout.getIndexName();
    }
  }
}

static std::string humanCount(int64_t n) {
  if (n >= 1000000)
    return llvm::formatv("{0:F2}M", n / 1e6).str();
  if (n >= 1000)
    return llvm::formatv("{0:F1}K", n / 1e3).str();
  return std::to_string(n);
}

namespace {
struct NNReportPass : public prune::impl::NNReportBase<NNReportPass> {
  using Base::Base;
  PRUNE_OPT_CHECKED_OPTIONS("nn-report")

  void runOnOperation() override {
    std::vector<Row> rows;
    // Weights still held as constants (dense, pruned or not).
    auto &analysis = getAnalysis<WeightAnalysis>();
    for (const WeightInfo &w : analysis.getWeights()) {
      Row row;
      row.name = w.name;
      row.id = w.idString();
      row.location = formatLocation(w.constOp->getLoc());
      row.shape = shapeString(w.type);
      row.elementType = typeString(w.type.getElementType());
      row.elements = w.numElements();
      row.bytesDense = row.bytesStored = row.bytesIR = bytesOf(w.type);
      SmallVector<std::string> consumers;
      for (const WeightUse &use : w.uses) {
        consumers.push_back(use.consumer->getName().getStringRef().str());
        row.flopsDense += std::max<int64_t>(use.denseFlops, 0);
      }
      row.consumers = llvm::join(consumers, ",");
      row.flopsExecuted = row.flopsDense;
      if (DecisionAttr d = getDecision(w.constOp)) {
        readDecision(d, getLayout(w.constOp), row);
        row.format = "dense"; // still a dense constant
        // With narrower values the kernel reads its packed panels.
        if (row.valueType != "f32" && row.kernelBytes)
          row.bytesStored = *row.kernelBytes;
      } else if (w.hasData() &&
                 isSupportedWeightElementType(w.type.getElementType())) {
        if (auto values = readWeight(w.value, w.constOp);
            succeeded(values))
          row.zeros = llvm::count(*values, 0.0);
      }
      rows.push_back(std::move(row));
    }
    // Weights nn-sparsify compressed.
    getOperation().walk([&](sparse_tensor::AssembleOp op) {
      DecisionAttr d = getDecision(op);
      LayoutAttr layout = getLayout(op);
      if (!d && !layout)
        return;
      Row row;
      readDecision(d, layout, row);
      auto type = cast<RankedTensorType>(op.getType());
      row.location = formatLocation(op->getLoc());
      row.shape = shapeString(type);
      row.elementType = typeString(type.getElementType());
      row.elements = type.getNumElements();
      row.bytesDense = bytesOf(type);
      for (Value v : op->getOperands())
        row.bytesIR += bytesOf(cast<ShapedType>(v.getType()));
      // The compiled model keeps the kernel's packed arrays, not these.
      row.bytesStored = row.kernelBytes ? *row.kernelBytes : row.bytesIR;
      auto enc = sparse_tensor::getSparseTensorEncoding(type);
      row.posWidth = enc.getPosWidth() ? enc.getPosWidth() : 64;
      row.crdWidth = enc.getCrdWidth() ? enc.getCrdWidth() : 64;
      int64_t nnz = cast<ShapedType>(op.getValues().getType()).getNumElements();
      row.zeros = row.elements - nnz;
      SmallVector<std::string> consumers;
      for (Operation *user : op->getUsers()) {
        consumers.push_back(user->getName().getStringRef().str());
        int64_t f = flopsOf(user);
        row.flopsDense += f;
        row.flopsExecuted += row.elements ? f * nnz / row.elements : 0;
      }
      row.consumers = llvm::join(consumers, ",");
      rows.push_back(std::move(row));
    });

    if (table)
      printTable(rows, llvm::errs());
    if (!jsonFile.empty() && failed(writeJson(rows)))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }

  void printTable(ArrayRef<Row> rows, llvm::raw_ostream &os) {
    os << llvm::formatv("{0,-36} {1,-24} {2,-12} {3,-16} {4,7} {5,7} {6,-10} "
                        "{7,-4} {8,-9} {9,10} {10,10} {11,5} {12,9} {13,9}\n",
                        "weight", "consumer", "shape", "pattern", "target",
                        "actual", "format", "vals", "idx", "bytes", "stored",
                        "B/w", "MFLOP", "executed");
    for (const Row &r : rows) {
      std::string target = r.target ? llvm::formatv("{0:P1}", *r.target).str()
                                    : std::string("-");
      std::string idx =
          !r.kernelIndex.empty() ? r.kernelIndex
          : r.crdWidth
              ? llvm::formatv("{0}/{1}", *r.posWidth, *r.crdWidth).str()
              : std::string("-");
      os << llvm::formatv(
          "{0,-36} {1,-24} {2,-12} {3,-16} {4,7} {5,7:P1} {6,-10} {7,-4} "
          "{8,-9} {9,10} {10,10} {11,5:F2} {12,9:F3} {13,9:F3}\n",
          r.name, r.consumers, r.shape, r.patternText(), target, r.sparsity(),
          r.format, r.valueType, idx,
          formatBytes(r.bytesDense, /*compact=*/true),
          formatBytes(r.bytesStored, /*compact=*/true), r.bytesPerWeight(),
          r.flopsDense / 1e6, r.flopsExecuted / 1e6);
    }
    Totals t(rows);
    os << llvm::formatv(
        "total: {0} weights, {1} parameters, {2:P1} zero; {3} -> {4} "
        "({5:F2}x smaller); {6:F3} -> {7:F3} MFLOP\n",
        rows.size(), humanCount(t.elements),
        t.elements ? double(t.zeros) / t.elements : 0.0,
        formatBytes(t.bytes, /*compact=*/true),
        formatBytes(t.stored, /*compact=*/true),
        t.stored ? double(t.bytes) / t.stored : 0.0, t.flops / 1e6,
        t.executed / 1e6);
  }

  LogicalResult writeJson(ArrayRef<Row> rows) {
    llvm::Error err = writeFileSafely(jsonFile, [&](llvm::raw_ostream &file) {
      llvm::json::OStream j(file, 2);
      Totals t(rows);
      j.object([&] {
        j.attribute("version", 1);
        j.attributeArray("weights", [&] {
          for (const Row &r : rows) {
            j.object([&] {
              j.attribute("name", r.name);
              j.attribute("id", r.id.empty() ? llvm::json::Value(nullptr)
                                             : llvm::json::Value(r.id));
              j.attribute("location", r.location);
              j.attribute("consumers", r.consumers);
              j.attribute("shape", r.shape);
              j.attribute("element_type", r.elementType);
              auto orNull = [](const std::string &s) {
                return s.empty() ? llvm::json::Value(nullptr)
                                 : llvm::json::Value(s);
              };
              j.attribute("criterion", orNull(r.criterion));
              j.attribute("pattern", orNull(r.pattern));
              if (r.n) {
                j.attribute("n", *r.n);
                j.attribute("m", *r.m);
              }
              if (!r.block.empty())
                j.attribute("block", r.block);
              j.attribute("target_sparsity", r.target
                                                 ? llvm::json::Value(*r.target)
                                                 : llvm::json::Value(nullptr));
              j.attribute("elements", r.elements);
              j.attribute("zeros", r.zeros);
              j.attribute("sparsity", r.sparsity());
              j.attribute("format", r.format);
              j.attribute("value_type", r.valueType);
              j.attribute("bytes_per_weight", r.bytesPerWeight());
              j.attribute("pos_width", r.posWidth
                                           ? llvm::json::Value(*r.posWidth)
                                           : llvm::json::Value(nullptr));
              j.attribute("crd_width", r.crdWidth
                                           ? llvm::json::Value(*r.crdWidth)
                                           : llvm::json::Value(nullptr));
              j.attribute("kernel_index", orNull(r.kernelIndex));
              j.attribute("bytes_dense", r.bytesDense);
              j.attribute("bytes_ir", r.bytesIR);
              j.attribute("bytes_stored", r.bytesStored);
              j.attribute("flops_dense", r.flopsDense);
              j.attribute("flops_executed", r.flopsExecuted);
            });
          }
        });
        j.attributeObject("totals", [&] {
          j.attribute("weights", int64_t(rows.size()));
          j.attribute("pruned", t.pruned);
          j.attribute("elements", t.elements);
          j.attribute("zeros", t.zeros);
          j.attribute("bytes_dense", t.bytes);
          j.attribute("bytes_stored", t.stored);
          j.attribute("flops_dense", t.flops);
          j.attribute("flops_executed", t.executed);
        });
      });
      file << "\n";
      return llvm::Error::success();
    });
    if (err)
      return emitError(getOperation().getLoc())
             << "nn-report: " << llvm::toString(std::move(err));
    return success();
  }
};
} // namespace
