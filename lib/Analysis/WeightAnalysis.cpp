//===- WeightAnalysis.cpp - Find the prunable weights of a model ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"

#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "nn-weight-analysis"

using namespace mlir;
using namespace mlir::prune;

StringRef mlir::prune::stringifyDimRole(DimRole role) {
  switch (role) {
  case DimRole::Output:
    return "output";
  case DimRole::Reduction:
    return "reduction";
  case DimRole::Batch:
    return "batch";
  case DimRole::Mixed:
    return "mixed";
  }
  llvm_unreachable("unknown role");
}

bool WeightUse::isDirectView() const {
  return llvm::none_of(viewChain, [](Operation *op) {
    return isa<linalg::BroadcastOp, func::CallOp>(op);
  });
}

SmallVector<DimRole> WeightInfo::roles() const {
  SmallVector<DimRole> merged;
  for (const WeightUse &use : uses) {
    if (merged.empty()) {
      merged = use.weightRoles;
      continue;
    }
    for (auto [m, r] : llvm::zip(merged, use.weightRoles))
      if (m != r)
        m = DimRole::Mixed;
  }
  return merged;
}

bool WeightInfo::hasData() const {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return resource.getRawHandle().getBlob() != nullptr;
  return true;
}

bool WeightInfo::matches(StringRef pattern) const {
  if (pattern.empty())
    return false;
  if (pattern == name || pattern == idString())
    return true;
  if (StringRef(name).contains(pattern))
    return true;
  std::string loc;
  llvm::raw_string_ostream os(loc);
  constOp->getLoc().print(os);
  if (StringRef(loc).contains(pattern))
    return true;
  return llvm::any_of(uses, [&](const WeightUse &use) {
    return use.consumer->getName().getStringRef() == pattern;
  });
}

/// True if the payload of `op` multiplies two of its inputs (a mul-add
/// contraction), which excludes pooling.
static bool hasMultiplyBody(linalg::LinalgOp op) {
  bool found = false;
  op->walk([&](Operation *inner) {
    if (isa<arith::MulFOp, arith::MulIOp>(inner))
      found = true;
  });
  return found;
}

bool WeightAnalysis::isContraction(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics())
    return false;
  if (isa<linalg::PoolingNchwSumOp, linalg::PoolingNhwcSumOp,
          linalg::PoolingNchwMaxOp, linalg::PoolingNhwcMaxOp>(op))
    return false;
  if (linalg::isaContractionOpInterface(linalgOp))
    return true;
  if (linalg::isaConvolutionOpInterface(linalgOp) && hasMultiplyBody(linalgOp))
    return true;
  // Contraction-shaped generics the interface check misses (e.g. more than
  // one reduction): has a reduction loop and multiplies inputs.
  return linalgOp.getNumReductionLoops() > 0 && linalgOp.getNumDpsInputs() == 2 &&
         hasMultiplyBody(linalgOp);
}

/// Roles of the dims of `operand` (an input of the contraction `op`).
static SmallVector<DimRole> computeOperandRoles(linalg::LinalgOp op,
                                                OpOperand &operand) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  llvm::SmallBitVector usedByOthers(op.getNumLoops());
  for (OpOperand *other : op.getDpsInputOperands()) {
    if (other == &operand)
      continue;
    AffineMap otherMap = op.getMatchingIndexingMap(other);
    for (unsigned l = 0; l < op.getNumLoops(); ++l)
      if (otherMap.isFunctionOfDim(l))
        usedByOthers.set(l);
  }
  SmallVector<DimRole> roles;
  for (AffineExpr expr : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim) {
      roles.push_back(DimRole::Mixed);
      continue;
    }
    unsigned l = dim.getPosition();
    if (iters[l] == utils::IteratorType::reduction)
      roles.push_back(DimRole::Reduction);
    else if (usedByOthers.test(l))
      roles.push_back(DimRole::Batch);
    else
      roles.push_back(DimRole::Output);
  }
  return roles;
}

static DimRole mergeRoles(ArrayRef<DimRole> roles, ArrayRef<int64_t> sizes) {
  std::optional<DimRole> merged;
  for (auto [role, size] : llvm::zip(roles, sizes)) {
    if (size == 1 && roles.size() > 1)
      continue; // unit dims carry no data
    if (!merged)
      merged = role;
    else if (*merged != role)
      return DimRole::Mixed;
  }
  return merged.value_or(roles.empty() ? DimRole::Mixed : roles.front());
}

