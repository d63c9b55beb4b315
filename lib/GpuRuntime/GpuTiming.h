//===- GpuTiming.h - Timing GPU layers the same way everywhere --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// What the tools that time libPruneOptGpu's layers on a GPU share
// (tools/prune-gpu-check, prune-bench --gpu): the device's description,
// device buffers, the upload of a weight the CPU library packed, and the
// timing itself -- warm-up calls, then `iters` calls, each between two
// CUDA events on the default stream (launch included), with the L2 cache
// overwritten before each one (twice its size, at least 64 MiB) unless
// told not to. Host C++ over cudart and the C API (GpuRuntime.h), no LLVM.
//
// Errors end the program: each tool defines pruneopt::gpu::timing::fail,
// which reports the message (it names the failing call) and exits.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_GPUTIMING_H
#define PRUNE_OPT_LIB_GPURUNTIME_GPUTIMING_H

#include "prune-opt/GpuRuntime/GpuRuntime.h"
#include "prune-opt/Runtime/Kernels.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace pruneopt::gpu::timing {

/// Defined by each tool: reports `message` and exits.
[[noreturn]] void fail(const std::string &message);

inline void check(int status) {
  if (status != PRUNE_GPU_OK)
    fail(prune_gpu_last_error());
}
inline void checkCuda(cudaError_t error, const char *call) {
  if (error != cudaSuccess)
    fail(std::string(call) + ": " + cudaGetErrorString(error) + " (" +
         cudaGetErrorName(error) + ")");
}

/// "NAME (sm_XY, N SMs, G GiB), CUDA runtime R, driver D" of device 0.
inline std::string describeDevice(cudaDeviceProp *out = nullptr) {
  cudaDeviceProp prop;
  checkCuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  char line[512];
  std::snprintf(line, sizeof line,
                "%s (sm_%d%d, %d SMs, %.0f GiB), CUDA runtime %d, driver %d",
                prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                double(prop.totalGlobalMem) / (1 << 30), runtime, driver);
  if (out)
    *out = prop;
  return line;
}

/// Device memory, freed at the end of its scope.
struct DeviceBuffer {
  float *ptr = nullptr;
  explicit DeviceBuffer(size_t floats) {
    checkCuda(
        cudaMalloc(reinterpret_cast<void **>(&ptr), floats * sizeof(float)),
        "cudaMalloc");
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
};

/// The medians (and extremes) of timed calls, in milliseconds.
struct Times {
  double median = 0, min = 0, max = 0;
};

/// Times calls of fn (which returns a GpuRuntime.h status) as described at
/// the top of the file.
class Timer {
public:
  Timer(int iters, int warmup, bool flushL2) : iters(iters), warmup(warmup) {
    cudaDeviceProp prop;
    checkCuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    flushBytes = std::max<size_t>(size_t(prop.l2CacheSize) * 2, 64 << 20);
    if (flushL2)
      flush = new DeviceBuffer(flushBytes / sizeof(float));
    checkCuda(cudaEventCreate(&start), "cudaEventCreate");
    checkCuda(cudaEventCreate(&stop), "cudaEventCreate");
  }
  ~Timer() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    delete flush;
  }
  Timer(const Timer &) = delete;
  Timer &operator=(const Timer &) = delete;

  bool flushesL2() const { return flush != nullptr; }

  template <typename Fn> Times time(Fn fn) {
    for (int i = 0; i < warmup; ++i)
      check(fn());
    checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize (warm-up)");
    std::vector<double> ms;
    for (int i = 0; i < iters; ++i) {
      if (flush)
        checkCuda(cudaMemsetAsync(flush->ptr, i & 0xff, flushBytes),
                  "cudaMemsetAsync (L2 flush)");
      checkCuda(cudaEventRecord(start, nullptr), "cudaEventRecord");
      check(fn());
      checkCuda(cudaEventRecord(stop, nullptr), "cudaEventRecord");
      checkCuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
      float t = 0;
      checkCuda(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
      ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.front(), ms.back()};
  }

private:
  int iters, warmup;
  size_t flushBytes = 0;
  DeviceBuffer *flush = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
};

/// Uploads a weight the CPU library packed (packCSR, packBSR, packNM) in
/// the matching GPU layout; dense takes the row-major W `w` instead of
/// packDense's panels. Formats without a GPU layout fail.
inline prune_gpu_weight *upload(const kernels::PackedWeight &p, const float *w,
                                const float *bias) {
  const void *col = p.colBits == 8 ? static_cast<const void *>(p.col8.data())
                    : p.colBits == 16
                        ? static_cast<const void *>(p.col16.data())
                        : static_cast<const void *>(p.col32.data());
  prune_gpu_weight *out = nullptr;
  switch (p.format) {
  case kernels::Format::Dense:
    check(prune_gpu_upload_dense(&out, p.rows, p.cols, w, bias));
    break;
  case kernels::Format::CSR:
    check(prune_gpu_upload_csr(&out, p.rows, p.cols, p.rowPtr.data(), col,
                               p.colBits, p.values.data(), bias));
    break;
  case kernels::Format::BSR:
    check(prune_gpu_upload_bsr(&out, p.rows, p.cols, p.blockRows, p.blockCols,
                               p.rowPtr.data(), col, p.colBits, p.values.data(),
                               bias));
    break;
  case kernels::Format::NM:
    check(prune_gpu_upload_nm(&out, p.rows, p.cols, p.n, p.m, p.codes.data(),
                              p.values.data(), bias));
    break;
  default:
    fail(std::string("no GPU layout for ") + kernels::formatName(p.format));
  }
  return out;
}

} // namespace pruneopt::gpu::timing

#endif // PRUNE_OPT_LIB_GPURUNTIME_GPUTIMING_H
