//===- Runtime.cpp - The C API of libPruneOptGpu.so -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// include/prune-opt/GpuRuntime/GpuRuntime.h: uploads (weights resident on
// the device), calls that move only activations, the cuBLAS and cuBLASLt
// baselines, and errors as statuses with a message naming the failing
// call. Host C++ over cudart, cuBLAS and cuBLASLt; the kernels are launched
// by Kernels.cu (Launch.h) and SparseTensorCore.cu (SparseTensorCore.h).
//
//===----------------------------------------------------------------------===//

// The C API is the library's only exported interface (it is built with
// hidden visibility).
#pragma GCC visibility push(default)
#include "prune-opt/GpuRuntime/GpuRuntime.h"
#pragma GCC visibility pop

#include "prune-opt/Runtime/Kernels.h" // PRUNE_ACCUMULATE, PRUNE_RELU

#include "GpuTypes.h"
#include "Launch.h"
#include "SparseTensorCore.h"
#include "SparseTensorCorePack.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using namespace pruneopt::gpu;

static_assert(int(PRUNE_GPU_ACCUMULATE) == int(PRUNE_ACCUMULATE) &&
                  int(PRUNE_GPU_RELU) == int(PRUNE_RELU) &&
                  int(PRUNE_GPU_ACCUMULATE) == int(kAccumulate) &&
                  int(PRUNE_GPU_RELU) == int(kRelu),
              "the flags are the CPU library's (and the kernels')");

namespace {
thread_local std::string lastError;

int fail(int code, std::string message) {
  lastError = std::move(message);
  return code;
}
int invalid(const char *function, const std::string &what) {
  return fail(PRUNE_GPU_INVALID_ARGUMENT, std::string(function) + ": " + what);
}
int cudaFail(const std::string &call, cudaError_t error) {
  return fail(PRUNE_GPU_CUDA_ERROR, call + ": " + cudaGetErrorString(error) +
                                        " (" + cudaGetErrorName(error) + ")");
}
int cublasFail(const std::string &call, cublasStatus_t status) {
  return fail(PRUNE_GPU_CUBLAS_ERROR, call + ": " +
                                          cublasGetStatusString(status) + " (" +
                                          cublasGetStatusName(status) + ")");
}
int cublasLtFail(const std::string &call, cublasStatus_t status) {
  return fail(PRUNE_GPU_CUBLAS_ERROR,
              call + ": " + cublasLtGetStatusString(status) + " (" +
                  cublasLtGetStatusName(status) + ")");
}
int launchFail(const LaunchResult &r) {
  return cudaFail(std::string("launch of ") + r.kernel + "<" + r.layout + ">",
                  cudaError_t(r.error));
}

/// Device memory that grows on demand (activation scratch).
struct Scratch {
  void *ptr = nullptr;
  size_t bytes = 0;
  /// At least `bytes`; `what` names it in errors.
  int reserve(size_t want, const char *what) {
    if (want <= bytes)
      return PRUNE_GPU_OK;
    if (ptr) {
      cudaError_t error = cudaFree(ptr);
      ptr = nullptr;
      bytes = 0;
      if (error != cudaSuccess)
        return cudaFail(std::string("cudaFree (") + what + ")", error);
    }
    cudaError_t error = cudaMalloc(&ptr, want);
    if (error != cudaSuccess) {
      ptr = nullptr;
      return cudaFail(std::string("cudaMalloc (") + what + ", " +
                          std::to_string(want) + " bytes)",
                      error);
    }
    bytes = want;
    return PRUNE_GPU_OK;
  }
  float *floats() const { return static_cast<float *>(ptr); }
};

/// cuBLAS: one handle for the process, created at the first cuBLAS call;
/// the mutex also covers cublasSetStream + the call, and cuBLASLt's handle
/// and workspace (created at the first cuBLASLt call, kept for the
/// process).
std::mutex cublasMutex;
cublasHandle_t cublasHandle = nullptr;
cublasLtHandle_t cublasLtHandle = nullptr;
void *cublasLtWorkspace = nullptr;
constexpr size_t kCublasLtWorkspaceBytes = size_t(32) << 20;

/// A cuBLASLt matmul for one call shape: descriptors and the heuristic's
/// algorithm, kept between calls of the same shape (choosing costs host
/// time that would show in the timings).
struct CublasLtPlan {
  int64_t batch = 0, ys = 0, alignY = 0; // the shape (batch 0: none yet)
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t w = nullptr, x = nullptr, y = nullptr;
  cublasLtMatmulAlgo_t algo = {};
  void destroy() {
    if (op)
      cublasLtMatmulDescDestroy(op);
    for (cublasLtMatrixLayout_t l : {w, x, y})
      if (l)
        cublasLtMatrixLayoutDestroy(l);
    *this = CublasLtPlan();
  }
};
} // namespace

