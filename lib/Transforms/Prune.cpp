//===- Prune.cpp - The nn-prune pass --------------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Policy only: chooses which elements of each weight become zero and writes
// the masked weight back as a dense_resource blob, recording the decision in
// an `nn.prune` attribute. Storage (sparse formats) is nn-sparsify's job.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "nn-prune"

namespace mlir::prune {
#define GEN_PASS_DEF_NNPRUNE
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;

static StringRef stringifyPattern(PrunePattern p) {
  switch (p) {
  case PrunePattern::Unstructured:
    return "unstructured";
  case PrunePattern::NM:
    return "nm";
  case PrunePattern::Block:
    return "block";
  case PrunePattern::Channel:
    return "channel";
  }
  llvm_unreachable("unknown pattern");
}

static StringRef stringifyCriterion(Criterion c) {
  switch (c) {
  case Criterion::Magnitude:
    return "magnitude";
  case Criterion::Random:
    return "random";
  }
  llvm_unreachable("unknown criterion");
}

/// A resource key made of characters every MLIR printer accepts unquoted.
static std::string blobKeyFor(StringRef name) {
  if (name.ends_with("_pruned"))
    return name.str();
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  return key + "_pruned";
}

namespace {
struct Override {
  std::string pattern;
  double sparsity;
};

struct NNPrunePass : public prune::impl::NNPruneBase<NNPrunePass> {
  using Base::Base;

  LogicalResult parseOverrides(SmallVectorImpl<Override> &overrides) {
    for (const std::string &entry : layerSparsity) {
      auto [pattern, value] = StringRef(entry).rsplit(':');
      double s;
      if (pattern.empty() || value.empty() || value.getAsDouble(s) ||
          !(s >= 0.0 && s < 1.0))
        return emitError(getOperation().getLoc())
               << "nn-prune: bad layer-sparsity entry '" << entry
               << "': expected PATTERN:SPARSITY with 0 <= SPARSITY < 1";
      overrides.push_back({pattern.str(), s});
    }
    return success();
  }

  std::vector<double> scoresFor(ArrayRef<double> values, unsigned weightId) {
    switch (criterion) {
    case Criterion::Magnitude:
      return magnitudeScores(values);
    case Criterion::Random:
      // Each weight gets its own stream so pruning one layer does not change
      // the choice in another.
      return randomScores(values, seed * 0x100000001B3ull + weightId);
    }
    llvm_unreachable("unknown criterion");
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!(sparsity >= 0.0 && sparsity < 1.0)) {
      emitError(module.getLoc()) << "nn-prune: option 'sparsity' must be in [0, 1), got "
                         << sparsity;
      return signalPassFailure();
    }
    if (minElements < 0) {
      emitError(module.getLoc()) << "nn-prune: option 'min-elements' must be >= 0";
      return signalPassFailure();
    }
    SmallVector<Override> overrides;
    if (failed(parseOverrides(overrides)))
      return signalPassFailure();
    if (pattern == PrunePattern::NM && !(nmM > 0 && nmN < nmM)) {
      emitError(module.getLoc())
          << "nn-prune: N:M needs 0 <= n < m, got n=" << unsigned(nmN)
          << " m=" << unsigned(nmM);
      return signalPassFailure();
    }
    int64_t blockRows = 1, blockCols = 1;
    if (pattern == PrunePattern::Block) {
      auto [r, c] = StringRef(block).split('x');
      if (r.getAsInteger(10, blockRows) || c.getAsInteger(10, blockCols) ||
          blockRows <= 0 || blockCols <= 0) {
        emitError(module.getLoc())
            << "nn-prune: option 'block' must be OUTxIN with positive sizes "
               "(e.g. 4x1), got '"
            << block << "'";
        return signalPassFailure();
      }
    }

    auto &analysis = getAnalysis<WeightAnalysis>();

