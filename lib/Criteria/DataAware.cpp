//===- DataAware.cpp - Pruning criteria that use calibration data ---------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/DataAware.h"

#include "Dense.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <tuple>
#include <type_traits>

using namespace mlir::prune;
using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

static Eigen::Map<const RowMatrix> gramMap(llvm::ArrayRef<double> gram,
                                           int64_t cols) {
  return Eigen::Map<const RowMatrix>(gram.data(), cols, cols);
}

std::vector<double> mlir::prune::obdScores(const Matrix &w,
                                           llvm::ArrayRef<double> gram) {
  std::vector<double> s(w.data.size());
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      double v = w.at(r, c);
      s[r * w.cols + c] = 0.5 * gram[c * w.cols + c] * v * v;
    }
  return s;
}

std::vector<double> mlir::prune::wandaScores(const Matrix &w,
                                             llvm::ArrayRef<double> gram) {
  std::vector<double> s(w.data.size());
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      s[r * w.cols + c] = std::fabs(w.at(r, c)) *
                          std::sqrt(std::max(gram[c * w.cols + c], 0.0));
  return s;
}

std::vector<uint8_t> mlir::prune::selectLowestPerRow(const Matrix &scores,
                                                     int64_t zerosPerRow) {
  std::vector<uint8_t> keep(scores.data.size(), 1);
  zerosPerRow = std::clamp<int64_t>(zerosPerRow, 0, scores.cols);
  std::vector<int64_t> order(scores.cols);
  for (int64_t r = 0; r < scores.rows; ++r) {
    std::iota(order.begin(), order.end(), 0);
    auto less = [&](int64_t a, int64_t b) {
      return std::tie(scores.data[r * scores.cols + a], a) <
             std::tie(scores.data[r * scores.cols + b], b);
    };
    if (zerosPerRow < scores.cols)
      std::nth_element(order.begin(), order.begin() + zerosPerRow, order.end(),
                       less);
    for (int64_t i = 0; i < zerosPerRow; ++i)
      keep[r * scores.cols + order[i]] = 0;
  }
  return keep;
}

/// H = X^T X with inputs never seen (H_jj == 0) marked `dead` and pinned to
/// an identity row/column (their weights cannot matter to the layer loss:
/// they are pruned first and H stays invertible), plus `damp` times the
/// mean diagonal (returned in `meanDiag`, before dampening).
static Eigen::MatrixXd dampedHessian(llvm::ArrayRef<double> gram, int64_t cols,
                                     double damp, std::vector<uint8_t> &dead,
                                     double &meanDiag) {
  Eigen::MatrixXd H = gramMap(gram, cols);
  dead.assign(cols, 0);
  for (int64_t c = 0; c < cols; ++c)
    if (!(H(c, c) > 0)) {
      dead[c] = 1;
      H.row(c).setZero();
      H.col(c).setZero();
      H(c, c) = 1;
    }
  meanDiag = H.diagonal().mean();
  H.diagonal().array() += damp * meanDiag;
  return H;
}

namespace {
template <typename T> bool allFinite(const std::vector<T> &v) {
  return std::all_of(v.begin(), v.end(), [](T x) { return std::isfinite(x); });
}

bool useF32(DensePrecision p, int64_t rows, int64_t cols) {
  if (p == DensePrecision::Auto)
    return double(rows) * double(cols) * double(cols) >= autoF32Work();
  return p == DensePrecision::F32;
}

/// The damped Hessian of sparseGPT, as dampedHessian builds it, without
/// the matrix: dead inputs and the diagonal shift damp * meanDiag.
struct DampedGram {
  llvm::ArrayRef<double> gram;
  int64_t n;
  std::vector<uint8_t> dead;
  double meanDiag = 0, shift = 0;

  DampedGram(llvm::ArrayRef<double> gram, int64_t n, double damp)
      : gram(gram), n(n), dead(n, 0) {
    double sum = 0;
    for (int64_t c = 0; c < n; ++c) {
      double d = gram[c * n + c];
      dead[c] = !(d > 0);
      sum += dead[c] ? 1.0 : d;
    }
    meanDiag = n ? sum / double(n) : 0.0;
    shift = damp * meanDiag;
  }
};

/// U (row-major, upper triangular) with H^-1 = U^T U, from one Cholesky of
/// H with its inputs reversed (J H J = L L^T, J the reversal): then
/// H^-1 = J L^-T L^-1 J = U^T U with U = J L^-1 J. One factorization and
/// one triangular inverse (2/3 n^3 flops) instead of factor, inverse and
/// factor again (~3 n^3). `extra` is added to the diagonal.
enum class FactorStatus { Ok, NotPositiveDefinite, NotFinite };
template <typename T>
FactorStatus inverseFactorUpper(const DampedGram &H, double extra,
                                std::vector<T> &U) {
  const int64_t n = H.n;
  dense::resizeOnHugePages(U, n * n);
  // Lower triangle of J H J: (i, j) = H(n-1-i, n-1-j), read backwards
  // along row n-1-i of the row-major gram. Dead inputs: identity rows.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = n - 1 - i;
    const double *row = &H.gram[a * n];
    T *u = &U[i * n];
    if (H.dead[a]) {
      std::fill(u, u + i, T(0));
    } else {
      for (int64_t j = 0; j < i; ++j) {
        const int64_t b = n - 1 - j;
        u[j] = H.dead[b] ? T(0) : T(row[b]);
      }
    }
    u[i] = T((H.dead[a] ? 1.0 : row[a]) + H.shift + extra);
  }
  if (!dense::choleskyLower(n, U.data(), n))
    return FactorStatus::NotPositiveDefinite;
  if (!dense::invertLower(n, U.data(), n))
    return FactorStatus::NotFinite;
  // U = J L^-1 J: (i, j) <- (n-1-i, n-1-j), i.e. the buffer reversed.
  std::reverse(U.begin(), U.end());
  return allFinite(U) ? FactorStatus::Ok : FactorStatus::NotFinite;
}

/// G = (H + shift)^-1 (n x n, both triangles, dead inputs as identity rows)
/// for the DampedGram H, inverted with unit diagonal (the Jacobi scaling
/// keeps a few large inputs from taking T's precision). False if H +
/// shift is not positive definite in T or G is not finite.
template <typename T>
bool dampedInverse(const DampedGram &H, std::vector<T> &G) {
  const int64_t n = H.n;
  std::vector<double> scale(n);
  for (int64_t c = 0; c < n; ++c)
    scale[c] = 1.0 / std::sqrt((H.dead[c] ? 1.0 : H.gram[c * n + c]) + H.shift);
  dense::assignOnHugePages(G, n * n, T(0));
  for (int64_t i = 0; i < n; ++i) {
    if (H.dead[i]) {
      G[i * n + i] = T(1);
      continue;
    }
    for (int64_t j = 0; j < i; ++j)
      if (!H.dead[j])
        G[i * n + j] = T(scale[i] * H.gram[i * n + j] * scale[j]);
    G[i * n + i] = T(1);
  }
  if (!dense::invertSpd<T>(n, G.data(), n))
    return false;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T &g = G[i * n + j];
      g = T(double(g) * scale[i] * scale[j]);
      if (!std::isfinite(double(g)) || (i == j && !(g > T(0))))
        return false;
    }
  return true;
}

/// The factor in double: one heavier retry (+ meanDiag) if H is not
/// positive definite.
bool inverseFactorUpperF64(const DampedGram &H, std::vector<double> &U) {
  FactorStatus st = inverseFactorUpper(H, 0.0, U);
  if (st == FactorStatus::NotPositiveDefinite)
    st = inverseFactorUpper(H, H.meanDiag, U);
  return st == FactorStatus::Ok;
}

/// An unsigned key with the order of the floating-point values.
inline uint32_t orderKey(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline uint64_t orderKey(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b & (uint64_t(1) << 63)) ? ~b : (b | (uint64_t(1) << 63));
}

/// The k-th smallest (1-based, 1 <= k <= n) of v[0, n): a histogram of
/// the top 12 bits of the order keys, then nth_element within the bucket
/// that holds it.
template <typename T>
T kthSmallest(const T *v, int64_t n, int64_t k, std::vector<T> &tmp) {
  using Key = decltype(orderKey(T()));
  constexpr int shift = int(sizeof(Key) * 8) - 12;
  std::vector<int64_t> hist(4096, 0);
  for (int64_t i = 0; i < n; ++i)
    ++hist[orderKey(v[i]) >> shift];
  int64_t bucket = 0, below = 0;
  while (below + hist[bucket] < k)
    below += hist[bucket++];
  tmp.clear();
  for (int64_t i = 0; i < n; ++i)
    if (int64_t(orderKey(v[i]) >> shift) == bucket)
      tmp.push_back(v[i]);
  std::nth_element(tmp.begin(), tmp.begin() + (k - below - 1), tmp.end());
  return tmp[k - below - 1];
}