struct prune_gpu_weight {
  WeightView view; // device pointers
  bool cublas = false;
  const float *bias = nullptr; // the resident bias (device), or null
  std::vector<void *> arrays;  // the weight's device allocations
  int64_t bytes = 0;
  Scratch x, xT, y, callBias;
  /// 2:4 on the sparse tensor cores (prune_gpu_upload_nm24_sptc): the
  /// packed weight (device pointers) and the blocks a launch should have
  /// (two per SM, sptcSplitK); split-K partial sums.
  bool sptc = false;
  SptcWeightView sptcView;
  int64_t sptcTargetBlocks = 0;
  Scratch partial;
  /// Dense f16 through cuBLASLt: W in f16 (device), x in f16 per call.
  bool cublasLt = false;
  const uint16_t *half = nullptr;
  Scratch xHalf;
  CublasLtPlan lt;

  /// Frees everything; the first error (if any) is reported.
  int release() {
    int status = PRUNE_GPU_OK;
    auto free = [&](void *p, const char *what) {
      cudaError_t error = cudaFree(p);
      if (error != cudaSuccess && status == PRUNE_GPU_OK)
        status = cudaFail(std::string("cudaFree (") + what + ")", error);
    };
    for (void *p : arrays)
      free(p, "weight array");
    arrays.clear();
    for (Scratch *s : {&x, &xT, &y, &callBias, &partial, &xHalf})
      if (s->ptr) {
        free(s->ptr, "activation scratch");
        *s = Scratch();
      }
    lt.destroy();
    return status;
  }

  /// Copies `bytes` of `host` to a new device array of the weight.
  template <typename T>
  int upload(const char *what, const T *host, size_t count, const T **dev) {
    size_t bytes = count * sizeof(T);
    void *p = nullptr;
    cudaError_t error = cudaMalloc(&p, bytes ? bytes : sizeof(T));
    if (error != cudaSuccess)
      return cudaFail(std::string("cudaMalloc (") + what + ", " +
                          std::to_string(bytes) + " bytes)",
                      error);
    arrays.push_back(p);
    this->bytes += int64_t(bytes);
    if (bytes) {
      error = cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice);
      if (error != cudaSuccess)
        return cudaFail(
            std::string("cudaMemcpy (") + what + ", host to device)", error);
    }
    *dev = static_cast<const T *>(p);
    return PRUNE_GPU_OK;
  }
};

