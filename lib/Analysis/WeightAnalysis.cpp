//===- WeightAnalysis.cpp - Find the prunable weights of a model ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "prune-opt/Utils/LinalgUtils.h"

#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
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

bool WeightUse::isTosa() const {
  return consumer && !isa<linalg::LinalgOp>(consumer);
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
    return resource.getRawHandle().getBlob() != nullptr ||
           hasExternalData(resource, constOp);
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

std::optional<SmallVector<int64_t>>
mlir::prune::getViewPermutation(Operation *view) {
  if (auto transpose = dyn_cast<linalg::TransposeOp>(view))
    return llvm::to_vector(transpose.getPermutation());
  if (auto transpose = dyn_cast<tosa::TransposeOp>(view))
    return llvm::to_vector(llvm::map_range(
        transpose.getPerms(), [](int32_t p) { return int64_t(p); }));
  // A copy: linalg.copy, or a linalg.generic with one input whose body only
  // yields the input element, parallel loops and permutation maps.
  auto op = dyn_cast<linalg::LinalgOp>(view);
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;
  OpOperand *in = op.getDpsInputOperand(0);
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap inMap = op.getMatchingIndexingMap(in);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  if (!inMap.isPermutation() || !outMap.isPermutation())
    return std::nullopt;
  Block *body = op.getBlock();
  if (!body || !llvm::hasSingleElement(body->getOperations()))
    return std::nullopt;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body->getArgument(0))
    return std::nullopt;
  // Result dim j is loop outMap(j), which is input dim inverse(inMap)(loop).
  SmallVector<int64_t> inDimOfLoop(op.getNumLoops());
  for (unsigned d = 0; d < inMap.getNumResults(); ++d)
    inDimOfLoop[inMap.getDimPosition(d)] = d;
  SmallVector<int64_t> perm;
  for (unsigned j = 0; j < outMap.getNumResults(); ++j)
    perm.push_back(inDimOfLoop[outMap.getDimPosition(j)]);
  return perm;
}

bool mlir::prune::isCopyView(Operation *op) {
  return !isa<linalg::TransposeOp, tosa::TransposeOp>(op) &&
         getViewPermutation(op).has_value();
}

/// Roles of the dims of operand `index` of a TOSA contraction, or nullopt if
/// that operand is not one a weight can feed (activation, bias, zero point).
static std::optional<SmallVector<DimRole>> tosaOperandRoles(Operation *op,
                                                            unsigned index) {
  using R = DimRole;
  if (isa<tosa::MatMulOp>(op)) {
    if (index == 0) // A[N, H, C]
      return SmallVector<DimRole>{R::Batch, R::Output, R::Reduction};
    if (index == 1) // B[N, C, W]
      return SmallVector<DimRole>{R::Batch, R::Reduction, R::Output};
    return std::nullopt;
  }
  if (index != 1)
    return std::nullopt;
  if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op)) // [OC, KH, KW, IC]
    return SmallVector<DimRole>{R::Output, R::Reduction, R::Reduction,
                                R::Reduction};
  if (isa<tosa::Conv3DOp>(op)) // [OC, KD, KH, KW, IC]
    return SmallVector<DimRole>{R::Output, R::Reduction, R::Reduction,
                                R::Reduction, R::Reduction};
  if (isa<tosa::DepthwiseConv2DOp>(op)) // [KH, KW, C, M]
    return SmallVector<DimRole>{R::Reduction, R::Reduction, R::Batch,
                                R::Output};
  return std::nullopt;
}

bool WeightAnalysis::isTosaContraction(Operation *op) {
  return isa<tosa::MatMulOp, tosa::Conv2DOp, tosa::Conv3DOp,
             tosa::DepthwiseConv2DOp, tosa::TransposeConv2DOp>(op);
}