/// The SparseGPT sweep over the columns, on WT = W^T (cols x rows,
/// row-major: a column of W is contiguous, so the per-block work runs
/// along the rows in SIMD) with U in T. keepT is the mask, transposed.
template <typename T>
void sweepColumns(std::vector<T> &WT, int64_t rows, int64_t cols,
                  const std::vector<T> &U, const std::vector<uint8_t> &dead,
                  const std::vector<int64_t> &blockZeros,
                  const SparseGPTOptions &options,
                  std::vector<uint8_t> &keepT) {
  const int64_t bs = std::max<int64_t>(options.blockSize, 1);
  const int64_t numBlocks = (cols + bs - 1) / bs;
  const unsigned threads = std::max(1u, options.threads);
  const int64_t nmN = options.nmN, nmM = options.nmM;
  std::vector<T> diag(cols);
  for (int64_t c = 0; c < cols; ++c)
    diag[c] = U[c * cols + c];
  // Updates are lazy at two levels: a block's errors reach the rest of its
  // super-block (up to 128 columns) right after the block, and the columns
  // past the super-block once per super-block, as one GEMM with k = the
  // super-block's width (a k of 16 leaves the GEMM far from peak). The
  // same sums as applying each block's update to every later column.
  const int64_t superBlocks = std::max<int64_t>(1, 128 / bs);
  // ErrT: the errors of the current super-block, one row per column.
  std::vector<T> errT(superBlocks * bs * rows);
  std::vector<T> scores, tmp;
  for (int64_t b = 0; b < numBlocks; ++b) {
    const int64_t i1 = b * bs, i2 = std::min(cols, i1 + bs), count = i2 - i1;
    const int64_t s1 = b / superBlocks * superBlocks * bs;
    const int64_t s2 = std::min(cols, s1 + superBlocks * bs);
    T *wb = &WT[i1 * rows];
    uint8_t *kb = &keepT[i1 * rows];

    if (nmM == 0 && blockZeros[b] > 0) {
      // Mask for the whole block: the lowest (w^2 / [U]_qq^2, r, j), dead
      // inputs first.
      scores.resize(count * rows);
      for (int64_t j = 0; j < count; ++j) {
        const T d2 = diag[i1 + j] * diag[i1 + j];
        const T *w = wb + j * rows;
        T *s = &scores[j * rows];
        if (dead[i1 + j])
          std::fill(s, s + rows, T(-1));
        else
          for (int64_t r = 0; r < rows; ++r)
            s[r] = w[r] * w[r] / d2;
      }
      const int64_t k = blockZeros[b], total = count * rows;
      if (k >= total) {
        std::fill(kb, kb + total, 0);
      } else {
        const T kth = kthSmallest(scores.data(), total, k, tmp);
        int64_t less = 0;
        for (int64_t i = 0; i < total; ++i) {
          bool lower = scores[i] < kth;
          less += lower;
          if (lower)
            kb[i] = 0;
        }
        // Ties at the k-th score: the first in (row, column) order.
        int64_t ties = k - less;
        for (int64_t r = 0; r < rows && ties > 0; ++r)
          for (int64_t j = 0; j < count && ties > 0; ++j)
            if (scores[j * rows + r] == kth) {
              kb[j * rows + r] = 0;
              --ties;
            }
      }
    }
    // The rows are independent within a block (N:M chooses each row's
    // groups on its own updated weights): chunks of rows, each a few KiB
    // per column, through the block's columns.
    T *eb = &errT[(i1 - s1) * rows];
    dense::parallelFor(
        threads, (rows + 255) / 256,
        [&](int64_t c0, int64_t c1) {
          const int64_t r0 = c0 * 256, r1 = std::min(rows, c1 * 256);
          for (int64_t j = 0; j < count; ++j) {
            const int64_t c = i1 + j;
            T *w = wb + j * rows;
            uint8_t *kr = kb + j * rows;
            if (nmM != 0 && c % nmM == 0 && c + nmM <= cols) {
              // N:M: choose this group's mask now, on the updated weights
              // (a group past the block reads weights that have not had
              // this block's updates yet): its nmM - nmN lowest
              // (w^2 / [U]_qq^2, column).
              std::vector<T> score(nmM);
              std::vector<uint8_t> taken(nmM);
              for (int64_t r = r0; r < r1; ++r) {
                for (int64_t g = 0; g < nmM; ++g) {
                  T v = WT[(c + g) * rows + r], d = diag[c + g];
                  score[g] = dead[c + g] ? T(-1) : v * v / (d * d);
                  taken[g] = 0;
                }
                for (int64_t p = 0; p < nmM - nmN; ++p) {
                  int64_t lo = -1;
                  for (int64_t g = 0; g < nmM; ++g)
                    if (!taken[g] && (lo < 0 || score[g] < score[lo]))
                      lo = g;
                  taken[lo] = 1;
                  keepT[(c + lo) * rows + r] = 0;
                }
              }
            }
            const T d = diag[c];
            T *e = eb + j * rows;
            for (int64_t r = r0; r < r1; ++r) {
              const T q = kr[r] ? w[r] : T(0);
              e[r] = (w[r] - q) / d;
              w[r] = q;
            }
            // Update the remaining columns of the block.
            for (int64_t t = c + 1; t < i2; ++t) {
              const T u = U[c * cols + t];
              T *wt = &WT[t * rows];
              for (int64_t r = r0; r < r1; ++r)
                wt[r] -= e[r] * u;
            }
          }
        });
    // WT[i2:s2] -= U[i1:i2, i2:s2]^T ErrT[i1:i2], and at the end of the
    // super-block WT[s2:] -= U[s1:s2, s2:]^T ErrT[s1:s2].
    if (i2 < s2)
      dense::gemm<T>(true, false, s2 - i2, rows, count, T(-1),
                     &U[i1 * cols + i2], cols, eb, rows, T(1), &WT[i2 * rows],
                     rows);
    if (i2 == s2 && s2 < cols)
      dense::gemm<T>(true, false, cols - s2, rows, s2 - s1, T(-1),
                     &U[s1 * cols + s2], cols, errT.data(), rows, T(1),
                     &WT[s2 * rows], rows);
  }
}

/// dst (cols x rows) = src (rows x cols)^T, converting, in 8 x 8 tiles
/// (eight cache lines each side: with a row stride of a multiple of 4 KB
/// a larger tile's lines of one side share an L1 set and miss).
template <typename D, typename S>
void transpose(const S *src, int64_t rows, int64_t cols, D *dst) {
  constexpr int64_t tile = 8;
  for (int64_t c0 = 0; c0 < cols; c0 += tile)
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
      const int64_t c1 = std::min(cols, c0 + tile), r1 = std::min(rows, r0 + tile);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r)
          dst[c * rows + r] = D(src[r * cols + c]);
    }
}

template <typename T>
Matrix sparseGPTIn(const Matrix &input, const DampedGram &H,
                   const SparseGPTOptions &options, bool *failed) {
  const int64_t rows = input.rows, cols = input.cols;
  std::vector<T> U;
  bool ok;
  if constexpr (std::is_same_v<T, float>) {
    // Float first; double (with its retry) where float cannot factor H.
    ok = inverseFactorUpper(H, 0.0, U) == FactorStatus::Ok;
    if (!ok) {
      std::vector<double> U64;
      ok = inverseFactorUpperF64(H, U64);
      U.assign(U64.begin(), U64.end());
      ok = ok && allFinite(U);
    }
  } else {
    ok = inverseFactorUpperF64(H, U);
  }
  if (!ok) {
    if (failed)
      *failed = true;
    return input;
  }

  // Zeros per block, exactly round(sparsity * rows * cols) in total.
  const int64_t bs = std::max<int64_t>(options.blockSize, 1);
  const int64_t numBlocks = (cols + bs - 1) / bs;
  std::vector<int64_t> blockZeros(numBlocks, 0);
  if (options.nmM == 0) {
    int64_t total = static_cast<int64_t>(
        std::llround(options.sparsity * double(rows * cols)));
    int64_t assigned = 0;
    for (int64_t b = 0; b < numBlocks; ++b) {
      int64_t width = std::min(bs, cols - b * bs);
      blockZeros[b] = total * rows * width / (rows * cols);
      assigned += blockZeros[b];
    }
    for (int64_t b = 0; assigned < total; b = (b + 1) % numBlocks) {
      int64_t width = std::min(bs, cols - b * bs);
      if (blockZeros[b] < rows * width) {
        ++blockZeros[b];
        ++assigned;
      }
    }
  }

  std::vector<T> WT;
  dense::resizeOnHugePages(WT, rows * cols);
  transpose(input.data.data(), rows, cols, WT.data());
  std::vector<uint8_t> keepT;
  dense::assignOnHugePages(keepT, rows * cols, uint8_t(1));
  sweepColumns(WT, rows, cols, U, H.dead, blockZeros, options, keepT);
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!keepT[i])
      WT[i] = T(0);
  Matrix out{rows, cols, {}};
  dense::resizeOnHugePages(out.data, rows * cols);
  transpose(WT.data(), cols, rows, out.data.data());
  return out;
}
} // namespace

bool mlir::prune::denseKernelsUseOpenBLAS() { return dense::usesOpenBLAS(); }

std::string mlir::prune::denseKernelsName() { return dense::kernelsName(); }

Matrix mlir::prune::sparseGPT(const Matrix &input, llvm::ArrayRef<double> gram,
                              const SparseGPTOptions &options, bool *failed) {
  if (failed)
    *failed = false;
  DampedGram H(gram, input.cols, options.damp);
  dense::KernelThreads threads(options.threads);
  if (useF32(options.precision, input.rows, input.cols))
    return sparseGPTIn<float>(input, H, options, failed);
  return sparseGPTIn<double>(input, H, options, failed);
}

//===----------------------------------------------------------------------===//
// Least-squares refit
//===----------------------------------------------------------------------===//

