//===- Dense.cpp - Dense kernels of the Hessian criteria ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// OpenBLAS when it can be loaded, Eigen otherwise. OpenBLAS is opened with
// dlopen on first use rather than linked: the library starts its thread
// pool (and reserves 128 MiB of address space per thread) when it is
// loaded, which a run that never needs it (magnitude pruning, lowering)
// should not pay for, and which hangs OpenBLAS 0.3.21 under a tight
// `ulimit -v` (its threads retry the failed reservation forever).
//
//===----------------------------------------------------------------------===//

#include "Dense.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#if PRUNE_OPT_HAVE_OPENBLAS
#include <cblas.h>
#include <dlfcn.h>
#include <sys/resource.h>
#endif

#include <cstdlib>

using namespace mlir::prune;

namespace {
/// Zeroes the strict upper triangle of a row-major n x n matrix.
template <typename T> void zeroStrictUpper(int64_t n, T *a, int64_t lda) {
  for (int64_t i = 0; i < n; ++i)
    std::fill(a + i * lda + i + 1, a + i * lda + n, T(0));
}

/// The strict upper triangle of a row-major n x n matrix := its lower
/// triangle's transpose, in 8 x 8 tiles (the column walk of a plain loop
/// took 60 ms at n = 4096; larger tiles' lines share L1 sets when the
/// stride is a multiple of 4 KB).
template <typename T>
[[maybe_unused]] void mirrorLowerToUpper(int64_t n, T *a, int64_t lda) {
  constexpr int64_t tile = 8;
  for (int64_t i0 = 0; i0 < n; i0 += tile)
    for (int64_t j0 = i0; j0 < n; j0 += tile)
      for (int64_t i = i0; i < std::min(n, i0 + tile); ++i)
        for (int64_t j = std::max(j0, i + 1); j < std::min(n, j0 + tile); ++j)
          a[i * lda + j] = a[j * lda + i];
}
} // namespace

/// True when choleskyUpper's AVX-512 float kernel took the factorization
/// (its result in `ok`).
template <typename T>
static bool avx512Upper(int64_t n, T *a, int64_t lda, bool &ok) {
  if constexpr (std::is_same_v<T, float>) {
    if (n >= dense::choleskyAvx512MinSize &&
        n <= dense::choleskyAvx512MaxSize && dense::haveAvx512()) {
      ok = dense::choleskyUpperAvx512(n, a, lda);
      return true;
    }
  }
  return false;
}

#if PRUNE_OPT_HAVE_OPENBLAS
// LAPACK in libopenblas (32-bit integers, as in Debian's build). The
// trailing lengths are gfortran's hidden character-argument lengths
// (OpenBLAS's own C implementations of these routines ignore them).
using PotrfS = void(const char *, const int *, float *, const int *, int *,
                    size_t);
using PotrfD = void(const char *, const int *, double *, const int *, int *,
                    size_t);
using TrtriS = void(const char *, const char *, const int *, float *,
                    const int *, int *, size_t, size_t);
using TrtriD = void(const char *, const char *, const int *, double *,
                    const int *, int *, size_t, size_t);

using PotriS = void(const char *, const int *, float *, const int *, int *,
                    size_t);
using PotriD = void(const char *, const int *, double *, const int *, int *,
                    size_t);

namespace {
/// The OpenBLAS entry points the kernels use.
struct Blas {
  decltype(&cblas_sgemm) sgemm;
  decltype(&cblas_dgemm) dgemm;
  decltype(&cblas_strsv) strsv;
  decltype(&cblas_dtrsv) dtrsv;
  decltype(&cblas_sdot) sdot;
  decltype(&cblas_ddot) ddot;
  decltype(&cblas_ssyrk) ssyrk;
  PotrfS *spotrf;
  PotrfD *dpotrf;
  TrtriS *strtri;
  TrtriD *dtrtri;
  PotriS *spotri;
  PotriD *dpotri;
  int (*getThreads)();
  void (*setThreads)(int);
  char *(*coreName)();
};
} // namespace

/// Of an entry point in its float and double flavours, the one for T.
template <typename T, typename F, typename D>
static auto forType(F forFloat, D forDouble) {
  if constexpr (std::is_same_v<T, float>)
    return forFloat;
  else
    return forDouble;
}

