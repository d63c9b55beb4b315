//===- Dense.h - Dense kernels of the Hessian criteria ----------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The few BLAS-3 / LAPACK operations that sparseGPT, lsqRefit and the Gram
// accumulation need, on row-major buffers: OpenBLAS when the library was
// built with PRUNE_OPT_USE_OPENBLAS (run-time CPU dispatch, its own
// threads), else Eigen (single-threaded, the project's compile flags).
// Internal to lib/Criteria.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_CRITERIA_DENSE_H
#define PRUNE_OPT_LIB_CRITERIA_DENSE_H

#include "prune-opt/Utils/HugePages.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace mlir::prune::dense {

/// True when the kernels below run OpenBLAS.
bool usesOpenBLAS();

/// "OpenBLAS (<its core> kernels)" or "Eigen".
std::string kernelsName();

/// Sets the number of threads the kernels may use for the lifetime of the
/// object and restores the previous setting after (OpenBLAS's setting is
/// process-wide: callers that run their own threads around kernel calls
/// set 1 for that span). No effect with Eigen.
class KernelThreads {
public:
  explicit KernelThreads(unsigned threads);
  ~KernelThreads();
  KernelThreads(const KernelThreads &) = delete;
  KernelThreads &operator=(const KernelThreads &) = delete;

private:
  [[maybe_unused]] int previous = 0;
};

/// C = alpha * op(A) * op(B) + beta * C, row-major, op = transpose when
/// the flag is set (C is m x n, op(A) m x k, op(B) k x n).
template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,
          int64_t ldc);

/// In place: the lower triangle of the row-major SPD matrix `a` (n x n,
/// only its lower triangle is read) becomes L with a = L L^T; the strict
/// upper triangle is zeroed. False (contents unspecified) if `a` is not
/// numerically positive definite.
template <typename T> bool choleskyLower(int64_t n, T *a, int64_t lda);

/// In place: the lower-triangular row-major L (n x n) becomes L^-1 (the
/// strict upper triangle is zeroed). False if L is singular.
template <typename T> bool invertLower(int64_t n, T *a, int64_t lda);

/// In place: the row-major SPD matrix `a` (n x n, only its lower triangle
/// is read) becomes its inverse (both triangles; potrf and potri, n^3
/// flops). False (contents unspecified) if `a` is not numerically positive
/// definite.
template <typename T> bool invertSpd(int64_t n, T *a, int64_t lda);

/// x := (L L^T)^-1 x for a Cholesky factor from choleskyLower.
template <typename T>
void choleskySolve(int64_t n, const T *l, int64_t lda, T *x);

/// In place: the upper triangle of the row-major SPD matrix `a` (n x n,
/// only its upper triangle is read or written) becomes U with a = U^T U.
/// False (contents unspecified) if `a` is not numerically positive
/// definite. The same factorization as choleskyLower, stored the other way:
/// OpenBLAS's potrf ran 1.3-1.6x faster on it for n of 400-1000 (its
/// lower, column-major variant; the least-squares refit's row solves).
template <typename T> bool choleskyUpper(int64_t n, T *a, int64_t lda);

/// Whether the CPU runs the AVX-512 float kernels below (DenseAvx512.cpp;
/// false on other architectures, where they do nothing).
bool haveAvx512();

/// choleskyUpper's float kernel, which choleskyUpper<float> takes for n in
/// [choleskyAvx512MinSize, choleskyAvx512MaxSize] when haveAvx512(): same
/// contract. (Past ~1000 its rank-16 sweeps over a trailing matrix larger
/// than L2 lose to potrf: 55 against 40 ms at 2048.)
bool choleskyUpperAvx512(int64_t n, float *a, int64_t lda);
constexpr int64_t choleskyAvx512MinSize = 48, choleskyAvx512MaxSize = 1024;

/// x := (U^T U)^-1 x for a Cholesky factor from choleskyUpper.
template <typename T>
void choleskyUpperSolve(int64_t n, const T *u, int64_t lda, T *x);

/// out[r] = dot(n, h, rows[r]) for the `count` rows: h is read once for
/// all of them.
template <typename T>
void dots(int64_t n, const T *h, const T *const *rows, int64_t count, T *out);
void dotsAvx512(int64_t n, const float *h, const float *const *rows,
                int64_t count, float *out);

/// Whether weightedGramAmx runs here (DenseAmx.cpp): an x86-64 Linux CPU
/// with AMX-BF16 and AVX-512 (BW, VBMI2), whose kernel grants the process
/// its tile state. False elsewhere, and when the environment sets
/// PRUNE_OPT_NO_AMX or PRUNE_OPT_NO_BF16 (tests of the other paths on such
/// machines).
bool haveAmxBf16();

/// Whether weightedGramAvx512Bf16 runs here: an x86-64 CPU with AVX-512
/// (F, VL, DQ, BW, VBMI2) and AVX512-BF16 (Sapphire Rapids and later, Zen
/// 4 and later; not Cooper Lake, which has no VBMI2). False elsewhere and
/// with PRUNE_OPT_NO_BF16 set (tests of the f32 path on such machines).
bool haveAvx512Bf16();

