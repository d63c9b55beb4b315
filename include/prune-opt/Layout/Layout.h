//===- Layout.h - Layout policy, cost model and materialization -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Where a pruned weight's storage is decided (nn-sparsify calls
// chooseKernelLayout once per weight and records the result as
// #prune.layout) and materialized (nn-lower-kernels calls materialize with
// that layout). prune-bench uses the same functions, so the formats it
// measures are the ones the compiler would pick. No MLIR dependency (the
// Target enum is the prune dialect's, plain C++ from PruneEnums.td).
//
// Two cost models: the CPU kernel library's (constants measured with
// prune-bench) and, for nn-sparsify{target=gpu}, the GPU kernels' of
// lib/GpuRuntime (constants from public chip specifications, not measured:
// docs/Design.md, "GPU cost model").
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LAYOUT_LAYOUT_H
#define PRUNE_OPT_LAYOUT_LAYOUT_H

#include "prune-opt/Dialect/Prune/PruneEnums.h"
#include "prune-opt/Runtime/Kernels.h"

#include "llvm/ADT/ArrayRef.h"

#include <optional>
#include <utility>
#include <vector>

namespace mlir::prune::layout {

using ::pruneopt::kernels::Format;
using ::pruneopt::kernels::PackedWeight;
using ::pruneopt::kernels::ValueType;

/// What format=auto optimizes.
enum class Objective {
  /// Among the formats predicted not slower than dense (within the model's
  /// error, `margin`), the one that stores the fewest bytes.
  Size,
  /// The fastest predicted format; a sparse one must beat dense by `margin`.
  Latency,
};

/// The kernels the model predicts: the AVX-512 ones (where the constants
/// were fitted; every value type in dense, one-row csr and 4x1 bsr,
/// csr-tiled, bitmask and 2:4, f32 in the others), the AVX2 ones (CPUs without
/// AVX-512, and the other formats' 16- and 8-bit value types) or the portable
/// C++ ones.
enum class Isa { Avx512, Avx2, Portable };

/// The kernels this machine runs (prune_kernels_has_avx512(), _avx2()).
Isa hostIsa();

/// The GPUs the GPU cost model has constants for (nn-sparsify's gpu-chip).
enum class GpuChip {
  Sm80, ///< A100 SXM 80 GB
  Sm90, ///< H100 SXM
};

/// A GPU's public specifications, the per-chip constants of the GPU cost
/// model (docs/Design.md, "GPU cost model"; not measured here).
struct GpuChipSpec {
  const char *name;  ///< "sm_80", "sm_90"
  double hbmGBs;     ///< peak HBM bandwidth, GB/s
  int64_t sms;       ///< streaming multiprocessors
  int64_t fp32PerSm; ///< FP32 lanes per SM (non-tensor)
  double clockGHz;   ///< boost clock
  double l2MiB;      ///< L2 cache
  double l2GBs;      ///< L2 read bandwidth, GB/s (estimate)
};
const GpuChipSpec &gpuChipSpec(GpuChip chip);

/// The GPU cost model's inputs beyond the chip's constants.
struct GpuCostModel {
  GpuChip chip = GpuChip::Sm90;
  /// Peak HBM bandwidth, GB/s; 0 = the chip's (e.g. 4800 for an H200, an
  /// sm_90 with faster memory). nn-sparsify's gpu-bandwidth-gbs.
  double hbmGBs = 0;
  /// Every weight of the model stays in L2 between calls (see
  /// weightsFitInL2): weights are read at L2 bandwidth and latency.
  bool weightsInL2 = false;
};

/// Whether `bytes` of weights (the whole model's) stay in `chip`'s L2
/// between calls: they fit in half of it (the rest holds activations;
/// A100 and H100 split L2 into two partitions that may both hold a line).
bool weightsFitInL2(double bytes, GpuChip chip);

/// Whether lib/GpuRuntime has kernels for `format` (dense, csr, bsr, nm;
/// not bitmask or csr-tiled).
bool hasGpuKernel(Format format);

/// Constants of the kernel cost model (docs/Design.md, "Kernel cost model").
struct CostModel {
  /// Which kernels are costed: the CPU library's (the fields below up to
  /// `objective`) or the GPU's (`gpu`).
  Target target = Target::Cpu;
  GpuCostModel gpu;
  Isa isa = Isa::Avx512;
  /// Memory read bandwidth of one core, GB/s (nn-sparsify's bandwidth-gbs).
  double bandwidthGBs = 12.0;
  /// Weights up to this size are cache-resident (nn-sparsify's cache-kib).
  int64_t cacheKiB = 2048;
  /// The model's relative error: Size accepts a format predicted up to
  /// (1 + margin) x dense's cost; Latency takes a sparse format only below
  /// (1 - margin) x dense's cost.
  double margin = 0.1;
  Objective objective = Objective::Size;
  /// Size: formats storing at most (1 + sizeSlack) x the smallest
  /// eligible format's bytes count as the same size, and the fastest of
  /// them is taken (at 90 % bitmask and csr-window store within 1 % of
  /// each other, and csr-window runs several times faster at batch 1).
  double sizeSlack = 0.05;
  /// The formats format=auto may choose besides dense, the reference it
  /// always compares with (bit i: Format i; nn-sparsify's `formats`).
  uint32_t autoFormats = ~0u;
  bool allows(Format format) const {
    return autoFormats >> static_cast<int>(format) & 1;
  }