namespace {
/// Frees a half-built weight.
struct WeightDeleter {
  void operator()(prune_gpu_weight *w) const {
    std::string keep = lastError; // the upload's error, not the cleanup's
    w->release();
    lastError = std::move(keep);
    delete w;
  }
};
using WeightPtr = std::unique_ptr<prune_gpu_weight, WeightDeleter>;

/// The checks every upload makes; then fill(weight) uploads the arrays.
template <typename Fill>
int makeWeight(const char *function, prune_gpu_weight **out, int64_t rows,
               int64_t cols, const float *bias, Fill fill) {
  if (!out)
    return invalid(function, "out is null");
  *out = nullptr;
  if (rows <= 0 || cols <= 0 || rows > INT_MAX || cols > INT_MAX)
    return invalid(function, "rows and cols must be in [1, 2^31) (got " +
                                 std::to_string(rows) + " x " +
                                 std::to_string(cols) + ")");
  WeightPtr w(new (std::nothrow) prune_gpu_weight);
  if (!w)
    return fail(PRUNE_GPU_INVALID_ARGUMENT,
                std::string(function) + ": out of host memory");
  w->view.rows = rows;
  w->view.cols = cols;
  if (int status = fill(*w))
    return status;
  if (bias)
    if (int status = w->upload("bias", bias, size_t(rows), &w->bias))
      return status;
  *out = w.release();
  return PRUNE_GPU_OK;
}

int64_t colAt(const void *col, int bits, int64_t i) {
  if (bits == 8)
    return static_cast<const uint8_t *>(col)[i];
  return bits == 16 ? static_cast<const uint16_t *>(col)[i]
                    : static_cast<const int32_t *>(col)[i];
}

/// Checks rowPtr[0..n] (0, nondecreasing, < 2^31) and col[0..rowPtr[n])
/// (in [0, limit)).
int checkRows(const char *function, int64_t n, const int32_t *rowPtr,
              const void *col, int32_t colBits, const float *values,
              int64_t limit) {
  if (!rowPtr)
    return invalid(function, "rowPtr is null");
  if (colBits != 8 && colBits != 16 && colBits != 32)
    return invalid(function, "colBits must be 8, 16 or 32 (got " +
                                 std::to_string(colBits) + ")");
  if (rowPtr[0] != 0)
    return invalid(function, "rowPtr[0] must be 0");
  for (int64_t i = 0; i < n; ++i)
    if (rowPtr[i + 1] < rowPtr[i])
      return invalid(function, "rowPtr decreases at " + std::to_string(i));
  int64_t entries = rowPtr[n];
  if (entries && (!col || !values))
    return invalid(function, "col or values is null");
  for (int64_t i = 0; i < entries; ++i) {
    int64_t c = colAt(col, colBits, i);
    if (c < 0 || c >= limit)
      return invalid(function, "column index " + std::to_string(c) + " at " +
                                   std::to_string(i) + " is out of [0, " +
                                   std::to_string(limit) + ")");
  }
  return PRUNE_GPU_OK;
}

int uploadCol(prune_gpu_weight &w, int64_t entries, const void *col,
              int32_t colBits) {
  w.view.colBits = colBits;
  if (colBits == 8) {
    const uint8_t *d;
    int s = w.upload("column indices", static_cast<const uint8_t *>(col),
                     size_t(entries), &d);
    w.view.col = d;
    return s;
  }
  if (colBits == 16) {
    const uint16_t *d;
    int s = w.upload("column indices", static_cast<const uint16_t *>(col),
                     size_t(entries), &d);
    w.view.col = d;
    return s;
  }
  const int32_t *d;
  int s = w.upload("column indices", static_cast<const int32_t *>(col),
                   size_t(entries), &d);
  w.view.col = d;
  return s;
}

int uploadDense(const char *function, prune_gpu_weight **out, int64_t rows,
                int64_t cols, const float *w, const float *bias, bool cublas) {
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &g) {
    if (!w)
      return invalid(function, "w is null");
    g.view.format = GpuFormat::Dense;
    g.cublas = cublas;
    return g.upload("dense values", w, size_t(rows) * size_t(cols),
                    &g.view.values);
  });
}

/// y(b, o) (+)= x W^T with cuBLAS (column-major: W is W^T [cols][rows]
/// with ld = cols; x^T is [cols][batch] with ld = xs; y^T [rows][batch]
/// with ld = ys).
int cublasFc(prune_gpu_weight *w, const FcArgs &a, void *stream) {
  std::lock_guard<std::mutex> lock(cublasMutex);
  if (!cublasHandle) {
    cublasStatus_t status = cublasCreate(&cublasHandle);
    if (status != CUBLAS_STATUS_SUCCESS) {
      cublasHandle = nullptr;
      return cublasFail("cublasCreate", status);
    }
  }
  cublasStatus_t status =
      cublasSetStream(cublasHandle, static_cast<cudaStream_t>(stream));
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasFail("cublasSetStream", status);
  float alpha = 1.0f, beta = a.flags & kAccumulate ? 1.0f : 0.0f;
  int rows = int(w->view.rows), cols = int(w->view.cols);
  if (a.batch == 1) {
    status = cublasSgemv(cublasHandle, CUBLAS_OP_T, cols, rows, &alpha,
                         w->view.values, cols, a.x, 1, &beta, a.y, 1);
    if (status != CUBLAS_STATUS_SUCCESS)
      return cublasFail("cublasSgemv", status);
  } else {
    status = cublasSgemm(cublasHandle, CUBLAS_OP_T, CUBLAS_OP_N, rows,
                         int(a.batch), cols, &alpha, w->view.values, cols, a.x,
                         int(a.xs), &beta, a.y, int(a.ys));
    if (status != CUBLAS_STATUS_SUCCESS)
      return cublasFail("cublasSgemm", status);
  }
  LaunchResult r = launchEpilogueOnDevice(w->view.rows, a, stream);
  if (r.error)
    return cudaFail(std::string("launch of ") + r.kernel, cudaError_t(r.error));
  return PRUNE_GPU_OK;
}