/// OpenBLAS picks its kernels once, when it loads, from the CPU's model
/// number, and a release older than the CPU falls back to its SSE3
/// "Prescott" kernels: Debian 12's 0.3.21 on an Emerald Rapids Xeon runs
/// sgemm at 11.7 GFLOP/s there against 63 with its SkylakeX kernels (1
/// thread, 2048^3), and every Hessian criterion 3-5x slower. So when the
/// user has not chosen (OPENBLAS_CORETYPE unset), the library is not in the
/// process yet (its kernels are then already picked) and the CPU has
/// SkylakeX's AVX-512 subset, the load asks for SkylakeX: OpenBLAS's later
/// AVX-512 targets (Cooperlake, Sapphire Rapids) take SkylakeX's kernel
/// list (kernel/x86_64/KERNEL.COOPERLAKE includes KERNEL.SKYLAKEX) and add
/// bf16 ones. The variable is set for the dlopen only.
static void *openOpenBLAS(const char *name) {
  if (void *loaded = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD))
    return loaded;
  __builtin_cpu_init();
  bool avx512 = __builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512cd") &&
                __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl");
  const char *chosen = std::getenv("OPENBLAS_CORETYPE");
  bool force = avx512 && !(chosen && *chosen);
  if (force)
    ::setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (force)
    ::unsetenv("OPENBLAS_CORETYPE");
  return lib;
}

/// OpenBLAS, loaded on first use; null when it cannot be (or when
/// PRUNE_OPT_NO_OPENBLAS is set: the Eigen kernels).
static const Blas *blas() {
  static const Blas *loaded = []() -> const Blas * {
    if (const char *off = std::getenv("PRUNE_OPT_NO_OPENBLAS");
        off && *off && *off != '0')
      return nullptr;
    // Under an address-space limit OpenBLAS's threads may never get their
    // buffers (and wait forever): Eigen then.
    struct rlimit as;
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
      return nullptr;
    void *lib = nullptr;
    for (const char *name : {PRUNE_OPT_OPENBLAS_PATH, "libopenblas.so.0",
                             "libopenblas.so"})
      if ((lib = openOpenBLAS(name)))
        break;
    if (!lib)
      return nullptr;
    static Blas b;
    bool ok = true;
    auto get = [&](auto &fn, const char *symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, symbol));
      ok &= fn != nullptr;
    };
    get(b.sgemm, "cblas_sgemm");
    get(b.dgemm, "cblas_dgemm");
    get(b.strsv, "cblas_strsv");
    get(b.dtrsv, "cblas_dtrsv");
    get(b.sdot, "cblas_sdot");
    get(b.ddot, "cblas_ddot");
    get(b.ssyrk, "cblas_ssyrk");
    get(b.spotrf, "spotrf_");
    get(b.dpotrf, "dpotrf_");
    get(b.strtri, "strtri_");
    get(b.dtrtri, "dtrtri_");
    get(b.spotri, "spotri_");
    get(b.dpotri, "dpotri_");
    get(b.getThreads, "openblas_get_num_threads");
    get(b.setThreads, "openblas_set_num_threads");
    get(b.coreName, "openblas_get_corename");
    return ok ? &b : nullptr;
  }();
  return loaded;
}
#else
namespace {
struct Blas;
} // namespace
static const Blas *blas() { return nullptr; }
#endif

namespace {
template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstView = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using View = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;
} // namespace


template <typename T>
static void eigenGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
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

template <typename T>
static bool eigenCholeskyLower(int64_t n, T *a, int64_t lda) {
  View<T> A(a, n, n, Eigen::OuterStride<>(lda));
  Eigen::LLT<Eigen::Ref<RowMajor<T>, 0, Eigen::OuterStride<>>> llt(A);
  zeroStrictUpper(n, a, lda);
  return llt.info() == Eigen::Success;
}

template <typename T>
static bool eigenCholeskyUpper(int64_t n, T *a, int64_t lda) {
  View<T> A(a, n, n, Eigen::OuterStride<>(lda));
  Eigen::LLT<Eigen::Ref<RowMajor<T>, 0, Eigen::OuterStride<>>, Eigen::Upper>
      llt(A);
  return llt.info() == Eigen::Success;
}

template <typename T>
static void eigenCholeskyUpperSolve(int64_t n, const T *u, int64_t lda, T *x) {
  ConstView<T> U(u, n, n, Eigen::OuterStride<>(lda));
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> v(x, n);
  U.transpose().template triangularView<Eigen::Lower>().solveInPlace(v);
  U.template triangularView<Eigen::Upper>().solveInPlace(v);
}

