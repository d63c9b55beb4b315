//===- Prune.cpp - The nn-prune pass --------------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Policy only: chooses which elements of each weight become zero and writes
// the masked weight back as a dense_resource blob, recording the decision in
// a `#prune.decision` attribute. Storage (sparse formats) is nn-sparsify's job.
//
//===----------------------------------------------------------------------===//

#include "StoragePrediction.h"
#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Criteria/DataAware.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Threading.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define DEBUG_TYPE "nn-prune"

namespace mlir::prune {
#define GEN_PASS_DEF_NNPRUNE
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;
namespace kernels = ::pruneopt::kernels;

static bool isChannelCriterion(Criterion c) {
  return c == Criterion::Activation || c == Criterion::Entropy;
}

/// OBS family: the weight-updating solvers (SparseGPT, exact OBS).
static bool isOBS(Criterion c) {
  return c == Criterion::SparseGPT || c == Criterion::OBS;
}

namespace {
/// While alive, glibc's malloc serves large blocks from its heap and keeps
/// what is freed there. The adaptive and budget searches allocate and free
/// a few buffers of a layer's size per grid point; above 32 MiB glibc maps
/// each one anew and the kernel zeroes its pages: on a 4096x2048 layer 20
/// of a budget's 39 s were system time (16 s with this; peak RSS the
/// same). After the search the thresholds go to the values glibc's dynamic
/// ones reach after a large free, and the heap is trimmed: the streaming
/// passes after it keep their bounded memory (Tools/bounded-memory.test).
class ReuseLargeBlocks {
public:
  ReuseLargeBlocks() {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  }
  ~ReuseLargeBlocks() {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    malloc_trim(0);
#endif
  }
  ReuseLargeBlocks(const ReuseLargeBlocks &) = delete;
  ReuseLargeBlocks &operator=(const ReuseLargeBlocks &) = delete;
};
} // namespace

static bool isDataAware(Criterion c) {
  return c == Criterion::OBD || c == Criterion::Wanda || isOBS(c) ||
         isChannelCriterion(c);
}

/// The weight as a W[rows, cols] matrix in `layout` order.
static Matrix toMatrix(ArrayRef<double> values, const MatrixLayout &layout) {
  Matrix m{layout.rows, layout.cols, std::vector<double>(values.size())};
  for (size_t p = 0; p < values.size(); ++p)
    m.data[p] = values[layout.index[p]];
  return m;
}

/// Back from layout order to the weight's element order.
template <typename T>
static std::vector<T> fromLayout(const std::vector<T> &m,
                                 const MatrixLayout &layout) {
  std::vector<T> out(m.size());
  for (size_t p = 0; p < m.size(); ++p)
    out[layout.index[p]] = m[p];
  return out;
}

/// `v` as printf's %g writes it (0.25, not 2.500000e-01).
static std::string shortNumber(double v) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", v);
  return text;
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

/// A weight being pruned.
struct Candidate {
  const WeightInfo *weight;
  std::vector<double> values;
  std::vector<double> scores; // per element, or per group
  double target;
  bool global;
  std::vector<uint8_t> keep;
  std::vector<int64_t> groupOf; // block / channel: element -> group
  MatrixLayout layout;
  std::vector<double> gram;     // data-aware: H = X^T X, layout order
  std::vector<double> updated;  // OBS: weights after compensation
  int64_t predictedBytes = 0, predictedNs = 0; // budget
  kernels::ValueType valueType = kernels::ValueType::F32; // budget
};

struct NNPrunePass
    : public WeightWritingPass<NNPrunePass, prune::impl::NNPruneBase> {
  using WeightWritingPass::WeightWritingPass;
  PRUNE_OPT_CHECKED_OPTIONS("nn-prune")

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

  /// Element scores (lower = pruned first).
  std::vector<double> scoresFor(ArrayRef<double> values, unsigned weightId,
                                const MatrixLayout &layout,
                                ArrayRef<double> gram) {
    switch (criterion) {
    case Criterion::Magnitude:
    case Criterion::SparseGPT: // (its own mask; magnitude as a fallback)
    case Criterion::OBS:
    case Criterion::Activation: // (channel scores are read separately)
    case Criterion::Entropy:
      return magnitudeScores(values);
    case Criterion::Random:
      // Each weight gets its own stream so pruning one layer does not change
      // the choice in another.
      return randomScores(values, seed * 0x100000001B3ull + weightId);
    case Criterion::OBD:
      return fromLayout(obdScores(toMatrix(values, layout), gram), layout);
    case Criterion::Wanda:
      return fromLayout(wandaScores(toMatrix(values, layout), gram), layout);
    }
    llvm_unreachable("unknown criterion");
  }

  /// Threads of the Hessian criteria inside one weight (the pass then
  /// handles one weight at a time): the context's for large layers
  /// (rows * cols^2 >= 2^28, e.g. 1024x512), where they pay off; smaller
  /// ones stay on one thread, so that their results never depend on the
  /// machine (threaded factorizations round differently).
  unsigned criterionThreads(const MatrixLayout &layout) {
    MLIRContext *ctx = &getContext();
    if (!ctx->isMultithreadingEnabled() ||
        double(layout.rows) * double(layout.cols) * double(layout.cols) <
            double(int64_t(1) << 28))
      return 1;
    return ctx->getNumThreads();
  }

  /// The least-squares refit of the candidate's kept weights (weight
  /// order).
  template <typename CandidateT>
  std::vector<double> refitLsq(const CandidateT &c) {
    LsqRefitOptions options;
    options.damp = damp;
    options.tolerance = refitTolerance;
    options.threads = criterionThreads(c.layout);
    return fromLayout(lsqRefit(toMatrix(c.values, c.layout),
                               layoutKeep(c.keep, c.layout), c.gram, options)
                          .data,
                      c.layout);
  }

  /// Runs OBS / SparseGPT on a candidate: sets its mask and updated weights.
  template <typename CandidateT>
  LogicalResult runSparseGPT(CandidateT &c, SparseGPTOptions opts) {
    opts.threads = criterionThreads(c.layout);
    bool failedSolve = false;
    Matrix pruned =
        opts.nmM == 0 && c.layout.cols <= opts.exactMaxCols
            ? exactOBS(toMatrix(c.values, c.layout), c.gram, opts.sparsity,
                       opts.damp, &failedSolve)
            : sparseGPT(toMatrix(c.values, c.layout), c.gram, opts,
                        &failedSolve);
    if (failedSolve)
      return emitError(c.weight->constOp->getLoc())
             << "nn-prune: the calibration Hessian of weight '"
             << c.weight->name
             << "' is not positive definite even after dampening (raise "
                "damp=)";
    c.updated = fromLayout(pruned.data, c.layout);
    c.keep.assign(c.updated.size(), 1);
    for (size_t i = 0; i < c.updated.size(); ++i)
      c.keep[i] = c.updated[i] != 0.0;
    return success();
  }

  /// Unstructured layer-wise selection at sparsity `s` with the criterion:
  /// sets the candidate's mask (and updated weights for OBS).
  template <typename CandidateT>
  LogicalResult selectUnstructured(CandidateT &c, double s) {
    c.updated.clear();
    if (isOBS(criterion)) {
      SparseGPTOptions opts;
      opts.sparsity = s;
      opts.damp = damp;
      opts.blockSize = obsBlock;
      opts.exactMaxCols = criterion == Criterion::OBS ? obsExactMax : 0;
      return runSparseGPT(c, opts);
    }
    if (criterion == Criterion::Wanda) {
      Matrix scores{c.layout.rows, c.layout.cols,
                    toMatrix(c.scores, c.layout).data};
      c.keep = fromLayout(selectLowestPerRow(scores, perRowZeros(c, s)),
                          c.layout);
      return success();
    }
    c.keep = selectLowest(c.scores, targetZeros(c.values.size(), s));
    return success();
  }

  /// Zeros per output row for Wanda's per-row selection. A sparsity below 1
  /// never empties a row: when rounding would (e.g. 90 % of 4 inputs), one
  /// input per row is kept, and the pass says so.
  template <typename CandidateT>
  int64_t perRowZeros(const CandidateT &c, double s) {
    int64_t zeros = targetZeros(c.layout.cols, s);
    if (s < 1.0 && c.layout.cols > 0 && zeros >= c.layout.cols) {
      zeros = c.layout.cols - 1;
      emitWarning(c.weight->constOp->getLoc())
          << "nn-prune: weight '" << c.weight->name << "': "
          << llvm::formatv("{0:P1}", s) << " of " << c.layout.cols
          << " inputs per output would remove every input; keeping 1 per "
             "output";
    }
    return zeros;
  }

  /// Relative errors of pruned (and rounded) versions of one layer,
  /// ||(W - W')X^T||^2 / ||W X^T||^2 with its Gram matrix (one GEMM each,
  /// hessianQuadratic), ||W - W'||^2 / ||W||^2 without; W in layout order
  /// and the denominator are computed once per layer.
  struct ErrorMeter {
    Matrix w;
    ArrayRef<double> gram;
    double base = 0;

    ErrorMeter(Matrix weight, ArrayRef<double> gramMatrix)
        : w(std::move(weight)), gram(gramMatrix), base(squared(w)) {}
    double squared(const Matrix &m) const {
      if (!gram.empty())
        return hessianQuadratic(m, gram);
      double total = 0;
      for (double v : m.data)
        total += v * v;
      return total;
    }
    /// The relative error of `pruned` (W' in layout order).
    double operator()(const Matrix &pruned) const {
      Matrix d = w;
      for (size_t i = 0; i < d.data.size(); ++i)
        d.data[i] -= pruned.data[i];
      return base > 0 ? squared(d) / base : 0.0;
    }
  };
  template <typename CandidateT>
  static ErrorMeter errorMeter(const CandidateT &c) {
    return ErrorMeter(toMatrix(c.values, c.layout), c.gram);
  }

  /// The candidate's weights for its current mask (updated by OBS, refitted
  /// with refit=lsq), pruned, in layout order.
  template <typename CandidateT> Matrix prunedMatrix(const CandidateT &c) {
    std::vector<double> pruned = refit == Refit::LSQ ? refitLsq(c)
                                 : c.updated.empty() ? c.values
                                                     : c.updated;
    for (size_t i = 0; i < pruned.size(); ++i)
      if (!c.keep[i])
        pruned[i] = 0.0;
    return toMatrix(pruned, c.layout);
  }

  /// `pruned` as nn-sparsify stores it with values of `type` (rounded per
  /// output row of the layout matrix).
  static Matrix asStored(const Matrix &pruned, kernels::ValueType type) {
    if (type == kernels::ValueType::F32)
      return pruned;
    std::vector<float> f(pruned.data.begin(), pruned.data.end());
    std::vector<float> q =
        kernels::dequantized(f.data(), pruned.rows, pruned.cols, type);
    return Matrix{pruned.rows, pruned.cols,
                  std::vector<double>(q.begin(), q.end())};
  }

  /// What the adaptive scope and the budgets keep of a layer between their
  /// passes: its curve on the grid (every (sparsity, value type) point's
  /// relative error, and for a budget its predicted bytes and ns), then
  /// the point chosen for it.
  struct LayerCurve {
    int64_t size = 0;
    std::vector<double> err, bytes, ns;
    double dense = 0; ///< the budget's base: dense f32 bytes or ns
    double target = 0;
    kernels::ValueType valueType = kernels::ValueType::F32;
    int64_t predictedBytes = 0, predictedNs = 0;
  };

  /// The layer's relative error at each point of the adaptive grid.
  template <typename CandidateT>
  LogicalResult adaptiveCurve(CandidateT &c, LayerCurve &curve) {
    curve.size = c.values.size();
    ErrorMeter error = errorMeter(c);
    for (double s : adaptiveSparsityGrid()) {
      if (failed(selectUnstructured(c, s)))
        return failure();
      curve.err.push_back(error(prunedMatrix(c)));
    }
    return success();
  }

  /// Chooses per-layer sparsities reaching round(sparsity * total) zeros
  /// with the least total relative error, greedily on the grid
  /// (allocateSparsities).
  void allocateAdaptively(std::vector<LayerCurve> &curves) {
    std::vector<double> grid = adaptiveSparsityGrid();
    std::vector<std::vector<double>> err;
    std::vector<int64_t> sizes;
    for (LayerCurve &curve : curves) {
      sizes.push_back(curve.size);
      err.push_back(std::move(curve.err));
    }
    AdaptiveAllocation alloc = allocateSparsities(sizes, err, grid, sparsity);
    if (alloc.shortfall > 0)
      emitWarning(getOperation().getLoc())
          << "nn-prune: adaptive allocation stops at 98% per layer: "
          << alloc.wanted - alloc.shortfall << " of the requested "
          << alloc.wanted << " zeros";
    for (size_t l = 0; l < curves.size(); ++l)
      curves[l].target = alloc.sparsities[l];
  }

  bool hasBudget() const { return budgetBytes > 0.0 || budgetLatency > 0.0; }
  /// budget-value-types, widest first (if none: all four).
  SmallVector<kernels::ValueType> budgetTypes;

  /// The pruned weight of the candidate's current mask, W[rows, cols] in
  /// layout order, as nn-sparsify will read it.
  template <typename CandidateT>
  static std::vector<float> maskedMatrix(const CandidateT &c) {
    const std::vector<double> &v = c.updated.empty() ? c.values : c.updated;
    std::vector<float> m(v.size());
    for (size_t p = 0; p < v.size(); ++p) {
      size_t i = c.layout.index[p];
      m[p] = c.keep[i] ? static_cast<float>(v[i]) : 0.0f;
    }
    return m;
  }

  /// The plan nn-sparsify{format=auto} follows after a budget
  /// (layout::budgetModel): the smallest format for bytes, the fastest for
  /// latency.
  layout::CostModel budgetCostModel() const {
    return layout::budgetModel(
        budgetBytes > 0.0,
        budgetIsa == IsaOption::Host       ? layout::hostIsa()
        : budgetIsa == IsaOption::Portable ? layout::Isa::Portable
        : budgetIsa == IsaOption::Avx2     ? layout::Isa::Avx2
                                           : layout::Isa::Avx512);
  }

  /// The layer's points for a budget: every (budget grid sparsity, value
  /// type), sparsity major (point 0 is unpruned f32: budgetTypes' first is f32
  /// if listed), with its relative error and predicted bytes and ns; and the
  /// layer's dense cost.
  template <typename CandidateT>
  LogicalResult budgetCurve(CandidateT &c, const layout::CostModel &model,
                            LayerCurve &curve) {
    bool byBytes = budgetBytes > 0.0;
    // The costs are those of the kernels nn-sparsify makes of linalg
    // contractions; a TOSA op keeps its weight a dense constant.
    auto tosaUse = llvm::find_if(
        c.weight->uses, [](const WeightUse &use) { return use.isTosa(); });
    if (tosaUse != c.weight->uses.end())
      return emitError(c.weight->constOp->getLoc())
             << "nn-prune: " << (byBytes ? "budget-bytes" : "budget-latency")
             << " predicts the cost of sparse kernels, but weight '"
             << c.weight->name << "' is read by '"
             << tosaUse->consumer->getName()
             << "', a TOSA op; convert the model to linalg first "
                "(--nn-tosa-to-linalg)";
    curve.size = c.values.size();
    ErrorMeter error = errorMeter(c);
    for (double s : budgetSparsityGrid()) {
      if (failed(selectUnstructured(c, s)))
        return failure();
      std::vector<float> m = maskedMatrix(c);
      Matrix pruned = prunedMatrix(c);
      for (kernels::ValueType type : budgetTypes) {
        curve.err.push_back(error(asStored(pruned, type)));
        PredictedStorage p =
            predictStorage(*c.weight, m, c.layout.rows, c.layout.cols, model,
                           layout::kDefaultTiledFromBatch, 32, type);
        curve.bytes.push_back(p.bytes);
        // (A convolution's im2col copy goes with its dense points.)
        curve.ns.push_back(p.ns + predictIm2colNs(*c.weight, p.format));
      }
      if (s == 0.0) // the budget's base: the dense f32 weight
        curve.dense =
            byBytes ? double(c.values.size()) *
                          c.weight->type.getElementTypeBitWidth() / 8
                    : predictStorage(*c.weight, m, c.layout.rows, c.layout.cols,
                                     model, layout::kDefaultTiledFromBatch, 32)
                              .denseNs +
                          predictIm2colNs(*c.weight, layout::Format::Dense);
    }
    return success();
  }

  /// Chooses per-layer points (sparsity on the adaptive grid, value type)
  /// whose predicted bytes (budget-bytes) or ns (budget-latency) as
  /// nn-sparsify would store them total at most the budget, with the least
  /// total relative error (allocateToBudget); records the predictions.
  LogicalResult allocateBudget(std::vector<LayerCurve> &curves) {
    std::vector<double> grid = budgetSparsityGrid();
    bool byBytes = budgetBytes > 0.0;
    size_t numLayers = curves.size();
    std::vector<std::vector<double>> err(numLayers), cost(numLayers);
    double dense = 0;
    for (size_t l = 0; l < numLayers; ++l) {
      err[l] = curves[l].err;
      cost[l] = byBytes ? curves[l].bytes : curves[l].ns;
      dense += curves[l].dense;
    }
    double fraction = byBytes ? budgetBytes : budgetLatency;
    StringRef option = byBytes ? "budget-bytes" : "budget-latency";
    StringRef unit = byBytes ? " bytes" : " ns";
    std::string fractionText = shortNumber(fraction);
    // A budget is the whole model's: the bytes of its other constants
    // (biases) and the work outside the weights' kernels stay whatever the
    // sparsities.
    ArrayRef<WeightInfo> weights = getAnalysis<WeightAnalysis>().getWeights();
    double other = byBytes ? predictOtherBytes(getOperation(), weights)
                           : predictOtherNs(getOperation(), weights);
    BudgetAllocation alloc =
        allocateToBudget(cost, err, fraction * (dense + other) - other);
    auto otherText = [&] {
      if (other <= 0.0)
        return std::string();
      return byBytes ? llvm::formatv(", {0:F0} bytes of it in other constants",
                                     other)
                           .str()
                     : llvm::formatv(", {0:F0} ns of it outside the weights' "
                                     "kernels",
                                     other)
                           .str();
    };
    if (!alloc.met) {
      emitError(getOperation().getLoc())
          << "nn-prune: " << option << "=" << fractionText
          << " cannot be met: at most " << shortNumber(grid.back() * 100.0)
          << "% per layer, the " << numLayers << " weights are predicted at "
          << llvm::formatv("{0:F0}", alloc.cost + other) << unit << " ("
          << llvm::formatv("{0:P1}", (alloc.cost + other) / (dense + other))
          << " of the dense " << llvm::formatv("{0:F0}", dense + other) << unit
          << otherText() << ")";
      return failure();
    }
    for (size_t l = 0; l < numLayers; ++l) {
      size_t g = alloc.points[l];
      curves[l].target = grid[g / budgetTypes.size()];
      curves[l].valueType = budgetTypes[g % budgetTypes.size()];
      // Only the budget's own quantity: it tells nn-sparsify which plan.
      if (byBytes)
        curves[l].predictedBytes = std::llround(curves[l].bytes[g]);
      else
        curves[l].predictedNs = std::llround(curves[l].ns[g]);
    }
    emitRemark(getOperation().getLoc())
        << "nn-prune: " << option << "=" << fractionText << ": predicted "
        << llvm::formatv("{0:F0}", alloc.cost + other) << " of the dense "
        << llvm::formatv("{0:F0}", dense + other) << unit << " ("
        << llvm::formatv("{0:P1}", (alloc.cost + other) / (dense + other))
        << otherText() << "), total relative error "
        << llvm::formatv("{0:F4}", alloc.error);
    return success();
  }

  /// The weight-order mask `keep` in layout order.
  static std::vector<uint8_t> layoutKeep(const std::vector<uint8_t> &keep,
                                         const MatrixLayout &layout) {
    std::vector<uint8_t> m(keep.size());
    for (size_t p = 0; p < keep.size(); ++p)
      m[p] = keep[layout.index[p]];
    return m;
  }

  /// Per-output activation statistic for the channel criteria.
  FailureOr<std::vector<double>> readChannelStats(const WeightInfo &w,
                                                  int64_t rows) {
    auto calib = w.constOp->getAttrOfType<DictionaryAttr>("nn.calib");
    StringRef key = criterion == Criterion::Activation ? "act_mean"
                                                       : "act_entropy";
    auto stats = calib ? calib.getAs<ElementsAttr>(key) : ElementsAttr();
    if (!stats)
      return emitError(w.constOp->getLoc())
             << "nn-prune: weight '" << w.name
             << "' has no activation statistics (" << key
             << "): nn-calibrate records them when the layer's output is in "
                "the entry function";
    if (cast<ShapedType>(stats.getType()).getNumElements() != rows)
      return emitError(w.constOp->getLoc())
             << "nn-prune: the activation statistics of weight '" << w.name
             << "' do not match its " << rows << " outputs";
    return readWeight(stats, w.constOp);
  }

  /// The calibration Gram matrix of `w` (cols x cols), or failure with a
  /// diagnostic.
  FailureOr<std::vector<double>> readGram(const WeightInfo &w, int64_t cols) {
    auto calib = w.constOp->getAttrOfType<DictionaryAttr>("nn.calib");
    auto gram = calib ? calib.getAs<ElementsAttr>("gram") : ElementsAttr();
    if (!gram)
      return emitError(w.constOp->getLoc())
             << "nn-prune: weight '" << w.name
             << "' has no calibration statistics (nn.calib): run "
                "--nn-calibrate first";
    auto type = cast<ShapedType>(gram.getType());
    if (type.getRank() != 2 || type.getDimSize(0) != cols ||
        type.getDimSize(1) != cols)
      return emitError(w.constOp->getLoc())
             << "nn-prune: the calibration statistics of weight '" << w.name
             << "' are " << type << ", expected " << cols << "x" << cols;
    return readWeight(gram, w.constOp);
  }

  /// makeCandidate on every weight, a window of them at a time (`window`
  /// threads); `prepare` on each candidate in parallel, then `consume` on
  /// each in weight order (none after an error). False on an error.
  bool
  forEachCandidate(ArrayRef<WeightInfo> weights, size_t window,
                   llvm::function_ref<void(Candidate &)> prepare,
                   llvm::function_ref<LogicalResult(Candidate &)> consume) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    bool hadError = false;
    for (size_t first = 0; first < weights.size(); first += window) {
      size_t count = std::min(window, weights.size() - first);
      std::vector<FailureOr<std::optional<Candidate>>> made(count, failure());
      auto make = [&](size_t i) {
        made[i] = makeCandidate(weights[first + i]);
        if (succeeded(made[i]) && *made[i])
          prepare(**made[i]);
      };
      if (count == 1) {
        make(0);
      } else {
        ParallelDiagnosticHandler handler(ctx);
        parallelFor(ctx, 0, count, [&](size_t i) {
          handler.setOrderIDForThread(i);
          make(i);
          handler.eraseOrderIDForThread();
        });
      }
      for (auto &c : made) {
        if (failed(c))
          hadError = true;
        else if (*c && !hadError)
          hadError = failed(consume(**c));
      }
      made.clear();
      releaseUnreferencedBlobs(module, replacedBlobs);
      replacedBlobs.clear();
    }
    return !hadError;
  }