/// The cuBLASLt matmul of y^T (rows x batch, column-major, ld ys, f32) =
/// op(W^T) (W^T: cols x rows column-major f16, transposed) * x16^T (cols x
/// batch, ld `ld`, f16), f32 compute: descriptors and the heuristic's
/// first algorithm for y aligned to `alignY` bytes. Under cublasMutex.
int makeCublasLtPlan(CublasLtPlan &plan, int64_t rows, int64_t cols,
                     int64_t batch, int64_t ld, int64_t ys, int64_t alignY) {
  plan.destroy();
  cublasStatus_t status =
      cublasLtMatmulDescCreate(&plan.op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasLtFail("cublasLtMatmulDescCreate", status);
  cublasOperation_t transW = CUBLAS_OP_T, transX = CUBLAS_OP_N;
  status = cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_TRANSA,
                                          &transW, sizeof transW);
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulDescSetAttribute(
        plan.op, CUBLASLT_MATMUL_DESC_TRANSB, &transX, sizeof transX);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasLtFail("cublasLtMatmulDescSetAttribute", status);
  status = cublasLtMatrixLayoutCreate(&plan.w, CUDA_R_16F, uint64_t(cols),
                                      uint64_t(rows), cols);
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatrixLayoutCreate(&plan.x, CUDA_R_16F, uint64_t(cols),
                                        uint64_t(batch), ld);
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatrixLayoutCreate(&plan.y, CUDA_R_32F, uint64_t(rows),
                                        uint64_t(batch), ys);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasLtFail("cublasLtMatrixLayoutCreate", status);
  cublasLtMatmulPreference_t pref = nullptr;
  status = cublasLtMatmulPreferenceCreate(&pref);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasLtFail("cublasLtMatmulPreferenceCreate", status);
  uint64_t workspace = kCublasLtWorkspaceBytes;
  uint32_t align = uint32_t(alignY);
  status = cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
      sizeof workspace);
  for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
    if (status == CUBLAS_STATUS_SUCCESS)
      status = cublasLtMatmulPreferenceSetAttribute(pref, attr, &align,
                                                    sizeof align);
  if (status != CUBLAS_STATUS_SUCCESS) {
    cublasLtMatmulPreferenceDestroy(pref);
    return cublasLtFail("cublasLtMatmulPreferenceSetAttribute", status);
  }
  cublasLtMatmulHeuristicResult_t result = {};
  int found = 0;
  status =
      cublasLtMatmulAlgoGetHeuristic(cublasLtHandle, plan.op, plan.w, plan.x,
                                     plan.y, plan.y, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (status != CUBLAS_STATUS_SUCCESS)
    return cublasLtFail("cublasLtMatmulAlgoGetHeuristic", status);
  if (found < 1)
    return fail(PRUNE_GPU_CUBLAS_ERROR,
                "cublasLtMatmulAlgoGetHeuristic: no algorithm for f16 " +
                    std::to_string(rows) + "x" + std::to_string(cols) +
                    " at batch " + std::to_string(batch));
  plan.algo = result.algo;
  plan.batch = batch;
  plan.ys = ys;
  plan.alignY = alignY;
  return PRUNE_GPU_OK;
}