namespace {
// The vector work of a conjugate-gradient step on one row (length n; p, r
// and dinv zero off the row's kept set): branch-free loops, reductions in
// double, compiled a second time for AVX-512 (taken when the CPU has it).
template <typename T>
[[gnu::always_inline]] inline double cgCurvatureBody(int64_t n, const T *p,
                                                     const T *q, double shift) {
#pragma clang fp reassociate(on)
  double pq = 0, pp = 0;
  for (int64_t c = 0; c < n; ++c) {
    pq += double(p[c]) * double(q[c]);
    pp += double(p[c]) * double(p[c]);
  }
  return pq + shift * pp;
}

/// x += alpha p; r -= alpha (q + shift p) on the kept set; returns r.z.
template <typename T>
[[gnu::always_inline]] inline double
cgUpdateBody(int64_t n, T *x, T *r, const T *p, const T *q, const T *dinv,
             double alpha, double shift) {
#pragma clang fp reassociate(on)
  double rz = 0;
  for (int64_t c = 0; c < n; ++c) {
    const double pc = double(p[c]);
    x[c] = T(double(x[c]) + alpha * pc);
    double rc = double(r[c]) - alpha * (double(q[c]) + shift * pc);
    rc = dinv[c] > T(0) ? rc : 0.0;
    r[c] = T(rc);
    rz += rc * rc * double(dinv[c]);
  }
  return rz;
}

/// The pruned-side step: acc += alpha q (every column); r -= alpha q on
/// the pruned set (dinv > 0 there, 0 elsewhere); returns r.z, z = dinv r.
template <typename T>
[[gnu::always_inline]] inline double cgDualUpdateBody(int64_t n, T *acc, T *r,
                                                      const T *q, const T *dinv,
                                                      double alpha) {
#pragma clang fp reassociate(on)
  double rz = 0;
  for (int64_t c = 0; c < n; ++c) {
    const double qc = double(q[c]);
    acc[c] = T(double(acc[c]) + alpha * qc);
    double rc = double(r[c]) - alpha * qc;
    rc = dinv[c] > T(0) ? rc : 0.0;
    r[c] = T(rc);
    rz += rc * rc * double(dinv[c]);
  }
  return rz;
}

/// p = dinv r + beta p.
template <typename T>
[[gnu::always_inline]] inline void cgDirectionBody(int64_t n, T *p, const T *r,
                                                   const T *dinv, double beta) {
  for (int64_t c = 0; c < n; ++c)
    p[c] = T(double(r[c]) * double(dinv[c]) + beta * double(p[c]));
}

/// p = z + beta p.
template <typename T>
void cgDirectionFrom(int64_t n, T *p, const T *z, double beta) {
  for (int64_t c = 0; c < n; ++c)
    p[c] = T(double(z[c]) + beta * double(p[c]));
}

#if defined(__x86_64__) || defined(_M_X64)
#define PRUNE_CG_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq")))
template <typename T>
PRUNE_CG_AVX512 double cgCurvatureAvx512(int64_t n, const T *p, const T *q,
                                         double shift) {
  return cgCurvatureBody(n, p, q, shift);
}
template <typename T>
PRUNE_CG_AVX512 double cgUpdateAvx512(int64_t n, T *x, T *r, const T *p,
                                      const T *q, const T *dinv, double alpha,
                                      double shift) {
  return cgUpdateBody(n, x, r, p, q, dinv, alpha, shift);
}
template <typename T>
PRUNE_CG_AVX512 double cgDualUpdateAvx512(int64_t n, T *acc, T *r, const T *q,
                                          const T *dinv, double alpha) {
  return cgDualUpdateBody(n, acc, r, q, dinv, alpha);
}
template <typename T>
PRUNE_CG_AVX512 void cgDirectionAvx512(int64_t n, T *p, const T *r,
                                       const T *dinv, double beta) {
  cgDirectionBody(n, p, r, dinv, beta);
}
#define PRUNE_CG_DISPATCH(name, ...)                                           \
  (dense::haveAvx512() ? name##Avx512(__VA_ARGS__) : name##Body(__VA_ARGS__))
#else
#define PRUNE_CG_DISPATCH(name, ...) name##Body(__VA_ARGS__)
#endif

template <typename T>
double cgCurvature(int64_t n, const T *p, const T *q, double shift) {
  return PRUNE_CG_DISPATCH(cgCurvature, n, p, q, shift);
}
template <typename T>
double cgUpdate(int64_t n, T *x, T *r, const T *p, const T *q, const T *dinv,
                double alpha, double shift) {
  return PRUNE_CG_DISPATCH(cgUpdate, n, x, r, p, q, dinv, alpha, shift);
}
template <typename T>
double cgDualUpdate(int64_t n, T *acc, T *r, const T *q, const T *dinv,
                    double alpha) {
  return PRUNE_CG_DISPATCH(cgDualUpdate, n, acc, r, q, dinv, alpha);
}
template <typename T>
void cgDirection(int64_t n, T *p, const T *r, const T *dinv, double beta) {
  PRUNE_CG_DISPATCH(cgDirection, n, p, r, dinv, beta);
}
} // namespace

namespace {
/// A model H ~ diag(delta) + V diag(lambda) V^T of a Hessian (V cols x rank,
/// row-major, in T): the refit's CG preconditioner restricts it to a row's
/// kept set and inverts it by Woodbury.
template <typename T> struct LowRankModel {
  int64_t rank = 0;
  std::vector<T> V;
  std::vector<double> lambda, delta;
  /// V's entries are bf16 values (Vt: their bits, transposed) and the
  /// rows' diagonal preconditioners powers of two: the Woodbury systems
  /// run on bf16 dot products (dense::weightedGramBf16: AMX tiles or
  /// vdpbf16ps), exactly.
  bool bf16 = false;
  std::vector<uint16_t> Vt;
};

/// f rounded to bf16 (to nearest even; finite inputs), as its bits.
inline uint16_t bf16Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return uint16_t((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

/// The power of two nearest to d > 0 (in log scale).
inline double nearestPowerOfTwo(double d) {
  int e;
  double m = std::frexp(d, &e); // d = m 2^e, m in [0.5, 1)
  return std::ldexp(m >= M_SQRT1_2 ? 1.0 : 0.5, e);
}

/// The low-rank model of H (T, n x n) from a randomized Nystrom sketch
/// (Tropp et al. 2017, with one power iteration) of the Jacobi-scaled
/// S H S, S = diag(H)^-1/2: the scaling keeps a few large columns from
/// taking the sketch. Of its `sketch` directions it keeps those whose
/// eigenvalue is above 4x the mean of the rest of the spectrum (at most
/// maxRank): the ones Jacobi leaves to CG's slow steps. delta is the
/// diagonal H leaves outside them (at least 1e-3 H_cc).
template <typename T>
LowRankModel<T> sketchLowRank(const std::vector<T> &H,
                              llvm::ArrayRef<double> gram, int64_t n,
                              int64_t maxRank) {
  LowRankModel<T> model;
  const int64_t l = std::min<int64_t>(maxRank + maxRank / 8 + 8, n / 2);
  if (maxRank <= 0 || l < 8)
    return model;
  std::vector<double> scale(n);
  double trace = 0;
  for (int64_t c = 0; c < n; ++c) {
    double d = gram[c * n + c];
    scale[c] = d > 0 ? 1.0 / std::sqrt(d) : 0.0;
    trace += d > 0 ? 1.0 : 0.0;
  }
  // n x l and l x l matrices, row-major; the products of n x l ones go to
  // the BLAS (double).
  using Small =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto gemmD = [](bool ta, bool tb, int64_t m, int64_t nn, int64_t k,
                  const double *a, int64_t lda, const double *b, int64_t ldb,
                  double *c) {
    dense::gemm<double>(ta, tb, m, nn, k, 1.0, a, lda, b, ldb, 0.0, c, nn);
  };
  // Q := Q R^-1 with R^T R = Q^T Q (Cholesky QR, twice); false if Q^T Q is
  // not numerically positive definite.
  std::vector<double> tmp(n * l);
  auto orthonormalize = [&](std::vector<double> &q) {
    for (int pass = 0; pass < 2; ++pass) {
      Small g(l, l);
      gemmD(true, false, l, l, n, q.data(), l, q.data(), l, g.data());
      Eigen::LLT<Small> llt(g);
      if (llt.info() != Eigen::Success)
        return false;
      Small rinv = llt.matrixU().solve(Small::Identity(l, l));
      gemmD(false, false, n, l, l, q.data(), l, rinv.data(), l, tmp.data());
      q.swap(tmp);
    }
    return true;
  };
  std::vector<T> in(n * l), out(n * l);
  auto applyScaled = [&](const std::vector<double> &a, std::vector<double> &y) {
    for (int64_t i = 0; i < n * l; ++i)
      in[i] = T(scale[i / l] * a[i]);
    dense::gemm<T>(false, false, n, l, n, T(1), H.data(), n, in.data(), l, T(0),
                   out.data(), l);
    for (int64_t i = 0; i < n * l; ++i)
      y[i] = scale[i / l] * double(out[i]);
  };
  std::mt19937_64 gen(0x5eed);
  std::normal_distribution<double> normal;
  std::vector<double> Q(n * l), Y(n * l);
  for (double &v : Q)
    v = normal(gen);
  if (!orthonormalize(Q))
    return model;
  applyScaled(Q, Y); // one power iteration
  Q = Y;
  if (!orthonormalize(Q))
    return model;
  applyScaled(Q, Y);
  // Nystrom: S H S ~ Y (Q^T Y)^-1 Y^T, stabilized by a shift nu.
  double norm = 0;
  for (double v : Y)
    norm += v * v;
  const double nu = (std::is_same_v<T, float> ? 1e-6 : 1e-12) *
                    std::max(std::sqrt(norm), 1e-300);
  for (int64_t i = 0; i < n * l; ++i)
    Y[i] += nu * Q[i];
  Small C(l, l);
  gemmD(true, false, l, l, n, Q.data(), l, Y.data(), l, C.data());
  Eigen::LLT<Small> llt(0.5 * (C + C.transpose()));
  if (llt.info() != Eigen::Success)
    return model;
  // B = Y L^-T, n x l.
  Small linv = llt.matrixL().solve(Small::Identity(l, l));
  std::vector<double> &B = tmp;
  gemmD(false, true, n, l, l, Y.data(), l, linv.data(), l, B.data());
  Small btb(l, l);
  gemmD(true, false, l, l, n, B.data(), l, B.data(), l, btb.data());
  Eigen::SelfAdjointEigenSolver<Small> eig(btb);
  if (eig.info() != Eigen::Success)
    return model;
  // Eigenvalues ascending: the top ones are last.
  std::vector<double> lambda(l);
  double kept = 0;
  for (int64_t j = 0; j < l; ++j) {
    lambda[j] = std::max(eig.eigenvalues()[l - 1 - j] - nu, 0.0);
    kept += lambda[j];
  }
  const double rest =
      std::max(trace - kept, 0.0) / double(std::max<int64_t>(n - l, 1));
  int64_t r = 0;
  while (r < std::min(maxRank, l) && lambda[r] > 4.0 * rest && lambda[r] > 0)
    ++r;
  // Cut inside the large part (a flat one larger than maxRank, or no
  // direction outside the sketch to compare with): worth it only when what
  // is left of it is well below its top, else CG's steps stay as many.
  if (r == 0 ||
      (r == std::min(maxRank, l) && !(r < l && lambda[r] * 16.0 <= lambda[0])))
    return model;
  // U = B W Sigma^-1 (the top r), V = S^-1 U.
  Small W = eig.eigenvectors().rightCols(r).rowwise().reverse();
  for (int64_t j = 0; j < r; ++j)
    W.col(j) /= std::sqrt(lambda[j] + nu);
  std::vector<double> U(n * r);
  gemmD(false, false, n, r, l, B.data(), l, W.data(), r, U.data());
  model.rank = r;
  model.lambda.assign(lambda.begin(), lambda.begin() + r);
  model.V.resize(n * r);
  model.delta.resize(n);
  for (int64_t c = 0; c < n; ++c) {
    double d = gram[c * n + c], explained = 0;
    for (int64_t j = 0; j < r; ++j) {
      const double u = U[c * r + j];
      explained += lambda[j] * u * u;
      model.V[c * r + j] = T(scale[c] > 0 ? u / scale[c] : 0.0);
    }
    model.delta[c] = d * std::max(1.0 - explained, 1e-3);
  }
  if constexpr (std::is_same_v<T, float>) {
    if (dense::haveBf16Gram()) {
      model.bf16 = true;
      model.Vt.resize(r * n);
      for (int64_t c = 0; c < n; ++c)
        for (int64_t j = 0; j < r; ++j) {
          // (Subnormal values flushed: AMX and vdpbf16ps read them as
          // zero.)
          uint16_t bits = bf16Bits(model.V[c * r + j]);
          if ((bits & 0x7f80u) == 0)
            bits = 0;
          uint32_t wide = uint32_t(bits) << 16;
          std::memcpy(&model.V[c * r + j], &wide, 4);
          model.Vt[j * n + c] = bits;
        }
    }
  }
  return model;
}

/// C := A^T A (n x n, both triangles) for A (k x n, row-major).
inline void gramOfRows(int64_t n, int64_t k, const float *a, float *c) {
  dense::syrkLowerAtA(n, k, a, n, 0.0f, c, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j)
      c[i * n + j] = c[j * n + i];
}
inline void gramOfRows(int64_t n, int64_t k, const double *a, double *c) {
  dense::gemm<double>(true, false, n, n, k, 1.0, a, n, a, n, 0.0, c, n);
}
} // namespace

namespace {
using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The refit of one layer, dense steps in T.
template <typename T> class LsqSolver {
public:
  LsqSolver(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
            llvm::ArrayRef<double> gram, const LsqRefitOptions &options,
            LsqRefitStats &stats)
      : w(w), keep(keep), gram(gram), options(options), stats(stats),
        rows(w.rows), cols(w.cols), threads(std::max(1u, options.threads)),
        damped(gram, w.cols, options.damp), out{w.rows, w.cols, {}} {
    dense::resizeOnHugePages(out.data, w.data.size());
  }

  Matrix run() {
    const int64_t n = cols;
    int64_t kmax = options.directMaxKept >= 0
                       ? options.directMaxKept
                       : int64_t(std::cbrt(48.0 * double(n) * double(n)));
    std::vector<int64_t> direct, iterative, prunedSide;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t k = std::count_if(keep.begin() + r * n, keep.begin() + (r + 1) * n,
                                [](uint8_t v) { return v != 0; });
      if (k == 0)
        continue;
      if (k == n) { // nothing pruned: w itself
        std::copy_n(&w.data[r * n], n, &out.data[r * n]);
        continue;
      }
      if (k <= kmax)
        direct.push_back(r);
      else if (options.prunedSide > 0 ||
               (options.prunedSide < 0 && 5 * (n - k) <= 3 * n + 4))
        prunedSide.push_back(r);
      else
        iterative.push_back(r);
    }
    stats = LsqRefitStats();
    stats.directRows = direct.size();
    stats.iterativeRows = iterative.size() + prunedSide.size();
    diagH.resize(cols);
    for (int64_t c = 0; c < cols; ++c)
      diagH[c] = gram[c * cols + c];
    dense::KernelThreads scope(threads);
    if (!prunedSide.empty()) {
      if (solvePrunedSide(prunedSide))
        stats.prunedSideRows = prunedSide.size();
      else // (H + shift not positive definite in T) the kept side
        iterative.insert(iterative.end(), prunedSide.begin(), prunedSide.end());
    }
    if (direct.empty() && iterative.empty())
      return std::move(out);
    dense::resizeOnHugePages(H, gram.size());
    std::copy(gram.begin(), gram.end(), H.begin());
    auto t0 = Clock::now();
    solveDirect(direct);
    if (!direct.empty())
      stats.directSeconds = secondsSince(t0);
    std::sort(iterative.begin(), iterative.end());
    solveIterative(iterative);
    return std::move(out);
  }

private:
  /// Rows of W (in T), `count` of `ids` from `first`, into buf.
  void gatherRows(const std::vector<int64_t> &ids, int64_t first,
                  int64_t count, std::vector<T> &buf, bool pruned) const {
    dense::resizeOnHugePages(buf, count * cols);
    for (int64_t i = 0; i < count; ++i) {
      int64_t r = ids[first + i];
      for (int64_t c = 0; c < cols; ++c) {
        bool kept = keep[r * cols + c];
        buf[i * cols + c] = T(pruned == !kept ? w.at(r, c) : 0.0);
      }
    }
  }

  /// The work buffers of one row's solve.
  struct RowScratch {
    std::vector<int64_t> S; ///< the row's kept columns
    std::vector<T> A, G, x; ///< factor, H[S,S] + shift (upper), solution
    std::vector<double> A64;
  };

  void keptColumns(int64_t r, std::vector<int64_t> &S) const {
    S.clear();
    for (int64_t c = 0; c < cols; ++c)
      if (keep[r * cols + c])
        S.push_back(c);
  }

  /// Cholesky of H[S,S] + shift per row (rows split over the threads), the
  /// right-hand sides (H w)[S] for a chunk of rows at once (a GEMM, or only
  /// the kept entries when few are kept). Float solves get one step of
  /// iterative refinement and fall back to double when the float
  /// factorization fails.
  void solveDirect(const std::vector<int64_t> &ids) {
    const int64_t chunk = 512;
    std::vector<T> Wc, B;
    for (int64_t first = 0; first < int64_t(ids.size()); first += chunk) {
      const int64_t m = std::min<int64_t>(chunk, ids.size() - first);
      Wc.resize(m * cols); // all of w: (H w)[S]
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < cols; ++c)
          Wc[i * cols + c] = T(w.at(ids[first + i], c));
      B.resize(m * cols);
      int64_t kept = 0;
      for (int64_t i = 0; i < m; ++i)
        kept += std::count_if(&keep[ids[first + i] * cols],
                              &keep[ids[first + i] * cols] + cols,
                              [](uint8_t v) { return v != 0; });
      if (kept * 4 >= m * cols) {
        dense::gemm<T>(false, false, m, cols, cols, T(1), Wc.data(), cols,
                       H.data(), cols, T(0), B.data(), cols);
        dense::KernelThreads single(1); // our threads below
        dense::parallelFor(threads, m, [&](int64_t i0, int64_t i1) {
          RowScratch s;
          for (int64_t i = i0; i < i1; ++i)
            solveRow(ids[first + i], &B[i * cols], s);
        });
        continue;
      }
      // Few kept: only (H w)[S], as dot products of H's rows (H is
      // symmetric) with w, in groups of rows that share each row of H
      // while it is in cache (a tenth of the GEMM's work at 90 %), then the
      // group's solves. (Gathering the group's H[S,S] in the same pass over
      // H ran slower: 64 scattered destinations of ~0.7 MB each at 90 %.)
      // (Groups of up to 64 rows, at least one per thread.)
      constexpr int64_t maxGroup = 64;
      const int64_t group =
          std::clamp<int64_t>((m + threads - 1) / threads, 1, maxGroup);
      dense::KernelThreads single(1); // our threads below
      dense::parallelFor(
          threads, (m + group - 1) / group, [&](int64_t g0, int64_t g1) {
            RowScratch rs;
            const T *rowsOf[maxGroup];
            T sums[maxGroup];
            int64_t members[maxGroup];
            for (int64_t i0 = g0 * group; i0 < std::min(m, g1 * group);
                 i0 += group) {
              const int64_t n = std::min(m, i0 + group) - i0;
              for (int64_t c = 0; c < cols; ++c) {
                int64_t count = 0;
                for (int64_t i = i0; i < i0 + n; ++i)
                  if (keep[ids[first + i] * cols + c]) {
                    rowsOf[count] = &Wc[i * cols];
                    members[count++] = i;
                  }
                dense::dots<T>(cols, &H[c * cols], rowsOf, count, sums);
                for (int64_t t = 0; t < count; ++t)
                  B[members[t] * cols + c] = sums[t];
              }
              for (int64_t i = i0; i < i0 + n; ++i)
                solveRow(ids[first + i], &B[i * cols], rs);
            }
          });
    }
  }

  /// The refit of row r given b = (H w) (its entries at the kept columns
  /// are read).
  void solveRow(int64_t r, const T *b, RowScratch &s) {
    std::vector<int64_t> &S = s.S;
    std::vector<T> &A = s.A, &G = s.G, &x = s.x;
    std::vector<double> &A64 = s.A64;
    keptColumns(r, S);
    const int64_t k = S.size();
    const double shift = damped.shift;
    // The right-hand side (H w)_S + shift w_S (the damping pulls toward
    // the original weights).
    auto rhs = [&](int64_t a) {
      return double(b[S[a]]) + shift * w.at(r, S[a]);
    };
    // The upper triangle of H[S,S] + shift, row-major (rows of H in
    // increasing column order; choleskyUpper factors this triangle).
    auto gather = [&](const auto *h, auto &M) {
      using E = typename std::decay_t<decltype(M)>::value_type;
      M.resize(k * k);
      for (int64_t a = 0; a < k; ++a) {
        const auto *row = &h[S[a] * cols];
        E *m = &M[a * k];
        m[a] = E(double(row[S[a]]) + shift);
        for (int64_t c = a + 1; c < k; ++c)
          m[c] = E(row[S[c]]);
      }
    };
    if constexpr (std::is_same_v<T, float>) {
      gather(H.data(), G);
      A = G;
      if (dense::choleskyUpper<float>(k, A.data(), k)) {
        x.resize(k);
        for (int64_t a = 0; a < k; ++a)
          x[a] = T(rhs(a));
        dense::choleskyUpperSolve<float>(k, A.data(), k, x.data());
        // One step of iterative refinement (residual in double against the
        // float H[S,S]): corrects the rounding of the float factorization,
        // which grows with k and the conditioning.
        std::vector<double> res(k, 0.0);
        for (int64_t a = 0; a < k; ++a) {
          // Row a of the upper triangle: a dot product with x (row a of
          // G x) and an axpy (its transpose's contributions to rows > a).
          const float *g = &G[a * k];
          const double xa = double(x[a]);
          double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          int64_t c = a + 1;
          for (; c + 4 <= k; c += 4) {
            s0 += double(g[c]) * double(x[c]);
            s1 += double(g[c + 1]) * double(x[c + 1]);
            s2 += double(g[c + 2]) * double(x[c + 2]);
            s3 += double(g[c + 3]) * double(x[c + 3]);
          }
          for (; c < k; ++c)
            s0 += double(g[c]) * double(x[c]);
          for (c = a + 1; c < k; ++c)
            res[c] -= double(g[c]) * xa;
          res[a] += rhs(a) - double(g[a]) * xa - (s0 + s1) - (s2 + s3);
        }
        std::vector<float> d(res.begin(), res.end());
        dense::choleskyUpperSolve<float>(k, A.data(), k, d.data());
        bool finite = true;
        for (int64_t a = 0; a < k; ++a) {
          double v = double(x[a]) + double(d[a]);
          finite = finite && std::isfinite(v);
          out.at(r, S[a]) = v;
        }
        if (finite)
          return;
      }
    }
    // Double (and the float path's fallback).
    gather(gram.data(), A64);
    bool ok = dense::choleskyUpper<double>(k, A64.data(), k);
    std::vector<double> x64(k);
    if (ok) {
      for (int64_t a = 0; a < k; ++a)
        x64[a] = rhs(a);
      dense::choleskyUpperSolve<double>(k, A64.data(), k, x64.data());
      ok = std::all_of(x64.begin(), x64.end(),
                       [](double v) { return std::isfinite(v); });
    }
    for (int64_t a = 0; a < k; ++a)
      out.at(r, S[a]) = ok ? x64[a] : w.at(r, S[a]);
  }

  /// Conjugate gradients on the pruned side. With A = H + shift and
  /// G = A^-1, the refit of a row with pruned set P is w' = w - G[:,P] y,
  /// G[P,P] y = w_P (w' is then zero on P; its loss (w' - w)^T A (w' - w)
  /// = w_P^T y is the optimum). G[P,P] is the inverse of the Schur
  /// complement of A[S,S]: a dominant low-rank part of H, which makes
  /// A[S,S] ill-conditioned (the kept side's Woodbury preconditioner),
  /// cancels there, so Jacobi's diag(G) is enough. Each step is one GEMM
  /// with G for the chunk's running rows; its S columns accumulate G y (no
  /// GEMM at the start or the end). By default for rows pruning at most
  /// 60 % of their inputs: more pruned weights make G[P,P] harder (on the
  /// bench's Hessian, 4096 inputs at damp 0.01: 7 steps at 50 %, 9 at 60 %,
  /// 12 at 70 %, where the kept side's 6 steps after its set-up ran
  /// faster).
  ///
  /// CG lowers -y^T G y / 2 + w_P^T y: the sum of its steps' alpha rho
  /// grows to the optimal loss f*, and a row stops after two steps that
  /// each added at most tau of the sum. The loss of w' approaches f*
  /// more slowly than that sum (by ~2-3x at damp 0.01 on the bench's
  /// Hessian, ~15x at 1e-6), so tau is calibrated first on a pilot of up
  /// to 64 rows against the loss itself (one GEMM with H): the pilot's
  /// gap (loss - sum) / sum, an upper bound of (loss - f*) / f*, must be
  /// within 3 `tolerance` (at least 3e-6 in float); else tau shrinks by
  /// the factor it missed and the pilot runs again (at most four times,
  /// then by default the kept side; when the pruned side is forced, the
  /// last tau). By default a pilot slower than maxPrunedSideSteps also
  /// leaves the layer to the kept side when that side would have its
  /// low-rank model (with Jacobi alone it takes tens of steps: on a
  /// singular 128-input Hessian 40-65 against the pruned side's 23-37, and
  /// ends further from the optimum). Steps after the first run in bf16
  /// where useBf16Steps() says so: a pilot that misses with them reruns
  /// with f32 steps at the same tau; if that one passes, the layer's steps
  /// are f32; if it misses too, tau shrinks by its factor and bf16 stays
  /// unless its own share of the gap was over half the target. False if A
  /// is not positive definite in T or the layer goes to the kept side.
  bool solvePrunedSide(const std::vector<int64_t> &ids) {
    const int64_t n = cols;
    auto t0 = Clock::now();
    PrunedSide side;
    if (!dampedInverse(damped, side.G))
      return false;
    side.diagInv.resize(n);
    for (int64_t c = 0; c < n; ++c)
      side.diagInv[c] = 1.0 / double(side.G[c * n + c]);
    stats.inverseSeconds = secondsSince(t0);
    const int64_t pilot = std::min<int64_t>(64, ids.size());
    // The kept side's own cost: with its low-rank model (solveIterative's
    // condition) a set-up and few steps; with Jacobi alone tens of steps.
    const bool keptSideLowRank =
        options.preconditionRank != 0 && n >= 256 && ids.size() >= 64;
    const int64_t maxSteps = options.prunedSide < 0 && keptSideLowRank
                                 ? maxPrunedSideSteps
                                 : options.maxIterations;
    double tau = options.tolerance;
    bool accepted = false;
    side.bf16 = useBf16Steps();
    if constexpr (std::is_same_v<T, float>)
      if (side.bf16) {
        t0 = Clock::now();
        dense::packBf16(n, n, side.G.data(), n, side.Gb);
        stats.inverseSeconds += secondsSince(t0);
      }
    // (The loss of a float refit, even the exact one, is only known to
    // about 1e-6 of it.)
    const double target =
        3.0 *
        std::max(options.tolerance, std::is_same_v<T, float> ? 1e-6 : 1e-12);
    int64_t steps = 0;
    auto runPilot = [&] {
      steps = 0;
      std::vector<double> gained = prunedChunk(side, ids, 0, pilot, tau, steps);
      auto t1 = Clock::now();
      const double gap = pilotGap(ids, pilot, gained);
      stats.setupSeconds += secondsSince(t1);
      return gap;
    };
    for (int attempt = 0; attempt < 4 && !accepted; ++attempt) {
      double gap = runPilot();
      if (steps > maxSteps)
        break;
      accepted = gap <= target;
      if (accepted)
        break;
      if (side.bf16 && options.bf16Steps < 0) {
        // Is it bf16's rounding that misses? The same pilot in f32.
        side.bf16 = false;
        const double gapF32 = runPilot();
        if (steps > maxSteps)
          break;
        accepted = gapF32 <= target;
        if (accepted)
          break;
        // Both miss: tau's doing. bf16 goes on unless its own share of
        // the gap is large (a NaN: it is not).
        side.bf16 = gap - gapF32 <= 0.5 * target;
        gap = gapF32;
      }
      // (A NaN gap: as far off as can be.)
      tau *=
          std::isnan(gap) ? 1e-4 : std::clamp(target / (3.0 * gap), 1e-4, 0.5);
    }
    if (!accepted && options.prunedSide < 0)
      return false;
    stats.prunedSideTolerance = tau;
    stats.bf16Steps = side.bf16;
    const int64_t chunk = std::max<int64_t>(
        64,
        std::min<int64_t>(1024, (int64_t(1) << 26) / std::max<int64_t>(n, 1)));
    for (int64_t first = pilot; first < int64_t(ids.size()); first += chunk)
      prunedChunk(side, ids, first,
                  std::min<int64_t>(chunk, ids.size() - first), tau, steps);
    return true;
  }

  /// A pilot that takes more steps than this leaves the layer to the kept
  /// side: its set-up costs ~4 GEMMs with H at rank 256 and its steps
  /// ~6-9 (at 70 % pruned on the bench's Hessian the pruned side took 12
  /// steps and ran 15 % slower; at damp 1e-6 17-18 steps, 13 % slower).
  static constexpr int64_t maxPrunedSideSteps = 11;

  /// The pruned side's G = (H + shift)^-1, Jacobi's 1 / diag(G) and the
  /// chunks' buffers (allocated once: fresh ones would have their pages
  /// faulted in and zeroed again for every chunk).
  struct PrunedSide {
    std::vector<T> G;
    std::vector<double> diagInv;
    std::vector<T> Acc, R, P, Q, Dinv;
    bool bf16 = false;        ///< steps after the first on Gb
    dense::Bf16Panels Gb;     ///< G in bf16 (when bf16)
    std::vector<uint32_t> Pb; ///< gemmBf16's scratch
  };

  /// Whether the pruned side may run its later steps in bf16: a float
  /// refit on a CPU with AVX512-BF16, unless the options say never.
  bool useBf16Steps() const {
    return std::is_same_v<T, float> && options.bf16Steps != 0 &&
           dense::haveAvx512Bf16();
  }

  /// Q = P G for the chunk's `active` running rows at step `it`: from the
  /// second step on in bf16 when side.bf16. (A kernel over P's nonzeros
  /// only, half the FMAs at 50 %, ran 1.6-2.4x slower than the f32 GEMM
  /// on a Zen 4: one load of G per FMA.)
  void productWithG(PrunedSide &side, int64_t active, int64_t it) const {
    const int64_t n = cols;
    if constexpr (std::is_same_v<T, float>)
      if (side.bf16 && it > 0)
        return dense::gemmBf16(active, side.P.data(), n, side.Gb, side.Q.data(),
                               n, threads, side.Pb);
    dense::gemm<T>(false, false, active, n, n, T(1), side.P.data(), n,
                   side.G.data(), n, T(0), side.Q.data(), n);
  }

  /// CG on the pruned side for rows ids[first, first + m) at tolerance
  /// tau; writes their refits. Returns each row's sum of alpha rho (the
  /// lower bound of its optimal loss), in the order of ids; `steps` gets
  /// the most steps a row took.
  std::vector<double> prunedChunk(PrunedSide &side,
                                  const std::vector<int64_t> &ids,
                                  int64_t first, int64_t m, double tau,
                                  int64_t &steps) {
    const int64_t n = cols;
    auto t0 = Clock::now();
    std::vector<T> &Acc = side.Acc, &R = side.R, &P = side.P, &Q = side.Q,
                   &Dinv = side.Dinv;
    dense::assignOnHugePages(Acc, m * n, T(0));
    for (std::vector<T> *v : {&R, &P, &Q, &Dinv})
      dense::resizeOnHugePages(*v, m * n);
    std::vector<int64_t> slot(m); // per running slot: its index in the chunk
    std::vector<double> rho(m), gained(m, 0.0), result(m, 0.0);
    std::vector<int> quiet(m, 0);
    std::vector<uint8_t> done(m, 0);
    dense::parallelFor(threads, m, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        slot[i] = i;
        const int64_t row = ids[first + i];
        const uint8_t *kr = &keep[row * n];
        T *r = &R[i * n], *p = &P[i * n], *dinv = &Dinv[i * n];
        double rz = 0;
        for (int64_t c = 0; c < n; ++c) {
          // The residual w_P - G[P,P] y at y = 0, Jacobi's diagonal (also
          // the mask of P: positive there, zero on S).
          const bool pruned = !kr[c];
          dinv[c] = pruned ? positive(side.diagInv[c]) : T(0);
          r[c] = pruned ? T(w.at(row, c)) : T(0);
          p[c] = T(double(r[c]) * double(dinv[c]));
          rz += double(r[c]) * double(p[c]);
        }
        rho[i] = rz;
      }
    });
    stats.setupSeconds += secondsSince(t0);
    t0 = Clock::now();
    int64_t active = m;
    auto retire = [&](int64_t i) {
      writeRowPruned(ids[first + slot[i]], &Acc[i * n]);
      result[slot[i]] = gained[i];
      const int64_t last = --active;
      if (last == i)
        return;
      for (std::vector<T> *v : {&Acc, &R, &P, &Dinv})
        std::copy_n(v->data() + last * n, n, v->data() + i * n);
      slot[i] = slot[last];
      rho[i] = rho[last];
      gained[i] = gained[last];
      quiet[i] = quiet[last];
      done[i] = done[last];
    };
    // Rows whose pruned weights are all zero keep w as it is.
    for (int64_t i = 0; i < active;)
      rho[i] > 0 ? void(++i) : retire(i);
    for (int64_t it = 0; it < options.maxIterations && active > 0; ++it) {
      stats.maxIterations = std::max(stats.maxIterations, it + 1);
      steps = std::max(steps, it + 1);
      productWithG(side, active, it);
      dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          T *p = &P[i * n];
          const double pq = cgCurvature(n, p, &Q[i * n], 0.0);
          if (!(pq > 0) || !(rho[i] > 0)) {
            done[i] = 1;
            continue;
          }
          const double alpha = rho[i] / pq;
          const double rz = cgDualUpdate(n, &Acc[i * n], &R[i * n], &Q[i * n],
                                         &Dinv[i * n], alpha);
          const double gain = alpha * rho[i];
          gained[i] += gain;
          quiet[i] = gain <= tau * gained[i] ? quiet[i] + 1 : 0;
          const double beta = rz / rho[i];
          rho[i] = rz;
          cgDirection(n, p, &R[i * n], &Dinv[i * n], beta);
          done[i] = quiet[i] >= 2 || !(rz > 0);
        }
      });
      for (int64_t i = 0; i < active;)
        done[i] ? retire(i) : void(++i);
    }
    while (active > 0)
      retire(active - 1);
    stats.stepSeconds += secondsSince(t0);
    return result;
  }

  /// The largest (loss - gained) / gained over the refits of rows ids[0,
  /// m), loss = (w' - w)^T (H + shift) (w' - w) in double (dead inputs as
  /// in DampedGram), gained the rows' lower bounds of their optimal loss.
  double pilotGap(const std::vector<int64_t> &ids, int64_t m,
                  const std::vector<double> &gained) const {
    const int64_t n = cols;
    std::vector<double> D(m * n), HD(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t c = 0; c < n; ++c)
        D[i * n + c] = out.at(ids[i], c) - w.at(ids[i], c);
    dense::gemm<double>(false, false, m, n, n, 1.0, D.data(), n, gram.data(), n,
                        0.0, HD.data(), n);
    double worst = 0;
    for (int64_t i = 0; i < m; ++i) {
      double loss = 0;
      for (int64_t c = 0; c < n; ++c) {
        const double d = D[i * n + c];
        const bool dead = !(gram[c * n + c] > 0);
        loss += d * (HD[i * n + c] + (damped.shift + (dead ? 1.0 : 0.0)) * d);
      }
      if (gained[i] > 0)
        worst = std::max(worst, (loss - gained[i]) / gained[i]);
      else if (loss > 0)
        worst = std::numeric_limits<double>::infinity();
    }
    return worst;
  }

  /// w' = w - G y on the kept set of row r (acc = G y); zero elsewhere.
  void writeRowPruned(int64_t r, const T *acc) {
    for (int64_t c = 0; c < cols; ++c)
      if (keep[r * cols + c]) {
        const double v = w.at(r, c) - double(acc[c]);
        out.at(r, c) = std::isfinite(v) ? v : w.at(r, c);
      }
  }

  /// Preconditioned conjugate gradients on H[S,S] w'_S = (H w)[S] for a
  /// chunk of rows at once: each iteration is one GEMM P H over the rows
  /// still running (a row's direction P is zero off its kept set); rows
  /// that have converged leave the GEMM. The preconditioner is Jacobi's,
  /// or the Woodbury inverse of the low-rank model restricted to the row's
  /// kept set (options.preconditionRank): two thin GEMMs with V and an
  /// r x r solve per row and step.
  void solveIterative(const std::vector<int64_t> &ids) {
    if (ids.empty())
      return;
    const int64_t n = cols;
    int64_t maxRank = options.preconditionRank;
    if (maxRank < 0) {
      // Per row, the factorization of its r x r system costs k r^2: at
      // most that of ~8 GEMM rows (2 n^2 each) for the mean kept count k.
      double kept = 0;
      for (int64_t r : ids)
        kept += double(std::count_if(&keep[r * n], &keep[r * n] + n,
                                     [](uint8_t v) { return v != 0; }));
      kept /= double(ids.size());
      maxRank = std::min<int64_t>(
          256, int64_t(4.0 * double(n) / std::sqrt(std::max(kept, 1.0))));
      if (n < 256 || ids.size() < 64)
        maxRank = 0; // a small problem: the sketch would cost more than CG
    }
    auto t0 = Clock::now();
    lowRank = sketchLowRank<T>(H, gram, n, maxRank);
    if (maxRank > 0)
      stats.sketchSeconds = secondsSince(t0);
    const int64_t rank = lowRank.rank;
    stats.preconditionRank = rank;
    int64_t chunk = std::max<int64_t>(
        64,
        std::min<int64_t>(1024, (int64_t(1) << 26) / std::max<int64_t>(n, 1)));
    if (rank > 0) // the rows' r x r factors: at most 64 MiB of floats
      chunk = std::max<int64_t>(
          64, std::min<int64_t>(chunk, (int64_t(1) << 24) / (rank * rank)));
    std::vector<double> diag(n);
    for (int64_t c = 0; c < n; ++c)
      diag[c] = rank > 0 ? lowRank.delta[c] : diagH[c];
    // The chunks' buffers, allocated once (fresh ones would have their
    // pages faulted in and zeroed again for every chunk).
    std::vector<T> X, R, P, Q, Z, Dinv;
    for (int64_t first = 0; first < int64_t(ids.size()); first += chunk) {
      t0 = Clock::now();
      const int64_t m = std::min<int64_t>(chunk, ids.size() - first);
      gatherRows(ids, first, m, X, /*pruned=*/false); // w on S: the start
      gatherRows(ids, first, m, P, /*pruned=*/true);  // w off S
      dense::resizeOnHugePages(Q, m * n);
      dense::resizeOnHugePages(Z, m * n);
      dense::gemm<T>(false, false, m, n, n, T(1), P.data(), n, H.data(), n,
                     T(0), Q.data(), n);
      // Per active slot: its row, rho = r.z, objective, stall count.
      std::vector<int64_t> row(m);
      const double shift = damped.shift;
      std::vector<double> rho(m), objective(m), rz(m);
      std::vector<int> quiet(m, 0);
      dense::assignOnHugePages(R, m * n, T(0));
      dense::resizeOnHugePages(Dinv, m * n);
      factors.resize(m * rank * rank);
      factored.assign(m, 0);
      {
        dense::KernelThreads single(1); // factorRow's kernels: our threads
        dense::parallelFor(threads, m, [&](int64_t i0, int64_t i1) {
          std::vector<T> rowsOfV;
          std::vector<uint16_t> bf16Scratch;
          for (int64_t i = i0; i < i1; ++i) {
            row[i] = ids[first + i];
            const uint8_t *kr = &keep[row[i] * n];
            T *res = &R[i * n], *p = &P[i * n];
            // The diagonal preconditioner on S, zero off it (the steps' mask:
            // positive on S even where 1 / H_cc underflows in T).
            T *dinv = &Dinv[i * n];
            // (Powers of two when the Woodbury systems run in bf16.)
            for (int64_t c = 0; c < n; ++c) {
              double d = inverseDiag(diag[c], shift);
              dinv[c] = kr[c]
                            ? positive(lowRank.bf16 ? nearestPowerOfTwo(d) : d)
                            : T(0);
            }
            const T *q = &Q[i * n];
            // The damped objective (w - x)^T H (w - x) + shift |(w - x)_S|^2
            // (its second term 0 at the start x = w on S), which CG lowers
            // by alpha * rho per step; the residual
            // r = (H (w - x))_S + shift (w - x)_S = (H (w - x))_S.
            double f = 0;
            for (int64_t c = 0; c < n; ++c) {
              f += double(p[c]) * double(q[c]);
              if (kr[c])
                res[c] = q[c];
            }
            objective[i] = f;
            if (rank > 0) {
              factored[i] = factorRow(kr, dinv, &factors[i * rank * rank],
                                      rowsOfV, bf16Scratch);
              // Without its Woodbury system the row runs Jacobi's own
              // diagonal (the model's may be far below H_cc).
              for (int64_t c = 0; c < n && !factored[i]; ++c)
                if (kr[c])
                  dinv[c] = positive(inverseDiag(diagH[c], shift));
            }
          }
        });
      }
      precondition(m, R, Dinv, Q, Z, rho);
      std::copy(Z.begin(), Z.end(), P.begin());
      stats.setupSeconds += secondsSince(t0);
      t0 = Clock::now();
      int64_t active = m;
      std::vector<uint8_t> done(m);
      for (int64_t it = 0; it < options.maxIterations && active > 0; ++it) {
        stats.maxIterations = std::max(stats.maxIterations, it + 1);
        dense::gemm<T>(false, false, active, n, n, T(1), P.data(), n, H.data(),
                       n, T(0), Q.data(), n);
        dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i)
            done[i] =
                update(&X[i * n], &R[i * n], &P[i * n], &Q[i * n], &Dinv[i * n],
                       shift, rho[i], objective[i], quiet[i], rz[i]);
        });
        if (rank > 0)
          precondition(active, R, Dinv, Q, Z, rz);
        dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i) {
            if (done[i])
              continue;
            const double beta = rz[i] / rho[i];
            rho[i] = rz[i];
            if (rank > 0)
              cgDirectionFrom(n, &P[i * n], &Z[i * n], beta);
            else
              cgDirection(n, &P[i * n], &R[i * n], &Dinv[i * n], beta);
            done[i] = quiet[i] >= 2 || !(rz[i] > 0);
          }
        });
        // Converged rows leave: the last active slot moves into theirs.
        for (int64_t i = 0; i < active;) {
          if (!done[i]) {
            ++i;
            continue;
          }
          writeRow(row[i], &X[i * n]);
          int64_t last = active - 1;
          if (i != last) {
            std::copy_n(&X[last * n], n, &X[i * n]);
            std::copy_n(&R[last * n], n, &R[i * n]);
            std::copy_n(&P[last * n], n, &P[i * n]);
            std::copy_n(&Dinv[last * n], n, &Dinv[i * n]);
            std::copy_n(factors.data() + last * rank * rank, rank * rank,
                        factors.data() + i * rank * rank);
            factored[i] = factored[last];
            row[i] = row[last];
            rho[i] = rho[last];
            objective[i] = objective[last];
            quiet[i] = quiet[last];
            done[i] = done[last];
          }
          --active;
        }
      }
      for (int64_t i = 0; i < active; ++i)
        writeRow(row[i], &X[i * n]);
      stats.stepSeconds += secondsSince(t0);
    }
  }

  static double inverseDiag(double d, double shift) {
    return d + shift > 0 ? 1.0 / (d + shift) : 1.0;
  }

  /// d in T, at least T's smallest normal (a kept entry's preconditioner
  /// is also the steps' mask: it must stay positive where d underflows).
  static T positive(double d) {
    return std::max(T(d), std::numeric_limits<T>::min());
  }

  /// The upper Cholesky factor of diag(1 / lambda) + V_S^T G V_S (r x r)
  /// for a row's kept set S and diagonal preconditioner G (dinv): the
  /// Woodbury system of (G^-1 + V_S diag(lambda) V_S^T)^-1. False if it is
  /// not numerically positive definite (the row then runs with G alone).
  bool factorRow(const uint8_t *kr, const T *dinv, T *factor,
                 std::vector<T> &rowsOfV,
                 std::vector<uint16_t> &bf16Scratch) const {
    const int64_t n = cols, r = lowRank.rank;
    if constexpr (std::is_same_v<T, float>) {
      if (lowRank.bf16) {
        dense::weightedGramBf16(r, n, lowRank.Vt.data(), lowRank.V.data(), dinv,
                                kr, factor, bf16Scratch);
        for (int64_t j = 0; j < r; ++j)
          factor[j * r + j] += T(1.0 / lowRank.lambda[j]);
        return dense::choleskyUpper<T>(r, factor, r);
      }
    }
    const int64_t k = std::count_if(kr, kr + n, [](uint8_t v) { return v; });
    rowsOfV.resize(k * r);
    T *dst = rowsOfV.data();
    for (int64_t c = 0; c < n; ++c) {
      if (!kr[c])
        continue;
      const T g = std::sqrt(dinv[c]);
      const T *v = &lowRank.V[c * r];
      for (int64_t j = 0; j < r; ++j)
        dst[j] = g * v[j];
      dst += r;
    }
    gramOfRows(r, k, rowsOfV.data(), factor);
    for (int64_t j = 0; j < r; ++j)
      factor[j * r + j] += T(1.0 / lowRank.lambda[j]);
    return dense::choleskyUpper<T>(r, factor, r);
  }

  /// Z = M R for the first `active` slots and rzOut = r.z per slot, M the
  /// preconditioner: G R, less G V_S C^-1 V_S^T G R with the low-rank
  /// model (Woodbury). Q is scratch.
  void precondition(int64_t active, const std::vector<T> &R,
                    const std::vector<T> &Dinv, std::vector<T> &Q,
                    std::vector<T> &Z, std::vector<double> &rzOut) {
    const int64_t n = cols, r = lowRank.rank;
    dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t c = 0; c < n; ++c)
          Z[i * n + c] = Dinv[i * n + c] * R[i * n + c];
    });
    if (r > 0) {
      thin.resize(active * r);
      dense::gemm<T>(false, false, active, r, n, T(1), Z.data(), n,
                     lowRank.V.data(), r, T(0), thin.data(), r);
      {
        dense::KernelThreads single(1);
        dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i) {
            if (factored[i])
              dense::choleskyUpperSolve<T>(r, &factors[i * r * r], r,
                                           &thin[i * r]);
            else
              std::fill_n(&thin[i * r], r, T(0));
          }
        });
      }
      dense::gemm<T>(false, true, active, n, r, T(1), thin.data(), r,
                     lowRank.V.data(), r, T(0), Q.data(), n);
    }
    dense::parallelFor(threads, active, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        T *z = &Z[i * n];
        const T *g = &Dinv[i * n], *q = &Q[i * n], *res = &R[i * n];
        double s = 0;
        for (int64_t c = 0; c < n; ++c) {
          if (r > 0)
            z[c] -= g[c] * q[c];
          s += double(res[c]) * double(z[c]);
        }
        rzOut[i] = s;
      }
    });
  }

  /// The update half of a CG step given q = p H: x and r move along p; rz
  /// is r.z for the Jacobi preconditioner. True when the row has
  /// converged or cannot go on. p, r and dinv are zero off the row's kept
  /// set and stay so.
  bool update(T *x, T *r, T *p, const T *q, const T *dinv, double shift,
              double rho, double &objective, int &quiet, double &rz) const {
    const int64_t n = cols;
    const double pq = cgCurvature(n, p, q, shift);
    if (!(pq > 0) || !(rho > 0))
      return true;
    const double alpha = rho / pq;
    rz = cgUpdate(n, x, r, p, q, dinv, alpha, shift);
    // The step lowers the objective by alpha * rho.
    const double decrease = alpha * rho;
    objective = std::max(objective - decrease, 0.0);
    quiet = decrease <= options.tolerance * objective ? quiet + 1 : 0;
    return false;
  }

  void writeRow(int64_t r, const T *x) {
    for (int64_t c = 0; c < cols; ++c)
      if (keep[r * cols + c])
        out.at(r, c) = std::isfinite(double(x[c])) ? double(x[c]) : w.at(r, c);
  }

  const Matrix &w;
  llvm::ArrayRef<uint8_t> keep;
  llvm::ArrayRef<double> gram;
  const LsqRefitOptions &options;
  LsqRefitStats &stats;
  const int64_t rows, cols;
  const unsigned threads;
  /// Dead inputs and the dampening shift, damp * mean(diag H) (dead inputs
  /// as 1): one shift for every row, as the pruned side's G = (H +
  /// shift)^-1 is the layer's.
  const DampedGram damped;
  Matrix out;
  std::vector<T> H;              ///< gram in T
  std::vector<double> diagH;     ///< gram's diagonal (contiguous)
  LowRankModel<T> lowRank;       ///< CG's preconditioner model (rank 0: Jacobi)
  std::vector<T> factors, thin;  ///< per slot: r x r factors, r-vectors
  std::vector<uint8_t> factored; ///< per slot: its factor is usable
};
} // namespace