  /// Every pass over the weights scores the same weights alike: false,
  /// with an internal error, when the last pass counted `last` where an
  /// earlier one counted `first`.
  bool samePasses(StringRef firstPass, int64_t first, int64_t last,
                  StringRef unit) {
    if (first == last)
      return true;
    emitError(getOperation().getLoc())
        << "nn-prune: internal error: " << firstPass << " " << first << " "
        << unit << ", the last pass " << last;
    return false;
  }

  void runOnModule() {
    ModuleOp module = getOperation();
    if (failed(checkOptions()))
      return signalPassFailure();
    auto &analysis = getAnalysis<WeightAnalysis>();
    if (failed(checkSelections(analysis)))
      return signalPassFailure();
    if (analysis.getWeights().empty()) {
      InFlightDiagnostic diag = emitWarning(module.getLoc())
                                << "nn-prune: nothing pruned: no constant "
                                   "weight feeds a contraction";
      WeightAnalysis::explainNoWeights(module, *diag.getUnderlyingDiagnostic());
      return;
    }
    // One weight at a time: score, select and write each before reading
    // the next, so that the pass holds one layer's working buffers (not the
    // whole model's) on top of the blobs. Layer-wise selection does it in
    // one pass. The global scope first finds its one threshold by passes
    // that score every weight and keep only a histogram of the scores
    // (StreamingLowestSelect); the adaptive scope and the budgets by a pass
    // that keeps each layer's error (and cost) curve, from which they
    // choose every layer's sparsity. Their last pass scores each weight
    // again, selects and writes it; the earlier ones say nothing but
    // errors, so each remark and warning comes once.
    int64_t numStreamed = 0;
    ArrayRef<WeightInfo> weights = analysis.getWeights();
    // A window of weights (one per thread) is scored and selected in
    // parallel, then written in order: the memory is a few layers'
    // buffers, the diagnostics come out in weight order.
    MLIRContext *ctx = &getContext();
    // (Data-aware criteria use threads inside each weight, BLAS among
    // them, whose thread setting is process-wide: one weight at a time.)
    // (A budget reads the Hessian of a calibrated weight too: one Gram
    // matrix at a time.)
    size_t window = ctx->isMultithreadingEnabled() && !needsCalibration &&
                            !isDataAware(criterion) && !hasBudget()
                        ? std::max<size_t>(1, ctx->getNumThreads())
                        : 1;
    auto quietExceptErrors = [](Diagnostic &d) {
      return success(d.getSeverity() != DiagnosticSeverity::Error);
    };
    auto write = [&](Candidate &c) -> LogicalResult {
      select(c);
      commit(c);
      ++numStreamed;
      return success();
    };
    bool ok;
    if (scope == Scope::Adaptive || hasBudget()) {
      std::vector<LayerCurve> curves;
      std::optional<layout::CostModel> model;
      if (hasBudget())
        model = budgetCostModel();
      {
        ScopedDiagnosticHandler quiet(ctx, quietExceptErrors);
        ReuseLargeBlocks reuse;
        ok = forEachCandidate(
            weights, window, [](Candidate &) {},
            [&](Candidate &c) {
              curves.emplace_back();
              return model ? budgetCurve(c, *model, curves.back())
                           : adaptiveCurve(c, curves.back());
            });
      }
      if (ok) {
        if (hasBudget())
          ok = succeeded(allocateBudget(curves));
        else
          allocateAdaptively(curves);
      }
      size_t layer = 0;
      if (ok)
        ok = forEachCandidate(
            weights, window, [](Candidate &) {},
            [&](Candidate &c) -> LogicalResult {
              if (layer == curves.size())
                return emitError(c.weight->constOp->getLoc())
                       << "nn-prune: weight '" << c.weight->name
                       << "' was not scored in the allocation's pass";
              const LayerCurve &curve = curves[layer++];
              c.target = curve.target;
              c.valueType = curve.valueType;
              c.predictedBytes = curve.predictedBytes;
              c.predictedNs = curve.predictedNs;
              if (failed(selectUnstructured(c, c.target)))
                return failure();
              return write(c);
            });
      ok = ok && samePasses("the allocation scored", int64_t(curves.size()),
                            int64_t(layer), "weights");
    } else if (scope == Scope::Layer) {
      ok = forEachCandidate(
          weights, window, [&](Candidate &c) { select(c); },
          [&](Candidate &c) {
            commit(c);
            ++numStreamed;
            return success();
          });
    } else {
      int64_t elements = 0;
      for (const WeightInfo &w : weights)
        elements += w.numElements();
      StreamingLowestSelect threshold(
          [&](int64_t units) { return targetZeros(units, sparsity); },
          elements);
      ok = true;
      while (ok && threshold.needsPass()) {
        ScopedDiagnosticHandler quiet(ctx, quietExceptErrors);
        ok = forEachCandidate(
            weights, window, [](Candidate &) {},
            [&](Candidate &c) {
              if (c.global)
                threshold.add(c.scores);
              return success();
            });
        threshold.finishPass();
      }
      int64_t masked = 0;
      if (ok)
        ok = forEachCandidate(
            weights, window, [](Candidate &) {},
            [&](Candidate &c) {
              if (c.global) {
                c.keep = threshold.mask(c.scores); // in weight order
                masked += llvm::count(c.keep, uint8_t(0));
              }
              return write(c);
            });
      ok = ok && samePasses("the global threshold selects",
                            threshold.numZeros(), masked, "units");
    }
    releaseUnreferencedBlobs(module, replacedBlobs);
    replacedBlobs.clear();
    if (!ok)
      return signalPassFailure();
    if (numStreamed == 0)
      emitWarning(module.getLoc())
          << "nn-prune: nothing pruned: every one of the "
          << analysis.getWeights().size()
          << " weights was skipped (only=, exclude=, min-elements=, or an "
             "unsupported element type or shape)";
  }