/// Whether weightedGramBf16 runs here (either of the two).
bool haveBf16Gram();

/// The upper triangle of c (r x r, row-major) = sum over the inputs s < n
/// with keep[s] of g[s] v_s v_s^T, v_s row s of v (n x r, row-major, every
/// entry a bf16 value), vt the same values transposed as bf16 bits (r x n),
/// g[s] a power of two: every product is exact and the sum is f32's.
/// scratch: the packed operands (reused across calls). weightedGramAmx runs
/// on AMX tiles, weightedGramAvx512Bf16 with vdpbf16ps, weightedGramBf16
/// on AMX where it runs, else with vdpbf16ps (haveBf16Gram).
void weightedGramAmx(int64_t r, int64_t n, const uint16_t *vt, const float *v,
                     const float *g, const uint8_t *keep, float *c,
                     std::vector<uint16_t> &scratch);
void weightedGramAvx512Bf16(int64_t r, int64_t n, const uint16_t *vt,
                            const float *v, const float *g, const uint8_t *keep,
                            float *c, std::vector<uint16_t> &scratch);
void weightedGramBf16(int64_t r, int64_t n, const uint16_t *vt, const float *v,
                      const float *g, const uint8_t *keep, float *c,
                      std::vector<uint16_t> &scratch);

/// B (k x n) for gemmBf16 (DenseBf16.cpp): rounded to bf16 (nearest
/// even), pairs of rows interleaved in 32-bit lanes (row 2p in the low
/// half, 2p + 1 in the high half, zero past k), in panels of panelCols
/// columns (zero past n).
struct Bf16Panels {
  static constexpr int64_t panelCols = 64;
  int64_t k = 0, n = 0;
  std::vector<uint32_t> data;
  int64_t pairs() const { return (k + 1) / 2; }
};

/// Packs B (k x n f32, row-major) into `out`. Only where haveAvx512Bf16()
/// (elsewhere it does nothing).
void packBf16(int64_t k, int64_t n, const float *b, int64_t ldb,
              Bf16Panels &out);

/// C (m x n, row-major) = A B for A (m x k f32, row-major) rounded to bf16
/// (nearest even): every product of two bf16 values is exact, the sums are
/// f32's (vdpbf16ps). Threads take column panels; scratch holds A's bf16
/// rows (reused across calls). Only where haveAvx512Bf16() (elsewhere it
/// does nothing).
void gemmBf16(int64_t m, const float *a, int64_t lda, const Bf16Panels &b,
              float *c, int64_t ldc, unsigned threads,
              std::vector<uint32_t> &scratch);

/// v.resize(count) (v.assign(count, value) with `value`) where the memory
/// that grows v is new: on transparent huge pages (adviseHugePages,
/// prune-opt/Utils/HugePages.h says why), for the criteria's matrices of
/// megabytes.
template <typename T> void resizeOnHugePages(std::vector<T> &v, size_t count) {
  if (v.capacity() < count) {
    std::vector<T> grown;
    grown.reserve(count);
    adviseHugePages(grown.data(), count * sizeof(T));
    grown.assign(v.begin(), v.end());
    v.swap(grown);
  }
  v.resize(count);
}
template <typename T>
void assignOnHugePages(std::vector<T> &v, size_t count, T value) {
  v.clear();
  if (v.capacity() < count) {
    std::vector<T>().swap(v);
    v.reserve(count);
    adviseHugePages(v.data(), count * sizeof(T));
  }
  v.assign(count, value);
}

/// The dot product of two contiguous vectors of n.
template <typename T> T dot(int64_t n, const T *a, const T *b);

/// Lower triangle of C (n x n, row-major) := beta * C + A^T A for A
/// (k x n, row-major): the Gram matrix of k rows. The strict upper
/// triangle of C is not referenced.
void syrkLowerAtA(int64_t n, int64_t k, const float *a, int64_t lda,
                  float beta, float *c, int64_t ldc);

/// fn(begin, end) over [0, count) in at most `threads` contiguous ranges
/// (on the calling thread when threads <= 1 or count is small). fn must
/// not call the kernels above unless KernelThreads(1) is in effect.
template <typename Fn>
void parallelFor(unsigned threads, int64_t count, Fn &&fn,
                 int64_t minPerThread = 1) {
  int64_t parts = std::min<int64_t>(
      threads, std::max<int64_t>(1, count / std::max<int64_t>(1, minPerThread)));
  if (parts <= 1) {
    if (count > 0)
      fn(int64_t(0), count);
    return;
  }
  std::vector<std::thread> pool;
  for (int64_t p = 1; p < parts; ++p)
    pool.emplace_back([&, p] { fn(count * p / parts, count * (p + 1) / parts); });
  fn(int64_t(0), count / parts);
  for (std::thread &t : pool)
    t.join();
}

} // namespace mlir::prune::dense

#endif // PRUNE_OPT_LIB_CRITERIA_DENSE_H