double mlir::prune::hessianQuadratic(const Matrix &m,
                                     llvm::ArrayRef<double> gram) {
  assert(gram.size() == size_t(m.cols * m.cols) && "a cols x cols Gram");
  if (m.rows == 0 || m.cols == 0)
    return 0.0;
  std::vector<double> mh(m.data.size());
  dense::gemm<double>(false, false, m.rows, m.cols, m.cols, 1.0, m.data.data(),
                      m.cols, gram.data(), m.cols, 0.0, mh.data(), m.cols);
  double total = 0;
  for (size_t i = 0; i < mh.size(); ++i)
    total += m.data[i] * mh[i];
  return total;
}

Matrix mlir::prune::lsqRefit(const Matrix &w, llvm::ArrayRef<uint8_t> keep,
                             llvm::ArrayRef<double> gram,
                             const LsqRefitOptions &options,
                             LsqRefitStats *stats) {
  LsqRefitStats ignored;
  if (useF32(options.precision, w.rows, w.cols))
    return LsqSolver<float>(w, keep, gram, options, stats ? *stats : ignored)
        .run();
  return LsqSolver<double>(w, keep, gram, options, stats ? *stats : ignored)
      .run();
}

namespace {
/// fn(r) for every row, rows split over the hardware threads (the rows of
/// exact OBS are independent and each costs O(removals * cols^2)).
template <typename Fn> void forEachRow(int64_t rows, Fn fn) {
  int64_t threads = std::min<int64_t>(
      rows, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t r = t; r < rows; r += threads)
        fn(r);
    });
  for (int64_t r = 0; r < rows; r += threads)
    fn(r);
  for (auto &th : pool)
    th.join();
}