  /// Checks the options; parses the block shape and the overrides.
  LogicalResult checkOptions() {
    ModuleOp module = getOperation();
    if (!(sparsity >= 0.0 && sparsity < 1.0)) {
      emitError(module.getLoc()) << "nn-prune: option 'sparsity' must be in [0, 1), got "
                         << sparsity;
      return failure();
    }
    if (!(damp >= 0.0 && std::isfinite(damp))) {
      emitError(module.getLoc())
          << "nn-prune: option 'damp' must be a finite number >= 0, got "
          << damp;
      return failure();
    }
    if (!(refitTolerance > 0.0 && refitTolerance < 1.0)) {
      emitError(module.getLoc())
          << "nn-prune: option 'refit-tolerance' must be in (0, 1), got "
          << refitTolerance;
      return failure();
    }
    if (refitTolerance.hasValue() && refit != Refit::LSQ) {
      emitError(module.getLoc())
          << "nn-prune: option 'refit-tolerance' is for refit=lsq";
      return failure();
    }
    if (minElements < 0) {
      emitError(module.getLoc()) << "nn-prune: option 'min-elements' must be >= 0";
      return failure();
    }
    overrides.clear();
    if (failed(parseOverrides(overrides)))
      return failure();
    if (pattern == PrunePattern::NM && !(nmM > 0 && nmN < nmM)) {
      emitError(module.getLoc())
          << "nn-prune: N:M needs 0 <= n < m, got n=" << unsigned(nmN)
          << " m=" << unsigned(nmM);
      return failure();
    }
    if (pattern == PrunePattern::Block) {
      auto [r, c] = StringRef(block).split('x');
      if (r.getAsInteger(10, blockRows) || c.getAsInteger(10, blockCols) ||
          blockRows <= 0 || blockCols <= 0) {
        emitError(module.getLoc())
            << "nn-prune: option 'block' must be OUTxIN with positive sizes "
               "(e.g. 4x1), got '"
            << block << "'";
        return failure();
      }
    }

    if (failed(checkBudgetOptions()))
      return failure();
    needsCalibration = isDataAware(criterion) || refit == Refit::LSQ ||
                       scope == Scope::Adaptive;
    if (isChannelCriterion(criterion) && pattern != PrunePattern::Channel) {
      emitError(module.getLoc())
          << "nn-prune: criterion=" << stringifyCriterion(criterion)
          << " removes whole outputs: use pattern=channel";
      return failure();
    }
    if (scope == Scope::Adaptive && pattern != PrunePattern::Unstructured) {
      emitError(module.getLoc())
          << "nn-prune: scope=adaptive supports pattern=unstructured";
      return failure();
    }
    if (isOBS(criterion) &&
        (scope == Scope::Global ||
         (pattern != PrunePattern::Unstructured &&
          pattern != PrunePattern::NM))) {
      emitError(module.getLoc())
          << "nn-prune: criterion=sparsegpt|obs supports "
             "pattern=unstructured|nm with scope=layer|adaptive";
      return failure();
    }
    if (obsBlock <= 0) {
      emitError(module.getLoc()) << "nn-prune: option 'obs-block' must be > 0";
      return failure();
    }

    return success();
  }

