//===- ShrinkChannels.cpp - The nn-shrink-channels pass -------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Removes the all-zero output channels of channel-pruned weights from the
// graph. The pass first walks from each producer to the next contraction and
// plans every edit (which constants to slice along which dimension, which
// ops change type); only if the whole chain is understood does it rewrite.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/LinalgUtils.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSHRINKCHANNELS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

namespace {
/// A constant to slice: keep `keep` indices of dimension `dim`, where each
/// kept channel stands for `block` consecutive indices.
struct ConstSlice {
  OpOperand *operand; // the use to redirect to the sliced constant
  int64_t dim;
  int64_t block = 1;
  bool isBias = false; // zeroed in zero-only mode
};

struct Plan {
  const WeightInfo *weight;
  Operation *producer;
  SmallVector<int64_t> keep; // kept channels
  int64_t channels;
  SmallVector<ConstSlice> slices;
  // Ops whose single result changes type: (op, channel dim, block).
  SmallVector<std::tuple<Operation *, int64_t, int64_t>> retyped;
  // Inits to rebuild smaller: (use, channel dim, block).
  SmallVector<std::tuple<OpOperand *, int64_t, int64_t>> inits;
};
} // namespace

/// Row-major slice of `values` along `dim`: keeps, for each c in `keep`, the
/// indices [c * block, (c + 1) * block).
static std::vector<double> sliceAlong(ArrayRef<double> values,
                                      ArrayRef<int64_t> shape, int64_t dim,
                                      ArrayRef<int64_t> keep, int64_t block,
                                      SmallVectorImpl<int64_t> &newShape) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d)
    outer *= shape[d];
  for (size_t d = dim + 1; d < shape.size(); ++d)
    inner *= shape[d];
  SmallVector<int64_t> indices;
  for (int64_t c : keep)
    for (int64_t b = 0; b < block; ++b)
      indices.push_back(c * block + b);
  newShape.assign(shape.begin(), shape.end());
  newShape[dim] = indices.size();
  std::vector<double> out;
  out.reserve(outer * indices.size() * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : indices)
      for (int64_t n = 0; n < inner; ++n)
        out.push_back(values[(o * shape[dim] + i) * inner + n]);
  return out;
}

static RankedTensorType shrinkType(Type type, int64_t dim, int64_t size) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, t.getElementType());
}

/// True if `op` is an all-parallel elementwise generic reading `v` and
/// writing its single result with identity maps.
static bool isElementwiseUse(linalg::GenericOp op, OpOperand &use) {
  return op.getNumDpsInits() == 1 && op.isDpsInput(&use) &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         op.getMatchingIndexingMap(&use).isIdentity() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() &&
         op->getResult(0).getType() == use.get().getType();
}

/// Plans the init operand `init` of an op whose result is being shrunk.
static LogicalResult planInit(OpOperand &init, int64_t dim, int64_t block,
                              Plan &plan, std::string &why) {
  Operation *def = init.get().getDefiningOp();
  if (isa_and_nonnull<tensor::EmptyOp>(def) ||
      isa_and_nonnull<linalg::FillOp>(def)) {
    if (auto fill = dyn_cast<linalg::FillOp>(def))
      if (!isa_and_nonnull<tensor::EmptyOp>(
              fill.getOutputs()[0].getDefiningOp())) {
        why = "an init is a fill of something other than tensor.empty";
        return failure();
      }
    plan.inits.push_back({&init, dim, block});
    return success();
  }
  if (auto bc = dyn_cast_or_null<linalg::BroadcastOp>(def)) {
    // A broadcast bias: the input keeps the non-broadcast dims.
    ArrayRef<int64_t> added = bc.getDimensions();
    if (llvm::is_contained(added, dim) ||
        !getConstantValue(bc.getInput().getDefiningOp()
                              ? bc.getInput().getDefiningOp()
                              : nullptr) ||
        !isa_and_nonnull<tensor::EmptyOp>(bc.getInit().getDefiningOp())) {
      why = "an init is a broadcast the pass cannot slice";
      return failure();
    }
    int64_t inDim = dim - llvm::count_if(added, [&](int64_t a) { return a < dim; });
    plan.slices.push_back({&bc->getOpOperand(0), inDim, block, true});
    plan.inits.push_back({&init, dim, block});
    return success();
  }
  why = "an init is not tensor.empty, a fill or a broadcast bias";
  return failure();
}

