//===- DataAware.h - Pruning criteria that use calibration data -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Criteria for a layer W[rows = outputs, cols = inputs] whose inputs were
// observed on calibration data: H = X^T X (cols x cols, summed over all
// calibration rows of X). Plain C++; the O(n^3) steps of sparseGPT run
// BLAS-3 / LAPACK kernels (OpenBLAS when built with PRUNE_OPT_USE_OPENBLAS,
// else Eigen), in float for large layers.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_CRITERIA_DATAAWARE_H
#define PRUNE_OPT_CRITERIA_DATAAWARE_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::prune {

/// A dense row-major matrix view used by the data-aware criteria.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> data; // row-major
  double &at(int64_t r, int64_t c) { return data[r * cols + c]; }
  double at(int64_t r, int64_t c) const { return data[r * cols + c]; }
};

/// OBD saliency 1/2 * H_qq * w_q^2 (diagonal Hessian of the layer loss).
std::vector<double> obdScores(const Matrix &w, llvm::ArrayRef<double> gram);

/// Wanda score |W_ij| * ||X_j||_2, with ||X_j||^2 = H_jj.
std::vector<double> wandaScores(const Matrix &w, llvm::ArrayRef<double> gram);

/// Keep-mask with exactly `zerosPerRow` zeros in every row (Wanda compares
/// within each output), lowest (score, column) first.
std::vector<uint8_t> selectLowestPerRow(const Matrix &scores,
                                        int64_t zerosPerRow);

/// Arithmetic of the dense O(n^3) steps (factorizations, GEMMs).
enum class DensePrecision {
  /// F32 when the layer's rows * cols^2 is at least autoF32Work(), F64
  /// below (small layers cost little either way).
  Auto,
  F32, ///< float (SparseGPT's reference precision): half the time of F64.
  F64,
};

/// The rows * cols^2 from which DensePrecision::Auto means F32.
constexpr double autoF32Work() { return double(1 << 30); }

/// True when the dense kernels run OpenBLAS (PRUNE_OPT_USE_OPENBLAS), false
/// when they run Eigen.
bool denseKernelsUseOpenBLAS();

/// Options of the OBS / SparseGPT solver.
struct SparseGPTOptions {
  double sparsity = 0.5;  ///< Unstructured target (ignored when nmM > 0).
  unsigned nmN = 0, nmM = 0; ///< N:M along the columns when nmM > 0.
  /// Columns per block: the mask is chosen per block and updates are
  /// applied lazily per block. Small blocks adapt the mask to earlier
  /// updates (measured best around 8-16 columns on 64-input layers).
  int64_t blockSize = 16;
  double damp = 0.01;      ///< Dampening, fraction of the mean diagonal.
  /// Unstructured layers with at most this many inputs use exactOBS
  /// instead (0: never).
  int64_t exactMaxCols = 0;
  /// Threads of the factorization, the lazy-update GEMMs and the per-row
  /// work of each block.
  unsigned threads = 1;
  /// F32: the Cholesky factor of H^-1 in float (in double if the float
  /// factorization fails) and the sweep over the columns in float.
  DensePrecision precision = DensePrecision::Auto;
};

/// Optimal Brain Surgeon on the layer-wise loss ||W X^T - W' X^T||^2 as in
/// SparseGPT: Cholesky of H^-1, columns swept left to right in blocks with
/// lazy updates; in each block the mask takes the lowest w^2 / [H^-1]_qq^2
/// (exactly round(sparsity * rows * cols) zeros in total, spread over the
/// blocks by their size), and the remaining weights are updated to
/// compensate. Inputs never seen (H_jj == 0) are pruned first. Returns the
/// pruned and updated weights; `failed` is set if H is not positive
/// definite even after dampening.
Matrix sparseGPT(const Matrix &w, llvm::ArrayRef<double> gram,
                 const SparseGPTOptions &options, bool *failed = nullptr);

/// Exact Optimal Brain Surgeon per row, greedy (as in Optimal Brain
/// Compression): each row removes, one weight at a time, the weight whose
/// removal raises the layer loss least, w_q^2 / (2 [H^-1]_qq), updates the
/// row's remaining weights by the OBS formula and H^-1 by the rank-1
/// downdate. The removals are then allocated across the rows of the layer
/// by their loss increments (the cheapest round(sparsity * rows * cols) in
/// total, each row in its own greedy order) and every row is rerun to its
/// count. O(rows * removals * cols^2): meant for layers with a few hundred
/// inputs (nn-prune uses it up to `obs-exact-max`). Same dampening, dead
/// inputs and failure convention as sparseGPT.
Matrix exactOBS(const Matrix &w, llvm::ArrayRef<double> gram, double sparsity,
                double damp = 0.01, bool *failed = nullptr);

/// Least-squares refit: for every row, the kept weights (mask 1) minimising
/// ||X w - X w'||^2 over w' supported on the kept set, i.e. the solution of
/// H[S,S] w'_S = H[S,:] w, with `damp` * mean(diag H[S,S]) added to the
/// diagonal for stability. Pruned weights stay zero.
Matrix lsqRefit(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
                llvm::ArrayRef<double> gram, double damp = 1e-6);

} // namespace mlir::prune

#endif // PRUNE_OPT_CRITERIA_DATAAWARE_H
