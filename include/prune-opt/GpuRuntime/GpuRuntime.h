/*===- GpuRuntime.h - Pruned layers on an NVIDIA GPU (C API) ------*- C -*-===//
 *
 * Part of the prune-opt project.
 *
 *===----------------------------------------------------------------------===//
 *
 * libPruneOptGpu.so (built when a CUDA toolkit is found): the GPU kernels
 * of lib/GpuRuntime/Kernels.cuh and SparseTensorCore.cuh behind a C API,
 * with no LLVM/MLIR dependency (it links cudart, cuBLAS and cuBLASLt only).
 *
 * A weight is uploaded once (prune_gpu_upload_*: its arrays are copied to
 * the device and stay there) and returns a handle; prune_gpu_fc then moves
 * only activations: x in, y out (and y in when accumulating):
 *   y[b, o] = (PRUNE_GPU_ACCUMULATE ? y[b, o] : 0) + sum_k x[b, k] W[o, k]
 *             (+ bias[o]) then ReLU (max(0, v), NaN kept) if PRUNE_GPU_RELU
 * -- the semantics of the CPU kernel library's prune_fc_* (Kernels.h).
 *
 * The array arguments of the uploads are those of the CPU library's
 * packers (pruneopt::kernels::packCSR, packBSR, packNM; their layouts are
 * in prune-opt/Runtime/Kernels.h), except dense, which is the row-major
 * W[rows][cols] (not packDense's panels).
 *
 * Errors: every function returns PRUNE_GPU_OK (0) or an error code, and
 * prune_gpu_last_error() (per thread) says what failed, naming the CUDA or
 * cuBLAS call ("cudaMalloc (csr values, 4096 bytes): CUDA driver version is
 * insufficient for CUDA runtime version (cudaErrorInsufficientDriver)").
 * Nothing aborts. A handle is not thread-safe (it owns activation scratch);
 * different handles may be used from different threads.
 *
 *===----------------------------------------------------------------------===*/

#ifndef PRUNE_OPT_GPURUNTIME_GPURUNTIME_H
#define PRUNE_OPT_GPURUNTIME_GPURUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. */
enum {
  PRUNE_GPU_OK = 0,
  PRUNE_GPU_INVALID_ARGUMENT = 1, /**< a bad argument; nothing was done */
  PRUNE_GPU_CUDA_ERROR = 2,       /**< a CUDA runtime call failed */
  PRUNE_GPU_CUBLAS_ERROR = 3      /**< a cuBLAS or cuBLASLt call failed */
};

/** The 16-bit value types of prune_gpu_upload_nm24_sptc. */
enum {
  PRUNE_GPU_F16 = 1, /**< IEEE half: 11-bit significand, |v| <= 65504 */
  PRUNE_GPU_BF16 = 2 /**< bfloat16: 8-bit significand, f32's range */
};

/** Flags of prune_gpu_fc (the values of the CPU library's PRUNE_ACCUMULATE
 * and PRUNE_RELU; PRUNE_GPU_BIAS is the GPU's own). */
enum {
  PRUNE_GPU_ACCUMULATE = 1, /**< y += x W^T instead of y = x W^T */
  PRUNE_GPU_RELU = 2,       /**< max(0, v) after the bias */
  PRUNE_GPU_BIAS = 4 /**< add the bias given at upload (already resident) */
};

/** A weight resident on the device. */
typedef struct prune_gpu_weight prune_gpu_weight;

/** What the last failing call of this thread reported ("" if none). */
const char *prune_gpu_last_error(void);

/** Checks that a CUDA device is usable; *count (may be null) receives the
 * number of devices. Optional: the other calls report the same errors. */
int prune_gpu_init(int32_t *count);

/* Uploads. `bias` (rows floats, may be null) is uploaded with the weight
 * and used by calls with PRUNE_GPU_BIAS. Index arrays are checked on the
 * host (columns < cols, rowPtr nondecreasing) so that no kernel reads out
 * of bounds. On success *out is the handle; free it with prune_gpu_free. */

/** Dense, our kernels: w is row-major [rows][cols]. */
int prune_gpu_upload_dense(prune_gpu_weight **out, int64_t rows, int64_t cols,
                           const float *w, const float *bias);
/** Dense through cuBLAS (sgemv at batch 1, sgemm otherwise; bias and ReLU
 * by a small kernel after it): the baseline. */
int prune_gpu_upload_dense_cublas(prune_gpu_weight **out, int64_t rows,
                                  int64_t cols, const float *w,
                                  const float *bias);
/** csr: rowPtr[rows + 1] (i32), col[nnz] (colBits 8: u8, 16: u16, 32:
 * i32), values[nnz], nnz = rowPtr[rows]. */
int prune_gpu_upload_csr(prune_gpu_weight **out, int64_t rows, int64_t cols,
                         const int32_t *rowPtr, const void *col,
                         int32_t colBits, const float *values,
                         const float *bias);
/** bsr, r x c blocks: rowPtr[rows / r + 1], col[blocks] (block columns,
 * colBits wide), values[blocks][r][c], blocks = rowPtr[rows / r]. */