static LogicalResult planChain(const WeightInfo &w, Plan &plan,
                               std::string &why) {
  if (w.uses.size() != 1) {
    why = "the weight has several uses";
    return failure();
  }
  const WeightUse &use = w.uses.front();
  if (!use.viewChain.empty()) {
    why = "it reaches its consumer through views (run "
          "--nn-fold-weight-transposes first)";
    return failure();
  }
  SmallVector<DimRole> roles = w.roles();
  if (llvm::count(roles, DimRole::Output) != 1 ||
      llvm::is_contained(roles, DimRole::Batch) ||
      llvm::is_contained(roles, DimRole::Mixed)) {
    why = "it does not have exactly one output dimension";
    return failure();
  }
  int64_t outDim = llvm::find(roles, DimRole::Output) - roles.begin();
  auto producer = dyn_cast<linalg::LinalgOp>(use.consumer);
  if (!producer) {
    why = "its consumer is a TOSA op (convert the model to linalg first: "
          "--nn-tosa-to-linalg)";
    return failure();
  }
  if (producer->getNumResults() != 1) {
    why = "its consumer has several results";
    return failure();
  }
  auto outLoop = dyn_cast<AffineDimExpr>(
      producer.getMatchingIndexingMap(&producer->getOpOperand(use.operandIndex))
          .getResult(outDim));
  AffineMap outMap = producer.getMatchingIndexingMap(producer.getDpsInitOperand(0));
  int64_t dim = -1;
  for (auto [i, e] : llvm::enumerate(outMap.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && outLoop && d == outLoop)
      dim = i;
  if (dim < 0) {
    why = "its output channel is not a dimension of the result";
    return failure();
  }
  plan.weight = &w;
  plan.producer = producer;
  plan.slices.push_back(
      {&producer->getOpOperand(use.operandIndex), outDim, 1, false});
  if (failed(planInit(*producer.getDpsInitOperand(0), dim, 1, plan, why)))
    return failure();
  plan.retyped.push_back({producer, dim, 1});

  Value v = producer->getResult(0);
  int64_t block = 1;
  while (true) {
    if (!v.hasOneUse()) {
      why = v.use_empty() ? "its output is not used"
                          : "its output has several users (e.g. a residual "
                            "add or concat)";
      return failure();
    }
    OpOperand &u = *v.getUses().begin();
    Operation *user = u.getOwner();
    if (auto g = dyn_cast<linalg::GenericOp>(user);
        g && isElementwiseUse(g, u)) {
      for (OpOperand *in : g.getDpsInputOperands()) {
        if (in == &u)
          continue;
        AffineMap m = g.getMatchingIndexingMap(in);
        std::optional<unsigned> pos =
            m.getResultPosition(getAffineDimExpr(dim, g.getContext()));
        if (!pos)
          continue; // same for every channel
        Operation *def = in->get().getDefiningOp();
        if (!def || !getConstantValue(def)) {
          why = "an elementwise op reads a per-channel value that is not a "
                "constant";
          return failure();
        }
        plan.slices.push_back({in, *pos, block, true});
      }
      if (failed(planInit(*g.getDpsInitOperand(0), dim, block, plan, why)))
        return failure();
      plan.retyped.push_back({g, dim, block});
      v = g->getResult(0);
      continue;
    }
    if (isa<linalg::PoolingNchwSumOp, linalg::PoolingNchwMaxOp>(user) &&
        u.getOperandNumber() == 0 && dim == 1 && block == 1) {
      auto pool = cast<linalg::LinalgOp>(user);
      if (failed(planInit(*pool.getDpsInitOperand(0), dim, block, plan, why)))
        return failure();
      plan.retyped.push_back({user, dim, block});
      v = user->getResult(0);
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user)) {
      if (!hasValidReassociation(collapse)) {
        why = "a reshape's reassociation is out of range";
        return failure();
      }
      ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
      bool found = false;
      for (auto [g, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        if (!llvm::is_contained(group, dim))
          continue;
        for (int64_t d : group)
          if (d < dim && shape[d] != 1) {
            why = "a reshape interleaves the channel with another dimension";
            return failure();
          }
        for (int64_t d : group)
          if (d > dim)
            block *= shape[d];
        dim = g;
        found = true;
      }
      if (!found)
        return failure();
      plan.retyped.push_back({user, dim, block});
      v = collapse.getResult();
      continue;
    }
    if (WeightAnalysis::isContraction(user)) {
      auto next = cast<linalg::LinalgOp>(user);
      if (next.getNumDpsInputs() != 2 || !next.isDpsInput(&u)) {
        why = "the next contraction does not read it as an input";
        return failure();
      }
      auto l = dyn_cast<AffineDimExpr>(
          next.getMatchingIndexingMap(&u).getResult(dim));
      OpOperand *wOperand = next.getDpsInputOperand(
          u.getOperandNumber() == 0 ? 1 : 0);
      Operation *wDef = wOperand->get().getDefiningOp();
      if (!l || next.getIteratorTypesArray()[l.getPosition()] !=
                    utils::IteratorType::reduction ||
          !wDef || !getConstantValue(wDef)) {
        why = "the next contraction does not reduce the channels against a "
              "constant weight";
        return failure();
      }
      std::optional<unsigned> wDim =
          next.getMatchingIndexingMap(wOperand).getResultPosition(l);
      if (!wDim) {
        why = "the next weight is not indexed by the channel";
        return failure();
      }
      plan.slices.push_back({wOperand, *wDim, block, false});
      return success();
    }
    why = "its output reaches '" + user->getName().getStringRef().str() +
          "', which the pass cannot see through";
    return failure();
  }
}

namespace {
struct NNShrinkChannelsPass
    : public WeightWritingPass<NNShrinkChannelsPass,
                               prune::impl::NNShrinkChannelsBase> {
  using WeightWritingPass::WeightWritingPass;
  PRUNE_OPT_CHECKED_OPTIONS("nn-shrink-channels")

  void runOnModule() {
    auto &analysis = getAnalysis<WeightAnalysis>();
    std::vector<Plan> plans;
    int64_t channelWeights = 0;
    for (const WeightInfo &w : analysis.getWeights()) {
      DecisionAttr decision = getDecision(w.constOp);
      if (!decision || decision.getPattern() != PrunePattern::Channel)
        continue;
      ++channelWeights;
      Plan plan;
      std::string why;
      if (failed(planChain(w, plan, why))) {
        emitRemark(w.constOp->getLoc())
            << "nn-shrink-channels: weight '" << w.name
            << "' keeps its shape: " << why;
        continue;
      }
      FailureOr<std::vector<double>> values =
          readWeight(w.value, w.constOp);
      if (failed(values))
        return signalPassFailure();
      SmallVector<bool> isReduction;
      for (DimRole r : w.roles())
        isReduction.push_back(r == DimRole::Reduction);
      MatrixLayout layout = makeMatrixLayout(w.type.getShape(), isReduction);
      plan.channels = layout.rows;
      for (int64_t r = 0; r < layout.rows; ++r) {
        bool dead = true;
        for (int64_t c = 0; c < layout.cols && dead; ++c)
          dead = (*values)[layout.index[r * layout.cols + c]] == 0.0;
        if (!dead)
          plan.keep.push_back(r);
      }
      if (int64_t(plan.keep.size()) == plan.channels)
        continue;
      if (plan.keep.empty()) {
        emitRemark(w.constOp->getLoc())
            << "nn-shrink-channels: weight '" << w.name
            << "' keeps its shape: all its outputs are pruned";
        continue;
      }
      plans.push_back(std::move(plan));
    }
    if (channelWeights == 0)
      emitWarning(getOperation().getLoc())
          << "nn-shrink-channels: nothing to do: no weight was pruned with "
             "pattern=channel";
    IRRewriter rewriter(&getContext());
    for (Plan &plan : plans)
      if (failed(apply(rewriter, plan)))
        return signalPassFailure();
    // Erase what the rewrite left unused (old constants, inits and their
    // empties), until nothing changes.
    llvm::SetVector<Operation *> worklist(maybeDead.begin(), maybeDead.end());
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      if (!isOpTriviallyDead(op))
        continue;
      for (Value in : op->getOperands())
        if (Operation *def = in.getDefiningOp())
          worklist.insert(def);
      rewriter.eraseOp(op);
    }
  }

  SmallVector<Operation *> maybeDead;

  LogicalResult apply(IRRewriter &rewriter, Plan &plan) {
    int64_t kept = plan.keep.size();
    // Constants: sliced (shrink) or bias entries zeroed (zero-only).
    for (ConstSlice &s : plan.slices) {
      if (zeroOnly && !s.isBias)
        continue;
      Operation *def = s.operand->get().getDefiningOp();
      ElementsAttr value = getConstantValue(def);
      auto type = cast<RankedTensorType>(value.getType());
      FailureOr<std::vector<double>> data = readWeight(value, def);
      if (failed(data))
        return failure();
      ElementsAttr attr;
      if (zeroOnly) {
        SmallVector<int64_t> dead;
        for (int64_t c = 0; c < plan.channels; ++c)
          if (!llvm::is_contained(plan.keep, c))
            dead.push_back(c);
        int64_t outer = 1, inner = 1;
        for (int64_t d = 0; d < s.dim; ++d)
          outer *= type.getDimSize(d);
        for (int64_t d = s.dim + 1; d < type.getRank(); ++d)
          inner *= type.getDimSize(d);
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t c : dead)
            for (int64_t b = 0; b < s.block; ++b)
              for (int64_t n = 0; n < inner; ++n)
                (*data)[(o * type.getDimSize(s.dim) + c * s.block + b) *
                            inner +
                        n] = 0.0;
        attr = writeWeight(type, *data, "nn_channel_zeroed", writer);
      } else {
        SmallVector<int64_t> shape;
        std::vector<double> sliced = sliceAlong(
            *data, type.getShape(), s.dim, plan.keep, s.block, shape);
        attr = writeWeight(RankedTensorType::get(shape, type.getElementType()),
                           sliced, "nn_channel_sliced", writer);
      }
      maybeDead.push_back(def);
      rewriter.setInsertionPoint(def);
      Operation *copy = rewriter.clone(*def);
      setConstantValue(copy, attr);
      copy->getResult(0).setType(cast<ShapedType>(attr.getType()));
      rewriter.modifyOpInPlace(s.operand->getOwner(),
                               [&] { s.operand->set(copy->getResult(0)); });
    }
    if (zeroOnly)
      return success();
    // Inits: new, smaller empties / fills / broadcasts.
    for (auto &entry : plan.inits) {
      OpOperand *init = std::get<0>(entry);
      int64_t dim = std::get<1>(entry), block = std::get<2>(entry);
      Operation *def = init->get().getDefiningOp();
      Operation *owner = init->getOwner();
      maybeDead.push_back(def);
      rewriter.setInsertionPoint(owner);
      auto newType = shrinkType(init->get().getType(), dim, kept * block);
      Value empty = tensor::EmptyOp::create(rewriter, owner->getLoc(),
                                            newType.getShape(),
                                            newType.getElementType());
      Value replacement = empty;
      if (auto fill = dyn_cast<linalg::FillOp>(def))
        replacement = linalg::FillOp::create(rewriter, owner->getLoc(),
                                             fill.getInputs()[0], empty)
                          .getResult(0);
      else if (auto bc = dyn_cast<linalg::BroadcastOp>(def))
        replacement = linalg::BroadcastOp::create(rewriter, owner->getLoc(),
                                                  bc.getInput(), empty,
                                                  bc.getDimensions())
                          ->getResult(0);
      rewriter.modifyOpInPlace(owner, [&] { init->set(replacement); });
    }
    // Results: new types (collapse_shape is rebuilt).
    for (auto &entry : plan.retyped) {
      Operation *op = std::get<0>(entry);
      int64_t dim = std::get<1>(entry), block = std::get<2>(entry);
      if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
        rewriter.setInsertionPoint(collapse);
        auto newType =
            shrinkType(collapse.getResultType(), dim, kept * block);
        auto rebuilt = tensor::CollapseShapeOp::create(
            rewriter, collapse.getLoc(), newType, collapse.getSrc(),
            collapse.getReassociationIndices());
        rewriter.replaceOp(collapse, rebuilt.getResult());
        continue;
      }
      rewriter.modifyOpInPlace(op, [&] {
        op->getResult(0).setType(
            shrinkType(op->getResult(0).getType(), dim, kept * block));
      });
    }
    numChannelsRemoved += plan.channels - kept;
    return success();
  }
};
} // namespace