/// 2 * multiply-adds of a TOSA contraction, or -1 for dynamic shapes.
static int64_t tosaFlops(Operation *op) {
  auto shapeOf = [](Value v) -> ArrayRef<int64_t> {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape())
      return {};
    return t.getShape();
  };
  auto product = [](ArrayRef<int64_t> s) {
    int64_t p = 1;
    for (int64_t d : s)
      p *= d;
    return p;
  };
  ArrayRef<int64_t> out = shapeOf(op->getResult(0));
  if (out.empty())
    return -1;
  if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    ArrayRef<int64_t> a = shapeOf(mm.getA());
    return a.empty() ? -1 : 2 * product(out) * a.back();
  }
  ArrayRef<int64_t> w = shapeOf(op->getOperand(1));
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  if (w.empty() || in.empty())
    return -1;
  if (isa<tosa::DepthwiseConv2DOp>(op)) // per output: KH * KW
    return 2 * product(out) * w[0] * w[1];
  if (isa<tosa::TransposeConv2DOp>(op)) // per input: OC * KH * KW
    return 2 * product(in) * w[0] * w[1] * w[2];
  return 2 * product(out) * product(w.drop_front()); // conv2d, conv3d
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
  if (std::optional<SmallVector<int64_t>> perm = getViewPermutation(view)) {
    SmallVector<DimRole> in(resultRoles.size());
    for (auto [i, p] : llvm::enumerate(*perm))
      in[p] = resultRoles[i];
    return in;
  }
  if (auto reshape = dyn_cast<tosa::ReshapeOp>(view)) {
    auto src = cast<ShapedType>(reshape.getInput1().getType());
    auto dst = cast<ShapedType>(reshape.getType());
    if (src.getShape() == dst.getShape())
      return SmallVector<DimRole>(resultRoles);
    std::optional<SmallVector<ReassociationIndices>> groups =
        getReassociationIndicesForReshape(src, dst);
    assert(groups && "followed only when it is a collapse or an expand");
    if (src.getRank() > dst.getRank()) { // collapse
      SmallVector<DimRole> in(src.getRank());
      for (auto [g, group] : llvm::enumerate(*groups))
        for (int64_t d : group)
          in[d] = resultRoles[g];
      return in;
    }
    SmallVector<DimRole> in; // expand
    for (const auto &group : *groups) {
      SmallVector<DimRole> roles;
      SmallVector<int64_t> sizes;
      for (int64_t d : group) {
        roles.push_back(resultRoles[d]);
        sizes.push_back(dst.getDimSize(d));
      }
      in.push_back(mergeRoles(roles, sizes));
    }
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
    // An argument of a function: the values its call sites in the module
    // pass. For a public function this covers the callers in the module
    // only; pruning their constants is still a correct change of those
    // callers (the callee stays generic).
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func || arg.getOwner() != &func.front())
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
  else if (auto op = dyn_cast<tensor::CollapseShapeOp>(def)) {
    if (hasValidReassociation(op))
      source = op.getSrc();
  } else if (auto op = dyn_cast<tensor::ExpandShapeOp>(def)) {
    if (hasValidReassociation(op))
      source = op.getSrc();
  } else if (auto op = dyn_cast<tensor::CastOp>(def))
    source = op.getSource();
  else if (auto op = dyn_cast<tosa::TransposeOp>(def))
    source = op.getInput1();
  else if (auto op = dyn_cast<tosa::ReshapeOp>(def)) {
    auto src = dyn_cast<RankedTensorType>(op.getInput1().getType());
    auto dst = dyn_cast<RankedTensorType>(op.getType());
    if (src && dst && src.hasStaticShape() && dst.hasStaticShape() &&
        (src.getShape() == dst.getShape() ||
         getReassociationIndicesForReshape(src, dst)))
      source = op.getInput1();
  } else if (isCopyView(def))
    source = cast<linalg::LinalgOp>(def).getDpsInputOperand(0)->get();
  if (!source)
    return;
  chain.push_back(def);
  traceToConstants(source, std::move(chain), results, depth + 1);
}