  /// A budget replaces the sparsity and its allocation: the options that
  /// set them (and structured patterns) conflict with it.
  LogicalResult checkBudgetOptions() {
    ModuleOp module = getOperation();
    for (auto [name, value] : {std::pair<StringRef, double>{"budget-bytes",
                                                            budgetBytes},
                               {"budget-latency", budgetLatency}})
      if (!(value >= 0.0 && value <= 1.0)) {
        emitError(module.getLoc())
            << "nn-prune: option '" << name
            << "' must be a fraction of the dense cost in (0, 1], got "
            << shortNumber(value);
        return failure();
      }
    if (budgetBytes > 0.0 && budgetLatency > 0.0) {
      emitError(module.getLoc())
          << "nn-prune: budget-bytes and budget-latency are exclusive";
      return failure();
    }
    std::string bad;
    if (!layout::parseValueTypes(std::vector<std::string>(
                                     budgetValueTypes.begin(),
                                     budgetValueTypes.end()),
                                 budgetTypes, bad)) {
      emitError(module.getLoc())
          << "nn-prune: option 'budget-value-types' takes f32, bf16, f16 "
             "and i8, got '"
          << bad << "'";
      return failure();
    }
    if (!budgetTypes.empty() && !hasBudget()) {
      emitError(module.getLoc()) << "nn-prune: option 'budget-value-types' "
                                    "needs budget-bytes or budget-latency";
      return failure();
    }
    // By default a budget may store every value type: rounding the kept
    // weights to 8 or 16 bits costs far less error per byte than pruning
    // more of them, and bytes are exact; for latency, since csr-window i8
    // shares a window between pairs of steps, the plans with every type
    // measured within their budgets and kept more accuracy than f32-only
    // ones (scripts/budget-eval.sh, docs/UserGuide.md).
    if (budgetTypes.empty() && hasBudget())
      budgetTypes.assign({kernels::ValueType::F32, kernels::ValueType::BF16,
                          kernels::ValueType::F16, kernels::ValueType::I8});
    if (budgetTypes.empty())
      budgetTypes.push_back(kernels::ValueType::F32);
    if (!hasBudget())
      return success();
    StringRef conflict = sparsity.hasValue()         ? "sparsity"
                         : scope.hasValue()          ? "scope"
                         : !layerSparsity.empty()    ? "layer-sparsity"
                         : pattern.hasValue() &&
                                 pattern != PrunePattern::Unstructured
                             ? "pattern"
                             : "";
    if (!conflict.empty()) {
      emitError(module.getLoc())
          << "nn-prune: " << (budgetBytes > 0.0 ? "budget-bytes" : "budget-latency")
          << " chooses the per-layer sparsities itself (pattern=unstructured, "
             "adaptive allocation): drop option '"
          << conflict << "'";
      return failure();
    }
    return success();
  }