/// y (+)= x W^T with W in f16 through cuBLASLt: x rounded to f16 by
/// toSixteenKernel (rows of `ld` = cols rounded up to 8 halves, what the
/// f16 tensor core algorithms want), f32 accumulation and output; then the
/// bias/ReLU kernel of the cuBLAS baseline.
int cublasLtFc(prune_gpu_weight *w, const FcArgs &a, void *stream) {
  int64_t rows = w->view.rows, cols = w->view.cols;
  int64_t ld = (cols + 7) / 8 * 8;
  if (int s =
          w->xHalf.reserve(size_t(a.batch * ld) * sizeof(uint16_t), "f16 x"))
    return s;
  uint16_t *xHalf = static_cast<uint16_t *>(w->xHalf.ptr);
  LaunchResult r = launchToSixteenOnDevice(SptcType::F16, a.x, a.xs, a.batch,
                                           cols, ld, xHalf, stream);
  if (r.error)
    return launchFail(r);
  {
    std::lock_guard<std::mutex> lock(cublasMutex);
    if (!cublasLtHandle) {
      cublasStatus_t status = cublasLtCreate(&cublasLtHandle);
      if (status != CUBLAS_STATUS_SUCCESS) {
        cublasLtHandle = nullptr;
        return cublasLtFail("cublasLtCreate", status);
      }
    }
    if (!cublasLtWorkspace) {
      cudaError_t error =
          cudaMalloc(&cublasLtWorkspace, kCublasLtWorkspaceBytes);
      if (error != cudaSuccess) {
        cublasLtWorkspace = nullptr;
        return cudaFail("cudaMalloc (cuBLASLt workspace, " +
                            std::to_string(kCublasLtWorkspaceBytes) + " bytes)",
                        error);
      }
    }
    // The largest power of two (up to 256) dividing y's address: the
    // heuristic must not pick an algorithm that assumes more.
    uintptr_t address = reinterpret_cast<uintptr_t>(a.y);
    int64_t alignY = int64_t(address & (~address + 1));
    alignY = alignY > 0 && alignY < 256 ? alignY : 256;
    CublasLtPlan &plan = w->lt;
    if (plan.batch != a.batch || plan.ys != a.ys || plan.alignY != alignY)
      if (int s = makeCublasLtPlan(plan, rows, cols, a.batch, ld, a.ys, alignY))
        return s;
    float alpha = 1.0f, beta = a.flags & kAccumulate ? 1.0f : 0.0f;
    cublasStatus_t status = cublasLtMatmul(
        cublasLtHandle, plan.op, &alpha, w->half, plan.w, xHalf, plan.x, &beta,
        a.y, plan.y, a.y, plan.y, &plan.algo, cublasLtWorkspace,
        kCublasLtWorkspaceBytes, static_cast<cudaStream_t>(stream));
    if (status != CUBLAS_STATUS_SUCCESS)
      return cublasLtFail("cublasLtMatmul", status);
  }
  r = launchEpilogueOnDevice(rows, a, stream);
  if (r.error)
    return cudaFail(std::string("launch of ") + r.kernel, cudaError_t(r.error));
  return PRUNE_GPU_OK;
}

/// y (+)= x W^T on the sparse tensor cores, K split for about
/// sptcTargetBlocks blocks (SparseTensorCore.h).
int sptcFc(prune_gpu_weight *w, const FcArgs &a, void *stream) {
  int kSplit = sptcSplitK(w->sptcView, a.batch, w->sptcTargetBlocks);
  float *partial = nullptr;
  if (kSplit > 1) {
    if (int s = w->partial.reserve(size_t(kSplit) * size_t(a.batch) *
                                       size_t(a.rows) * sizeof(float),
                                   "split-K partial sums"))
      return s;
    partial = w->partial.floats();
  }
  LaunchResult r = launchSptcOnDevice(w->sptcView, a, partial, kSplit, stream);
  if (r.error)
    return launchFail(r);
  return PRUNE_GPU_OK;
}
} // namespace

