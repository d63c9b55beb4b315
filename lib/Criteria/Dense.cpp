//===- Dense.cpp - Dense kernels of the Hessian criteria ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "Dense.h"

#if PRUNE_OPT_HAVE_OPENBLAS
#include <cblas.h>

// LAPACK in libopenblas (32-bit integers, as in Debian's build). The
// trailing lengths are gfortran's hidden character-argument lengths
// (OpenBLAS's own C implementations of these routines ignore them).
extern "C" {
void spotrf_(const char *uplo, const int *n, float *a, const int *lda,
             int *info, size_t);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t);
void strtri_(const char *uplo, const char *diag, const int *n, float *a,
             const int *lda, int *info, size_t, size_t);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a,
             const int *lda, int *info, size_t, size_t);
}
#else
#include <Eigen/Cholesky>
#include <Eigen/Dense>
#endif

using namespace mlir::prune;

namespace {
/// Zeroes the strict upper triangle of a row-major n x n matrix.
template <typename T> void zeroStrictUpper(int64_t n, T *a, int64_t lda) {
  for (int64_t i = 0; i < n; ++i)
    std::fill(a + i * lda + i + 1, a + i * lda + n, T(0));
}
} // namespace

#if PRUNE_OPT_HAVE_OPENBLAS

bool dense::usesOpenBLAS() { return true; }

dense::KernelThreads::KernelThreads(unsigned threads)
    : previous(openblas_get_num_threads()) {
  openblas_set_num_threads(int(std::max(1u, threads)));
}

dense::KernelThreads::~KernelThreads() { openblas_set_num_threads(previous); }

template <>
void dense::gemm<float>(bool transA, bool transB, int64_t m, int64_t n,
                        int64_t k, float alpha, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float beta, float *c,
                        int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
              alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

template <>
void dense::gemm<double>(bool transA, bool transB, int64_t m, int64_t n,
                         int64_t k, double alpha, const double *a, int64_t lda,
                         const double *b, int64_t ldb, double beta, double *c,
                         int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
              alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// A row-major matrix is its column-major transpose: the row-major lower
// factor L (a = L L^T) is LAPACK's column-major upper factor U = L^T
// (a = U^T U), and the row-major L^-1 is the column-major U^-1.
template <> bool dense::choleskyLower<float>(int64_t n, float *a, int64_t lda) {
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    spotrf_("U", &nn, a, &ld, &info, 1);
  zeroStrictUpper(n, a, lda);
  return info == 0;
}

template <>
bool dense::choleskyLower<double>(int64_t n, double *a, int64_t lda) {
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    dpotrf_("U", &nn, a, &ld, &info, 1);
  zeroStrictUpper(n, a, lda);
  return info == 0;
}

template <> bool dense::invertLower<float>(int64_t n, float *a, int64_t lda) {
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    strtri_("U", "N", &nn, a, &ld, &info, 1, 1);
  zeroStrictUpper(n, a, lda);
  return info == 0;
}

template <> bool dense::invertLower<double>(int64_t n, double *a, int64_t lda) {
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    dtrtri_("U", "N", &nn, a, &ld, &info, 1, 1);
  zeroStrictUpper(n, a, lda);
  return info == 0;
}

template <>
void dense::choleskySolve<float>(int64_t n, const float *l, int64_t lda,
                                 float *x) {
  if (n == 0)
    return;
  cblas_strsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, int(n),
              l, int(lda), x, 1);
  cblas_strsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, int(n), l,
              int(lda), x, 1);
}

template <>
void dense::choleskySolve<double>(int64_t n, const double *l, int64_t lda,
                                  double *x) {
  if (n == 0)
    return;
  cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, int(n),
              l, int(lda), x, 1);
  cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, int(n), l,
              int(lda), x, 1);
}

template <> float dense::dot<float>(int64_t n, const float *a, const float *b) {
  return cblas_sdot(int(n), a, 1, b, 1);
}

template <>
double dense::dot<double>(int64_t n, const double *a, const double *b) {
  return cblas_ddot(int(n), a, 1, b, 1);
}

void dense::syrkLowerAtA(int64_t n, int64_t k, const float *a, int64_t lda,
                         float beta, float *c, int64_t ldc) {
  if (n == 0)
    return;
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, int(n), int(k), 1.0f, a,
              int(lda), beta, c, int(ldc));
}