  /// Selections that name no weight are errors: the user asked for
  /// something specific that this model does not have.
  LogicalResult checkSelections(WeightAnalysis &analysis) {
    ModuleOp module = getOperation();
    bool hadError = false;
    auto names = [&] {
      std::string list;
      for (const WeightInfo &w : analysis.getWeights())
        list += (list.empty() ? "" : ", ") + w.idString() + " '" + w.name +
                "'";
      return list.empty() ? std::string("none") : list;
    };
    for (const std::string &p : only)
      if (llvm::none_of(analysis.getWeights(), [&](const WeightInfo &w) {
            return p == w.idString() || p == w.name;
          })) {
        emitError(module.getLoc())
            << "nn-prune: only=" << p << " names no weight (weights: "
            << names() << ")";
        hadError = true;
      }
    for (const Override &o : overrides)
      if (llvm::none_of(analysis.getWeights(),
                        [&](const WeightInfo &w) { return w.matches(o.pattern); })) {
        emitError(module.getLoc())
            << "nn-prune: layer-sparsity=" << o.pattern << ":" << o.sparsity
            << " matches no weight (weights: " << names() << ")";
        hadError = true;
      }
    return failure(hadError);
  }

  /// The weight as a candidate, scored (and its mask chosen for N:M and
  /// OBS); nullopt if it is not pruned, failure on an error.
  FailureOr<std::optional<Candidate>> makeCandidate(const WeightInfo &w) {
    if (!only.empty() && llvm::none_of(only, [&](const std::string &p) {
          return p == w.idString() || p == w.name;
        }))
      return std::optional<Candidate>();
    if (llvm::any_of(exclude,
                     [&](const std::string &p) { return w.matches(p); }))
      return std::optional<Candidate>();
    if (w.numElements() < minElements)
      return std::optional<Candidate>();
    if (w.numElements() == 0) {
      emitRemark(w.constOp->getLoc())
          << "nn-prune: weight '" << w.name
          << "' left untouched: it has no elements";
      return std::optional<Candidate>();
    }
    if (!isSupportedWeightElementType(w.type.getElementType())) {
      emitRemark(w.constOp->getLoc())
          << "nn-prune: weight '" << w.name << "' left untouched: element "
          << "type " << w.type.getElementType() << " is not supported";
      return std::optional<Candidate>();
    }
    FailureOr<std::vector<double>> values =
        readWeight(w.value, w.constOp);
    if (failed(values)) {
      return failure();
    }
    if (llvm::any_of(*values, [](double v) { return !std::isfinite(v); })) {
      emitError(w.constOp->getLoc()) << "nn-prune: weight '" << w.name
                             << "' contains NaN or infinite values";
      return failure();
    }
    Candidate c{&w, std::move(*values), {}, sparsity, scope == Scope::Global,
                {}, {}, {}, {}, {}};
    for (const Override &o : overrides)
      if (w.matches(o.pattern)) {
        c.target = o.sparsity;
        c.global = false;
      }
    if (pattern != PrunePattern::Unstructured || needsCalibration ||
        hasBudget()) {
      SmallVector<bool> isReduction;
      for (DimRole role : w.roles())
        isReduction.push_back(role == DimRole::Reduction);
      c.layout = makeMatrixLayout(w.type.getShape(), isReduction);
    }
    if (needsCalibration) {
      FailureOr<std::vector<double>> gram = readGram(w, c.layout.cols);
      if (failed(gram)) {
        return failure();
      }
      c.gram = std::move(*gram);
    } else if (hasBudget() && w.constOp->hasAttr("nn.calib")) {
      // The budget's error curves use the Hessian where there is one.
      FailureOr<std::vector<double>> gram = readGram(w, c.layout.cols);
      if (failed(gram))
        return failure();
      c.gram = std::move(*gram);
    }
    c.scores = scoresFor(c.values, w.id, c.layout, c.gram);
    if (scope == Scope::Adaptive || hasBudget()) {
      c.global = false; // allocated below
      return std::optional<Candidate>(std::move(c));
    }
    if (pattern == PrunePattern::NM) {
      if (c.layout.cols % nmM != 0) {
        emitRemark(w.constOp->getLoc())
            << "nn-prune: weight '" << w.name << "' left untouched: its "
            << "reduction size " << c.layout.cols << " is not a multiple "
            << "of m=" << unsigned(nmM);
        return std::optional<Candidate>();
      }
      c.target = 1.0 - double(nmN) / double(nmM);
      c.global = false; // N:M is the same everywhere
      if (isOBS(criterion)) {
        SparseGPTOptions opts;
        opts.nmN = nmN;
        opts.nmM = nmM;
        opts.damp = damp;
        opts.blockSize = obsBlock;
        if (failed(runSparseGPT(c, opts))) {
          return failure();
        }
      } else {
        c.keep = selectNM(c.scores, c.layout, nmN, nmM);
      }
    } else if (pattern == PrunePattern::Unstructured &&
               isOBS(criterion)) {
      c.global = false;
      SparseGPTOptions opts;
      opts.sparsity = c.target;
      opts.damp = damp;
      opts.blockSize = obsBlock;
      opts.exactMaxCols = criterion == Criterion::OBS ? obsExactMax : 0;
      if (failed(runSparseGPT(c, opts))) {
        return failure();
      }
    } else if (pattern == PrunePattern::Unstructured &&
               criterion == Criterion::Wanda && !c.global) {
      // Wanda compares within each output: the same count per row.
      Matrix scores{c.layout.rows, c.layout.cols,
                    toMatrix(c.scores, c.layout).data};
      c.keep = fromLayout(selectLowestPerRow(scores, perRowZeros(c, c.target)),
                          c.layout);
    } else if (pattern != PrunePattern::Unstructured) {
      int64_t numGroups = c.layout.rows;
      if (pattern == PrunePattern::Block)
        c.groupOf = blockGroups(c.layout, blockRows, blockCols, numGroups);
      else
        c.groupOf = blockGroups(c.layout, 1, c.layout.cols, numGroups);
      if (isChannelCriterion(criterion)) {
        FailureOr<std::vector<double>> stats = readChannelStats(w, c.layout.rows);
        if (failed(stats)) {
          return failure();
        }
        c.scores = std::move(*stats);
      } else {
        c.scores = groupScores(c.scores, c.groupOf, numGroups);
      }
    }
    return std::optional<Candidate>(std::move(c));
  }