/// The greedy OBS trajectory of one row: removes `steps` weights and
/// returns each removal's loss increment; `w` ends updated. The inverse
/// Hessian is kept permuted with the live columns first, so each removal's
/// rank-1 update touches only the live block (live^2 instead of cols^2
/// entries: ~2.7x less work to 90 %); ties go to the lowest column, as
/// they did unpermuted.
std::vector<double> greedyRow(Eigen::VectorXd &w, const Eigen::MatrixXd &hinv0,
                              const std::vector<uint8_t> &dead, int64_t steps) {
  const int64_t cols = w.size();
  Eigen::MatrixXd hinv = hinv0;
  Eigen::VectorXd v = w;
  std::vector<int64_t> column(cols); // column[p]: the column at position p
  for (int64_t c = 0; c < cols; ++c)
    column[c] = c;
  int64_t live = cols;
  std::vector<double> losses;
  losses.reserve(steps);
  for (int64_t t = 0; t < steps && live > 0; ++t) {
    int64_t q = -1;
    double best = 0;
    for (int64_t p = 0; p < live; ++p) {
      // Dead inputs and existing zeros cost nothing: first.
      double d = std::max(hinv(p, p), 1e-300);
      double loss = dead[column[p]] ? -1.0 : v[p] * v[p] / (2.0 * d);
      if (q < 0 || loss < best || (loss == best && column[p] < column[q])) {
        q = p;
        best = loss;
      }
    }
    double d = std::max(hinv(q, q), 1e-300);
    if (!dead[column[q]]) {
      Eigen::VectorXd col = hinv.col(q).head(live);
      v.head(live).noalias() -= (v[q] / d) * col;
      // (The scale on the column, not on the product: Eigen then writes
      // the outer product straight into hinv instead of a temporary.)
      Eigen::VectorXd scaled = col / d;
      hinv.topLeftCorner(live, live).noalias() -= scaled * col.transpose();
    }
    v[q] = 0.0;
    // The removed column moves behind the live ones.
    int64_t last = live - 1;
    if (q != last) {
      hinv.row(q).head(live).swap(hinv.row(last).head(live));
      hinv.col(q).head(live).swap(hinv.col(last).head(live));
      std::swap(v[q], v[last]);
      std::swap(column[q], column[last]);
    }
    --live;
    losses.push_back(std::max(best, 0.0));
  }
  for (int64_t p = 0; p < cols; ++p)
    w[column[p]] = p < live ? v[p] : 0.0; // removed weights exactly zero
  return losses;
}
} // namespace