#else // Eigen

namespace {
template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstView = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using View = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;
} // namespace

bool dense::usesOpenBLAS() { return false; }

dense::KernelThreads::KernelThreads(unsigned) {}
dense::KernelThreads::~KernelThreads() {}

template <typename T>
void dense::gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 T alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
                 T beta, T *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  View<T> C(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == T(0))
    C.setZero();
  else if (beta != T(1))
    C *= beta;
  if (k == 0)
    return;
  ConstView<T> A(a, transA ? k : m, transA ? m : k, Eigen::OuterStride<>(lda));
  ConstView<T> B(b, transB ? n : k, transB ? k : n, Eigen::OuterStride<>(ldb));
  if (!transA && !transB)
    C.noalias() += alpha * A * B;
  else if (transA && !transB)
    C.noalias() += alpha * A.transpose() * B;
  else if (!transA && transB)
    C.noalias() += alpha * A * B.transpose();
  else
    C.noalias() += alpha * A.transpose() * B.transpose();
}

template <typename T> bool dense::choleskyLower(int64_t n, T *a, int64_t lda) {
  View<T> A(a, n, n, Eigen::OuterStride<>(lda));
  Eigen::LLT<Eigen::Ref<RowMajor<T>, 0, Eigen::OuterStride<>>> llt(A);
  zeroStrictUpper(n, a, lda);
  return llt.info() == Eigen::Success;
}

template <typename T> bool dense::invertLower(int64_t n, T *a, int64_t lda) {
  View<T> A(a, n, n, Eigen::OuterStride<>(lda));
  for (int64_t i = 0; i < n; ++i)
    if (A(i, i) == T(0))
      return false;
  RowMajor<T> inv = RowMajor<T>::Identity(n, n);
  A.template triangularView<Eigen::Lower>().solveInPlace(inv);
  A = inv;
  zeroStrictUpper(n, a, lda);
  return true;
}

template <typename T>
void dense::choleskySolve(int64_t n, const T *l, int64_t lda, T *x) {
  ConstView<T> L(l, n, n, Eigen::OuterStride<>(lda));
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> v(x, n);
  L.template triangularView<Eigen::Lower>().solveInPlace(v);
  L.transpose().template triangularView<Eigen::Upper>().solveInPlace(v);
}

template <typename T> T dense::dot(int64_t n, const T *a, const T *b) {
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  return Eigen::Map<const Vector>(a, n).dot(Eigen::Map<const Vector>(b, n));
}

void dense::syrkLowerAtA(int64_t n, int64_t k, const float *a, int64_t lda,
                         float beta, float *c, int64_t ldc) {
  View<float> C(c, n, n, Eigen::OuterStride<>(ldc));
  if (beta == 0.0f)
    C.template triangularView<Eigen::Lower>().setZero();
  else if (beta != 1.0f)
    C.template triangularView<Eigen::Lower>() *= beta;
  if (k == 0)
    return;
  ConstView<float> A(a, k, n, Eigen::OuterStride<>(lda));
  C.template selfadjointView<Eigen::Lower>().rankUpdate(A.transpose());
}

template void dense::gemm<float>(bool, bool, int64_t, int64_t, int64_t, float,
                                 const float *, int64_t, const float *, int64_t,
                                 float, float *, int64_t);
template void dense::gemm<double>(bool, bool, int64_t, int64_t, int64_t, double,
                                  const double *, int64_t, const double *,
                                  int64_t, double, double *, int64_t);
template bool dense::choleskyLower<float>(int64_t, float *, int64_t);
template bool dense::choleskyLower<double>(int64_t, double *, int64_t);
template bool dense::invertLower<float>(int64_t, float *, int64_t);
template bool dense::invertLower<double>(int64_t, double *, int64_t);
template void dense::choleskySolve<float>(int64_t, const float *, int64_t,
                                          float *);
template void dense::choleskySolve<double>(int64_t, const double *, int64_t,
                                           double *);
template float dense::dot<float>(int64_t, const float *, const float *);
template double dense::dot<double>(int64_t, const double *, const double *);

#endif