  /// Whether a sparse format of predicted cost `sparse` (and `sparseBytes`
  /// stored) is preferred to dense (`dense`, `denseBytes`).
  bool prefersSparse(double sparse, double dense, double sparseBytes,
                     double denseBytes) const;
};

/// `names` as value types, each once, widest first (the order
/// chooseKernelLayout and the budgets take them in). Returns false, with
/// `bad` the first name that is not f32, bf16, f16 or i8.
bool parseValueTypes(llvm::ArrayRef<std::string> names,
                     llvm::SmallVectorImpl<ValueType> &types, std::string &bad);

/// The cost model a budget plans with, and nn-sparsify{format=auto} then
/// follows for the weights of a budget (nn-prune{budget-bytes|budget-
/// latency}): for bytes the smallest format whatever its speed (objective
/// size, an unbounded margin, no size slack), for latency the fastest
/// (objective latency, no margin).
CostModel budgetModel(bool bytes, Isa isa);

/// The batch from which csr, bitmask and N:M weights use the batched
/// layout (csr-tiled): the default of nn-sparsify's and nn-lower-kernels'
/// `csr-tiled-batch` (measured: csr-tiled ~1.5x faster than csr from 8 batch
/// rows on).
constexpr int64_t kDefaultTiledFromBatch = 8;

/// The batched-layout rule, the only place it is written: a weight used at
/// `batch` rows gets the batched layout of `format` when it has one and
/// `tiledFromBatch` > 0 and `batch` >= it. Only on the CPU: the GPU kernels
/// run csr, bsr and nm as they are at every batch.
bool usesBatchedLayout(Format format, int64_t batch, int64_t tiledFromBatch,
                       Target target = Target::Cpu);

/// The structure a pruning pattern gave a weight (0 = none).
struct Structure {
  int64_t blockRows = 0, blockCols = 0; // pattern=block
  int64_t n = 0, m = 0;                 // pattern=nm
};

/// Packs the row-major W[rows, cols] in `format` (in its batched layout if
/// `batched`). Returns false if the weight does not have the structure the
/// format needs (blocks that do not tile it, more than n nonzeros in a
/// group of m).
/// The values are stored as `valueType` (kernels::quantizeValues).
bool materialize(const float *w, int64_t rows, int64_t cols, Format format,
                 bool batched, const Structure &structure, PackedWeight &out,
                 ValueType valueType = ValueType::F32);

/// Bits per index of a packed weight (0 dense, 1 bitmask, 2 for 2:4,
/// else the width of its column indices).
int64_t indexBits(const PackedWeight &packed);

/// Expected ns of one call of a kernel. CPU: the larger of the time to
/// stream its bytes and its compute time (per-element costs measured by
/// prune-bench on the dev VM); `transposedInput`: x arrives as [K, batch].
/// GPU (model.target): gpuKernelCost.
double kernelCost(const PackedWeight &packed, int64_t batch,
                  bool transposedInput, const CostModel &model);

/// Expected ns of a csr filter `packed` run by a convolution that reads its
/// input in place over `positions` grid positions (nn-lower-kernels'
/// lowerConvInPlace: x read in place, each output row contiguous). The
/// AVX-512 kernel runs each output row over the whole grid (csrRowSpans);
/// other ISAs run the chunked batched kernel (kernelCost).
double inPlaceConvCost(const PackedWeight &packed, int64_t positions,
                       const CostModel &model);

/// Expected ns of one call of lib/GpuRuntime's launchFc plan for `packed`
/// at `batch` (launches included), by the GPU cost model (docs/Design.md,
/// "GPU cost model"); dense is the faster of the project's kernels and
/// cuBLAS. Infinite for a format without GPU kernels.
double gpuKernelCost(const PackedWeight &packed, int64_t batch,
                     const GpuCostModel &model);

/// One fully connected use of a weight.
struct FcUse {
  int64_t batch = 1;
  bool transposedInput = false;
};

/// The layout chosen for a fully connected weight.
struct KernelLayout {
  Format format = Format::Dense; // a selectable format
  ValueType valueType = ValueType::F32;
  bool batched = false;          // materialized in its batched layout
  int64_t batch = 1;             // the largest batch of the uses
  PackedWeight packed;           // what the kernel will read
  /// Predicted ns per call (summed over the uses) of every candidate
  /// format, with the chosen value type.
  std::vector<std::pair<Format, double>> costs;
  /// The requested format did not fit the weight; csr was used instead.
  bool fellBack = false;
};

/// Picks the storage of W[rows, cols] used by `uses`: `requested`, or for
/// nullopt (format=auto) the candidate the model's objective prefers:
/// the smallest of those predicted not slower than dense (Size), or the
/// fastest, a sparse one only past the margin (Latency). Auto's candidates
/// are dense, csr, csr-window (AVX-512, below the batched regime),
/// bitmask, and bsr / nm when `structure` has blocks / N:M groups, those
/// of them model.allows(); for the GPU (model.target) those with GPU
/// kernels (no bitmask or csr-window), never in the batched layout. A requested
/// format the target has no kernels for falls back to csr like one that does
/// not fit.
///
/// `valueTypes` (default: f32 only) are the value types the layout may
/// store, widest first; every (format, value type) pair is a candidate, and
/// the reference every candidate is compared with is dense with the first
/// (the widest) of them.
KernelLayout chooseKernelLayout(const float *w, int64_t rows, int64_t cols,
                                llvm::ArrayRef<FcUse> uses,
                                std::optional<Format> requested,
                                const Structure &structure,
                                const CostModel &model,
                                int64_t tiledFromBatch,
                                llvm::ArrayRef<ValueType> valueTypes = {});

/// One use of a weight by a contraction the kernels do not cover (left to
/// upstream's sparsifier as CSR/CSF loops).
struct LoopUse {
  double reuse = 1;       // extent of the parallel loops W is not indexed by
  double outputs = 1;     // W's elements along its non-reduction dims
  int64_t reductionDims = 1;
};

/// The loop cost model of format=auto for such weights: {dense, csr} ns per
/// call summed over the uses (nn-sparsify's description has the formulas).
std::pair<double, double> loopCosts(double elements, double bytes,
                                    int64_t nnz, llvm::ArrayRef<LoopUse> uses,
                                    const CostModel &model);

} // namespace mlir::prune::layout

#endif // PRUNE_OPT_LAYOUT_LAYOUT_H