int prune_gpu_upload_bsr(prune_gpu_weight **out, int64_t rows, int64_t cols,
                         int64_t r, int64_t c, const int32_t *rowPtr,
                         const void *col, int32_t colBits, const float *values,
                         const float *bias);
/** N:M along K (packNM): values[rows][stride] and codes as packNM stores
 * them (stride = cols / m * n, for 2:4 rounded up to 16; codes: 2:4 one
 * byte per 4 values, otherwise one per value). */
int prune_gpu_upload_nm(prune_gpu_weight **out, int64_t rows, int64_t cols,
                        int64_t n, int64_t m, const uint8_t *codes,
                        const float *values, const float *bias);

/** 2:4 on the sparse tensor cores (mma.sp; sm_80 or later): w is the
 * row-major [rows][cols] f32 W, at most 2 nonzeros in every group of 4
 * consecutive inputs (groups start at column 0; a last partial group counts
 * as padded with zeros), else PRUNE_GPU_INVALID_ARGUMENT naming the first
 * offending group. It is packed on the host: the values rounded to
 * `valueType` (PRUNE_GPU_F16 or PRUNE_GPU_BF16; round to nearest even; a
 * finite value that overflows f16 is refused) plus 2-bit indices. An
 * explicit accuracy trade: each call also rounds x to `valueType`; products
 * and sums are f32, as are bias, accumulation and ReLU. */
int prune_gpu_upload_nm24_sptc(prune_gpu_weight **out, int64_t rows,
                               int64_t cols, const float *w, const float *bias,
                               int32_t valueType);
/** Dense f16 through cuBLASLt (W rounded to f16 on upload, x rounded to
 * f16 by a small kernel per call, f32 accumulation and output; bias and
 * ReLU by the kernel the cuBLAS baseline uses): the baseline of the 2:4
 * sparse tensor cores. */
int prune_gpu_upload_dense_cublaslt_f16(prune_gpu_weight **out, int64_t rows,
                                        int64_t cols, const float *w,
                                        const float *bias);

/** y (host, [batch][ys]) = x (host, [batch][xs]) W^T as described at the
 * top; `bias` (host, rows floats) is copied for this call and overrides
 * PRUNE_GPU_BIAS; null for none. Synchronous. */
int prune_gpu_fc(prune_gpu_weight *w, float *y, int64_t ys, const float *x,
                 int64_t xs, int64_t batch, int32_t flags, const float *bias);

/** The same on device pointers (dy, dx, dbias: device memory), without
 * copies and without waiting: the kernels are queued on `stream` (a
 * cudaStream_t; null: the default stream). Reports launch errors only;
 * errors of the kernels' execution show at the next synchronizing call. */
int prune_gpu_fc_device(prune_gpu_weight *w, float *dy, int64_t ys,
                        const float *dx, int64_t xs, int64_t batch,
                        int32_t flags, const float *dbias, void *stream);

/** Bytes the weight holds on the device (arrays and bias). */
int64_t prune_gpu_weight_bytes(const prune_gpu_weight *w);

/** Frees the weight's device memory and the handle (null: nothing). */
int prune_gpu_free(prune_gpu_weight *w);

/* ---- What compiled models call ------------------------------------------
 *
 * A model lowered by nn-lower-gpu (nn-lower-kernels{target=gpu}) launches
 * its kernels through MLIR's GPU runtime ABI, as upstream's gpu-to-llvm
 * and the gpu.binary translation emit it: mgpuModuleLoad(JIT),
 * mgpuModuleGetFunction, mgpuLaunchKernel, mgpuStreamCreate /
 * Synchronize / Destroy, mgpuMemAlloc / Free, mgpuMemcpy, mgpuMemset32/16
 * and mgpuEvent*. Debian ships no libmlir_cuda_runtime, so this library
 * defines them (over cudart: modules are cudaLibrary_t, functions
 * cudaKernel_t; one non-blocking stream per thread, which
 * mgpuStreamCreate returns and mgpuStreamDestroy keeps; stream-ordered
 * allocations). libPruneOptGpuEmu.so defines the same functions on the
 * host (the kernels under the SIMT emulation), so compiled models run
 * where there is no GPU. The model's weights reach the device through
 * prune_gpu_resident. */

/** The device copy of the constant host array [host, host + bytes): made
 * (and uploaded) at the first call for that array, then the same pointer
 * for the life of the process -- a model's weights are uploaded once and
 * stay resident. Null (and a model error) if that fails. */
void *prune_gpu_resident(const void *host, int64_t bytes);

/** The first error of the model entry points above on this thread since
 * the last call ("" if none), and clears it. The entry points cannot
 * return errors to the generated code: a failed call records its error
 * (naming the CUDA call) and does nothing, and the caller of the model
 * (prune-run) checks here after each call. */
const char *prune_gpu_take_model_error(void);

#ifdef __cplusplus
}
#endif

#endif /* PRUNE_OPT_GPURUNTIME_GPURUNTIME_H */