extern "C" {

const char *prune_gpu_last_error(void) { return lastError.c_str(); }

int prune_gpu_init(int32_t *count) {
  int n = 0;
  cudaError_t error = cudaGetDeviceCount(&n);
  if (count)
    *count = error == cudaSuccess ? n : 0;
  if (error != cudaSuccess)
    return cudaFail("cudaGetDeviceCount", error);
  // Creates the context (the first call that needs the device).
  error = cudaFree(nullptr);
  if (error != cudaSuccess)
    return cudaFail("cudaFree (context creation)", error);
  return PRUNE_GPU_OK;
}

int prune_gpu_upload_dense(prune_gpu_weight **out, int64_t rows, int64_t cols,
                           const float *w, const float *bias) {
  return uploadDense("prune_gpu_upload_dense", out, rows, cols, w, bias, false);
}

int prune_gpu_upload_dense_cublas(prune_gpu_weight **out, int64_t rows,
                                  int64_t cols, const float *w,
                                  const float *bias) {
  return uploadDense("prune_gpu_upload_dense_cublas", out, rows, cols, w, bias,
                     true);
}

int prune_gpu_upload_csr(prune_gpu_weight **out, int64_t rows, int64_t cols,
                         const int32_t *rowPtr, const void *col,
                         int32_t colBits, const float *values,
                         const float *bias) {
  const char *function = "prune_gpu_upload_csr";
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &w) {
    if (int s = checkRows(function, rows, rowPtr, col, colBits, values, cols))
      return s;
    int64_t nnz = rowPtr[rows];
    w.view.format = GpuFormat::CSR;
    if (int s = w.upload("csr row pointers", rowPtr, size_t(rows + 1),
                         &w.view.rowPtr))
      return s;
    if (int s = uploadCol(w, nnz, col, colBits))
      return s;
    return w.upload("csr values", values, size_t(nnz), &w.view.values);
  });
}

int prune_gpu_upload_bsr(prune_gpu_weight **out, int64_t rows, int64_t cols,
                         int64_t r, int64_t c, const int32_t *rowPtr,
                         const void *col, int32_t colBits, const float *values,
                         const float *bias) {
  const char *function = "prune_gpu_upload_bsr";
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &w) {
    if (r <= 0 || c <= 0 || rows % r || cols % c)
      return invalid(function, "the " + std::to_string(r) + "x" +
                                   std::to_string(c) + " blocks do not tile " +
                                   std::to_string(rows) + "x" +
                                   std::to_string(cols));
    if (int s = checkRows(function, rows / r, rowPtr, col, colBits, values,
                          cols / c))
      return s;
    int64_t blocks = rowPtr[rows / r];
    if (blocks * r * c > INT_MAX)
      return invalid(function, "more than 2^31 stored values");
    w.view.format = GpuFormat::BSR;
    w.view.blockRows = int32_t(r);
    w.view.blockCols = int32_t(c);
    if (int s = w.upload("bsr row pointers", rowPtr, size_t(rows / r + 1),
                         &w.view.rowPtr))
      return s;
    if (int s = uploadCol(w, blocks, col, colBits))
      return s;
    return w.upload("bsr values", values, size_t(blocks * r * c),
                    &w.view.values);
  });
}

int prune_gpu_upload_nm(prune_gpu_weight **out, int64_t rows, int64_t cols,
                        int64_t n, int64_t m, const uint8_t *codes,
                        const float *values, const float *bias) {
  const char *function = "prune_gpu_upload_nm";
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &w) {
    if (n <= 0 || m <= n || m > 256 || cols % m)
      return invalid(function, std::to_string(n) + ":" + std::to_string(m) +
                                   " needs 0 < n < m <= 256 and m "
                                   "dividing cols");
    if (!codes || !values)
      return invalid(function, "codes or values is null");
    bool is24 = n == 2 && m == 4;
    int64_t perRow = cols / m * n;
    int64_t stride = is24 ? (perRow + 15) / 16 * 16 : perRow;
    int64_t count = rows * stride;
    int64_t codeBytes = is24 ? count / 4 : count;
    if (!is24)
      for (int64_t i = 0; i < count; ++i)
        if (codes[i] >= m)
          return invalid(function, "in-group offset " +
                                       std::to_string(codes[i]) + " at " +
                                       std::to_string(i) + " is >= m");
    w.view.format = GpuFormat::NM;
    w.view.n = int32_t(n);
    w.view.m = int32_t(m);
    if (int s = w.upload("nm codes", codes, size_t(codeBytes), &w.view.codes))
      return s;
    return w.upload("nm values", values, size_t(count), &w.view.values);
  });
}