/// Maps roles of the result of a view op back to the roles of its source.
static SmallVector<DimRole> rolesThroughView(Operation *view,
                                             ArrayRef<DimRole> resultRoles) {
  if (auto transpose = dyn_cast<linalg::TransposeOp>(view)) {
    SmallVector<DimRole> in(resultRoles.size());
    for (auto [i, p] : llvm::enumerate(transpose.getPermutation()))
      in[p] = resultRoles[i];
    return in;
  }
  if (auto broadcast = dyn_cast<linalg::BroadcastOp>(view)) {
    SmallVector<DimRole> in;
    ArrayRef<int64_t> added = broadcast.getDimensions();
    for (auto [i, role] : llvm::enumerate(resultRoles))
      if (!llvm::is_contained(added, static_cast<int64_t>(i)))
        in.push_back(role);
    return in;
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(view)) {
    SmallVector<DimRole> in(collapse.getSrcType().getRank());
    for (auto [g, group] : llvm::enumerate(collapse.getReassociationIndices()))
      for (int64_t d : group)
        in[d] = resultRoles[g];
    return in;
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(view)) {
    SmallVector<DimRole> in;
    ArrayRef<int64_t> shape = expand.getResultType().getShape();
    for (const auto &group : expand.getReassociationIndices()) {
      SmallVector<DimRole> roles;
      SmallVector<int64_t> sizes;
      for (int64_t d : group) {
        roles.push_back(resultRoles[d]);
        sizes.push_back(shape[d]);
      }
      in.push_back(mergeRoles(roles, sizes));
    }
    return in;
  }
  // tensor.cast and func.call keep the dims.
  return SmallVector<DimRole>(resultRoles);
}

namespace {
/// A constant reached from a consumer operand, with the ops in between
/// (consumer side first).
struct TraceResult {
  Operation *constOp;
  SmallVector<Operation *> chain;
};
} // namespace

static void traceToConstants(Value value, SmallVector<Operation *> chain,
                             SmallVectorImpl<TraceResult> &results,
                             unsigned depth = 0) {
  if (depth > 32)
    return;
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func || !func.isPrivate() || arg.getOwner() != &func.front())
      return;
    Operation *symbolTableOp = SymbolTable::getNearestSymbolTable(
        func->getParentOp() ? func->getParentOp() : func.getOperation());
    auto uses = SymbolTable::getSymbolUses(func, symbolTableOp);
    if (!uses)
      return;
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call)
        return; // address taken: unknown callers
    }
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = cast<func::CallOp>(use.getUser());
      SmallVector<Operation *> next = chain;
      next.push_back(call);
      traceToConstants(call.getOperand(arg.getArgNumber()), next, results,
                       depth + 1);
    }
    return;
  }
  Operation *def = value.getDefiningOp();
  if (!def)
    return;
  if (ElementsAttr attr = getConstantValue(def)) {
    auto type = dyn_cast<RankedTensorType>(attr.getType());
    // Integer (quantized) weights are found too; passes that cannot handle
    // their element type leave them alone with a remark.
    if (type && type.hasStaticShape() &&
        type.getElementType().isIntOrFloat())
      results.push_back({def, std::move(chain)});
    return;
  }
  Value source;
  if (auto op = dyn_cast<linalg::TransposeOp>(def))
    source = op.getInput();
  else if (auto op = dyn_cast<linalg::BroadcastOp>(def))
    source = op.getInput();
  else if (auto op = dyn_cast<tensor::CollapseShapeOp>(def))
    source = op.getSrc();
  else if (auto op = dyn_cast<tensor::ExpandShapeOp>(def))
    source = op.getSrc();
  else if (auto op = dyn_cast<tensor::CastOp>(def))
    source = op.getSource();
  if (!source)
    return;
  chain.push_back(def);
  traceToConstants(source, std::move(chain), results, depth + 1);
}

