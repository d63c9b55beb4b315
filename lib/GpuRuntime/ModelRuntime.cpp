//===- ModelRuntime.cpp - What GPU-compiled models call, over cudart ------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's GPU runtime ABI (the mgpu* functions upstream's gpu-to-llvm and
// gpu.binary translation call) and prune_gpu_resident, for models lowered
// by nn-lower-gpu; GpuRuntime.h describes them. Debian ships no
// libmlir_cuda_runtime.so, and ours differs where a model's latency needs
// it:
// - cudart, not the driver API: the library loads (and reports errors)
//   on a machine without a driver; modules are cudaLibrary_t (PTX is
//   JIT-compiled by cudaLibraryLoadData), kernels cudaKernel_t, launched by
//   cudaLaunchKernel;
// - one non-blocking stream per thread, created once: the generated code
//   asks for a stream per layer call (gpu.wait async), and creating and
//   destroying one per call costs more than a small layer's kernel;
// - allocations are stream-ordered (cudaMallocAsync: the pool makes the
//   per-call activation buffers cheap);
// - every failure is recorded with the failing call (ModelState.h) and the
//   call does nothing further; prune-run reports it after the model call.
//
//===----------------------------------------------------------------------===//

#pragma GCC visibility push(default)
#include "prune-opt/GpuRuntime/GpuRuntime.h"
#pragma GCC visibility pop

#include "ModelState.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

using namespace pruneopt::gpu;

#define PRUNE_MGPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
/// Records a failed CUDA call; true if `error` is a failure.
bool failed(cudaError_t error, const std::string &call) {
  if (error == cudaSuccess)
    return false;
  modelFail(call + ": " + cudaGetErrorString(error) + " (" +
            cudaGetErrorName(error) + ")");
  return true;
}

cudaStream_t threadStream() {
  thread_local cudaStream_t stream = [] {
    cudaStream_t s = nullptr;
    if (failed(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking),
               "cudaStreamCreateWithFlags"))
      return cudaStream_t(nullptr);
    return s;
  }();
  return stream;
}

void *loadModule(const void *data, const char *what) {
  cudaLibrary_t library = nullptr;
  if (failed(cudaLibraryLoadData(&library, data, nullptr, nullptr, 0, nullptr,
                                 nullptr, 0),
             std::string("cudaLibraryLoadData (") + what + ")"))
    return nullptr;
  return library;
}

} // namespace

PRUNE_MGPU_EXPORT void *mgpuModuleLoad(void *data, size_t /*bytes*/) {
  return loadModule(data, "the model's cubin/fatbin");
}

PRUNE_MGPU_EXPORT void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return loadModule(data, "the model's PTX");
}

PRUNE_MGPU_EXPORT void mgpuModuleUnload(void *module) {
  if (module)
    failed(cudaLibraryUnload(static_cast<cudaLibrary_t>(module)),
           "cudaLibraryUnload");
  // A model is going away (its global destructor unloads its gpu.binary),
  // and with it the constants the resident copies were made from: a model
  // loaded later could get the same addresses with other weights. The
  // models still loaded upload theirs again at their next call.
  Resident &r = resident();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto &[key, copy] : r.copies)
    cudaFree(copy);
  r.copies.clear();
}

PRUNE_MGPU_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module) {
    modelFail(std::string("mgpuModuleGetFunction (") + name +
              "): the module did not load");
    return nullptr;
  }
  cudaKernel_t kernel = nullptr;
  if (failed(cudaLibraryGetKernel(&kernel, static_cast<cudaLibrary_t>(module),
                                  name),
             std::string("cudaLibraryGetKernel (") + name + ")"))
    return nullptr;
  return kernel;
}

PRUNE_MGPU_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                        intptr_t gridY, intptr_t gridZ,
                                        intptr_t blockX, intptr_t blockY,
                                        intptr_t blockZ, int32_t smem,
                                        void *stream, void **params,
                                        void **extra, size_t /*paramsCount*/) {
  if (!function) {
    modelFail("mgpuLaunchKernel: no kernel (its lookup failed)");
    return;
  }
  if (extra) {
    modelFail("mgpuLaunchKernel: 'extra' parameters are not supported");
    return;
  }
  // (A cudaKernel_t is launched like a kernel's address.)
  failed(cudaLaunchKernel(static_cast<const void *>(function),
                          dim3(unsigned(gridX), unsigned(gridY),
                               unsigned(gridZ)),
                          dim3(unsigned(blockX), unsigned(blockY),
                               unsigned(blockZ)),
                          params, size_t(smem),
                          static_cast<cudaStream_t>(stream)),
         "cudaLaunchKernel");
}