int prune_gpu_upload_nm24_sptc(prune_gpu_weight **out, int64_t rows,
                               int64_t cols, const float *w, const float *bias,
                               int32_t valueType) {
  const char *function = "prune_gpu_upload_nm24_sptc";
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &g) {
    if (!w)
      return invalid(function, "w is null");
    if (valueType != PRUNE_GPU_F16 && valueType != PRUNE_GPU_BF16)
      return invalid(function, "valueType must be PRUNE_GPU_F16 (1) or "
                               "PRUNE_GPU_BF16 (2) (got " +
                                   std::to_string(valueType) + ")");
    SptcPacked packed;
    std::string error;
    if (!packSptc24(w, rows, cols, SptcType(valueType), packed, &error))
      return invalid(function, error);
    // The device first: an older GPU is refused before anything is copied.
    int device = 0, major = 0, sms = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e != cudaSuccess)
      return cudaFail("cudaGetDevice", e);
    e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor,
                               device);
    if (e == cudaSuccess)
      e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    if (e != cudaSuccess)
      return cudaFail("cudaDeviceGetAttribute", e);
    if (major < 8)
      return invalid(function, "the sparse tensor cores (mma.sp) need "
                               "compute capability 8.0 or later (device " +
                                   std::to_string(device) + " has " +
                                   std::to_string(major) + ".x)");
    g.sptc = true;
    g.sptcTargetBlocks = 2 * int64_t(sms);
    g.view.format = GpuFormat::NM;
    g.view.n = 2;
    g.view.m = 4;
    g.sptcView = packed.view(); // host pointers until uploaded
    if (int s = g.upload("sptc values", packed.values.data(),
                         packed.values.size(), &g.sptcView.values))
      return s;
    if (int s = g.upload("sptc metadata", packed.meta.data(),
                         packed.meta.size(), &g.sptcView.meta))
      return s;
    return int(PRUNE_GPU_OK);
  });
}

int prune_gpu_upload_dense_cublaslt_f16(prune_gpu_weight **out, int64_t rows,
                                        int64_t cols, const float *w,
                                        const float *bias) {
  const char *function = "prune_gpu_upload_dense_cublaslt_f16";
  return makeWeight(function, out, rows, cols, bias, [&](prune_gpu_weight &g) {
    if (!w)
      return invalid(function, "w is null");
    std::vector<uint16_t> half(size_t(rows) * size_t(cols));
    for (size_t i = 0; i < half.size(); ++i) {
      half[i] = f32ToF16(w[i]);
      if (std::isfinite(w[i]) && !std::isfinite(f16ToF32(half[i])))
        return invalid(
            function, "the weight at row " + std::to_string(int64_t(i) / cols) +
                          ", column " + std::to_string(int64_t(i) % cols) +
                          " (" + std::to_string(w[i]) +
                          ") overflows f16 (largest finite 65504)");
    }
    g.view.format = GpuFormat::Dense;
    g.cublasLt = true;
    return g.upload("f16 dense values", half.data(), half.size(), &g.half);
  });
}

int prune_gpu_fc_device(prune_gpu_weight *w, float *dy, int64_t ys,
                        const float *dx, int64_t xs, int64_t batch,
                        int32_t flags, const float *dbias, void *stream) {
  const char *function = "prune_gpu_fc_device";
  if (!w)
    return invalid(function, "the weight is null");
  if (!dy || !dx)
    return invalid(function, "x or y is null");
  int64_t rows = w->view.rows, cols = w->view.cols;
  // The batched kernels' grids have ceil(batch / 32) rows (at most 65535).
  if (batch < 1 || batch > 65535 * 32)
    return invalid(function, "batch must be in [1, 2097120]");
  if (batch > 1 && (ys < rows || xs < cols || ys > INT_MAX || xs > INT_MAX))
    return invalid(function, "the row strides must be at least rows / cols "
                             "(and below 2^31)");
  if (flags & ~(PRUNE_GPU_ACCUMULATE | PRUNE_GPU_RELU | PRUNE_GPU_BIAS))
    return invalid(function, "unknown flags " + std::to_string(flags));
  if ((flags & PRUNE_GPU_BIAS) && !dbias && !w->bias)
    return invalid(function, "PRUNE_GPU_BIAS, but no bias was uploaded with "
                             "the weight");
  FcArgs a;
  a.y = dy;
  a.ys = batch > 1 ? ys : rows;
  a.x = dx;
  a.xs = batch > 1 ? xs : cols;
  a.batch = batch;
  a.rows = rows;
  a.cols = cols;
  a.flags = flags & (kAccumulate | kRelu);
  a.bias = dbias ? dbias : (flags & PRUNE_GPU_BIAS) ? w->bias : nullptr;
  if (w->cublas)
    return cublasFc(w, a, stream);
  if (w->cublasLt)
    return cublasLtFc(w, a, stream);
  if (w->sptc)
    return sptcFc(w, a, stream);
  if (batch > 1 && w->view.format != GpuFormat::Dense) {
    if (int s =
            w->xT.reserve(size_t(batch * cols) * sizeof(float), "transposed x"))
      return s;
    a.xT = w->xT.floats();
  }
  LaunchResult r = launchFcOnDevice(w->view, a, stream);
  if (r.unknownLayout)
    return invalid(function, "the weight's layout has no kernel");
  if (r.error)
    return cudaFail(std::string("launch of ") + r.kernel + "<" + r.layout + ">",
                    cudaError_t(r.error));
  return PRUNE_GPU_OK;
}