template <typename T>
static bool eigenInvertLower(int64_t n, T *a, int64_t lda) {
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

template <typename T> static bool eigenInvertSpd(int64_t n, T *a, int64_t lda) {
  View<T> A(a, n, n, Eigen::OuterStride<>(lda));
  RowMajor<T> lower = A.template triangularView<Eigen::Lower>();
  Eigen::LLT<RowMajor<T>, Eigen::Lower> llt(lower);
  if (llt.info() != Eigen::Success)
    return false;
  A = llt.solve(RowMajor<T>::Identity(n, n));
  return true;
}

template <typename T>
static void eigenCholeskySolve(int64_t n, const T *l, int64_t lda, T *x) {
  ConstView<T> L(l, n, n, Eigen::OuterStride<>(lda));
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> v(x, n);
  L.template triangularView<Eigen::Lower>().solveInPlace(v);
  L.transpose().template triangularView<Eigen::Upper>().solveInPlace(v);
}

template <typename T> static T eigenDot(int64_t n, const T *a, const T *b) {
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  return Eigen::Map<const Vector>(a, n).dot(Eigen::Map<const Vector>(b, n));
}

static void eigenSyrkLowerAtA(int64_t n, int64_t k, const float *a,
                              int64_t lda, float beta, float *c,
                              int64_t ldc) {
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

//===----------------------------------------------------------------------===//
// The kernels: OpenBLAS when loaded, else Eigen
//===----------------------------------------------------------------------===//

bool dense::usesOpenBLAS() { return blas() != nullptr; }

std::string dense::kernelsName() {
#if PRUNE_OPT_HAVE_OPENBLAS
  if (const Blas *b = blas()) {
    const char *core = b->coreName();
    return std::string("OpenBLAS (") + (core ? core : "?") + " kernels)";
  }
#endif
  return "Eigen";
}

#if PRUNE_OPT_HAVE_OPENBLAS

dense::KernelThreads::KernelThreads(unsigned threads) {
  if (const Blas *b = blas()) {
    previous = b->getThreads();
    b->setThreads(int(std::max(1u, threads)));
  }
}

dense::KernelThreads::~KernelThreads() {
  if (const Blas *b = blas())
    b->setThreads(previous);
}

template <typename T>
void dense::gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 T alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
                 T beta, T *c, int64_t ldc) {
  const Blas *lib = blas();
  if (!lib)
    return eigenGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc);
  if (m == 0 || n == 0)
    return;
  forType<T>(lib->sgemm, lib->dgemm)(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
      transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), alpha, a,
      int(lda), b, int(ldb), beta, c, int(ldc));
}

// A row-major matrix is its column-major transpose: the row-major lower
// factor L (a = L L^T) is LAPACK's column-major upper factor U = L^T
// (a = U^T U), and the row-major L^-1 is the column-major U^-1.
/// potrf of the row-major triangle `uplo` of `a` (row-major lower is
/// column-major upper); true on success.
template <typename T>
static bool potrf(const Blas *lib, CBLAS_UPLO uplo, int64_t n, T *a,
                  int64_t lda) {
  int nn = int(n), ld = int(lda), info = 0;
  const char *colMajor = uplo == CblasLower ? "U" : "L";
  if (n > 0)
    forType<T>(lib->spotrf, lib->dpotrf)(colMajor, &nn, a, &ld, &info, 1);
  return info == 0;
}

/// x := A^-1 x for A = L L^T (uplo lower) or U^T U (upper), the factor in
/// the row-major triangle `t`: two triangular solves.
template <typename T>
static void choleskySolveWith(const Blas *lib, CBLAS_UPLO uplo, int64_t n,
                              const T *t, int64_t lda, T *x) {
  if (n == 0)
    return;
  auto trsv = forType<T>(lib->strsv, lib->dtrsv);
  const bool lower = uplo == CblasLower;
  trsv(CblasRowMajor, uplo, lower ? CblasNoTrans : CblasTrans, CblasNonUnit,
       int(n), t, int(lda), x, 1);
  trsv(CblasRowMajor, uplo, lower ? CblasTrans : CblasNoTrans, CblasNonUnit,
       int(n), t, int(lda), x, 1);
}

template <typename T> bool dense::choleskyLower(int64_t n, T *a, int64_t lda) {
  const Blas *lib = blas();
  if (!lib)
    return eigenCholeskyLower(n, a, lda);
  bool ok = potrf(lib, CblasLower, n, a, lda);
  zeroStrictUpper(n, a, lda);
  return ok;
}

template <typename T> bool dense::invertLower(int64_t n, T *a, int64_t lda) {
  const Blas *lib = blas();
  if (!lib)
    return eigenInvertLower(n, a, lda);
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    forType<T>(lib->strtri, lib->dtrtri)("U", "N", &nn, a, &ld, &info, 1, 1);
  zeroStrictUpper(n, a, lda);
  return info == 0;
}

template <typename T> bool dense::invertSpd(int64_t n, T *a, int64_t lda) {
  const Blas *lib = blas();
  if (!lib)
    return eigenInvertSpd(n, a, lda);
  if (!potrf(lib, CblasLower, n, a, lda))
    return false;
  int nn = int(n), ld = int(lda), info = 0;
  if (n > 0)
    forType<T>(lib->spotri, lib->dpotri)("U", &nn, a, &ld, &info, 1);
  mirrorLowerToUpper(n, a, lda);
  return info == 0;
}