  /// Layer-wise selection of the masks not chosen yet (N:M, OBS and the
  /// global scope's chose theirs), the keep-the-strongest-unit rule, and
  /// group masks to element masks.
  void select(Candidate &c) {
    // Units are elements (unstructured) or groups (block, channel).
    if (c.keep.empty())
      c.keep = selectLowest(c.scores, targetZeros(c.scores.size(), c.target));
    // A sparsity below 1 never removes a whole weight (every output of a
    // layer for pattern=channel, the only block of a weight smaller than
    // `block`, a small weight rounded up to 100 %): its strongest unit stays.
    // N:M is exact by definition (n=0 asks for all zeros).
    if (pattern != PrunePattern::NM && c.updated.empty() &&
        c.scores.size() == c.keep.size() && !c.keep.empty() &&
        !llvm::is_contained(c.keep, uint8_t(1))) {
      size_t best = std::max_element(c.scores.begin(), c.scores.end()) -
                    c.scores.begin();
      c.keep[best] = 1;
      StringRef unit = pattern == PrunePattern::Channel ? "outputs"
                       : pattern == PrunePattern::Block ? "blocks"
                                                        : "elements";
      emitWarning(c.weight->constOp->getLoc())
          << "nn-prune: weight '" << c.weight->name << "': the selection "
          << "would remove all " << c.keep.size() << " " << unit
          << "; keeping the strongest one";
    }
    if (!c.groupOf.empty())
      c.keep = expandGroupMask(c.keep, c.groupOf);
  }