PRUNE_MGPU_EXPORT void *mgpuStreamCreate() { return threadStream(); }
PRUNE_MGPU_EXPORT void mgpuStreamDestroy(void *) {} // (kept for the thread)
PRUNE_MGPU_EXPORT void mgpuStreamSynchronize(void *stream) {
  failed(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)),
         "cudaStreamSynchronize");
}
PRUNE_MGPU_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  failed(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream),
                             static_cast<cudaEvent_t>(event), 0),
         "cudaStreamWaitEvent");
}
PRUNE_MGPU_EXPORT void *mgpuEventCreate() {
  cudaEvent_t event = nullptr;
  if (failed(cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
             "cudaEventCreateWithFlags"))
    return nullptr;
  return event;
}
PRUNE_MGPU_EXPORT void mgpuEventDestroy(void *event) {
  failed(cudaEventDestroy(static_cast<cudaEvent_t>(event)),
         "cudaEventDestroy");
}
PRUNE_MGPU_EXPORT void mgpuEventSynchronize(void *event) {
  failed(cudaEventSynchronize(static_cast<cudaEvent_t>(event)),
         "cudaEventSynchronize");
}
PRUNE_MGPU_EXPORT void mgpuEventRecord(void *event, void *stream) {
  failed(cudaEventRecord(static_cast<cudaEvent_t>(event),
                         static_cast<cudaStream_t>(stream)),
         "cudaEventRecord");
}
PRUNE_MGPU_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  failed(cudaSetDevice(device), "cudaSetDevice");
}

PRUNE_MGPU_EXPORT void *mgpuMemAlloc(uint64_t bytes, void *stream,
                                     bool hostShared) {
  void *ptr = nullptr;
  std::string what = " (" + std::to_string(bytes) + " bytes)";
  if (hostShared) {
    if (failed(cudaMallocManaged(&ptr, bytes), "cudaMallocManaged" + what))
      return nullptr;
    return ptr;
  }
  if (failed(cudaMallocAsync(&ptr, bytes, static_cast<cudaStream_t>(stream)),
             "cudaMallocAsync" + what))
    return nullptr;
  return ptr;
}
PRUNE_MGPU_EXPORT void mgpuMemFree(void *ptr, void *stream) {
  if (ptr)
    failed(cudaFreeAsync(ptr, static_cast<cudaStream_t>(stream)),
           "cudaFreeAsync");
}
PRUNE_MGPU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t bytes,
                                  void *stream) {
  failed(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault,
                         static_cast<cudaStream_t>(stream)),
         "cudaMemcpyAsync (" + std::to_string(bytes) + " bytes)");
}
PRUNE_MGPU_EXPORT void mgpuMemset32(void *dst, unsigned value, size_t count,
                                    void *stream) {
  // (cudart has no 32-bit memset; the bytes of a repeated value suffice for
  // the zero fills MLIR emits, and other values are reported.)
  unsigned char byte = value & 0xff;
  if (value != byte * 0x01010101u) {
    modelFail("mgpuMemset32: only byte-repeating values are supported");
    return;
  }
  failed(cudaMemsetAsync(dst, byte, count * 4,
                         static_cast<cudaStream_t>(stream)),
         "cudaMemsetAsync");
}
PRUNE_MGPU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                    size_t count, void *stream) {
  unsigned char byte = value & 0xff;
  if (value != byte * 0x0101u) {
    modelFail("mgpuMemset16: only byte-repeating values are supported");
    return;
  }
  failed(cudaMemsetAsync(dst, byte, count * 2,
                         static_cast<cudaStream_t>(stream)),
         "cudaMemsetAsync");
}

void *prune_gpu_resident(const void *host, int64_t bytes) {
  if (!host || bytes < 0) {
    modelFail("prune_gpu_resident: bad array");
    return nullptr;
  }
  Resident &r = resident();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto key = std::make_pair(host, bytes);
  if (auto it = r.copies.find(key); it != r.copies.end())
    return it->second;
  void *copy = nullptr;
  std::string what = " (a weight array, " + std::to_string(bytes) + " bytes)";
  if (failed(cudaMalloc(&copy, size_t(bytes)), "cudaMalloc" + what))
    return nullptr;
  if (failed(cudaMemcpy(copy, host, size_t(bytes), cudaMemcpyHostToDevice),
             "cudaMemcpy" + what)) {
    cudaFree(copy);
    return nullptr;
  }
  r.copies[key] = copy;
  return copy;
}

const char *prune_gpu_take_model_error(void) { return takeModelError(); }