    struct Candidate {
      const WeightInfo *weight;
      std::vector<double> values;
      std::vector<double> scores; // per element, or per group
      double target;
      bool global;
      std::vector<uint8_t> keep;
      std::vector<int64_t> groupOf; // block / channel: element -> group
      MatrixLayout layout;
    };
    std::vector<Candidate> candidates;
    bool hadError = false;
    for (const WeightInfo &w : analysis.getWeights()) {
      if (llvm::any_of(exclude,
                       [&](const std::string &p) { return w.matches(p); }))
        continue;
      if (w.numElements() < minElements)
        continue;
      if (!isSupportedWeightElementType(w.type.getElementType())) {
        w.constOp->emitRemark()
            << "nn-prune: weight '" << w.name << "' left untouched: element "
            << "type " << w.type.getElementType() << " is not supported";
        continue;
      }
      FailureOr<std::vector<double>> values =
          readWeight(w.value, w.constOp->getLoc());
      if (failed(values)) {
        hadError = true;
        continue;
      }
      if (llvm::any_of(*values, [](double v) { return !std::isfinite(v); })) {
        emitError(w.constOp->getLoc()) << "nn-prune: weight '" << w.name
                               << "' contains NaN or infinite values";
        hadError = true;
        continue;
      }
      Candidate c{&w, std::move(*values), {}, sparsity, scope == Scope::Global,
                  {}, {}, {}};
      for (const Override &o : overrides)
        if (w.matches(o.pattern)) {
          c.target = o.sparsity;
          c.global = false;
        }
      c.scores = scoresFor(c.values, w.id);
      if (pattern != PrunePattern::Unstructured) {
        SmallVector<bool> isReduction;
        for (DimRole role : w.roles())
          isReduction.push_back(role == DimRole::Reduction);
        c.layout = makeMatrixLayout(w.type.getShape(), isReduction);
      }
      if (pattern == PrunePattern::NM) {
        if (c.layout.cols % nmM != 0) {
          w.constOp->emitRemark()
              << "nn-prune: weight '" << w.name << "' left untouched: its "
              << "reduction size " << c.layout.cols << " is not a multiple "
              << "of m=" << unsigned(nmM);
          continue;
        }
        c.target = 1.0 - double(nmN) / double(nmM);
        c.global = false; // N:M is the same everywhere
        c.keep = selectNM(c.scores, c.layout, nmN, nmM);
      } else if (pattern != PrunePattern::Unstructured) {
        int64_t numGroups = c.layout.rows;
        if (pattern == PrunePattern::Block)
          c.groupOf = blockGroups(c.layout, blockRows, blockCols, numGroups);
        else
          c.groupOf = blockGroups(c.layout, 1, c.layout.cols, numGroups);
        c.scores = groupScores(c.scores, c.groupOf, numGroups);
      }
      candidates.push_back(std::move(c));
    }
    if (hadError)
      return signalPassFailure();

    // Layer-wise selection.
    std::vector<size_t> pooled;
    int64_t pooledElements = 0;
    // Units are elements (unstructured) or groups (block, channel).
    for (size_t i = 0; i < candidates.size(); ++i) {
      Candidate &c = candidates[i];
      if (!c.keep.empty())
        continue; // N:M, already chosen
      if (c.global) {
        pooled.push_back(i);
        pooledElements += c.scores.size();
        continue;
      }
      c.keep = selectLowest(c.scores, targetZeros(c.scores.size(), c.target));
    }
    // Global selection: one threshold over all pooled weights.
    if (!pooled.empty()) {
      std::vector<std::vector<double>> scores;
      for (size_t i : pooled)
        scores.push_back(std::move(candidates[i].scores));
      auto masks =
          selectLowestGlobal(scores, targetZeros(pooledElements, sparsity));
      for (auto [j, i] : llvm::enumerate(pooled))
        candidates[i].keep = std::move(masks[j]);
    }
    for (Candidate &c : candidates)
      if (!c.groupOf.empty())
        c.keep = expandGroupMask(c.keep, c.groupOf);

    Builder b(&getContext());
    for (Candidate &c : candidates) {
      const WeightInfo &w = *c.weight;
      int64_t zeros = 0;
      for (size_t i = 0; i < c.values.size(); ++i) {
        if (!c.keep[i])
          c.values[i] = 0.0;
        zeros += c.values[i] == 0.0;
      }
      setConstantValue(w.constOp, writeWeightReusing(w.value, w.type, c.values,
                                                     blobKeyFor(w.name)));
      SmallVector<NamedAttribute> decision = {
          b.getNamedAttr("criterion",
                         b.getStringAttr(stringifyCriterion(criterion))),
          b.getNamedAttr("name", b.getStringAttr(w.name)),
          b.getNamedAttr("pattern",
                         b.getStringAttr(stringifyPattern(pattern))),
          b.getNamedAttr("scope", b.getStringAttr(c.global ? "global" : "layer")),
          b.getNamedAttr("sparsity", b.getF64FloatAttr(c.target)),
          b.getNamedAttr("zeros", b.getI64IntegerAttr(zeros)),
          b.getNamedAttr("elements", b.getI64IntegerAttr(c.values.size())),
      };
      if (pattern == PrunePattern::NM) {
        decision.push_back(b.getNamedAttr("n", b.getI64IntegerAttr(nmN)));
        decision.push_back(b.getNamedAttr("m", b.getI64IntegerAttr(nmM)));
      } else if (pattern == PrunePattern::Block) {
        decision.push_back(b.getNamedAttr(
            "block", b.getStringAttr(llvm::formatv("{0}x{1}", blockRows,
                                                   blockCols)
                                         .str())));
      }
      w.constOp->setAttr(kPruneAttrName, b.getDictionaryAttr(decision));
      ++numWeightsPruned;
      numZeros += zeros;
      LLVM_DEBUG(llvm::dbgs() << "pruned " << w.name << ": " << zeros << "/"
                              << c.values.size() << " zeros\n");
    }
  }
};
} // namespace