static std::string weightName(Operation *constOp, ElementsAttr value,
                              unsigned id) {
  // A decision recorded earlier keeps the name the weight was pruned under.
  if (auto decision = constOp->getAttrOfType<DictionaryAttr>("nn.prune"))
    if (auto name = decision.getAs<StringAttr>("name"))
      return name.str();
  if (auto nameLoc = dyn_cast<NameLoc>(constOp->getLoc()))
    return nameLoc.getName().str();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    // nn-prune writes `<name>_pruned`: keep the name stable across passes.
    StringRef key = resource.getRawHandle().getKey();
    key.consume_back("_pruned");
    key.consume_back("_t"); // nn-fold-weight-transposes: `<key>_t`
    // Keys starting with `nn_` are prune-opt's own blobs, not names.
    if (!key.empty() && !key.starts_with("nn_") &&
        !(key.starts_with("w") && key.drop_front().size() &&
                          llvm::all_of(key.drop_front(), llvm::isDigit)))
      return key.str();
  }
  return "w" + std::to_string(id);
}

WeightAnalysis::WeightAnalysis(Operation *root) {
  llvm::DenseMap<Operation *, unsigned> index;
  root->walk([&](Operation *op) {
    if (!isContraction(op))
      return;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    std::optional<SmallVector<int64_t>> ranges;
    SmallVector<int64_t> loopRanges = linalgOp.getStaticLoopRanges();
    int64_t flops = 2;
    for (int64_t r : loopRanges) {
      if (ShapedType::isDynamic(r)) {
        flops = -1;
        break;
      }
      flops *= r;
    }
    for (OpOperand *operand : linalgOp.getDpsInputOperands()) {
      SmallVector<TraceResult> found;
      traceToConstants(operand->get(), {}, found);
      if (found.empty())
        continue;
      SmallVector<DimRole> operandRoles =
          computeOperandRoles(linalgOp, *operand);
      for (TraceResult &result : found) {
        WeightUse use;
        use.consumer = op;
        use.operandIndex = operand->getOperandNumber();
        use.operandRoles = operandRoles;
        use.denseFlops = flops;
        SmallVector<DimRole> roles = operandRoles;
        for (Operation *view : result.chain)
          roles = rolesThroughView(view, roles);
        use.weightRoles = std::move(roles);
        use.viewChain.assign(result.chain.rbegin(), result.chain.rend());

        auto [it, inserted] = index.try_emplace(result.constOp, weights.size());
        if (inserted) {
          WeightInfo info;
          info.constOp = result.constOp;
          info.value = getConstantValue(result.constOp);
          info.type = cast<RankedTensorType>(info.value.getType());
          info.id = weights.size();
          info.name = weightName(result.constOp, info.value, info.id);
          weights.push_back(std::move(info));
        }
        weights[it->second].uses.push_back(std::move(use));
      }
    }
  });
  LLVM_DEBUG(llvm::dbgs() << "found " << weights.size() << " weights\n");
}

const WeightInfo *WeightAnalysis::lookup(Operation *constOp) const {
  for (const WeightInfo &w : weights)
    if (w.constOp == constOp)
      return &w;
  return nullptr;
}

void WeightAnalysis::explainNoWeights(Operation *root, Diagnostic &diag) {
  bool tosa = false, contraction = false;
  int notes = 0;
  const int kMaxNotes = 4;
  root->walk([&](Operation *op) {
    if (op->getDialect() &&
        op->getDialect()->getNamespace() == "tosa" && !tosa) {
      tosa = true;
      diag.attachNote(op->getLoc())
          << "the model is TOSA ('" << op->getName()
          << "'): convert it to linalg first, e.g. "
             "--pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,"
             "tosa-to-linalg,tosa-to-arith,tosa-to-tensor))'";
    }
    if (!isContraction(op))
      return;
    contraction = true;
    if (notes >= kMaxNotes)
      return;
    ++notes;
    Diagnostic &note = diag.attachNote(op->getLoc());
    note << "no constant reaches '" << op->getName() << "':";
    for (OpOperand *operand :
         cast<linalg::LinalgOp>(op).getDpsInputOperands()) {
      Value v = operand->get();
      note << " operand #" << operand->getOperandNumber() << " is ";
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
        note << "argument #" << arg.getArgNumber();
        if (fn) {
          note << " of " << (fn.isPublic() ? "public" : "private")
               << " function @" << fn.getSymName();
          if (fn.isPublic())
            note << " (weights passed in as arguments, or through calls to "
                    "a public function, are not followed)";
        }
        note << ";";
      } else {
        note << "computed by '" << v.getDefiningOp()->getName()
             << "' (only transpose, broadcast, reshape, cast and calls to "
                "private functions are followed);";
      }
    }
  });
  if (!contraction && !tosa)
    diag.attachNote(root->getLoc())
        << "the module has no linalg contraction or convolution";
}