static std::string weightName(Operation *constOp, ElementsAttr value,
                              unsigned id) {
  // A decision recorded earlier keeps the name the weight was pruned under.
  if (DecisionAttr decision = getDecision(constOp))
    return decision.getName().str();
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
  auto record = [&](Operation *op, OpOperand &operand,
                    ArrayRef<DimRole> operandRoles, int64_t flops,
                    SmallVectorImpl<TraceResult> &found) {
    for (TraceResult &result : found) {
      WeightUse use;
      use.consumer = op;
      use.operandIndex = operand.getOperandNumber();
      use.operandRoles.assign(operandRoles.begin(), operandRoles.end());
      use.denseFlops = flops;
      SmallVector<DimRole> roles(operandRoles);
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
  };
  // Traces every candidate operand of `op`. A constant reached only through
  // a call is dropped when another operand of the same contraction has a
  // constant of the callee's own: the function carries its weights, and
  // what a caller passes (e.g. a test harness's constant input) is data.
  auto traceOperands = [&](ArrayRef<OpOperand *> operands) {
    SmallVector<SmallVector<TraceResult>> found(operands.size());
    bool anyLocal = false;
    auto throughCall = [](const TraceResult &r) {
      return llvm::any_of(r.chain,
                          [](Operation *v) { return isa<func::CallOp>(v); });
    };
    for (auto [i, operand] : llvm::enumerate(operands)) {
      traceToConstants(operand->get(), {}, found[i]);
      anyLocal |= llvm::any_of(found[i], [&](const TraceResult &r) {
        return !throughCall(r);
      });
    }
    if (anyLocal)
      for (auto [i, results] : llvm::enumerate(found)) {
        bool local = llvm::any_of(
            results, [&](const TraceResult &r) { return !throughCall(r); });
        if (!local)
          results.clear();
      }
    return found;
  };
  root->walk([&](Operation *op) {
    if (isTosaContraction(op)) {
      int64_t flops = tosaFlops(op);
      SmallVector<OpOperand *> operands;
      SmallVector<SmallVector<DimRole>> roles;
      for (OpOperand &operand : op->getOpOperands()) {
        std::optional<SmallVector<DimRole>> r =
            tosaOperandRoles(op, operand.getOperandNumber());
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (r && type && type.getRank() == int64_t(r->size())) {
          operands.push_back(&operand);
          roles.push_back(std::move(*r));
        }
      }
      SmallVector<SmallVector<TraceResult>> found = traceOperands(operands);
      for (auto [i, operand] : llvm::enumerate(operands))
        record(op, *operand, roles[i], flops, found[i]);
      return;
    }
    if (!isContraction(op))
      return;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    SmallVector<int64_t> loopRanges = linalgOp.getStaticLoopRanges();
    int64_t flops = 2;
    for (int64_t r : loopRanges) {
      if (ShapedType::isDynamic(r)) {
        flops = -1;
        break;
      }
      flops *= r;
    }
    SmallVector<OpOperand *> operands = linalgOp.getDpsInputOperands();
    SmallVector<SmallVector<TraceResult>> found = traceOperands(operands);
    for (auto [i, operand] : llvm::enumerate(operands))
      if (!found[i].empty())
        record(op, *operand, computeOperandRoles(linalgOp, *operand), flops,
               found[i]);
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
  bool contraction = false;
  int notes = 0;
  const int kMaxNotes = 4;
  root->walk([&](Operation *op) {
    SmallVector<OpOperand *> operands;
    if (isTosaContraction(op)) {
      for (OpOperand &operand : op->getOpOperands())
        if (tosaOperandRoles(op, operand.getOperandNumber()))
          operands.push_back(&operand);
    } else if (isContraction(op)) {
      operands = llvm::to_vector(
          cast<linalg::LinalgOp>(op).getDpsInputOperands());
    } else {
      return;
    }
    contraction = true;
    if (notes >= kMaxNotes)
      return;
    ++notes;
    Diagnostic &note = diag.attachNote(op->getLoc());
    note << "no constant reaches '" << op->getName() << "':";
    for (OpOperand *operand : operands) {
      Value v = operand->get();
      note << " operand #" << operand->getOperandNumber() << " is ";
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
        note << "argument #" << arg.getArgNumber();
        if (fn && arg.getOwner() == &fn.front()) {
          note << " of " << (fn.isPublic() ? "public" : "private")
               << " function @" << fn.getSymName();
          // Calls are followed: say what the callers pass.
          auto uses = SymbolTable::getSymbolUses(
              fn, SymbolTable::getNearestSymbolTable(
                      fn->getParentOp() ? fn->getParentOp()
                                        : fn.getOperation()));
          bool anyCall = uses && !uses->empty();
          if (!anyCall)
            note << " (no call in the module passes a constant: weights "
                    "passed in by the caller of the module are not known)";
          else
            note << " (no call site passes a constant)";
        } else {
          note << " of a block (only function arguments are followed to "
                  "their call sites)";
        }
        note << ";";
      } else {
        note << "computed by '" << v.getDefiningOp()->getName()
             << "' (only transpose, broadcast, reshape, cast, copy and "
                "calls are followed);";
      }
    }
  });
  if (!contraction)
    diag.attachNote(root->getLoc())
        << "the module has no linalg or TOSA contraction or convolution";
}