Matrix mlir::prune::exactOBS(const Matrix &input, llvm::ArrayRef<double> gram,
                             double sparsity, double damp, bool *failed) {
  const int64_t rows = input.rows, cols = input.cols;
  if (failed)
    *failed = false;
  std::vector<uint8_t> dead;
  double meanDiag = 0;
  Eigen::MatrixXd H = dampedHessian(gram, cols, damp, dead, meanDiag);
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() != Eigen::Success) {
    if (failed)
      *failed = true;
    return input;
  }
  Eigen::MatrixXd hinv = llt.solve(Eigen::MatrixXd::Identity(cols, cols));
  hinv = 0.5 * (hinv + hinv.transpose());

  const int64_t total =
      static_cast<int64_t>(std::llround(sparsity * double(rows * cols)));
  // Trajectories up to a cap (rows rarely need far more than the average).
  const int64_t cap = std::min<int64_t>(
      cols, static_cast<int64_t>(std::ceil(1.5 * sparsity * cols)) + 4);
  std::vector<std::vector<double>> losses(rows);
  forEachRow(rows, [&](int64_t r) {
    Eigen::VectorXd w(cols);
    for (int64_t c = 0; c < cols; ++c)
      w[c] = input.at(r, c);
    losses[r] = greedyRow(w, hinv, dead, cap);
  });
  // Allocate: repeatedly take the cheapest next removal of any row (each
  // row's removals in its own order), exactly `total` of them (ties by row).
  std::vector<int64_t> counts(rows, 0);
  using Entry = std::tuple<double, int64_t>; // (loss, row)
  std::vector<Entry> heap;
  for (int64_t r = 0; r < rows; ++r)
    if (!losses[r].empty())
      heap.emplace_back(losses[r][0], r);
  auto cmp = [](const Entry &a, const Entry &b) { return a > b; };
  std::make_heap(heap.begin(), heap.end(), cmp);
  int64_t assigned = 0;
  while (assigned < total && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    int64_t r = std::get<1>(heap.back());
    heap.pop_back();
    ++counts[r];
    ++assigned;
    if (counts[r] < static_cast<int64_t>(losses[r].size())) {
      heap.emplace_back(losses[r][counts[r]], r);
      std::push_heap(heap.begin(), heap.end(), cmp);
    }
  }
  Matrix out = input;
  forEachRow(rows, [&](int64_t r) {
    Eigen::VectorXd w(cols);
    for (int64_t c = 0; c < cols; ++c)
      w[c] = input.at(r, c);
    greedyRow(w, hinv, dead, counts[r]);
    for (int64_t c = 0; c < cols; ++c)
      out.at(r, c) = w[c];
  });
  // (If the caps left fewer than `total` removals, the caller's exact-count
  // check tops up with the smallest remaining weights.)
  return out;
}
