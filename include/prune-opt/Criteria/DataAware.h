//===- DataAware.h - Pruning criteria that use calibration data -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Criteria for a layer W[rows = outputs, cols = inputs] whose inputs were
// observed on calibration data: H = X^T X (cols x cols, summed over all
// calibration rows of X). Plain C++; the O(n^3) steps of sparseGPT and
// lsqRefit run BLAS-3 / LAPACK kernels (OpenBLAS when built with
// PRUNE_OPT_USE_OPENBLAS, else Eigen), in float for large layers.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_CRITERIA_DATAAWARE_H
#define PRUNE_OPT_CRITERIA_DATAAWARE_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
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

/// The dense kernels as "OpenBLAS (<its core> kernels)" or "Eigen" (OpenBLAS
/// picks its kernels from the CPU when it loads; see lib/Criteria/Dense.cpp).
std::string denseKernelsName();

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

/// Options of lsqRefit.
struct LsqRefitOptions {
  /// The dampening shift = damp * mean(diag H) (the layer's, dead inputs
  /// counted as 1, as in sparseGPT): the refit minimises
  /// ||X (w - w')||^2 + shift ||(w - w')_S||^2 (a pull toward the original
  /// weights, not toward zero).
  double damp = 1e-6;
  /// Threads of the GEMMs, factorizations and per-row solves.
  unsigned threads = 1;
  DensePrecision precision = DensePrecision::Auto;
  /// Rows keeping at most this many weights are solved directly (Cholesky
  /// of H[S,S], k^3/3 flops for k kept); rows keeping more run batched
  /// conjugate gradients (one GEMM with H per iteration for all of them).
  /// Negative: the cost model's crossover, cbrt(48 * cols^2).
  int64_t directMaxKept = -1;
  /// CG: a row stops when each of its last two iterations lowered its
  /// objective by at most `tolerance` times the objective; the remaining
  /// gap to the exact solution is then a multiple of that: with the
  /// low-rank preconditioner measured 3e-7 to 1.2e-4 relative; with Jacobi
  /// alone 3e-4 to 2.1e-3 (slowly converging rows stop early: the MNIST
  /// pixels' Hessian at damp 0.01). DataAwareTest pins 1e-3 on its
  /// Hessians.
  double tolerance = 1e-4;
  int64_t maxIterations = 1000; ///< CG iterations at most (per row).
  /// CG's preconditioner: with 0, Jacobi (1 / H_cc on the kept set); with
  /// r > 0, a rank-r-plus-diagonal model of H from a randomized Nystrom
  /// sketch of the Jacobi-scaled H, restricted to each row's kept set and
  /// inverted by Woodbury (its r x r system factored once per row, k r^2
  /// flops for k kept). The model keeps only the sketch's directions well
  /// above the rest of the spectrum (none: Jacobi), and refuses a cut at
  /// r inside a flat dominant part (Jacobi instead). Negative: r at most
  /// 256 and 4 cols / sqrt(k) (k r^2 within ~8 GEMM rows of 2 cols^2);
  /// Jacobi for fewer than 256 inputs or 64 CG rows.
  int64_t preconditionRank = -1;
  /// Rows solved iteratively on the pruned side P (CG on G[P,P] y = w_P,
  /// G = (H + shift)^-1, one inverse for the layer, no low-rank model),
  /// the others on the kept set: negative, those pruning at most 60 % of
  /// their inputs, unless a pilot of 64 of them needs more than 11 steps;
  /// 0 none; positive every iterative row.
  int prunedSide = -1;
  /// The pruned side's steps after the first in bf16 (the products of
  /// bf16-rounded directions and G, summed in f32: twice the f32 GEMM's
  /// rate) where the CPU has AVX512-BF16 and the refit runs in f32:
  /// negative, unless the pilot misses its loss with them (then f32 steps
  /// for the layer); 0 never; positive even then.
  int bf16Steps = -1;
};

/// What a refit did (for tests and benchmarks).
struct LsqRefitStats {
  int64_t directRows = 0;       ///< rows solved by Cholesky
  int64_t iterativeRows = 0;    ///< rows solved by CG (either side)
  int64_t prunedSideRows = 0;   ///< of those, on the pruned side
  int64_t preconditionRank = 0; ///< rank of CG's low-rank model (0: Jacobi)
  int64_t maxIterations = 0;    ///< most CG steps any row took
  /// Wall seconds of the phases (0 for one that did not run): the direct
  /// solves; CG's low-rank model of H (its sketch, also when it is
  /// refused); the CG rows' set-up (start residual, Woodbury factors);
  /// CG's steps.
  double directSeconds = 0, sketchSeconds = 0, setupSeconds = 0,
         stepSeconds = 0;
  /// Wall seconds of the pruned side's G = (H + shift)^-1.
  double inverseSeconds = 0;
  /// The pruned side's stopping threshold after its pilot (the options'
  /// tolerance, or smaller where the pilot's loss needed it; 0 if the
  /// pruned side did not run).
  double prunedSideTolerance = 0;
  /// Whether the pruned side's steps after the first ran in bf16.
  bool bf16Steps = false;
};

/// Least-squares refit: for every row, the kept weights (mask 1) minimising
/// ||X w - X w'||^2 + shift ||w_S - w'_S||^2 over w' supported on the kept
/// set S, i.e. the solution of (H[S,S] + shift) w'_S = H[S,:] w + shift
/// w_S, shift = `damp` * mean(diag H): the dampening keeps what X
/// does not determine (fewer samples than inputs) at the original weights.
/// Pruned weights stay zero. Rows with few kept weights are solved
/// exactly; the others iteratively, to within `tolerance`
/// (LsqRefitOptions): those pruning at most 60 % on the pruned side (CG
/// on G[P,P] y = w_P, w' = w - G[:,P] y, G = (H + shift)^-1: one inverse
/// per layer, no per-row set-up), the others on the kept set. A row whose
/// direct solve fails keeps its original weights. `stats`, when given,
/// receives what it did.
Matrix lsqRefit(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
                llvm::ArrayRef<double> gram, const LsqRefitOptions &options,
                LsqRefitStats *stats = nullptr);
inline Matrix lsqRefit(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
                       llvm::ArrayRef<double> gram, double damp = 1e-6) {
  LsqRefitOptions options;
  options.damp = damp;
  return lsqRefit(w, keep, gram, options);
}

/// sum_r m_r H m_r^T for the rows m_r of `m` and the Gram matrix H
/// (`gram`, m.cols x m.cols): the squared output error ||m X^T||^2 of a
/// weight difference `m`. One GEMM (m.rows x m.cols x m.cols) with the
/// dense kernels, then a row-wise dot.
double hessianQuadratic(const Matrix &m, llvm::ArrayRef<double> gram);

} // namespace mlir::prune

#endif // PRUNE_OPT_CRITERIA_DATAAWARE_H
