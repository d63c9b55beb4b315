//===- StoragePrediction.h - What nn-sparsify would store ------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The per-weight questions nn-sparsify asks before choosing a layout (are
// all uses fully connected layers? what are the loop cost model's uses?),
// shared with nn-prune's budgets, which predict the bytes and ns of the
// format nn-sparsify{format=auto} would choose at each candidate sparsity.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_TRANSFORMS_STORAGEPREDICTION_H
#define PRUNE_OPT_LIB_TRANSFORMS_STORAGEPREDICTION_H

#include "prune-opt/Analysis/WeightAnalysis.h"
#include "prune-opt/Layout/Layout.h"
#include "prune-opt/Utils/LinalgUtils.h"

#include <optional>

namespace mlir::prune {

/// The fully connected forms of every use of `w` (2-D convolutions as
/// their im2col FC, with `inputKM` set), or nullopt when a use is not one,
/// is not a direct view, or the uses disagree on [outputs, reduction]: the
/// weights nn-sparsify hands to the kernel layout policy.
std::optional<SmallVector<FullyConnected>>
fullyConnectedUses(const WeightInfo &w);

/// The uses of `w` as the loop cost model (layout::loopCosts) sees them.
SmallVector<layout::LoopUse> loopUsesOf(const WeightInfo &w);

/// Bytes of the sparse_tensor arrays of `w` stored as CSR with `nnz`
/// entries and `indexWidth`-bit positions and coordinates (0 = index).
double loopCsrBytes(const WeightInfo &w, double nnz, unsigned indexWidth);

/// What nn-sparsify{format=auto} with `model` stores for `w`.
struct PredictedStorage {
  layout::Format format = layout::Format::Dense;
  double bytes = 0; ///< stored
  double ns = 0;    ///< predicted per inference (all uses)
  double denseNs = 0; ///< predicted per inference stored dense
};

/// The storage nn-sparsify{format=auto} with `model` (and its
/// `csr-tiled-batch` / `index-width`) chooses for `w` holding `matrix`, the
/// row-major W[rows, cols] with rows = the weight's output elements and
/// cols = its reduction elements (their order within a row does not change
/// bytes or predicted ns). Assumes linalg consumers with static shapes.
/// The kernel layouts store values of `valueType` (other weights: f32).
PredictedStorage predictStorage(
    const WeightInfo &w, llvm::ArrayRef<float> matrix, int64_t rows,
    int64_t cols, const layout::CostModel &model, int64_t tiledFromBatch,
    unsigned indexWidth,
    layout::ValueType valueType = layout::ValueType::F32);

/// Predicted ns per inference of the work outside the weights' kernels:
/// every linalg op but the consumers of `weights` and the views between
/// them and their constants (a per-op constant plus a per-iteration term: the
/// lowering runs them as loops), and tensor.pad; not what the kernel calls
/// absorb (their inits' zero fills and bias broadcasts, the elementwise
/// chain on their results: bias add, ReLU), plus a constant per model call
/// and per kernel call (descriptors, buffers). A coarse term, for latency
/// budgets to be fractions of the whole model: the MNIST MLP 0.76 us and
/// LeNet 3.2 us, against ~0.75 and ~3.0 us measured outside the kernel
/// calls (perf's shares in prune-run --bench: JIT code, malloc/free, the
/// call). The im2col copies of the weights' convolutions are
/// predictIm2colNs's.
double predictOtherNs(Operation *root, llvm::ArrayRef<WeightInfo> weights);

/// Bytes of the constant tensors in `root` that are not `weights` (biases,
/// normalization parameters), as the compiled model stores them: budgets in
/// bytes are fractions of the whole model's parameters. Splats (a fill
/// folded into a constant) are not parameters and count as nothing.
double predictOtherBytes(Operation *root, llvm::ArrayRef<WeightInfo> weights);

/// Predicted ns per inference of the im2col copies of `w`'s convolution
/// uses when `w` is stored in `format`: none for a sparse filter of a
/// convolution that reads its input in place (readsInputInPlace).
double predictIm2colNs(const WeightInfo &w, layout::Format format);

} // namespace mlir::prune

#endif // PRUNE_OPT_LIB_TRANSFORMS_STORAGEPREDICTION_H