int prune_gpu_fc(prune_gpu_weight *w, float *y, int64_t ys, const float *x,
                 int64_t xs, int64_t batch, int32_t flags, const float *bias) {
  const char *function = "prune_gpu_fc";
  if (!w)
    return invalid(function, "the weight is null");
  if (!y || !x)
    return invalid(function, "x or y is null");
  int64_t rows = w->view.rows, cols = w->view.cols;
  if (batch < 1 || batch > INT_MAX)
    return invalid(function, "batch must be in [1, 2^31)");
  if (batch == 1) {
    ys = rows;
    xs = cols;
  }
  if (ys < rows || xs < cols)
    return invalid(function, "the row strides must be at least rows / cols");
  size_t f = sizeof(float);
  if (int s = w->x.reserve(size_t(batch * cols) * f, "x"))
    return s;
  if (int s = w->y.reserve(size_t(batch * rows) * f, "y"))
    return s;
  cudaError_t error =
      cudaMemcpy2D(w->x.ptr, size_t(cols) * f, x, size_t(xs) * f,
                   size_t(cols) * f, size_t(batch), cudaMemcpyHostToDevice);
  if (error != cudaSuccess)
    return cudaFail("cudaMemcpy2D (x, host to device)", error);
  if (flags & PRUNE_GPU_ACCUMULATE) {
    error =
        cudaMemcpy2D(w->y.ptr, size_t(rows) * f, y, size_t(ys) * f,
                     size_t(rows) * f, size_t(batch), cudaMemcpyHostToDevice);
    if (error != cudaSuccess)
      return cudaFail("cudaMemcpy2D (y, host to device)", error);
  }
  const float *dbias = nullptr;
  if (bias) {
    if (int s = w->callBias.reserve(size_t(rows) * f, "bias"))
      return s;
    error = cudaMemcpy(w->callBias.ptr, bias, size_t(rows) * f,
                       cudaMemcpyHostToDevice);
    if (error != cudaSuccess)
      return cudaFail("cudaMemcpy (bias, host to device)", error);
    dbias = w->callBias.floats();
  }
  if (int s = prune_gpu_fc_device(w, w->y.floats(), rows, w->x.floats(), cols,
                                  batch, flags, dbias, nullptr))
    return s;
  // Waits for the kernels: their execution errors show here.
  error = cudaMemcpy2D(y, size_t(ys) * f, w->y.ptr, size_t(rows) * f,
                       size_t(rows) * f, size_t(batch), cudaMemcpyDeviceToHost);
  if (error != cudaSuccess)
    return cudaFail("cudaMemcpy2D (y, device to host, after the kernels)",
                    error);
  return PRUNE_GPU_OK;
}

int64_t prune_gpu_weight_bytes(const prune_gpu_weight *w) {
  return w ? w->bytes : 0;
}

int prune_gpu_free(prune_gpu_weight *w) {
  if (!w)
    return PRUNE_GPU_OK;
  int status = w->release();
  delete w;
  return status;
}

} // extern "C"