  /// Zeroes the pruned elements (after an LSQ refit), writes the weight
  /// back and records its decision.
  void commit(Candidate &c) {
    const WeightInfo &w = *c.weight;
    if (refit == Refit::LSQ)
      c.updated = refitLsq(c); // to the *original* layer outputs
    if (!c.updated.empty())
      c.values = std::move(c.updated);
    int64_t zeros = 0, removed = 0;
    for (size_t i = 0; i < c.values.size(); ++i) {
      if (!c.keep[i])
        c.values[i] = 0.0;
      zeros += c.values[i] == 0.0;
      removed += !c.keep[i];
    }
    // Structured patterns round to whole groups; say so when the result
    // is off the request by more than one group.
    if (!c.global && pattern != PrunePattern::NM && !isOBS(criterion)) {
      int64_t want = targetZeros(c.values.size(), c.target);
      int64_t slack = 1;
      if (pattern == PrunePattern::Block)
        slack = std::min(blockRows, c.layout.rows) *
                std::min(blockCols, c.layout.cols);
      else if (pattern == PrunePattern::Channel)
        slack = c.layout.cols;
      else if (criterion == Criterion::Wanda)
        slack = c.layout.rows; // one element per row
      if (std::abs(removed - want) > slack)
        emitWarning(w.constOp->getLoc())
            << "nn-prune: weight '" << w.name << "' is pruned to "
            << llvm::formatv("{0:P1}", double(removed) / c.values.size())
            << " instead of the requested "
            << llvm::formatv("{0:P1}", c.target) << " (" << removed << " of "
            << c.values.size() << " elements; the pattern rounds to whole "
            << "groups)";
    }
    ElementsAttr written =
        writeWeightReusing(w.value, w.type, c.values, blobKeyFor(w.name), writer);
    if (written != w.value)
      if (auto old = dyn_cast<DenseResourceElementsAttr>(w.value))
        replacedBlobs.push_back(old.getRawHandle());
    setConstantValue(w.constOp, written);
    bool isNM = pattern == PrunePattern::NM;
    bool isBlock = pattern == PrunePattern::Block;
    setDecision(w.constOp,
                DecisionAttr::get(
                    &getContext(), w.name, criterion, pattern,
                    isNM ? int64_t(nmN) : 0, isNM ? int64_t(nmM) : 0,
                    isBlock ? blockRows : 0, isBlock ? blockCols : 0,
                    scope == Scope::Adaptive || hasBudget() ? Scope::Adaptive
                    : c.global                              ? Scope::Global
                                                            : Scope::Layer,
                    refit, llvm::APFloat(c.target), zeros,
                    static_cast<int64_t>(c.values.size()), c.predictedBytes,
                    c.predictedNs, c.valueType));
    ++numWeightsPruned;
    numZeros += zeros;
    LLVM_DEBUG(llvm::dbgs() << "pruned " << w.name << ": " << zeros << "/"
                            << c.values.size() << " zeros\n");
  }

  /// Parsed from the options by checkOptions.
  int64_t blockRows = 1, blockCols = 1;
  SmallVector<Override> overrides;
  bool needsCalibration = false;
  /// Blobs this run replaced: freed at the end when nothing reads them.
  std::vector<DenseResourceElementsHandle> replacedBlobs;
};
} // namespace