template <typename T>
void dense::choleskySolve(int64_t n, const T *l, int64_t lda, T *x) {
  if (const Blas *lib = blas())
    return choleskySolveWith(lib, CblasLower, n, l, lda, x);
  eigenCholeskySolve(n, l, lda, x);
}

template <typename T> bool dense::choleskyUpper(int64_t n, T *a, int64_t lda) {
  if (bool ok; avx512Upper(n, a, lda, ok))
    return ok;
  if (const Blas *lib = blas())
    return potrf(lib, CblasUpper, n, a, lda);
  return eigenCholeskyUpper(n, a, lda);
}

template <typename T>
void dense::choleskyUpperSolve(int64_t n, const T *u, int64_t lda, T *x) {
  if (const Blas *lib = blas())
    return choleskySolveWith(lib, CblasUpper, n, u, lda, x);
  eigenCholeskyUpperSolve(n, u, lda, x);
}

template <typename T> T dense::dot(int64_t n, const T *a, const T *b) {
  const Blas *lib = blas();
  if (!lib)
    return eigenDot(n, a, b);
  return forType<T>(lib->sdot, lib->ddot)(int(n), a, 1, b, 1);
}

void dense::syrkLowerAtA(int64_t n, int64_t k, const float *a, int64_t lda,
                         float beta, float *c, int64_t ldc) {
  const Blas *lib = blas();
  if (!lib)
    return eigenSyrkLowerAtA(n, k, a, lda, beta, c, ldc);
  if (n == 0)
    return;
  lib->ssyrk(CblasRowMajor, CblasLower, CblasTrans, int(n), int(k), 1.0f, a,
             int(lda), beta, c, int(ldc));
}

#else // Eigen only

dense::KernelThreads::KernelThreads(unsigned) {}
dense::KernelThreads::~KernelThreads() {}

template <typename T>
void dense::gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 T alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
                 T beta, T *c, int64_t ldc) {
  eigenGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
template <typename T> bool dense::choleskyLower(int64_t n, T *a, int64_t lda) {
  return eigenCholeskyLower(n, a, lda);
}
template <typename T> bool dense::invertLower(int64_t n, T *a, int64_t lda) {
  return eigenInvertLower(n, a, lda);
}
template <typename T> bool dense::invertSpd(int64_t n, T *a, int64_t lda) {
  return eigenInvertSpd(n, a, lda);
}
template <typename T>
void dense::choleskySolve(int64_t n, const T *l, int64_t lda, T *x) {
  eigenCholeskySolve(n, l, lda, x);
}
template <typename T> bool dense::choleskyUpper(int64_t n, T *a, int64_t lda) {
  if (bool ok; avx512Upper(n, a, lda, ok))
    return ok;
  return eigenCholeskyUpper(n, a, lda);
}
template <typename T>
void dense::choleskyUpperSolve(int64_t n, const T *u, int64_t lda, T *x) {
  eigenCholeskyUpperSolve(n, u, lda, x);
}
template <typename T> T dense::dot(int64_t n, const T *a, const T *b) {
  return eigenDot(n, a, b);
}
void dense::syrkLowerAtA(int64_t n, int64_t k, const float *a, int64_t lda,
                         float beta, float *c, int64_t ldc) {
  eigenSyrkLowerAtA(n, k, a, lda, beta, c, ldc);
}

#endif

template <typename T>
void dense::dots(int64_t n, const T *h, const T *const *rows, int64_t count,
                 T *out) {
  if constexpr (std::is_same_v<T, float>) {
    if (haveAvx512())
      return dotsAvx512(n, h, rows, count, out);
  }
  for (int64_t r = 0; r < count; ++r)
    out[r] = dot<T>(n, h, rows[r]);
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
template bool dense::invertSpd<float>(int64_t, float *, int64_t);
template bool dense::invertSpd<double>(int64_t, double *, int64_t);
template void dense::choleskySolve<float>(int64_t, const float *, int64_t,
                                          float *);
template void dense::choleskySolve<double>(int64_t, const double *, int64_t,
                                           double *);
template bool dense::choleskyUpper<float>(int64_t, float *, int64_t);
template bool dense::choleskyUpper<double>(int64_t, double *, int64_t);
template void dense::choleskyUpperSolve<float>(int64_t, const float *,
                                               int64_t, float *);
template void dense::choleskyUpperSolve<double>(int64_t, const double *,
                                                int64_t, double *);
template float dense::dot<float>(int64_t, const float *, const float *);
template double dense::dot<double>(int64_t, const double *, const double *);
template void dense::dots<float>(int64_t, const float *, const float *const *,
                                 int64_t, float *);
template void dense::dots<double>(int64_t, const double *,
                                  const double *const *, int64_t, double *);
